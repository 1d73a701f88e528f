"""Answers, streaks and leaderboard totals in PostgreSQL. An answer is one transaction: the post's
shared advisory lock (closing it takes the lock exclusively, so it waits for the answers under way and
every later answer reads it closed), the user's streak row locked (two answers of one user step
the streak one after the other), the insert, the streak and the totals. The rules are the core's
(bot/scoring.py, bot/storage/scores.py).

Why an advisory lock rather than SELECT ... FOR SHARE on the post: hundreds of answers to one post
would all lock its one row, and every row lock held by several transactions at once is a multixact
written into the row; the advisory lock lives in the lock table only."""

from __future__ import annotations

import logging

import asyncpg

from bot.memory import DEFAULT_RETENTION, CardUpdate, answer_duration_ms, review
from bot.models import AnswerOutcome, AnswerRequest, AnswerStatus, HistoryItem, PostKind, PostStatus, ScoreRow, Streak
from bot.scoring import answers_an_earlier_day, needs_previous_day, points_for, streak_after, streak_after_replay
from bot.storage.rows import score_row
from bot.storage.scores import SCORE_SPREAD

log = logging.getLogger("studybot.storage")
POST_LOCKS = 0x5354_4250  # the advisory lock space of posts (pg_advisory_xact_lock(POST_LOCKS, post id))

# The user's streak after the answer ($2-$6), and the totals the answer ($1) adds to: the same spread
# as SQLite's fold, over the one new answer. One statement: one round trip to the server.
STREAK_AND_SCORE = f"""
    WITH streak AS (
        UPDATE streaks SET current = $4, best = $5, last_day = $6 WHERE community_id = $2 AND user_id = $3
    ), new AS (
        SELECT community_id, channel_id, user_id, points, correct, answered_at, month, week FROM answers
        WHERE id = $1 AND kind = 'daily'
    ), {SCORE_SPREAD}
    INSERT INTO scores (community_id, channel_id, period, user_id, points, correct, answered, first_at)
    SELECT community_id, scope, period, user_id, points, correct, 1, answered_at FROM spread
    ON CONFLICT (community_id, channel_id, period, user_id) DO UPDATE SET
        points = scores.points + excluded.points, correct = scores.correct + excluded.correct,
        answered = scores.answered + excluded.answered, first_at = LEAST(scores.first_at, excluded.first_at)
"""


# The answered post, with what its review needs read in the same round trip: the learner's card of
# the post's question, locked (two answers of one learner to one question review it one after the
# other; taken before the streak row, always in that order), and the community's retention.
POST_AND_CARD = """
    SELECT kind, community_id, channel_id, owner_id, question_id, local_date, status, reveal_at, posted_at,
        (SELECT desired_retention FROM communities c WHERE c.id = p.community_id) AS retention,
        (SELECT ARRAY[c.data, c.reps::text] FROM review_cards c
         WHERE c.user_id = $2 AND c.community_id = p.community_id AND c.question_id = p.question_id
         FOR UPDATE) AS card
    FROM posts p WHERE id = $1
"""
POST_ONLY = """
    SELECT kind, community_id, channel_id, owner_id, question_id, local_date, status, reveal_at, posted_at,
        NULL AS retention, NULL AS card
    FROM posts p WHERE id = $1
"""

# The review of a stored answer: the card upserted and the log inserted, in one round trip. The card is
# written only over the version it was computed from (reps): when a first review of this card by the
# same learner committed meanwhile (no row existed to lock), nothing is overwritten and save_review
# computes it again from the stored card. Returns whether the card was written.
SAVE_REVIEW = """
    WITH card AS (
        INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability, difficulty,
            last_review, reps, data) VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (user_id, community_id, question_id) DO UPDATE SET card_id = excluded.card_id,
            state = excluded.state, due = excluded.due, stability = excluded.stability,
            difficulty = excluded.difficulty, last_review = excluded.last_review, reps = excluded.reps,
            data = excluded.data
        WHERE review_cards.reps = excluded.reps - 1
        RETURNING 1
    )
    INSERT INTO review_logs (answer_id, user_id, community_id, question_id, card_id, rating, review_datetime,
        review_duration) VALUES ($1, $2, $3, $4, $5, $13, $10, $14)
    RETURNING (SELECT count(*) FROM card) > 0
"""
LOCKED_CARD = """
    SELECT data, reps FROM review_cards WHERE user_id = $1 AND community_id = $2 AND question_id = $3 FOR UPDATE
"""
RESAVE_REVIEW = """
    WITH card AS (
        UPDATE review_cards SET card_id = $5, state = $6, due = $7, stability = $8, difficulty = $9,
            last_review = $10, reps = $11, data = $12
        WHERE user_id = $2 AND community_id = $3 AND question_id = $4
    )
    UPDATE review_logs SET card_id = $5 WHERE answer_id = $1
"""


async def record_answer(conn: asyncpg.Connection, r: AnswerRequest, reviews: bool = True) -> AnswerOutcome:
    """Store the answer unless the user already answered the post or it is closed; a stored answer is
    also a review of its question (the learner's FSRS card and a review log) in the same transaction.
    reviews=False leaves them out: the baseline of bench/answers.py."""
    async with conn.transaction():
        # Taken before the post is read: the read's snapshot then sees any close that committed.
        await conn.execute("SELECT pg_advisory_xact_lock_shared($1, $2)", POST_LOCKS, r.post_id)
        if reviews:
            post = await conn.fetchrow(POST_AND_CARD, r.post_id, r.user_id)
        else:
            post = await conn.fetchrow(POST_ONLY, r.post_id)
        if post is None:
            return AnswerOutcome(AnswerStatus.UNKNOWN_POST)
        if post["kind"] == PostKind.PRACTICE and post["owner_id"] != r.user_id:
            return AnswerOutcome(AnswerStatus.NOT_YOURS)
        if post["status"] != PostStatus.OPEN:
            return await earlier_answer(conn, r) or AnswerOutcome(
                AnswerStatus.CLOSED if post["status"] == PostStatus.CLOSED else AnswerStatus.UNKNOWN_POST
            )
        if post["reveal_at"] is not None and r.at >= post["reveal_at"]:
            # Past its reveal time the post is closed, whether or not some process has revealed it yet.
            return await earlier_answer(conn, r) or AnswerOutcome(AnswerStatus.CLOSED)
        community_id, day = post["community_id"], post["local_date"]
        daily = post["kind"] == PostKind.DAILY
        stepped = await next_streak(conn, community_id, r.user_id, day) if daily else None
        streak = stepped[0] if stepped else 0
        points = points_for(r.correct, streak) if daily else 0
        answer_id = await conn.fetchval(
            "INSERT INTO answers (post_id, user_id, kind, community_id, question_id, choices, correct, points,"
            " answered_at, local_date, channel_id, month, week)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT (post_id, user_id) DO NOTHING RETURNING id",
            r.post_id,
            r.user_id,
            post["kind"],
            community_id,
            post["question_id"],
            ",".join(r.choices),
            int(r.correct),
            points,
            r.at,
            day,
            post["channel_id"],
            r.month,
            r.week,
        )
        if answer_id is None:
            return await earlier_answer(conn, r) or AnswerOutcome(AnswerStatus.ALREADY)
        if stepped:
            await conn.execute(STREAK_AND_SCORE, answer_id, community_id, r.user_id, *stepped)
        if reviews:
            await save_review(conn, r, post, answer_id)
        return AnswerOutcome(AnswerStatus.RECORDED, r.choices, r.correct, points, streak)


async def save_review(conn: asyncpg.Connection, r: AnswerRequest, post: asyncpg.Record, answer_id: int) -> None:
    """The answer as a review of the question: the card moves on, and the review is logged."""
    data, reps = post["card"] if post["card"] else (None, "0")
    update = _reviewed(data, answer_id, r, post)
    if update is None:
        return
    key = (r.user_id, post["community_id"], post["question_id"])
    written = await conn.fetchval(SAVE_REVIEW, answer_id, *key, *_card_values(update, int(reps) + 1), *_log(update))
    if not written:  # the card's first review by another answer committed meanwhile: build on it
        stored = await conn.fetchrow(LOCKED_CARD, *key)
        update = _reviewed(stored["data"], answer_id, r, post)
        if update is not None:
            await conn.execute(RESAVE_REVIEW, answer_id, *key, *_card_values(update, stored["reps"] + 1))


def _reviewed(data: str | None, answer_id: int, r: AnswerRequest, post: asyncpg.Record) -> CardUpdate | None:
    try:
        return review(
            data,
            answer_id,
            r.correct,
            r.at,
            answer_duration_ms(post["posted_at"], r.at),
            post["retention"] or DEFAULT_RETENTION,
        )
    except Exception:  # the answer, its points and streak matter more than its review: keep them
        log.exception("answer %s: could not compute its review; the answer is stored without one", answer_id)
        return None


def _card_values(u: CardUpdate, reps: int) -> tuple[object, ...]:
    return (u.card_id, u.state, u.due, u.stability, u.difficulty, u.last_review, reps, u.data)


def _log(u: CardUpdate) -> tuple[object, ...]:
    return (u.rating, u.duration_ms)


async def earlier_answer(conn: asyncpg.Connection, r: AnswerRequest) -> AnswerOutcome | None:
    """The user's first answer to the post, which stands."""
    earlier = await conn.fetchrow(
        "SELECT choices, correct, points FROM answers WHERE post_id = $1 AND user_id = $2", r.post_id, r.user_id
    )
    if earlier is None:
        return None
    return AnswerOutcome(
        AnswerStatus.ALREADY, tuple(earlier["choices"].split(",")), bool(earlier["correct"]), earlier["points"]
    )


async def next_streak(conn: asyncpg.Connection, community_id: int, user_id: int, day: str) -> tuple[int, int, str]:
    """(current, best, last day) once the user answered on `day`, with the user's streak row locked
    until the transaction ends (made first if the user has none, so there is a row to lock)."""
    # The upsert locks the row like FOR UPDATE would, and returns its latest committed values.
    current, best, last_day = await conn.fetchrow(
        "INSERT INTO streaks (community_id, user_id, current, best, last_day) VALUES ($1, $2, 0, 0, NULL)"
        " ON CONFLICT (community_id, user_id) DO UPDATE SET current = streaks.current"
        " RETURNING current, best, last_day",
        community_id,
        user_id,
    )
    if answers_an_earlier_day(last_day, day):
        scheduled, answered = await streak_history(conn, community_id, user_id)
        return streak_after_replay(scheduled, answered, day)
    previous = await previous_day(conn, community_id, day) if needs_previous_day(last_day, day) else None
    return streak_after(current, best, last_day, day, previous)


async def previous_day(conn: asyncpg.Connection, community_id: int, day: str) -> str | None:
    """The community's last scheduled day before `day`: whether a streak continues or restarts."""
    return await conn.fetchval(
        "SELECT MAX(local_date) FROM posts WHERE community_id = $1 AND kind = 'daily' AND local_date < $2"
        " AND status IN ('open', 'closed')",
        community_id,
        day,
    )


async def streak_history(conn: asyncpg.Connection, community_id: int, user_id: int) -> tuple[list[str], list[str]]:
    """(the community's scheduled days, the days the user answered): what a streak is replayed from."""
    scheduled = await conn.fetch(
        "SELECT DISTINCT local_date FROM posts WHERE community_id = $1 AND kind = 'daily'"
        " AND status IN ('open', 'closed')",
        community_id,
    )
    answered = await conn.fetch(
        "SELECT DISTINCT local_date FROM answers WHERE community_id = $1 AND user_id = $2 AND kind = 'daily'",
        community_id,
        user_id,
    )
    return [r[0] for r in scheduled], [r[0] for r in answered]


async def missed_since(conn: asyncpg.Connection, community_id: int, last_day: str | None) -> bool:
    """True when a scheduled day after last_day has closed entirely: the streak is broken."""
    row = await conn.fetchrow(
        "SELECT 1 FROM posts WHERE community_id = $1 AND kind = 'daily' AND local_date > $2"
        " AND status IN ('open', 'closed') GROUP BY local_date HAVING bool_and(status <> 'open') LIMIT 1",
        community_id,
        last_day,
    )
    return row is not None


async def streak(conn: asyncpg.Connection, community_id: int, user_id: int) -> Streak:
    row = await conn.fetchrow(
        "SELECT current, best, last_day FROM streaks WHERE community_id = $1 AND user_id = $2", community_id, user_id
    )
    if row is None:
        return Streak(0, 0, None)
    current = 0 if await missed_since(conn, community_id, row["last_day"]) else row["current"]
    return Streak(current, row["best"], row["last_day"])


async def leaderboard(
    conn: asyncpg.Connection, community_id: int, channel_id: int, period: str, limit: int
) -> list[ScoreRow]:
    rows = await conn.fetch(
        "SELECT s.user_id, u.name, s.points, s.correct, s.answered FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = $1 AND s.channel_id = $2 AND s.period = $3"
        " ORDER BY s.points DESC, s.correct DESC, s.answered, s.first_at, s.user_id LIMIT $4",
        community_id,
        channel_id,
        period,
        limit,
    )
    return [
        score_row(rank, r["user_id"], r, (await streak(conn, community_id, r["user_id"])).current)
        for rank, r in enumerate(rows, start=1)
    ]


async def rank_of(
    conn: asyncpg.Connection, community_id: int, channel_id: int, period: str, user_id: int
) -> ScoreRow | None:
    me = await conn.fetchrow(
        "SELECT s.points, s.correct, s.answered, s.first_at, u.name FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = $1 AND s.channel_id = $2 AND s.period = $3 AND s.user_id = $4",
        community_id,
        channel_id,
        period,
        user_id,
    )
    if me is None:
        return None
    ahead = await conn.fetchval(
        "SELECT COUNT(*) FROM scores WHERE community_id = $1 AND channel_id = $2 AND period = $3"
        " AND (points, correct, -answered, -first_at, -user_id) > ($4, $5, $6, $7, $8)",
        community_id,
        channel_id,
        period,
        me["points"],
        me["correct"],
        -me["answered"],
        -me["first_at"],
        -user_id,
    )
    return score_row(ahead + 1, user_id, me, (await streak(conn, community_id, user_id)).current)


async def user_history(conn: asyncpg.Connection, user_id: int, community_id: int) -> list[HistoryItem]:
    rows = await conn.fetch(
        "SELECT question_id, kind, correct, answered_at FROM answers WHERE user_id = $1 AND community_id = $2"
        " ORDER BY answered_at",
        user_id,
        community_id,
    )
    return [HistoryItem(r["question_id"], PostKind(r["kind"]), bool(r["correct"]), r["answered_at"]) for r in rows]

"""Answers, streaks and the leaderboard totals: recording a burst of clicks in one pass, folding the
answers into the totals, and reading the boards."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import NamedTuple

from bot.models import (
    AnswerOutcome,
    AnswerRequest,
    AnswerStatus,
    HistoryItem,
    PostKind,
    PostStatus,
    ScoreRow,
    Streak,
)
from bot.scoring import (
    answers_an_earlier_day,
    needs_previous_day,
    points_for,
    streak_after,
    streak_after_replay,
)
from bot.storage.rows import score_row
from bot.storage.scores import SCORE_SPREAD
from bot.storage.sqlite import marks, reviews, transactions

log = logging.getLogger("studybot.storage")


def fold_scores_tx(conn: sqlite3.Connection, limit: int | None) -> bool:
    with transactions.Tx(conn):
        return fold_scores(conn, limit)


@transactions.runs_together
def record_answers(conn: sqlite3.Connection, requests: list[AnswerRequest]) -> list[AnswerOutcome | Exception]:
    """Store each answer unless the user already answered the post or it is closed. Each stored answer
    is also a review of its question, applied right after by the fold of reviews.py."""
    run = _AnswerRun(conn, requests)
    outcomes: list[AnswerOutcome | Exception] = [transactions.alone(conn, run.record, request) for request in requests]
    run.save_streaks()
    return outcomes


@transactions.runs_together
def record_answers_without_reviews(
    conn: sqlite3.Connection, requests: list[AnswerRequest]
) -> list[AnswerOutcome | Exception]:
    """As record_answers, but these answers are not reviews: the baseline bench/answers.py compares
    against. The reviews of earlier answers are applied first, then the mark moves past these."""
    reviews.fold_reviews(conn, None)
    outcomes = record_answers(conn, requests)
    marks.move_to_last(conn, "review_mark")
    return outcomes


class _AnsweredPost(NamedTuple):
    kind: str
    community_id: int
    channel_id: int | None
    owner_id: int | None
    question_id: str
    local_date: str | None
    status: str
    reveal_at: float | None
    posted_at: float


class _AnswerRun:
    """Answers that reached the database together, recorded with what they share read once.

    A burst of clicks is hundreds of answers to one post on one day. The post, the previous
    scheduled day and the users' streaks are read once for the whole run, and the streaks written
    back once at its end, which leaves one statement per answer: its insert. The batch holds the
    write lock and the run ends before any other call of the batch, so nothing read can change
    meanwhile.
    """

    def __init__(self, conn: sqlite3.Connection, requests: list[AnswerRequest]):
        self.conn = conn
        self.posts: dict[int, _AnsweredPost | None] = {}
        for post_id in {r.post_id for r in requests}:
            row = conn.execute(
                "SELECT kind, community_id, channel_id, owner_id, question_id, local_date, status, reveal_at,"
                " posted_at FROM posts WHERE id = ?",
                (post_id,),
            ).fetchone()
            self.posts[post_id] = _AnsweredPost(*row) if row else None
        self.previous_days: dict[tuple[int, str], str | None] = {}
        self.streaks: dict[tuple[int, int], tuple[int, int, str | None]] = {}
        self.changed: set[tuple[int, int]] = set()
        users_by_community: dict[int, set[int]] = {}
        for r in requests:
            post = self.posts[r.post_id]
            if post is not None and post.kind == PostKind.DAILY:
                users_by_community.setdefault(post.community_id, set()).add(r.user_id)
        for community_id, users in users_by_community.items():
            rows = conn.execute(
                "SELECT user_id, current, best, last_day FROM streaks"
                " WHERE community_id = ? AND user_id IN (SELECT value FROM json_each(?))",
                (community_id, json.dumps(sorted(users))),
            )
            for user_id, current, best, last_day in rows:
                self.streaks[(community_id, user_id)] = (current, best, last_day)

    def record(self, r: AnswerRequest) -> AnswerOutcome:
        post = self.posts[r.post_id]
        if post is None:
            return AnswerOutcome(AnswerStatus.UNKNOWN_POST)
        if post.kind == PostKind.PRACTICE and post.owner_id != r.user_id:
            return AnswerOutcome(AnswerStatus.NOT_YOURS)
        if post.status != PostStatus.OPEN:
            return self.earlier_answer(r) or AnswerOutcome(
                AnswerStatus.CLOSED if post.status == PostStatus.CLOSED else AnswerStatus.UNKNOWN_POST
            )
        if post.reveal_at is not None and r.at >= post.reveal_at:
            # Past its reveal time the post is closed, whether or not some process has revealed it yet.
            return self.earlier_answer(r) or AnswerOutcome(AnswerStatus.CLOSED)
        community_id, day = post.community_id, post.local_date
        daily = post.kind == PostKind.DAILY
        stepped = self.next_streak(community_id, r.user_id, day) if daily else None
        streak = stepped[0] if stepped else 0
        points = points_for(r.correct, streak) if daily else 0
        # The insert itself finds a second click (the unique key), so a first answer needs no read.
        cursor = self.conn.execute(
            "INSERT INTO answers (post_id, user_id, kind, community_id, question_id, choices, correct, points,"
            " answered_at, local_date, channel_id, month, week) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (post_id, user_id) DO NOTHING",
            (
                r.post_id,
                r.user_id,
                post.kind,
                community_id,
                post.question_id,
                ",".join(r.choices),
                int(r.correct),
                points,
                r.at,
                day,
                post.channel_id,
                r.month,
                r.week,
            ),
        )
        if not cursor.rowcount:
            return self.earlier_answer(r) or AnswerOutcome(AnswerStatus.ALREADY)
        if stepped:
            self.streaks[(community_id, r.user_id)] = stepped
            self.changed.add((community_id, r.user_id))
        return AnswerOutcome(AnswerStatus.RECORDED, r.choices, r.correct, points, streak)

    def earlier_answer(self, r: AnswerRequest) -> AnswerOutcome | None:
        """The user's first answer to the post, which stands."""
        earlier = self.conn.execute(
            "SELECT choices, correct, points FROM answers WHERE post_id = ? AND user_id = ?",
            (r.post_id, r.user_id),
        ).fetchone()
        if earlier is None:
            return None
        return AnswerOutcome(
            AnswerStatus.ALREADY, tuple(earlier["choices"].split(",")), bool(earlier["correct"]), earlier["points"]
        )

    def next_streak(self, community_id: int, user_id: int, day: str) -> tuple[int, int, str]:
        """(current, best, last day) once the user has answered on `day`; kept only if the answer is."""
        current, best, last_day = self.streaks.get((community_id, user_id), (0, 0, None))
        if answers_an_earlier_day(last_day, day):
            scheduled, answered = streak_history(self.conn, community_id, user_id)
            return streak_after_replay(scheduled, answered, day)
        previous = self.previous_day(community_id, day) if needs_previous_day(last_day, day) else None
        return streak_after(current, best, last_day, day, previous)

    def previous_day(self, community_id: int, day: str) -> str | None:
        """The community's last scheduled day before `day`: whether a streak continues or restarts."""
        key = (community_id, day)
        if key not in self.previous_days:
            self.previous_days[key] = self.conn.execute(
                "SELECT MAX(local_date) FROM posts WHERE community_id = ? AND kind = 'daily' AND local_date < ?"
                " AND status IN ('open', 'closed')",
                key,
            ).fetchone()[0]
        return self.previous_days[key]

    def save_streaks(self) -> None:
        self.conn.executemany(
            "INSERT INTO streaks (community_id, user_id, current, best, last_day) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO UPDATE SET current = excluded.current, best = excluded.best,"
            " last_day = excluded.last_day",
            [(*key, *self.streaks[key]) for key in self.changed],
        )


# One upsert per answer and period, no GROUP BY: sorting the rows first cost more than it saved
# (20 against 12 us per answer folded, measured over 10,000 users).
SCORE_NEW_ANSWERS = f"""
    WITH new AS (
        SELECT community_id, channel_id, user_id, points, correct, answered_at, month, week FROM answers
        WHERE id > :start AND id <= :end AND kind = 'daily'
    ), {SCORE_SPREAD}
    INSERT INTO scores (community_id, channel_id, period, user_id, points, correct, answered, first_at)
    SELECT community_id, scope, period, user_id, points, correct, 1, answered_at FROM spread WHERE true
    ON CONFLICT DO UPDATE SET points = points + excluded.points, correct = correct + excluded.correct,
        answered = answered + excluded.answered, first_at = MIN(first_at, excluded.first_at)
"""


def fold_scores(conn: sqlite3.Connection, limit: int | None) -> bool:
    """Add answers not yet in the leaderboard totals (at most `limit`); True when some are left."""
    start, end, last = marks.pending(conn, "score_mark", limit)
    if end > start:
        conn.execute(SCORE_NEW_ANSWERS, {"start": start, "end": end})
        marks.move(conn, "score_mark", end)
    return end < last


def streak_history(conn: sqlite3.Connection, community_id: int, user_id: int) -> tuple[list[str], list[str]]:
    """(the community's scheduled days, the days the user answered): what a streak is replayed from."""
    scheduled = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT local_date FROM posts WHERE community_id = ? AND kind = 'daily'"
            " AND status IN ('open', 'closed')",
            (community_id,),
        )
    ]
    answered = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT local_date FROM answers WHERE community_id = ? AND user_id = ? AND kind = 'daily'",
            (community_id, user_id),
        )
    ]
    return scheduled, answered


def missed_since(conn: sqlite3.Connection, community_id: int, last_day: str) -> bool:
    """True when a scheduled day after last_day has closed entirely: the streak is broken."""
    row = conn.execute(
        "SELECT 1 FROM posts WHERE community_id = ? AND kind = 'daily' AND local_date > ?"
        " AND status IN ('open', 'closed') GROUP BY local_date HAVING SUM(status = 'open') = 0 LIMIT 1",
        (community_id, last_day),
    ).fetchone()
    return row is not None


def streak(conn: sqlite3.Connection, community_id: int, user_id: int) -> Streak:
    row = conn.execute(
        "SELECT current, best, last_day FROM streaks WHERE community_id = ? AND user_id = ?",
        (community_id, user_id),
    ).fetchone()
    if row is None:
        return Streak(0, 0, None)
    current = 0 if missed_since(conn, community_id, row["last_day"]) else row["current"]
    return Streak(current, row["best"], row["last_day"])


def leaderboard(
    conn: sqlite3.Connection, community_id: int, channel_id: int, period: str, limit: int
) -> list[ScoreRow]:
    fold_scores(conn, None)  # everything acknowledged counts, even if the background fold lags
    rows = conn.execute(
        "SELECT s.user_id, u.name, s.points, s.correct, s.answered FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = ? AND s.channel_id = ? AND s.period = ?"
        " ORDER BY s.points DESC, s.correct DESC, s.answered, s.first_at, s.user_id LIMIT ?",
        (community_id, channel_id, period, limit),
    ).fetchall()
    return [
        score_row(rank, r["user_id"], r, streak(conn, community_id, r["user_id"]).current)
        for rank, r in enumerate(rows, start=1)
    ]


def rank_of(conn: sqlite3.Connection, community_id: int, channel_id: int, period: str, user_id: int) -> ScoreRow | None:
    fold_scores(conn, None)
    me = conn.execute(
        "SELECT s.points, s.correct, s.answered, s.first_at, u.name FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = ? AND s.channel_id = ? AND s.period = ? AND s.user_id = ?",
        (community_id, channel_id, period, user_id),
    ).fetchone()
    if me is None:
        return None
    ahead = conn.execute(
        "SELECT COUNT(*) FROM scores WHERE community_id = ? AND channel_id = ? AND period = ?"
        " AND (points, correct, -answered, -first_at, -user_id) > (?, ?, ?, ?, ?)",
        (
            community_id,
            channel_id,
            period,
            me["points"],
            me["correct"],
            -me["answered"],
            -me["first_at"],
            -user_id,
        ),
    ).fetchone()[0]
    return score_row(ahead + 1, user_id, me, streak(conn, community_id, user_id).current)


def user_history(conn: sqlite3.Connection, user_id: int, community_id: int) -> list[HistoryItem]:
    rows = conn.execute(
        "SELECT question_id, kind, correct, answered_at FROM answers WHERE user_id = ? AND community_id = ?"
        " ORDER BY answered_at",
        (user_id, community_id),
    )
    return [HistoryItem(r["question_id"], PostKind(r["kind"]), bool(r["correct"]), r["answered_at"]) for r in rows]

"""Reviews in PostgreSQL, applied by a fold: every stored answer is also a review of its question (the
learner's FSRS card moved on by bot/memory.py's rules, and a review log), applied just after the answer
is acknowledged, as SQLite's sqlite/reviews.py does.

Why a fold rather than in the answers' own batch: reading and locking a batch's cards, computing them
(about 25 us of Python per answer) and writing them made a burst's clicks wait 1.25-1.3x longer
(bench/answers.py --reviews-only); a click's reply never needs its card.

Why a queue rather than SQLite's mark: PostgreSQL answer ids are taken before their transactions
commit, in several connections and processes, so an id below one already folded may still commit. The
answer batch (answer_batch.py) inserts each stored answer's id into review_queue in its own statement,
so an acknowledged answer is always queued; the fold deletes the rows it applied in the transaction
that writes their cards and logs, so a crash can neither lose a review nor apply one twice.

One fold at a time, across every process (a transaction-scoped advisory lock), taking the queue in id
order (its primary key's: a chunk never sorts the whole queue) and each card's answers in a chunk in
the order they were given: a learner's answers to one question are never applied by two folds at
once, and in order unless two of them, a moment apart, committed the other way round. The background
fold only tries the lock (another process folding will reach these rows too); a read of cards or logs
waits for it, then applies what is still queued for its learners.

Set-based, whatever the chunk's size: the cards are read with one statement, the new cards computed in
Python (a learner's two answers to one question are two reviews in order, the second building on the
first), and cards and logs written with one statement. A stored card is read FOR UPDATE and a new one
inserted with ON CONFLICT DO NOTHING, read again and computed again on top when one appeared meanwhile:
harmless under the fold's lock, and what keeps a card whole if anything else ever writes one.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import asyncpg

from bot.memory import DEFAULT_RETENTION, CardUpdate, answer_duration_ms, review

log = logging.getLogger("studybot.storage")
ROUNDS = 3  # times the cards first reviewed by another writer meanwhile are read and computed again
FOLD_LOCK = 0x5354_5256  # the advisory lock of the review fold: one fold at a time, in any process

Key = tuple[int, int, str]  # (user, community, question): one card


class Reviewed(NamedTuple):
    """A queued answer to review: its id (a new card's id, as on SQLite), result, time, its post's time
    (for the review's duration) and its community's desired retention. The columns of PENDING."""

    answer_id: int
    user_id: int
    community_id: int
    question_id: str
    correct: int
    at: float
    posted_at: float
    retention: float | None


class ReviewConflict(Exception):
    """Cards kept being first reviewed by another writer while the fold computed them: the fold step is
    rolled back, its answers left queued for the next."""


# The queued answers, oldest id first; $1 the most, $2 only these learners', $3 only ids up to it (NULL: all).
PENDING = """
    SELECT a.id, a.user_id, a.community_id, a.question_id, a.correct, a.answered_at, p.posted_at,
        c.desired_retention
    FROM review_queue q JOIN answers a ON a.id = q.answer_id JOIN posts p ON p.id = a.post_id
        JOIN communities c ON c.id = a.community_id
    WHERE ($2::bigint[] IS NULL OR a.user_id = ANY($2::bigint[])) AND ($3::bigint IS NULL OR q.answer_id <= $3)
    ORDER BY q.answer_id
    LIMIT $1
"""


async def fold(
    conn: asyncpg.Connection,
    limit: int,
    users: list[int] | None = None,
    wait: bool = True,
    up_to: int | None = None,
) -> bool | None:
    """Apply the reviews of up to `limit` queued answers (only `users`', only ids up to `up_to`, when
    given), in one transaction. True when some are left, False when none; None when another fold holds
    the lock and wait is False."""
    async with conn.transaction():
        if wait:
            await conn.execute("SELECT pg_advisory_xact_lock($1::bigint)", FOLD_LOCK)
        elif not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1::bigint)", FOLD_LOCK):
            return None
        rows = [Reviewed(*r) for r in await conn.fetch(PENDING, limit + 1, users, up_to)]
        applied = rows[:limit]
        if not applied:
            return False
        reviews: dict[Key, list[Reviewed]] = {}
        for item in sorted(applied, key=lambda r: (r.at, r.answer_id)):
            reviews.setdefault((item.user_id, item.community_id, item.question_id), []).append(item)
        await save_reviews(conn, reviews)
        await conn.execute(
            "DELETE FROM review_queue WHERE answer_id = ANY($1::bigint[])", [r.answer_id for r in applied]
        )
        return len(rows) > limit


async def fold_all(
    conn: asyncpg.Connection, users: list[int] | None = None, up_to: int | None = None, chunk: int = 1000
) -> None:
    """Every queued review (of `users`, up to `up_to`, when given) applied: what a read of cards or logs
    does first."""
    while await fold(conn, chunk, users, up_to=up_to):
        pass


async def fold_queued_now(conn: asyncpg.Connection) -> None:
    """The reviews queued by now applied, not those queued meanwhile by processes still running (a
    closing process would otherwise fold for as long as they answer)."""
    last = await conn.fetchval("SELECT MAX(answer_id) FROM review_queue")
    if last is not None:
        await fold_all(conn, up_to=last)


# The stored cards of the keys, locked in key order (every batch locks in one order: no deadlock).
CARDS = """
    SELECT c.user_id, c.community_id, c.question_id, c.data, c.reps
    FROM review_cards c JOIN unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(user_id, community_id, question_id)
        ON c.user_id = k.user_id AND c.community_id = k.community_id AND c.question_id = k.question_id
    ORDER BY c.user_id, c.community_id, c.question_id
    FOR UPDATE OF c
"""

# The cards ($1-$11; $12: the card was stored and is locked) and the logs ($13-$20) of the keys written.
# A locked card is updated; a new one inserted unless another batch's committed meanwhile (skipped: the
# caller reads it and computes again). Logs are kept only for the keys whose card was written, so a log
# is never left with a card it was not computed on. Returns the keys written.
SAVE = """
    WITH v AS (
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::int[], $6::float8[],
            $7::float8[], $8::float8[], $9::float8[], $10::int[], $11::text[], $12::bool[])
            AS v(user_id, community_id, question_id, card_id, state, due, stability, difficulty, last_review,
                reps, data, stored)
    ), updated AS (
        UPDATE review_cards c SET card_id = v.card_id, state = v.state, due = v.due, stability = v.stability,
            difficulty = v.difficulty, last_review = v.last_review, reps = v.reps, data = v.data
        FROM v WHERE v.stored AND c.user_id = v.user_id AND c.community_id = v.community_id
            AND c.question_id = v.question_id
        RETURNING c.user_id, c.community_id, c.question_id
    ), inserted AS (
        INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability, difficulty,
            last_review, reps, data)
        SELECT user_id, community_id, question_id, card_id, state, due, stability, difficulty, last_review, reps,
            data FROM v WHERE NOT v.stored
        ORDER BY 1, 2, 3
        ON CONFLICT (user_id, community_id, question_id) DO NOTHING
        RETURNING user_id, community_id, question_id
    ), written AS (
        SELECT * FROM updated UNION ALL SELECT * FROM inserted
    ), logs AS (
        INSERT INTO review_logs (answer_id, user_id, community_id, question_id, card_id, rating, review_datetime,
            review_duration)
        SELECT l.* FROM unnest($13::bigint[], $14::bigint[], $15::bigint[], $16::text[], $17::bigint[],
            $18::int[], $19::float8[], $20::bigint[])
            AS l(answer_id, user_id, community_id, question_id, card_id, rating, review_datetime, review_duration)
        JOIN written w ON w.user_id = l.user_id AND w.community_id = l.community_id
            AND w.question_id = l.question_id
    )
    SELECT user_id, community_id, question_id FROM written
"""


class _Card(NamedTuple):
    """A card once the batch's reviews of it are computed: what SAVE writes."""

    update: CardUpdate
    reps: int
    stored: bool
    logs: list[tuple[object, ...]]


async def save_reviews(conn: asyncpg.Connection, reviews: dict[Key, list[Reviewed]]) -> None:
    """Each card's reviews, in the order given."""
    pending = reviews
    for _ in range(ROUNDS):
        stored = await _stored_cards(conn, list(pending))
        cards = {key: card for key, items in pending.items() if (card := _reviewed(stored.get(key), items))}
        if not cards:
            return
        written = await _save(conn, cards)
        pending = {key: pending[key] for key in cards if key not in written}
        if not pending:
            return
        log.info("%d cards were first reviewed by another writer meanwhile: computed again on top", len(pending))
    raise ReviewConflict(f"{len(pending)} cards kept changing while their reviews were computed")


async def _stored_cards(conn: asyncpg.Connection, keys: list[Key]) -> dict[Key, tuple[str, int]]:
    keys.sort()
    rows = await conn.fetch(CARDS, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
    return {(r["user_id"], r["community_id"], r["question_id"]): (r["data"], r["reps"]) for r in rows}


def _reviewed(stored: tuple[str, int] | None, items: list[Reviewed]) -> _Card | None:
    """The card after the reviews, one after another from the stored card (None: never reviewed). A
    review that cannot be computed is left out, its answer kept (as on SQLite)."""
    data, reps = stored if stored else (None, 0)
    update = None
    logs: list[tuple[object, ...]] = []
    for item in items:
        try:
            update = review(
                data,
                item.answer_id,
                bool(item.correct),
                item.at,
                answer_duration_ms(item.posted_at, item.at),
                item.retention or DEFAULT_RETENTION,
            )
        except Exception:  # the answer, its points and streak matter more than its review: keep them
            log.exception("answer %s: could not compute its review; the answer is stored without one", item.answer_id)
            continue
        data, reps = update.data, reps + 1
        logs.append((item.answer_id, update.card_id, update.rating, item.at, update.duration_ms))
    if update is None:
        return None
    return _Card(update, reps, stored is not None, logs)


async def _save(conn: asyncpg.Connection, cards: dict[Key, _Card]) -> set[Key]:
    keys = sorted(cards)
    rows = [cards[k] for k in keys]
    logs = [(k, entry) for k in keys for entry in cards[k].logs]
    written = await conn.fetch(
        SAVE,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [c.update.card_id for c in rows],
        [c.update.state for c in rows],
        [c.update.due for c in rows],
        [c.update.stability for c in rows],
        [c.update.difficulty for c in rows],
        [c.update.last_review for c in rows],
        [c.reps for c in rows],
        [c.update.data for c in rows],
        [c.stored for c in rows],
        [entry[0] for _, entry in logs],
        [k[0] for k, _ in logs],
        [k[1] for k, _ in logs],
        [k[2] for k, _ in logs],
        [entry[1] for _, entry in logs],
        [entry[2] for _, entry in logs],
        [entry[3] for _, entry in logs],
        [entry[4] for _, entry in logs],
    )
    return {(r["user_id"], r["community_id"], r["question_id"]) for r in written}

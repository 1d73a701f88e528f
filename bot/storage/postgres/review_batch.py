"""The reviews of a batch of stored answers (answer_batch.py), in the batch's own transaction: each stored
answer is also a review of its question, the learner's FSRS card moved on by bot/memory.py's rules and a
review log kept, exactly as the SQLite backend's group commit does (sqlite/answers.py's _AnswerRun).

Set-based, whatever the batch's size: the batch's cards are read with one statement (locked), the new
cards computed in Python (a learner's two answers to one question in a batch, two posts of it, are two
reviews in order, the second building on the first), and cards and logs written with one statement.

Concurrent batches (other connections of this process, other processes) never overwrite a card from a
stale version: a stored card is read FOR UPDATE, so it cannot change until this batch commits; a card
that did not exist yet is inserted with ON CONFLICT DO NOTHING, and when another batch's first review
of it committed meanwhile, the card is read again (locked now) and this batch's reviews are computed
again on top of it, their logs written only then.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import asyncpg

from bot.memory import DEFAULT_RETENTION, CardUpdate, answer_duration_ms, review
from bot.models import AnswerRequest

log = logging.getLogger("studybot.storage")
ROUNDS = 3  # times the cards first reviewed by another batch meanwhile are read and computed again

Key = tuple[int, int, str]  # (user, community, question): one card


class Reviewed(NamedTuple):
    """A stored answer to review: its id (a new card's id, as on SQLite), request and post."""

    answer_id: int
    request: AnswerRequest
    posted_at: float
    retention: float | None


class ReviewConflict(Exception):
    """Cards kept being first reviewed by other batches while this one computed them: the batch is
    rolled back and run again (the batcher's transient failure)."""


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
    """Each card's reviews, in the order given (the answers' order in the batch)."""
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
        log.info("%d cards were first reviewed by another batch meanwhile: computed again on top", len(pending))
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
        r = item.request
        try:
            update = review(
                data,
                item.answer_id,
                r.correct,
                r.at,
                answer_duration_ms(item.posted_at, r.at),
                item.retention or DEFAULT_RETENTION,
            )
        except Exception:  # the answer, its points and streak matter more than its review: keep them
            log.exception("answer %s: could not compute its review; the answer is stored without one", item.answer_id)
            continue
        data, reps = update.data, reps + 1
        logs.append((item.answer_id, update.card_id, update.rating, r.at, update.duration_ms))
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

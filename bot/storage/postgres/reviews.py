"""Reviews in PostgreSQL: the statements of sqlite/reviews.py. Every read of cards or logs first applies
the reviews still queued for its learner (review_fold.py), so nothing acknowledged is missing from it."""

from __future__ import annotations

import asyncpg

from bot.memory import CardState
from bot.models import ReviewLogRow
from bot.storage.postgres.review_fold import fold_all
from bot.storage.rows import review_log_row


async def set_desired_retention(conn: asyncpg.Connection, community_id: int, retention: float) -> None:
    await conn.execute("UPDATE communities SET desired_retention = $1 WHERE id = $2", retention, community_id)


async def review_cards(
    conn: asyncpg.Connection, user_id: int, community_id: int, due_by: float | None
) -> list[CardState]:
    """The learner's cards in the community; with due_by, only those due by then, soonest due first."""
    await fold_all(conn, [user_id])
    if due_by is None:
        rows = await conn.fetch(
            "SELECT question_id, due, state, stability, last_review FROM review_cards"
            " WHERE user_id = $1 AND community_id = $2",
            user_id,
            community_id,
        )
    else:
        rows = await conn.fetch(
            "SELECT question_id, due, state, stability, last_review FROM review_cards"
            " WHERE user_id = $1 AND community_id = $2 AND due <= $3 ORDER BY due",
            user_id,
            community_id,
            due_by,
        )
    return list(map(CardState._make, rows))  # the columns in CardState's order: no lookup by name per row


async def review_logs(conn: asyncpg.Connection, user_id: int, community_id: int) -> list[ReviewLogRow]:
    await fold_all(conn, [user_id])
    rows = await conn.fetch(
        "SELECT answer_id, question_id, card_id, rating, review_datetime, review_duration FROM review_logs"
        " WHERE user_id = $1 AND community_id = $2 ORDER BY review_datetime, answer_id",
        user_id,
        community_id,
    )
    return [review_log_row(r) for r in rows]


async def due_review_count(conn: asyncpg.Connection, user_id: int, community_id: int, due_by: float) -> int:
    await fold_all(conn, [user_id])
    return await conn.fetchval(
        "SELECT COUNT(*) FROM review_cards WHERE user_id = $1 AND community_id = $2 AND due <= $3",
        user_id,
        community_id,
        due_by,
    )

"""Learners' daily reminders in PostgreSQL: the statements of sqlite/reminders.py. A claim is one
UPDATE whose WHERE re-reads next_at under the row lock, so of several processes exactly one moves it."""

from __future__ import annotations

import asyncpg

from bot.models import DueReminder, Reminder, ReminderMove
from bot.storage.postgres.review_fold import fold_all
from bot.storage.rows import DUE_REMINDER_COLUMNS, due_reminder_row, reminder_row


async def save_reminder(conn: asyncpg.Connection, r: Reminder) -> None:
    await conn.execute(
        "INSERT INTO reminders (user_id, community_id, at, timezone, enabled, next_at) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (user_id, community_id) DO UPDATE SET at = excluded.at, timezone = excluded.timezone,"
        " enabled = excluded.enabled, next_at = excluded.next_at, disabled_reason = NULL",
        r.user_id,
        r.community_id,
        r.at.strftime("%H:%M"),
        r.timezone,
        int(r.enabled),
        r.next_at,
    )


async def reminder(conn: asyncpg.Connection, user_id: int, community_id: int) -> Reminder | None:
    row = await conn.fetchrow("SELECT * FROM reminders WHERE user_id = $1 AND community_id = $2", user_id, community_id)
    return reminder_row(row) if row else None


async def disable_reminder(conn: asyncpg.Connection, user_id: int, community_id: int, reason: str) -> bool:
    row = await conn.fetchrow(
        "UPDATE reminders SET enabled = 0, disabled_reason = $1 WHERE user_id = $2 AND community_id = $3"
        " AND enabled = 1 RETURNING user_id",
        reason[:300],
        user_id,
        community_id,
    )
    return row is not None


async def due_reminders(conn: asyncpg.Connection, now: float, platforms: list[str], limit: int) -> list[DueReminder]:
    rows = await conn.fetch(
        f"SELECT {DUE_REMINDER_COLUMNS} FROM reminders r JOIN communities c ON c.id = r.community_id"
        " JOIN users u ON u.id = r.user_id WHERE r.enabled = 1 AND r.next_at <= $1 AND c.platform = ANY($2::text[])"
        " ORDER BY r.next_at LIMIT $3",
        int(now),
        platforms,
        limit,
    )
    return [due_reminder_row(r) for r in rows]


async def advance_reminders(conn: asyncpg.Connection, moves: list[ReminderMove]) -> list[tuple[int, int]]:
    """All moves in one statement (arrays unnested), each applied only if next_at is still what was read."""
    if not moves:
        return []
    rows = await conn.fetch(
        "UPDATE reminders r SET next_at = m.next_at, last_sent_at = COALESCE(m.sent_at, r.last_sent_at)"
        " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::float8[])"
        " AS m(user_id, community_id, seen, next_at, sent_at)"
        " WHERE r.user_id = m.user_id AND r.community_id = m.community_id AND r.enabled = 1 AND r.next_at = m.seen"
        " RETURNING r.user_id, r.community_id",
        [m.user_id for m in moves],
        [m.community_id for m in moves],
        [m.seen for m in moves],
        [m.next_at for m in moves],
        [m.sent_at for m in moves],
    )
    return [(r["user_id"], r["community_id"]) for r in rows]


async def due_questions(
    conn: asyncpg.Connection, community_id: int, user_ids: list[int], due_by: float
) -> list[tuple[int, str]]:
    await fold_all(conn, user_ids)  # the reviews still queued for these learners first
    rows = await conn.fetch(
        "SELECT user_id, question_id FROM review_cards WHERE user_id = ANY($1::bigint[])"
        " AND community_id = $2 AND due <= $3",
        user_ids,
        community_id,
        due_by,
    )
    return [(r["user_id"], r["question_id"]) for r in rows]

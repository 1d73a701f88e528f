"""Learners' daily reminders: saved, switched off, found due and claimed (see bot/reminders.py)."""

from __future__ import annotations

import json
import sqlite3

from bot.models import DueReminder, Reminder, ReminderMove
from bot.storage.rows import DUE_REMINDER_COLUMNS, due_reminder_row, reminder_row
from bot.storage.sqlite.reviews import fold_reviews


def save_reminder(conn: sqlite3.Connection, r: Reminder) -> None:
    # last_sent_at is kept: setting a new time the same day does not bring a second reminder that day.
    conn.execute(
        "INSERT INTO reminders (user_id, community_id, at, timezone, enabled, next_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id, community_id) DO UPDATE SET at = excluded.at, timezone = excluded.timezone,"
        " enabled = excluded.enabled, next_at = excluded.next_at, disabled_reason = NULL",
        (r.user_id, r.community_id, r.at.strftime("%H:%M"), r.timezone, int(r.enabled), r.next_at),
    )


def reminder(conn: sqlite3.Connection, user_id: int, community_id: int) -> Reminder | None:
    row = conn.execute(
        "SELECT * FROM reminders WHERE user_id = ? AND community_id = ?", (user_id, community_id)
    ).fetchone()
    return reminder_row(row) if row else None


def disable_reminder(conn: sqlite3.Connection, user_id: int, community_id: int, reason: str) -> bool:
    cur = conn.execute(
        "UPDATE reminders SET enabled = 0, disabled_reason = ? WHERE user_id = ? AND community_id = ? AND enabled = 1",
        (reason[:300], user_id, community_id),
    )
    return cur.rowcount > 0


def due_reminders(conn: sqlite3.Connection, now: float, platforms: list[str], limit: int) -> list[DueReminder]:
    rows = conn.execute(
        f"SELECT {DUE_REMINDER_COLUMNS} FROM reminders r JOIN communities c ON c.id = r.community_id"
        " JOIN users u ON u.id = r.user_id WHERE r.enabled = 1 AND r.next_at <= ?"
        " AND c.platform IN (SELECT value FROM json_each(?)) ORDER BY r.next_at LIMIT ?",
        (now, json.dumps(platforms), limit),
    )
    return [due_reminder_row(r) for r in rows]


def advance_reminders(conn: sqlite3.Connection, moves: list[ReminderMove]) -> list[tuple[int, int]]:
    """All moves in one statement (the list as JSON), each only if the reminder still fires at what was
    read: the one writer that moves it wins."""
    if not moves:
        return []
    rows = conn.execute(
        "UPDATE reminders SET next_at = m.next_at, last_sent_at = COALESCE(m.sent_at, reminders.last_sent_at)"
        " FROM (SELECT value ->> 0 AS user_id, value ->> 1 AS community_id, value ->> 2 AS seen,"
        " value ->> 3 AS next_at, value ->> 4 AS sent_at FROM json_each(?)) AS m"
        " WHERE reminders.user_id = m.user_id AND reminders.community_id = m.community_id"
        " AND reminders.enabled = 1 AND reminders.next_at = m.seen RETURNING reminders.user_id, reminders.community_id",
        (json.dumps(moves),),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def due_questions(
    conn: sqlite3.Connection, community_id: int, user_ids: list[int], due_by: float
) -> list[tuple[int, str]]:
    """(user, question) of every card due by `due_by` of these learners: a sweep's counts in one query."""
    fold_reviews(conn, None)
    rows = conn.execute(
        "SELECT user_id, question_id FROM review_cards WHERE user_id IN (SELECT value FROM json_each(?))"
        " AND community_id = ? AND due <= ?",
        (json.dumps(user_ids), community_id, due_by),
    )
    return [(r[0], r[1]) for r in rows]

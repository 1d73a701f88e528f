"""Learners' daily reminders: saved, switched off, found due and claimed (see bot/reminders.py)."""

from __future__ import annotations

import sqlite3

from bot.models import DueReminder, Reminder, ReminderMove
from bot.storage.rows import DUE_REMINDER_COLUMNS, due_reminder_row, reminder_row


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


def due_reminders(conn: sqlite3.Connection, now: float, limit: int) -> list[DueReminder]:
    rows = conn.execute(
        f"SELECT {DUE_REMINDER_COLUMNS} FROM reminders r JOIN communities c ON c.id = r.community_id"
        " JOIN users u ON u.id = r.user_id WHERE r.enabled = 1 AND r.next_at <= ? ORDER BY r.next_at LIMIT ?",
        (now, limit),
    )
    return [due_reminder_row(r) for r in rows]


def advance_reminders(conn: sqlite3.Connection, moves: list[ReminderMove]) -> list[tuple[int, int]]:
    """Each move only if the reminder still fires at what was read: the one writer that moves it wins."""
    done = []
    for move in moves:
        cur = conn.execute(
            "UPDATE reminders SET next_at = ?, last_sent_at = COALESCE(?, last_sent_at)"
            " WHERE user_id = ? AND community_id = ? AND enabled = 1 AND next_at = ?",
            (move.next_at, move.sent_at, move.user_id, move.community_id, move.seen),
        )
        if cur.rowcount:
            done.append((move.user_id, move.community_id))
    return done

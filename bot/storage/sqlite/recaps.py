"""The weekly recap's rows in SQLite (bot/recaps.py): who opted in, each week's claim, a channel's week
of answers, and the days with a daily post (the streak calendar's missed days)."""

from __future__ import annotations

import sqlite3

from bot.models import QuestionTally, WeekActivity


def set_recap(conn: sqlite3.Connection, channel_id: int, enabled: bool, by: int | None, at: float) -> bool:
    """Switch a channel's recap; True when that changed something."""
    row = conn.execute("SELECT enabled FROM recap_channels WHERE channel_id = ?", (channel_id,)).fetchone()
    if row is not None and bool(row[0]) == enabled:
        return False
    if row is None and not enabled:
        return False
    conn.execute(
        "INSERT INTO recap_channels (channel_id, enabled, created_by, changed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (channel_id) DO UPDATE SET enabled = excluded.enabled, created_by = excluded.created_by,"
        " changed_at = excluded.changed_at",
        (channel_id, int(enabled), by, at),
    )
    return True


def recap_enabled(conn: sqlite3.Connection, channel_id: int) -> bool:
    row = conn.execute("SELECT enabled FROM recap_channels WHERE channel_id = ?", (channel_id,)).fetchone()
    return bool(row and row[0])


def recap_channels(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT channel_id FROM recap_channels WHERE enabled = 1 ORDER BY channel_id")]


def claim_recap(conn: sqlite3.Connection, channel_id: int, week: str, at: float, token: str) -> bool:
    cur = conn.execute(
        "INSERT INTO recaps (channel_id, week, status, claimed_at, claim_token) VALUES (?, ?, 'claimed', ?, ?)"
        " ON CONFLICT DO NOTHING",
        (channel_id, week, at, token),
    )
    return cur.rowcount == 1


def finish_recap(
    conn: sqlite3.Connection, channel_id: int, week: str, status: str, message_ref: str | None, error: str | None
) -> None:
    conn.execute(
        "UPDATE recaps SET status = ?, message_ref = ?, error = ? WHERE channel_id = ? AND week = ?",
        (status, message_ref, error, channel_id, week),
    )


def recap_status(conn: sqlite3.Connection, channel_id: int, week: str) -> str | None:
    row = conn.execute("SELECT status FROM recaps WHERE channel_id = ? AND week = ?", (channel_id, week)).fetchone()
    return row[0] if row else None


def channel_week(conn: sqlite3.Connection, channel_id: int, week: str) -> WeekActivity:
    totals = conn.execute(
        "SELECT COUNT(DISTINCT user_id), COUNT(*), COALESCE(SUM(correct), 0) FROM answers"
        " WHERE channel_id = ? AND week = ? AND kind = 'daily'",
        (channel_id, week),
    ).fetchone()
    rows = conn.execute(
        "SELECT post_id, question_id, COUNT(*), SUM(correct) FROM answers"
        " WHERE channel_id = ? AND week = ? AND kind = 'daily' GROUP BY post_id, question_id ORDER BY post_id",
        (channel_id, week),
    ).fetchall()
    return WeekActivity(
        people=totals[0],
        answers=totals[1],
        correct=totals[2],
        questions=tuple(QuestionTally(r[0], r[1], r[2], r[3]) for r in rows),
    )


def daily_post_days(conn: sqlite3.Connection, community_id: int, since: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT local_date FROM posts WHERE community_id = ? AND kind = 'daily' AND local_date >= ?"
        " AND status IN ('open', 'closed') ORDER BY local_date",
        (community_id, since),
    )
    return [r[0] for r in rows]

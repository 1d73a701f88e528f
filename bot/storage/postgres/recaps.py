"""The weekly recap's rows in PostgreSQL, as bot/storage/sqlite/recaps.py."""

from __future__ import annotations

import asyncpg

from bot.models import QuestionTally, WeekActivity


async def set_recap(conn: asyncpg.Connection, channel_id: int, enabled: bool, by: int | None, at: float) -> bool:
    async with conn.transaction():
        row = await conn.fetchrow("SELECT enabled FROM recap_channels WHERE channel_id = $1 FOR UPDATE", channel_id)
        if (row is not None and bool(row["enabled"]) == enabled) or (row is None and not enabled):
            return False
        await conn.execute(
            "INSERT INTO recap_channels (channel_id, enabled, created_by, changed_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (channel_id) DO UPDATE SET enabled = excluded.enabled, created_by = excluded.created_by,"
            " changed_at = excluded.changed_at",
            channel_id,
            int(enabled),
            by,
            at,
        )
        return True


async def recap_enabled(conn: asyncpg.Connection, channel_id: int) -> bool:
    return bool(await conn.fetchval("SELECT enabled FROM recap_channels WHERE channel_id = $1", channel_id))


async def recap_channels(conn: asyncpg.Connection) -> list[int]:
    rows = await conn.fetch("SELECT channel_id FROM recap_channels WHERE enabled = 1 ORDER BY channel_id")
    return [r[0] for r in rows]


async def claim_recap(conn: asyncpg.Connection, channel_id: int, week: str, at: float, token: str) -> bool:
    status = await conn.execute(
        "INSERT INTO recaps (channel_id, week, status, claimed_at, claim_token) VALUES ($1, $2, 'claimed', $3, $4)"
        " ON CONFLICT DO NOTHING",
        channel_id,
        week,
        at,
        token,
    )
    return status == "INSERT 0 1"


async def finish_recap(
    conn: asyncpg.Connection, channel_id: int, week: str, status: str, message_ref: str | None, error: str | None
) -> None:
    await conn.execute(
        "UPDATE recaps SET status = $1, message_ref = $2, error = $3 WHERE channel_id = $4 AND week = $5",
        status,
        message_ref,
        error,
        channel_id,
        week,
    )


async def recap_status(conn: asyncpg.Connection, channel_id: int, week: str) -> str | None:
    return await conn.fetchval("SELECT status FROM recaps WHERE channel_id = $1 AND week = $2", channel_id, week)


async def channel_week(conn: asyncpg.Connection, channel_id: int, week: str) -> WeekActivity:
    totals = await conn.fetchrow(
        "SELECT COUNT(DISTINCT user_id) AS people, COUNT(*) AS answers, COALESCE(SUM(correct), 0) AS correct"
        " FROM answers WHERE channel_id = $1 AND week = $2 AND kind = 'daily'",
        channel_id,
        week,
    )
    rows = await conn.fetch(
        "SELECT post_id, question_id, COUNT(*) AS answered, SUM(correct) AS correct FROM answers"
        " WHERE channel_id = $1 AND week = $2 AND kind = 'daily' GROUP BY post_id, question_id ORDER BY post_id",
        channel_id,
        week,
    )
    return WeekActivity(
        people=totals["people"],
        answers=totals["answers"],
        correct=int(totals["correct"]),
        questions=tuple(QuestionTally(r["post_id"], r["question_id"], r["answered"], int(r["correct"])) for r in rows),
    )


async def daily_post_days(conn: asyncpg.Connection, community_id: int, since: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT local_date FROM posts WHERE community_id = $1 AND kind = 'daily' AND local_date >= $2"
        " AND status IN ('open', 'closed') ORDER BY local_date",
        community_id,
        since,
    )
    return [r[0] for r in rows]

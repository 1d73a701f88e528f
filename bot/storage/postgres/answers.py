"""Streaks and leaderboards in PostgreSQL, and the reads answers need (answer_batch.py records them).
The rules are the core's (bot/scoring.py)."""

from __future__ import annotations

import asyncpg

from bot.models import HistoryItem, PostKind, ScoreRow, Streak
from bot.storage.rows import score_row


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


async def current_streaks(conn: asyncpg.Connection, community_id: int, user_ids: list[int]) -> dict[int, int]:
    """Each user's current streak, as streak() reads it, for a board's lines at once: one read of their
    streak rows, and one question per distinct last day (most lines share one) instead of two reads a line."""
    rows = await conn.fetch(
        "SELECT user_id, current, last_day FROM streaks WHERE community_id = $1 AND user_id = ANY($2::bigint[])",
        community_id,
        user_ids,
    )
    broken: dict[str | None, bool] = {}
    current = dict.fromkeys(user_ids, 0)
    for r in rows:
        if r["last_day"] not in broken:
            broken[r["last_day"]] = await missed_since(conn, community_id, r["last_day"])
        current[r["user_id"]] = 0 if broken[r["last_day"]] else r["current"]
    return current


async def leaderboard(
    conn: asyncpg.Connection, community_id: int, channel_id: int, period: str, limit: int
) -> list[ScoreRow]:
    rows = await conn.fetch(
        "SELECT s.user_id, u.name, s.points, s.correct, s.answered FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = $1 AND s.channel_id = $2 AND s.period = $3"
        " ORDER BY -s.points, -s.correct, s.answered, s.first_at, s.user_id LIMIT $4",  # scores_board's order
        community_id,
        channel_id,
        period,
        limit,
    )
    current = await current_streaks(conn, community_id, [r["user_id"] for r in rows])
    return [score_row(rank, r["user_id"], r, current[r["user_id"]]) for rank, r in enumerate(rows, start=1)]


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
        " AND (-points, -correct, answered, first_at, user_id) < ($4, $5, $6, $7, $8)",  # ahead in scores_board
        community_id,
        channel_id,
        period,
        -me["points"],
        -me["correct"],
        me["answered"],
        me["first_at"],
        user_id,
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

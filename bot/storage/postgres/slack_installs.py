"""Slack installations (OAuth) and their one-time states on PostgreSQL, as sqlite/slack_installs.py."""

from __future__ import annotations

import asyncpg


async def save_slack_installation(
    conn: asyncpg.Connection, client_id: str, enterprise_id: str, team_id: str, org_wide: bool, data: str, at: float
) -> None:
    await conn.execute(
        "INSERT INTO slack_installations (client_id, enterprise_id, team_id, is_enterprise_install, data, installed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, enterprise_id, team_id) DO UPDATE SET"
        " is_enterprise_install = excluded.is_enterprise_install, data = excluded.data,"
        " installed_at = excluded.installed_at",
        client_id,
        enterprise_id,
        team_id,
        int(org_wide),
        data,
        at,
    )


async def slack_installation(
    conn: asyncpg.Connection, client_id: str, enterprise_id: str | None, team_id: str | None
) -> str | None:
    return await conn.fetchval(
        "SELECT data FROM slack_installations WHERE client_id = $1 AND team_id = $2"
        " AND ($3::text IS NULL OR enterprise_id = $4) ORDER BY installed_at DESC LIMIT 1",
        client_id,
        team_id or "",
        enterprise_id,
        enterprise_id or "",
    )


async def delete_slack_installation(
    conn: asyncpg.Connection, client_id: str, enterprise_id: str | None, team_id: str | None
) -> int:
    status = await conn.execute(
        "DELETE FROM slack_installations WHERE client_id = $1 AND team_id = $2"
        " AND ($3::text IS NULL OR enterprise_id = $4)",
        client_id,
        team_id or "",
        enterprise_id,
        enterprise_id or "",
    )
    return int(status.split()[-1])


async def issue_oauth_state(conn: asyncpg.Connection, state: str, expires_at: float, now: float) -> None:
    async with conn.transaction():
        await conn.execute("DELETE FROM slack_oauth_states WHERE expires_at <= $1", now)  # the old go as new come
        await conn.execute("INSERT INTO slack_oauth_states (state, expires_at) VALUES ($1, $2)", state, expires_at)


async def consume_oauth_state(conn: asyncpg.Connection, state: str, now: float) -> bool:
    expires_at = await conn.fetchval("DELETE FROM slack_oauth_states WHERE state = $1 RETURNING expires_at", state)
    return expires_at is not None and expires_at > now

"""Communities, channels, users and schedules in PostgreSQL: the statements of sqlite/communities.py."""

from __future__ import annotations

import asyncpg

from bot.models import Channel, Community, Schedule, User
from bot.storage.rows import channel_row, community_row, schedule_row, schedule_values, user_row


async def community(
    conn: asyncpg.Connection, platform: str, platform_id: str, name: str, locale: str, timezone: str
) -> Community:
    row = await conn.fetchrow(
        "INSERT INTO communities (platform, platform_id, name, locale, timezone) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (platform, platform_id) DO UPDATE SET name = excluded.name WHERE excluded.name != ''"
        " RETURNING *",
        platform,
        platform_id,
        name,
        locale,
        timezone,
    )
    if row is None:  # already there and the name kept: DO UPDATE ... WHERE returns nothing then
        row = await conn.fetchrow(
            "SELECT * FROM communities WHERE platform = $1 AND platform_id = $2", platform, platform_id
        )
    return community_row(row)


async def community_by_id(conn: asyncpg.Connection, community_id: int) -> Community | None:
    row = await conn.fetchrow("SELECT * FROM communities WHERE id = $1", community_id)
    return community_row(row) if row else None


async def update_community(
    conn: asyncpg.Connection, community_id: int, locale: str | None, timezone: str | None
) -> None:
    await conn.execute(
        "UPDATE communities SET locale = COALESCE($1, locale), timezone = COALESCE($2, timezone) WHERE id = $3",
        locale,
        timezone,
        community_id,
    )


async def channel(conn: asyncpg.Connection, community_id: int, platform_id: str, name: str) -> Channel:
    row = await conn.fetchrow(
        "INSERT INTO channels (community_id, platform_id, name) VALUES ($1, $2, $3)"
        " ON CONFLICT (community_id, platform_id) DO UPDATE SET name = excluded.name"
        " WHERE excluded.name != '' RETURNING *",
        community_id,
        platform_id,
        name,
    )
    if row is None:
        row = await conn.fetchrow(
            "SELECT * FROM channels WHERE community_id = $1 AND platform_id = $2", community_id, platform_id
        )
    return channel_row(row)


async def channel_by_id(conn: asyncpg.Connection, channel_id: int) -> Channel | None:
    row = await conn.fetchrow("SELECT * FROM channels WHERE id = $1", channel_id)
    return channel_row(row) if row else None


async def channels(conn: asyncpg.Connection, community_id: int) -> list[Channel]:
    rows = await conn.fetch("SELECT * FROM channels WHERE community_id = $1 ORDER BY id", community_id)
    return [channel_row(r) for r in rows]


# The users first seen together (the first clicks on a post), made or renamed in one statement: per
# (platform, platform id) the last name given that is not empty, as one call after another would leave it.
# In key order, as every batch takes the rows' locks: no deadlock between processes.
UPSERT_USERS = """
    WITH given AS (
        SELECT DISTINCT ON (platform, platform_id) platform, platform_id, name
        FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS g(platform, platform_id, name, n)
        ORDER BY platform, platform_id, name = '', n DESC
    )
    INSERT INTO users (platform, platform_id, name) SELECT * FROM given ORDER BY platform, platform_id
    ON CONFLICT (platform, platform_id) DO UPDATE SET name = excluded.name
    WHERE excluded.name != '' AND excluded.name != users.name RETURNING *
"""


async def users(conn: asyncpg.Connection, calls: list[tuple[str, str, str]]) -> list[User]:
    """The user of each (platform, platform id, name), made if new, renamed if the name is new and not empty."""
    rows = await conn.fetch(UPSERT_USERS, [c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls])
    found = {(r["platform"], r["platform_id"]): r for r in rows}
    missing = list({(p, i) for p, i, _ in calls if (p, i) not in found})
    if missing:  # unchanged users, read in a statement of their own: it sees rows committed meanwhile
        for row in await conn.fetch(
            "SELECT u.* FROM users u JOIN unnest($1::text[], $2::text[]) AS k(platform, platform_id)"
            " ON u.platform = k.platform AND u.platform_id = k.platform_id",
            [m[0] for m in missing],
            [m[1] for m in missing],
        ):
            found[(row["platform"], row["platform_id"])] = row
    return [user_row(found[(p, i)]) for p, i, _ in calls]


async def user_by_id(conn: asyncpg.Connection, user_id: int) -> User | None:
    row = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    return user_row(row) if row else None


# The channel every process LISTENs on (bot/storage/postgres/listener.py): a schedule saved or switched
# off here is told to the others in the same statement, so it is sent exactly when the change commits.
SCHEDULES_CHANNEL = "studybot_schedules"


async def save_schedule(conn: asyncpg.Connection, s: Schedule) -> None:
    await conn.execute(
        "WITH saved AS (INSERT INTO schedules (channel_id, at, timezone, weekdays, exam, service, reveal_minutes,"
        " enabled, created_by, disabled_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)"
        " ON CONFLICT (channel_id) DO UPDATE SET at = excluded.at, timezone = excluded.timezone,"
        " weekdays = excluded.weekdays, exam = excluded.exam, service = excluded.service,"
        " reveal_minutes = excluded.reveal_minutes, enabled = excluded.enabled,"
        " created_by = excluded.created_by, disabled_reason = NULL RETURNING channel_id)"
        f" SELECT pg_notify('{SCHEDULES_CHANNEL}', channel_id::text) FROM saved",
        *schedule_values(s),
    )


async def disable_schedule(conn: asyncpg.Connection, channel_id: int, reason: str) -> bool:
    row = await conn.fetchrow(
        "WITH off AS (UPDATE schedules SET enabled = 0, disabled_reason = $1 WHERE channel_id = $2 AND enabled = 1"
        f" RETURNING channel_id) SELECT channel_id, pg_notify('{SCHEDULES_CHANNEL}', channel_id::text) FROM off",
        reason,
        channel_id,
    )
    return row is not None


async def schedule(conn: asyncpg.Connection, channel_id: int) -> Schedule | None:
    row = await conn.fetchrow("SELECT * FROM schedules WHERE channel_id = $1", channel_id)
    return schedule_row(row) if row else None


async def schedules(conn: asyncpg.Connection) -> list[Schedule]:
    rows = await conn.fetch("SELECT * FROM schedules WHERE enabled = 1 ORDER BY channel_id")
    return [schedule_row(r) for r in rows]


async def schedules_in(
    conn: asyncpg.Connection, platform: str, community_platform_id: str, channel_platform_id: str | None
) -> list[tuple[Community, Channel, Schedule]]:
    rows = await conn.fetch(
        "SELECT s.channel_id FROM schedules s JOIN channels ch ON ch.id = s.channel_id"
        " JOIN communities c ON c.id = ch.community_id"
        " WHERE s.enabled = 1 AND c.platform = $1 AND c.platform_id = $2 AND ($3::text IS NULL OR ch.platform_id = $3)"
        " ORDER BY s.channel_id",
        platform,
        community_platform_id,
        channel_platform_id,
    )
    found = []
    for row in rows:
        channel = await channel_by_id(conn, row["channel_id"])
        enabled = await schedule(conn, row["channel_id"])
        assert channel is not None and enabled is not None
        community = await community_by_id(conn, channel.community_id)
        assert community is not None
        found.append((community, channel, enabled))
    return found


async def pack_switches(conn: asyncpg.Connection, community_id: int) -> dict[str, bool]:
    rows = await conn.fetch(
        "SELECT pack, enabled FROM community_packs WHERE community_id = $1 ORDER BY pack", community_id
    )
    return {r["pack"]: bool(r["enabled"]) for r in rows}


async def switch_pack(
    conn: asyncpg.Connection, community_id: int, pack: str, enabled: bool, by_user: int | None, at: float
) -> None:
    await conn.execute(
        "INSERT INTO community_packs (community_id, pack, enabled, changed_by, changed_at)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (community_id, pack) DO UPDATE SET enabled = excluded.enabled,"
        " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        community_id,
        pack,
        int(enabled),
        by_user,
        at,
    )

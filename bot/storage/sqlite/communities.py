"""Communities (servers, workspaces), their channels, users and daily schedules."""

from __future__ import annotations

import sqlite3

from bot.models import Channel, Community, Schedule, User
from bot.storage.rows import channel_row, community_row, schedule_row, schedule_values, user_row


def ping(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1").fetchone()[0] == 1


def community(
    conn: sqlite3.Connection, platform: str, platform_id: str, name: str, locale: str, timezone: str
) -> Community:
    conn.execute(
        "INSERT INTO communities (platform, platform_id, name, locale, timezone) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (platform, platform_id) DO UPDATE SET name = excluded.name WHERE excluded.name != ''",
        (platform, platform_id, name, locale, timezone),
    )
    row = conn.execute(
        "SELECT * FROM communities WHERE platform = ? AND platform_id = ?", (platform, platform_id)
    ).fetchone()
    return community_row(row)


def community_by_id(conn: sqlite3.Connection, community_id: int) -> Community | None:
    row = conn.execute("SELECT * FROM communities WHERE id = ?", (community_id,)).fetchone()
    return community_row(row) if row else None


def update_community(conn: sqlite3.Connection, community_id: int, locale: str | None, timezone: str | None) -> None:
    conn.execute(
        "UPDATE communities SET locale = COALESCE(?, locale), timezone = COALESCE(?, timezone) WHERE id = ?",
        (locale, timezone, community_id),
    )


def channel(conn: sqlite3.Connection, community_id: int, platform_id: str, name: str) -> Channel:
    conn.execute(
        "INSERT INTO channels (community_id, platform_id, name) VALUES (?, ?, ?)"
        " ON CONFLICT (community_id, platform_id) DO UPDATE SET name = excluded.name"
        " WHERE excluded.name != ''",
        (community_id, platform_id, name),
    )
    row = conn.execute(
        "SELECT * FROM channels WHERE community_id = ? AND platform_id = ?", (community_id, platform_id)
    ).fetchone()
    return channel_row(row)


def channel_by_id(conn: sqlite3.Connection, channel_id: int) -> Channel | None:
    row = conn.execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
    return channel_row(row) if row else None


def channels(conn: sqlite3.Connection, community_id: int) -> list[Channel]:
    rows = conn.execute("SELECT * FROM channels WHERE community_id = ? ORDER BY id", (community_id,))
    return [channel_row(r) for r in rows]


def user(conn: sqlite3.Connection, platform: str, platform_id: str, name: str) -> User:
    conn.execute(
        "INSERT INTO users (platform, platform_id, name) VALUES (?, ?, ?)"
        " ON CONFLICT (platform, platform_id) DO UPDATE SET name = excluded.name"
        " WHERE excluded.name != '' AND excluded.name != users.name",
        (platform, platform_id, name),
    )
    row = conn.execute("SELECT * FROM users WHERE platform = ? AND platform_id = ?", (platform, platform_id)).fetchone()
    return user_row(row)


def user_by_id(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return user_row(row) if row else None


def save_schedule(conn: sqlite3.Connection, s: Schedule) -> None:
    conn.execute(
        "INSERT INTO schedules (channel_id, at, timezone, weekdays, exam, service, reveal_minutes, enabled,"
        " created_by, disabled_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
        " ON CONFLICT (channel_id) DO UPDATE SET at = excluded.at, timezone = excluded.timezone,"
        " weekdays = excluded.weekdays, exam = excluded.exam, service = excluded.service,"
        " reveal_minutes = excluded.reveal_minutes, enabled = excluded.enabled,"
        " created_by = excluded.created_by, disabled_reason = NULL",
        schedule_values(s),
    )


def disable_schedule(conn: sqlite3.Connection, channel_id: int, reason: str) -> bool:
    cur = conn.execute(
        "UPDATE schedules SET enabled = 0, disabled_reason = ? WHERE channel_id = ? AND enabled = 1",
        (reason, channel_id),
    )
    return cur.rowcount > 0


def schedule(conn: sqlite3.Connection, channel_id: int) -> Schedule | None:
    row = conn.execute("SELECT * FROM schedules WHERE channel_id = ?", (channel_id,)).fetchone()
    return schedule_row(row) if row else None


def schedules(conn: sqlite3.Connection) -> list[Schedule]:
    rows = conn.execute("SELECT * FROM schedules WHERE enabled = 1 ORDER BY channel_id")
    return [schedule_row(r) for r in rows]


def schedules_in(
    conn: sqlite3.Connection, platform: str, community_platform_id: str, channel_platform_id: str | None
) -> list[tuple[Community, Channel, Schedule]]:
    rows = conn.execute(
        "SELECT s.channel_id FROM schedules s JOIN channels ch ON ch.id = s.channel_id"
        " JOIN communities c ON c.id = ch.community_id"
        " WHERE s.enabled = 1 AND c.platform = ? AND c.platform_id = ? AND (? IS NULL OR ch.platform_id = ?)"
        " ORDER BY s.channel_id",
        (platform, community_platform_id, channel_platform_id, channel_platform_id),
    ).fetchall()
    found = []
    for row in rows:
        channel = channel_by_id(conn, row["channel_id"])
        enabled = schedule(conn, row["channel_id"])
        assert channel is not None and enabled is not None
        community = community_by_id(conn, channel.community_id)
        assert community is not None
        found.append((community, channel, enabled))
    return found


def pack_switches(conn: sqlite3.Connection, community_id: int) -> dict[str, bool]:
    rows = conn.execute(
        "SELECT pack, enabled FROM community_packs WHERE community_id = ? ORDER BY pack", (community_id,)
    )
    return {r["pack"]: bool(r["enabled"]) for r in rows}


def switch_pack(
    conn: sqlite3.Connection, community_id: int, pack: str, enabled: bool, by_user: int | None, at: float
) -> None:
    conn.execute(
        "INSERT INTO community_packs (community_id, pack, enabled, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (community_id, pack) DO UPDATE SET enabled = excluded.enabled,"
        " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        (community_id, pack, int(enabled), by_user, at),
    )

"""Slack installations (OAuth, adapters/slack/oauth.py): one row per workspace (or org-wide install)
with its bot token, and the OAuth states handed out by /slack/install, each good for one callback."""

from __future__ import annotations

import sqlite3


def save_slack_installation(
    conn: sqlite3.Connection, client_id: str, enterprise_id: str, team_id: str, org_wide: bool, data: str, at: float
) -> None:
    conn.execute(
        "INSERT INTO slack_installations (client_id, enterprise_id, team_id, is_enterprise_install, data, installed_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, enterprise_id, team_id) DO UPDATE SET"
        " is_enterprise_install = excluded.is_enterprise_install, data = excluded.data,"
        " installed_at = excluded.installed_at",
        (client_id, enterprise_id, team_id, int(org_wide), data, at),
    )


def slack_installation(
    conn: sqlite3.Connection, client_id: str, enterprise_id: str | None, team_id: str | None
) -> str | None:
    row = conn.execute(
        "SELECT data FROM slack_installations WHERE client_id = ? AND team_id = ? AND (? IS NULL OR enterprise_id = ?)"
        " ORDER BY installed_at DESC LIMIT 1",
        (client_id, team_id or "", enterprise_id, enterprise_id or ""),
    ).fetchone()
    return row["data"] if row else None


def delete_slack_installation(
    conn: sqlite3.Connection, client_id: str, enterprise_id: str | None, team_id: str | None
) -> int:
    cur = conn.execute(
        "DELETE FROM slack_installations WHERE client_id = ? AND team_id = ? AND (? IS NULL OR enterprise_id = ?)",
        (client_id, team_id or "", enterprise_id, enterprise_id or ""),
    )
    return cur.rowcount


def issue_oauth_state(conn: sqlite3.Connection, state: str, expires_at: float, now: float) -> None:
    conn.execute("DELETE FROM slack_oauth_states WHERE expires_at <= ?", (now,))  # the old ones go as new come
    conn.execute("INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)", (state, expires_at))


def consume_oauth_state(conn: sqlite3.Connection, state: str, now: float) -> bool:
    row = conn.execute("DELETE FROM slack_oauth_states WHERE state = ? RETURNING expires_at", (state,)).fetchone()
    return row is not None and row["expires_at"] > now

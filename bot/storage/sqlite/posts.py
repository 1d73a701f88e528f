"""Posts: the daily question's life cycle (claimed, sent, revealed) and practice questions."""

from __future__ import annotations

import sqlite3

from bot.models import Post, PostResults, PostStatus
from bot.storage.rows import post_row

SENT = (PostStatus.OPEN.value, PostStatus.CLOSED.value)


def claim_daily_post(
    conn: sqlite3.Connection,
    community_id: int,
    channel_id: int,
    question_id: str,
    question: str,
    local_date: str,
    at: float,
    token: str,
) -> Post | None:
    cur = conn.execute(
        "INSERT INTO posts (kind, community_id, channel_id, question_id, question, local_date, posted_at, status,"
        " claimed_at, claim_token) VALUES ('daily', ?, ?, ?, ?, ?, ?, 'claimed', ?, ?) ON CONFLICT DO NOTHING",
        (community_id, channel_id, question_id, question, local_date, at, at, token),
    )
    if cur.rowcount == 0:
        return None
    row = conn.execute("SELECT * FROM posts WHERE id = ?", (cur.lastrowid,)).fetchone()
    return post_row(row)


def create_practice_post(
    conn: sqlite3.Connection, community_id: int, owner_id: int, question_id: str, question: str, at: float
) -> Post:
    cur = conn.execute(
        "INSERT INTO posts (kind, community_id, owner_id, question_id, question, posted_at, status)"
        " VALUES ('practice', ?, ?, ?, ?, ?, 'open')",
        (community_id, owner_id, question_id, question, at),
    )
    row = conn.execute("SELECT * FROM posts WHERE id = ?", (cur.lastrowid,)).fetchone()
    return post_row(row)


def mark_post_sent(conn: sqlite3.Connection, post_id: int, message_ref: str, reveal_at: float | None) -> None:
    conn.execute(
        "UPDATE posts SET status = 'open', message_ref = ?, reveal_at = ?, claim_token = NULL, error = NULL"
        " WHERE id = ? AND status = 'claimed'",
        (message_ref, reveal_at, post_id),
    )


def mark_post_failed(conn: sqlite3.Connection, post_id: int, error: str) -> None:
    conn.execute("UPDATE posts SET status = 'failed', error = ? WHERE id = ?", (error[:500], post_id))


def postpone_post(
    conn: sqlite3.Connection, post_id: int, retry_at: float, error: str, lease: float, tried: bool = True
) -> None:
    # The lease is let go so that it runs out at retry_at; whoever then takes it over asks first. A post
    # handed on untried (not this process's platform or shard) keeps its count of tries.
    conn.execute(
        "UPDATE posts SET claim_token = NULL, claimed_at = ?, attempts = attempts + ?, error = ?"
        " WHERE id = ? AND status = 'claimed'",
        (retry_at - lease, int(tried), error[:500], post_id),
    )


def renew_claims(conn: sqlite3.Connection, token: str, now: float) -> int:
    cur = conn.execute("UPDATE posts SET claimed_at = ? WHERE claim_token = ? AND status = 'claimed'", (now, token))
    return cur.rowcount


def take_over_claims(conn: sqlite3.Connection, token: str, now: float, limit: int, lease: float) -> list[Post]:
    rows = conn.execute(
        "UPDATE posts SET claim_token = ?, claimed_at = ? WHERE id IN (SELECT id FROM posts"
        " WHERE status = 'claimed' AND claimed_at <= ? ORDER BY claimed_at LIMIT ?) RETURNING *",
        (token, now, now - lease, limit),
    ).fetchall()
    return sorted((post_row(r) for r in rows), key=lambda p: p.id)


def due_reveals(conn: sqlite3.Connection, now: float, limit: int) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM posts WHERE status = 'open' AND kind = 'daily' AND reveal_at <= ? ORDER BY reveal_at LIMIT ?",
        (now, limit),
    )
    return [r[0] for r in rows]


def take_over_reveals(conn: sqlite3.Connection, now: float, limit: int, lease: float) -> list[int]:
    rows = conn.execute(
        "UPDATE posts SET reveal_claimed_at = ? WHERE id IN (SELECT id FROM posts WHERE status = 'closed'"
        " AND revealed_at IS NULL AND reveal_error IS NULL AND COALESCE(reveal_claimed_at, 0) <= ? LIMIT ?)"
        " RETURNING id",
        (now, now - lease, limit),
    ).fetchall()
    return sorted(r[0] for r in rows)


def renew_reveal(conn: sqlite3.Connection, post_id: int, now: float) -> None:
    conn.execute("UPDATE posts SET reveal_claimed_at = ? WHERE id = ? AND status = 'closed'", (now, post_id))


def post(conn: sqlite3.Connection, post_id: int) -> Post | None:
    row = conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
    return post_row(row) if row else None


def daily_post_on(conn: sqlite3.Connection, channel_id: int, local_date: str) -> Post | None:
    row = conn.execute(
        "SELECT * FROM posts WHERE kind = 'daily' AND channel_id = ? AND local_date = ?",
        (channel_id, local_date),
    ).fetchone()
    return post_row(row) if row else None


def open_daily_posts(conn: sqlite3.Connection) -> list[Post]:
    rows = conn.execute("SELECT * FROM posts WHERE kind = 'daily' AND status = 'open' ORDER BY id")
    return [post_row(r) for r in rows]


def mark_revealed(conn: sqlite3.Connection, post_id: int, at: float) -> None:
    conn.execute(
        "UPDATE posts SET revealed_at = ?, reveal_error = NULL WHERE id = ? AND status = 'closed'", (at, post_id)
    )


def mark_reveal_failed(conn: sqlite3.Connection, post_id: int, reason: str) -> None:
    conn.execute(
        "UPDATE posts SET reveal_error = ? WHERE id = ? AND status = 'closed' AND revealed_at IS NULL",
        (reason[:500], post_id),
    )


def close_post(conn: sqlite3.Connection, post_id: int, now: float) -> bool:
    cur = conn.execute(
        "UPDATE posts SET status = 'closed', reveal_claimed_at = ? WHERE id = ? AND status = 'open'", (now, post_id)
    )
    return cur.rowcount > 0


def post_results(conn: sqlite3.Connection, post_id: int) -> PostResults:
    by_choice: dict[str, int] = {}
    answered = correct = 0
    for row in conn.execute(
        "SELECT choices, COUNT(*) AS n, SUM(correct) AS ok FROM answers WHERE post_id = ? GROUP BY choices",
        (post_id,),
    ):
        answered += row["n"]
        correct += row["ok"]
        for choice in row["choices"].split(","):
            by_choice[choice] = by_choice.get(choice, 0) + row["n"]
    return PostResults(answered, correct, by_choice)


def channel_question_history(conn: sqlite3.Connection, channel_id: int) -> dict[str, float]:
    rows = conn.execute(
        "SELECT question_id, MAX(posted_at) AS last FROM posts WHERE channel_id = ? AND kind = 'daily'"
        " AND status IN ('open', 'closed') GROUP BY question_id",
        (channel_id,),
    )
    return {r["question_id"]: r["last"] for r in rows}

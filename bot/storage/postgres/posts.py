"""Posts in PostgreSQL: the statements of sqlite/posts.py. Every claim is one statement that several
processes may run at once: an insert against the unique index, or an UPDATE whose rows were picked with
FOR UPDATE SKIP LOCKED (re-checked under the row lock), so exactly one process gets each row."""

from __future__ import annotations

import asyncpg

from bot.models import Post, PostResults
from bot.storage.postgres.answer_batch import POST_LOCKS
from bot.storage.rows import post_row


async def claim_daily_post(
    conn: asyncpg.Connection,
    community_id: int,
    channel_id: int,
    question_id: str,
    question: str,
    local_date: str,
    at: float,
    token: str,
) -> Post | None:
    row = await conn.fetchrow(
        "INSERT INTO posts (kind, community_id, channel_id, question_id, question, local_date, posted_at, status,"
        " claimed_at, claim_token) VALUES ('daily', $1, $2, $3, $4, $5, $6, 'claimed', $6, $7)"
        " ON CONFLICT DO NOTHING RETURNING *",
        community_id,
        channel_id,
        question_id,
        question,
        local_date,
        at,
        token,
    )
    return post_row(row) if row else None


async def create_practice_post(
    conn: asyncpg.Connection, community_id: int, owner_id: int, question_id: str, question: str, at: float
) -> Post:
    row = await conn.fetchrow(
        "INSERT INTO posts (kind, community_id, owner_id, question_id, question, posted_at, status)"
        " VALUES ('practice', $1, $2, $3, $4, $5, 'open') RETURNING *",
        community_id,
        owner_id,
        question_id,
        question,
        at,
    )
    return post_row(row)


async def mark_post_sent(conn: asyncpg.Connection, post_id: int, message_ref: str, reveal_at: float | None) -> None:
    await conn.execute(
        "UPDATE posts SET status = 'open', message_ref = $1, reveal_at = $2, claim_token = NULL, error = NULL"
        " WHERE id = $3 AND status = 'claimed'",
        message_ref,
        reveal_at,
        post_id,
    )


async def mark_post_failed(conn: asyncpg.Connection, post_id: int, error: str) -> None:
    await conn.execute("UPDATE posts SET status = 'failed', error = $1 WHERE id = $2", error[:500], post_id)


async def postpone_post(
    conn: asyncpg.Connection, post_id: int, retry_at: float, error: str, lease: float, tried: bool = True
) -> None:
    await conn.execute(
        "UPDATE posts SET claim_token = NULL, claimed_at = $1, attempts = attempts + $4, error = $2"
        " WHERE id = $3 AND status = 'claimed'",
        retry_at - lease,
        error[:500],
        post_id,
        int(tried),
    )


async def renew_claims(conn: asyncpg.Connection, token: str, now: float) -> int:
    rows = await conn.fetch(
        "UPDATE posts SET claimed_at = $1 WHERE claim_token = $2 AND status = 'claimed' RETURNING id", now, token
    )
    return len(rows)


async def take_over_claims(conn: asyncpg.Connection, token: str, now: float, limit: int, lease: float) -> list[Post]:
    rows = await conn.fetch(
        "UPDATE posts SET claim_token = $1, claimed_at = $2 WHERE id IN (SELECT id FROM posts"
        " WHERE status = 'claimed' AND claimed_at <= $3 ORDER BY claimed_at LIMIT $4 FOR UPDATE SKIP LOCKED)"
        " RETURNING *",
        token,
        now,
        now - lease,
        limit,
    )
    return sorted((post_row(r) for r in rows), key=lambda p: p.id)


async def due_reveals(conn: asyncpg.Connection, now: float, limit: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM posts WHERE status = 'open' AND kind = 'daily' AND reveal_at <= $1 ORDER BY reveal_at LIMIT $2",
        now,
        limit,
    )
    return [r[0] for r in rows]


async def take_over_reveals(conn: asyncpg.Connection, now: float, limit: int, lease: float) -> list[int]:
    rows = await conn.fetch(
        "UPDATE posts SET reveal_claimed_at = $1 WHERE id IN (SELECT id FROM posts WHERE status = 'closed'"
        " AND revealed_at IS NULL AND reveal_error IS NULL AND COALESCE(reveal_claimed_at, 0) <= $2 LIMIT $3"
        " FOR UPDATE SKIP LOCKED) RETURNING id",
        now,
        now - lease,
        limit,
    )
    return sorted(r[0] for r in rows)


async def renew_reveal(conn: asyncpg.Connection, post_id: int, now: float) -> None:
    await conn.execute("UPDATE posts SET reveal_claimed_at = $1 WHERE id = $2 AND status = 'closed'", now, post_id)


async def post(conn: asyncpg.Connection, post_id: int) -> Post | None:
    row = await conn.fetchrow("SELECT * FROM posts WHERE id = $1", post_id)
    return post_row(row) if row else None


async def daily_post_on(conn: asyncpg.Connection, channel_id: int, local_date: str) -> Post | None:
    row = await conn.fetchrow(
        "SELECT * FROM posts WHERE kind = 'daily' AND channel_id = $1 AND local_date = $2", channel_id, local_date
    )
    return post_row(row) if row else None


async def open_daily_posts(conn: asyncpg.Connection) -> list[Post]:
    rows = await conn.fetch("SELECT * FROM posts WHERE kind = 'daily' AND status = 'open' ORDER BY id")
    return [post_row(r) for r in rows]


async def mark_revealed(conn: asyncpg.Connection, post_id: int, at: float) -> None:
    await conn.execute(
        "UPDATE posts SET revealed_at = $1, reveal_error = NULL WHERE id = $2 AND status = 'closed'", at, post_id
    )


async def mark_reveal_failed(conn: asyncpg.Connection, post_id: int, reason: str) -> None:
    await conn.execute(
        "UPDATE posts SET reveal_error = $1 WHERE id = $2 AND status = 'closed' AND revealed_at IS NULL",
        reason[:500],
        post_id,
    )


async def close_post(conn: asyncpg.Connection, post_id: int, now: float) -> bool:
    async with conn.transaction():
        # Waits for the answers under way (they hold the post's lock shared: answer_batch.py).
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", POST_LOCKS, post_id)
        row = await conn.fetchrow(
            "UPDATE posts SET status = 'closed', reveal_claimed_at = $1 WHERE id = $2 AND status = 'open' RETURNING id",
            now,
            post_id,
        )
    return row is not None


async def post_results(conn: asyncpg.Connection, post_id: int) -> PostResults:
    by_choice: dict[str, int] = {}
    answered = correct = 0
    for row in await conn.fetch(
        "SELECT choices, COUNT(*) AS n, SUM(correct) AS ok FROM answers WHERE post_id = $1 GROUP BY choices",
        post_id,
    ):
        answered += row["n"]
        correct += row["ok"]
        for choice in row["choices"].split(","):
            by_choice[choice] = by_choice.get(choice, 0) + row["n"]
    return PostResults(answered, correct, by_choice)


async def channel_question_history(conn: asyncpg.Connection, channel_id: int) -> dict[str, float]:
    rows = await conn.fetch(
        "SELECT question_id, MAX(posted_at) AS last FROM posts WHERE channel_id = $1 AND kind = 'daily'"
        " AND status IN ('open', 'closed') GROUP BY question_id",
        channel_id,
    )
    return {r["question_id"]: r["last"] for r in rows}

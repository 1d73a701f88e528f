"""PostgreSQL records each stored answer's review inside its answer batch (bot/storage/postgres/
review_batch.py): set-based whatever the batch's size, and never a card overwritten from a stale version
by a concurrent batch, in this process or another. (tests/test_reviews.py checks, on both backends, that
the reviews are the library's.)"""

from __future__ import annotations

import asyncio
import json

import asyncpg
from fsrs import Card

from bot.memory import review
from bot.models import AnswerRequest, AnswerStatus
from bot.storage import open_storage
from bot.storage.postgres import answer_batch, schema
from tests.test_postgres_batches import request, setup

TIMEOUT = 60


async def statements_of_a_batch(conn: asyncpg.Connection, requests: list[AnswerRequest], reviews: bool = True) -> int:
    """How many statements one batch sends to the server (asyncpg's query logger), its answers all stored."""
    sent: list[str] = []

    def logged(record: asyncpg.connection.LoggedQuery) -> None:
        sent.append(record.query)

    conn.add_query_logger(logged)
    try:
        outcomes = await answer_batch.record_answers(conn, requests, reviews)
    finally:
        conn.remove_query_logger(logged)
    assert {o.status for o in outcomes} == {AnswerStatus.RECORDED}
    return len(sent)


async def waiting_for_a_lock(admin: asyncpg.Connection, table: str) -> None:
    """Until a statement on `table` waits for a lock another transaction holds."""
    query = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1"
    for _ in range(1000):
        if await admin.fetchval(query, f"%{table}%"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no statement on {table} waited for a lock")


async def test_a_batchs_reviews_take_the_same_statements_for_one_answer_and_for_two_hundred(postgres_url):
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    try:
        days = ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26")
        _, people, posts = await setup(storage, 202, days)
        conn = await asyncpg.connect(postgres_url)
        try:
            await statements_of_a_batch(conn, [request(posts[0], people[0])])  # asyncpg learns the types
            alone = await statements_of_a_batch(conn, [request(posts[1], people[1])])
            many = await statements_of_a_batch(conn, [request(posts[2], u) for u in people[2:]])
            baseline = await statements_of_a_batch(conn, [request(posts[3], u) for u in people[2:]], False)
        finally:
            await conn.close()
        assert alone == many == baseline + 2  # the cards read, the cards and logs written
        assert await admin.fetchval("SELECT COUNT(*) FROM review_cards") == 202
        assert await admin.fetchval("SELECT COUNT(*) FROM review_logs") == 202  # none from the baseline
        assert await admin.fetchval("SELECT COUNT(*) FROM answers") == 2 + 2 * 200
        # The logs' answer ids are the answers' own, and a new card takes its first answer's id (as on SQLite).
        assert (
            await admin.fetchval(
                "SELECT COUNT(*) FROM review_logs l JOIN answers a ON a.id = l.answer_id AND a.user_id = l.user_id"
            )
            == 202
        )
        assert (
            await admin.fetchval(
                "SELECT COUNT(*) FROM review_cards c WHERE c.card_id = (SELECT MIN(a.id) FROM answers a"
                " WHERE a.user_id = c.user_id)"
            )
            == 202
        )
    finally:
        await admin.close()
        await storage.close()


async def test_a_first_review_committed_meanwhile_by_another_transaction_is_built_on_not_overwritten(postgres_url):
    """The card does not exist when the batch reads it; another transaction inserts it and holds it
    uncommitted while the batch writes, then commits: the batch's card insert finds it, and the batch's
    review is computed again on top of it (reps 2, the other's card id) instead of being lost or
    replacing it."""
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    other = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            community, [user], [post] = await setup(storage, 1)
            first = review(None, 999_999, True, 1200.0, 0, 0.9)
            tx = other.transaction()
            await tx.start()
            await other.execute(
                "INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability,"
                " difficulty, last_review, reps, data) VALUES ($1, $2, 'q1', $3, $4, $5, $6, $7, $8, 1, $9)",
                user.id,
                community.id,
                first.card_id,
                first.state,
                first.due,
                first.stability,
                first.difficulty,
                first.last_review,
                first.data,
            )
            answering = asyncio.create_task(storage.record_answer(request(post, user, ("b",), False)))
            await waiting_for_a_lock(admin, "review_cards")  # the batch waits for the other's card
            await tx.commit()
            assert (await answering).status == AnswerStatus.RECORDED
            card = await admin.fetchrow("SELECT * FROM review_cards WHERE user_id = $1", user.id)
            assert (card["reps"], card["card_id"]) == (2, 999_999)
            expected = review(first.data, 1, False, 1500.0, 500_000, 0.9)  # the answer, on top of the other's card
            assert Card.from_json(card["data"]).stability == Card.from_json(expected.data).stability
            assert json.loads(card["data"])["card_id"] == 999_999
            logs = await admin.fetch("SELECT card_id, rating FROM review_logs WHERE user_id = $1", user.id)
            assert [(r["card_id"], r["rating"]) for r in logs] == [(999_999, 1)]
    finally:
        await other.close()
        await admin.close()
        await storage.close()


async def test_two_processes_reviewing_the_same_learners_cards_at_once_lose_no_review(postgres_url):
    """Each of 40 learners answers two practice posts of one question at the same moment, one through
    each of two processes' storages, four times over (new cards, then stored ones): every review counts,
    each card built on the other's (reps 2, 4, 6, 8), one card id per learner."""
    storages = [await open_storage(postgres_url) for _ in range(2)]
    admin = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            community, people, _ = await setup(storages[0], 40)
            for round_, at in enumerate(2000.0 + day * 86400 for day in (0, 2, 5, 10)):
                posts = {
                    (u.id, s): await storages[0].create_practice_post(community.id, u.id, "q1", "{}", at - 60)
                    for u in people
                    for s in range(2)
                }
                clicks = [
                    storages[s].record_answer(
                        AnswerRequest(posts[(u.id, s)].id, u.id, ("a",), s == 0, at + s, "m2026-11", "w2026-W48")
                    )
                    for u in people
                    for s in range(2)
                ]
                outcomes = await asyncio.gather(*clicks)
                assert {o.status for o in outcomes} == {AnswerStatus.RECORDED}
                rows = await admin.fetch(
                    "SELECT c.reps, c.card_id, COUNT(l.*) AS logs, COUNT(DISTINCT l.card_id) AS ids,"
                    " MIN(l.card_id) AS logged_id FROM review_cards c JOIN review_logs l USING (user_id, question_id)"
                    " GROUP BY c.user_id, c.reps, c.card_id"
                )
                assert len(rows) == 40
                for r in rows:
                    assert (r["reps"], r["logs"], r["ids"], r["logged_id"]) == (
                        2 * round_ + 2,
                        2 * round_ + 2,
                        1,
                        r["card_id"],
                    )
    finally:
        await admin.close()
        for storage in storages:
            await storage.close()


async def test_a_database_from_before_both_migrations_gains_the_board_index_then_the_reviews(postgres_url):
    """Schema 2 (before the leaderboard index and the reviews) migrates in order, its communities on
    the default retention, its answers kept."""
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2)"
        )
        for script in schema.MIGRATIONS[:2]:
            await conn.execute(script)
        await conn.execute(
            "INSERT INTO communities (platform, platform_id, name, locale, timezone) VALUES ('x', 'g', '', 'ja', 'UTC')"
        )
    finally:
        await conn.close()
    storage = await open_storage(postgres_url)
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT version FROM schema_version") == len(schema.MIGRATIONS)
        assert await conn.fetchval("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'scores_board'") == 1
        community = await storage.community_by_id(1)
        assert community is not None and community.desired_retention == 0.9
        assert await storage.review_cards(1, 1) == []
    finally:
        await conn.close()
        await storage.close()

"""PostgreSQL applies each stored answer's review by a fold from a queue (bot/storage/postgres/
review_fold.py): the answer batch only queues it, in the statement that stores the answer; the fold is
set-based whatever its size, exactly once through crashes, one at a time across processes, and every
read of cards or logs applies its learners' queued reviews first. (tests/test_reviews.py checks, on
both backends, that the reviews are the library's.)"""

from __future__ import annotations

import asyncio
import json

import asyncpg
from fsrs import Card

from bot.memory import CardUpdate, review
from bot.models import AnswerRequest, AnswerStatus
from bot.storage import open_storage
from bot.storage.postgres import answer_batch, review_fold, reviews, schema
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


async def insert_a_reviewed_card(conn: asyncpg.Connection, user_id: int, community_id: int) -> CardUpdate:
    """A card of question q1 first reviewed by another writer (card id 999,999), in conn's transaction."""
    first = review(None, 999_999, True, 1200.0, 0, 0.9)
    await conn.execute(
        "INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability,"
        " difficulty, last_review, reps, data) VALUES ($1, $2, 'q1', $3, $4, $5, $6, $7, $8, 1, $9)",
        user_id,
        community_id,
        first.card_id,
        first.state,
        first.due,
        first.stability,
        first.difficulty,
        first.last_review,
        first.data,
    )
    return first


async def queued(admin: asyncpg.Connection) -> int:
    return await admin.fetchval("SELECT COUNT(*) FROM review_queue")


async def test_reviews_cost_a_batch_no_statement_and_a_fold_the_same_few_for_one_answer_or_two_hundred(
    postgres_url,
):
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
            assert alone == many == baseline  # the queue row is written by the statement storing the answer
            assert await queued(admin) == 202  # none from the baseline
            assert await admin.fetchval("SELECT COUNT(*) FROM review_cards") == 0

            async def statements_of_a_fold(limit: int) -> int:
                sent: list[str] = []

                def logged(record: asyncpg.connection.LoggedQuery) -> None:
                    sent.append(record.query)

                conn.add_query_logger(logged)
                try:
                    await review_fold.fold(conn, limit)
                finally:
                    conn.remove_query_logger(logged)
                return len(sent)

            await statements_of_a_fold(1)  # asyncpg learns the types
            one = await statements_of_a_fold(1)
            rest = await statements_of_a_fold(1000)
        finally:
            await conn.close()
        assert one == rest == 6, (
            one,
            rest,
        )  # begin, lock, queue read, cards read, cards and logs written, queue emptied
        assert await queued(admin) == 0
        assert await admin.fetchval("SELECT COUNT(*) FROM review_cards") == 202
        assert await admin.fetchval("SELECT COUNT(*) FROM review_logs") == 202
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
    """The card does not exist when the fold reads it; another transaction inserts it and holds it
    uncommitted while the fold writes, then commits: the fold's card insert finds it, and the review is
    computed again on top of it (reps 2, the other's card id) instead of being lost or replacing it.
    (Nothing but the fold writes cards, one fold at a time; this keeps a card whole all the same.)"""
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    other = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            community, [user], [post] = await setup(storage, 1)
            tx = other.transaction()
            await tx.start()
            first = await insert_a_reviewed_card(other, user.id, community.id)
            assert (await storage.record_answer(request(post, user, ("b",), False))).status == AnswerStatus.RECORDED
            await waiting_for_a_lock(admin, "review_cards")  # the background fold waits for the other's card
            await tx.commit()
            await storage.settle()
            assert await queued(admin) == 0
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
    each of two processes' storages, four times over (new cards, then stored ones), and both processes
    fold: every review counts once, each card built on the other's (reps 2, 4, 6, 8), one card id per
    learner."""
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
                for storage in storages:
                    await storage.settle()  # each process's background fold done (or left to the other's)
                assert await queued(admin) == 0
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


async def test_a_read_applies_its_learners_queued_reviews_first_and_leaves_the_others_queued(postgres_url):
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    conn = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            community, people, [post] = await setup(storage, 3)
            # Straight through the batch (no store, so no background fold): three reviews queued.
            await answer_batch.record_answers(conn, [request(post, u) for u in people])
            assert await queued(admin) == 3
            cards = await reviews.review_cards(conn, people[0].id, community.id, None)
            assert [c.question_id for c in cards] == ["q1"]
            assert await queued(admin) == 2
            assert await reviews.due_review_count(conn, people[1].id, community.id, 10**12) == 1
            assert [r.answer_id for r in await reviews.review_logs(conn, people[2].id, community.id)] == [
                await admin.fetchval("SELECT id FROM answers WHERE user_id = $1", people[2].id)
            ]
            assert await queued(admin) == 0
    finally:
        await conn.close()
        await admin.close()
        await storage.close()


async def test_one_fold_at_a_time_across_processes_and_a_waiting_read_gets_the_rest(postgres_url):
    """While a fold holds the lock, a background fold (which only tries it) steps aside, and a read
    waits for it, then applies what is still queued."""
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    holder = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            community, people, [post] = await setup(storage, 2)
            tx = holder.transaction()
            await tx.start()
            await holder.execute("SELECT pg_advisory_xact_lock($1::bigint)", review_fold.FOLD_LOCK)
            for u in people:  # each batch starts the store's background fold
                assert (await storage.record_answer(request(post, u))).status == AnswerStatus.RECORDED
            assert await review_fold.fold(admin, 100, wait=False) is None
            reading = asyncio.create_task(storage.review_cards(people[0].id, community.id))
            await asyncio.sleep(0.3)
            assert not reading.done()  # waiting for the fold that holds the lock
            assert await queued(admin) == 2  # the background fold stepped aside
            await tx.rollback()
            assert len(await reading) == 1
            await storage.settle()  # the background fold tried again and applied the other learner's
            assert await queued(admin) == 0
            assert await admin.fetchval("SELECT COUNT(*) FROM review_logs") == 2
    finally:
        await holder.close()
        await admin.close()
        await storage.close()


async def test_a_fold_cut_off_mid_step_loses_no_review_and_applies_none_twice(postgres_url):
    """The fold's connection is killed by the server while it holds the lock and its cards are written
    but not committed: nothing of that step stays, every review is still queued, and the next fold
    applies each once."""
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    victim = await asyncpg.connect(postgres_url)
    blocker = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            community, people, [post] = await setup(storage, 50)
            await answer_batch.record_answers(admin, [request(post, u) for u in people])
            # A stored card of the last learner, locked by another transaction: the fold stops there.
            btx = blocker.transaction()
            await btx.start()
            await insert_a_reviewed_card(blocker, people[-1].id, community.id)
            folding = asyncio.create_task(review_fold.fold(victim, 100))
            await waiting_for_a_lock(admin, "review_cards")
            pid = victim.get_server_pid()
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            try:
                await folding
                raise AssertionError("the fold's connection was killed, yet it returned")
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                pass
            await btx.rollback()
            assert await queued(admin) == 50
            assert await admin.fetchval("SELECT COUNT(*) FROM review_logs") == 0
            assert await admin.fetchval("SELECT COUNT(*) FROM review_cards") == 0
            await review_fold.fold_all(admin)
            assert await queued(admin) == 0
            assert await admin.fetchval("SELECT COUNT(*) FROM review_logs") == 50
            assert await admin.fetchval("SELECT COUNT(DISTINCT answer_id) FROM review_logs") == 50
            assert await admin.fetchval("SELECT COUNT(*) FROM review_cards WHERE reps = 1") == 50
    finally:
        await blocker.close()
        await victim.close()
        await admin.close()
        await storage.close()


async def test_reviews_a_process_left_queued_are_applied_when_the_next_one_opens(postgres_url):
    """The queue outlives its process: answers acknowledged and queued, the process gone before any
    fold (its connections dropped, no close); the next process to open the database applies them."""
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    try:
        async with asyncio.timeout(TIMEOUT):
            _, people, [post] = await setup(storage, 30)
            await storage.close()
            conn = await asyncpg.connect(postgres_url)
            await answer_batch.record_answers(conn, [request(post, u) for u in people])
            conn.terminate()  # as a killed process's socket
            assert await queued(admin) == 30
            storage = await open_storage(postgres_url)
            await storage.settle()
            assert await queued(admin) == 0
            assert await admin.fetchval("SELECT COUNT(*) FROM review_logs") == 30
    finally:
        await admin.close()
        await storage.close()

"""PostgreSQL records answers in batches (bot/storage/postgres/batcher.py, answer_batch.py): answers
arriving together share one transaction. Each answer must still get its own honest outcome: a double
click in the same batch is a duplicate, an answer the server refuses fails alone, and when the server
goes away mid-batch no answer of the batch is acknowledged and none is stored."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from bot.models import AnswerRequest, AnswerStatus
from bot.storage import open_storage
from bot.storage.postgres.batcher import Batcher
from tests.postgres_server import start_server

DAYS = ("2026-11-23", "2026-11-24", "2026-11-25")


async def setup(storage, users: int, days=DAYS[:1]):
    """A community, a channel, `users` users and an open daily post per day."""
    community = await storage.community("test", "g1", "", "ja", "Asia/Tokyo")
    channel = await storage.channel(community.id, "c1")
    people = [await storage.user("test", f"u{i}", f"U{i}") for i in range(users)]
    posts = []
    for day in days:
        post = await storage.claim_daily_post(community.id, channel.id, "q1", "{}", day, 1000.0, "t")
        await storage.mark_post_sent(post.id, f"m{post.id}", None)
        posts.append(post)
    return community, people, posts


def request(post, user, choices=("a",), correct=True) -> AnswerRequest:
    return AnswerRequest(post.id, user.id, choices, correct, 1500.0, "m2026-11", "w2026-W48")


async def test_double_clicks_in_one_batch_store_one_answer_and_the_rest_are_told(postgres_url):
    storage = await open_storage(postgres_url)
    try:
        community, people, [post] = await setup(storage, 20)
        clicks = [request(post, u, ("a",), True) for u in people]
        clicks += [request(post, u, ("b",), False) for u in people[:10]]  # second clicks, other choice
        clicks += [request(post, people[0], ("c",), False)]  # and a third
        outcomes = await asyncio.wait_for(asyncio.gather(*(storage.record_answer(r) for r in clicks)), 30)
        assert [o.status for o in outcomes[:20]] == [AnswerStatus.RECORDED] * 20
        assert all(o.points == 10 and o.streak == 1 for o in outcomes[:20])
        for o in outcomes[20:]:  # each told it answered already, with the answer that stands
            assert (o.status, o.choices, o.correct, o.points) == (AnswerStatus.ALREADY, ("a",), True, 10)
        assert (await storage.post_results(post.id)).answered == 20
        board = await storage.leaderboard(community.id, None, "all", limit=50)
        assert len(board) == 20 and all((r.answered, r.points, r.streak) == (1, 10, 1) for r in board)
        # And the same clicks again, now against stored answers: nothing more is stored.
        again = await asyncio.wait_for(asyncio.gather(*(storage.record_answer(r) for r in clicks)), 30)
        assert {o.status for o in again} == {AnswerStatus.ALREADY}
        assert (await storage.post_results(post.id)).answered == 20
    finally:
        await storage.close()


async def test_double_clicks_in_batches_of_two_processes_store_one_answer_each(postgres_url):
    """The same clicks reach two processes at once (a retried delivery): each process batches them, the
    streak locks order the two transactions, and each user has one answer, counted once."""
    storages = [await open_storage(postgres_url) for _ in range(2)]
    try:
        community, people, [post] = await setup(storages[0], 50)
        clicks = [request(post, u) for u in people]
        outcomes = await asyncio.wait_for(asyncio.gather(*(s.record_answer(r) for r in clicks for s in storages)), 30)
        for user, pair in zip(people, zip(outcomes[::2], outcomes[1::2], strict=True), strict=True):
            assert sorted(o.status for o in pair) == [AnswerStatus.ALREADY, AnswerStatus.RECORDED], user
        assert (await storages[0].post_results(post.id)).answered == 50
        board = await storages[1].leaderboard(community.id, None, "all", limit=100)
        assert len(board) == 50 and {(r.answered, r.points) for r in board} == {(1, 10)}
    finally:
        for storage in storages:
            await storage.close()


async def test_one_users_answers_to_three_days_in_one_batch_step_the_streak(postgres_url):
    """The streak is stepped answer by answer inside the batch, as if they came one after another."""
    storage = await open_storage(postgres_url)
    try:
        community, [user], posts = await setup(storage, 1, DAYS)
        outcomes = await asyncio.wait_for(asyncio.gather(*(storage.record_answer(request(p, user)) for p in posts)), 30)
        assert [(o.status, o.streak, o.points) for o in outcomes] == [
            (AnswerStatus.RECORDED, 1, 10),
            (AnswerStatus.RECORDED, 2, 11),
            (AnswerStatus.RECORDED, 3, 12),
        ]
        streak = await storage.streak(community.id, user.id)
        assert (streak.current, streak.best, streak.last_day) == (3, 3, DAYS[-1])
        [row] = await storage.leaderboard(community.id, None, "all")
        assert (row.answered, row.points) == (3, 33)
    finally:
        await storage.close()


async def test_an_answer_the_server_refuses_fails_alone_and_its_batch_is_stored(postgres_url, caplog):
    storage = await open_storage(postgres_url)
    admin = await asyncpg.connect(postgres_url)
    try:
        _, people, [post] = await setup(storage, 40)
        victim = people[17]
        await admin.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN IF NEW.user_id = {victim.id} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;"
            " CREATE TRIGGER refuse BEFORE INSERT ON answers FOR EACH ROW EXECUTE FUNCTION refuse();"
        )
        with caplog.at_level(logging.WARNING, "studybot.storage"):
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(storage.record_answer(request(post, u)) for u in people), return_exceptions=True),
                30,
            )
        assert "a batch of 40 calls failed" in caplog.text  # they were one batch, split to find the culprit
        assert isinstance(outcomes[17], asyncpg.RaiseError)
        assert all(o.status == AnswerStatus.RECORDED for i, o in enumerate(outcomes) if i != 17)
        assert await admin.fetchval("SELECT COUNT(*) FROM answers") == 39
        assert await admin.fetchval("SELECT COUNT(*) FROM answers WHERE user_id = $1", victim.id) == 0
        assert await admin.fetchval("SELECT COUNT(*) FROM scores WHERE user_id = $1", victim.id) == 0
        assert await admin.fetchval("SELECT SUM(answered) FROM scores WHERE period = 'all' AND channel_id = 0") == 39
        await admin.execute("DROP TRIGGER refuse ON answers")
        assert (await storage.record_answer(request(post, victim))).status == AnswerStatus.RECORDED
    finally:
        await admin.close()
        await storage.close()


async def test_the_server_gone_mid_batch_acknowledges_none_and_stores_none():
    """The batch's insert is held in the server (a trigger sleeps) when the server stops: every answer
    of the batch is refused, none is stored, and once the server is back each is stored exactly once."""
    server = await asyncio.to_thread(start_server)
    try:
        url = await asyncio.to_thread(server.database)
        storage = await open_storage(url)
        try:
            _, people, [post] = await setup(storage, 30)
            server.sql(
                "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;"
                " CREATE TRIGGER slow AFTER INSERT ON answers FOR EACH STATEMENT EXECUTE FUNCTION slow();",
                url.rsplit("/", 1)[1],
            )
            answering = asyncio.gather(
                *(storage.record_answer(request(post, u)) for u in people), return_exceptions=True
            )
            for _ in range(100):  # until the batch is inside its insert
                await asyncio.sleep(0.1)
                if "1" == server.sql("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"):
                    break
            else:
                pytest.fail("the batch never reached its insert")
            await asyncio.to_thread(server.halt)
            outcomes = await asyncio.wait_for(answering, 30)
            assert all(isinstance(o, Exception) for o in outcomes), outcomes
            await asyncio.to_thread(server.resume)
            server.sql("DROP TRIGGER slow ON answers", url.rsplit("/", 1)[1])
            assert server.sql("SELECT COUNT(*) FROM answers", url.rsplit("/", 1)[1]) == "0"
            again = []
            for _ in range(3):  # connections the pool held from before the stop fail once each
                again = await asyncio.wait_for(
                    asyncio.gather(*(storage.record_answer(request(post, u)) for u in people), return_exceptions=True),
                    30,
                )
                if not any(isinstance(o, Exception) for o in again):
                    break
            assert [o.status for o in again] == [AnswerStatus.RECORDED] * 30
            assert server.sql("SELECT COUNT(*) FROM answers", url.rsplit("/", 1)[1]) == "30"
        finally:
            await storage.close()
    finally:
        await asyncio.to_thread(server.stop)


# The Batcher itself, over a plain function standing in for the database transaction.


class Refused(Exception):
    """A value the 'server' refuses: one call's fault."""


async def test_calls_made_together_run_as_one_batch_and_a_culprit_is_found_by_halves():
    batches: list[list[int]] = []

    async def run(calls: list[int]) -> list[int]:
        batches.append(calls)
        if 13 in calls:
            raise Refused("13")
        return [c * 2 for c in calls]

    batcher: Batcher[int, int] = Batcher(run)
    results = await asyncio.wait_for(
        asyncio.gather(*(batcher.submit(i) for i in range(20)), return_exceptions=True), 10
    )
    assert batches[0] == list(range(20))  # one batch first, then halves down to the culprit
    assert [len(b) for b in batches if 13 in b] == [20, 10, 5, 3, 2, 1]  # halved down to the culprit alone
    assert len(batches) == 11  # and each half without it stored at once
    assert isinstance(results[13], Refused)
    assert [r for i, r in enumerate(results) if i != 13] == [i * 2 for i in range(20) if i != 13]
    await batcher.settle()


async def test_a_burst_queued_at_once_is_shared_out_over_the_free_connections():
    """A burst queued whole runs as several batches at once (one server process each), not as one
    batch on one connection while the others sit idle; a small one stays one batch."""
    sizes: list[int] = []  # of the batches, in the order they started
    running = most = 0

    async def run(calls: list[int]) -> list[int]:
        nonlocal running, most
        sizes.append(len(calls))
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        return calls

    batcher: Batcher[int, int] = Batcher(run, in_flight=4, min_share=25)
    assert await asyncio.wait_for(asyncio.gather(*(batcher.submit(i) for i in range(200))), 10) == list(range(200))
    assert sizes == [50, 50, 50, 50] and most == 4
    sizes.clear()
    assert await asyncio.wait_for(asyncio.gather(*(batcher.submit(i) for i in range(30))), 10) == list(range(30))
    assert sizes == [30]  # sharing 30 out would make batches below min_share


async def test_a_connection_failure_fails_every_call_and_is_not_retried():
    batches: list[list[int]] = []

    async def run(calls: list[int]) -> list[int]:
        batches.append(calls)
        raise ConnectionResetError("the server went away")

    batcher: Batcher[int, int] = Batcher(run)
    results = await asyncio.wait_for(
        asyncio.gather(*(batcher.submit(i) for i in range(10)), return_exceptions=True), 10
    )
    assert batches == [list(range(10))]
    assert all(isinstance(r, ConnectionResetError) for r in results)


async def test_a_deadlock_runs_the_batch_again_and_calls_queued_meanwhile_wait_for_the_next():
    batches: list[list[int]] = []
    gate = asyncio.Event()

    async def run(calls: list[int]) -> list[int]:
        batches.append(calls)
        await gate.wait()
        if len(batches) == 2:  # the first run of the second batch
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return calls

    batcher: Batcher[int, int] = Batcher(run, in_flight=1)
    first = asyncio.ensure_future(batcher.submit(0))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(batcher.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0.01)
    assert batches == [[0]]  # the rest wait: one batch in flight
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(first, *later), 10) == [0, 1, 2, 3, 4, 5]
    assert batches == [[0], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]


async def test_users_first_seen_together_are_made_once_each_with_the_last_name_given(postgres_url):
    storages = [await open_storage(postgres_url) for _ in range(2)]  # two processes making the same users
    try:
        old = await storages[0].user("test", "old", "Old")
        calls = [(f"u{i % 30}", f"Name {i}") for i in range(90)] + [("u0", ""), ("old", ""), ("old", "Old")]
        made = await asyncio.wait_for(
            asyncio.gather(*(storages[n % 2].user("test", pid, name) for n, (pid, name) in enumerate(calls))), 30
        )
        by_id = {u.platform_id: u.id for u in made}
        assert len(by_id) == 31 and all(u.id == by_id[u.platform_id] for u in made)  # one user per platform id
        assert by_id["old"] == old.id
        final = {pid: (await storages[0].user("test", pid, "")).name for pid in by_id}
        assert final["old"] == "Old" and final["u0"].startswith("Name ")  # an empty name renames nobody
        assert all(final[f"u{i}"] in {f"Name {i}", f"Name {i + 30}", f"Name {i + 60}"} for i in range(30))
    finally:
        for storage in storages:
            await storage.close()

"""What PostgreSQL adds: several processes on one database. Each process here is a storage of its own
(its own pool of connections to the run's real server): whatever they race for, exactly one gets it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.config import Settings
from bot.models import AnswerRequest, AnswerStatus
from bot.storage import open_storage
from tests.conftest import FIXTURE_CONTENT, actor, make_bot, right_and_wrong

PROCESSES = 3


async def processes(url: str) -> list:
    return list(await asyncio.wait_for(asyncio.gather(*(open_storage(url) for _ in range(PROCESSES))), 30))


async def close_all(storages: list) -> None:
    for storage in storages:
        await storage.close()


async def test_a_day_a_close_and_a_reveal_are_each_claimed_by_one_process(postgres_url):
    storages = await processes(postgres_url)
    try:
        first = storages[0]
        community = await first.community("test", "g1", "", "ja", "Asia/Tokyo")
        channel = await first.channel(community.id, "c1")
        claims = await asyncio.gather(
            *(
                s.claim_daily_post(community.id, channel.id, "q1", "{}", "2026-11-23", 1000.0, f"token-{i}")
                for i, s in enumerate(storages * 4)
            )
        )
        [post] = [c for c in claims if c is not None]
        await first.mark_post_sent(post.id, "msg-1", 2000.0)
        closed = await asyncio.gather(*(s.close_post(post.id, 2000.0) for s in storages * 4))
        assert closed.count(True) == 1
        reveals = await asyncio.gather(*(s.take_over_reveals(5000.0, 60.0) for s in storages * 4))
        assert sorted(i for taken in reveals for i in taken) == [post.id]
    finally:
        await close_all(storages)


async def test_expired_claims_are_taken_over_each_by_one_process(postgres_url):
    storages = await processes(postgres_url)
    try:
        first = storages[0]
        community = await first.community("test", "g1", "", "ja", "Asia/Tokyo")
        ids = []
        for n in range(60):
            channel = await first.channel(community.id, f"c{n}")
            post = await first.claim_daily_post(community.id, channel.id, "q1", "{}", "2026-11-23", 1000.0, "dead")
            ids.append(post.id)
        taken = await asyncio.gather(
            *(s.take_over_claims(f"alive-{i}", 5000.0, 60.0, limit=7) for i, s in enumerate(storages * 5))
        )
        won = [p.id for batch in taken for p in batch]
        assert len(won) == len(set(won))  # no post taken over twice
        assert sorted(won) == ids[: len(won)] and len(won) == min(60, 7 * PROCESSES * 5)
    finally:
        await close_all(storages)


async def test_one_users_answers_to_two_days_from_two_processes_keep_one_streak(postgres_server):
    """The streak row is locked for the answer's transaction: either order ends at a streak of two."""
    for _ in range(5):  # a fresh database each time, so the race is run again
        storages = await processes(postgres_server.database())
        try:
            first = storages[0]
            community = await first.community("test", "g1", "", "ja", "Asia/Tokyo")
            channel = await first.channel(community.id, "c1")
            user = await first.user("test", "u1", "U1")
            posts = []
            for day in ("2026-11-23", "2026-11-24"):
                post = await first.claim_daily_post(community.id, channel.id, "q1", "{}", day, 1000.0, "t")
                await first.mark_post_sent(post.id, f"m{post.id}", None)
                posts.append(post)
            requests = [AnswerRequest(p.id, user.id, ("A",), True, 1500.0, "m2026-11", "w2026-W48") for p in posts]
            outcomes = await asyncio.gather(*(s.record_answer(r) for s, r in zip(storages, requests, strict=False)))
            assert {o.status for o in outcomes} == {AnswerStatus.RECORDED}
            streak = await first.streak(community.id, user.id)
            assert (streak.current, streak.best, streak.last_day) == (2, 2, "2026-11-24")
            [row] = await first.leaderboard(community.id, None, "all")
            assert (row.answered, row.points) == (2, sum(o.points for o in outcomes))
        finally:
            await close_all(storages)


async def test_an_answer_the_database_refuses_is_not_stored_and_the_others_are(postgres_url, clock, content):
    """Answers arriving together share a transaction, but one that fails after its row was written
    (here its streak update is refused) leaves nothing of itself: its batch is halved until it fails
    alone, and the answers around it are kept."""
    bot = await make_bot(
        Settings(database=postgres_url, content_dir=FIXTURE_CONTENT, locale="ja", timezone="Asia/Tokyo"),
        clock,
        content,
    )
    admin = await asyncpg.connect(postgres_url)
    try:
        from bot.commands import parse_daily_set
        from tests.conftest import ADMIN

        schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
        post = (await bot.post_daily(schedule)).post
        right, _ = right_and_wrong(bot.question_of(post))
        users = [f"u{i}" for i in range(6)]
        for user in users:
            await bot.context(actor(user))
        victim = (await bot.context(actor("u3"))).user.id
        await admin.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN IF NEW.user_id = {victim} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;"
            " CREATE TRIGGER refuse BEFORE UPDATE ON streaks FOR EACH ROW EXECUTE FUNCTION refuse();"
        )
        results = await asyncio.gather(*(bot.answer(actor(user), post.id, right) for user in users))
        assert [r.error_key for r in results] == [None, None, None, "answer.not_stored", None, None]
        assert (await bot.storage.post_results(post.id)).answered == 5
        assert await admin.fetchval("SELECT COUNT(*) FROM answers WHERE user_id = $1", victim) == 0
        assert await admin.fetchval("SELECT COUNT(*) FROM scores WHERE user_id = $1", victim) == 0
        await admin.execute("DROP TRIGGER refuse ON streaks")
        assert (await bot.answer(actor("u3"), post.id, right)).outcome.status == AnswerStatus.RECORDED
        board = await bot.leaderboard(actor("u0"), "all")
        assert sorted(r.name for r in board.rows) == sorted(u.upper() for u in users)
    finally:
        await admin.close()
        await bot.close()


async def test_a_server_gone_mid_run_is_said_so_then_the_bot_reconnects(clock, content):
    """The database server stops under a running bot (its own server here, not the run's): answers
    are refused with the not-stored message and /healthz fails, nothing hangs; once it is back, the
    pool's new connections serve again and everything acknowledged before is still there."""
    from bot.commands import parse_daily_set
    from tests.conftest import ADMIN
    from tests.postgres_server import start_server

    server = await asyncio.to_thread(start_server)
    try:
        url = await asyncio.to_thread(server.database)
        settings = Settings(database=url, content_dir=FIXTURE_CONTENT, locale="ja", timezone="Asia/Tokyo")
        bot = await make_bot(settings, clock, content)
        try:
            post = (await bot.post_daily(await bot.set_daily(ADMIN, parse_daily_set(["09:00"])))).post
            right, _ = right_and_wrong(bot.question_of(post))
            assert (await bot.answer(actor("u1"), post.id, right)).outcome.status == AnswerStatus.RECORDED
            await asyncio.to_thread(server.halt)
            refused = await asyncio.wait_for(bot.answer(actor("u2"), post.id, right), 30)
            assert refused.error_key == "answer.not_stored"
            checks = await asyncio.wait_for(bot.storage.health_checks(), 30)
            assert checks["database_connection"] is not None
            await asyncio.to_thread(server.resume)
            outcomes = []
            for _ in range(3):  # a connection the pool held from before may fail once more
                outcomes.append(await asyncio.wait_for(bot.answer(actor("u2"), post.id, right), 30))
                if outcomes[-1].error_key is None:
                    break
            assert outcomes[-1].outcome.status == AnswerStatus.RECORDED
            assert await bot.storage.health_checks() == {"database_connection": None, "database_write": None}
            assert (await bot.storage.post_results(post.id)).answered == 2
        finally:
            await bot.close()
    finally:
        await asyncio.to_thread(server.stop)


async def test_nothing_is_stored_after_a_close_that_another_process_made(postgres_url):
    """Answers race a close from other processes: the results read right after the close returned are
    final (the reveal shows every answer ever stored), and every answer told "recorded" is in them."""
    storages = await processes(postgres_url)
    closer = await open_storage(postgres_url)  # the process that reveals: its pool is not busy answering
    storages.append(closer)
    try:
        first = storages[0]
        community = await first.community("test", "g1", "", "ja", "Asia/Tokyo")
        channel = await first.channel(community.id, "c1")
        users = [await first.user("test", f"u{i}") for i in range(300)]
        post = await first.claim_daily_post(community.id, channel.id, "q1", "{}", "2026-11-23", 1000.0, "t")
        await first.mark_post_sent(post.id, "m1", None)
        at_close: list[int] = []
        some_stored = asyncio.Event()
        stored = 0

        async def answer(i: int, request: AnswerRequest):
            nonlocal stored
            await asyncio.sleep(i * 0.002)  # a stream of clicks over 0.6 s, not one batch the close waits behind
            outcome = await storages[i % PROCESSES].record_answer(request)
            stored += outcome.status == AnswerStatus.RECORDED
            if stored >= 30:
                some_stored.set()
            return outcome

        async def close_midway() -> None:
            await some_stored.wait()
            assert await closer.close_post(post.id, 1500.0)
            at_close.append((await closer.post_results(post.id)).answered)

        requests = [AnswerRequest(post.id, u.id, ("A",), True, 1400.0, "m2026-11", "w2026-W48") for u in users]
        *outcomes, _ = await asyncio.wait_for(
            asyncio.gather(*(answer(i, r) for i, r in enumerate(requests)), close_midway()),
            60,
        )
        recorded = sum(o.status == AnswerStatus.RECORDED for o in outcomes)
        final = (await first.post_results(post.id)).answered
        assert at_close == [final] and recorded == final
        assert 0 < recorded < len(users)  # the close did land in the middle of the answers
    finally:
        await close_all(storages)


async def test_a_server_down_at_start_is_waited_for_with_backoff_and_a_wrong_name_is_not(caplog):
    """Bot and database started together: the server is down when the bot opens it, and up a few
    seconds later; the bot waits for it, saying so. A database that does not exist is not worth
    waiting for: one clear error at once. A server still down when the wait is over: one clear error."""
    import logging
    import time

    from bot.storage.errors import StorageError
    from tests.postgres_server import start_server

    server = await asyncio.to_thread(start_server)
    try:
        url = await asyncio.to_thread(server.database)
        await asyncio.to_thread(server.halt)
        started = time.monotonic()
        with pytest.raises(StorageError, match="cannot open database"):
            await asyncio.wait_for(open_storage(url, wait=1.5), 30)
        assert 1.4 < time.monotonic() - started < 15

        caplog.set_level(logging.WARNING, logger="studybot.storage")
        opening = asyncio.create_task(open_storage(url, wait=60))
        await asyncio.sleep(2.5)
        assert not opening.done()
        await asyncio.to_thread(server.resume)
        storage = await asyncio.wait_for(opening, 30)
        try:
            assert await storage.ping()
        finally:
            await storage.close()
        assert "trying again in" in caplog.text

        started = time.monotonic()
        with pytest.raises(StorageError, match='database "no_such_db" does not exist'):
            await asyncio.wait_for(open_storage(server.url("no_such_db"), wait=60), 30)
        assert time.monotonic() - started < 5
    finally:
        await asyncio.to_thread(server.stop)

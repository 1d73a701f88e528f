"""Slack gets its ack in time whatever the database does, and a failure after the ack reaches the user
through response_url, never as a hang and an HTTP 404 (issue 12 point 4, issue 11 point 6)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator

import pytest

from tests.conftest import right_and_wrong
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack_support import running_slack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


async def timed(coro) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = await coro
    return time.perf_counter() - started, result


async def test_a_click_is_acked_in_time_while_another_process_holds_the_write_lock(bot, settings, fake):
    async with asyncio.timeout(30), running_slack(bot, settings, fake) as (_, sender):
        fake.admins.add("UADMIN")
        await sender.command("daily set 09:00 sqs", user="UADMIN")
        await sender.command("daily now", user="UADMIN")
        post = (await bot.storage.open_daily_posts())[-1]
        right, _ = right_and_wrong(bot.question_of(post))
        before = len(fake.responses)

        other = sqlite3.connect(settings.database, isolation_level=None)  # another process's connection
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        released = asyncio.get_running_loop().call_later(5.0, other.execute, "COMMIT")
        try:
            elapsed, (status, _) = await timed(sender.post(sender.click_body(f"sb:a:{post.id}:{right[0]}")))
            assert status == 200
            assert elapsed < 2.5
            assert len(fake.responses) == before  # nothing could be said yet
            [late] = (await fake.wait_for("respond", before + 1, within=15))[before:]
        finally:
            released.cancel()
            if other.in_transaction:
                other.execute("COMMIT")
        assert "⭕ 正解です！ +10点" in late.body["text"]
        count = other.execute("SELECT COUNT(*) FROM answers WHERE post_id = ?", (post.id,)).fetchone()[0]
        other.close()
        assert count == 1
        again = await sender.click(f"sb:a:{post.id}:{right[0]}")
        assert "回答済み" in again["text"]  # the user's retry is not a second answer
        assert (await bot.storage.post_results(post.id)).answered == 1


async def test_a_command_waiting_on_the_lock_is_acked_then_answered(bot, settings, fake):
    async with asyncio.timeout(30), running_slack(bot, settings, fake, slack_ack_seconds=0.5) as (_, sender):
        await sender.command("stats", user="U7")  # the workspace and user exist
        before = len(fake.responses)
        other = sqlite3.connect(settings.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        released = asyncio.get_running_loop().call_later(2.0, other.execute, "COMMIT")
        try:
            elapsed, (status, _) = await timed(sender.post(sender.command_body("quiz sqs", user="U7")))
            assert status == 200 and elapsed < 1.5
            [reply] = (await fake.wait_for("respond", before + 1, within=15))[before:]
        finally:
            released.cancel()
            if other.in_transaction:
                other.execute("COMMIT")
            other.close()
        assert reply.body["blocks"][-1]["type"] == "actions"  # the practice question itself


def bad_timezone_workspace(path, team: str) -> None:  # type: ignore[no-untyped-def]
    """A workspace row whose time zone is not one (an older studybot, a hand edit): the core raises
    ZoneInfoNotFoundError on anything that needs the local date."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO communities (platform, platform_id, name, locale, timezone) VALUES ('slack', ?, '', 'en', ?)",
            (team, "Mars/Olympus_Mons"),
        )


async def test_an_exception_after_the_ack_is_told_through_response_url(bot, settings, fake, caplog):
    async with asyncio.timeout(20), running_slack(bot, settings, fake) as (_, sender):
        bad_timezone_workspace(settings.database, "TBAD")
        mars = sender.as_team("TBAD")
        elapsed, (status, _) = await timed(mars.post(mars.command_body("leaderboard")))
        assert status == 200 and elapsed < 1.0  # not a 3 s hang and a 404
        reply = (await fake.wait_for("respond", 1))[-1].body
        assert reply["text"] == "⚠️ Something went wrong on our side. Please try again in a moment."
        assert reply["response_type"] == "ephemeral"

        quiz = await mars.command("quiz sqs")  # needs no local date
        action = next(b for b in quiz["blocks"] if b["type"] == "actions")["elements"][0]["action_id"]
        elapsed, (status, _) = await timed(mars.post(mars.click_body(action)))
        assert status == 200 and elapsed < 1.0
        reply = (await fake.wait_for("respond", 3))[-1].body
        assert "Something went wrong" in reply["text"]
        post_id = int(action.split(":")[2])
        assert (await bot.storage.post_results(post_id)).answered == 0
    assert any("the user is told through response_url" in r.getMessage() for r in caplog.records)


async def test_closing_the_adapter_still_delivers_the_replies_of_acknowledged_clicks(bot, settings, fake):
    async with asyncio.timeout(30):
        async with running_slack(bot, settings, fake, slack_ack_seconds=0.2) as (_, sender):
            fake.admins.add("UADMIN")
            await sender.command("daily set 09:00 sqs", user="UADMIN")
            await sender.command("daily now", user="UADMIN")
            post = (await bot.storage.open_daily_posts())[-1]
            right, _ = right_and_wrong(bot.question_of(post))
            before = len(fake.responses)
            other = sqlite3.connect(settings.database, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            asyncio.get_running_loop().call_later(1.0, other.execute, "COMMIT")
            status, _ = await sender.post(sender.click_body(f"sb:a:{post.id}:{right[0]}"))
            assert status == 200 and len(fake.responses) == before
        # the adapter is closed now (a SIGTERM would do the same): it waited for the reply
        other.close()
        [late] = fake.responses[before:]
        assert "⭕ 正解です！" in late.body["text"]
        assert (await bot.storage.post_results(post.id)).answered == 1

"""Single-token mode: every request is authorized by one auth.test, shared by all the requests that
arrive before it answers (adapters/slack/single_workspace.py); a refused token is asked again later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.models import Post
from tests.conftest import right_and_wrong
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack_support import running_slack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


async def todays_post(bot, settings, fake) -> Post:  # type: ignore[no-untyped-def]
    async with running_slack(bot, settings, fake) as (_, sender):
        fake.admins.add("UADMIN")
        await sender.command("daily set 09:00 sqs", user="UADMIN")
        await sender.command("daily now", user="UADMIN")
    return (await bot.storage.open_daily_posts())[-1]


async def test_a_burst_right_after_start_asks_auth_test_once(bot, settings, fake):
    async with asyncio.timeout(60):
        post = await todays_post(bot, settings, fake)
        right, _ = right_and_wrong(bot.question_of(post))
        asked_before = len(fake.of("auth.test"))
        async with running_slack(bot, settings, fake) as (_, sender):  # a fresh start: nothing known yet
            bodies = [sender.click_body(f"sb:a:{post.id}:{right[0]}", user=f"U{i}") for i in range(40)]
            statuses = await asyncio.gather(*(sender.post(body) for body in bodies))
            assert [status for status, _ in statuses] == [200] * 40
            await fake.wait_for("respond", 40 + 2, within=30)
        assert len(fake.of("auth.test")) - asked_before == 1
        assert (await bot.storage.post_results(post.id)).answered == 40


async def test_a_refused_token_is_asked_again_once_slack_accepts_it(bot, settings, fake):
    async with asyncio.timeout(60):
        post = await todays_post(bot, settings, fake)
        right, _ = right_and_wrong(bot.question_of(post))
        async with running_slack(bot, settings, fake) as (_, sender):
            fake.revoked.add("xoxb-test")
            status, _ = await sender.post(sender.click_body(f"sb:a:{post.id}:{right[0]}", user="U1"))
            assert status in (200, 401)  # bolt's refusal; nothing of the click is kept
            assert (await bot.storage.post_results(post.id)).answered == 0
            fake.revoked.discard("xoxb-test")
            reply = await sender.click(f"sb:a:{post.id}:{right[0]}", user="U1")
            assert "⭕" in reply["text"]
        assert (await bot.storage.post_results(post.id)).answered == 1

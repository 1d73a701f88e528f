"""Every REST request under Discord's global limit, reveals included, and a reveal that counts only
once its edit landed: against the fake applying the global limit to every bot-token request."""

from __future__ import annotations

import asyncio

import pytest

from adapters.discord.pacing import RestPacer
from bot.models import Schedule
from bot.scheduler import DailyScheduler
from tests.conftest import right_and_wrong
from tests.discord_adapter.support import CHANNEL, click, connect, daily_post, disconnect
from tests.fakes.discord_api import FakeDiscord

GLOBAL = 25  # a tighter global limit than Discord's 50/s, so a burst of a few dozen channels hits it
CHANNELS = 60


async def schedule_channels(bot, count: int) -> list[int]:
    community = await bot.storage.community("discord", str(FakeDiscord.GUILD_ID), "", "ja", "Asia/Tokyo")
    ids = []
    for i in range(count):
        channel = await bot.storage.channel(community.id, str(3_000_000 + i))
        await bot.storage.save_schedule(Schedule(channel.id, bot.now().time(), "Asia/Tokyo", reveal_minutes=60))
        ids.append(channel.id)
    return ids


async def wait_revealed(bot, post_ids: list[int], within: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        posts = [await bot.storage.post(i) for i in post_ids]
        if all(p is not None and (p.revealed_at or p.reveal_error) for p in posts):
            return
        assert asyncio.get_running_loop().time() < deadline, "reveals did not finish"
        await asyncio.sleep(0.05)


@pytest.fixture
async def paced(bot, settings, fake):
    fake.limit_rate(global_per_second=GLOBAL, per_channel=(5, 5.0))
    adapter, task = await connect(bot, settings, fake, pacer=RestPacer(per_second=GLOBAL))
    yield adapter
    await disconnect(adapter, task)


async def test_a_burst_of_posts_then_of_overdue_reveals_stays_under_the_global_limit(bot, clock, fake, paced):
    """Every channel of a 09:00 schedule posts at once; after a restart past the reveal time, every
    overdue reveal starts at once. Every message posted, every reveal landed, next to no 429."""
    channel_ids = await schedule_channels(bot, CHANNELS)
    await asyncio.gather(*(DailyScheduler(bot).run_daily(cid) for cid in channel_ids))
    posts = await bot.storage.open_daily_posts()
    assert len(posts) == CHANNELS
    assert all(len(fake.messages_in(3_000_000 + i)) == 1 for i in range(CHANNELS))

    clock.advance(hours=2)  # past every reveal time (the same local day), as after a restart
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    await wait_revealed(bot, [p.id for p in posts])
    await scheduler.stop()

    assert len(fake.edits) == CHANNELS
    assert all(stored.revealed_at for stored in [await bot.storage.post(p.id) for p in posts])
    # The fake shares this process's event loop, and its handlers wait on the bot's work, which can
    # bunch arrivals closer than they were sent: allow 1%, the target (bench/discord_fanout.py runs the
    # fake in its own process). The adapter before pacing drew 199 here.
    paced_requests = [c for c in fake.calls if c.method in ("POST", "PATCH") and c.path.startswith("/channels/")]
    assert fake.rate_limited <= len(paced_requests) // 100
    assert paced.pacer.sent >= 2 * CHANNELS  # posts and edits went through the pacer
    assert paced.pacer.waited > 0  # and it really held some back


async def test_followups_and_callbacks_are_not_paced(bot, fake, paced):
    """Interaction endpoints are not bound to the global limit, so answering users never waits."""
    post, message = await daily_post(bot, fake, "sqs")
    before = paced.pacer.sent
    right, _ = right_and_wrong(bot.question_of(post))
    for user in range(5):
        await click(fake, f"sb:a:{post.id}:{right[0]}", message["id"], user_id=7000 + user)
    assert paced.pacer.sent == before


async def test_a_failing_reveal_edit_is_retried_until_it_lands(bot, fake, discord_bot):
    bot.reveal_retry_delays = (0.01, 0.01, 0.01)
    post, message = await daily_post(bot, fake, "sqs")
    fake.fail("PATCH", rf"/messages/{message['id']}$", status=503, times=2)
    assert await bot.reveal(post.id)
    stored = await bot.storage.post(post.id)
    assert stored.revealed_at is not None and stored.reveal_error is None
    patches = [c for c in fake.calls if c.method == "PATCH"]
    assert [c.status for c in patches] == [503, 503, 200]


async def test_a_reveal_that_never_lands_is_recorded_and_clicks_are_told_the_truth(bot, fake, discord_bot):
    bot.reveal_retry_delays = (0.01, 0.01)
    post, message = await daily_post(bot, fake, "sqs")
    fake.fail("PATCH", rf"/messages/{message['id']}$", status=503, times=100)
    assert await bot.reveal(post.id)
    stored = await bot.storage.post(post.id)
    assert stored.revealed_at is None and "503" in stored.reveal_error
    assert [c.status for c in fake.calls if c.method == "PATCH"] == [503, 503, 503]
    question = bot.question_of(post)
    right, _ = right_and_wrong(question)
    reply = await click(fake, f"sb:a:{post.id}:{right[0]}", message["id"], user_id=1050)
    text = reply["data"]["content"]
    assert "投稿できなかった" in text and f"正解: {', '.join(a.upper() for a in sorted(question.answer))}" in text
    assert (await bot.storage.post_results(post.id)).answered == 0  # closed: the late click is not stored


async def test_a_reveal_in_a_channel_closed_to_the_bot_fails_at_once(bot, fake, discord_bot):
    bot.reveal_retry_delays = (5.0, 5.0)  # would make the test time out if it were retried
    post, _ = await daily_post(bot, fake, "sqs")
    fake.forbid_channel(CHANNEL)
    assert await bot.reveal(post.id)
    stored = await bot.storage.post(post.id)
    assert stored.reveal_error and "Missing Access" in stored.reveal_error
    assert [c.status for c in fake.calls if c.method == "PATCH"] == [403]


async def test_a_click_while_the_reveal_is_under_way_says_so(bot, fake, discord_bot):
    post, message = await daily_post(bot, fake, "sqs")
    assert await bot.storage.close_post(post.id)  # closed, the edit not landed yet
    right, _ = right_and_wrong(bot.question_of(post))
    reply = await click(fake, f"sb:a:{post.id}:{right[0]}", message["id"], user_id=1051)
    assert "まもなくチャンネルで公開" in reply["data"]["content"]

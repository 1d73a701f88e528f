"""Sharding: as many gateway shards as Discord recommends, each serving its guilds, a close 4011
(more shards needed) survived, and a shard told to reconnect resuming without losing a click."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from adapters.discord import DiscordRunner
from tests.discord_adapter.support import EPHEMERAL, connect, disconnect, sub
from tests.fakes.discord_api import FakeDiscord, skip_identify_delay

EVEN_GUILD = 2 << 22  # (guild_id >> 22) % 2 == 0: shard 0 of 2
ODD_GUILD = 3 << 22  # shard 1 of 2


async def stats_reply(fake: FakeDiscord, guild_id: int) -> dict:
    before = len(fake.followups)
    payload = fake.slash("study", sub("stats"), guild_id=guild_id, user_id=guild_id % 1000 + 1)
    await fake.send_interaction(payload)
    deferred = await fake.wait_callback(payload["id"])
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    return (await fake.wait_followups(before + 1))[-1]


async def test_two_shards_each_serve_their_guilds(bot, settings, fake):
    fake.gateway.recommended_shards = 2
    adapter, task = await connect(bot, settings, fake)
    try:
        await fake.wait_ready(shards=2)
        assert sorted(tuple(p["shard"]) for p in fake.identify_payloads) == [(0, 2), (1, 2)]
        assert adapter.shard_count == 2
        for guild in (EVEN_GUILD, ODD_GUILD):
            reply = await stats_reply(fake, guild)
            assert "まだ回答がありません" in reply["embeds"][0]["description"]
        assert {c.platform_id for c in [await bot.storage.community_by_id(i) for i in (1, 2)] if c} == {
            str(EVEN_GUILD),
            str(ODD_GUILD),
        }
    finally:
        await disconnect(adapter, task)


async def test_sharding_required_is_survived_with_a_new_client(bot, settings, fake):
    fake.gateway.required_shards = 2  # the bot outgrew one shard; Discord closes it with 4011
    runner = DiscordRunner(bot, settings, prepare=skip_identify_delay, guild_ready_timeout=0.01)
    first = runner.client
    task = asyncio.create_task(runner.run("fake-token"))
    try:
        await asyncio.wait_for(runner.wait_until_ready(), 15)
        assert fake.gateway.closes == [4011]
        assert runner.reshards == 1 and runner.client is not first and first.is_closed()
        assert bot.platforms["discord"] is runner.client
        await fake.wait_ready(shards=2)
        reply = await stats_reply(fake, ODD_GUILD)
        assert "まだ回答がありません" in reply["embeds"][0]["description"]
        assert not task.done()
    finally:
        await runner.close()
        await asyncio.wait_for(task, 5)


async def test_a_shard_told_to_reconnect_resumes_and_loses_no_click(bot, discord_bot, fake):
    resumes = fake.resumes
    await fake.gateway.request_reconnect(0)
    payload = fake.slash("study", sub("stats"))
    await fake.send_interaction(payload)  # while it reconnects: replayed on RESUME
    body = await fake.wait_callback(payload["id"], within=10)
    assert body["type"] == 5
    await fake.wait_until(lambda: fake.resumes > resumes, what="a RESUME")
    assert fake.identifies == 1


# -- several processes, each running its share of the shards (STUDYBOT_DISCORD_SHARDS)

SHARD_1_GUILD = 5 << 22  # (5 << 22 >> 22) % 4 == 1: the first process's (shards 0-1 of 4)
SHARD_2_GUILD = 6 << 22  # shard 2 of 4: the second process's (shards 2-3 of 4)


async def test_two_processes_split_the_shards_and_each_posts_only_to_its_servers(bot, settings, clock, content, fake):
    """Two processes (each its own core and storage on the one database) run shards 0-1 and 2-3 of 4:
    the gateway takes both shares, a server's commands reach the process of its shard, and a daily post
    for a server is made by that process only, whichever process's clock fires it."""
    from bot.config import parse_shards
    from tests.conftest import make_bot
    from tests.discord_adapter.support import admin

    other_bot = await make_bot(settings, clock, content)
    first, first_task = await connect(bot, replace(settings, discord_shards=parse_shards("0-1/4")), fake)
    second, second_task = await connect(other_bot, replace(settings, discord_shards=parse_shards("2-3/4")), fake)
    try:
        await fake.wait_ready(shards=4)
        assert sorted(tuple(p["shard"]) for p in fake.identify_payloads) == [(0, 4), (1, 4), (2, 4), (3, 4)]
        assert (first.shard_ids, second.shard_ids) == ([0, 1], [2, 3])
        for guild, channel in ((SHARD_1_GUILD, 2001), (SHARD_2_GUILD, 2002)):
            reply = await admin(fake, "set", time="09:00", guild_id=guild, channel_id=channel)
            assert "毎日の出題を設定しました" in reply["content"], reply
        schedules = await bot.storage.schedules()
        assert len(schedules) == 2
        outcomes = {}
        for name, core in (("second", other_bot), ("first", bot)):  # both clocks fire both, the foreign first
            for schedule in schedules:
                channel = await bot.storage.channel_by_id(schedule.channel_id)
                outcomes[name, int(channel.platform_id)] = (await core.post_daily(schedule)).key
        assert outcomes == {
            ("second", 2001): "daily.elsewhere",  # shard 1's server: not the second process's
            ("second", 2002): "daily.posted",
            ("first", 2001): "daily.posted",
            ("first", 2002): "daily.elsewhere",
        }
        assert len(fake.messages_in(2001)) == len(fake.messages_in(2002)) == 1
    finally:
        await disconnect(second, second_task)
        await disconnect(first, first_task)
        await other_bot.close()


async def test_a_lapsed_claim_taken_over_by_a_process_of_other_shards_is_handed_on_untried(
    bot, settings, clock, content, fake
):
    from bot.config import parse_shards
    from bot.snapshots import dump_question
    from tests.conftest import make_bot
    from tests.discord_adapter.support import admin

    other_bot = await make_bot(settings, clock, content)
    first, first_task = await connect(bot, replace(settings, discord_shards=parse_shards("0-1/4")), fake)
    second, second_task = await connect(other_bot, replace(settings, discord_shards=parse_shards("2-3/4")), fake)
    try:
        await fake.wait_ready(shards=4)
        reply = await admin(fake, "set", time="09:00", guild_id=SHARD_1_GUILD, channel_id=2001)
        assert "毎日の出題を設定しました" in reply["content"], reply
        [schedule] = await bot.storage.schedules()
        channel = await bot.storage.channel_by_id(schedule.channel_id)
        question = next(iter(bot.content.questions.values()))
        now = clock().timestamp()
        day = clock().date().isoformat()
        claimed = await bot.storage.claim_daily_post(
            channel.community_id, channel.id, question.id, dump_question(question), day, now, "a-dead-process"
        )
        assert claimed is not None
        result = await other_bot.posts.recover(claimed)  # the lease lapsed; the wrong process took it over
        assert result.key == "daily.elsewhere"
        handed_on = await bot.storage.post(claimed.id)
        assert handed_on.attempts == 0
        assert fake.messages_in(2001) == []
        result = await bot.posts.recover(handed_on)  # the process of its shard finishes it
        assert result.key == "daily.posted"
        assert len(fake.messages_in(2001)) == 1
    finally:
        await disconnect(second, second_task)
        await disconnect(first, first_task)
        await other_bot.close()

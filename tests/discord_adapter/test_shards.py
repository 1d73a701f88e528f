"""Sharding: as many gateway shards as Discord recommends, each serving its guilds, a close 4011
(more shards needed) survived, and a shard told to reconnect resuming without losing a click."""

from __future__ import annotations

import asyncio

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

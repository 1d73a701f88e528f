"""kill -9 in the middle of the daily fan-out to Discord, then a restart: every channel ends with exactly
one question message, and every post is open on that message. (Before, the claimed days were lost: after
the restart "already posted", buttons on nothing, no reveal.)"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import time
from pathlib import Path

from bot.models import Schedule
from bot.storage import open_storage
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.discord_api import FakeDiscord
from tests.processes import BotProcess, free_port

CHANNELS = 30
FIRST = 3_000_000


async def schedule_channels(database: Path) -> None:
    storage = await open_storage(database)
    try:
        community = await storage.community("discord", str(FakeDiscord.GUILD_ID), "", "ja", "Asia/Tokyo")
        for i in range(CHANNELS):
            channel = await storage.channel(community.id, str(FIRST + i))
            await storage.save_schedule(Schedule(channel.id, time(0, 0), "Asia/Tokyo"))  # due: caught up at start
    finally:
        await storage.close()


def posted(fake: FakeDiscord) -> list[int]:
    return [len(fake.messages_in(FIRST + i)) for i in range(CHANNELS)]


def stored_posts(database: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT c.platform_id, p.status, p.message_ref FROM posts p JOIN channels c ON c.id = p.channel_id"
            " WHERE p.kind = 'daily' ORDER BY c.platform_id"
        ).fetchall()


async def test_kill_during_the_fan_out_then_restart(tmp_path: Path, fake: FakeDiscord):
    database = tmp_path / "studybot.db"
    await schedule_channels(database)
    fake.latency = 1.0  # a slow network: sends are in flight when the process dies
    env = {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_URL": fake.rest_base,
        "STUDYBOT_DATABASE": str(database),
        "STUDYBOT_CONTENT_DIR": str(FIXTURE_CONTENT),
        "STUDYBOT_HTTP_HOST": "127.0.0.1",
        "STUDYBOT_HTTP_PORT": str(free_port()),
        "STUDYBOT_LEASE_SECONDS": "2",
    }
    first = BotProcess(env)
    await first.start()
    try:
        await fake.wait_until(lambda: sum(posted(fake)) >= 5, within=30, what="the fan-out to begin")
    finally:
        await first.kill()
    at_kill = sum(posted(fake))
    in_flight = [s for s in stored_posts(database) if s[1] == "claimed"]
    assert at_kill < CHANNELS and in_flight, "the kill came too late to test anything"

    second = BotProcess(env)
    await second.start()
    try:
        deadline = asyncio.get_running_loop().time() + 40
        while not (len(stored_posts(database)) == CHANNELS and all(s[1] == "open" for s in stored_posts(database))):
            assert asyncio.get_running_loop().time() < deadline, stored_posts(database)
            await asyncio.sleep(0.2)
    finally:
        code, err = await second.terminate()
    assert code == 0, err[-2000:]
    assert posted(fake) == [1] * CHANNELS  # nothing lost, nothing doubled
    messages = {str(FIRST + i): str(fake.messages_in(FIRST + i)[0]["id"]) for i in range(CHANNELS)}
    assert {channel: ref for channel, _, ref in stored_posts(database)} == messages

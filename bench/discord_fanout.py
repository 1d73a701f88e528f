"""The daily question to many Discord channels at once, against the fake Discord REST API applying
Discord's documented limits (50 requests/s globally, 5 messages per 5 s per channel).

    .venv/bin/python bench/discord_fanout.py [--channels 1000]

Prints the total time and its ratio to the minimum the limits allow. Rate limits are left to
discord.py, as the bot does in production.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GLOBAL_PER_SECOND = 50


async def main(channels: int) -> None:
    from adapters.discord import DiscordAdapter
    from bot.config import Settings
    from bot.core import StudyBot
    from bot.models import Schedule
    from bot.scheduler import DailyScheduler
    from tests.fakes.discord_api import FakeDiscord, skip_identify_delay

    fake = FakeDiscord()
    await fake.start()
    fake.patch()
    fake.limit_rate(global_per_second=GLOBAL_PER_SECOND, per_channel=(5, 5.0))
    settings = Settings(database=Path(tempfile.mkdtemp(prefix="studybot-fanout-")) / "bench.db")
    bot = await StudyBot.create(settings)
    client = DiscordAdapter(bot, settings, guild_ready_timeout=0.01)
    client.sync_commands = False
    skip_identify_delay(client)
    gateway = asyncio.create_task(client.start("fake-token"))
    await fake.wait_until(client.is_ready, within=10, what="on_ready")

    community = await bot.storage.community("discord", str(FakeDiscord.GUILD_ID), "bench", "ja", "Asia/Tokyo")
    ids = []
    for i in range(channels):
        channel = await bot.storage.channel(community.id, str(3_000_000 + i))
        await bot.storage.save_schedule(Schedule(channel.id, bot.now().time(), "UTC"))
        ids.append(channel.id)
    scheduler = DailyScheduler(bot)

    started = time.perf_counter()
    await asyncio.gather(*(scheduler.run_daily(channel_id) for channel_id in ids))  # what 1,000 due jobs do
    elapsed = time.perf_counter() - started

    posted = sum(len(fake.messages_in(3_000_000 + i)) for i in range(channels))
    minimum = max(channels - GLOBAL_PER_SECOND, 0) / GLOBAL_PER_SECOND  # the first second's burst is free
    print(
        f"daily post to {channels:,} channels: {elapsed:.1f} s; the limits allow {minimum:.1f} s at best "
        f"(ratio {elapsed / minimum if minimum else float('nan'):.2f})"
    )
    print(f"messages posted: {posted:,}; 429 answers from the fake: {fake.rate_limited}")
    await client.close()
    await gateway
    await bot.close()
    fake.unpatch()
    await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=1000)
    asyncio.run(main(parser.parse_args().channels))

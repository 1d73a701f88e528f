"""The Discord adapter's daily fan-out and reveals against the strict fake Discord (Discord's own limits:
50 requests/s over every bot-token request, 5 messages per 5 s per channel), beside a bare aiohttp
client paced by the same RestPacer, measured in the same run, and the floor the limits allow.

    .venv/bin/python bench/discord_fanout.py [--channels 1000 2500] [--latency 0 0.15] [--runs 1]

The fake runs in a process of its own, as Discord does: sharing the bot's event loop, its handlers would
wait on the bot's work and count requests sent a second apart as arriving closer together.

For each channel count and round trip: N schedules firing at once, then N reveals at once. Targets:
every message posted and edited; 429s under 1% of requests and far from the 10,000 invalid requests
per 10 minutes that get an IP banned; elapsed/floor at most 1.15 at a 150 ms round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from pathlib import Path

import aiohttp
import discord.http

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord import DiscordAdapter
from adapters.discord.pacing import RestPacer
from bot.config import Settings
from bot.core import StudyBot
from bot.gc_tuning import tune_for_bursts
from bot.models import Schedule
from bot.scheduler import DailyScheduler
from tests.fakes.discord_api import FakeDiscord, skip_identify_delay
from tests.fakes.discord_limits import GLOBAL_PER_SECOND, INVALID_LIMIT

ROOT = Path(__file__).resolve().parent.parent
BOT_CHANNELS = 3_000_000  # Discord channel ids of the bot's schedules
BASELINE_CHANNELS = 4_000_000  # the bare client's: per-channel buckets apart from the bot's
SETTLE = 1.1  # seconds before a phase, so the fake's one-second global window starts empty


def floor_seconds(requests: int, latency: float) -> float:
    """The first 50 go at once, then 50 a second; the last answer comes one round trip later.
    ((N - 50) / 50 + L, counted in whole seconds of the window: exact for N a multiple of 50.)"""
    return math.ceil(max(requests - GLOBAL_PER_SECOND, 0) / GLOBAL_PER_SECOND) + latency


@dataclass
class Phase:
    done: int = 0  # messages posted, or edits landed
    stored: int = 0  # posts stored as sent, or as revealed (revealed_at set)
    requests: int = 0  # REST requests the fake saw during the phase
    rejected: int = 0  # 429 answers the fake gave during the phase
    invalid_window: int = 0  # invalid requests in the fake's 10-minute window at the end
    elapsed: float = 0.0


class RemoteFake:
    """FakeDiscord in a child process (tests/fakes/discord_api.py serve()), read through /_fake/stats."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.rest_base = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self, latency: float) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.fakes.discord_api", str(latency), cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        assert self.proc.stdout is not None
        self.rest_base = (await self.proc.stdout.readline()).decode().strip()
        self.http = aiohttp.ClientSession()

    async def stats(self) -> dict:
        assert self.http is not None
        async with self.http.get(self.rest_base.removesuffix("/api/v10") + "/_fake/stats") as response:
            return await response.json()

    async def messages_in(self, first: int, count: int) -> int:
        posted = (await self.stats())["channel_messages"]
        return sum(posted.get(str(first + i), 0) for i in range(count))

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


@dataclass
class Run:
    floor: float
    baseline: Phase
    posts: Phase
    reveals: Phase


async def measured(fake: RemoteFake, work: Callable[[], Awaitable[object]]) -> Phase:
    await asyncio.sleep(SETTLE)
    before = await fake.stats()
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    after = await fake.stats()
    return Phase(
        requests=after["calls"] - before["calls"],
        rejected=after["rate_limited"] - before["rate_limited"],
        invalid_window=after["invalid_in_window"],
        elapsed=elapsed,
    )


async def baseline(fake: RemoteFake, channels: int) -> Phase:
    """N message POSTs with nothing but aiohttp and the pacer (on the session's trace, as the adapter
    uses it): what the limits plus pacing cost."""
    pacer = RestPacer()
    ok = 0

    async def send(session: aiohttp.ClientSession, channel_id: int) -> None:
        nonlocal ok
        url = f"{fake.rest_base}/channels/{channel_id}/messages"
        async with session.post(url, json={"content": "x"}, headers={"Authorization": "Bot x"}) as response:
            await response.read()
            ok += response.status == 200

    async with aiohttp.ClientSession(trace_configs=[pacer.trace()]) as session:
        phase = await measured(
            fake, lambda: asyncio.gather(*(send(session, BASELINE_CHANNELS + i) for i in range(channels)))
        )
    phase.done = await fake.messages_in(BASELINE_CHANNELS, channels)
    phase.stored = ok
    return phase


async def one_run(channels: int, latency: float) -> Run:
    gc.collect()  # the previous run's garbage is not this run's pause
    thresholds = gc.get_threshold()
    fake = RemoteFake()
    await fake.start(latency)
    discord.http.Route.BASE = fake.rest_base  # type: ignore[misc]  # as DISCORD_API_URL does
    tmp = Path(tempfile.mkdtemp(prefix="studybot-fanout-"))
    bot: StudyBot | None = None
    client: DiscordAdapter | None = None
    gateway: asyncio.Task[None] | None = None
    try:
        base = await baseline(fake, channels)
        await asyncio.sleep(SETTLE)  # the bot's fresh pacer connects with the fake's window empty

        settings = Settings(database=tmp / "bench.db")
        bot = await StudyBot.create(settings)
        client = DiscordAdapter(bot, settings, guild_ready_timeout=0.01)
        client.sync_commands = False
        skip_identify_delay(client)
        gateway = task = asyncio.create_task(client.start("fake-token"))
        await asyncio.wait(
            [task, asyncio.create_task(client.wait_until_ready())], timeout=10, return_when="FIRST_COMPLETED"
        )
        if task.done():
            task.result()
        assert client.is_ready(), "the client did not connect"

        tune_for_bursts()  # as `studybot run` does once Discord is connected (undone below for the next run)
        community = await bot.storage.community("discord", str(FakeDiscord.GUILD_ID), "bench", "ja", "Asia/Tokyo")
        ids = []
        for i in range(channels):
            channel = await bot.storage.channel(community.id, str(BOT_CHANNELS + i))
            await bot.storage.save_schedule(Schedule(channel.id, bot.now().time(), "UTC"))
            ids.append(channel.id)
        scheduler = DailyScheduler(bot)  # not started: the jobs are fired by hand, all at once

        # 09:00:00: every schedule fires.
        posts = await measured(fake, lambda: asyncio.gather(*(scheduler.run_daily(cid) for cid in ids)))
        posts.done = await fake.messages_in(BOT_CHANNELS, channels)
        sent = await bot.storage.open_daily_posts()
        posts.stored = len(sent)

        # 17:00:00: every reveal is due.
        edits = (await fake.stats())["edits"]
        reveals = await measured(fake, lambda: asyncio.gather(*(bot.reveal(post.id) for post in sent)))
        reveals.done = (await fake.stats())["edits"] - edits
        for post in sent:
            stored = await bot.storage.post(post.id)
            reveals.stored += bool(stored is not None and stored.revealed_at)
        return Run(floor_seconds(channels, latency), base, posts, reveals)
    finally:
        if client is not None:
            await client.close()
        if gateway is not None:
            await asyncio.wait_for(gateway, 10)
        if bot is not None:
            await bot.close()
        await fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def span(values: list[float], fmt: str) -> str:
    low, high = min(values), max(values)
    if format(low, fmt) == format(high, fmt):
        return format(low, fmt)
    return f"{format(low, fmt)}–{format(high, fmt)}"


def figures(phases: list[Phase]) -> dict[str, list[float]]:
    return {f.name: [float(getattr(p, f.name)) for p in phases] for f in fields(Phase)}


def report(channels: int, latency: float, runs: list[Run]) -> None:
    floor = runs[0].floor
    base, posts, reveals = (figures([getattr(r, name) for r in runs]) for name in ("baseline", "posts", "reveals"))
    plural = f"{len(runs)} runs, min–max" if len(runs) > 1 else "1 run"
    print(f"\n{channels:,} channels, round trip {latency * 1000:.0f} ms ({plural})")
    print(f"  floor of the limits ({channels:,} requests at {GLOBAL_PER_SECOND}/s + round trip): {floor:.2f} s")
    print(
        f"  baseline, aiohttp + RestPacer : {span(base['elapsed'], '.2f')} s = "
        f"{span([e / floor for e in base['elapsed']], '.3f')}x floor; "
        f"posted {span(base['done'], ',.0f')}/{channels:,}; 429s {span(base['rejected'], ',.0f')}"
    )
    for name, phase, what, stored in (
        ("daily posts", posts, "posted", "stored as sent"),
        ("reveals", reveals, "edited", "revealed_at set"),
    ):
        elapsed = phase["elapsed"]
        share = [100 * r / max(q, 1) for r, q in zip(phase["rejected"], phase["requests"], strict=True)]
        ratio = [e / b for e, b in zip(elapsed, base["elapsed"], strict=True)]
        print(
            f"  {name:<30}: {span(elapsed, '.2f')} s = {span([e / floor for e in elapsed], '.3f')}x floor "
            f"= {span(ratio, '.3f')}x baseline"
        )
        print(
            f"      {what} {span(phase['done'], ',.0f')}/{channels:,} ({stored} {span(phase['stored'], ',.0f')}); "
            f"429s {span(phase['rejected'], ',.0f')} = {span(share, '.2f')}% of "
            f"{span(phase['requests'], ',.0f')} requests; invalid requests in the 10-min window so far "
            f"{span(phase['invalid_window'], ',.0f')} (ban at {INVALID_LIMIT:,})"
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, nargs="+", default=[1000, 2500])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.15], help="round trip, seconds")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # beside the pacer's warnings
    print(
        "targets: every message posted and edited; 429s < 1% of requests and far from "
        f"{INVALID_LIMIT:,} invalid per 10 min; elapsed/floor <= 1.15 at 150 ms"
    )
    for channels in args.channels:
        for latency in args.latency:
            runs = [await one_run(channels, latency) for _ in range(args.runs)]
            report(channels, latency, runs)


if __name__ == "__main__":
    asyncio.run(main())

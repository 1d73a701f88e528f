"""A schedule changed in one process takes effect in the others without a restart: two bots (each its
own storage and scheduler, as two processes have) on one database. On PostgreSQL the change arrives
at once by LISTEN/NOTIFY; on any backend the sweep rebuilds the daily jobs from the schedules table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.commands import parse_daily_set
from bot.scheduler import DailyScheduler
from tests.conftest import ADMIN, make_bot


@pytest.fixture
async def two(settings, clock, content) -> AsyncIterator[tuple]:
    first, second = await make_bot(settings, clock, content), await make_bot(settings, clock, content)
    schedulers = [DailyScheduler(first), DailyScheduler(second)]
    for scheduler in schedulers:
        await scheduler.start()
    try:
        yield first, schedulers[1]
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        await first.close()
        await second.close()


async def when(scheduler: DailyScheduler, channel_id: int, backend: str) -> tuple[time, str] | None:
    """The next daily fire time the other process has for the channel, once the change reached it:
    told at once on PostgreSQL (waited for, up to 10 s); on SQLite at its next sweep (run here)."""
    if backend == "sqlite":
        await scheduler.sweep()
    fire = scheduler.next_daily(channel_id)
    return None if fire is None else (fire.astimezone(ZoneInfo("Asia/Tokyo")).time(), str(fire.tzinfo))


async def wait_for(scheduler: DailyScheduler, channel_id: int, backend: str, expected: object) -> None:
    async with asyncio.timeout(10):
        while True:
            if await when(scheduler, channel_id, backend) == expected:
                return
            await asyncio.sleep(0.05)


async def test_a_schedule_set_changed_and_switched_off_in_one_process_reaches_the_other(two, backend):
    first, other = two
    schedule = await first.set_daily(ADMIN, parse_daily_set(["09:00"]))
    channel_id = schedule.channel_id
    await wait_for(other, channel_id, backend, (time(9, 0), "Asia/Tokyo"))
    await first.set_daily(ADMIN, parse_daily_set(["07:30", "UTC"]))
    await wait_for(other, channel_id, backend, (time(16, 30), "UTC"))  # 07:30 UTC is 16:30 in Tokyo
    assert await first.daily_off(ADMIN)
    await wait_for(other, channel_id, backend, None)


@pytest.mark.postgres_only
async def test_a_change_made_while_the_listener_was_cut_off_is_read_when_it_is_back(two, backend, database):
    """The listening connection is killed from the server side (as a restart would): it reconnects,
    and reads every schedule again, since notifications sent meanwhile are lost."""
    import asyncpg

    first, other = two
    schedule = await first.set_daily(ADMIN, parse_daily_set(["09:00"]))
    await wait_for(other, schedule.channel_id, backend, (time(9, 0), "Asia/Tokyo"))
    admin = await asyncpg.connect(str(database))
    try:
        # The listening connections end; a schedule is changed while they are gone.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'studybot-schedules'"
        )
        await admin.execute("UPDATE schedules SET at = '10:15' WHERE channel_id = $1", schedule.channel_id)
    finally:
        await admin.close()
    await wait_for(other, schedule.channel_id, backend, (time(10, 15), "Asia/Tokyo"))


async def test_the_sweep_runs_by_itself_and_catches_up_a_schedule_another_process_set(
    settings, clock, content, platform
):
    """No sweep() called by hand: the scheduler's own interval job (a third of a 1.5 s lease) finds the
    schedule set through the other process, whose time has passed today, and posts it once."""
    from dataclasses import replace

    from tests.conftest import RecordingPlatform

    quick = replace(settings, lease_seconds=1.5)
    poster, setter = await make_bot(quick, clock, content, platform), await make_bot(quick, clock, content)
    scheduler = DailyScheduler(poster)
    await scheduler.start()
    try:
        await setter.set_daily(ADMIN, parse_daily_set(["07:00"]))  # 08:00 now: missed today
        async with asyncio.timeout(10):
            while True:
                if platform.sent:
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.2)  # more sweeps: no second post
        assert len(platform.sent) == 1
        assert isinstance(setter.platforms["test"], RecordingPlatform) and not setter.platforms["test"].sent
    finally:
        await scheduler.stop()
        await poster.close()
        await setter.close()

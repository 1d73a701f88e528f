"""The daily clock: APScheduler jobs rebuilt from our own schedule and post tables at start, and a
sweep that finishes from the database whatever is due, whoever began it.

APScheduler's job store stays in memory on purpose: the database is the one source of truth, so
nothing can drift between two copies, and a restart simply rebuilds the jobs. The jobs make posts and
reveals punctual; the sweep (at start, then every SWEEP_SECONDS, in every process sharing the
database) makes them certain: it renews this process's leases, takes over the posts and reveals
whose lease ran out (a process died or stalled), closes and reveals posts past their time, and
catches up on a post missed while the local day lasts (downtime, a suspend, a clock jump).

A schedule set or switched off in one process takes effect in the others without a restart: on
PostgreSQL at once (the storage's watch_schedules, LISTEN/NOTIFY), and on any backend at the next sweep,
which rebuilds the daily jobs from the schedules table (so within SWEEP_SECONDS, 30 s, at most).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core import StudyBot
from bot.models import WEEKDAYS, Post, Schedule
from bot.recaps import recap_due, recap_week
from bot.storage.errors import STORAGE_FAILURES

log = logging.getLogger("studybot.scheduler")
# A daily job that fires late (the loop was busy, the machine slept) still posts within the hour;
# later than that the sweep catches it up, and posting is idempotent per local day either way.
DAILY_GRACE_SECONDS = 3600
SWEEP_SECONDS = 30.0  # at most; and at most a third of the lease, so renewals never let it lapse
# How long stop() lets posts and reveals under way finish; what is left keeps its lease in the
# database and is taken over once the lease runs out.
STOP_GRACE_SECONDS = 5.0
CHART_WARMUP_SECONDS = 10.0  # after start, the chart worker process is started (bot/chart_renderer.py)


def daily_trigger(schedule: Schedule) -> CronTrigger:
    return CronTrigger(
        day_of_week=",".join(schedule.weekdays),
        hour=schedule.at.hour,
        minute=schedule.at.minute,
        timezone=ZoneInfo(schedule.timezone),
    )


def _trigger_key(schedule: Schedule) -> tuple[object, ...]:
    """What a daily job depends on: a schedule changed in anything else is read afresh at fire time."""
    return (schedule.at, schedule.timezone, schedule.weekdays)


def recap_trigger(schedule: Schedule) -> CronTrigger:
    """Mondays at the channel's daily time, in its time zone."""
    return CronTrigger(
        day_of_week="mon", hour=schedule.at.hour, minute=schedule.at.minute, timezone=ZoneInfo(schedule.timezone)
    )


class DailyScheduler:
    def __init__(self, bot: StudyBot):
        self.bot = bot
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        )
        self._tasks: set[asyncio.Task[object]] = set()
        self._sweeping: asyncio.Task[None] | None = None
        self._reminding: asyncio.Task[object] | None = None
        self._posted: set[tuple[int, str]] = set()  # (channel, local date) known to have its post
        self._jobs: dict[int, tuple[object, ...]] = {}  # channel -> the trigger its daily job was made for
        self._recapped: set[tuple[int, str]] = set()  # (channel, week) whose recap is done here or elsewhere
        self._warming: asyncio.TimerHandle | None = None  # the chart worker's delayed start
        bot.scheduler = self

    @property
    def running(self) -> bool:
        return self.scheduler.running

    async def start(self) -> None:
        """Rebuild every job from the database, then sweep once: what was missed while down is done."""
        self.scheduler.start()
        self.sync_schedules(await self.bot.storage.schedules())
        if await self.bot.storage.watch_schedules(self.schedule_changed):
            log.info("schedule changes from other processes are applied as they are made")
        for post in await self.bot.storage.open_daily_posts():
            self.add_reveal(post)
        await self._add_recaps()
        # The chart worker starts a little later, once the start's catch-up (posts, reveals) had the CPU,
        # and before most first charts are asked for.
        self._warming = asyncio.get_running_loop().call_later(CHART_WARMUP_SECONDS, self.bot.charts.start)
        every = min(SWEEP_SECONDS, self.bot.settings.lease_seconds / 3)
        self.scheduler.add_job(self._sweep_soon, IntervalTrigger(seconds=every), id="sweep", replace_existing=True)
        # Reminders fire on the minute (bot/reminders.py): the reminders table is their schedule.
        self.scheduler.add_job(
            self._reminders_soon, CronTrigger(second=0, timezone=UTC), id="reminders", replace_existing=True
        )
        await self.sweep()
        await self.bot.reminders.sweep()

    async def stop(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.bot.reminders.settle(STOP_GRACE_SECONDS)
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
        for task in late:  # e.g. a reveal waiting for its retry: its lease lets another process finish it
            task.cancel()
        if late:
            await asyncio.wait(late)

    # -- the sweep

    async def _sweep_soon(self) -> None:
        """A coroutine function on purpose: APScheduler runs a plain function in a worker thread, where
        there is no event loop to start the sweep on (and it failed there every time)."""
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = asyncio.get_running_loop().create_task(self.sweep())

    def _reminders_soon(self) -> None:
        if self._reminding is None or self._reminding.done():
            self._reminding = asyncio.get_running_loop().create_task(self.bot.reminders.sweep())

    async def sweep(self) -> None:
        """Everything due, from the database; waits for what it started."""
        storage, posts, lease = self.bot.storage, self.bot.posts, self.bot.settings.lease_seconds
        now = self.bot.now()
        stamp = now.timestamp()
        work: list[asyncio.Task[object]] = []
        try:
            await storage.renew_claims(posts.token, stamp)
            for post in await storage.take_over_claims(posts.token, stamp, lease):
                log.info("post %s: its send was not confirmed; finishing it", post.id)
                work.append(self._track(posts.recover(post)))
            for post_id in await storage.due_reveals(stamp):
                work.append(self._track(self.bot.reveal(post_id)))
            for post_id in await storage.take_over_reveals(stamp, lease):
                log.info("post %s: its reveal was not confirmed; finishing it", post_id)
                work.append(self._track(self.bot.finish_reveal(post_id)))
            schedules = await storage.schedules()
            self.sync_schedules(schedules)  # changes made by other processes (the polling fallback)
            for schedule in schedules:
                day = now.astimezone(ZoneInfo(schedule.timezone)).date().isoformat()
                if (schedule.channel_id, day) not in self._posted and self.missed_today(schedule, now):
                    work.append(self._track(self._catch_up(schedule.channel_id, day)))
            work.extend(self._track(self._recap(channel_id)) for channel_id in await self._recaps_missed(now))
        except STORAGE_FAILURES as exc:  # /healthz says it too; one line, not a traceback each sweep
            log.error("the sweep could not use the database (%s); it runs again in %.0f s", exc, SWEEP_SECONDS)
        except Exception:
            log.exception("the sweep failed; it runs again in %.0f s", SWEEP_SECONDS)
        if work:
            await asyncio.wait(work)

    async def _catch_up(self, channel_id: int, day: str) -> None:
        result = await self.run_daily(channel_id)
        if result in ("daily.posted", "daily.already", "daily.elsewhere"):
            if len(self._posted) > 100_000:  # yesterday's are of no use any more
                self._posted.clear()
            self._posted.add((channel_id, day))

    @staticmethod
    def missed_today(schedule: Schedule, now: datetime) -> bool:
        """Today is a posting day and its time has passed (whether the post exists is the core's check)."""
        local = now.astimezone(ZoneInfo(schedule.timezone))
        return WEEKDAYS[local.weekday()] in schedule.weekdays and local.time() >= schedule.at

    # -- weekly recaps (bot/recaps.py): a Monday job per channel at its daily time, and the sweep's catch-up

    async def _add_recaps(self) -> None:
        for channel_id in await self.bot.storage.recap_channels():
            schedule = await self.bot.storage.schedule(channel_id)
            if schedule is not None:
                self.add_recap(schedule)

    def add_recap(self, schedule: Schedule) -> None:
        self.scheduler.add_job(
            self._recap_job,
            recap_trigger(schedule),
            args=[schedule.channel_id],
            id=f"recap:{schedule.channel_id}",
            replace_existing=True,
            misfire_grace_time=DAILY_GRACE_SECONDS,
        )

    def remove_recap(self, channel_id: int) -> None:
        job = self.scheduler.get_job(f"recap:{channel_id}")
        if job is not None:
            job.remove()

    def next_recap(self, channel_id: int) -> datetime | None:
        job = self.scheduler.get_job(f"recap:{channel_id}")
        return job.next_run_time if job else None

    async def _recaps_missed(self, now: datetime) -> list[int]:
        """Channels whose recap is due today (their Monday, past their time) and not known to be done."""
        missed = []
        for channel_id in await self.bot.storage.recap_channels():
            schedule = await self.bot.storage.schedule(channel_id)
            if schedule is None or not recap_due(schedule, now):
                continue
            week = recap_week(now.astimezone(ZoneInfo(schedule.timezone)).date())
            if (channel_id, week) not in self._recapped:
                missed.append(channel_id)
        return missed

    async def _recap_job(self, channel_id: int) -> None:
        await self._track(self._recap(channel_id))

    async def _recap(self, channel_id: int) -> str:
        try:
            result = await self.bot.recaps.post_recap(channel_id)
        except Exception:
            log.exception("channel %s: the weekly recap failed", channel_id)
            return "recap.failed"
        if result in ("recap.posted", "recap.already", "recap.failed", "recap.off"):
            schedule = await self.bot.storage.schedule(channel_id)
            if schedule is not None:
                week = recap_week(self.bot.now().astimezone(ZoneInfo(schedule.timezone)).date())
                self._recapped.add((channel_id, week))
        return result

    # -- jobs

    def sync_schedules(self, schedules: list[Schedule]) -> None:
        """The daily jobs made to match the enabled schedules in the database: new and changed ones
        (re)made, the ones no longer there (switched off, by any process) removed."""
        enabled = {s.channel_id: s for s in schedules if s.enabled}
        for channel_id in set(self._jobs) - set(enabled):
            self.remove_daily(channel_id)
        for channel_id, schedule in enabled.items():
            if self._jobs.get(channel_id) != _trigger_key(schedule):
                self.add_daily(schedule)

    async def schedule_changed(self, channel_id: int | None) -> None:
        """Told by the storage that a process changed this channel's schedule (None: any schedule)."""
        if channel_id is None:
            self.sync_schedules(await self.bot.storage.schedules())
            return
        schedule = await self.bot.storage.schedule(channel_id)
        if schedule is None or not schedule.enabled:
            self.remove_daily(channel_id)
        elif self._jobs.get(channel_id) != _trigger_key(schedule):
            self.add_daily(schedule)
            log.info("channel %s: its schedule was changed elsewhere; now %s", channel_id, daily_trigger(schedule))

    def add_daily(self, schedule: Schedule) -> None:
        self._jobs[schedule.channel_id] = _trigger_key(schedule)
        self.scheduler.add_job(
            self._daily_job,
            daily_trigger(schedule),
            args=[schedule.channel_id],
            id=f"daily:{schedule.channel_id}",
            replace_existing=True,
            misfire_grace_time=DAILY_GRACE_SECONDS,
        )

    def remove_daily(self, channel_id: int) -> None:
        self._jobs.pop(channel_id, None)
        job = self.scheduler.get_job(f"daily:{channel_id}")
        if job is not None:
            job.remove()

    def next_daily(self, channel_id: int) -> datetime | None:
        job = self.scheduler.get_job(f"daily:{channel_id}")
        return job.next_run_time if job else None

    def add_reveal(self, post: Post) -> None:
        """A job at the reveal time; one already due is left to the sweep."""
        if post.reveal_at is None:
            return
        when = datetime.fromtimestamp(post.reveal_at, UTC)
        if when <= self.bot.now():
            return
        self.scheduler.add_job(
            self._reveal_job,
            DateTrigger(run_date=when),
            args=[post.id],
            id=f"reveal:{post.id}",
            replace_existing=True,
            misfire_grace_time=None,  # a late reveal is still a reveal
        )

    async def _daily_job(self, channel_id: int) -> None:
        await self._track(self.run_daily(channel_id))

    async def _reveal_job(self, post_id: int) -> None:
        await self._track(self.bot.reveal(post_id))

    def _track(self, work: Coroutine[object, object, object]) -> asyncio.Task[object]:
        """Posts and reveals run as tasks of ours, so stop() can wait for them (within its grace)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def run_daily(self, channel_id: int) -> str:
        """Re-read the schedule at fire time: it may have been changed or disabled since."""
        schedule = await self.bot.storage.schedule(channel_id)
        if schedule is None or not schedule.enabled:
            self.remove_daily(channel_id)
            return "daily.not_set"
        try:
            return (await self.bot.post_daily(schedule)).key
        except Exception:
            log.exception("channel %s: the daily post failed", channel_id)
            return "daily.failed"

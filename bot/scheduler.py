"""The daily clock: APScheduler jobs rebuilt from our own schedule and post tables at start.

APScheduler's job store stays in memory on purpose: the database is the one source of truth, so
nothing can drift between two copies, and a restart simply rebuilds the jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.core import StudyBot
from bot.models import WEEKDAYS, Post, Schedule

log = logging.getLogger("studybot.scheduler")
# A daily job that fires late (the loop was busy, the machine slept) still posts within the hour;
# posting is idempotent per local day, so a late run can never double post.
DAILY_GRACE_SECONDS = 3600
RETRY_DELAYS = (60, 300, 900)  # after a failed send: 1, 5 and 15 minutes later, within the same day
# How long stop() lets reveals under way finish; the rest stay pending in the database for the next start.
STOP_GRACE_SECONDS = 5.0


def daily_trigger(schedule: Schedule) -> CronTrigger:
    return CronTrigger(
        day_of_week=",".join(schedule.weekdays),
        hour=schedule.at.hour,
        minute=schedule.at.minute,
        timezone=ZoneInfo(schedule.timezone),
    )


class DailyScheduler:
    def __init__(self, bot: StudyBot):
        self.bot = bot
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        )
        self._tasks: set[asyncio.Task[object]] = set()
        self._retries: dict[tuple[int, str], int] = {}  # (channel, local date) -> retries scheduled
        bot.scheduler = self

    @property
    def running(self) -> bool:
        return self.scheduler.running

    async def start(self) -> None:
        """Rebuild every job from the database, then catch up on what was missed while down."""
        self.scheduler.start()
        schedules = await self.bot.storage.schedules()
        for schedule in schedules:
            self.add_daily(schedule)
        # Read both lists before acting: a reveal started here closes its post at once, and must not
        # then be found again among the unfinished ones.
        unfinished = await self.bot.storage.unrevealed_posts()  # closed, but the edit never landed
        for post in await self.bot.storage.open_daily_posts():
            self.add_reveal(post)
        for post in unfinished:
            self._track(self.bot.finish_reveal(post.id))
        for schedule in schedules:
            if self.missed_today(schedule, self.bot.now()):
                log.info("channel %s: catching up on today's missed post", schedule.channel_id)
                await self.run_daily(schedule.channel_id)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
        for task in late:  # e.g. waiting to retry a reveal: it stays pending and resumes at the next start
            task.cancel()
        if late:
            await asyncio.wait(late)

    @staticmethod
    def missed_today(schedule: Schedule, now: datetime) -> bool:
        """Today is a posting day and its time has passed (whether the post exists is the core's check)."""
        local = now.astimezone(ZoneInfo(schedule.timezone))
        return WEEKDAYS[local.weekday()] in schedule.weekdays and local.time() >= schedule.at

    def add_daily(self, schedule: Schedule) -> None:
        self.scheduler.add_job(
            self.run_daily,
            daily_trigger(schedule),
            args=[schedule.channel_id],
            id=f"daily:{schedule.channel_id}",
            replace_existing=True,
            misfire_grace_time=DAILY_GRACE_SECONDS,
        )

    def remove_daily(self, channel_id: int) -> None:
        job = self.scheduler.get_job(f"daily:{channel_id}")
        if job is not None:
            job.remove()

    def next_daily(self, channel_id: int) -> datetime | None:
        job = self.scheduler.get_job(f"daily:{channel_id}")
        return job.next_run_time if job else None

    def retry_daily(self, channel_id: int, local_date: str) -> None:
        """Try a failed daily post again a little later; the day's uniqueness still holds."""
        attempt = self._retries.get((channel_id, local_date), 0)
        if attempt >= len(RETRY_DELAYS):
            log.error(
                "channel %s: giving up on the daily post for %s after %s retries", channel_id, local_date, attempt
            )
            return
        self._retries[(channel_id, local_date)] = attempt + 1
        when = self.bot.now() + timedelta(seconds=RETRY_DELAYS[attempt])
        self.scheduler.add_job(
            self.run_daily,
            DateTrigger(run_date=when),
            args=[channel_id],
            id=f"retry:{channel_id}",
            replace_existing=True,
            misfire_grace_time=None,
        )
        log.info("channel %s: retrying the daily post at %s", channel_id, when.isoformat())

    def add_reveal(self, post: Post) -> None:
        if post.reveal_at is None:
            return
        when = datetime.fromtimestamp(post.reveal_at, UTC)
        if when <= self.bot.now():
            self._track(self.bot.reveal(post.id))
            return
        self.scheduler.add_job(
            self._reveal_job,
            DateTrigger(run_date=when),
            args=[post.id],
            id=f"reveal:{post.id}",
            replace_existing=True,
            misfire_grace_time=None,  # a late reveal is still a reveal
        )

    async def _reveal_job(self, post_id: int) -> None:
        await self._track(self.bot.reveal(post_id))

    def _track(self, work: Coroutine[object, object, object]) -> asyncio.Task[object]:
        """Reveals run as tasks of ours, so stop() can wait for them (and a retry wait cannot hold it up)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def run_daily(self, channel_id: int) -> None:
        """Re-read the schedule at fire time: it may have been changed or disabled since."""
        schedule = await self.bot.storage.schedule(channel_id)
        if schedule is None or not schedule.enabled:
            self.remove_daily(channel_id)
            return
        try:
            await self.bot.post_daily(schedule)
        except Exception:
            log.exception("channel %s: the daily post failed", channel_id)

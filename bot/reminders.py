"""Opt-in daily reminders: at a learner's chosen local time, a direct message saying how many reviews
are due, with a button that starts the review.

The reminders table is the schedule. Each row says when it fires next (next_at, UTC); a sweep every
minute, in every process sharing the database, finds the rows whose time has come and moves each on
to its next day with a compare-and-set on next_at (Storage.advance_reminders): of several processes
exactly one wins a row, and only the winner sends it, so a learner never gets two for one day. The
rules of time (DST gaps, one per local day across time-zone changes) are bot/reminder_times.py.

A reminder is sent at most once: it is claimed before the message goes out, and a send that fails is
not tried again (a direct message has no idempotency key, and a second "you have 5 reviews due" is
worse than a missing one). After downtime, a reminder whose time passed less than CATCH_UP_SECONDS
ago is sent late; an older one is skipped until its next day. A learner whose direct messages are
closed to the bot gets the reminder switched off, with one log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.commands import UserError, parse_time, parse_timezone
from bot.logs import log_context
from bot.models import Community, DueReminder, Reminder, ReminderMove, User
from bot.reminder_times import next_fire
from bot.reviews import end_of_day
from bot.storage.errors import STORAGE_FAILURES

if TYPE_CHECKING:
    from bot.core import Actor, StudyBot
    from bot.storage import Storage

log = logging.getLogger("studybot.reminders")
CATCH_UP_SECONDS = 3 * 3600  # a reminder missed by less than this (a restart, downtime) is sent late
SWEEP_BATCH = 5000  # due reminders read and claimed per database round trip
MAX_BATCHES = 200  # a million reminders a minute: a bound, so no sweep can loop for ever
SENDING = 50  # direct messages under way at once: the platforms pace them; this bounds the waiting
OFF_WORDS = ("off", "stop", "オフ", "停止")


class RecipientUnavailable(Exception):
    """The platform says this person cannot get the bot's direct messages (closed, blocked, gone).

    The message is the detail for the log (the platform's code, bounded)."""

    def __init__(self, detail: str):
        super().__init__(detail[:300])


class ReminderPlatform(Protocol):
    """What an adapter provides to deliver reminders."""

    name: str

    async def send_reminder(self, community: Community, user: User, due: int) -> None:
        """A direct message to `user` saying `due` reviews are waiting in `community`, with a button that
        starts the review; RecipientUnavailable when their direct messages are closed to the bot."""
        ...


@dataclass(frozen=True)
class RemindRequest:
    """`remind HH:MM [zone]`, `remind off`, or `remind` alone (what is set)."""

    at: time | None = None
    timezone: str | None = None
    off: bool = False


@dataclass(frozen=True)
class ReminderStatus:
    reminder: Reminder | None
    timezone: str  # the zone it fires in (the learner's own, else the community's)
    next_at: datetime | None  # when it fires next, None when off


def parse_remind(args: list[str]) -> RemindRequest:
    if not args:
        return RemindRequest()
    if args[0].strip().lower() in OFF_WORDS:
        if len(args) > 1:
            raise UserError("reminder.usage")
        return RemindRequest(off=True)
    if len(args) > 2:
        raise UserError("reminder.usage")
    return RemindRequest(parse_time(args[0]), parse_timezone(args[1]) if len(args) > 1 else None)


class Reminders:
    def __init__(self, bot: StudyBot):
        self.bot = bot
        self.catch_up_seconds = CATCH_UP_SECONDS
        self._sending = asyncio.Semaphore(SENDING)
        self._tasks: set[asyncio.Task[object]] = set()
        self._counters: dict[str, Any] = {}

    # -- the learner's commands

    async def set(self, actor: Actor, at: time, timezone: str | None = None) -> ReminderStatus:
        ctx = await self.bot.context(actor)
        previous = await self.bot.storage.reminder(ctx.user.id, ctx.community.id)
        zone = timezone or ctx.community.timezone
        last_sent = previous.last_sent_at if previous else None
        when = next_fire(at, zone, self.bot.now(), last_sent)
        reminder = Reminder(ctx.user.id, ctx.community.id, at, timezone, int(when.timestamp()), True, last_sent)
        await self.bot.storage.save_reminder(reminder)
        return ReminderStatus(reminder, zone, when)

    async def off(self, actor: Actor) -> bool:
        ctx = await self.bot.context(actor)
        return await self.bot.storage.disable_reminder(ctx.user.id, ctx.community.id, "turned off by the learner")

    async def status(self, actor: Actor) -> ReminderStatus:
        ctx = await self.bot.context(actor)
        reminder = await self.bot.storage.reminder(ctx.user.id, ctx.community.id)
        zone = (reminder.timezone if reminder else None) or ctx.community.timezone
        if reminder is None or not reminder.enabled:
            return ReminderStatus(reminder, zone, None)
        return ReminderStatus(reminder, zone, datetime.fromtimestamp(reminder.next_at, self.bot.now().tzinfo))

    # -- the sweep

    async def sweep(self) -> Counter[str]:
        """Claim every reminder whose time has come and start sending the claimed ones (settle() waits
        for the sends). Counts what it did: sent (or late, after downtime) claimed for sending; skipped
        moved on without sending (missed by more than the window, or its zone moved it later); taken
        claimed first by another process."""
        counts: Counter[str] = Counter()
        now = self.bot.now()
        # Only the platforms this process serves: another process sends the others' (none is lost here).
        platforms = sorted(name for name, p in self.bot.platforms.items() if hasattr(p, "send_reminder"))
        try:
            for _ in range(MAX_BATCHES):
                due = await self.bot.storage.due_reminders(now.timestamp(), platforms, SWEEP_BATCH)
                moves, kinds = self._plan(due, now)
                claimed = set(await self.bot.storage.advance_reminders(moves))
                groups: dict[tuple[int, str], list[DueReminder]] = {}
                for item in due:
                    key = (item.reminder.user_id, item.reminder.community_id)
                    if key not in claimed:
                        counts["taken"] += 1  # another process moved it first
                        continue
                    counts[kinds[key]] += 1
                    if kinds[key] != "skipped":
                        zone = item.reminder.timezone or item.community.timezone
                        groups.setdefault((item.community.id, zone), []).append(item)
                for (_, zone), items in groups.items():
                    self._track(self._deliver(items, zone, now))
                if len(due) < SWEEP_BATCH:
                    break
        except STORAGE_FAILURES as exc:
            log.error("the reminder sweep could not use the database (%s); it runs again in a minute", exc)
        except Exception:
            log.exception("the reminder sweep failed; it runs again in a minute")
        return counts

    def _plan(self, due: list[DueReminder], now: datetime) -> tuple[list[ReminderMove], dict[tuple[int, int], str]]:
        """For each due reminder, the slot it stands for today (the first time, in the zone now in force,
        that is not older than the catch-up window, on a day after the last one sent) and its move."""
        moves: list[ReminderMove] = []
        kinds: dict[tuple[int, int], str] = {}
        earliest = now - timedelta(seconds=self.catch_up_seconds)
        # Thousands of learners share a time and zone (and a last slot): each combination is worked out once.
        plans: dict[tuple[time, str, float | None], tuple[int, int | None, str]] = {}
        for item in due:
            r = item.reminder
            zone = r.timezone or item.community.timezone
            plan = plans.get((r.at, zone, r.last_sent_at))
            if plan is None:
                slot = next_fire(r.at, zone, earliest, r.last_sent_at)
                if slot <= now:  # today's (or, after downtime, a recent one): claimed for sending
                    after = next_fire(r.at, zone, now, slot.timestamp())
                    kind = "sent" if now - slot < timedelta(minutes=2) else "late"
                    plan = (int(after.timestamp()), int(slot.timestamp()), kind)
                else:  # missed by more than the window, or its zone moved it later: moved on, not sent
                    plan = (int(slot.timestamp()), None, "skipped")
                plans[(r.at, zone, r.last_sent_at)] = plan
            next_at, sent_at, kinds[(r.user_id, r.community_id)] = plan
            moves.append(ReminderMove(r.user_id, r.community_id, r.next_at, next_at, sent_at))
        return moves, kinds

    async def _deliver(self, items: list[DueReminder], zone: str, now: datetime) -> None:
        """The claimed reminders of one community and zone: their due reviews counted in one query,
        then a message to each learner with any (nothing to the others)."""
        community = items[0].community
        with log_context(community=community.id):
            platform = self.bot.platforms.get(community.platform)
            send = getattr(platform, "send_reminder", None)
            if send is None:  # its adapter stopped since the sweep began
                log.warning("no %s adapter here for %s reminders; none today", community.platform, len(items))
                return
            users = [item.user.id for item in items]
            try:
                due = await count_due_many(self.bot.storage, community.id, users, now, self.bot.content.questions, zone)
            except Exception:
                log.exception("could not count the reviews due of %s learners; no reminder today", len(users))
                return
            sends = [
                self._send(send, community, item.user, due[item.user.id]) for item in items if due.get(item.user.id)
            ]
            if sends:
                await asyncio.gather(*sends)

    async def _send(self, send: Callable[..., Awaitable[None]], community: Community, user: User, due: int) -> None:
        async with self._sending:
            try:
                await send(community, user, due)
            except RecipientUnavailable as exc:
                await self.bot.storage.disable_reminder(user.id, community.id, f"direct messages refused: {exc}")
                log.warning("user %s cannot get direct messages (%s): their reminder is switched off", user.id, exc)
                return
            except Exception as exc:
                log.warning(
                    "user %s: the reminder was not sent (%s: %s); not retried", user.id, type(exc).__name__, exc
                )
                return
        self._sent_counter(community.platform).inc()

    def _sent_counter(self, platform: str) -> Any:
        counter = self._counters.get(platform)
        if counter is None:  # labels() validates and locks: once per platform, not per message
            counter = self._counters[platform] = self.bot.metrics.reminders.labels(platform)
        return counter

    def _track(self, work: Coroutine[object, object, object]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self, grace: float | None = None) -> None:
        """Wait for the reminders being sent (tests, and stop() within its grace)."""
        while self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            if late:
                for task in late:
                    task.cancel()
                await asyncio.wait(late)
                return


async def count_due_many(
    storage: Storage, community_id: int, user_ids: list[int], now: datetime, bank: Collection[str], timezone: str
) -> dict[int, int]:
    """bot.reviews.count_due for many learners of one community and zone at once (one query per
    batch instead of two per learner): due today in `timezone`, questions no longer in the bank left
    out. tests/test_reminders.py holds the two to the same answers."""
    due_by = end_of_day(now, timezone).timestamp()
    counts: dict[int, int] = dict.fromkeys(user_ids, 0)
    for start in range(0, len(user_ids), SWEEP_BATCH):
        for user_id, question_id in await storage.due_questions(
            community_id, user_ids[start : start + SWEEP_BATCH], due_by
        ):
            if question_id in bank:
                counts[user_id] += 1
    return counts

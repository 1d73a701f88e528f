"""The study commands typed as words (`quiz dop`, `daily set 09:00 mon-fri`), shared by every adapter
that takes text: the console and Slack's `/study`. Each returns a reply for the adapter to render in
its own way; bad input becomes a Message, never an exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.chart_data import ChartImage, board_title
from bot.commands import DailySpec, UserError, parse_daily_set, parse_period
from bot.content import ContentError
from bot.core import Actor, DailyResult, Leaderboard, QuestionView, StudyBot
from bot.i18n import t
from bot.lookup import LookupResult
from bot.models import Schedule
from bot.pack_admin import packs_text
from bot.reminders import ReminderStatus, RemindRequest, parse_remind
from bot.stats import UserStats
from bot.storage.errors import STORAGE_FAILURES


@dataclass(frozen=True)
class Message:
    text: str


@dataclass(frozen=True)
class QuestionReply:
    view: QuestionView


@dataclass(frozen=True)
class LookupReply:
    result: LookupResult
    locale: str


@dataclass(frozen=True)
class BoardReply:
    board: Leaderboard
    chart: ChartImage | None = None  # the top 10 as bars (None: not drawn, the text stands alone)


@dataclass(frozen=True)
class StatsReply:
    stats: UserStats
    chart: ChartImage | None = None  # 30 days, services and the streak calendar in one PNG


@dataclass(frozen=True)
class ScheduleReply:
    schedule: Schedule
    locale: str


@dataclass(frozen=True)
class DailyReply:
    result: DailyResult
    locale: str


Reply = Message | QuestionReply | LookupReply | BoardReply | StatsReply | ScheduleReply | DailyReply
log = logging.getLogger("studybot.commands")
ADMIN_COMMANDS = ("daily", "lang", "reload", "retention", "packs", "recap")
KNOWN_COMMANDS = {
    "help",
    "quiz",
    "lookup",
    "leaderboard",
    "stats",
    "daily",
    "lang",
    "reload",
    "review",
    "retention",
    "remind",
    "packs",
    "recap",
}
REVIEW_WORDS = ("review", "r", "復習")


class StudyCommands:
    """Each study command with typed arguments, for one actor. Text adapters parse words into these
    (run_command); Discord passes its typed slash options straight in (run_typed)."""

    def __init__(self, bot: StudyBot, actor: Actor, locale: str, prefixes: dict[str, str]):
        self.bot, self.actor, self.locale, self.prefixes = bot, actor, locale, prefixes

    async def help(self) -> Reply:
        return Message(t(self.locale, "help", **self.prefixes))

    async def quiz(self, filter_text: str = "") -> Reply:
        return QuestionReply(await self.bot.practice(self.actor, filter_text))

    async def review(self) -> Reply:
        return QuestionReply(await self.bot.review(self.actor))

    async def retention(self, value: str) -> Reply:
        retention = await self.bot.set_retention(self.actor, value)
        return Message(t(self.locale, "retention.set", value=f"{retention:g}"))

    async def lookup(self, term: str) -> Reply:
        return LookupReply(await self.bot.lookup(self.actor, term), self.locale)

    async def leaderboard(self, period: str = "week", channel_only: bool = False, chart: bool = True) -> Reply:
        board = await self.bot.leaderboard(self.actor, parse_period(period), channel_only)
        if not chart:
            return BoardReply(board)
        title = board_title(board.locale, board.period, board.channel_name)
        return BoardReply(board, await self.bot.board_chart(board, title))

    async def stats(self, chart: bool = True) -> Reply:
        stats = await self.bot.stats(self.actor)
        return StatsReply(stats, await self.bot.stats_chart(self.actor, stats) if chart else None)

    async def recap(self, switch: str) -> Reply:
        """`recap on|off`: the channel's weekly recap (admins)."""
        word = switch.strip().lower()
        if word not in ("on", "off"):
            raise UserError("recap.usage")
        return Message(await self.bot.recaps.switch(self.actor, word == "on"))

    async def daily_set(self, spec: DailySpec) -> Reply:
        return ScheduleReply(await self.bot.set_daily(self.actor, spec), self.locale)

    async def daily_off(self) -> Reply:
        stopped = await self.bot.daily_off(self.actor)
        return Message(t(self.locale, "daily.off" if stopped else "daily.not_set"))

    async def daily_now(self) -> Reply:
        return DailyReply(await self.bot.daily_now(self.actor), self.locale)

    async def remind(self, request: RemindRequest) -> Reply:
        """The learner's own daily review reminder: set, off, or what is set."""
        reminders = self.bot.reminders
        if request.off:
            stopped = await reminders.off(self.actor)
            return Message(t(self.locale, "reminder.off" if stopped else "reminder.not_set", **self.prefixes))
        if request.at is not None:
            return Message(
                self._reminder_text("reminder.set", await reminders.set(self.actor, request.at, request.timezone))
            )
        status = await reminders.status(self.actor)
        if status.next_at is None:
            return Message(t(self.locale, "reminder.not_set", **self.prefixes))
        return Message(self._reminder_text("reminder.status", status))

    def _reminder_text(self, key: str, status: ReminderStatus) -> str:
        from bot.render import local_time  # render imports this module

        assert status.reminder is not None and status.next_at is not None
        when = local_time(status.next_at.timestamp(), status.timezone, since=self.bot.now().timestamp())
        at = status.reminder.at.strftime("%H:%M")
        return t(self.locale, key, time=at, timezone=status.timezone, next=when, **self.prefixes)

    async def lang(self, locale: str) -> Reply:
        if locale not in ("ja", "en"):
            raise UserError("lang.usage")
        if not self.actor.is_admin:
            raise UserError("daily.admin_only")
        community = await self.bot.set_locale(self.actor, locale)
        return Message(t(community.locale, "lang.set"))

    async def packs(self) -> Reply:
        """The community's content packs, on and off (admins)."""
        locale, states = await self.bot.packs.states(self.actor)
        return Message(packs_text(states, locale, self.prefixes["a"]))

    async def pack_switch(self, name: str, on: bool) -> Reply:
        locale, states = await self.bot.packs.switch(self.actor, name, on)
        done = t(locale, "packs.switched_on" if on else "packs.switched_off", name=name.strip().lower())
        return Message(f"{done}\n\n{packs_text(states, locale, self.prefixes['a'])}")

    async def reload(self) -> Reply:
        if not self.actor.is_admin:
            raise UserError("daily.admin_only")
        try:
            bank = await self.bot.reload_content()
        except ContentError as exc:
            lines = "\n".join(f"・{p}" for p in exc.problems[:10])
            return Message(t(self.locale, "reload.refused", count=len(exc.problems), problems=lines))
        return Message(t(self.locale, "reload.done", questions=len(bank.questions), entries=len(bank.entries)))


async def run_typed(
    bot: StudyBot,
    actor: Actor,
    name: str,
    call: Callable[[StudyCommands], Awaitable[Reply]],
    prefix: str = "/",
    admin_prefix: str | None = None,
) -> Reply:
    """Run one command; bad input and database trouble become a Message. `prefix` (and `admin_prefix`)
    is how the adapter's users type commands, for help texts."""
    locale = bot.settings.locale_for(actor.community_locale)
    prefixes = {"p": prefix, "a": admin_prefix or prefix}
    started = time.perf_counter()
    try:
        locale = (await bot.context(actor)).locale
        return await call(StudyCommands(bot, actor, locale, prefixes))
    except UserError as exc:
        return Message(t(locale, exc.key, **{**prefixes, **exc.params}))
    except STORAGE_FAILURES as exc:
        bot.metrics.errors.labels("storage").inc()
        log.error("command %s failed on the database: %s", name, exc)
        return Message(t(locale, "storage.error"))
    finally:
        known = name if name in KNOWN_COMMANDS else "unknown"
        bot.metrics.command_seconds.labels(known).observe(time.perf_counter() - started)


async def run_command(
    bot: StudyBot, actor: Actor, words: list[str], prefix: str = "/", admin_prefix: str | None = None
) -> Reply:
    """Run one command typed as words."""
    command, args = (words[0].lower().lstrip("/"), words[1:]) if words else ("help", [])
    name = "review" if command in REVIEW_WORDS else command  # the metric's label
    return await run_typed(bot, actor, name, lambda c: _dispatch(c, command, args), prefix, admin_prefix)


async def _dispatch(c: StudyCommands, command: str, args: list[str]) -> Reply:
    if command in ("help", "h", "?", "ヘルプ"):
        return await c.help()
    if command in ("quiz", "q", "practice"):
        return await c.quiz(" ".join(args))
    if command in REVIEW_WORDS:
        return await c.review()
    if command == "retention":
        return await c.retention(args[0] if args else "")
    if command in ("lookup", "l", "search"):
        return await c.lookup(" ".join(args))
    if command in ("leaderboard", "lb", "rank", "ranking"):
        period = next((a for a in args if a != "channel"), None)
        return await c.leaderboard(parse_period(period), "channel" in args)
    if command == "stats":
        return await c.stats()
    if command == "daily":
        sub, rest = (args[0].lower(), args[1:]) if args else ("", [])
        if sub == "set":
            return await c.daily_set(parse_daily_set(rest))
        if sub == "off":
            return await c.daily_off()
        if sub == "now":
            return await c.daily_now()
        raise UserError("daily.usage")
    if command == "reload":
        return await c.reload()
    if command in ("remind", "reminder", "リマインダー"):
        return await c.remind(parse_remind(args))
    if command == "packs":
        sub = args[0].lower() if args else ""
        if not sub or sub == "list":
            return await c.packs()
        if sub in ("on", "off") and len(args) == 2:
            return await c.pack_switch(args[1], sub == "on")
        raise UserError("packs.usage")
    if command in ("recap", "まとめ"):
        return await c.recap(args[0] if args else "")
    if command in ("lang", "locale"):
        return await c.lang(args[0] if args else "")
    return Message(t(c.locale, "unknown_command", command=f"{c.prefixes['p']}{command}", **c.prefixes))

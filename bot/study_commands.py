"""The study commands typed as words (`quiz dop`, `daily set 09:00 mon-fri`), shared by every adapter
that takes text: the console and Slack's `/study`. Each returns a reply for the adapter to render in
its own way; bad input becomes a Message, never an exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands import DailySpec, UserError, parse_daily_set, parse_period
from bot.content import ContentError
from bot.core import Actor, DailyResult, Leaderboard, QuestionView, StudyBot
from bot.i18n import t
from bot.lookup import LookupResult
from bot.models import Schedule
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


@dataclass(frozen=True)
class StatsReply:
    stats: UserStats


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
ADMIN_COMMANDS = ("daily", "lang", "reload", "retention")
KNOWN_COMMANDS = {"help", "quiz", "lookup", "leaderboard", "stats", "daily", "lang", "reload", "review", "retention"}
REVIEW_WORDS = ("review", "r", "復習")


class StudyCommands:
    """Each study command with typed arguments, for one actor. Text adapters parse words into these
    (run_command); Discord passes its typed slash options straight in (run_typed)."""

    def __init__(self, bot: StudyBot, actor: Actor, locale: str, prefixes: dict[str, str]):
        self.bot, self.actor, self.locale, self.prefixes = bot, actor, locale, prefixes

    async def help(self) -> Reply:
        return Message(t(self.locale, "help", **self.prefixes) + "\n" + t(self.locale, "help.reviews", **self.prefixes))

    async def quiz(self, filter_text: str = "") -> Reply:
        return QuestionReply(await self.bot.practice(self.actor, filter_text))

    async def review(self) -> Reply:
        return QuestionReply(await self.bot.review(self.actor))

    async def retention(self, value: str) -> Reply:
        retention = await self.bot.set_retention(self.actor, value)
        return Message(t(self.locale, "retention.set", value=f"{retention:g}"))

    async def lookup(self, term: str) -> Reply:
        return LookupReply(self.bot.lookup(term), self.locale)

    async def leaderboard(self, period: str = "week", channel_only: bool = False) -> Reply:
        return BoardReply(await self.bot.leaderboard(self.actor, parse_period(period), channel_only))

    async def stats(self) -> Reply:
        return StatsReply(await self.bot.stats(self.actor))

    async def daily_set(self, spec: DailySpec) -> Reply:
        return ScheduleReply(await self.bot.set_daily(self.actor, spec), self.locale)

    async def daily_off(self) -> Reply:
        stopped = await self.bot.daily_off(self.actor)
        return Message(t(self.locale, "daily.off" if stopped else "daily.not_set"))

    async def daily_now(self) -> Reply:
        return DailyReply(await self.bot.daily_now(self.actor), self.locale)

    async def lang(self, locale: str) -> Reply:
        if locale not in ("ja", "en"):
            raise UserError("lang.usage")
        if not self.actor.is_admin:
            raise UserError("daily.admin_only")
        community = await self.bot.set_locale(self.actor, locale)
        return Message(t(community.locale, "lang.set"))

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
    if command in ("lang", "locale"):
        return await c.lang(args[0] if args else "")
    return Message(t(c.locale, "unknown_command", command=f"{c.prefixes['p']}{command}", **c.prefixes))

"""The study commands typed as words (`quiz dop`, `daily set 09:00 mon-fri`), shared by every adapter
that takes text: the console and Slack's `/study`. Each returns a reply for the adapter to render in
its own way; bad input becomes a Message, never an exception.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass

from bot.commands import UserError, parse_daily_set, parse_period
from bot.content import ContentError
from bot.core import Actor, DailyResult, Leaderboard, QuestionView, StudyBot
from bot.i18n import t
from bot.lookup import LookupResult
from bot.models import Schedule
from bot.stats import UserStats


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
ADMIN_COMMANDS = ("daily", "lang", "reload")
KNOWN_COMMANDS = {"help", "quiz", "lookup", "leaderboard", "stats", "daily", "lang", "reload"}


async def run_command(
    bot: StudyBot, actor: Actor, words: list[str], prefix: str = "/", admin_prefix: str | None = None
) -> Reply:
    """Run one command; `prefix` (and `admin_prefix`) is how the adapter's users type commands, for help texts."""
    locale = (await bot.context(actor)).locale
    command, args = (words[0].lower().lstrip("/"), words[1:]) if words else ("help", [])
    prefixes = {"p": prefix, "a": admin_prefix or prefix}
    started = time.perf_counter()
    try:
        return await _dispatch(bot, actor, command, args, locale, prefixes)
    except UserError as exc:
        return Message(t(locale, exc.key, **{**prefixes, **exc.params}))
    except sqlite3.Error as exc:
        bot.metrics.errors.labels("storage").inc()
        log.error("command %s failed on the database: %s", command, exc)
        return Message(t(locale, "storage.error"))
    finally:
        known = command if command in KNOWN_COMMANDS else "unknown"
        bot.metrics.command_seconds.labels(known).observe(time.perf_counter() - started)


async def _dispatch(
    bot: StudyBot, actor: Actor, command: str, args: list[str], locale: str, prefixes: dict[str, str]
) -> Reply:
    if command in ("help", "h", "?", "ヘルプ"):
        return Message(t(locale, "help", **prefixes))
    if command in ("quiz", "q", "practice"):
        return QuestionReply(await bot.practice(actor, " ".join(args)))
    if command in ("lookup", "l", "search"):
        return LookupReply(bot.lookup(" ".join(args)), locale)
    if command in ("leaderboard", "lb", "rank", "ranking"):
        channel_only = "channel" in args
        period = next((a for a in args if a != "channel"), None)
        return BoardReply(await bot.leaderboard(actor, parse_period(period), channel_only))
    if command == "stats":
        return StatsReply(await bot.stats(actor))
    if command == "daily":
        return await _daily(bot, actor, args, locale)
    if command == "reload":
        if not actor.is_admin:
            raise UserError("daily.admin_only")
        try:
            bank = await bot.reload_content()
        except ContentError as exc:
            lines = "\n".join(f"・{p}" for p in exc.problems[:10])
            return Message(t(locale, "reload.refused", count=len(exc.problems), problems=lines))
        return Message(t(locale, "reload.done", questions=len(bank.questions), entries=len(bank.entries)))
    if command in ("lang", "locale"):
        if not args or args[0] not in ("ja", "en"):
            raise UserError("lang.usage")
        if not actor.is_admin:
            raise UserError("daily.admin_only")
        community = await bot.set_locale(actor, args[0])
        return Message(t(community.locale, "lang.set"))
    return Message(t(locale, "unknown_command", command=f"{prefixes['p']}{command}", **prefixes))


async def _daily(bot: StudyBot, actor: Actor, args: list[str], locale: str) -> Reply:
    sub, rest = (args[0].lower(), args[1:]) if args else ("", [])
    if sub == "set":
        return ScheduleReply(await bot.set_daily(actor, parse_daily_set(rest)), locale)
    if sub == "off":
        stopped = await bot.daily_off(actor)
        return Message(t(locale, "daily.off" if stopped else "daily.not_set"))
    if sub == "now":
        return DailyReply(await bot.daily_now(actor), locale)
    raise UserError("daily.usage")

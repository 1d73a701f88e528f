"""A terminal chat that plays the whole study loop on one machine, no Discord or Slack needed.

It is the default when no platform tokens are set, and it uses the same core and database as the
real adapters. Typing `/name Alice` switches who you are, so one person can try a whole team.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot.chart_data import ChartImage
from bot.content import Question
from bot.core import Actor, StudyBot
from bot.i18n import t
from bot.models import Channel, Community, Post, PostResults, User
from bot.recaps import Recap, recap_text
from bot.render import feedback_text, question_text, reply_text, reveal_text
from bot.storage import is_postgres_url
from bot.study_commands import BoardReply, DailyReply, QuestionReply, StatsReply, run_command

log = logging.getLogger("studybot.console")
PLATFORM = "console"
COMMUNITY = "local"
CHANNEL = "console"


class ConsoleAdapter:
    name = PLATFORM

    def __init__(self, bot: StudyBot, user_name: str, write: Callable[[str], None] | None = None):
        self.bot = bot
        self.user_name = user_name
        self.write = write or _print
        self.latest_post: int | None = None  # plain "A" answers the most recent question
        bot.register(self)

    @property
    def actor(self) -> Actor:
        return Actor(
            platform=PLATFORM,
            community_id=COMMUNITY,
            community_name="console",
            user_id=self.user_name,
            user_name=self.user_name,
            channel_id=CHANNEL,
            channel_name=CHANNEL,
            is_admin=True,  # it is your own machine
        )

    # -- the core posts through these

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        self.latest_post = post.id
        self.write(self._framed(question_text(post, question, community.locale, community.timezone), post.id))
        return f"console:{post.id}"

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None:
        self.write(f"\n[#{post.id}] " + reveal_text(question, results, community.locale))

    async def send_reminder(self, community: Community, user: User, due: int) -> None:
        """The console's "direct message": printed, with the command that starts the review."""
        text = t(community.locale, "reminder.dm", count=due, community=community.name or community.platform_id)
        hint = t(community.locale, "reminder.review_elsewhere", p="/")
        self.write(f"\n[reminder → {user.name or user.platform_id}] {text}\n{hint}")

    async def send_recap(self, community: Community, channel: Channel, recap: Recap) -> str:
        text = recap_text(recap)
        if recap.chart is not None:
            text += "\n" + t(recap.locale, "chart.saved", path=await self.save_chart(recap.chart))
        self.write("\n" + text)
        return f"console:recap:{recap.week}"

    # -- charts: written as files, the path printed

    def chart_dir(self) -> Path:
        if self.bot.settings.chart_dir is not None:
            return self.bot.settings.chart_dir
        database = self.bot.settings.database
        if is_postgres_url(database):
            return Path(tempfile.gettempdir()) / "studybot-charts"
        return Path(database).parent / "charts"

    async def save_chart(self, chart: ChartImage) -> Path:
        folder = self.chart_dir()
        path = folder / chart.filename
        await asyncio.to_thread(_write_file, path, chart.png)
        return path

    # -- input

    async def run(self, lines: AsyncIterator[str]) -> None:
        self.write(t(self.bot.settings.locale, "help", p="/"))
        async for line in lines:
            if line.strip() in ("/quit", "/exit"):
                break
            try:
                await self.handle(line)
            except Exception:  # one bad line must not end the session (and its scheduler)
                log.exception("console: the line %r failed", line.strip()[:80])
                self.write(t(self.bot.settings.locale, "error.unexpected"))

    async def handle(self, line: str) -> None:
        """One line typed by the user: a /command, or an answer such as `A` or `A,C`."""
        text = line.strip()
        if not text:
            return
        reply = await self._dispatch(text)
        if reply:
            self.write(reply)

    async def _dispatch(self, text: str) -> str:
        if not text.startswith("/"):
            return await self._answer(None, text)
        try:
            words = shlex.split(text[1:])
        except ValueError:  # an unclosed quote: take the words as typed
            words = text[1:].split()
        command, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if command == "answer":
            if len(args) >= 2 and looks_like_a_number(args[0]):  # /answer ID CHOICES
                post_id = post_number(args[0])
                if post_id is None:
                    locale = (await self.bot.context(self.actor)).locale
                    return t(locale, "console.bad_post_id", value=args[0][:20])
                return await self._answer(post_id, ",".join(args[1:]))
            return await self._answer(None, " ".join(args))
        if command == "name":
            if args:
                self.user_name = " ".join(args)
                return f"you are now {self.user_name}"
            return f"you are {self.user_name}"
        reply = await run_command(self.bot, self.actor, words)
        if isinstance(reply, QuestionReply):
            self.latest_post = reply.view.post.id
            return self._framed(reply_text(reply), reply.view.post.id)
        if isinstance(reply, DailyReply) and reply.result.key == "daily.posted":
            return ""  # the question itself was printed by send_question
        text = reply_text(reply)
        if isinstance(reply, StatsReply | BoardReply):
            if reply.chart is not None:
                path = await self.save_chart(reply.chart)
                text += "\n" + t((await self.bot.context(self.actor)).locale, "chart.saved", path=path)
        return text

    async def _answer(self, post_id: int | None, text: str) -> str:
        post_id = post_id or self.latest_post
        ctx = await self.bot.context(self.actor)
        if post_id is None:
            return t(ctx.locale, "answer.unknown_post")
        choices = [c for c in text.replace("、", ",").replace(" ", ",").split(",") if c]
        if len(choices) == 1 and len(choices[0]) > 1 and choices[0].isalpha():
            choices = list(choices[0])  # "AC" means A and C
        feedback = await self.bot.answer(self.actor, post_id, choices)
        return feedback_text(feedback, ctx.community.timezone)

    def _framed(self, text: str, post_id: int) -> str:
        return f"\n[#{post_id}] {text}\n(answer with A, B, ... or /answer {post_id} A)"


def looks_like_a_number(text: str) -> bool:
    """Meant as a question number (even a bad one: "-1", "²", "#x"), not as a choice such as "A"."""
    return text.startswith(("#", "-", "+")) or text[:1].isdigit() or text[:1].isnumeric()


def post_number(text: str) -> int | None:
    """A question number as printed ([#12]): ASCII digits (not "²" or "١"), within SQLite's integers."""
    digits = text.removeprefix("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return int(digits) or None


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)  # a viewer never opens half a PNG


def _print(text: str) -> None:
    print(text, flush=True)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from the terminal without blocking the event loop (the scheduler keeps running)."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line

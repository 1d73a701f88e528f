"""The weekly recap, opt-in per channel: every Monday at the channel's daily post time, in its time
zone, last week's top 10, participation, the question the channel found hardest, and the chart.

Exactly once per channel and week: the week is claimed in the database (a row keyed by channel and
week) before anything is sent, so a restart, a catch-up by the sweep and a second process sharing the
database all find it taken. A recap is never sent twice, even when the send may have failed after
the platform took it: such a recap is recorded as failed (and logged) rather than retried. A recap
missed while the bot was down is sent when it comes back, if it is still that Monday there.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.chart_data import ChartImage, board_chart
from bot.charts import render_board
from bot.commands import UserError
from bot.content import Question
from bot.daily_posts import ChannelUnavailable
from bot.i18n import board_row, percent, t
from bot.logs import log_context
from bot.models import Channel, Community, QuestionTally, Schedule, ScoreRow, WeekActivity
from bot.periods import week_key, week_start

if TYPE_CHECKING:
    from bot.core import Actor, StudyBot

log = logging.getLogger("studybot.recaps")
RECAP_WEEKDAY = 0  # Monday
MIN_ANSWERS_FOR_HARDEST = 3  # a question answered by fewer says little about the channel


@dataclass(frozen=True)
class Hardest:
    question: Question
    answered: int
    correct: int


@dataclass(frozen=True)
class Recap:
    """One channel's week, ready for an adapter to render."""

    locale: str
    week: str  # the stored key, e.g. "w2026-W47"
    label: str  # how it is shown: "2026-11-16 – 11-22"
    rows: list[ScoreRow]
    activity: WeekActivity
    hardest: Hardest | None
    chart: ChartImage | None = field(default=None, compare=False)


def hardest_question(
    questions: tuple[QuestionTally, ...], minimum: int = MIN_ANSWERS_FOR_HARDEST
) -> QuestionTally | None:
    """The post with the lowest share of right answers among those with at least `minimum` answers;
    ties go to more answers, then the earlier post."""
    candidates = [q for q in questions if q.answered >= minimum]
    if not candidates:
        return None
    return min(candidates, key=lambda q: (q.correct / q.answered, -q.answered, q.post_id))


def recap_week(local_day: date) -> str:
    """The week a recap sent on `local_day` covers: the one before it."""
    return week_key(local_day - timedelta(days=7))


def week_label(key: str) -> str:
    start = week_start(key)
    end = start + timedelta(days=6)
    return f"{start.isoformat()} – {end:%m-%d}"


def recap_due(schedule: Schedule, now: datetime) -> bool:
    """It is Monday where the channel is, and the daily post's time has passed."""
    local = now.astimezone(ZoneInfo(schedule.timezone))
    return local.weekday() == RECAP_WEEKDAY and local.time() >= schedule.at


class WeeklyRecaps:
    def __init__(self, bot: StudyBot):
        self.bot = bot
        self.token = secrets.token_hex(8)
        self.min_answers = MIN_ANSWERS_FOR_HARDEST

    @property
    def storage(self):  # type: ignore[no-untyped-def]
        return self.bot.storage

    # -- the admin command

    async def switch(self, actor: Actor, on: bool) -> str:
        """`recap on|off` in a channel (admins only): the reply's text."""
        ctx, channel = await self.bot._admin_channel(actor)
        if on:
            schedule = await self.storage.schedule(channel.id)
            if schedule is None or not schedule.enabled:
                raise UserError("recap.needs_daily")
            await self.storage.set_recap(channel.id, True, ctx.user.id, self.bot.now().timestamp())
            if self.bot.scheduler is not None:
                self.bot.scheduler.add_recap(schedule)
            return t(ctx.locale, "recap.on", time=f"{schedule.at:%H:%M}", timezone=schedule.timezone)
        changed = await self.storage.set_recap(channel.id, False, ctx.user.id, self.bot.now().timestamp())
        if self.bot.scheduler is not None:
            self.bot.scheduler.remove_recap(channel.id)
        return t(ctx.locale, "recap.off" if changed else "recap.was_off")

    async def reschedule(self, channel_id: int) -> None:
        """The daily post's time changed: a recap that is on moves with it."""
        if self.bot.scheduler is None or not await self.storage.recap_enabled(channel_id):
            return
        schedule = await self.storage.schedule(channel_id)
        if schedule is not None:
            self.bot.scheduler.add_recap(schedule)

    # -- building and sending

    async def build(self, community: Community, channel: Channel, week: str) -> Recap:
        rows = await self.storage.leaderboard(community.id, channel.id, week)
        activity = await self.storage.channel_week(channel.id, week)
        hardest = None
        tally = hardest_question(activity.questions, self.min_answers)
        if tally is not None:
            post = await self.storage.post(tally.post_id)
            question = self.bot.question_of(post) if post is not None else None
            if question is not None:
                hardest = Hardest(question, tally.answered, tally.correct)
        label = week_label(week)
        title = t(community.locale, "chart.recap_title", week=label)
        png = await self.bot.charts.render(render_board, board_chart(community.locale, title, rows))
        chart = ChartImage(f"recap-{week[1:]}.png", png, title) if png else None
        return Recap(community.locale, week, label, rows, activity, hardest, chart)

    async def post_recap(self, channel_id: int, forced: bool = False) -> str:
        """Send the channel's recap of last week unless it was claimed already. The result's key:
        recap.posted | recap.already | recap.not_due | recap.off | recap.failed."""
        schedule = await self.storage.schedule(channel_id)
        channel = await self.storage.channel_by_id(channel_id)
        if schedule is None or channel is None or not await self.storage.recap_enabled(channel_id):
            return "recap.off"
        now = self.bot.now()
        if not forced and not recap_due(schedule, now):
            return "recap.not_due"
        community = await self.storage.community_by_id(channel.community_id)
        assert community is not None
        with log_context(community=community.id, channel=channel.id):
            platform = self.bot.platforms.get(community.platform)
            send = getattr(platform, "send_recap", None)
            if send is None:  # another process's platform (or one that cannot): left for it, unclaimed
                return "recap.failed"
            week = recap_week(now.astimezone(ZoneInfo(schedule.timezone)).date())
            if not await self.storage.claim_recap(channel.id, week, now.timestamp(), self.token):
                return "recap.already"
            try:
                recap = await self.build(community, channel, week)
                message_ref = await send(community, channel, recap)
            except ChannelUnavailable as exc:
                await self.storage.finish_recap(channel.id, week, "failed", error=str(exc))
                await self.storage.set_recap(channel.id, False, None, now.timestamp())
                if self.bot.scheduler is not None:
                    self.bot.scheduler.remove_recap(channel.id)
                log.warning("channel %s unavailable for its recap (%s): the recap is switched off", channel.id, exc)
                return "recap.failed"
            except Exception as exc:
                # It may have reached the channel: never sent again, so recorded as failed.
                await self.storage.finish_recap(channel.id, week, "failed", error=f"{type(exc).__name__}: {exc}"[:300])
                log.exception(
                    "channel %s: the recap of %s failed; not retried (it may have been sent)", channel.id, week
                )
                return "recap.failed"
            await self.storage.finish_recap(channel.id, week, "sent", message_ref=message_ref)
            log.info("channel %s: recap of %s sent", channel.id, week)
            return "recap.posted"


def recap_text(recap: Recap, escape: Callable[[str], str] = str) -> str:
    """The recap as text; `escape` makes names and question text inert in the platform's markup."""
    loc = recap.locale
    lines = [t(loc, "recap.title", week=recap.label)]
    activity = recap.activity
    if not activity.answers:
        lines.append(t(loc, "recap.no_answers"))
        return "\n".join(lines)
    lines.append(
        t(loc, "recap.participation", people=activity.people, answers=activity.answers, correct=activity.correct)
    )
    lines.append(t(loc, "recap.top"))
    for row in recap.rows[:10]:
        lines.append(board_row(loc, row, escape))
    if recap.hardest is not None:
        hardest = recap.hardest
        stem = " ".join(hardest.question.prompt.split())
        stem = stem if len(stem) <= 120 else stem[:119] + "…"
        lines.append(
            t(
                loc,
                "recap.hardest",
                question=escape(f"{hardest.question.id}: {stem}"),
                accuracy=percent(hardest.correct, hardest.answered),
                answered=hardest.answered,
            )
        )
    else:
        lines.append(t(loc, "recap.no_hardest", min=MIN_ANSWERS_FOR_HARDEST))
    return "\n".join(lines)

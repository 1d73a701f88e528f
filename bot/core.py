"""The study loop, independent of any chat platform.

Adapters call these methods with who and where (an Actor) and get back plain results to render.
Posting to a channel goes the other way: each adapter registers a Platform that sends and edits
messages for the core.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from bot.choosing import QuestionFilter, choose_daily, choose_practice, resolve_filter
from bot.commands import DailySpec, UserError
from bot.config import Settings
from bot.content import ContentBank, ContentError, Question, load_content_async
from bot.logs import log_context
from bot.lookup import LookupIndex, LookupResult
from bot.metrics import Metrics
from bot.models import (
    WEEKDAYS,
    AnswerOutcome,
    AnswerRequest,
    AnswerStatus,
    Channel,
    Community,
    Post,
    PostResults,
    PostStatus,
    Schedule,
    ScoreRow,
    Streak,
    User,
)
from bot.periods import period_key, period_keys
from bot.stats import UserStats, compute_stats
from bot.storage import Storage

if TYPE_CHECKING:
    from bot.scheduler import DailyScheduler

log = logging.getLogger("studybot.core")
DEFAULT_REVEAL_MINUTES = 8 * 60
# Seconds between the tries of a reveal edit the platform did not take (about two minutes in all).
REVEAL_RETRY_DELAYS = (2.0, 5.0, 15.0, 30.0, 60.0)


class ChannelUnavailable(Exception):
    """The platform says the bot can no longer post in this channel (removed, no permission)."""


class Platform(Protocol):
    """What an adapter does for the core: put questions into channels and reveal them."""

    name: str

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        """Post the question; return a reference to the message for the later reveal edit."""
        ...

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None: ...


@dataclass(frozen=True)
class Actor:
    """Who is asking, and where: platform ids as the platform gives them."""

    platform: str
    community_id: str
    user_id: str
    user_name: str = ""
    channel_id: str | None = None
    channel_name: str = ""
    community_name: str = ""
    is_admin: bool = False
    community_locale: str | None = None  # the platform's language for the community, if it has one


class Context(NamedTuple):
    """Who is asking, and where. Built for every click, so a named tuple (cheaper than a dataclass)."""

    community: Community
    user: User

    @property
    def locale(self) -> str:
        return self.community.locale


@dataclass(frozen=True)
class QuestionView:
    post: Post
    question: Question
    locale: str
    reveal_at: datetime | None = None


@dataclass(frozen=True)
class AnswerFeedback:
    outcome: AnswerOutcome
    locale: str
    question: Question | None = None
    post: Post | None = None
    error_key: str | None = None  # bad input: the message to show instead
    error_params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Leaderboard:
    locale: str
    period: str
    rows: list[ScoreRow]
    me: ScoreRow | None
    channel_name: str | None = None


@dataclass(frozen=True)
class DailyResult:
    key: str  # daily.posted | daily.already | daily.failed | daily.no_question | daily.not_set
    post: Post | None = None
    error: str = ""


class StudyBot:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        content: ContentBank,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ):
        self.settings = settings
        self.storage = storage
        self.content = content
        self.index = LookupIndex(content.entries)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self.platforms: dict[str, Platform] = {}
        self.scheduler: DailyScheduler | None = None  # set by DailyScheduler
        self._communities: dict[tuple[str, str], Community] = {}
        self._users: dict[tuple[str, str], User] = {}
        self.metrics = Metrics()
        self._posts: dict[int, Post] = {}  # what answering needs of a post never changes once it is sent
        self.reveal_retry_delays: tuple[float, ...] = REVEAL_RETRY_DELAYS

    @classmethod
    async def create(cls, settings: Settings, **kwargs: object) -> StudyBot:
        content = await load_content_async(settings.content_dir, settings.seeds_dir)
        storage = await Storage.open(settings.database)
        return cls(settings, storage, content, **kwargs)  # type: ignore[arg-type]

    async def close(self) -> None:
        await self.storage.close()

    def now(self) -> datetime:
        return self.clock()

    def register(self, platform: Platform) -> None:
        self.platforms[platform.name] = platform

    # -- who and where

    async def context(self, actor: Actor) -> Context:
        key = (actor.platform, actor.community_id)
        community = self._communities.get(key)
        if community is None:
            community = await self.storage.community(
                actor.platform,
                actor.community_id,
                actor.community_name,
                self.settings.locale_for(actor.community_locale),
                self.settings.timezone,
            )
            self._communities[key] = community
        ukey = (actor.platform, actor.user_id)
        user = self._users.get(ukey)
        if user is None or (actor.user_name and user.name != actor.user_name):
            user = await self.storage.user(actor.platform, actor.user_id, actor.user_name)
            self._users[ukey] = user
        return Context(community, user)

    async def channel(self, community: Community, actor: Actor) -> Channel:
        if actor.channel_id is None:
            raise UserError("daily.usage")
        return await self.storage.channel(community.id, actor.channel_id, actor.channel_name)

    async def set_locale(self, actor: Actor, locale: str) -> Community:
        ctx = await self.context(actor)
        await self.storage.update_community(ctx.community.id, locale=locale)
        self._communities.pop((actor.platform, actor.community_id), None)
        return (await self.context(actor)).community

    # -- answers

    async def answer(self, actor: Actor, post_id: int, choices: list[str]) -> AnswerFeedback:
        """Record a user's answer to a post: the first answer counts, later ones are told so."""
        try:
            return await self._answer(actor, post_id, choices)
        except sqlite3.Error as exc:  # disk full, read-only: the answer was not stored, and we say so
            self.metrics.errors.labels("answer_not_stored").inc()
            log.error("post %s: could not store an answer: %s", post_id, exc)
            community = self._communities.get((actor.platform, actor.community_id))
            locale = community.locale if community else self.settings.locale_for(actor.community_locale)
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), locale, error_key="answer.not_stored")

    async def _answer(self, actor: Actor, post_id: int, choices: list[str]) -> AnswerFeedback:
        ctx = await self.context(actor)
        post = self._posts.get(post_id) or await self._sent_post(post_id)
        if post is None:
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), ctx.locale)
        question = self.content.questions.get(post.question_id)
        if question is None:  # the question was removed from the content since it was posted
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), ctx.locale)
        chosen = tuple(sorted({c.strip().lower() for c in choices if c.strip()}))
        problem = _check_choices(question, chosen)
        if problem is not None:
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), ctx.locale, question, post, *problem)
        now = self.now()
        _, month, week = period_keys(now, ctx.community.timezone)
        request = AnswerRequest(
            post_id=post_id,
            user_id=ctx.user.id,
            choices=chosen,
            correct=question.is_correct(chosen),
            at=now.timestamp(),
            month=month,
            week=week,
        )
        outcome = await self.storage.record_answer(request)
        self.metrics.count_answer(outcome.status.value)
        if outcome.status == AnswerStatus.CLOSED:  # say whether the reveal landed: read the post afresh
            post = await self.storage.post(post_id) or post
        return AnswerFeedback(outcome, ctx.locale, question, post)

    async def _sent_post(self, post_id: int) -> Post | None:
        post = await self.storage.post(post_id)
        if post is not None and post.status in (PostStatus.OPEN, PostStatus.CLOSED):
            self._remember(post)
        return post

    def _remember(self, post: Post) -> None:
        if len(self._posts) > 10_000:
            self._posts.clear()
        self._posts[post.id] = post

    # -- practice and lookup

    async def practice(self, actor: Actor, filter_text: str = "") -> QuestionView:
        ctx = await self.context(actor)
        qfilter = self.resolve_filter(filter_text)
        candidates = self.content.matching(qfilter.exam, qfilter.service)
        history = await self.storage.user_history(ctx.user.id, ctx.community.id)
        question = choose_practice(candidates, history, self.rng)
        if question is None:
            raise UserError("quiz.empty")
        post = await self.storage.create_practice_post(
            ctx.community.id, ctx.user.id, question.id, self.now().timestamp()
        )
        self._remember(post)
        return QuestionView(post, question, ctx.locale)

    def resolve_filter(self, text: str | None) -> QuestionFilter:
        qfilter = resolve_filter(text or "", self.content, self.index)
        if qfilter is None:
            examples = "DOP-C02, DVA-C02, SAA-C03, dynamodb, ASG"
            raise UserError("quiz.no_match", filter=text, examples=examples)
        return qfilter

    def lookup(self, query: str) -> LookupResult:
        if not query.strip():
            raise UserError("lookup.usage")
        return self.index.find(query)

    # -- leaderboards and stats

    async def leaderboard(self, actor: Actor, period: str, channel_only: bool = False) -> Leaderboard:
        ctx = await self.context(actor)
        channel = await self.channel(ctx.community, actor) if channel_only else None
        key = period_key(period, self.now(), ctx.community.timezone)
        channel_id = channel.id if channel else None
        rows = await self.storage.leaderboard(ctx.community.id, channel_id, key)
        me = await self.storage.rank_of(ctx.community.id, channel_id, key, ctx.user.id)
        return Leaderboard(ctx.locale, period, rows, me, channel.name or channel.platform_id if channel else None)

    async def stats(self, actor: Actor) -> UserStats:
        ctx = await self.context(actor)
        history = await self.storage.user_history(ctx.user.id, ctx.community.id)
        streak = await self.storage.streak(ctx.community.id, ctx.user.id)
        return compute_stats(ctx.user.name or actor.user_id, ctx.locale, history, streak, self.content)

    async def streak(self, actor: Actor) -> Streak:
        ctx = await self.context(actor)
        return await self.storage.streak(ctx.community.id, ctx.user.id)

    # -- the daily question

    async def _admin_channel(self, actor: Actor) -> tuple[Context, Channel]:
        """The daily commands change what a whole channel sees: admins only."""
        ctx = await self.context(actor)
        if not actor.is_admin:
            raise UserError("daily.admin_only")
        return ctx, await self.channel(ctx.community, actor)

    async def set_daily(self, actor: Actor, spec: DailySpec) -> Schedule:
        ctx, channel = await self._admin_channel(actor)
        # An unknown filter is refused now, not discovered at posting time.
        qfilter = self.resolve_filter(spec.filter_text) if spec.filter_text else QuestionFilter()
        schedule = Schedule(
            channel_id=channel.id,
            at=spec.at,
            timezone=spec.timezone or ctx.community.timezone,
            weekdays=spec.weekdays,
            exam=qfilter.exam,
            service=qfilter.service,
            reveal_minutes=spec.reveal_minutes or DEFAULT_REVEAL_MINUTES,
            created_by=ctx.user.id,
        )
        await self.storage.save_schedule(schedule)
        if self.scheduler is not None:
            self.scheduler.add_daily(schedule)
        return schedule

    async def daily_off(self, actor: Actor) -> bool:
        ctx, channel = await self._admin_channel(actor)
        stopped = await self.storage.disable_schedule(channel.id, f"turned off by {ctx.user.name or ctx.user.id}")
        if self.scheduler is not None:
            self.scheduler.remove_daily(channel.id)
        return stopped

    async def daily_now(self, actor: Actor) -> DailyResult:
        ctx, channel = await self._admin_channel(actor)
        schedule = await self.storage.schedule(channel.id) or Schedule(
            channel.id, self.now().astimezone(ZoneInfo(ctx.community.timezone)).time(), ctx.community.timezone
        )
        return await self.post_daily(schedule, forced=True)

    async def post_daily(self, schedule: Schedule, forced: bool = False) -> DailyResult:
        """Post today's question in the schedule's channel, at most once per local day.

        The day is claimed in the database before anything is sent, so two processes (or a restart)
        racing for the same day post exactly once.
        """
        channel = await self.storage.channel_by_id(schedule.channel_id)
        if channel is None:
            return DailyResult("daily.not_set")
        community = await self.storage.community_by_id(channel.community_id)
        assert community is not None
        with log_context(community=community.id, channel=channel.id):
            return await self._post_daily(schedule, community, channel, forced)

    async def _post_daily(
        self, schedule: Schedule, community: Community, channel: Channel, forced: bool
    ) -> DailyResult:
        now = self.now()
        local = now.astimezone(ZoneInfo(schedule.timezone))
        if not forced and WEEKDAYS[local.weekday()] not in schedule.weekdays:
            return DailyResult("daily.not_set")
        platform = self.platforms.get(community.platform)
        if platform is None:
            log.info("no %s adapter running; channel %s waits for it", community.platform, channel.id)
            return DailyResult("daily.failed", error=f"{community.platform} is not connected")
        local_date = local.date().isoformat()
        existing = await self.storage.daily_post_on(channel.id, local_date)
        if existing is not None:
            return DailyResult("daily.already", existing)
        history = await self.storage.channel_question_history(channel.id)
        day_rng = random.Random(f"{channel.id}:{local_date}:{self.rng.random() if forced else 0}")
        question = choose_daily(self.content.matching(schedule.exam, schedule.service), history, day_rng)
        if question is None:
            log.warning(
                "channel %s: no question matches exam=%s service=%s", channel.id, schedule.exam, schedule.service
            )
            return DailyResult("daily.no_question")
        post = await self.storage.claim_daily_post(community.id, channel.id, question.id, local_date, now.timestamp())
        if post is None:
            return DailyResult("daily.already", await self.storage.daily_post_on(channel.id, local_date))
        try:
            message_ref = await platform.send_question(community, channel, post, question)
        except ChannelUnavailable as exc:
            await self.storage.mark_post_failed(post.id, str(exc))
            await self.storage.disable_schedule(channel.id, f"channel unavailable: {exc}")
            if self.scheduler is not None:
                self.scheduler.remove_daily(channel.id)
            self.metrics.errors.labels("channel_unavailable").inc()
            log.warning("channel %s unavailable (%s): its daily schedule is disabled", channel.id, exc)
            await self._tell_admin(platform, community, channel, schedule, str(exc))
            return DailyResult("daily.failed", post, str(exc))
        except Exception as exc:
            # Most likely the platform is briefly unreachable: give the day back so a retry can post it.
            await self.storage.release_daily_post(post.id)
            self.metrics.errors.labels("send_failed").inc()
            log.exception("channel %s: sending the daily question failed; the day stays open for a retry", channel.id)
            if self.scheduler is not None and not forced:
                self.scheduler.retry_daily(schedule.channel_id, local_date)
            return DailyResult("daily.failed", None, str(exc))
        reveal_at = now + timedelta(minutes=schedule.reveal_minutes)
        await self.storage.mark_post_sent(post.id, message_ref, reveal_at.timestamp())
        post = await self._sent_post(post.id)
        assert post is not None
        if self.scheduler is not None:
            self.scheduler.add_reveal(post)
        self.metrics.posts.labels(community.platform).inc()
        log.info("channel %s: posted %s for %s (post %s)", channel.id, question.id, local_date, post.id)
        return DailyResult("daily.posted", post)

    async def _tell_admin(
        self, platform: Platform, community: Community, channel: Channel, schedule: Schedule, reason: str
    ) -> None:
        """Platforms that can reach the admin who set the schedule (Discord: a DM) tell them it stopped."""
        channel_lost = getattr(platform, "channel_lost", None)
        if channel_lost is None:
            return
        admin = await self.storage.user_by_id(schedule.created_by) if schedule.created_by else None
        try:
            await channel_lost(community, channel, admin, reason)
        except Exception:
            log.exception("channel %s: telling the admin failed", channel.id)

    async def reveal(self, post_id: int) -> bool:
        """Close a daily post for answers, then show the answer in its channel.

        Only the one caller that closes the post goes on to edit the message (True); a second caller,
        in this process or another, does nothing (False).
        """
        with log_context(post=post_id):
            if not await self.storage.close_post(post_id):
                return False
            await self._deliver_reveal(post_id)
            return True

    async def finish_reveal(self, post_id: int) -> None:
        """Deliver the reveal of a post closed earlier whose message never landed (a restart)."""
        with log_context(post=post_id):
            await self._deliver_reveal(post_id)

    async def _deliver_reveal(self, post_id: int) -> None:
        """Edit the post's message into the reveal, retrying with backoff; record how it ended.

        The post counts as revealed only once the edit landed. A platform that says the message or
        channel is gone fails it at once; other errors are retried REVEAL_RETRY_DELAYS later, and after
        the last try the post is recorded as failed with the reason, which the clicks after it are told.
        """
        post = await self.storage.post(post_id)
        if post is None or post.status != PostStatus.CLOSED or post.revealed_at or post.reveal_error:
            return
        assert post.channel_id is not None
        channel = await self.storage.channel_by_id(post.channel_id)
        community = await self.storage.community_by_id(post.community_id)
        question = self.content.questions.get(post.question_id)
        platform = self.platforms.get(community.platform) if community else None
        if channel is None or community is None or question is None or platform is None:
            missing = "question" if question is None else "adapter" if platform is None else "channel"
            log.warning("post %s closed without a reveal message (no %s)", post_id, missing)
            await self.storage.mark_reveal_failed(post_id, f"no {missing}")
            return
        results = await self.storage.post_results(post_id)  # fixed: the post takes no more answers
        reason = ""
        for attempt, delay in enumerate((0.0, *self.reveal_retry_delays)):
            if delay:
                await asyncio.sleep(delay)
            try:
                await platform.reveal(community, channel, post, question, results)
            except ChannelUnavailable as exc:
                reason = str(exc)
                break
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.warning("post %s: reveal try %s failed: %s", post_id, attempt + 1, reason)
                continue
            await self.storage.mark_revealed(post_id, self.now().timestamp())
            if post.reveal_at is not None:
                self.metrics.reveal_lag.observe(max(0.0, self.now().timestamp() - post.reveal_at))
            return
        self.metrics.errors.labels("reveal_failed").inc()
        log.error("post %s: the reveal message failed for good (%s); answers stay closed and kept", post_id, reason)
        await self.storage.mark_reveal_failed(post_id, reason)

    async def reload_content(self) -> ContentBank:
        """Load the content again; a broken edit raises ContentError and the old content stays in use."""
        try:
            content = await load_content_async(self.settings.content_dir, self.settings.seeds_dir)
        except ContentError as exc:
            self.metrics.errors.labels("content_reload").inc()
            log.error("content reload refused, the previous content stays in use:\n%s", exc)
            raise
        self.content = content
        self.index = LookupIndex(content.entries)
        log.info("content reloaded: %s questions, %s lookup entries", len(content.questions), len(content.entries))
        return content


def _check_choices(question: Question, chosen: tuple[str, ...]) -> tuple[str, dict[str, object]] | None:
    valid = [c.id for c in question.choices]
    unknown = [c for c in chosen if c not in valid]
    if unknown:
        return "answer.bad_choice", {"choices": ",".join(unknown).upper(), "valid": ",".join(valid).upper()}
    if len(chosen) != len(question.answer):
        return ("answer.need_count", {"count": len(question.answer)}) if question.multi else ("answer.need_one", {})
    return None

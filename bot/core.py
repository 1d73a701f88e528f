"""The study loop, independent of any chat platform.

Adapters call these methods with who and where (an Actor) and get back plain results to render.
Posting to a channel goes the other way: each adapter registers a Platform that sends and edits
messages for the core.
"""

from __future__ import annotations

import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chart_data import ChartImage, board_chart, calendar_start, stats_alt, stats_chart
from bot.chart_renderer import ChartRenderer
from bot.charts import render_board, render_stats
from bot.choosing import QuestionFilter, choose_practice, resolve_filter
from bot.commands import DailySpec, UserError
from bot.config import Settings
from bot.content import ContentBank, ContentError, LookupEntry, Question, load_content_async
from bot.daily_posts import DailyPosts, DailyResult, Platform
from bot.lookup import LookupResult
from bot.metrics import Metrics
from bot.models import (
    AnswerOutcome,
    AnswerRequest,
    AnswerStatus,
    Channel,
    Community,
    Post,
    PostStatus,
    Schedule,
    ScoreRow,
    Streak,
    User,
)
from bot.pack_admin import CommunityContent, CommunityPacks
from bot.periods import period_key, period_keys
from bot.readiness import readiness
from bot.recaps import WeeklyRecaps
from bot.reminders import Reminders
from bot.reviews import ReviewPick, due_queue, new_question, next_due_at, parse_retention
from bot.shared_reads import SharedReads
from bot.snapshots import dump_question, load_question, shuffled
from bot.stats import UserStats, compute_stats
from bot.storage import Storage, open_storage
from bot.storage.errors import STORAGE_FAILURES

if TYPE_CHECKING:
    from bot.scheduler import DailyScheduler

log = logging.getLogger("studybot.core")
DEFAULT_REVEAL_MINUTES = 8 * 60
NAME_LIMIT = 64  # characters of a display name kept: a 100,000-character name is nobody's
USER_CACHE = 10_000  # users kept in memory (least recently seen go first)
QUESTION_CACHE = 10_000  # posted questions kept decoded
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger post id raises OverflowError instead of not matching


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
    review: ReviewPick | None = None  # a question of /study review: how many more are due today


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
        self.packs = CommunityPacks(self)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self.platforms: dict[str, Platform] = {}
        self.scheduler: DailyScheduler | None = None  # set by DailyScheduler
        self._communities: dict[tuple[str, str], Community] = {}
        self.metrics = Metrics()
        self._posts: dict[int, Post] = {}  # what answering needs of a post never changes once it is sent
        self._users_seen: OrderedDict[tuple[str, str], User] = OrderedDict()
        self._questions: dict[int, Question] = {}  # post id -> the question as posted
        self._channel_ids: dict[int, str] = {}  # channel id -> its platform id
        self._post_reads: SharedReads[int, Post | None] = SharedReads()
        self._channel_reads: SharedReads[int, Channel | None] = SharedReads()
        self.posts = DailyPosts(self)
        self.reminders = Reminders(self)
        self.charts = ChartRenderer(settings.chart_workers)
        self.recaps = WeeklyRecaps(self)

    @property
    def reveal_retry_delays(self) -> tuple[float, ...]:
        return self.posts.reveal_retry_delays

    @reveal_retry_delays.setter
    def reveal_retry_delays(self, delays: tuple[float, ...]) -> None:
        self.posts.reveal_retry_delays = delays

    @classmethod
    async def create(cls, settings: Settings, **kwargs: object) -> StudyBot:
        content = await load_content_async(settings.content_dir, settings.seeds_dir)
        storage = await open_storage(
            settings.database,
            durability=settings.durability,
            min_free_bytes=settings.min_free_mb * 2**20,
            wait=settings.database_wait,
        )
        return cls(settings, storage, content, **kwargs)  # type: ignore[arg-type]

    async def close(self) -> None:
        self.charts.close()
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
        name = " ".join(actor.user_name.split())[:NAME_LIMIT]  # one line, and not a wall of text
        user = self._users_seen.get(ukey)
        if user is None or (name and user.name != name):
            user = await self.storage.user(actor.platform, actor.user_id, name)
            self._users_seen[ukey] = user
            if len(self._users_seen) > USER_CACHE:
                self._users_seen.popitem(last=False)
        else:
            self._users_seen.move_to_end(ukey)
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
        except STORAGE_FAILURES as exc:  # disk full, read-only, file gone: the answer was not stored, and we say so
            self.metrics.errors.labels("answer_not_stored").inc()
            log.error("post %s: could not store an answer: %s", post_id, exc)
            community = self._communities.get((actor.platform, actor.community_id))
            locale = community.locale if community else self.settings.locale_for(actor.community_locale)
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), locale, error_key="answer.not_stored")

    async def _answer(self, actor: Actor, post_id: int, choices: list[str]) -> AnswerFeedback:
        ctx = await self.context(actor)
        if not 0 < post_id <= MAX_ID:  # a forged or mistyped id: SQLite could not even look it up
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), ctx.locale)
        post = self._posts.get(post_id) or await self.sent_post(post_id)
        if post is None or not await self._clicked_where_posted(post, ctx, actor):
            return AnswerFeedback(AnswerOutcome(AnswerStatus.UNKNOWN_POST), ctx.locale)
        question = self.question_of(post)
        if question is None:  # posted before questions were kept with posts, and since removed
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

    async def sent_post(self, post_id: int) -> Post | None:
        post = await self._post_reads.get(post_id, lambda: self.storage.post(post_id))
        if post is not None and post.status in (PostStatus.OPEN, PostStatus.CLOSED):
            self._remember(post)
        return post

    async def _clicked_where_posted(self, post: Post, ctx: Context, actor: Actor) -> bool:
        """A click names its post by id: it counts only from the post's own community and channel, so a
        forged or misrouted id can never score against another channel's question."""
        if post.community_id != ctx.community.id:
            return False
        if post.channel_id is None:  # a practice question: its owner is checked with the answer
            return True
        platform_id = self._channel_ids.get(post.channel_id)
        if platform_id is None:
            channel_id = post.channel_id
            channel = await self._channel_reads.get(channel_id, lambda: self.storage.channel_by_id(channel_id))
            if channel is None:
                return False
            platform_id = self._channel_ids[post.channel_id] = channel.platform_id
        return actor.channel_id == platform_id

    def question_of(self, post: Post) -> Question | None:
        """The question as it was posted (kept with the post), whatever the content says now."""
        question = self._questions.get(post.id)
        if question is None:
            question = load_question(post.question) if post.question else self.content.questions.get(post.question_id)
            if question is not None:
                if len(self._questions) > QUESTION_CACHE:
                    self._questions.clear()
                self._questions[post.id] = question
        return question

    def _remember(self, post: Post) -> None:
        if len(self._posts) > 10_000:
            self._posts.clear()
        self._posts[post.id] = post

    # -- practice and lookup

    async def community_content(self, community: Community) -> CommunityContent:
        """The bank and lookup index of the community's packs: everything that picks a question or finds a
        term for a community draws from this (bot/pack_admin.py)."""
        return await self.packs.content_for(community)

    async def practice(self, actor: Actor, filter_text: str = "") -> QuestionView:
        """A practice question: with a filter, one of the learner's due reviews in it comes first."""
        ctx = await self.context(actor)
        view = await self.community_content(ctx.community)
        qfilter = self.resolve_filter(filter_text, view)
        candidates = view.bank.matching(qfilter.exam, qfilter.service)
        question = None
        if filter_text.strip() and candidates:
            wanted = {q.id for q in candidates}
            try:
                ordered = await due_queue(self.storage, ctx.user.id, ctx.community, self.now(), wanted)
            except (ZoneInfoNotFoundError, ValueError):  # a broken time zone: practice needs no local day
                ordered = []
            if ordered:
                question = view.bank.questions[ordered[0].question_id]
        if question is None:
            history = await self.storage.user_history(ctx.user.id, ctx.community.id)
            question = choose_practice(candidates, history, self.rng)
        if question is None:
            if not view.bank.questions:
                raise UserError("packs.nothing_on", names=", ".join(view.missing) or "-")
            raise UserError("quiz.empty")
        return await self._ask(ctx, question)

    async def _ask(self, ctx: Context, question: Question, review: ReviewPick | None = None) -> QuestionView:
        """Put `question` to the learner privately, as a practice post."""
        question = shuffled(question, f"{ctx.user.id}:{self.rng.random()}")
        post = await self.storage.create_practice_post(
            ctx.community.id, ctx.user.id, question.id, dump_question(question), self.now().timestamp()
        )
        self._remember(post)
        return QuestionView(post, question, ctx.locale, review=review)

    async def review(self, actor: Actor) -> QuestionView:
        """The learner's next review (bot/reviews.py): the most overdue question due today, else a new
        one, from the community's packs. Questions removed from the bank or in a pack switched off are
        skipped; their cards wait in case they return."""
        ctx = await self.context(actor)
        now = self.now()
        questions = (await self.community_content(ctx.community)).bank.questions  # the community's packs
        due = await due_queue(self.storage, ctx.user.id, ctx.community, now, questions)
        if due:
            pick = ReviewPick(due[0].question_id, len(due) - 1, False)
        else:  # nothing due: a question never reviewed, which takes every card to know
            cards = await self.storage.review_cards(ctx.user.id, ctx.community.id)
            pick = new_question([c.question_id for c in cards], questions, self.rng)
            if pick is None:
                upcoming = next_due_at(cards, questions)
                if upcoming is None:
                    raise UserError("quiz.empty")
                zone = ctx.community.timezone
                when = datetime.fromtimestamp(upcoming, UTC).astimezone(ZoneInfo(zone)).strftime("%m/%d %H:%M")
                raise UserError("review.none_due", when=f"{when} ({zone})")
        return await self._ask(ctx, questions[pick.question_id], pick)

    async def set_retention(self, actor: Actor, text: str) -> float:
        """The community's FSRS target (admins): 0.7-0.97, as 0.85 or 85%. Later reviews use it."""
        ctx = await self.context(actor)
        if not actor.is_admin:
            raise UserError("daily.admin_only")
        retention = parse_retention(text)
        await self.storage.set_desired_retention(ctx.community.id, retention)
        self._communities.pop((actor.platform, actor.community_id), None)
        return retention

    def resolve_filter(self, text: str | None, view: CommunityContent) -> QuestionFilter:
        """A filter read against the community's packs (their exams, services and terms)."""
        qfilter = resolve_filter(text or "", view.bank, view.index)
        if qfilter is None:
            examples = "DOP-C02, DVA-C02, SAA-C03, dynamodb, ASG"
            raise UserError("quiz.no_match", filter=text, examples=examples)
        return qfilter

    async def lookup(self, actor: Actor, query: str) -> LookupResult:
        """A term in the notes of the community's packs."""
        if not query.strip():
            raise UserError("lookup.usage")
        view = await self.community_content((await self.context(actor)).community)
        return view.index.find(query)

    async def complete_term(self, actor: Actor, prefix: str) -> list[LookupEntry]:
        """Terms of the community's packs for autocomplete."""
        view = await self.community_content((await self.context(actor)).community)
        return view.index.complete(prefix)

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
        stats = compute_stats(ctx.user.name or actor.user_id, ctx.locale, history, streak, self.content)
        cards = await self.storage.review_cards(ctx.user.id, ctx.community.id)
        pools = (await self.community_content(ctx.community)).bank  # readiness: the pools the community studies
        return replace(stats, readiness=tuple(readiness(cards, pools, self.now().timestamp())))

    async def stats_chart(self, actor: Actor, stats: UserStats) -> ChartImage | None:
        """The stats as one PNG (last 30 days, accuracy by service, streak calendar), drawn off the loop;
        None when it could not be drawn (the text stands alone then)."""
        ctx = await self.context(actor)
        today = self.now().astimezone(ZoneInfo(ctx.community.timezone)).date()
        history = await self.storage.user_history(ctx.user.id, ctx.community.id)
        scheduled = await self.storage.daily_post_days(ctx.community.id, calendar_start(today).isoformat())
        data = stats_chart(stats, history, scheduled, today, ctx.community.timezone)
        png = await self.charts.render(render_stats, data)
        return ChartImage(f"stats-{today:%Y%m%d}.png", png, stats_alt(stats)) if png else None

    async def board_chart(self, board: Leaderboard, title: str) -> ChartImage | None:
        """The board's top 10 as bars (names drawn as plain text, shortened), or None."""
        png = await self.charts.render(render_board, board_chart(board.locale, title, board.rows))
        return ChartImage(f"leaderboard-{board.period}.png", png, title) if png else None

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
        view = await self.community_content(ctx.community)
        qfilter = self.resolve_filter(spec.filter_text, view) if spec.filter_text else QuestionFilter()
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
            await self.recaps.reschedule(channel.id)  # the recap follows the daily post's time
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

    # -- the daily post (bot/daily_posts.py)

    async def post_daily(self, schedule: Schedule, forced: bool = False) -> DailyResult:
        return await self.posts.post_daily(schedule, forced)

    async def reveal(self, post_id: int) -> bool:
        return await self.posts.reveal(post_id)

    async def finish_reveal(self, post_id: int) -> None:
        await self.posts.finish_reveal(post_id)

    async def reload_content(self) -> ContentBank:
        """Load the content again; a broken edit raises ContentError and the old content stays in use."""
        try:
            content = await load_content_async(self.settings.content_dir, self.settings.seeds_dir)
        except ContentError as exc:
            self.metrics.errors.labels("content_reload").inc()
            log.error("content reload refused, the previous content stays in use:\n%s", exc)
            raise
        before = set(self.content.packs)
        self.content = content
        self.packs.reloaded()
        log.info(
            "content reloaded: %s questions, %s lookup entries in %s pack(s)",
            len(content.questions),
            len(content.entries),
            len(content.packs),
        )
        for name in sorted(before - set(content.packs)):
            log.warning("pack %s is no longer in the content: communities that had it on are told so", name)
        for name in sorted(set(content.packs) - before):
            log.info("pack %s is new in the content (off until an admin turns it on)", name)
        return content


def _check_choices(question: Question, chosen: tuple[str, ...]) -> tuple[str, dict[str, object]] | None:
    valid = [c.id for c in question.choices]
    unknown = [c for c in chosen if c not in valid]
    if unknown:
        return "answer.bad_choice", {"choices": ",".join(unknown).upper(), "valid": ",".join(valid).upper()}
    if len(chosen) != len(question.answer):
        return ("answer.need_count", {"count": len(question.answer)}) if question.multi else ("answer.need_one", {})
    return None

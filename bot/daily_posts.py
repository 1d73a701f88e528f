"""The daily post's life cycle: claimed, sent, revealed, with nothing lost or doubled on the way.

Every step is decided in the database, so any process sharing it can finish what another began:
- A day is claimed before anything is sent (one post per channel per local day, a unique index). The
  claim is a lease renewed while its process lives. A send that fails, or may have failed (a dropped
  connection after the platform took the message), lets the lease run out at its retry time.
- A claim whose lease ran out is taken over by whichever process finds it (bot/scheduler.py's sweep,
  at start and every 30 s). It first asks the platform whether the message is already in the channel
  (Platform.find_question) and sends it only if not, with the same idempotency marker, so a channel
  gets one message a day. Past its local day, or after the last retry, the post is given up.
- A post is closed at its reveal time (answers after it are refused even before), and its reveal is
  a second lease: the edit is retried with backoff, and counts only once it landed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.choosing import choose_daily
from bot.content import Question
from bot.i18n import t
from bot.logs import log_context
from bot.models import WEEKDAYS, Channel, Community, Post, PostResults, PostStatus, Schedule, User
from bot.snapshots import dump_question, shuffled

if TYPE_CHECKING:
    from bot.core import StudyBot

log = logging.getLogger("studybot.posts")
# After a failed (or unconfirmed) send: tried again 1, 5 and 15 minutes later, then given up.
SEND_RETRY_DELAYS = (60.0, 300.0, 900.0)
# Seconds between the tries of a reveal edit the platform did not take (about two minutes in all).
REVEAL_RETRY_DELAYS = (2.0, 5.0, 15.0, 30.0, 60.0)


class ChannelUnavailable(Exception):
    """The platform says the bot can no longer post in this channel (removed, no permission).

    The message is the detail for the log and the database (the platform's words, bounded); users and
    admins are shown only `reason` as a plain sentence (i18n `channel.<reason>`): a platform's raw
    answer may carry internal addresses (a proxy's error page) or JSON."""

    REASONS = ("forbidden", "gone", "unavailable")

    def __init__(self, detail: str, reason: str = "unavailable"):
        super().__init__(detail[:300])
        self.reason = reason if reason in self.REASONS else "unavailable"

    def shown(self, locale: str) -> str:
        return t(locale, f"channel.{self.reason}")


class Platform(Protocol):
    """What an adapter does for the core: put questions into channels and reveal them.

    An adapter may also provide `find_question(community, channel, post) -> str | None`: the reference
    of the message already sent for this post, found in the channel, or None when there is none (it
    raises when it cannot tell). Without it, a send that may have reached the platform is sent again.

    And `serves(community) -> bool`: False for a community another process posts to (Discord: a server
    on a shard this process does not run). Without it, the adapter serves every community.
    """

    name: str

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        """Post the question; return a reference to the message for the later reveal edit. The post's
        id marks the message (and is its idempotency key where the platform has one)."""
        ...

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None: ...


def serves(platform: Platform, community: Community) -> bool:
    check = getattr(platform, "serves", None)
    return True if check is None else bool(check(community))


@dataclass(frozen=True)
class DailyResult:
    # daily.posted | daily.already | daily.failed | daily.retrying | daily.no_question | daily.not_set |
    # daily.elsewhere (another process posts there: its platform or shard is not run here)
    key: str
    post: Post | None = None
    error: str = ""  # shown to admins: a plain sentence, never a platform's raw answer or an address


class DailyPosts:
    def __init__(self, bot: StudyBot):
        self.bot = bot
        self.token = secrets.token_hex(8)  # this process's name on the leases it holds
        self.send_retry_delays: tuple[float, ...] = SEND_RETRY_DELAYS
        self.reveal_retry_delays: tuple[float, ...] = REVEAL_RETRY_DELAYS

    @property
    def storage(self):  # type: ignore[no-untyped-def]
        return self.bot.storage

    # -- posting

    async def post_daily(self, schedule: Schedule, forced: bool = False) -> DailyResult:
        """Post today's question in the schedule's channel, at most once per local day."""
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
        now = self.bot.now()
        local = now.astimezone(ZoneInfo(schedule.timezone))
        if not forced and WEEKDAYS[local.weekday()] not in schedule.weekdays:
            return DailyResult("daily.not_set")
        platform = self.bot.platforms.get(community.platform)
        if platform is not None and not serves(platform, community):
            return DailyResult("daily.elsewhere")  # another process runs this server's shard
        if platform is None:
            log.info("no %s adapter running; channel %s waits for it", community.platform, channel.id)
            return DailyResult(
                "daily.failed", error=t(community.locale, "channel.not_connected", platform=community.platform)
            )
        local_date = local.date().isoformat()
        existing = await self.storage.daily_post_on(channel.id, local_date)
        if existing is not None:
            return DailyResult("daily.already", existing)
        history = await self.storage.channel_question_history(channel.id)
        day_rng = random.Random(f"{channel.id}:{local_date}:{self.bot.rng.random() if forced else 0}")
        view = await self.bot.community_content(community)  # only the community's packs
        question = choose_daily(view.bank.matching(schedule.exam, schedule.service), history, day_rng)
        if question is None:
            log.warning(
                "channel %s: no question matches exam=%s service=%s in packs %s (on but gone: %s)",
                channel.id,
                schedule.exam,
                schedule.service,
                ",".join(sorted(view.packs)) or "-",
                ",".join(view.missing) or "-",
            )
            if not view.bank.questions:
                return DailyResult("daily.no_packs", error=", ".join(view.missing) or "-")
            return DailyResult("daily.no_question")
        question = shuffled(question, f"{channel.id}:{local_date}")
        post = await self.storage.claim_daily_post(
            community.id, channel.id, question.id, dump_question(question), local_date, now.timestamp(), self.token
        )
        if post is None:
            return DailyResult("daily.already", await self.storage.daily_post_on(channel.id, local_date))
        return await self._deliver(post, schedule, community, channel, question)

    async def recover(self, post: Post) -> DailyResult:
        """A claimed post whose lease ran out, now ours: find out whether it got there, then finish it."""
        assert post.channel_id is not None
        channel = await self.storage.channel_by_id(post.channel_id)
        community = await self.storage.community_by_id(post.community_id)
        question = self.bot.question_of(post)
        schedule = await self.storage.schedule(post.channel_id)
        if channel is None or community is None or question is None:
            await self.storage.mark_post_failed(post.id, "its channel or question is gone")
            return DailyResult("daily.failed", post)
        with log_context(community=community.id, channel=channel.id, post=post.id):
            timezone = schedule.timezone if schedule else community.timezone
            if self.bot.now().astimezone(ZoneInfo(timezone)).date().isoformat() != post.local_date:
                log.warning("post %s: its day ended before it could be sent; given up", post.id)
                await self.storage.mark_post_failed(post.id, "the day ended before it could be sent")
                return DailyResult("daily.failed", post)
            platform = self.bot.platforms.get(community.platform)
            if platform is None or not serves(platform, community):
                # not this process's platform or shard: let the lease run out soon for another, untried
                await self.storage.postpone_post(
                    post.id,
                    self.bot.now().timestamp() + 5,
                    "not this process's platform or shard",
                    self.bot.settings.lease_seconds,
                    tried=False,
                )
                return DailyResult("daily.elsewhere", post)
            find = getattr(platform, "find_question", None)
            if find is not None:
                try:
                    found = await find(community, channel, post)
                except Exception as exc:
                    log.warning("post %s: could not tell whether it was sent (%s); later", post.id, exc)
                    return await self._postpone(post, exc)
                if found is not None:
                    log.info("post %s: found already in the channel; not sent again", post.id)
                    return await self._sent(post, schedule, community, found)
            return await self._deliver(post, schedule, community, channel, question)

    async def _deliver(
        self, post: Post, schedule: Schedule | None, community: Community, channel: Channel, question: Question
    ) -> DailyResult:
        platform = self.bot.platforms[community.platform]
        # The post says when it closes: the time it will be revealed at, as _sent will store it.
        post = replace(post, reveal_at=self._reveal_at(post, schedule))
        try:
            message_ref = await platform.send_question(community, channel, post, question)
        except ChannelUnavailable as exc:
            await self.storage.mark_post_failed(post.id, str(exc))
            await self.storage.disable_schedule(channel.id, f"channel unavailable: {exc}")
            if self.bot.scheduler is not None:
                self.bot.scheduler.remove_daily(channel.id)
            self.bot.metrics.errors.labels("channel_unavailable").inc()
            log.warning("channel %s unavailable (%s): its daily schedule is disabled", channel.id, exc)
            if schedule is not None:
                await self._tell_admin(platform, community, channel, schedule, exc.shown(community.locale))
            return DailyResult("daily.failed", post, exc.shown(community.locale))
        except Exception as exc:
            # The platform may or may not have taken it: the next try asks it first.
            self.bot.metrics.errors.labels("send_failed").inc()
            log.exception("channel %s: sending post %s failed or is unconfirmed", channel.id, post.id)
            return await self._postpone(post, exc)
        return await self._sent(post, schedule, community, message_ref)

    def _reveal_at(self, post: Post, schedule: Schedule | None) -> float:
        minutes = schedule.reveal_minutes if schedule else 8 * 60
        # From the claim, so a post recovered late still reveals at its time (or at once if that passed).
        return max(post.posted_at + minutes * 60, self.bot.now().timestamp())

    async def _postpone(self, post: Post, exc: BaseException) -> DailyResult:
        if post.attempts >= len(self.send_retry_delays):
            log.error("post %s: giving up after %s tries (%s)", post.id, post.attempts + 1, exc)
            await self.storage.mark_post_failed(post.id, f"gave up: {type(exc).__name__}")
            return DailyResult("daily.failed", post)
        retry_at = self.bot.now() + timedelta(seconds=self.send_retry_delays[post.attempts])
        await self.storage.postpone_post(
            post.id, retry_at.timestamp(), f"{type(exc).__name__}: {exc}", self.bot.settings.lease_seconds
        )
        return DailyResult("daily.retrying", post, retry_at.isoformat())

    async def _sent(self, post: Post, schedule: Schedule | None, community: Community, message_ref: str) -> DailyResult:
        await self.storage.mark_post_sent(post.id, message_ref, self._reveal_at(post, schedule))
        sent = await self.bot.sent_post(post.id)
        assert sent is not None
        if self.bot.scheduler is not None:
            self.bot.scheduler.add_reveal(sent)
        self.bot.metrics.posts.labels(community.platform).inc()
        log.info("channel %s: posted %s for %s (post %s)", post.channel_id, post.question_id, post.local_date, post.id)
        return DailyResult("daily.posted", sent)

    async def _tell_admin(
        self, platform: Platform, community: Community, channel: Channel, schedule: Schedule, reason: str
    ) -> None:
        """Platforms that can reach the admin who set the schedule (Discord: a DM) tell them it stopped."""
        channel_lost = getattr(platform, "channel_lost", None)
        if channel_lost is None:
            return
        admin: User | None = await self.storage.user_by_id(schedule.created_by) if schedule.created_by else None
        try:
            await channel_lost(community, channel, admin, reason)
        except Exception:
            log.exception("channel %s: telling the admin failed", channel.id)

    # -- revealing

    async def reveal(self, post_id: int) -> bool:
        """Close a daily post for answers, then show the answer in its channel. Only the one caller that
        closes the post goes on to edit the message (True); any other, here or elsewhere, gets False."""
        with log_context(post=post_id):
            if not await self.storage.close_post(post_id, self.bot.now().timestamp()):
                return False
            await self._deliver_reveal(post_id)
            return True

    async def finish_reveal(self, post_id: int) -> None:
        """The reveal of a post closed earlier whose edit never landed (its lease is now ours)."""
        with log_context(post=post_id):
            await self._deliver_reveal(post_id)

    async def _deliver_reveal(self, post_id: int) -> None:
        """Edit the post's message into the reveal, retrying with backoff; record how it ended. A platform
        that says the message or channel is gone fails it at once; after the last try the post is recorded
        as failed with the reason, which the clicks after it are told."""
        post = await self.storage.post(post_id)
        if post is None or post.status != PostStatus.CLOSED or post.revealed_at or post.reveal_error:
            return
        assert post.channel_id is not None
        channel = await self.storage.channel_by_id(post.channel_id)
        community = await self.storage.community_by_id(post.community_id)
        question = self.bot.question_of(post)
        platform = self.bot.platforms.get(community.platform) if community else None
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
                await self.storage.renew_reveal(post_id, self.bot.now().timestamp())
            try:
                await platform.reveal(community, channel, post, question, results)
            except ChannelUnavailable as exc:
                reason = str(exc)
                break
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.warning("post %s: reveal try %s failed: %s", post_id, attempt + 1, reason)
                continue
            now = self.bot.now().timestamp()
            await self.storage.mark_revealed(post_id, now)
            if post.reveal_at is not None:
                self.bot.metrics.reveal_lag.observe(max(0.0, now - post.reveal_at))
            return
        self.bot.metrics.errors.labels("reveal_failed").inc()
        log.error("post %s: the reveal message failed for good (%s); answers stay closed and kept", post_id, reason)
        await self.storage.mark_reveal_failed(post_id, reason)

"""The SQLite backend's async interface: every method queues a synchronous function of the connection
(communities.py, posts.py, answers.py), and the queue runs on the connection's own thread
(worker.py). Calls that arrive while a batch is being written are queued and then run together as the
next batch: one thread hop and one transaction (group commit); a failing call gets its own exception
(transactions.run_batch). Under load, hundreds of answers share one commit; alone, a call is its own
batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time as clock
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.memory import CardState
from bot.models import (
    AnswerOutcome,
    AnswerRequest,
    AnswerStatus,
    Channel,
    Community,
    DueReminder,
    HistoryItem,
    Post,
    PostResults,
    Reminder,
    ReminderMove,
    ReviewLogRow,
    Schedule,
    ScoreRow,
    Streak,
    User,
    WeekActivity,
)
from bot.storage.errors import StorageError
from bot.storage.scores import ALL_CHANNELS
from bot.storage.sqlite import (
    answers,
    communities,
    posts,
    recaps,
    reminders,
    reviews,
    schema,
    slack_installs,
    transactions,
)
from bot.storage.sqlite.checkpoint import LogCheckpointer
from bot.storage.sqlite.health import (
    DatabaseHealth,
    FileIdentity,
    backup_database,
    check_integrity,
    check_same_file,
    identity_of,
)
from bot.storage.sqlite.worker import SqliteWorker

T = TypeVar("T")
# Answers folded into the leaderboard totals per background step. Answers queued meanwhile wait for
# the step, so it is kept short: about 3 ms (1000 made the p99 of 200 concurrent answerers 40% higher).
SCORE_CHUNK = 250
# Answers applied as reviews per background step (reviews.py), kept short for the same reason: about
# 4 ms (250 made the p99 of a burst of 200 clicks 10-30% higher); idle, the steps go on until none is left.
REVIEW_CHUNK = 100
REVIEW_EVERY = 4  # steps with calls waiting after which a chunk of reviews is applied anyway
MIN_FREE_BYTES = 64 * 1024 * 1024  # below this much free disk /healthz fails: room for two logs and a margin
log = logging.getLogger("studybot.storage")


class SqliteStorage:
    """The embedded default: one SQLite file, one writer thread, group commit."""

    def __init__(
        self,
        db: SqliteWorker,
        path: str,
        copier: SqliteWorker | None = None,
        opened: FileIdentity | None = None,
        min_free_bytes: int = MIN_FREE_BYTES,
    ):
        self._db = db
        self.path = path
        self.opened = opened  # the file opened (None in memory): writes after it is gone are refused
        self.health = DatabaseHealth(path, opened, min_free_bytes)
        self.record_reviews = True  # each stored answer is a review too (False: bench/answers.py's baseline)
        self._pending: list[transactions.Call] = []
        self._flusher: asyncio.Task[None] | None = None
        self._unscored = True  # answers may wait to be folded into the leaderboard totals (also after a crash)
        self._calls_unfolded = 0  # calls run since the last fold into the totals: how many it may have to catch up
        self._unreviewed = True  # and to be applied as reviews (reviews.py)
        self._steps_unreviewed = 0  # background steps since reviews were last applied
        self._checkpointer = LogCheckpointer(copier) if copier is not None else None  # None: no log in memory

    @classmethod
    async def open(
        cls, path: str | Path, *, durability: str = "normal", min_free_bytes: int = MIN_FREE_BYTES
    ) -> SqliteStorage:
        """Open (creating if needed) the database and bring its schema up to date.

        A damaged or foreign file is refused first with one clear line (DatabaseDamaged)."""
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(check_integrity, path)
        try:
            db = await SqliteWorker.connect(path, busy_timeout=30)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        try:
            await db.run(schema.setup, schema.SYNCHRONOUS[durability])
            copier = None if path == ":memory:" else await SqliteWorker.connect(path, name="studybot-checkpoint")
        except (sqlite3.Error, StorageError) as exc:
            await db.close()  # the worker thread would otherwise keep the process alive
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        opened = None if path == ":memory:" else identity_of(path)
        return cls(db, path, copier, opened, min_free_bytes)

    async def backup(self, target: str | Path, progress: Callable[[int, int], None] | None = None) -> int:
        """A consistent copy of the database at `target`, while the bot keeps writing (see
        health.backup_database); returns its size in bytes."""
        return await asyncio.to_thread(backup_database, self.path, target, progress=progress)

    async def health_checks(self) -> dict[str, str | None]:
        """The database file's checks for /healthz: name -> None when it passes, else why not."""
        return await self.health.checks()

    def _check_file(self) -> None:
        if self.opened is not None:
            check_same_file(self.path, self.opened)

    async def settle(self) -> None:
        """Wait until every queued call, the leaderboard totals and a running checkpoint are done."""
        while self._flusher is not None:
            await self._flusher
        if self._checkpointer is not None:
            await self._checkpointer.settle()

    async def close(self) -> None:
        """Finish what was asked: queued calls, then the leaderboard totals, then close."""
        try:
            await self.settle()
            with contextlib.suppress(sqlite3.Error):  # folded at the next start otherwise
                if self._unscored:
                    await self._db.run(answers.fold_scores_tx, None)
                if self._unreviewed:
                    await self._db.run(reviews.fold_reviews_tx, None)
        finally:
            # Their worker threads would otherwise keep the process from exiting. The last connection
            # to close copies the whole log into the database file.
            try:
                if self._checkpointer is not None:
                    await self._checkpointer.close()
            finally:
                await self._db.close()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        call = transactions.Call(fn, args, loop.create_future())
        self._pending.append(call)
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        return await call.future

    async def _flush(self) -> None:
        try:
            while self._pending or self._unscored or self._unreviewed:
                if self._pending:
                    batch, self._pending = self._pending, []
                    self._calls_unfolded += len(batch)
                    try:
                        # The connection's own thread runs the whole batch: one hop, one commit.
                        results = await self._db.run(transactions.run_batch, batch)
                        # Committed into a file deleted or replaced since: not stored, and said so.
                        self._check_file()
                    except Exception as exc:  # the commit itself failed: nothing in the batch was stored
                        results = [exc] * len(batch)
                    for call, result in zip(batch, results, strict=True):
                        if call.future.done():
                            continue
                        if isinstance(result, BaseException):
                            call.future.set_exception(result)
                        else:
                            call.future.set_result(result)
                if self._unscored:
                    # After the answers are acknowledged, fold a bounded chunk into the leaderboard
                    # totals, so a burst of clicks is answered first and counted right after. At least
                    # as many as the batches since the last fold held: under a load of larger batches the
                    # totals would fall further behind at every step, and a leaderboard read would then
                    # fold them all.
                    chunk, self._calls_unfolded = max(SCORE_CHUNK, self._calls_unfolded), 0
                    try:
                        self._unscored = await self._db.run(answers.fold_scores_tx, chunk)
                    except Exception:
                        log.exception("folding answers into leaderboard totals failed; retried on next read")
                        self._unscored = False
                # Then the reviews, a chunk at a time, once no call waits: a burst's later clicks are
                # not kept behind its first ones' reviews. Under steady load, every REVIEW_EVERY steps
                # all the same, so the reviews never fall far behind.
                self._steps_unreviewed += 1
                if self._unreviewed and (not self._pending or self._steps_unreviewed >= REVIEW_EVERY):
                    self._steps_unreviewed = 0
                    try:
                        self._unreviewed = await self._db.run(reviews.fold_reviews_tx, REVIEW_CHUNK)
                    except Exception:
                        log.exception("applying answers as reviews failed; retried on next read")
                        self._unreviewed = False
                if self._checkpointer is not None:
                    self._checkpointer.written()
        finally:
            self._flusher = None
            if self._checkpointer is not None:
                self._checkpointer.idle()

    async def ping(self) -> bool:
        """The database answers (for /healthz)."""
        return await self._run(communities.ping)

    # -- communities, channels, users

    async def community(self, platform: str, platform_id: str, name: str, locale: str, timezone: str) -> Community:
        return await self._run(communities.community, platform, platform_id, name, locale, timezone)

    async def community_by_id(self, community_id: int) -> Community | None:
        return await self._run(communities.community_by_id, community_id)

    async def update_community(
        self, community_id: int, *, locale: str | None = None, timezone: str | None = None
    ) -> None:
        await self._run(communities.update_community, community_id, locale, timezone)

    async def channel(self, community_id: int, platform_id: str, name: str = "") -> Channel:
        return await self._run(communities.channel, community_id, platform_id, name)

    async def channel_by_id(self, channel_id: int) -> Channel | None:
        return await self._run(communities.channel_by_id, channel_id)

    async def channels(self, community_id: int) -> list[Channel]:
        return await self._run(communities.channels, community_id)

    async def user(self, platform: str, platform_id: str, name: str = "") -> User:
        return await self._run(communities.user, platform, platform_id, name)

    async def user_by_id(self, user_id: int) -> User | None:
        return await self._run(communities.user_by_id, user_id)

    # -- content packs per community (bot/packs.py holds the rule for what is on)

    async def pack_switches(self, community_id: int) -> dict[str, bool]:
        """The packs an admin switched on or off in this community (pack -> on); unswitched packs are absent."""
        return await self._run(communities.pack_switches, community_id)

    async def switch_pack(self, community_id: int, pack: str, enabled: bool, by_user: int | None, at: float) -> None:
        await self._run(communities.switch_pack, community_id, pack, enabled, by_user, at)

    # -- schedules

    async def save_schedule(self, schedule: Schedule) -> None:
        await self._run(communities.save_schedule, schedule)

    async def disable_schedule(self, channel_id: int, reason: str) -> bool:
        return await self._run(communities.disable_schedule, channel_id, reason)

    async def schedule(self, channel_id: int) -> Schedule | None:
        return await self._run(communities.schedule, channel_id)

    async def schedules(self) -> list[Schedule]:
        """Every enabled schedule: the scheduler is rebuilt from these at start."""
        return await self._run(communities.schedules)

    async def schedules_in(
        self, platform: str, community_platform_id: str, channel_platform_id: str | None = None
    ) -> list[tuple[Community, Channel, Schedule]]:
        """The enabled schedules of a community (or of one of its channels), by platform ids: what an
        uninstall, revoked tokens or a lost channel switch off. Creates nothing."""
        return await self._run(communities.schedules_in, platform, community_platform_id, channel_platform_id)

    async def watch_schedules(self, changed: Callable[[int | None], Awaitable[None]]) -> bool:
        """SQLite cannot tell another process's change: False, and the scheduler's sweep re-reads the
        schedules (every 30 s) instead."""
        return False

    # -- Slack installations (OAuth)

    async def save_slack_installation(
        self, client_id: str, enterprise_id: str, team_id: str, org_wide: bool, data: str, at: float
    ) -> None:
        await self._run(slack_installs.save_slack_installation, client_id, enterprise_id, team_id, org_wide, data, at)

    async def slack_installation(self, client_id: str, enterprise_id: str | None, team_id: str | None) -> str | None:
        """The stored installation (JSON) for a workspace, or for an org-wide install when team_id is
        None; enterprise_id None matches any enterprise."""
        return await self._run(slack_installs.slack_installation, client_id, enterprise_id, team_id)

    async def delete_slack_installation(self, client_id: str, enterprise_id: str | None, team_id: str | None) -> int:
        return await self._run(slack_installs.delete_slack_installation, client_id, enterprise_id, team_id)

    async def issue_oauth_state(self, state: str, expires_at: float, now: float) -> None:
        await self._run(slack_installs.issue_oauth_state, state, expires_at, now)

    async def consume_oauth_state(self, state: str, now: float) -> bool:
        """True once for a state that was issued and has not expired."""
        return await self._run(slack_installs.consume_oauth_state, state, now)

    # -- posts

    async def claim_daily_post(
        self,
        community_id: int,
        channel_id: int,
        question_id: str,
        question: str,
        local_date: str,
        at: float,
        token: str,
    ) -> Post | None:
        """Reserve the channel's post for local_date under `token`'s lease; None when the day is taken.
        `question` is the question as posted (bot/snapshots.py)."""
        return await self._run(
            posts.claim_daily_post, community_id, channel_id, question_id, question, local_date, at, token
        )

    async def create_practice_post(
        self, community_id: int, owner_id: int, question_id: str, question: str, at: float
    ) -> Post:
        return await self._run(posts.create_practice_post, community_id, owner_id, question_id, question, at)

    async def mark_post_sent(self, post_id: int, message_ref: str, reveal_at: float | None) -> None:
        await self._run(posts.mark_post_sent, post_id, message_ref, reveal_at)

    async def mark_post_failed(self, post_id: int, error: str) -> None:
        await self._run(posts.mark_post_failed, post_id, error)

    async def postpone_post(self, post_id: int, retry_at: float, error: str, lease: float, tried: bool = True) -> None:
        """A send that failed, or may not have: the claim (a `lease` of seconds) runs out at retry_at,
        when whoever takes it over asks the platform whether the message got there before sending again.
        `tried=False`: handed on to another process without trying (the count of tries stays)."""
        await self._run(posts.postpone_post, post_id, retry_at, error, lease, tried)

    async def renew_claims(self, token: str, now: float) -> int:
        return await self._run(posts.renew_claims, token, now)

    async def take_over_claims(self, token: str, now: float, lease: float, limit: int = 100) -> list[Post]:
        """Claimed posts whose lease (not renewed for `lease` seconds) ran out, now claimed by `token`."""
        return await self._run(posts.take_over_claims, token, now, limit, lease)

    async def due_reveals(self, now: float, limit: int = 1000) -> list[int]:
        return await self._run(posts.due_reveals, now, limit)

    async def take_over_reveals(self, now: float, lease: float, limit: int = 100) -> list[int]:
        """Closed posts whose reveal never landed and whose reveal lease ran out, now claimed."""
        return await self._run(posts.take_over_reveals, now, limit, lease)

    async def renew_reveal(self, post_id: int, now: float) -> None:
        await self._run(posts.renew_reveal, post_id, now)

    async def post(self, post_id: int) -> Post | None:
        return await self._run(posts.post, post_id)

    async def daily_post_on(self, channel_id: int, local_date: str) -> Post | None:
        return await self._run(posts.daily_post_on, channel_id, local_date)

    async def open_daily_posts(self) -> list[Post]:
        return await self._run(posts.open_daily_posts)

    async def close_post(self, post_id: int, now: float | None = None) -> bool:
        """Close a post for answers and take its reveal; True only for the one caller that closed it."""
        return await self._run(posts.close_post, post_id, clock.time() if now is None else now)

    async def mark_revealed(self, post_id: int, at: float) -> None:
        await self._run(posts.mark_revealed, post_id, at)

    async def mark_reveal_failed(self, post_id: int, reason: str) -> None:
        """The last try failed: the post stays closed, and clicks on it are told the reveal failed."""
        await self._run(posts.mark_reveal_failed, post_id, reason)

    async def post_results(self, post_id: int) -> PostResults:
        return await self._run(posts.post_results, post_id)

    async def channel_question_history(self, channel_id: int) -> dict[str, float]:
        """question id -> when the channel last got it as a daily post."""
        return await self._run(posts.channel_question_history, channel_id)

    # -- answers

    async def record_answer(self, request: AnswerRequest) -> AnswerOutcome:
        """Store an answer unless the user already answered the post or it is closed, all in one step."""
        record = answers.record_answers if self.record_reviews else answers.record_answers_without_reviews
        outcome = await self._run(record, request)
        if outcome.status == AnswerStatus.RECORDED:
            self._unscored = self._unreviewed = True
            if self._flusher is None:  # the batch loop may have ended meanwhile: fold soon all the same
                self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return outcome

    async def user_history(self, user_id: int, community_id: int) -> list[HistoryItem]:
        return await self._run(answers.user_history, user_id, community_id)

    # -- streaks and leaderboards

    async def streak(self, community_id: int, user_id: int) -> Streak:
        return await self._run(answers.streak, community_id, user_id)

    async def leaderboard(
        self, community_id: int, channel_id: int | None, period: str, limit: int = 10
    ) -> list[ScoreRow]:
        return await self._run(answers.leaderboard, community_id, channel_id or ALL_CHANNELS, period, limit)

    async def rank_of(self, community_id: int, channel_id: int | None, period: str, user_id: int) -> ScoreRow | None:
        return await self._run(answers.rank_of, community_id, channel_id or ALL_CHANNELS, period, user_id)

    # -- learners' daily reminders

    async def save_reminder(self, reminder: Reminder) -> None:
        """Set (or turn back on) a learner's reminder; when its last one went out is kept."""
        await self._run(reminders.save_reminder, reminder)

    async def reminder(self, user_id: int, community_id: int) -> Reminder | None:
        return await self._run(reminders.reminder, user_id, community_id)

    async def disable_reminder(self, user_id: int, community_id: int, reason: str) -> bool:
        return await self._run(reminders.disable_reminder, user_id, community_id, reason)

    async def due_reminders(self, now: float, platforms: list[str], limit: int = 5000) -> list[DueReminder]:
        """Enabled reminders of communities on `platforms` whose next_at has come, oldest first, with
        their community and user."""
        return await self._run(reminders.due_reminders, now, platforms, limit)

    async def advance_reminders(self, moves: list[ReminderMove]) -> list[tuple[int, int]]:
        """Apply each move whose reminder still fires at the time it was read (one transaction); the
        (user_id, community_id) of those applied. A claimed one is this caller's to send."""
        return await self._run(reminders.advance_reminders, moves)

    async def due_questions(self, community_id: int, user_ids: list[int], due_by: float) -> list[tuple[int, str]]:
        """(user_id, question_id) of every review card of these learners due by `due_by`: what a
        reminder sweep counts for a whole batch at once (bot/reminders.py)."""
        return await self._run(reminders.due_questions, community_id, user_ids, due_by)

    # -- reviews (spaced repetition)

    async def set_desired_retention(self, community_id: int, retention: float) -> None:
        await self._run(reviews.set_desired_retention, community_id, retention)

    async def review_cards(self, user_id: int, community_id: int, due_by: float | None = None) -> list[CardState]:
        """The learner's FSRS cards in the community; with due_by, those due by then, soonest first."""
        return await self._run(reviews.review_cards, user_id, community_id, due_by)

    async def due_review_count(self, user_id: int, community_id: int, due_by: float) -> int:
        return await self._run(reviews.due_review_count, user_id, community_id, due_by)

    async def review_logs(self, user_id: int, community_id: int) -> list[ReviewLogRow]:
        """Every review of the learner in the community, oldest first: what fsrs.Optimizer fits from."""
        return await self._run(reviews.review_logs, user_id, community_id)

    # -- charts and the weekly recap

    async def set_recap(self, channel_id: int, enabled: bool, by: int | None, at: float) -> bool:
        """Switch a channel's weekly recap on or off; True when that changed something."""
        return await self._run(recaps.set_recap, channel_id, enabled, by, at)

    async def recap_enabled(self, channel_id: int) -> bool:
        return await self._run(recaps.recap_enabled, channel_id)

    async def recap_channels(self) -> list[int]:
        """The channels whose recap is on: the scheduler is rebuilt from these at start."""
        return await self._run(recaps.recap_channels)

    async def claim_recap(self, channel_id: int, week: str, at: float, token: str) -> bool:
        """Reserve the channel's recap of `week`; True for the one caller that got it, ever."""
        return await self._run(recaps.claim_recap, channel_id, week, at, token)

    async def finish_recap(
        self, channel_id: int, week: str, status: str, message_ref: str | None = None, error: str | None = None
    ) -> None:
        await self._run(recaps.finish_recap, channel_id, week, status, message_ref, error)

    async def recap_status(self, channel_id: int, week: str) -> str | None:
        return await self._run(recaps.recap_status, channel_id, week)

    async def channel_week(self, channel_id: int, week: str) -> WeekActivity:
        """The channel's daily answers in a leaderboard week (e.g. "w2026-W47"): people, totals, per post."""
        return await self._run(recaps.channel_week, channel_id, week)

    async def daily_post_days(self, community_id: int, since: str) -> list[str]:
        """Local dates (ISO, from `since`) on which the community had a daily post: its scheduled days."""
        return await self._run(recaps.daily_post_days, community_id, since)

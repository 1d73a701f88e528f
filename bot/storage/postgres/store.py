"""The PostgreSQL backend's async interface: the same methods as SqliteStorage with the same meaning,
each one statement or one transaction on a connection of asyncpg's pool. Answers, the one write that
comes in bursts, are recorded in batches (batcher.py, answer_batch.py): a transaction per answer costs
several round trips and a commit each, which held a burst to a tenth of what the server can commit."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time as clock
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

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
from bot.storage.errors import BackupRefused, StorageError
from bot.storage.postgres import (
    answer_batch,
    answers,
    communities,
    posts,
    recaps,
    reminders,
    review_fold,
    reviews,
    schema,
    slack_installs,
)
from bot.storage.postgres.batcher import Batcher
from bot.storage.postgres.listener import Changed, ScheduleListener
from bot.storage.scores import ALL_CHANNELS

T = TypeVar("T")
CONNECT_TIMEOUT = 10.0  # seconds to reach the server at open, then a clear error
PROBE_TIMEOUT = 5.0  # seconds /healthz waits for the server
START_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0)  # seconds between tries to reach the server at start
POOL_SIZE = 20  # connections per process: enough for a burst of answers, far below max_connections
REVIEW_CHUNK = 200  # queued reviews applied per background step (review_fold.py): a few ms of the server
FOLD_PATIENCE = 0.05  # seconds a background fold step waits for the answer batches under way to finish
FOLD_RETRY = 0.05  # seconds before the lock is tried again while another process folds
log = logging.getLogger("studybot.storage")

PG_DUMP_HINT = (
    "a PostgreSQL database is backed up with the server's own tools, not `studybot db backup` (which copies"
    " SQLite files): for example `pg_dump --format=custom --file=studybot.dump 'postgresql://…'`,"
    " restored with `pg_restore --dbname='postgresql://…' studybot.dump`"
)


class _NotYet(Exception):
    """The server cannot be reached now, but may be in a moment: worth another try."""


def is_postgres_url(database: str | Path) -> bool:
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


def without_password(url: str) -> str:
    """The URL to show in messages and logs: the password left out."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStorage:
    """A PostgreSQL database shared by any number of bot processes."""

    def __init__(self, pool: asyncpg.Pool, url: str):
        self._pool = pool
        self._answers: Batcher[AnswerRequest, AnswerOutcome] = Batcher(self._record_answers)
        self._users: Batcher[tuple[str, str, str], User] = Batcher(self._users_of)  # a burst's first clicks
        self.url = url
        self.path = without_password(url)  # what messages show, as SqliteStorage.path
        self._listener: ScheduleListener | None = None
        self.record_reviews = True  # each stored answer is a review too (False: bench/answers.py's baseline)
        self._folding: asyncio.Task[None] | None = None  # the background review fold, while it runs
        self._more = False  # answers were queued for review since the fold's last step began

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE, wait: float = 0.0) -> PostgresStorage:
        """Connect and bring the schema up to date. A server that cannot be reached yet (down, starting,
        full) is tried again with backoff for `wait` seconds, a line logged for each try (a bot and its
        database started together); then, or at once for a wrong URL, password or database name, one
        clear error."""
        shown = without_password(url)
        deadline = asyncio.get_running_loop().time() + wait
        for attempt in itertools.count():
            try:
                pool = await cls._connect(url, pool_size, shown)
                break
            except _NotYet as exc:
                delay = START_RETRY_DELAYS[min(attempt, len(START_RETRY_DELAYS) - 1)]
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    raise StorageError(str(exc)) from exc.__cause__
                log.warning("%s; trying again in %.0f s (waiting up to %.0f s more)", exc, min(delay, left), left)
                await asyncio.sleep(min(delay, left))
        try:
            async with pool.acquire() as conn:
                await schema.migrate(conn)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, StorageError | asyncio.CancelledError) or not isinstance(exc, Exception):
                raise
            raise StorageError(f"cannot migrate database {shown}: {exc}") from exc
        storage = cls(pool, url)
        storage._fold_soon()  # reviews a process that stopped (or was killed) left queued
        return storage

    @staticmethod
    async def _connect(url: str, pool_size: int, shown: str) -> asyncpg.Pool:
        try:
            return await asyncio.wait_for(
                asyncpg.create_pool(url, min_size=1, max_size=pool_size, timeout=CONNECT_TIMEOUT, reset=_session_kept),
                CONNECT_TIMEOUT + 1,
            )
        except TimeoutError:
            raise _NotYet(f"cannot open database {shown}: no answer within {CONNECT_TIMEOUT:.0f} s") from None
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
            raise _NotYet(f"cannot open database {shown}: {exc}") from exc  # down, starting up, or full
        except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise StorageError(f"cannot open database {shown}: {exc}") from exc  # waiting would not help

    async def _record_answers(self, requests: list[AnswerRequest]) -> list[AnswerOutcome]:
        async with self._pool.acquire() as conn:
            outcomes = await answer_batch.record_answers(conn, requests, self.record_reviews)
        if self.record_reviews and any(o.status is AnswerStatus.RECORDED for o in outcomes):
            self._fold_soon()
        return outcomes

    def _fold_soon(self) -> None:
        """Apply the queued reviews in the background, once the answers under way are acknowledged."""
        self._more = True
        if self._folding is None or self._folding.done():
            self._folding = asyncio.get_running_loop().create_task(self._fold_queued())

    async def _fold_queued(self) -> None:
        while True:
            await self._answers.quiet(FOLD_PATIENCE)  # a burst's clicks first
            self._more = False
            try:
                async with self._pool.acquire() as conn:
                    left = await review_fold.fold(conn, REVIEW_CHUNK, wait=False)
            except Exception as exc:  # the server went away, say: the next fold or read applies them
                log.warning("applying queued reviews failed (%s); they stay queued", exc)
                return
            if left is None:  # another process is folding; it may stop before reaching what we queued
                await asyncio.sleep(FOLD_RETRY)
            elif not left and not self._more:
                return

    async def _users_of(self, calls: list[tuple[str, str, str]]) -> list[User]:
        return await self._run(communities.users, calls)

    async def _run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with self._pool.acquire() as conn:
            return await fn(conn, *args)

    async def backup(self, target: str | Path, progress: Callable[[int, int], None] | None = None) -> int:
        raise BackupRefused(PG_DUMP_HINT)

    async def health_checks(self) -> dict[str, str | None]:
        """For /healthz: the server answers, and a write commits (a scratch row; no files to check)."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                async with self._pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
                    try:
                        await conn.execute(
                            "INSERT INTO health_probe (id, at) VALUES (1, $1)"
                            " ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                            clock.time(),
                        )
                    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                        return {"database_connection": None, "database_write": f"cannot write: {exc}"}
        except TimeoutError:
            return {"database_connection": f"no answer within {PROBE_TIMEOUT:.0f} s", "database_write": "not tried"}
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return {"database_connection": f"cannot reach the server: {exc}", "database_write": "not tried"}
        return {"database_connection": None, "database_write": None}

    async def settle(self) -> None:
        """Wait until every answer and user queued is stored (every other call is done when it returns)
        and the background review fold has applied what it could."""
        await self._answers.settle()
        await self._users.settle()
        while self._folding is not None and not self._folding.done():
            await asyncio.wait([self._folding])

    async def close(self) -> None:
        try:
            await self._answers.settle()
            await self._users.settle()
            if self._folding is not None:
                self._folding.cancel()  # a step cut off rolls back; what it held stays queued
                await asyncio.gather(self._folding, return_exceptions=True)
            try:
                async with self._pool.acquire() as conn:
                    await review_fold.fold_queued_now(conn)
            except Exception as exc:  # the next process to open the database applies them
                log.warning("applying queued reviews at close failed (%s); they stay queued", exc)
        finally:
            if self._listener is not None:
                await self._listener.close()
            await self._pool.close()

    async def ping(self) -> bool:
        return await self._run(_ping)

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
        return await self._users.submit((platform, platform_id, name))

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
        return await self._run(communities.schedules)

    async def schedules_in(
        self, platform: str, community_platform_id: str, channel_platform_id: str | None = None
    ) -> list[tuple[Community, Channel, Schedule]]:
        return await self._run(communities.schedules_in, platform, community_platform_id, channel_platform_id)

    async def watch_schedules(self, changed: Changed) -> bool:
        """`changed(channel_id)` whenever any process saves or switches off a schedule (LISTEN/NOTIFY),
        and `changed(None)` after each (re)connection of the listening connection: read them all."""
        if self._listener is None:
            self._listener = ScheduleListener(self.url, changed, self.path)
            self._listener.start()
        return True

    # -- Slack installations (OAuth)

    async def save_slack_installation(
        self, client_id: str, enterprise_id: str, team_id: str, org_wide: bool, data: str, at: float
    ) -> None:
        await self._run(slack_installs.save_slack_installation, client_id, enterprise_id, team_id, org_wide, data, at)

    async def slack_installation(self, client_id: str, enterprise_id: str | None, team_id: str | None) -> str | None:
        return await self._run(slack_installs.slack_installation, client_id, enterprise_id, team_id)

    async def delete_slack_installation(self, client_id: str, enterprise_id: str | None, team_id: str | None) -> int:
        return await self._run(slack_installs.delete_slack_installation, client_id, enterprise_id, team_id)

    async def issue_oauth_state(self, state: str, expires_at: float, now: float) -> None:
        await self._run(slack_installs.issue_oauth_state, state, expires_at, now)

    async def consume_oauth_state(self, state: str, now: float) -> bool:
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
        await self._run(posts.postpone_post, post_id, retry_at, error, lease, tried)

    async def renew_claims(self, token: str, now: float) -> int:
        return await self._run(posts.renew_claims, token, now)

    async def take_over_claims(self, token: str, now: float, lease: float, limit: int = 100) -> list[Post]:
        return await self._run(posts.take_over_claims, token, now, limit, lease)

    async def due_reveals(self, now: float, limit: int = 1000) -> list[int]:
        return await self._run(posts.due_reveals, now, limit)

    async def take_over_reveals(self, now: float, lease: float, limit: int = 100) -> list[int]:
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
        return await self._run(posts.close_post, post_id, clock.time() if now is None else now)

    async def mark_revealed(self, post_id: int, at: float) -> None:
        await self._run(posts.mark_revealed, post_id, at)

    async def mark_reveal_failed(self, post_id: int, reason: str) -> None:
        await self._run(posts.mark_reveal_failed, post_id, reason)

    async def post_results(self, post_id: int) -> PostResults:
        return await self._run(posts.post_results, post_id)

    async def channel_question_history(self, channel_id: int) -> dict[str, float]:
        return await self._run(posts.channel_question_history, channel_id)

    # -- answers, streaks and leaderboards

    async def record_answer(self, request: AnswerRequest) -> AnswerOutcome:
        return await self._answers.submit(request)

    async def user_history(self, user_id: int, community_id: int) -> list[HistoryItem]:
        return await self._run(answers.user_history, user_id, community_id)

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


async def _session_kept(conn: asyncpg.Connection) -> None:
    """What the pool runs on a connection given back, instead of asyncpg's default reset (a round trip
    of UNLISTEN, RESET ALL, CLOSE ALL and unlocking advisory locks, as long as the call it follows):
    no call here leaves anything in the session (no SET, LISTEN, cursor or session-level lock; the
    advisory locks are the transaction's own). asyncpg still rolls back a transaction left open."""


async def _ping(conn: asyncpg.Connection) -> bool:
    return await conn.fetchval("SELECT 1") == 1

"""Every SQL statement studybot runs, behind one small async interface.

Each public method is a synchronous function of the sqlite3 connection, run in aiosqlite's worker
thread. Calls that arrive while a batch is being written are queued and then run together as the
next batch: one thread hop and one transaction (group commit); a failing call gets its own exception
(see _run_batch). Under load, hundreds of answers share one commit; alone, a call is its own batch.

A PostgreSQL backend later only has to provide the same methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import sqlite3
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import aiosqlite

from bot.models import (
    AnswerOutcome,
    AnswerRequest,
    AnswerStatus,
    Channel,
    Community,
    HistoryItem,
    Post,
    PostKind,
    PostResults,
    PostStatus,
    Schedule,
    ScoreRow,
    Streak,
    User,
)
from bot.scoring import next_streak, points_for, replay

T = TypeVar("T")
ALL_CHANNELS = 0  # scores.channel_id for community-wide totals
# Answers folded into the leaderboard totals per background step. Answers queued meanwhile wait for
# the step, so it is kept short: about 3 ms (1000 made the p99 of 200 concurrent answerers 40% higher).
SCORE_CHUNK = 250
# Batches written between two background copies of the log under constant load. At 100 the
# figures of bench/answers.py are the same as with no copies at all (alternating runs).
CHECKPOINT_BATCHES = 100
IDLE_CHECKPOINT_BATCHES = 10  # batches after which the log is copied when the writer is quiet
QUIET_SECONDS = 0.02  # without a write, after which the writer counts as quiet
WAL_SIZE_LIMIT = 32 * 1024 * 1024  # bytes the log file is cut back to once it has been checkpointed
log = logging.getLogger("studybot.storage")

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE communities (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        locale TEXT NOT NULL,
        timezone TEXT NOT NULL,
        UNIQUE (platform, platform_id)
    );
    CREATE TABLE channels (
        id INTEGER PRIMARY KEY,
        community_id INTEGER NOT NULL REFERENCES communities(id),
        platform_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        UNIQUE (community_id, platform_id)
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        UNIQUE (platform, platform_id)
    );
    CREATE TABLE schedules (
        channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
        at TEXT NOT NULL,
        timezone TEXT NOT NULL,
        weekdays TEXT NOT NULL,
        exam TEXT,
        service TEXT,
        reveal_minutes INTEGER NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_by INTEGER REFERENCES users(id),
        disabled_reason TEXT
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        community_id INTEGER NOT NULL REFERENCES communities(id),
        channel_id INTEGER REFERENCES channels(id),
        owner_id INTEGER REFERENCES users(id),
        question_id TEXT NOT NULL,
        local_date TEXT,
        posted_at REAL NOT NULL,
        reveal_at REAL,
        status TEXT NOT NULL,
        message_ref TEXT,
        error TEXT
    );
    -- The rule "one daily post per channel per local day" lives here, so that it holds across
    -- restarts and across several bot processes sharing the database.
    CREATE UNIQUE INDEX posts_one_daily_per_day ON posts (channel_id, local_date) WHERE kind = 'daily';
    CREATE INDEX posts_by_community_day ON posts (community_id, kind, local_date, status);
    CREATE INDEX posts_by_channel_question ON posts (channel_id, question_id);
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL,
        community_id INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        choices TEXT NOT NULL,
        correct INTEGER NOT NULL,
        points INTEGER NOT NULL DEFAULT 0,
        answered_at REAL NOT NULL,
        local_date TEXT,
        channel_id INTEGER,
        month TEXT,  -- the leaderboard periods the answer counts in (community time zone)
        week TEXT,
        UNIQUE (post_id, user_id)
    );
    CREATE INDEX answers_by_user ON answers (user_id, community_id, answered_at);
    CREATE TABLE streaks (
        community_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        current INTEGER NOT NULL,
        best INTEGER NOT NULL,
        last_day TEXT,
        PRIMARY KEY (community_id, user_id)
    ) WITHOUT ROWID;
    -- Running totals per period, so a leaderboard reads one row per active user whatever the
    -- number of stored answers. channel_id 0 holds the community-wide totals. They are derived
    -- from answers (the source of truth) just after the answers are acknowledged, and always
    -- before a leaderboard is read; score_mark is the last answer id folded in, committed
    -- together with the totals, so a crash can neither lose nor double count an answer.
    -- No ranking index: sorting a period's rows at query time costs a few ms even for 10,000 users,
    -- while keeping such an index sorted would cost every answer.
    CREATE TABLE scores (
        community_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        points INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        answered INTEGER NOT NULL,
        first_at REAL NOT NULL,
        PRIMARY KEY (community_id, channel_id, period, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE score_mark (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        answer_id INTEGER NOT NULL
    );
    INSERT INTO score_mark (id, answer_id) VALUES (1, 0);
    """,
    # 2: a closed post is revealed only once its message edit landed. Until then (revealed_at and
    # reveal_error both NULL) the reveal is pending and retried, also after a restart; after the last
    # try, reveal_error says why it failed. Posts closed before this schema are taken as revealed.
    """
    ALTER TABLE posts ADD COLUMN revealed_at REAL;
    ALTER TABLE posts ADD COLUMN reveal_error TEXT;
    UPDATE posts SET revealed_at = COALESCE(reveal_at, posted_at) WHERE status = 'closed';
    CREATE INDEX posts_unrevealed ON posts (status) WHERE status = 'closed' AND revealed_at IS NULL;
    """,
    # 3: a post's life cycle that any process can finish. A claimed daily post holds a lease
    # (claimed_at, renewed by the claiming process while it sends: Settings.lease_seconds); a lease that runs out (the process
    # died, or the send failed and waits for its retry) is taken over by whichever process finds it,
    # which first asks the platform whether the message got there. Rows are never deleted, so post ids
    # are never reused. reveal_claimed_at is the same lease for the reveal edit. `question` is the
    # question as it was posted: later edits of the content neither rescore nor contradict it.
    """
    ALTER TABLE posts ADD COLUMN claimed_at REAL;
    ALTER TABLE posts ADD COLUMN claim_token TEXT;
    ALTER TABLE posts ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE posts ADD COLUMN reveal_claimed_at REAL;
    ALTER TABLE posts ADD COLUMN question TEXT;
    UPDATE posts SET claimed_at = posted_at WHERE status = 'claimed';
    CREATE INDEX posts_claimed ON posts (claimed_at) WHERE status = 'claimed';
    CREATE INDEX posts_due ON posts (reveal_at) WHERE status = 'open' AND kind = 'daily';
    """,
    # 4: Slack installs through OAuth (adapters/slack/oauth.py): one row per workspace (or, for an
    # org-wide install, per enterprise with team_id ''), holding its bot token, and the OAuth states
    # handed out by /slack/install, each good for one callback before it expires.
    """
    CREATE TABLE slack_installations (
        client_id TEXT NOT NULL,
        enterprise_id TEXT NOT NULL DEFAULT '',
        team_id TEXT NOT NULL DEFAULT '',
        is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        installed_at REAL NOT NULL,
        PRIMARY KEY (client_id, enterprise_id, team_id)
    ) WITHOUT ROWID;
    CREATE INDEX slack_installations_by_team ON slack_installations (team_id);
    CREATE TABLE slack_oauth_states (
        state TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
]

SENT = (PostStatus.OPEN.value, PostStatus.CLOSED.value)


class StorageError(Exception):
    """The database cannot be used (unreadable, read-only, full, or from a newer studybot)."""


@dataclass
class _Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


class _LogCheckpointer:
    """Copies the write-ahead log into the database file, out of the way of the clicks.

    With SQLite's automatic checkpoint turned off and nothing else, the log grew by about 1 KB per
    answer for as long as the bot ran. A checkpoint on the writer's own connection (which is what the
    automatic one is) holds up the clicks queued behind it: 55 to 600 ms after a busy spell in
    bench/answers.py. So the copying runs on a connection and thread of its own: in WAL mode it and
    the writer do not wait for each other. Only a copy made while nothing is written lets the log
    start over from its beginning, so besides every CHECKPOINT_BATCHES batches, it copies once the
    writer has been quiet for QUIET_SECONDS.
    """

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn
        self._since_copy = 0  # batches written since the last copy started
        self._running: asyncio.Task[None] | None = None
        self._quiet: asyncio.TimerHandle | None = None

    def written(self) -> None:
        self._since_copy += 1
        if self._since_copy >= CHECKPOINT_BATCHES:
            self._start()

    def idle(self) -> None:
        """The writer has nothing queued: if nothing is written for QUIET_SECONDS, copy."""
        if self._quiet is not None:
            self._quiet.cancel()  # counted from the writer's last idle moment
            self._quiet = None
        if self._since_copy >= IDLE_CHECKPOINT_BATCHES:
            written = self._since_copy
            self._quiet = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._if_still_quiet, written)

    def _if_still_quiet(self, written: int) -> None:
        self._quiet = None
        if self._since_copy == written:  # if not, the writer's next idle moment tries again
            self._start()

    def _start(self) -> None:
        if self._running is None:
            self._since_copy = 0
            self._running = asyncio.get_running_loop().create_task(self._copy())

    async def _copy(self) -> None:
        try:
            # PASSIVE never waits, for the writer or for readers (another process may be reading).
            await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.exception("copying the database log into the database file failed; tried again later")
        finally:
            self._running = None

    async def settle(self) -> None:
        """Make a copy that is waiting for quiet now, and wait for the one running."""
        if self._quiet is not None:
            self._quiet.cancel()
            self._quiet = None
            self._start()
        while self._running is not None:
            await self._running

    async def close(self) -> None:
        await self.settle()
        await self._conn.close()


class Storage:
    def __init__(self, db: aiosqlite.Connection, path: str, copier: aiosqlite.Connection | None = None):
        self._db = db
        self.path = path
        self._pending: list[_Call] = []
        self._flusher: asyncio.Task[None] | None = None
        self._unscored = True  # answers may wait to be folded into the leaderboard totals (also after a crash)
        self._checkpointer = _LogCheckpointer(copier) if copier is not None else None  # None: no log in memory

    @classmethod
    async def open(cls, path: str | Path) -> Storage:
        """Open (creating if needed) the database and bring its schema up to date."""
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        try:
            await db._execute(_setup, db._conn)
            copier = None if path == ":memory:" else await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, StorageError) as exc:
            await db.close()  # the worker thread would otherwise keep the process alive
            if isinstance(exc, StorageError):
                raise
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        return cls(db, path, copier)

    async def backup(self, target: str | Path, progress: Callable[[int, int], None] | None = None) -> None:
        """Copy the database with SQLite's online backup API, safe while the bot is writing.

        The copy is written beside the target and renamed into place, so a failed backup never
        leaves a half-written file where a good one was expected.
        """
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        dest = sqlite3.connect(partial, check_same_thread=False)
        try:
            report = (lambda status, remaining, total: progress(total - remaining, total)) if progress else None
            await self._db.backup(dest, pages=256, progress=report, sleep=0.01)
        finally:
            dest.close()
        partial.replace(target)

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
            if self._unscored:
                with contextlib.suppress(sqlite3.Error):  # folded at the next start otherwise
                    await self._db._execute(_fold_scores_tx, self._db._conn, None)
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
        call = _Call(fn, args, loop.create_future())
        self._pending.append(call)
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        return await call.future

    async def _flush(self) -> None:
        try:
            while self._pending or self._unscored:
                if self._pending:
                    batch, self._pending = self._pending, []
                    try:
                        # aiosqlite's worker thread owns the connection; one hop runs the whole batch.
                        results = await self._db._execute(_run_batch, self._db._conn, batch)
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
                    # totals, so a burst of clicks is answered first and counted right after.
                    try:
                        self._unscored = await self._db._execute(_fold_scores_tx, self._db._conn, SCORE_CHUNK)
                    except Exception:
                        log.exception("folding answers into leaderboard totals failed; retried on next read")
                        self._unscored = False
                if self._checkpointer is not None:
                    self._checkpointer.written()
        finally:
            self._flusher = None
            if self._checkpointer is not None:
                self._checkpointer.idle()

    async def ping(self) -> bool:
        """The database answers (for /healthz)."""
        return await self._run(_ping)

    # -- communities, channels, users

    async def community(self, platform: str, platform_id: str, name: str, locale: str, timezone: str) -> Community:
        return await self._run(_community, platform, platform_id, name, locale, timezone)

    async def community_by_id(self, community_id: int) -> Community | None:
        return await self._run(_community_by_id, community_id)

    async def update_community(
        self, community_id: int, *, locale: str | None = None, timezone: str | None = None
    ) -> None:
        await self._run(_update_community, community_id, locale, timezone)

    async def channel(self, community_id: int, platform_id: str, name: str = "") -> Channel:
        return await self._run(_channel, community_id, platform_id, name)

    async def channel_by_id(self, channel_id: int) -> Channel | None:
        return await self._run(_channel_by_id, channel_id)

    async def channels(self, community_id: int) -> list[Channel]:
        return await self._run(_channels, community_id)

    async def user(self, platform: str, platform_id: str, name: str = "") -> User:
        return await self._run(_user, platform, platform_id, name)

    async def user_by_id(self, user_id: int) -> User | None:
        return await self._run(_user_by_id, user_id)

    # -- schedules

    async def save_schedule(self, schedule: Schedule) -> None:
        await self._run(_save_schedule, schedule)

    async def disable_schedule(self, channel_id: int, reason: str) -> bool:
        return await self._run(_disable_schedule, channel_id, reason)

    async def schedule(self, channel_id: int) -> Schedule | None:
        return await self._run(_schedule, channel_id)

    async def schedules(self) -> list[Schedule]:
        """Every enabled schedule: the scheduler is rebuilt from these at start."""
        return await self._run(_schedules)

    async def schedules_in(
        self, platform: str, community_platform_id: str, channel_platform_id: str | None = None
    ) -> list[tuple[Community, Channel, Schedule]]:
        """The enabled schedules of a community (or of one of its channels), by platform ids: what an
        uninstall, revoked tokens or a lost channel switch off. Creates nothing."""
        return await self._run(_schedules_in, platform, community_platform_id, channel_platform_id)

    # -- Slack installations (OAuth)

    async def save_slack_installation(
        self, client_id: str, enterprise_id: str, team_id: str, org_wide: bool, data: str, at: float
    ) -> None:
        await self._run(_save_slack_installation, client_id, enterprise_id, team_id, org_wide, data, at)

    async def slack_installation(self, client_id: str, enterprise_id: str | None, team_id: str | None) -> str | None:
        """The stored installation (JSON) for a workspace, or for an org-wide install when team_id is
        None; enterprise_id None matches any enterprise."""
        return await self._run(_slack_installation, client_id, enterprise_id, team_id)

    async def delete_slack_installation(self, client_id: str, enterprise_id: str | None, team_id: str | None) -> int:
        return await self._run(_delete_slack_installation, client_id, enterprise_id, team_id)

    async def issue_oauth_state(self, state: str, expires_at: float, now: float) -> None:
        await self._run(_issue_oauth_state, state, expires_at, now)

    async def consume_oauth_state(self, state: str, now: float) -> bool:
        """True once for a state that was issued and has not expired."""
        return await self._run(_consume_oauth_state, state, now)

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
            _claim_daily_post, community_id, channel_id, question_id, question, local_date, at, token
        )

    async def create_practice_post(
        self, community_id: int, owner_id: int, question_id: str, question: str, at: float
    ) -> Post:
        return await self._run(_create_practice_post, community_id, owner_id, question_id, question, at)

    async def mark_post_sent(self, post_id: int, message_ref: str, reveal_at: float | None) -> None:
        await self._run(_mark_post_sent, post_id, message_ref, reveal_at)

    async def mark_post_failed(self, post_id: int, error: str) -> None:
        await self._run(_mark_post_failed, post_id, error)

    async def postpone_post(self, post_id: int, retry_at: float, error: str, lease: float) -> None:
        """A send that failed, or may not have: the claim (a `lease` of seconds) runs out at retry_at,
        when whoever takes it over asks the platform whether the message got there before sending again."""
        await self._run(_postpone_post, post_id, retry_at, error, lease)

    async def renew_claims(self, token: str, now: float) -> int:
        return await self._run(_renew_claims, token, now)

    async def take_over_claims(self, token: str, now: float, lease: float, limit: int = 100) -> list[Post]:
        """Claimed posts whose lease (not renewed for `lease` seconds) ran out, now claimed by `token`."""
        return await self._run(_take_over_claims, token, now, limit, lease)

    async def due_reveals(self, now: float, limit: int = 1000) -> list[int]:
        return await self._run(_due_reveals, now, limit)

    async def take_over_reveals(self, now: float, lease: float, limit: int = 100) -> list[int]:
        """Closed posts whose reveal never landed and whose reveal lease ran out, now claimed."""
        return await self._run(_take_over_reveals, now, limit, lease)

    async def renew_reveal(self, post_id: int, now: float) -> None:
        await self._run(_renew_reveal, post_id, now)

    async def post(self, post_id: int) -> Post | None:
        return await self._run(_post, post_id)

    async def daily_post_on(self, channel_id: int, local_date: str) -> Post | None:
        return await self._run(_daily_post_on, channel_id, local_date)

    async def open_daily_posts(self) -> list[Post]:
        return await self._run(_open_daily_posts)

    async def close_post(self, post_id: int, now: float | None = None) -> bool:
        """Close a post for answers and take its reveal; True only for the one caller that closed it."""
        return await self._run(_close_post, post_id, clock.time() if now is None else now)

    async def mark_revealed(self, post_id: int, at: float) -> None:
        await self._run(_mark_revealed, post_id, at)

    async def mark_reveal_failed(self, post_id: int, reason: str) -> None:
        """The last try failed: the post stays closed, and clicks on it are told the reveal failed."""
        await self._run(_mark_reveal_failed, post_id, reason)

    async def post_results(self, post_id: int) -> PostResults:
        return await self._run(_post_results, post_id)

    async def channel_question_history(self, channel_id: int) -> dict[str, float]:
        """question id -> when the channel last got it as a daily post."""
        return await self._run(_channel_question_history, channel_id)

    # -- answers

    async def record_answer(self, request: AnswerRequest) -> AnswerOutcome:
        """Store an answer unless the user already answered the post or it is closed, all in one step."""
        outcome = await self._run(_record_answers, request)
        if outcome.status == AnswerStatus.RECORDED:
            self._unscored = True
            if self._flusher is None:  # the batch loop may have ended meanwhile: fold soon all the same
                self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return outcome

    async def user_history(self, user_id: int, community_id: int) -> list[HistoryItem]:
        return await self._run(_user_history, user_id, community_id)

    # -- streaks and leaderboards

    async def streak(self, community_id: int, user_id: int) -> Streak:
        return await self._run(_streak, community_id, user_id)

    async def leaderboard(
        self, community_id: int, channel_id: int | None, period: str, limit: int = 10
    ) -> list[ScoreRow]:
        return await self._run(_leaderboard, community_id, channel_id or ALL_CHANNELS, period, limit)

    async def rank_of(self, community_id: int, channel_id: int | None, period: str, user_id: int) -> ScoreRow | None:
        return await self._run(_rank_of, community_id, channel_id or ALL_CHANNELS, period, user_id)


# ---------------------------------------------------------------------------------------------------
# The synchronous halves, run in the database thread. Each starts and ends its own transaction.


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error: taking the write lock up front means two
    processes sharing the database wait for each other instead of failing to upgrade a read lock."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # SQLite may already have rolled the whole transaction back itself (disk full, I/O error).
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _run_batch(conn: sqlite3.Connection, batch: list[_Call]) -> list[Any]:
    """Run the calls in one transaction; a call that fails is rolled back alone when it can be.

    Answers queued one after another are recorded together (see _AnswerRun). A failed statement
    undoes itself, so a call that fails before anything of it is written fails alone and the others
    are kept. A call that fails after writing (in practice only a full disk or an I/O error) fails
    the whole batch, so nothing is ever half-stored. That needs no savepoint per call, which would
    cost a quarter of the work of recording an answer.
    """
    results: list[Any] = []
    with _Tx(conn):
        for fn, calls in itertools.groupby(batch, key=lambda call: call.fn):
            if fn is _record_answers:
                results += _record_answers(conn, [call.args[0] for call in calls])
            else:
                results += [_alone(conn, call.fn, conn, *call.args) for call in calls]
    return results


def _alone(conn: sqlite3.Connection, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args), or the exception it raised when it wrote nothing; raises when it is half-written."""
    written = conn.total_changes
    try:
        return fn(*args)
    except Exception as exc:
        if not conn.in_transaction or conn.total_changes != written:
            raise  # SQLite undid the whole transaction itself, or this call is half-written
        return exc


def _fold_scores_tx(conn: sqlite3.Connection, limit: int | None) -> bool:
    with _Tx(conn):
        return _fold_scores(conn, limit)


def _setup(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() not in ("wal", "memory"):
        raise StorageError(f"cannot switch the database to WAL mode (got {mode})")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # _LogCheckpointer copies the log instead
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache: leaderboards and streaks stay in memory
    with _Tx(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"the database schema is version {version}, newer than this studybot knows "
                f"({len(MIGRATIONS)}); upgrade studybot"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")


def _statements(script: str) -> list[str]:
    # executescript() would commit our transaction; split instead (our migrations have no ';' in strings).
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _ping(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1").fetchone()[0] == 1


def _community_row(row: sqlite3.Row) -> Community:
    return Community(row["id"], row["platform"], row["platform_id"], row["name"], row["locale"], row["timezone"])


def _community(
    conn: sqlite3.Connection, platform: str, platform_id: str, name: str, locale: str, timezone: str
) -> Community:
    conn.execute(
        "INSERT INTO communities (platform, platform_id, name, locale, timezone) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (platform, platform_id) DO UPDATE SET name = excluded.name WHERE excluded.name != ''",
        (platform, platform_id, name, locale, timezone),
    )
    row = conn.execute(
        "SELECT * FROM communities WHERE platform = ? AND platform_id = ?", (platform, platform_id)
    ).fetchone()
    return _community_row(row)


def _community_by_id(conn: sqlite3.Connection, community_id: int) -> Community | None:
    row = conn.execute("SELECT * FROM communities WHERE id = ?", (community_id,)).fetchone()
    return _community_row(row) if row else None


def _update_community(conn: sqlite3.Connection, community_id: int, locale: str | None, timezone: str | None) -> None:
    conn.execute(
        "UPDATE communities SET locale = COALESCE(?, locale), timezone = COALESCE(?, timezone) WHERE id = ?",
        (locale, timezone, community_id),
    )


def _channel_row(row: sqlite3.Row) -> Channel:
    return Channel(row["id"], row["community_id"], row["platform_id"], row["name"])


def _channel(conn: sqlite3.Connection, community_id: int, platform_id: str, name: str) -> Channel:
    conn.execute(
        "INSERT INTO channels (community_id, platform_id, name) VALUES (?, ?, ?)"
        " ON CONFLICT (community_id, platform_id) DO UPDATE SET name = excluded.name"
        " WHERE excluded.name != ''",
        (community_id, platform_id, name),
    )
    row = conn.execute(
        "SELECT * FROM channels WHERE community_id = ? AND platform_id = ?", (community_id, platform_id)
    ).fetchone()
    return _channel_row(row)


def _channel_by_id(conn: sqlite3.Connection, channel_id: int) -> Channel | None:
    row = conn.execute("SELECT * FROM channels WHERE id = ?", (channel_id,)).fetchone()
    return _channel_row(row) if row else None


def _channels(conn: sqlite3.Connection, community_id: int) -> list[Channel]:
    rows = conn.execute("SELECT * FROM channels WHERE community_id = ? ORDER BY id", (community_id,))
    return [_channel_row(r) for r in rows]


def _user(conn: sqlite3.Connection, platform: str, platform_id: str, name: str) -> User:
    conn.execute(
        "INSERT INTO users (platform, platform_id, name) VALUES (?, ?, ?)"
        " ON CONFLICT (platform, platform_id) DO UPDATE SET name = excluded.name"
        " WHERE excluded.name != '' AND excluded.name != users.name",
        (platform, platform_id, name),
    )
    row = conn.execute("SELECT * FROM users WHERE platform = ? AND platform_id = ?", (platform, platform_id)).fetchone()
    return User(row["id"], row["platform"], row["platform_id"], row["name"])


def _user_by_id(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return User(row["id"], row["platform"], row["platform_id"], row["name"]) if row else None


def _schedule_row(row: sqlite3.Row) -> Schedule:
    return Schedule(
        channel_id=row["channel_id"],
        at=time.fromisoformat(row["at"]),
        timezone=row["timezone"],
        weekdays=tuple(row["weekdays"].split(",")),
        exam=row["exam"],
        service=row["service"],
        reveal_minutes=row["reveal_minutes"],
        enabled=bool(row["enabled"]),
        created_by=row["created_by"],
    )


def _save_schedule(conn: sqlite3.Connection, s: Schedule) -> None:
    conn.execute(
        "INSERT INTO schedules (channel_id, at, timezone, weekdays, exam, service, reveal_minutes, enabled,"
        " created_by, disabled_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
        " ON CONFLICT (channel_id) DO UPDATE SET at = excluded.at, timezone = excluded.timezone,"
        " weekdays = excluded.weekdays, exam = excluded.exam, service = excluded.service,"
        " reveal_minutes = excluded.reveal_minutes, enabled = excluded.enabled,"
        " created_by = excluded.created_by, disabled_reason = NULL",
        (
            s.channel_id,
            s.at.strftime("%H:%M"),
            s.timezone,
            ",".join(s.weekdays),
            s.exam,
            s.service,
            s.reveal_minutes,
            int(s.enabled),
            s.created_by,
        ),
    )


def _disable_schedule(conn: sqlite3.Connection, channel_id: int, reason: str) -> bool:
    cur = conn.execute(
        "UPDATE schedules SET enabled = 0, disabled_reason = ? WHERE channel_id = ? AND enabled = 1",
        (reason, channel_id),
    )
    return cur.rowcount > 0


def _schedule(conn: sqlite3.Connection, channel_id: int) -> Schedule | None:
    row = conn.execute("SELECT * FROM schedules WHERE channel_id = ?", (channel_id,)).fetchone()
    return _schedule_row(row) if row else None


def _schedules(conn: sqlite3.Connection) -> list[Schedule]:
    rows = conn.execute("SELECT * FROM schedules WHERE enabled = 1 ORDER BY channel_id")
    return [_schedule_row(r) for r in rows]


def _schedules_in(
    conn: sqlite3.Connection, platform: str, community_platform_id: str, channel_platform_id: str | None
) -> list[tuple[Community, Channel, Schedule]]:
    rows = conn.execute(
        "SELECT s.channel_id FROM schedules s JOIN channels ch ON ch.id = s.channel_id"
        " JOIN communities c ON c.id = ch.community_id"
        " WHERE s.enabled = 1 AND c.platform = ? AND c.platform_id = ? AND (? IS NULL OR ch.platform_id = ?)"
        " ORDER BY s.channel_id",
        (platform, community_platform_id, channel_platform_id, channel_platform_id),
    ).fetchall()
    found = []
    for row in rows:
        channel = _channel_by_id(conn, row["channel_id"])
        schedule = _schedule(conn, row["channel_id"])
        assert channel is not None and schedule is not None
        community = _community_by_id(conn, channel.community_id)
        assert community is not None
        found.append((community, channel, schedule))
    return found


def _save_slack_installation(
    conn: sqlite3.Connection, client_id: str, enterprise_id: str, team_id: str, org_wide: bool, data: str, at: float
) -> None:
    conn.execute(
        "INSERT INTO slack_installations (client_id, enterprise_id, team_id, is_enterprise_install, data, installed_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, enterprise_id, team_id) DO UPDATE SET"
        " is_enterprise_install = excluded.is_enterprise_install, data = excluded.data,"
        " installed_at = excluded.installed_at",
        (client_id, enterprise_id, team_id, int(org_wide), data, at),
    )


def _slack_installation(
    conn: sqlite3.Connection, client_id: str, enterprise_id: str | None, team_id: str | None
) -> str | None:
    row = conn.execute(
        "SELECT data FROM slack_installations WHERE client_id = ? AND team_id = ? AND (? IS NULL OR enterprise_id = ?)"
        " ORDER BY installed_at DESC LIMIT 1",
        (client_id, team_id or "", enterprise_id, enterprise_id or ""),
    ).fetchone()
    return row["data"] if row else None


def _delete_slack_installation(
    conn: sqlite3.Connection, client_id: str, enterprise_id: str | None, team_id: str | None
) -> int:
    cur = conn.execute(
        "DELETE FROM slack_installations WHERE client_id = ? AND team_id = ? AND (? IS NULL OR enterprise_id = ?)",
        (client_id, team_id or "", enterprise_id, enterprise_id or ""),
    )
    return cur.rowcount


def _issue_oauth_state(conn: sqlite3.Connection, state: str, expires_at: float, now: float) -> None:
    conn.execute("DELETE FROM slack_oauth_states WHERE expires_at <= ?", (now,))  # the old ones go as new come
    conn.execute("INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)", (state, expires_at))


def _consume_oauth_state(conn: sqlite3.Connection, state: str, now: float) -> bool:
    row = conn.execute("DELETE FROM slack_oauth_states WHERE state = ? RETURNING expires_at", (state,)).fetchone()
    return row is not None and row["expires_at"] > now


def _post_row(row: sqlite3.Row) -> Post:
    return Post(
        id=row["id"],
        kind=PostKind(row["kind"]),
        community_id=row["community_id"],
        channel_id=row["channel_id"],
        owner_id=row["owner_id"],
        question_id=row["question_id"],
        local_date=row["local_date"],
        posted_at=row["posted_at"],
        reveal_at=row["reveal_at"],
        status=PostStatus(row["status"]),
        message_ref=row["message_ref"],
        revealed_at=row["revealed_at"],
        reveal_error=row["reveal_error"],
        attempts=row["attempts"],
        question=row["question"],
    )


def _claim_daily_post(
    conn: sqlite3.Connection,
    community_id: int,
    channel_id: int,
    question_id: str,
    question: str,
    local_date: str,
    at: float,
    token: str,
) -> Post | None:
    cur = conn.execute(
        "INSERT INTO posts (kind, community_id, channel_id, question_id, question, local_date, posted_at, status,"
        " claimed_at, claim_token) VALUES ('daily', ?, ?, ?, ?, ?, ?, 'claimed', ?, ?) ON CONFLICT DO NOTHING",
        (community_id, channel_id, question_id, question, local_date, at, at, token),
    )
    if cur.rowcount == 0:
        return None
    row = conn.execute("SELECT * FROM posts WHERE id = ?", (cur.lastrowid,)).fetchone()
    return _post_row(row)


def _create_practice_post(
    conn: sqlite3.Connection, community_id: int, owner_id: int, question_id: str, question: str, at: float
) -> Post:
    cur = conn.execute(
        "INSERT INTO posts (kind, community_id, owner_id, question_id, question, posted_at, status)"
        " VALUES ('practice', ?, ?, ?, ?, ?, 'open')",
        (community_id, owner_id, question_id, question, at),
    )
    row = conn.execute("SELECT * FROM posts WHERE id = ?", (cur.lastrowid,)).fetchone()
    return _post_row(row)


def _mark_post_sent(conn: sqlite3.Connection, post_id: int, message_ref: str, reveal_at: float | None) -> None:
    conn.execute(
        "UPDATE posts SET status = 'open', message_ref = ?, reveal_at = ?, claim_token = NULL, error = NULL"
        " WHERE id = ? AND status = 'claimed'",
        (message_ref, reveal_at, post_id),
    )


def _mark_post_failed(conn: sqlite3.Connection, post_id: int, error: str) -> None:
    conn.execute("UPDATE posts SET status = 'failed', error = ? WHERE id = ?", (error[:500], post_id))


def _postpone_post(conn: sqlite3.Connection, post_id: int, retry_at: float, error: str, lease: float) -> None:
    # The lease is let go so that it runs out at retry_at; whoever then takes it over asks first.
    conn.execute(
        "UPDATE posts SET claim_token = NULL, claimed_at = ?, attempts = attempts + 1, error = ?"
        " WHERE id = ? AND status = 'claimed'",
        (retry_at - lease, error[:500], post_id),
    )


def _renew_claims(conn: sqlite3.Connection, token: str, now: float) -> int:
    cur = conn.execute("UPDATE posts SET claimed_at = ? WHERE claim_token = ? AND status = 'claimed'", (now, token))
    return cur.rowcount


def _take_over_claims(conn: sqlite3.Connection, token: str, now: float, limit: int, lease: float) -> list[Post]:
    rows = conn.execute(
        "UPDATE posts SET claim_token = ?, claimed_at = ? WHERE id IN (SELECT id FROM posts"
        " WHERE status = 'claimed' AND claimed_at <= ? ORDER BY claimed_at LIMIT ?) RETURNING *",
        (token, now, now - lease, limit),
    ).fetchall()
    return sorted((_post_row(r) for r in rows), key=lambda p: p.id)


def _due_reveals(conn: sqlite3.Connection, now: float, limit: int) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM posts WHERE status = 'open' AND kind = 'daily' AND reveal_at <= ? ORDER BY reveal_at LIMIT ?",
        (now, limit),
    )
    return [r[0] for r in rows]


def _take_over_reveals(conn: sqlite3.Connection, now: float, limit: int, lease: float) -> list[int]:
    rows = conn.execute(
        "UPDATE posts SET reveal_claimed_at = ? WHERE id IN (SELECT id FROM posts WHERE status = 'closed'"
        " AND revealed_at IS NULL AND reveal_error IS NULL AND COALESCE(reveal_claimed_at, 0) <= ? LIMIT ?)"
        " RETURNING id",
        (now, now - lease, limit),
    ).fetchall()
    return sorted(r[0] for r in rows)


def _renew_reveal(conn: sqlite3.Connection, post_id: int, now: float) -> None:
    conn.execute("UPDATE posts SET reveal_claimed_at = ? WHERE id = ? AND status = 'closed'", (now, post_id))


def _post(conn: sqlite3.Connection, post_id: int) -> Post | None:
    row = conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
    return _post_row(row) if row else None


def _daily_post_on(conn: sqlite3.Connection, channel_id: int, local_date: str) -> Post | None:
    row = conn.execute(
        "SELECT * FROM posts WHERE kind = 'daily' AND channel_id = ? AND local_date = ?",
        (channel_id, local_date),
    ).fetchone()
    return _post_row(row) if row else None


def _open_daily_posts(conn: sqlite3.Connection) -> list[Post]:
    rows = conn.execute("SELECT * FROM posts WHERE kind = 'daily' AND status = 'open' ORDER BY id")
    return [_post_row(r) for r in rows]


def _mark_revealed(conn: sqlite3.Connection, post_id: int, at: float) -> None:
    conn.execute(
        "UPDATE posts SET revealed_at = ?, reveal_error = NULL WHERE id = ? AND status = 'closed'", (at, post_id)
    )


def _mark_reveal_failed(conn: sqlite3.Connection, post_id: int, reason: str) -> None:
    conn.execute(
        "UPDATE posts SET reveal_error = ? WHERE id = ? AND status = 'closed' AND revealed_at IS NULL",
        (reason[:500], post_id),
    )


def _close_post(conn: sqlite3.Connection, post_id: int, now: float) -> bool:
    cur = conn.execute(
        "UPDATE posts SET status = 'closed', reveal_claimed_at = ? WHERE id = ? AND status = 'open'", (now, post_id)
    )
    return cur.rowcount > 0


def _post_results(conn: sqlite3.Connection, post_id: int) -> PostResults:
    by_choice: dict[str, int] = {}
    answered = correct = 0
    for row in conn.execute(
        "SELECT choices, COUNT(*) AS n, SUM(correct) AS ok FROM answers WHERE post_id = ? GROUP BY choices",
        (post_id,),
    ):
        answered += row["n"]
        correct += row["ok"]
        for choice in row["choices"].split(","):
            by_choice[choice] = by_choice.get(choice, 0) + row["n"]
    return PostResults(answered, correct, by_choice)


def _channel_question_history(conn: sqlite3.Connection, channel_id: int) -> dict[str, float]:
    rows = conn.execute(
        "SELECT question_id, MAX(posted_at) AS last FROM posts WHERE channel_id = ? AND kind = 'daily'"
        " AND status IN ('open', 'closed') GROUP BY question_id",
        (channel_id,),
    )
    return {r["question_id"]: r["last"] for r in rows}


def _record_answers(conn: sqlite3.Connection, requests: list[AnswerRequest]) -> list[AnswerOutcome | Exception]:
    """Store each answer unless the user already answered the post or it is closed."""
    run = _AnswerRun(conn, requests)
    outcomes: list[AnswerOutcome | Exception] = [_alone(conn, run.record, request) for request in requests]
    run.save_streaks()
    return outcomes


class _AnsweredPost(NamedTuple):
    kind: str
    community_id: int
    channel_id: int | None
    owner_id: int | None
    question_id: str
    local_date: str | None
    status: str
    reveal_at: float | None


class _AnswerRun:
    """Answers that reached the database together, recorded with what they share read once.

    A burst of clicks is hundreds of answers to one post on one day. The post, the previous
    scheduled day and the users' streaks are read once for the whole run, and the streaks written
    back once at its end, which leaves one statement per answer: its insert. The batch holds the
    write lock and the run ends before any other call of the batch, so nothing read can change
    meanwhile.
    """

    def __init__(self, conn: sqlite3.Connection, requests: list[AnswerRequest]):
        self.conn = conn
        self.posts: dict[int, _AnsweredPost | None] = {}
        for post_id in {r.post_id for r in requests}:
            row = conn.execute(
                "SELECT kind, community_id, channel_id, owner_id, question_id, local_date, status, reveal_at"
                " FROM posts WHERE id = ?",
                (post_id,),
            ).fetchone()
            self.posts[post_id] = _AnsweredPost(*row) if row else None
        self.previous_days: dict[tuple[int, str], str | None] = {}
        self.streaks: dict[tuple[int, int], tuple[int, int, str | None]] = {}
        self.changed: set[tuple[int, int]] = set()
        users_by_community: dict[int, set[int]] = {}
        for r in requests:
            post = self.posts[r.post_id]
            if post is not None and post.kind == PostKind.DAILY:
                users_by_community.setdefault(post.community_id, set()).add(r.user_id)
        for community_id, users in users_by_community.items():
            rows = conn.execute(
                "SELECT user_id, current, best, last_day FROM streaks"
                " WHERE community_id = ? AND user_id IN (SELECT value FROM json_each(?))",
                (community_id, json.dumps(sorted(users))),
            )
            for user_id, current, best, last_day in rows:
                self.streaks[(community_id, user_id)] = (current, best, last_day)

    def record(self, r: AnswerRequest) -> AnswerOutcome:
        post = self.posts[r.post_id]
        if post is None:
            return AnswerOutcome(AnswerStatus.UNKNOWN_POST)
        if post.kind == PostKind.PRACTICE and post.owner_id != r.user_id:
            return AnswerOutcome(AnswerStatus.NOT_YOURS)
        if post.status != PostStatus.OPEN:
            return self.earlier_answer(r) or AnswerOutcome(
                AnswerStatus.CLOSED if post.status == PostStatus.CLOSED else AnswerStatus.UNKNOWN_POST
            )
        if post.reveal_at is not None and r.at >= post.reveal_at:
            # Past its reveal time the post is closed, whether or not some process has revealed it yet.
            return self.earlier_answer(r) or AnswerOutcome(AnswerStatus.CLOSED)
        community_id, day = post.community_id, post.local_date
        daily = post.kind == PostKind.DAILY
        streak_after = self.next_streak(community_id, r.user_id, day) if daily else None
        streak = streak_after[0] if streak_after else 0
        points = points_for(r.correct, streak) if daily else 0
        # The insert itself finds a second click (the unique key), so a first answer needs no read.
        inserted = self.conn.execute(
            "INSERT INTO answers (post_id, user_id, kind, community_id, question_id, choices, correct, points,"
            " answered_at, local_date, channel_id, month, week) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (post_id, user_id) DO NOTHING",
            (
                r.post_id,
                r.user_id,
                post.kind,
                community_id,
                post.question_id,
                ",".join(r.choices),
                int(r.correct),
                points,
                r.at,
                day,
                post.channel_id,
                r.month,
                r.week,
            ),
        ).rowcount
        if not inserted:
            return self.earlier_answer(r) or AnswerOutcome(AnswerStatus.ALREADY)
        if streak_after:
            self.streaks[(community_id, r.user_id)] = streak_after
            self.changed.add((community_id, r.user_id))
        return AnswerOutcome(AnswerStatus.RECORDED, r.choices, r.correct, points, streak)

    def earlier_answer(self, r: AnswerRequest) -> AnswerOutcome | None:
        """The user's first answer to the post, which stands."""
        earlier = self.conn.execute(
            "SELECT choices, correct, points FROM answers WHERE post_id = ? AND user_id = ?",
            (r.post_id, r.user_id),
        ).fetchone()
        if earlier is None:
            return None
        return AnswerOutcome(
            AnswerStatus.ALREADY, tuple(earlier["choices"].split(",")), bool(earlier["correct"]), earlier["points"]
        )

    def next_streak(self, community_id: int, user_id: int, day: str) -> tuple[int, int, str]:
        """(current, best, last day) once the user has answered on `day`; kept only if the answer is."""
        current, best, last_day = self.streaks.get((community_id, user_id), (0, 0, None))
        if last_day is not None and day < last_day:
            # An answer to an earlier day arriving late (channels in different time zones): replay history.
            current, best, last = _replay_streak(self.conn, community_id, user_id, extra_day=day)
            return current, best, last or day
        previous = self.previous_day(community_id, day) if last_day not in (None, day) else None
        current = next_streak(current, last_day, previous, day)
        return current, max(best, current), day

    def previous_day(self, community_id: int, day: str) -> str | None:
        """The community's last scheduled day before `day`: whether a streak continues or restarts."""
        key = (community_id, day)
        if key not in self.previous_days:
            self.previous_days[key] = self.conn.execute(
                "SELECT MAX(local_date) FROM posts WHERE community_id = ? AND kind = 'daily' AND local_date < ?"
                " AND status IN ('open', 'closed')",
                key,
            ).fetchone()[0]
        return self.previous_days[key]

    def save_streaks(self) -> None:
        self.conn.executemany(
            "INSERT INTO streaks (community_id, user_id, current, best, last_day) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO UPDATE SET current = excluded.current, best = excluded.best,"
            " last_day = excluded.last_day",
            [(*key, *self.streaks[key]) for key in self.changed],
        )


# One upsert per answer and period, no GROUP BY: sorting the rows first cost more than it saved
# (20 against 12 us per answer folded, measured over 10,000 users).
SCORE_NEW_ANSWERS = """
    WITH new AS (
        SELECT community_id, channel_id, user_id, points, correct, answered_at, month, week FROM answers
        WHERE id > :start AND id <= :end AND kind = 'daily'
    ), spread AS (
        SELECT community_id, channel_id AS scope, 'all' AS period, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, channel_id, month, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, channel_id, week, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, 0, 'all', user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, 0, month, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, 0, week, user_id, points, correct, answered_at FROM new
    )
    INSERT INTO scores (community_id, channel_id, period, user_id, points, correct, answered, first_at)
    SELECT community_id, scope, period, user_id, points, correct, 1, answered_at FROM spread WHERE true
    ON CONFLICT DO UPDATE SET points = points + excluded.points, correct = correct + excluded.correct,
        answered = answered + excluded.answered, first_at = MIN(first_at, excluded.first_at)
"""


def _fold_scores(conn: sqlite3.Connection, limit: int | None) -> bool:
    """Add answers not yet in the leaderboard totals (at most `limit`); True when some are left."""
    start = conn.execute("SELECT answer_id FROM score_mark WHERE id = 1").fetchone()[0]
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM answers").fetchone()[0]
    end = last if limit is None else min(last, start + limit)
    if end > start:
        conn.execute(SCORE_NEW_ANSWERS, {"start": start, "end": end})
        conn.execute("UPDATE score_mark SET answer_id = ? WHERE id = 1", (end,))
    return end < last


def _replay_streak(
    conn: sqlite3.Connection, community_id: int, user_id: int, extra_day: str
) -> tuple[int, int, str | None]:
    scheduled = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT local_date FROM posts WHERE community_id = ? AND kind = 'daily'"
            " AND status IN ('open', 'closed')",
            (community_id,),
        )
    ]
    answered = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT local_date FROM answers WHERE community_id = ? AND user_id = ? AND kind = 'daily'",
            (community_id, user_id),
        )
    ]
    current, best, last = replay(scheduled, [*answered, extra_day])
    return current, best, last


def _missed_since(conn: sqlite3.Connection, community_id: int, last_day: str) -> bool:
    """True when a scheduled day after last_day has closed entirely: the streak is broken."""
    row = conn.execute(
        "SELECT 1 FROM posts WHERE community_id = ? AND kind = 'daily' AND local_date > ?"
        " AND status IN ('open', 'closed') GROUP BY local_date HAVING SUM(status = 'open') = 0 LIMIT 1",
        (community_id, last_day),
    ).fetchone()
    return row is not None


def _streak(conn: sqlite3.Connection, community_id: int, user_id: int) -> Streak:
    row = conn.execute(
        "SELECT current, best, last_day FROM streaks WHERE community_id = ? AND user_id = ?",
        (community_id, user_id),
    ).fetchone()
    if row is None:
        return Streak(0, 0, None)
    current = 0 if _missed_since(conn, community_id, row["last_day"]) else row["current"]
    return Streak(current, row["best"], row["last_day"])


def _leaderboard(
    conn: sqlite3.Connection, community_id: int, channel_id: int, period: str, limit: int
) -> list[ScoreRow]:
    _fold_scores(conn, None)  # everything acknowledged counts, even if the background fold lags
    rows = conn.execute(
        "SELECT s.user_id, u.name, s.points, s.correct, s.answered FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = ? AND s.channel_id = ? AND s.period = ?"
        " ORDER BY s.points DESC, s.correct DESC, s.answered, s.first_at, s.user_id LIMIT ?",
        (community_id, channel_id, period, limit),
    ).fetchall()
    return [
        ScoreRow(
            rank,
            r["user_id"],
            r["name"],
            r["points"],
            r["correct"],
            r["answered"],
            _streak(conn, community_id, r["user_id"]).current,
        )
        for rank, r in enumerate(rows, start=1)
    ]


def _rank_of(
    conn: sqlite3.Connection, community_id: int, channel_id: int, period: str, user_id: int
) -> ScoreRow | None:
    _fold_scores(conn, None)
    me = conn.execute(
        "SELECT s.points, s.correct, s.answered, s.first_at, u.name FROM scores s JOIN users u ON u.id = s.user_id"
        " WHERE s.community_id = ? AND s.channel_id = ? AND s.period = ? AND s.user_id = ?",
        (community_id, channel_id, period, user_id),
    ).fetchone()
    if me is None:
        return None
    ahead = conn.execute(
        "SELECT COUNT(*) FROM scores WHERE community_id = ? AND channel_id = ? AND period = ?"
        " AND (points, correct, -answered, -first_at, -user_id) > (?, ?, ?, ?, ?)",
        (
            community_id,
            channel_id,
            period,
            me["points"],
            me["correct"],
            -me["answered"],
            -me["first_at"],
            -user_id,
        ),
    ).fetchone()[0]
    return ScoreRow(
        ahead + 1,
        user_id,
        me["name"],
        me["points"],
        me["correct"],
        me["answered"],
        _streak(conn, community_id, user_id).current,
    )


def _user_history(conn: sqlite3.Connection, user_id: int, community_id: int) -> list[HistoryItem]:
    rows = conn.execute(
        "SELECT question_id, kind, correct, answered_at FROM answers WHERE user_id = ? AND community_id = ?"
        " ORDER BY answered_at",
        (user_id, community_id),
    )
    return [HistoryItem(r["question_id"], PostKind(r["kind"]), bool(r["correct"]), r["answered_at"]) for r in rows]

"""Shared fixtures: a controllable clock, a recording platform (our test backend) and a core on a
fresh database with a small fixed content bank."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.config import Settings
from bot.content import Question, load_content
from bot.core import Actor, StudyBot
from bot.models import Channel, Community, Post, PostResults
from bot.storage import is_postgres_url, open_storage
from tests.postgres_server import PostgresServer, start_server

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
TOKYO = ZoneInfo("Asia/Tokyo")


class Clock:
    """The time the core sees; tests move it by hand."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, text: str, tz: str = "Asia/Tokyo") -> None:
        self.current = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class RecordingPlatform:
    """Receives what the core posts, like a chat platform would, and can be told to fail."""

    name: str = "test"
    sent: list[tuple[Channel, Post, Question]] = field(default_factory=list)
    reveals: list[tuple[Post, Question, PostResults]] = field(default_factory=list)
    fail_with: Exception | None = None
    drop_replies: int = 0  # sends that reach the channel but whose answer is lost on the way back

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((channel, post, question))
        if self.drop_replies:
            self.drop_replies -= 1
            raise ConnectionResetError("the connection dropped after the platform took the message")
        return f"msg-{post.id}"

    async def find_question(self, community: Community, channel: Channel, post: Post) -> str | None:
        return f"msg-{post.id}" if any(p.id == post.id for _, p, _ in self.sent) else None

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None:
        self.reveals.append((post, question, results))


def actor(user: str = "u1", channel: str = "c1", admin: bool = False, community: str = "g1") -> Actor:
    return Actor(
        platform="test",
        community_id=community,
        user_id=user,
        user_name=user.upper(),
        channel_id=channel,
        channel_name=channel,
        is_admin=admin,
    )


ADMIN = actor("admin", admin=True)


def right_and_wrong(question: Question) -> tuple[list[str], list[str]]:
    """A correct answer and a wrong one with as many choices (multi-select needs the count right)."""
    right = sorted(question.answer)
    wrong = [c.id for c in question.choices if c.id not in question.answer][: len(right)]
    return right, wrong


# These modules run once per backend: what they test is a promise of the Storage interface. A test in
# them that is about SQLite itself (its file, log, backup, group commit) says so by @pytest.mark.sqlite_only.
BOTH_BACKENDS = {
    "test_storage",
    "test_answers",
    "test_streaks",
    "test_leaderboard",
    "test_daily",
    "test_post_lifecycle",
    "test_reliability",
    "test_console",
    "test_commands",
    "test_web",
    "test_admin_http",
    "test_slack",
    "test_slack_reviews",
    "test_logs",
    "test_lookup",
    "test_shuffle",
    "test_content_hostile",
    "test_reviews",
    "test_review_queue",
    "test_readiness",
    # tests/discord_adapter/
    "test_adapter",
    "test_command_upload",
    "test_interactions",
    "test_pacing",
    "test_shards",
    "test_schedule_sync",
    "test_review_commands",
}
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about SQLite itself, run on the SQLite backend only")
    config.addinivalue_line("markers", "postgres_only: about PostgreSQL itself, run on the PostgreSQL backend only")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module not in BOTH_BACKENDS or metafunc.definition.get_closest_marker("sqlite_only") is not None:
        return
    only_postgres = metafunc.definition.get_closest_marker("postgres_only") is not None
    metafunc.parametrize("backend", ("postgresql",) if only_postgres else BACKENDS)


@pytest.fixture
def backend() -> str:
    """The storage backend under test: "sqlite" unless the module runs on both (BOTH_BACKENDS)."""
    return "sqlite"


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """This test's own empty database: a SQLite file, or a PostgreSQL database on the run's server."""
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return tmp_path / "studybot.db"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole run, started on first use (tests/postgres_server.py)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database of this test's own."""
    return postgres_server.database()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 8, 0, tzinfo=TOKYO))  # a Monday morning in Tokyo


@pytest.fixture
def settings(database: Path | str) -> Settings:
    return Settings(
        database=database,
        content_dir=FIXTURE_CONTENT,
        locale="ja",
        timezone="Asia/Tokyo",
        console_user="tester",
    )


@pytest.fixture
def content():
    return load_content(FIXTURE_CONTENT)


async def make_bot(settings: Settings, clock: Clock, content, platform: RecordingPlatform | None = None) -> StudyBot:
    storage = await open_storage(settings.database)
    bot = StudyBot(settings, storage, content, clock=clock, rng=random.Random(7))
    bot.register(platform or RecordingPlatform())
    return bot


@pytest.fixture
async def platform() -> RecordingPlatform:
    return RecordingPlatform()


@pytest.fixture
async def bot(settings: Settings, clock: Clock, content, platform: RecordingPlatform) -> AsyncIterator[StudyBot]:
    core = await make_bot(settings, clock, content, platform)
    yield core
    await core.close()


async def fetch_row(database: Path | str, sql: str, *args: object) -> tuple[object, ...] | None:
    """One row read straight from a test's database, beside the bot (`?` placeholders, either backend)."""
    if is_postgres_url(database):
        numbers = itertools.count(1)
        numbered = re.sub(r"\?", lambda _: f"${next(numbers)}", sql)
        conn = await asyncio.wait_for(asyncpg.connect(str(database)), 10)
        try:
            row = await conn.fetchrow(numbered, *args)
        finally:
            await conn.close()
        return tuple(row) if row is not None else None
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return conn.execute(sql, args).fetchone()


__all__ = ["ADMIN", "Clock", "RecordingPlatform", "actor", "fetch_row", "make_bot", "replace", "right_and_wrong"]

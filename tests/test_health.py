"""/healthz that means it: a deleted or replaced database file, a write that cannot be made and a full
disk fail it, and answers the bot cannot store are refused, not acknowledged. On a real Storage over a
tmp file with the real HTTP server, and through a real `studybot run` process."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.commands import parse_daily_set
from bot.models import AnswerStatus
from bot.storage import open_storage
from bot.study_commands import run_command
from bot.web import add_ops_routes, serve
from tests.conftest import ADMIN, actor, right_and_wrong
from tests.fakes.slack_api import FakeSlackAPI
from tests.processes import BotProcess
from tests.test_deploy import slack_env


@pytest.fixture
async def healthz(bot):
    app = web.Application()
    add_ops_routes(app, bot, lambda: True)
    server = await serve(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.addresses[0][1]}/healthz"
    async with aiohttp.ClientSession() as session:

        async def get() -> tuple[int, dict]:
            async with asyncio.timeout(10), session.get(url) as resp:
                return resp.status, await resp.json()

        yield get
    await server.cleanup()


async def open_post(bot):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    assert (await bot.answer(actor("u0"), post.id, right)).outcome.status == AnswerStatus.RECORDED
    return post, right


def delete_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def replace_with_another_database(db: Path) -> None:
    """As a restore is done (stop forgotten): the log files removed, another database moved in."""
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    other = db.with_name("other.db")
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.commit()
    conn.close()
    os.replace(other, db)


@pytest.mark.parametrize("what", ["deleted", "replaced"])
async def test_a_database_file_gone_fails_health_and_refuses_answers(bot, clock, healthz, what):
    post, right = await open_post(bot)
    status, body = await healthz()
    assert status == 200 and body["ok"] is True
    db = Path(bot.storage.path)
    if what == "deleted":
        delete_database(db)
    else:
        replace_with_another_database(db)
    status, body = await healthz()
    assert status == 503 and body["checks"]["database_file"] is False
    assert what in body["problems"]["database_file"]
    # Neither a known user nor a new one is told their answer counted.
    for user in ("u0", "u1", "new"):
        feedback = await bot.answer(actor(user), post.id, right)
        assert feedback.error_key == "answer.not_stored", user
    reply = await run_command(bot, actor("u1"), ["stats"])
    assert reply.text == "⚠️ データベースに書き込めませんでした。少し待ってからもう一度お試しください。"
    if what == "replaced":  # and nothing went into the file now at the path
        conn = sqlite3.connect(db)
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["unrelated"]
        conn.close()


async def test_health_fails_when_the_disk_is_below_the_floor(settings, tmp_path):
    storage = await open_storage(tmp_path / "full.db", min_free_bytes=2**62)
    try:
        checks = await storage.health_checks()
    finally:
        await storage.close()
    assert checks["database_file"] is None and checks["database_write"] is None
    assert "below the floor" in (checks["disk_space"] or "")


async def test_health_fails_when_the_database_cannot_be_written_in_time(bot, healthz):
    status, _ = await healthz()
    assert status == 200
    blocker = sqlite3.connect(bot.storage.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock and does not let go
    try:
        bot.storage.health.probe_every = 0
        status, body = await healthz()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert status == 503 and body["checks"]["database_write"] is False, body
    status, _ = await healthz()
    assert status == 200


@pytest.fixture
async def fake():
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.mark.parametrize("what", ["deleted", "replaced"])
async def test_a_running_bot_reports_its_database_gone(tmp_path, fake, what):
    env = slack_env(tmp_path, fake)
    db = Path(env["STUDYBOT_DATABASE"])
    bot = BotProcess(env)
    await bot.start()
    try:
        await bot.wait_healthy()
        if what == "deleted":
            delete_database(db)
        else:
            replace_with_another_database(db)
        assert await asyncio.wait_for(bot.health(), 10) != 0
        async with aiohttp.ClientSession() as session, asyncio.timeout(10):
            async with session.get(f"http://127.0.0.1:{bot.port}/healthz") as resp:
                body = await resp.json()
        assert resp.status == 503 and what in body["problems"]["database_file"]
    finally:
        _, err = await bot.terminate()
    assert "Traceback" not in err, err[-3000:]

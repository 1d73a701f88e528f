"""The HTTP server for operators: health, metrics and content reload."""

from __future__ import annotations

import shutil
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from bot.commands import parse_daily_set
from bot.content import ContentError
from bot.study_commands import run_command
from bot.web import add_ops_routes, serve
from tests.conftest import ADMIN, FIXTURE_CONTENT, actor, right_and_wrong


@pytest.fixture
async def server(bot):
    app = web.Application()
    running = {"scheduler": True}
    add_ops_routes(app, bot, lambda: running["scheduler"])
    runner = await serve(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as session:
        yield session, url, running
    await runner.cleanup()


async def test_healthz_reports_each_part(server, bot, backend):
    session, url, running = server
    # SQLite checks its file and disk; PostgreSQL that the server answers (the server minds its disk).
    database_checks = (
        {"database_file": True, "database_write": True, "disk_space": True}
        if backend == "sqlite"
        else {"database_connection": True, "database_write": True}
    )
    async with session.get(f"{url}/healthz") as resp:
        body = await resp.json()
    assert resp.status == 200 and body == {
        "ok": True,
        "checks": {
            "scheduler": True,
            "database": True,
            **database_checks,
            "adapter:test": True,
        },
    }
    running["scheduler"] = False
    async with session.get(f"{url}/healthz") as resp:
        assert resp.status == 503 and (await resp.json())["checks"]["scheduler"] is False


async def test_metrics_count_answers_posts_and_commands(server, bot):
    session, url, _ = server
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    await bot.answer(actor("u1"), post.id, right)
    await bot.answer(actor("u1"), post.id, right)
    await run_command(bot, actor("u1"), ["stats"])
    await bot.reveal(post.id)
    async with session.get(f"{url}/metrics") as resp:
        text = await resp.text()
    assert 'studybot_answers_total{outcome="recorded"} 1.0' in text
    assert 'studybot_answers_total{outcome="already"} 1.0' in text
    assert 'studybot_posts_sent_total{platform="test"} 1.0' in text
    assert 'studybot_command_seconds_count{command="stats"} 1.0' in text
    assert "studybot_reveal_lag_seconds_count 1.0" in text


async def test_reload_takes_a_good_edit_and_refuses_a_broken_one(bot, settings, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    bot.settings = replace(settings, content_dir=content_dir)
    sample = content_dir / "questions" / "sample.yaml"
    sample.write_text(sample.read_text(encoding="utf-8").replace("t-route53-failover", "t-route53-renamed"), "utf-8")
    bank = await bot.reload_content()
    assert "t-route53-renamed" in bank.questions and bot.content is bank
    sample.write_text("questions: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError):
        await bot.reload_content()
    assert bot.content is bank  # the broken edit was refused; the previous content stays
    reply = await run_command(bot, ADMIN, ["reload"])
    assert "再読み込みしませんでした" in reply.text and "malformed YAML" in reply.text
    refused = await run_command(bot, actor("u1"), ["reload"])
    assert refused.text == "この操作は管理者のみ実行できます。"


async def test_reload_over_http_with_the_admin_token(server, bot, settings, tmp_path):
    session, url, _ = server
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    bot.settings = replace(settings, content_dir=content_dir, admin_token="t0ken-for-tests")
    auth = {"Authorization": "Bearer t0ken-for-tests"}
    async with session.post(f"{url}/admin/reload", headers=auth) as resp:
        assert resp.status == 200 and (await resp.json())["questions"] == 4
    (content_dir / "questions" / "sample.yaml").write_text("questions: 3", encoding="utf-8")
    async with session.post(f"{url}/admin/reload", headers=auth) as resp:
        body = await resp.json()
    assert resp.status == 422 and "the file must be a mapping" in body["problems"][0]


async def test_a_changed_file_is_reloaded_and_a_broken_one_is_not(bot, settings, tmp_path):
    import asyncio

    from bot.cli import watch_content

    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content_dir)
    bot.settings = replace(settings, content_dir=content_dir)
    watcher = asyncio.create_task(watch_content(bot, interval=0.05))
    try:
        await asyncio.sleep(0.1)
        sample = content_dir / "questions" / "sample.yaml"
        sample.write_text(sample.read_text(encoding="utf-8").replace("t-cfn-retain", "t-cfn-kept"), "utf-8")
        for _ in range(100):
            if "t-cfn-kept" in bot.content.questions:
                break
            await asyncio.sleep(0.02)
        assert "t-cfn-kept" in bot.content.questions
        good = bot.content
        sample.write_text("questions: [broken", encoding="utf-8")
        await asyncio.sleep(0.3)
        assert bot.content is good  # refused, still serving the last good content
    finally:
        watcher.cancel()

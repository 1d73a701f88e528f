"""/admin/reload needs STUDYBOT_ADMIN_TOKEN and refuses what a browser sends cross-site; /metrics can
need a token and live on a port of its own. Over loopback against the real server, and through a
real `studybot run` process with `studybot content reload`."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from bot.web import add_ops_routes, serve
from tests.fakes.slack_api import FakeSlackAPI
from tests.processes import STUDYBOT, BotProcess, free_port
from tests.test_deploy import slack_env

TOKEN = "adm-9f8e7d6c5b4a3210"
GOOD = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
async def http(bot):
    app = web.Application()
    add_ops_routes(app, bot, lambda: True)
    server = await serve(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.addresses[0][1]}"
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, **headers: str) -> tuple[int, dict | str]:
            async with asyncio.timeout(10), session.request(method, url + path, headers=headers, data=b"{}") as resp:
                body = await resp.json() if resp.content_type == "application/json" else await resp.text()
                return resp.status, body

        yield call, url
    await server.cleanup()


async def test_reload_is_off_without_a_token_and_says_how_to_turn_it_on(http):
    call, _ = http
    status, body = await call("POST", "/admin/reload", **GOOD)
    assert status == 403 and "STUDYBOT_ADMIN_TOKEN" in body["error"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "application/json"}, 401),
        ({"Authorization": "Bearer wrong", "Content-Type": "application/json"}, 401),
        ({"Authorization": f"Basic {TOKEN}", "Content-Type": "application/json"}, 401),
        ({**GOOD, "Origin": "https://evil.example"}, 403),
        ({**GOOD, "Origin": "null"}, 403),
        ({**GOOD, "Sec-Fetch-Site": "cross-site"}, 403),
        ({**GOOD, "Sec-Fetch-Site": "same-site"}, 403),
        ({**GOOD, "Content-Type": "application/x-www-form-urlencoded"}, 403),
        ({**GOOD, "Content-Type": "text/plain"}, 403),
        ({**GOOD, "Content-Type": "multipart/form-data; boundary=x"}, 403),
        (GOOD, 200),
        ({**GOOD, "Sec-Fetch-Site": "same-origin"}, 200),
    ],
)
async def test_reload_needs_the_token_and_refuses_cross_site(http, bot, headers, status):
    call, _ = http
    bot.settings = replace(bot.settings, admin_token=TOKEN)
    before = bot.content
    got, body = await call("POST", "/admin/reload", **headers)
    assert got == status, body
    assert (bot.content is before) == (status != 200)  # only the accepted request reloads


async def test_reload_from_the_bots_own_origin_is_accepted(http, bot):
    call, url = http
    bot.settings = replace(bot.settings, admin_token=TOKEN)
    assert (await call("POST", "/admin/reload", **GOOD, Origin=url))[0] == 200


async def test_metrics_take_a_token_when_one_is_set(http, bot):
    call, _ = http
    assert (await call("GET", "/metrics"))[0] == 200
    bot.settings = replace(bot.settings, metrics_token="met-0123456789")
    status, _ = await call("GET", "/metrics")
    assert status == 401
    assert (await call("GET", "/metrics", Authorization="Bearer nope"))[0] == 401
    status, body = await call("GET", "/metrics", Authorization="Bearer met-0123456789")
    assert status == 200 and "studybot_answers_total" in body


@pytest.fixture
async def fake():
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


async def studybot(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(STUDYBOT), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, out.decode() + err.decode()


async def test_a_running_bot_reloads_with_the_token_and_serves_metrics_apart(tmp_path, fake):
    metrics_port = free_port()
    env = slack_env(tmp_path, fake, STUDYBOT_ADMIN_TOKEN=TOKEN, STUDYBOT_METRICS_PORT=str(metrics_port))
    bot = BotProcess(env)
    await bot.start()
    try:
        await bot.wait_healthy()
        code, output = await studybot(bot.env, "content", "reload")
        assert code == 0 and '"ok": true' in output, output
        without = {k: v for k, v in bot.env.items() if k != "STUDYBOT_ADMIN_TOKEN"}
        code, output = await studybot(without, "content", "reload")
        assert code == 1 and "STUDYBOT_ADMIN_TOKEN" in output, output
        async with aiohttp.ClientSession() as session, asyncio.timeout(10):
            async with session.get(f"http://127.0.0.1:{bot.port}/metrics") as resp:
                assert resp.status == 404  # not on the port Slack reaches
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
                assert resp.status == 200 and "studybot_" in await resp.text()
    finally:
        code, err = await bot.terminate()
    assert code == 0, err[-2000:]
    assert TOKEN not in err

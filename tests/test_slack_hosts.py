"""The bot POSTs replies only to Slack's own response_url host: a signed request that names anything else
(the bot's own /admin/reload, say) gets no request from the bot, and one WARNING line."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from adapters.slack.guard import response_url_allowed
from bot.config import load_settings
from bot.web import add_ops_routes, serve
from tests.fakes.slack_api import TEAM
from tests.test_slack import SECRET, fake  # noqa: F401  (fixture)

SLACK = ("https://hooks.slack.com/",)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T1/1/abc", True),
        ("https://hooks.slack.com/actions/T1/1/abc", True),
        ("http://hooks.slack.com/commands/T1/1/abc", False),
        ("https://hooks.slack.com.evil.example/commands", False),
        ("https://hooks.slack.com@evil.example/commands", False),
        ("https://evil.example/https://hooks.slack.com/", False),
        ("https://hooks.slack.com:8443/commands", False),
        ("https://HOOKS.slack.com/commands", True),  # host names are case-insensitive
        ("http://127.0.0.1:3000/admin/reload", False),
        ("https://[::1", False),
        ("hooks.slack.com/commands", False),
        ("", False),
    ],
)
def test_only_slack_hosts(url, allowed):
    assert response_url_allowed(url, SLACK) is allowed


def test_a_setting_adds_hosts():
    settings = load_settings(env={"STUDYBOT_SLACK_RESPONSE_HOSTS": "https://hooks.slack.com/, http://127.0.0.1:9/r/"})
    assert settings.slack_response_hosts == ("https://hooks.slack.com/", "http://127.0.0.1:9/r/")
    assert response_url_allowed("http://127.0.0.1:9/r/x", settings.slack_response_hosts)
    assert not response_url_allowed("http://127.0.0.1:9/admin/reload", settings.slack_response_hosts)
    assert load_settings(env={}).slack_response_hosts == SLACK


async def test_a_response_url_naming_the_bots_own_reload_gets_no_request(bot, settings, fake, caplog):  # noqa: F811
    client = AsyncWebClient(token="xoxb-test", base_url=fake.base + "/api/")
    adapter = SlackAdapter(bot, replace(settings, slack_signing_secret=SECRET, slack_bot_token="xoxb-test"), client)
    app = adapter.web_app("/slack/events")
    add_ops_routes(app, bot, lambda: True)
    seen: list[str] = []

    async def record(request, response):  # every request the bot's server answers
        seen.append(request.path)

    app.on_response_prepare.append(record)
    runner = await serve(app, "127.0.0.1", 0)
    port = runner.addresses[0][1]
    try:
        body = urlencode(
            {
                "command": "/study",
                "text": "help",
                "user_id": "U1",
                "team_id": TEAM,
                "channel_id": "C1",
                "response_url": f"http://127.0.0.1:{port}/admin/reload",
            }
        )
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        }
        caplog.set_level(logging.WARNING)
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as resp:
                assert resp.status == 200

        for _ in range(500):  # the listener runs after the ack: up to 5 s for its refusal
            if any("response_url refused" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # time for a request to the reload route, were one on its way
        assert seen == ["/slack/events"]
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("studybot")]
        assert len(warnings) == 1
    finally:
        await runner.cleanup()
        await adapter.close()

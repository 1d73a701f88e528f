"""What the Slack tests share: requests signed the way Slack signs them, for any workspace, and the
running adapter on loopback against the fake Web API (tests/fakes/slack_api.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from adapters.slack import SlackAdapter
from bot.config import Settings
from bot.core import StudyBot
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackAPI

SECRET = "test-signing-secret"


class Signed:
    """Sends requests as Slack does: signed with the app's signing secret, from one workspace."""

    def __init__(self, url: str, fake: FakeSlackAPI, team: str = TEAM, session: aiohttp.ClientSession | None = None):
        self.url = url
        self.fake = fake
        self.team = team
        self.session = session or aiohttp.ClientSession()

    def as_team(self, team: str) -> Signed:
        return Signed(self.url, self.fake, team, self.session)

    async def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str]:
        ts = str(int(time.time()))
        sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            return resp.status, await resp.text()

    def command_body(self, text: str, user: str = "U1", channel: str = "C1", reply_to: str = "r1") -> str:
        return urlencode(
            {
                "command": "/study",
                "text": text,
                "user_id": user,
                "user_name": user.lower(),
                "channel_id": channel,
                "channel_name": "study",
                "team_id": self.team,
                "trigger_id": "t",
                "response_url": self.fake.response_url(reply_to),
            }
        )

    async def command(self, text: str, user: str = "U1", channel: str = "C1") -> dict[str, Any]:
        before = len(self.fake.responses)
        status, _ = await self.post(self.command_body(text, user, channel))
        assert status == 200
        return (await self.fake.wait_for("respond", before + 1))[-1].body

    def click_body(self, action_id: str, user: str = "U1", channel: str = "C1", reply_to: str = "r1") -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": self.team},
            "team": {"id": self.team},
            "channel": {"id": channel},
            "api_app_id": "A1",
            "token": "x",
            "trigger_id": "t",
            "container": {"type": "message", "message_ts": "1.0", "channel_id": channel},
            "response_url": self.fake.response_url(reply_to),
            "actions": [{"action_id": action_id, "block_id": "b", "value": "", "type": "button", "action_ts": "1.1"}],
        }
        return urlencode({"payload": json.dumps(payload)})

    async def click(self, action_id: str, user: str = "U1", channel: str = "C1") -> dict[str, Any]:
        before = len(self.fake.responses)
        status, _ = await self.post(self.click_body(action_id, user, channel))
        assert status == 200
        return (await self.fake.wait_for("respond", before + 1))[-1].body

    async def event(self, event: dict[str, Any], team: str | None = None) -> int:
        """An Events API callback (https://docs.slack.dev/apis/events-api/#callback-field)."""
        body = {
            "token": "x",
            "team_id": team or self.team,
            "api_app_id": "A1",
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team or self.team, "user_id": BOT_USER, "is_bot": True}],
        }
        status, _ = await self.post(json.dumps(body), "application/json")
        return status


@asynccontextmanager
async def running_slack(
    bot: StudyBot, settings: Settings, fake: FakeSlackAPI, **overrides: Any
) -> AsyncIterator[tuple[SlackAdapter, Signed]]:
    """The adapter in HTTP mode on a free port, talking to the fake; single-token mode unless the
    overrides give OAuth settings."""
    defaults: dict[str, Any] = {"slack_signing_secret": SECRET, "slack_api_url": fake.base + "/api/"}
    defaults["slack_response_hosts"] = (fake.response_url(""),)  # replies go to the fake, not hooks.slack.com
    defaults["slack_bot_token"] = "xoxb-test"
    adapter = SlackAdapter(bot, replace(settings, **{**defaults, **overrides}))
    runner = await adapter.start_http("127.0.0.1", 0, "/slack/events")
    port = runner.addresses[0][1]
    sender = Signed(f"http://127.0.0.1:{port}/slack/events", fake)
    try:
        yield adapter, sender
    finally:
        await sender.session.close()
        await runner.cleanup()
        await adapter.close()


async def eventually(check: Any, within: float = 5.0) -> None:
    """Wait until check() is true (events are acknowledged before their listener finishes)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)

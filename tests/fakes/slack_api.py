"""A fake Slack Web API on loopback: records every call with its method and body, answers like Slack,
and can be told to fail a method a few times (429 with Retry-After, 5xx, or an API error).

It is strict: every message and view is checked against Slack's Block Kit rules (slack_rules) and every
call against Slack's rate limits (slack_limits); what Slack would refuse is refused and kept in `rejected`,
so a test that waits for a reply that was refused fails with the reason."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.slack_limits import RateLimits
from tests.fakes.slack_rules import check_message, check_view

TEAM = "T0001"
BOT_USER = "U0BOT"


@dataclass
class Call:
    method: str
    body: dict[str, Any]


@dataclass
class Scripted:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlackAPI:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[Call] = []  # bodies POSTed to response_url
        self.scripted: dict[str, list[Scripted]] = {}
        self.admins: set[str] = set()
        self.profiles: dict[str, dict[str, str]] = {}  # user id -> users.info profile (display_name, real_name)
        self.user_names: dict[str, str] = {}  # user id -> users.info `name`
        self.rejected: list[tuple[Call, dict[str, Any]]] = []  # what the rules refused, with Slack's answer
        self.limits = RateLimits()
        self._ts = 1_700_000_000
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return f"{self.base}/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def response_url(self, token: str = "r1") -> str:
        return f"{self.base}/respond/{token}"

    def fail(self, method: str, *responses: Scripted) -> None:
        self.scripted.setdefault(method, []).extend(responses)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """Bolt answers HTTP before its listener finishes: wait for the calls rather than assume them."""
        deadline = asyncio.get_running_loop().time() + within
        source = self.responses if method == "respond" else None
        while True:
            found = source if source is not None else self.of(method)
            if len(found) >= count:
                return list(found)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"expected {count} {method} call(s), got {len(found)}; refused: {self.rejected}; calls: {self.calls}"
                )
            await asyncio.sleep(0.01)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if not raw:
            return body
        if request.content_type == "application/json":
            body.update(json.loads(raw))
        else:
            body.update(dict(parse_qsl(raw)))
        for key in ("blocks", "view"):  # form-encoded calls carry these as JSON strings
            if isinstance(body.get(key), str):
                try:
                    body[key] = json.loads(body[key])
                except ValueError:
                    pass  # left a string: the rules refuse it
        return body

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        self.calls.append(Call(method, body))
        queue = self.scripted.get(method)
        if queue:
            scripted = queue.pop(0)
            return web.json_response(scripted.body, status=scripted.status, headers=scripted.headers)
        wait = self.limits.retry_after(TEAM, method, str(body.get("channel", "")))
        if wait is not None:
            # https://docs.slack.dev/apis/web-api/rate-limits: HTTP 429 with Retry-After in seconds.
            refusal = {"ok": False, "error": "ratelimited"}
            self.rejected.append((Call(method, body), refusal))
            return web.json_response(refusal, status=429, headers={"Retry-After": str(wait)})
        refusal = self._check(method, body)
        if refusal is not None:
            self.rejected.append((Call(method, body), refusal))
            return web.json_response(refusal)
        return web.json_response(self._answer(method, body))

    def _check(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return check_message(body)
        if method == "views.publish":
            return check_view(body.get("view"), "home")
        if method == "views.open":
            return check_view(body.get("view"), "modal")
        return None

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B0001", "team_id": TEAM, "team": "Study"}
        if method == "chat.postMessage":
            self._ts += 1
            return {"ok": True, "channel": body.get("channel"), "ts": f"{self._ts}.000100", "message": {}}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "users.info":
            user = body.get("user", "")
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "name": self.user_names.get(user, user.lower()),
                    "real_name": self.profiles.get(user, {}).get("real_name", ""),
                    "profile": self.profiles.get(user, {"display_name": "", "real_name": ""}),
                    "is_admin": user in self.admins,
                    "is_owner": False,
                },
            }
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", **body.get("view", {})}}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        call = Call("respond", json.loads(await request.text()))
        refusal = check_message(call.body)
        if refusal is not None:
            # A response_url answers a refused body with HTTP 400 and the error code as plain text (the
            # fake's rendering: Slack documents no JSON body for response_url errors).
            self.rejected.append((call, refusal))
            return web.Response(status=400, text=refusal["error"])
        self.responses.append(call)
        return web.Response(text="ok")

"""A fake Slack Web API on loopback: records every call with its method and body, answers like Slack,
and can be told to fail a method a few times (429 with Retry-After, 5xx, or an API error)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

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
                raise AssertionError(f"expected {count} {method} call(s), got {len(found)}: {self.calls}")
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
        return body

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        self.calls.append(Call(method, body))
        queue = self.scripted.get(method)
        if queue:
            scripted = queue.pop(0)
            return web.json_response(scripted.body, status=scripted.status, headers=scripted.headers)
        return web.json_response(self._answer(method, body))

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
            return {"ok": True, "user": {"id": user, "is_admin": user in self.admins, "is_owner": False}}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(Call("respond", json.loads(await request.text())))
        return web.Response(text="ok")

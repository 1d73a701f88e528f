"""A loopback fake of Discord (REST API v10 and the gateway) that a real ``discord.Client`` connects to.

Checked against discord.py 2.7.1. Everything below mirrors what that version sends and parses; the
places where it is picky (and where a naive fake silently breaks it) are called out where they are
handled:

- JSON bodies must carry ``Content-Type: application/json`` exactly: ``discord.http.json_or_text``
  compares the header by equality, so aiohttp's ``json_response`` (which appends ``; charset=utf-8``)
  would hand discord.py a ``str`` instead of a dict.
- A 429 without a ``Via`` header is taken for a Cloudflare ban and raised instead of retried.
- Interaction callbacks are always POSTed with ``?with_response=1`` and the answer is parsed as an
  interaction callback response (``interaction`` + ``resource``); the ``response_message_id`` in it is
  what views sent with ``send_message`` are keyed by, so a later click must name that message id.
- DynamicItem clicks are only dispatched when the clicked ``message`` really contains a component
  with that custom_id, so ``click`` always builds a message that does.
- Every IDENTIFY after the first waits 5 s in ``Client.before_identify_hook``: see ``skip_identify_delay``.

What Discord refuses, the fake refuses, the way Discord answers: request bodies are checked against
the documented rules in ``discord_rules`` (400, code 50035, with the field path), every request is
counted against the rate limits of ``discord_limits`` (429), and the gateway (``discord_gateway``)
closes a session that needs more shards with 4011. ``latency`` adds a network round trip to every
REST request.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_http import Call, Request, body_of, error, is_empty_message, json_response, read_body
from tests.fakes.discord_interactions import InteractionEndpoints
from tests.fakes.discord_limits import RateLimits
from tests.fakes.discord_objects import DEFAULT_APP_PERMISSIONS, JSON
from tests.fakes.discord_rules import FormErrors, check_commands, check_message
from tests.fakes.discord_upload_rules import Part

__all__ = ["DEFAULT_APP_PERMISSIONS", "Call", "FakeDiscord", "skip_identify_delay"]

NONCE_SECONDS = 120.0
Handler = Callable[[Request], Awaitable[web.Response]]


def skip_identify_delay(client: discord.Client) -> None:
    """discord.py's default ``before_identify_hook`` sleeps 5 s before every IDENTIFY but the first
    (to respect Discord's identify concurrency); on loopback that only makes re-IDENTIFY tests slow."""

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = no_wait  # type: ignore[method-assign]


class FakeDiscord(InteractionEndpoints):
    """Discord's REST API and gateway on 127.0.0.1, recording what the bot does.

    Answers the way Discord does where discord.py looks (status codes, error codes, headers), so the
    adapter's error handling is exercised for real rather than against a mock's idea of Discord.
    """

    def __init__(self) -> None:
        super().__init__()
        self.gateway_url = ""
        self.calls: list[Call] = []
        self.unknown: list[Call] = []
        self.edits: list[tuple[int, int, dict[str, Any]]] = []
        self.commands: dict[int | None, list[JSON]] = {}
        self.interactions_sent: list[JSON] = []
        self.refused: list[tuple[Call, JSON]] = []  # 400 answers to bodies that break Discord's rules
        self.limits = RateLimits()
        self.gateway = FakeGateway(self._ready_user(), self.APP_ID)
        self.latency = 0.0  # seconds of network round trip added to every REST request
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id opened by the bot
        self.closed_dms: set[int] = set()  # users whose DMs are closed to the bot (sends get 50007)
        self.unknown_users: set[int] = set()  # user ids Discord does not know (a DM cannot be opened)

        self._posted: dict[int, list[dict[str, Any]]] = {}
        self._forbidden: set[int] = set()
        self._faults: list[list[Any]] = []  # [method, path pattern, status, times left, after]
        self._no_history: set[int] = set()
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}  # (channel, nonce) -> (when, message id)
        self._runner: web.AppRunner | None = None
        self._originals_patched: tuple[str, yarl.URL] | None = None
        self._routes = self._route_table()

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        app.router.add_get("/_fake/stats", self._stats)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.rest_base = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = self.gateway.url = f"ws://127.0.0.1:{port}/gateway"

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def patch(self) -> None:
        """Both are class attributes read at request/connect time, so setting them redirects every client."""
        if self._originals_patched is None:
            self._originals_patched = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.rest_base  # type: ignore[misc]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def unpatch(self) -> None:
        if self._originals_patched is None:
            return
        base, gateway = self._originals_patched
        discord.http.Route.BASE = base  # type: ignore[misc]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        self._originals_patched = None

    # ----------------------------------------------------------------- knobs

    def forbid_channel(self, channel_id: int) -> None:
        """The bot lost its permissions there: sends and edits get 403 (and count as invalid requests)."""
        self._forbidden.add(int(channel_id))

    def fail(self, method: str, path: str, status: int = 503, times: int = 1, *, after: bool = False) -> None:
        """The next `times` requests of `method` on a path matching the regex `path` get `status`, as a
        Discord outage does (after the rate limits counted them). With `after`, Discord first does what
        was asked (the message is in the channel) and only the answer is lost: `status` 0 drops the
        connection instead of answering."""
        self._faults.append([method, re.compile(path), status, times, after])

    def deny_history(self, channel_id: int) -> None:
        """The bot may post in the channel but lacks Read Message History there."""
        self._no_history.add(int(channel_id))

    def limit_rate(self, global_per_second: int = 50, per_channel: tuple[int, float] = (5, 5.0)) -> None:
        """Tighter limits than Discord's, to hit them quickly: the global one and the per-channel
        limits of sending and editing messages. (Discord's own apply from the start.)"""
        per_channel_routes = {
            ("POST", "/channels/{cid}/messages"): per_channel,
            ("PATCH", "/channels/{cid}/messages/{mid}"): per_channel,
        }
        self.limits.configure(global_per_second, per_channel_routes)

    # ----------------------------------------------------------------- what the gateway and limits counted

    @property
    def rate_limited(self) -> int:
        return self.limits.rate_limited

    @property
    def invalid_requests(self) -> int:
        """401, 403 and 429 answers: 10,000 in 10 minutes and Discord bans the bot's IP for a while."""
        return self.limits.invalid_requests

    @property
    def identifies(self) -> int:
        return self.gateway.identifies

    @property
    def resumes(self) -> int:
        return self.gateway.resumes

    @property
    def invalid_sessions(self) -> int:
        return self.gateway.invalid_sessions

    @property
    def heartbeats(self) -> int:
        return self.gateway.heartbeats

    @property
    def connections(self) -> list[dict[str, str]]:
        return self.gateway.connections

    @property
    def identify_payloads(self) -> list[JSON]:
        return self.gateway.identify_payloads

    # ----------------------------------------------------------------- observations

    def messages_in(self, channel_id: int) -> list[dict[str, Any]]:
        """Request bodies, each with the message id the fake assigned (an int) under ``id``."""
        return list(self._posted.get(int(channel_id), []))

    def message(self, message_id: int) -> JSON | None:
        """The fake's current copy of a message (after edits), as Discord would return it."""
        found = self._messages.get(int(message_id))
        return dict(found) if found is not None else None

    def response_message(self, interaction_id: int | str) -> JSON | None:
        """The message ``@original`` names: what a user would click next after a slash reply."""
        mid = self._originals.get(int(interaction_id))
        return self.message(mid) if mid is not None else None

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5, what: str = "condition") -> None:
        """The bot reacts on its own tasks, so tests wait for effects instead of assuming them."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within}s waiting for {what}; calls so far: {self.calls}")
            await asyncio.sleep(0.005)

    async def wait_callback(self, interaction_id: str | int, within: float = 5) -> dict[str, Any]:
        iid = int(interaction_id)
        await self.wait_until(lambda: iid in self.callbacks, within, f"a callback for interaction {iid}")
        return self.callbacks[iid]

    async def wait_messages(self, channel_id: int, count: int = 1, within: float = 5) -> list[dict[str, Any]]:
        cid = int(channel_id)
        await self.wait_until(lambda: len(self._posted.get(cid, [])) >= count, within, f"{count} message(s) in {cid}")
        return self.messages_in(cid)

    async def wait_followups(self, count: int = 1, within: float = 5) -> list[dict[str, Any]]:
        await self.wait_until(lambda: len(self.followups) >= count, within, f"{count} followup(s)")
        return list(self.followups)

    async def wait_ready(self, within: float = 5, shards: int = 1) -> None:
        await self.gateway.wait_ready(within, shards)

    # ----------------------------------------------------------------- gateway side

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        """On the guild's shard; buffered like any dispatch while the socket is down, and replayed on
        RESUME as Discord does."""
        self.remember_interaction(payload)
        self.interactions_sent.append(payload)
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id)

    async def dispatch(self, event: str, data: Any, guild_id: int | None = None) -> None:
        """Any op 0 event, for tests that need more than interactions (e.g. MESSAGE_CREATE)."""
        await self.gateway.dispatch(event, data, guild_id)

    async def drop_connection(self, *, resumable: bool = True, shard_id: int = 0) -> None:
        await self.gateway.drop_connection(resumable=resumable, shard_id=shard_id)

    # ----------------------------------------------------------------- internals: REST

    def _route_table(self) -> list[tuple[str, str, re.Pattern[str], Handler]]:
        """(method, template, pattern, handler): the template names the route for its rate limit."""
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/channels/{cid}", self._get_channel),
            ("POST", "/channels/{cid}/typing", self._no_content),
            ("POST", "/channels/{cid}/messages", self._post_message),
            ("GET", "/channels/{cid}/messages", self._list_messages),
            ("GET", "/channels/{cid}/messages/{mid}", self._get_message),
            ("PATCH", "/channels/{cid}/messages/{mid}", self._patch_message),
            ("DELETE", "/channels/{cid}/messages/{mid}", self._delete_message),
            ("POST", "/interactions/{iid}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            ("GET", "/webhooks/{app}/{token}/messages/{wmid}", self._get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{wmid}", self._patch_webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{wmid}", self._delete_webhook_message),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("GET", "/applications/{app}/guilds/{gid}/commands", self._get_commands),
            ("PUT", "/applications/{app}/guilds/{gid}/commands", self._put_commands),
        ]
        parts = {"token": r"(?P<token>[^/]+)", "wmid": r"(?P<mid>@original|\d+)"}

        def pattern(template: str) -> re.Pattern[str]:
            return re.compile(re.sub(r"\{(\w+)\}", lambda m: parts.get(m[1], rf"(?P<{m[1]}>\d+)"), template))

        return [(method, template, pattern(template), handler) for method, template, handler in table]

    async def _rest(self, request: web.Request) -> web.Response:
        # The limits count a request from when it arrived: half the round trip after the client sent it,
        # whatever the time the fake itself then takes to read and check it.
        arrived = time.monotonic() + self.latency / 2
        path = "/" + request.match_info["tail"]
        body, files, parts = await read_body(request)
        call = Call(request.method, path, body, dict(request.query), files=[name for name, _ in files])
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(max(arrived - time.monotonic(), 0))
        response = await self._route(request, call, path, body, files, arrived, parts)
        call.status = response.status
        self.limits.answered(response.status, dict(response.headers))
        if response.status == 400 and isinstance(call_body := body_of(response), dict) and call_body.get("errors"):
            self.refused.append((call, call_body))
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        return response

    async def _route(
        self,
        request: web.Request,
        call: Call,
        path: str,
        body: Any,
        files: list[tuple[str, int]],
        arrived: float,
        parts: list[Part] | None = None,
    ) -> web.Response:
        bot_token = request.headers.get("Authorization", "").startswith("Bot ")
        for method, template, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if method != request.method or not match:
                continue
            params = match.groupdict()
            # Interaction callbacks and their webhooks are authenticated by the token in the path, and
            # are not bound to the global limit (docs/topics/rate-limits.md, "Global Rate Limit").
            interaction_endpoint = path.startswith(("/interactions/", "/webhooks/"))
            if not bot_token and not interaction_endpoint:
                return error(401, 0, "401: Unauthorized")
            major = params.get("cid") or params.get("gid") or params.get("token") or ""
            verdict = self.limits.check(method, template, major, bot_token and not interaction_endpoint, arrived)
            if verdict.refused is not None:
                status, refusal, headers = verdict.refused
                if isinstance(refusal, str):
                    return web.Response(status=status, text=refusal, headers=headers)
                return json_response(status, refusal, headers)
            fault = next((f for f in self._faults if f[0] == method and f[1].search(path) and f[3] > 0), None)
            if fault is not None and not fault[4]:
                fault[3] -= 1
                return error(fault[2], 0, f"{fault[2]}: injected by the test")
            request_ = Request(request.method, path, dict(request.query), body, files, params, template, parts or [])
            response = await handler(request_)
            if fault is not None:  # done, but the answer is lost
                fault[3] -= 1
                if fault[2] == 0 and request.transport is not None:
                    request.transport.abort()
                return error(fault[2] or 502, 0, "injected by the test after doing the request")
            response.headers.update(verdict.headers)
            return response
        self.unknown.append(call)
        return error(404, 0, "404: Not Found")

    async def _no_content(self, req: Request) -> web.Response:
        return web.Response(status=204)

    async def _get_me(self, req: Request) -> web.Response:
        return json_response(
            200,
            {**self._bot_user(), "verified": True, "mfa_enabled": False, "flags": 0, "email": None, "locale": "en-US"},
        )

    async def _get_application(self, req: Request) -> web.Response:
        owner = self._user(1, "owner")
        return json_response(
            200,
            {
                "id": str(self.APP_ID),
                "name": self.BOT_NAME,
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
                "interactions_endpoint_url": None,  # set, it makes discord.py warn that gateway interactions stop
                "redirect_uris": [],
                "tags": [],
                "approximate_guild_count": 1,
                "bot": self._bot_user(),
            },
        )

    async def _get_gateway(self, req: Request) -> web.Response:
        return json_response(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, req: Request) -> web.Response:
        return json_response(
            200,
            {
                "url": self.gateway_url,
                "shards": self.gateway.recommended_shards,
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
            },
        )

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        channel = self.dm_channels.get(int(user_id))
        return self.messages_in(channel) if channel is not None else []

    async def _create_dm(self, req: Request) -> web.Response:
        """Opening a DM with a user (docs/resources/user.mdx, "Create DM": POST /users/@me/channels with
        a snowflake `recipient_id`, answering a DM channel object, type 1, the same one each time): its
        messages land in messages_in(its id). An unknown user is 404 with code 10013 "Unknown User"
        (docs/topics/opcodes-and-status-codes.md, "JSON Error Codes")."""
        raw = (req.json or {}).get("recipient_id") if isinstance(req.json, dict) else None
        if not isinstance(raw, str | int) or not str(raw).isdigit():
            return json_response(
                400, {"code": 50035, "message": "Invalid Form Body", "errors": {"recipient_id": {"_errors": []}}}
            )
        recipient = int(raw)
        if recipient in self.unknown_users:
            return error(404, 10013, "Unknown User")
        channel_id = self.dm_channels.setdefault(recipient, self._snowflake())
        return json_response(
            200,
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [self._user(recipient)],
                "flags": 0,
            },
        )

    async def _get_channel(self, req: Request) -> web.Response:
        return json_response(200, self._channel(int(req.params["cid"])))

    async def _post_message(self, req: Request) -> web.Response:
        cid = int(req.params["cid"])
        if cid in self._forbidden:
            return error(403, 50013, "Missing Permissions")
        closed = {channel for user, channel in self.dm_channels.items() if user in self.closed_dms}
        if cid in closed:
            # docs/topics/opcodes-and-status-codes.md, "JSON Error Codes": 50007 "Cannot send messages to
            # this user" (their privacy settings close DMs from server members, or they blocked the bot).
            return error(403, 50007, "Cannot send messages to this user")
        if is_empty_message(req.json, req.files):
            return error(400, 50006, "Cannot send an empty message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="create")
        refused = self.check_files(req, errors)
        if refused is not None:
            return refused
        body = req.json if isinstance(req.json, dict) else {}
        nonce = str(body["nonce"]) if body.get("nonce") is not None and body.get("enforce_nonce") else None
        if nonce is not None:
            # docs/resources/message.mdx, "Create Message" (enforce_nonce): the same author and nonce in
            # the past few minutes returns that message instead of creating another. "A few" is not
            # documented; the fake keeps NONCE_SECONDS.
            seen = self._nonces.get((cid, nonce))
            if seen is not None and time.monotonic() - seen[0] < NONCE_SECONDS and seen[1] in self._messages:
                return json_response(200, self._messages[seen[1]])
        message = self._new_message(cid, req.json, files=req.files)
        mid = int(message["id"])
        self._messages[mid] = message
        self._posted.setdefault(cid, []).append({**(req.json or {}), "id": mid})
        if nonce is not None:
            self._nonces[(cid, nonce)] = (time.monotonic(), mid)
        return json_response(200, message)

    async def _list_messages(self, req: Request) -> web.Response:
        """GET /channels/{id}/messages: newest first, at most `limit` (1-100, default 50); needs View
        Channel and Read Message History (docs/resources/message.mdx, "Get Channel Messages")."""
        cid = int(req.params["cid"])
        if cid in self._forbidden or cid in self._no_history:
            return error(403, 50001, "Missing Access")
        try:
            limit = int(req.query.get("limit", "50"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            return json_response(400, {"code": 50035, "message": "Invalid Form Body", "errors": {"limit": {}}})
        found = [
            m for m in self._messages.values() if m["channel_id"] == str(cid) and not int(m.get("flags") or 0) & 64
        ]
        found.sort(key=lambda m: int(m["id"]))
        if "after" in req.query:  # the oldest `limit` after that id, still answered newest first
            found = [m for m in found if int(m["id"]) > int(req.query["after"])][:limit]
        else:
            if "before" in req.query:
                found = [m for m in found if int(m["id"]) < int(req.query["before"])]
            found = found[-limit:]
        # A listed message carries no nonce: only the create answer and the gateway event do.
        return json_response(200, [{k: v for k, v in m.items() if k != "nonce"} for m in reversed(found)])

    def _find_message(self, req: Request) -> JSON | None:
        message = self._messages.get(int(req.params["mid"]))
        if message is None or message["channel_id"] != req.params["cid"]:
            return None
        return message

    async def _get_message(self, req: Request) -> web.Response:
        message = self._find_message(req)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return json_response(200, message)

    async def _patch_message(self, req: Request) -> web.Response:
        if int(req.params["cid"]) in self._forbidden:
            return error(403, 50001, "Missing Access")
        message = self._find_message(req)
        if message is None:
            return error(404, 10008, "Unknown Message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="edit")
        if errors:
            return json_response(400, errors.body())
        self.edits.append((int(req.params["cid"]), int(req.params["mid"]), req.json or {}))
        return json_response(200, self._edit_message(message, req.json))

    async def _delete_message(self, req: Request) -> web.Response:
        if self._find_message(req) is None:
            return error(404, 10008, "Unknown Message")
        self._messages.pop(int(req.params["mid"]))
        self.deletes.append((int(req.params["cid"]), int(req.params["mid"])))
        return web.Response(status=204)

    async def _get_commands(self, req: Request) -> web.Response:
        if int(req.params["app"]) != self.APP_ID:
            return error(403, 50001, "Missing Access")
        gid = int(req.params["gid"]) if "gid" in req.params else None
        return json_response(200, self.commands.get(gid, []))

    async def _put_commands(self, req: Request) -> web.Response:
        if int(req.params["app"]) != self.APP_ID:
            return error(403, 50001, "Missing Access")
        gid = int(req.params["gid"]) if "gid" in req.params else None
        errors = FormErrors()
        check_commands(req.json, errors, guild=gid is not None)
        if errors:  # Discord takes all of a bulk overwrite or nothing
            return json_response(400, errors.body())
        echoed: list[JSON] = []
        for command in req.json or []:
            key = (gid, command["name"])
            if key not in self._command_ids:
                self._command_ids[key] = self._snowflake()
            out: JSON = {
                "type": 1,
                "default_member_permissions": None,
                "nsfw": False,
                "description": "",
                "options": [],
                **command,
                "id": str(self._command_ids[key]),
                "application_id": str(self.APP_ID),
                "version": str(self._snowflake()),
            }
            if gid is not None:
                out["guild_id"] = str(gid)
            echoed.append(out)
        self.commands[gid] = echoed
        return json_response(200, echoed)

    async def _stats(self, request: web.Request) -> web.Response:
        """What a bench in another process reads of the fake (see serve())."""
        return json_response(
            200,
            {
                "calls": len(self.calls),
                "rate_limited": self.limits.rate_limited,
                "global": self.limits.global_rate_limited,
                "invalid_in_window": self.limits.invalid_in_window(),
                "edits": len(self.edits),
                "channel_messages": {str(cid): len(posted) for cid, posted in self._posted.items()},
                "ready": self.gateway.ready(),
            },
        )


async def serve(latency: float) -> None:
    """The fake in a process of its own, for benches: in the bot's own process, the fake's handlers
    wait on the bot's busy event loop, and requests sent a second apart are counted as arriving closer."""
    fake = FakeDiscord()
    fake.latency = latency
    await fake.start()
    print(fake.rest_base, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    asyncio.run(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0))

"""A fake Slack Web API on loopback: records every call with its method, body and token, answers like
Slack, and can be told to fail a method a few times (429 with Retry-After, 5xx, or an API error), or
to take a message and then fail the reply (a 5xx or a dropped connection after Slack stored it).

It keeps the messages posted per channel, so conversations.history shows what a channel holds, and it
plays Slack's OAuth side (oauth.v2.access) for installs to several workspaces, each with its own token.

It is strict: every message and view is checked against Slack's Block Kit rules (slack_rules) and every
call against Slack's rate limits (slack_limits); what Slack would refuse is refused and kept in `rejected`,
so a test that waits for a reply that was refused fails with the reason."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from aiohttp import web

from tests.fakes.slack_files import FILE_SCOPE, FileUploads
from tests.fakes.slack_limits import RateLimits
from tests.fakes.slack_rules import check_message, check_view

TEAM = "T0001"
BOT_USER = "U0BOT"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str = ""  # the bearer token the call was made with (a reply: its response_url token)


DROP = "drop"  # in after_storing: close the connection instead of answering


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
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> its messages, oldest first
        self.after_storing: dict[str, list[Scripted | str]] = {}  # answered instead, once the call took effect
        self.gone: dict[str, str] = {}  # channel id -> the error posting there gets (not_in_channel, is_archived)
        # OAuth: the app's credentials, the codes Slack handed installers, and the tokens it issued.
        self.client_id, self.client_secret = "1234.5678", "fake-client-secret"
        self.codes: dict[str, dict[str, Any]] = {}  # code -> the install it stands for
        self.used_codes: set[str] = set()
        self.tokens: dict[str, dict[str, str]] = {}  # issued bot token -> team, bot user, bot id
        self.revoked: set[str] = set()
        self._ts = 1_700_000_000.0
        self.clock: Callable[[], float] = time.time  # Slack's clock, for message ts (a test may set the bot's)
        self.profiles: dict[str, dict[str, str]] = {}  # user id -> users.info profile (display_name, real_name)
        self.user_names: dict[str, str] = {}  # user id -> users.info `name`
        self.rejected: list[tuple[Call, dict[str, Any]]] = []  # what the rules refused, with Slack's answer
        # Direct messages: the bot token's scopes (conversations.open needs im:write), the people Slack
        # will not open a DM with (user id -> the error it answers), and the DMs opened (id -> user).
        self.scopes: set[str] = {"commands", "chat:write", "im:write", "users:read", "channels:history"}
        self.no_dm: dict[str, str] = {}
        self.dms: dict[str, str] = {}
        self.limits = RateLimits()
        self.files = FileUploads()
        # The bot scopes of single-token mode: the manifest's, so a method needing a scope it lacks fails
        # as it would in the workspace (https://docs.slack.dev/reference/methods, each method's "Scopes").
        self.scopes: set[str] = manifest_scopes()
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_post("/upload/{file_id}", self.files.receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = self.files.base = f"http://127.0.0.1:{port}"
        return f"{self.base}/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def response_url(self, token: str = "r1") -> str:
        return f"{self.base}/respond/{token}"

    def fail(self, method: str, *responses: Scripted) -> None:
        self.scripted.setdefault(method, []).extend(responses)

    def fail_after_storing(self, method: str, *outcomes: Scripted | str) -> None:
        """The call takes effect (the message is stored), then the answer is `outcome` (or DROP)."""
        self.after_storing.setdefault(method, []).extend(outcomes)

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
        if raw and request.content_type == "application/json":
            body.update(json.loads(raw))
        elif raw:
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
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        token = credentials if scheme == "Bearer" else str(body.get("token", ""))
        if scheme == "Basic":  # oauth.v2.access: the app's client id and secret
            client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
            body.setdefault("client_id", client_id)
            body.setdefault("client_secret", secret)
        self.calls.append(Call(method, body, token))
        queue = self.scripted.get(method)
        if queue:
            scripted = queue.pop(0)
            return web.json_response(scripted.body, status=scripted.status, headers=scripted.headers)
        identity = self.identity(token) if method != "oauth.v2.access" else {"team": ""}
        wait = self.limits.retry_after(identity["team"], method, str(body.get("channel", "")))
        if wait is not None:
            # https://docs.slack.dev/apis/web-api/rate-limits: HTTP 429 with Retry-After in seconds.
            refusal = {"ok": False, "error": "ratelimited"}
            self.rejected.append((Call(method, body, token), refusal))
            return web.json_response(refusal, status=429, headers={"Retry-After": str(wait)})
        refusal = self._check(method, body)
        if refusal is not None:
            self.rejected.append((Call(method, body, token), refusal))
            return web.json_response(refusal)
        answer = self._answer(method, body, token)
        after = self.after_storing.get(method)
        if after and answer.get("ok"):
            outcome = after.pop(0)
            if outcome == DROP:
                assert request.transport is not None
                request.transport.close()  # Slack took it; the client never hears so
                return web.Response(status=500)
            assert isinstance(outcome, Scripted)
            return web.json_response(outcome.body, status=outcome.status, headers=outcome.headers)
        return web.json_response(answer)

    def _check(self, method: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            return check_message(body)
        if method == "views.publish":
            return check_view(body.get("view"), "home")
        if method == "views.open":
            return check_view(body.get("view"), "modal")
        return None

    def _answer(self, method: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
        if method == "oauth.v2.access":
            return self._oauth_access(body)
        if token in self.revoked:
            # https://docs.slack.dev/reference/methods/auth.test: a revoked token is refused everywhere
            return {"ok": False, "error": "token_revoked"}
        identity = self.identity(token)
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": identity["bot_user"],
                "bot_id": identity["bot_id"],
                "team_id": identity["team"],
            }
        if method == "chat.postMessage":
            return self._post_message(body, identity)
        if method == "chat.update":
            return self._update_message(body)
        if method == "conversations.history":
            return self._history(body)
        if method == "conversations.open":
            return self._open_dm(body)
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
        if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            if FILE_SCOPE not in self.scopes:
                return {"ok": False, "error": "missing_scope", "needed": FILE_SCOPE, "provided": ",".join(self.scopes)}
            if method == "files.getUploadURLExternal":
                return self.files.get_upload_url(body)
            return self.files.complete(body, self.gone)
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        call = Call("respond", json.loads(await request.text()), token=request.match_info["token"])
        refusal = check_message(call.body)
        if refusal is not None:
            # A response_url answers a refused body with HTTP 400 and the error code as plain text (the
            # fake's rendering: Slack documents no JSON body for response_url errors).
            self.rejected.append((call, refusal))
            return web.Response(status=400, text=refusal["error"])
        self.responses.append(call)
        return web.Response(text="ok")

    # -- OAuth (https://docs.slack.dev/authentication/installing-with-oauth)

    def identity(self, token: str) -> dict[str, str]:
        """Whose token it is: an issued one names its workspace; any other is the single-token mode's."""
        return self.tokens.get(token) or {"team": TEAM, "bot_user": BOT_USER, "bot_id": "B0001"}

    def grant(self, team: str, installer: str = "UINSTALLER", team_name: str = "") -> str:
        """What Slack does when an admin approves the install: a code for the redirect, good once."""
        code = f"code-{team}-{len(self.codes)}"
        self.codes[code] = {"team": team, "installer": installer, "name": team_name or f"Team {team}"}
        return code

    def revoke(self, team: str) -> None:
        self.revoked |= {token for token, who in self.tokens.items() if who["team"] == team}

    def _oauth_access(self, body: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access (https://docs.slack.dev/reference/methods/oauth.v2.access): the app's own
        client_id and client_secret, and a code that was granted and is used once."""
        if body.get("client_id") != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if body.get("client_secret") != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        code = str(body.get("code", ""))
        if code not in self.codes or code in self.used_codes:
            return {"ok": False, "error": "invalid_code"}
        self.used_codes.add(code)
        grant = self.codes[code]
        team = grant["team"]
        token = f"xoxb-{team}-{len(self.tokens) + 1}"
        self.tokens[token] = {"team": team, "bot_user": f"UB{team}", "bot_id": f"B{team}"}
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": grant["installer"]},
            "scope": body.get("scope", "commands,chat:write"),
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"UB{team}",
            "team": {"id": team, "name": grant["name"]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # -- the channels' messages

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        return self.messages.get(channel, [])

    def _open_dm(self, body: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/conversations.open: a bot token needs the im:write
        scope (else missing_scope, with `needed`); `users` (or `channel`) is required
        (users_list_not_supplied); one user opens a 1:1 DM, the same channel every time; a user Slack
        cannot open one with is refused (user_not_found, user_disabled, user_not_visible, cannot_dm_bot)."""
        if "im:write" not in self.scopes:
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": "im:write",
                "provided": ",".join(sorted(self.scopes)),
            }
        users = [u for u in str(body.get("users", "")).split(",") if u]
        if not users and not body.get("channel"):
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 8:
            return {"ok": False, "error": "too_many_users"}
        if len(users) == 1 and users[0] in self.no_dm:
            return {"ok": False, "error": self.no_dm[users[0]]}
        channel = str(body.get("channel") or "D" + users[0])
        self.dms[channel] = users[0] if users else self.dms.get(channel, "")
        return {"ok": True, "channel": {"id": channel}}

    def dm_messages(self, user: str) -> list[dict[str, Any]]:
        return self.channel_messages("D" + user)

    def _post_message(self, body: dict[str, Any], identity: dict[str, str] | None = None) -> dict[str, Any]:
        identity = identity or self.identity("")
        channel = str(body.get("channel", ""))
        if channel in self.gone:
            return {"ok": False, "error": self.gone[channel]}
        if channel.startswith("D") and channel not in self.dms:
            # https://docs.slack.dev/reference/methods/chat.postMessage: channel_not_found, "value passed
            # for channel was invalid": a DM id the bot never opened (conversations.open) is not one.
            return {"ok": False, "error": "channel_not_found"}
        self._ts = max(self._ts + 0.0001, self.clock())
        message: dict[str, Any] = {
            "type": "message",
            "ts": f"{self._ts:.6f}",
            "user": identity["bot_user"],
            "bot_id": identity["bot_id"],
            "team": identity["team"],
            "text": body.get("text", ""),
            "blocks": _decoded(body.get("blocks")) or [],
        }
        if body.get("metadata"):
            message["metadata"] = _decoded(body["metadata"])
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _update_message(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(body.get("channel", "")), body.get("ts")
        for message in self.channel_messages(channel):
            if message["ts"] == ts:
                message["text"] = body.get("text", message["text"])
                message["blocks"] = _decoded(body.get("blocks")) or []
                message["edited"] = {"user": BOT_USER, "ts": ts}
                break
        return {"ok": True, "channel": channel, "ts": ts}

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/conversations.history: newest first; `oldest` and
        `latest` bound the time (exclusive unless `inclusive`); at most `limit` (default 100, up to
        999) per page, with `has_more` and `response_metadata.next_cursor`; metadata only with
        `include_all_metadata`."""
        channel = str(body.get("channel", ""))
        if channel in self.gone:
            return {"ok": False, "error": self.gone[channel]}
        oldest, latest = float(body.get("oldest") or 0), float(body.get("latest") or 1e12)
        limit = min(int(body.get("limit") or 100), 999)
        start = int(body.get("cursor") or 0)
        found = [m for m in reversed(self.channel_messages(channel)) if oldest < float(m["ts"]) < latest]
        page = found[start : start + limit]
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


def manifest_scopes() -> set[str]:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "adapters/slack/manifest.yaml").read_text())
    return set(manifest["oauth_config"]["scopes"]["bot"])


def _decoded(value: Any) -> Any:
    """Web API arguments arrive as JSON bodies or as form fields holding JSON."""
    return json.loads(value) if isinstance(value, str) and value else value

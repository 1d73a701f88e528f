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
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import BodyPartReader, web

from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_limits import RateLimits
from tests.fakes.discord_rules import FormErrors, check_autocomplete, check_commands, check_message

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
# View channel, send messages, embed links, attach files, read history, external emojis, add reactions.
DEFAULT_APP_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 6)
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class Call:
    """One REST request as the fake saw it.

    Equality looks at method, path and body only, so tests can write
    ``Call("POST", "/channels/1/messages", {...}) in fake.calls`` without caring about query strings.
    """

    method: str
    path: str
    json: Any = None
    query: dict[str, str] = field(default_factory=dict, compare=False)
    status: int = field(default=0, compare=False)
    files: list[str] = field(default_factory=list, compare=False)


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, int]]
    params: dict[str, str]
    template: str = ""  # the route as the rate limits name it, e.g. /channels/{cid}/messages


@dataclass
class _Invoker:
    """Who triggers an interaction and where: the part every payload builder shares."""

    user_id: int = 1001
    channel_id: int = 2001
    permissions: int = 0
    locale: str = "ja"
    user_name: str | None = None
    app_permissions: int = DEFAULT_APP_PERMISSIONS
    guild_id: int | None = None  # None: FakeDiscord.GUILD_ID
    guild_locale: str | None = None  # None: the user's locale


Handler = Callable[[_Request], Awaitable[web.Response]]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Not web.json_response: discord.py needs the content type without a charset (see module doc).
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str, errors: JSON | None = None) -> web.Response:
    body: JSON = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return _json(status, body)


def _body_of(response: web.Response) -> Any:
    try:
        return json.loads(response.body) if isinstance(response.body, bytes) else None
    except ValueError:
        return None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, int]]]:
    """discord.py sends JSON, or multipart with ``payload_json`` plus ``files[n]`` when uploading."""
    if request.content_type == "multipart/form-data":
        payload: Any = None
        files: list[tuple[str, int]] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            else:
                data = await part.read()
                files.append((part.filename or part.name or "file", len(data)))
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


def _walk_components(components: list[JSON], prefix: list[str | int]) -> Iterator[tuple[list[str | int], JSON]]:
    for i, component in enumerate(components):
        path: list[str | int] = [*prefix, i]
        yield path, component
        yield from _walk_components(component.get("components") or [], [*path, "components"])
        accessory = component.get("accessory")
        if accessory:
            yield [*path, "accessory"], accessory


def _is_empty_message(body: Any, files: list[tuple[str, int]]) -> bool:
    if files:
        return False
    if not isinstance(body, dict):
        return True
    return not any(body.get(key) for key in ("content", "embeds", "components", "sticker_ids", "poll", "attachments"))


def skip_identify_delay(client: discord.Client) -> None:
    """discord.py's default ``before_identify_hook`` sleeps 5 s before every IDENTIFY but the first
    (to respect Discord's identify concurrency); on loopback that only makes re-IDENTIFY tests slow."""

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = no_wait  # type: ignore[method-assign]


class FakeDiscord:
    """Discord's REST API and gateway on 127.0.0.1, recording what the bot does.

    Answers the way Discord does where discord.py looks (status codes, error codes, headers), so the
    adapter's error handling is exercised for real rather than against a mock's idea of Discord.
    """

    APP_ID: int = 1_100_000_000_000_000_001
    # Distinct from APP_ID on purpose: code that mixes up the bot user and the application shows up.
    BOT_ID: int = 1_100_000_000_000_000_002
    GUILD_ID: int = 1_100_000_000_000_000_003
    BOT_NAME: str = "studybot"
    # Discord refuses callbacks after 3 s; None turns the check off.
    interaction_deadline: float | None = 3.0

    def __init__(self) -> None:
        self.rest_base = ""
        self.gateway_url = ""
        self.calls: list[Call] = []
        self.unknown: list[Call] = []
        self.edits: list[tuple[int, int, dict[str, Any]]] = []
        self.deletes: list[tuple[int, int]] = []
        self.followups: list[dict[str, Any]] = []
        # (interaction id, "@original" or message id, body) of PATCHes to interaction webhook messages
        self.webhook_edits: list[tuple[int, str, dict[str, Any]]] = []
        self.callbacks: dict[int, dict[str, Any]] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.interactions_sent: list[JSON] = []
        self.refused: list[tuple[Call, JSON]] = []  # 400 answers to bodies that break Discord's rules
        self.limits = RateLimits()
        self.gateway = FakeGateway(self._ready_user(), self.APP_ID)
        self.latency = 0.0  # seconds of network round trip added to every REST request
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id opened by the bot

        self._posted: dict[int, list[dict[str, Any]]] = {}
        self._messages: dict[int, JSON] = {}
        self._forbidden: set[int] = set()
        self._faults: list[list[Any]] = []  # [method, path pattern, status, times left]
        self._interactions: dict[int, JSON] = {}
        self._interaction_sent_at: dict[int, float] = {}
        self._tokens: dict[str, int] = {}
        self._originals: dict[int, int] = {}  # interaction id -> message id that @original names
        self._command_ids: dict[tuple[int | None, str], int] = {}

        self._last_snowflake = 0
        self._runner: web.AppRunner | None = None
        self._originals_patched: tuple[str, yarl.URL] | None = None
        self._routes = self._route_table()

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/resume", self.gateway.handle)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
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

    def fail(self, method: str, path: str, status: int = 503, times: int = 1) -> None:
        """The next `times` requests of `method` on a path matching the regex `path` get `status`, as a
        Discord outage does (after the rate limits counted them)."""
        self._faults.append([method, re.compile(path), status, times])

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

    # ----------------------------------------------------------------- payload builders

    def slash(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        user_id: int = 1001,
        channel_id: int = 2001,
        permissions: int = 0,
        locale: str = "ja",
        user_name: str | None = None,
        app_permissions: int = DEFAULT_APP_PERMISSIONS,
        guild_id: int | None = None,
        guild_locale: str | None = None,
        command_guild_id: int | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``command_guild_id`` marks a guild command (``data.guild_id``), which the CommandTree looks up first."""
        who = _Invoker(user_id, channel_id, permissions, locale, user_name, app_permissions, guild_id, guild_locale)
        return self._command(2, name, options or [], who, command_guild_id, resolved)

    def autocomplete(self, name: str, options: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        """Takes slash's keywords. One option needs ``"focused": True``: Discord always marks one and
        discord.py raises without it."""
        command_guild_id = kw.pop("command_guild_id", None)
        resolved = kw.pop("resolved", None)
        return self._command(4, name, options, _Invoker(**kw), command_guild_id, resolved)

    def click(
        self,
        custom_id: str,
        *,
        message_id: int,
        channel_id: int = 2001,
        user_id: int = 1001,
        values: list[str] | None = None,
        component_type: int = 2,
        permissions: int = 0,
        locale: str = "ja",
        user_name: str | None = None,
        app_permissions: int = DEFAULT_APP_PERMISSIONS,
        guild_id: int | None = None,
    ) -> dict[str, Any]:
        """The attached message is the fake's copy when it knows the message (so its components are
        the ones the bot sent); otherwise a message holding just the clicked component is made up and
        remembered, e.g. to click a button posted before a simulated restart."""
        mid = int(message_id)
        message = self._messages.get(mid)
        if message is None:
            message = self._new_message(
                channel_id, {"components": [self._component_for(custom_id, component_type, values)]}, mid=mid
            )
            self._messages[mid] = message
        elif not any(c.get("custom_id") == custom_id for _, c in _walk_components(message.get("components") or [], [])):
            raise ValueError(f"message {mid} has no component {custom_id!r}; Discord could not send this click")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        invoker = _Invoker(
            user_id, int(message["channel_id"]), permissions, locale, user_name, app_permissions, guild_id
        )
        payload = self._interaction(3, data, invoker)
        payload["message"] = dict(message)
        return payload

    # ----------------------------------------------------------------- gateway side

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        """On the guild's shard; buffered like any dispatch while the socket is down, and replayed on
        RESUME as Discord does."""
        iid = int(payload["id"])
        self._interactions[iid] = payload
        self._interaction_sent_at[iid] = time.monotonic()
        self._tokens[payload["token"]] = iid
        self.interactions_sent.append(payload)
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id)

    async def dispatch(self, event: str, data: Any, guild_id: int | None = None) -> None:
        """Any op 0 event, for tests that need more than interactions (e.g. MESSAGE_CREATE)."""
        await self.gateway.dispatch(event, data, guild_id)

    async def drop_connection(self, *, resumable: bool = True, shard_id: int = 0) -> None:
        await self.gateway.drop_connection(resumable=resumable, shard_id=shard_id)

    # ----------------------------------------------------------------- internals: ids and objects

    def _snowflake(self) -> int:
        value = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def _user(self, user_id: int, name: str | None = None) -> JSON:
        name = name or f"user{user_id}"
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "public_flags": 0,
        }

    def _bot_user(self) -> JSON:
        return {**self._user(self.BOT_ID, self.BOT_NAME), "global_name": None, "bot": True}

    def _ready_user(self) -> JSON:
        return {**self._bot_user(), "verified": True, "mfa_enabled": False, "flags": 0, "email": None}

    def _channel(self, channel_id: int, guild_id: int | None = None) -> JSON:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id or self.GUILD_ID),
            "name": f"channel-{channel_id}",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def _new_message(
        self,
        channel_id: int,
        body: Any,
        *,
        mid: int | None = None,
        files: list[tuple[str, int]] | None = None,
        flags: int | None = None,
        message_type: int = 0,
        webhook: bool = False,
    ) -> JSON:
        body = body if isinstance(body, dict) else {}
        mid = mid if mid is not None else self._snowflake()
        attachments = [
            {
                "id": str(self._snowflake()),
                "filename": name,
                "size": size,
                "url": f"{self.rest_base}/attachments/{channel_id}/{mid}/{name}",
                "proxy_url": f"{self.rest_base}/attachments/{channel_id}/{mid}/{name}",
            }
            for name, size in files or []
        ]
        message: JSON = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": self._bot_user(),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": message_type,
            "flags": body.get("flags", 0) if flags is None else flags,
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if webhook:
            message["webhook_id"] = str(self.APP_ID)
            message["application_id"] = str(self.APP_ID)
        return message

    def _edit_message(self, message: JSON, body: Any) -> JSON:
        if isinstance(body, dict):
            # An explicit null clears a field, as discord.py sends for ``content=None`` / ``view=None``.
            for key, cleared in (("content", ""), ("embeds", []), ("components", []), ("flags", 0)):
                if key in body:
                    message[key] = body[key] if body[key] is not None else cleared
            if "attachments" in body and not body["attachments"]:
                message["attachments"] = []
        message["flags"] = int(message.get("flags") or 0) & ~LOADING
        message["edited_timestamp"] = _now_iso()
        return message

    def _component_for(self, custom_id: str, component_type: int, values: list[str] | None) -> JSON:
        inner: JSON = {"type": component_type, "custom_id": custom_id}
        if component_type == 2:
            inner.update(style=1, label="button")
        elif component_type == 3:
            options = values or ["option"]
            inner.update(options=[{"label": v, "value": v} for v in options], min_values=1, max_values=len(options))
        return {"type": 1, "components": [inner]}

    def _interaction(self, itype: int, data: JSON, who: _Invoker) -> JSON:
        iid = self._snowflake()
        guild_id = who.guild_id or self.GUILD_ID
        return {
            "id": str(iid),
            "application_id": str(self.APP_ID),
            "type": itype,
            "data": data,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": who.guild_locale or who.locale, "features": []},
            "channel_id": str(who.channel_id),
            "channel": self._channel(who.channel_id, guild_id),
            "member": {
                "user": self._user(who.user_id, who.user_name),
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "premium_since": None,
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "communication_disabled_until": None,
                "permissions": str(who.permissions),
            },
            "token": secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(who.app_permissions),
            "locale": who.locale,
            "guild_locale": who.guild_locale or who.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    def _command(
        self,
        itype: int,
        name: str,
        options: list[JSON],
        who: _Invoker,
        command_guild_id: int | None,
        resolved: JSON | None,
    ) -> JSON:
        key = (command_guild_id, name)
        if key not in self._command_ids:
            self._command_ids[key] = self._snowflake()
        data: JSON = {"id": str(self._command_ids[key]), "name": name, "type": 1, "options": options}
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        if resolved is not None:
            data["resolved"] = resolved
        return self._interaction(itype, data, who)

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
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        call = Call(request.method, path, body, dict(request.query), files=[name for name, _ in files])
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency / 2)  # on the way in: the limits count arrivals
        response = await self._route(request, call, path, body, files)
        call.status = response.status
        self.limits.answered(response.status, dict(response.headers))
        if response.status == 400 and isinstance(call_body := _body_of(response), dict) and call_body.get("errors"):
            self.refused.append((call, call_body))
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        return response

    async def _route(
        self, request: web.Request, call: Call, path: str, body: Any, files: list[tuple[str, int]]
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
                return _error(401, 0, "401: Unauthorized")
            major = params.get("cid") or params.get("gid") or params.get("token") or ""
            verdict = self.limits.check(method, template, major, bot_token and not interaction_endpoint)
            if verdict.refused is not None:
                status, refusal, headers = verdict.refused
                if isinstance(refusal, str):
                    return web.Response(status=status, text=refusal, headers=headers)
                return _json(status, refusal, headers)
            fault = next((f for f in self._faults if f[0] == method and f[1].search(path) and f[3] > 0), None)
            if fault is not None:
                fault[3] -= 1
                return _error(fault[2], 0, f"{fault[2]}: injected by the test")
            response = await handler(_Request(request.method, path, dict(request.query), body, files, params, template))
            response.headers.update(verdict.headers)
            return response
        self.unknown.append(call)
        return _error(404, 0, "404: Not Found")

    async def _no_content(self, req: _Request) -> web.Response:
        return web.Response(status=204)

    async def _get_me(self, req: _Request) -> web.Response:
        return _json(
            200,
            {**self._bot_user(), "verified": True, "mfa_enabled": False, "flags": 0, "email": None, "locale": "en-US"},
        )

    async def _get_application(self, req: _Request) -> web.Response:
        owner = self._user(1, "owner")
        return _json(
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

    async def _get_gateway(self, req: _Request) -> web.Response:
        return _json(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, req: _Request) -> web.Response:
        return _json(
            200,
            {
                "url": self.gateway_url,
                "shards": self.gateway.recommended_shards,
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
            },
        )

    async def _create_dm(self, req: _Request) -> web.Response:
        """Opening a DM with a user: a type 1 channel whose messages land in messages_in(its id)."""
        recipient = int((req.json or {})["recipient_id"])
        channel_id = self.dm_channels.setdefault(recipient, self._snowflake())
        return _json(
            200,
            {
                "id": str(channel_id),
                "type": 1,
                "last_message_id": None,
                "recipients": [self._user(recipient)],
                "flags": 0,
            },
        )

    async def _get_channel(self, req: _Request) -> web.Response:
        return _json(200, self._channel(int(req.params["cid"])))

    async def _post_message(self, req: _Request) -> web.Response:
        cid = int(req.params["cid"])
        if cid in self._forbidden:
            return _error(403, 50013, "Missing Permissions")
        if _is_empty_message(req.json, req.files):
            return _error(400, 50006, "Cannot send an empty message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="create")
        if errors:
            return _json(400, errors.body())
        message = self._new_message(cid, req.json, files=req.files)
        mid = int(message["id"])
        self._messages[mid] = message
        self._posted.setdefault(cid, []).append({**(req.json or {}), "id": mid})
        return _json(200, message)

    def _find_message(self, req: _Request) -> JSON | None:
        message = self._messages.get(int(req.params["mid"]))
        if message is None or message["channel_id"] != req.params["cid"]:
            return None
        return message

    async def _get_message(self, req: _Request) -> web.Response:
        message = self._find_message(req)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        return _json(200, message)

    async def _patch_message(self, req: _Request) -> web.Response:
        if int(req.params["cid"]) in self._forbidden:
            return _error(403, 50001, "Missing Access")
        message = self._find_message(req)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="edit")
        if errors:
            return _json(400, errors.body())
        self.edits.append((int(req.params["cid"]), int(req.params["mid"]), req.json or {}))
        return _json(200, self._edit_message(message, req.json))

    async def _delete_message(self, req: _Request) -> web.Response:
        if self._find_message(req) is None:
            return _error(404, 10008, "Unknown Message")
        self._messages.pop(int(req.params["mid"]))
        self.deletes.append((int(req.params["cid"]), int(req.params["mid"])))
        return web.Response(status=204)

    async def _callback(self, req: _Request) -> web.Response:
        iid = int(req.params["iid"])
        interaction = self._interactions.get(iid)
        sent_at = self._interaction_sent_at.get(iid, 0.0)
        late = self.interaction_deadline is not None and time.monotonic() - sent_at > self.interaction_deadline
        if interaction is None or interaction["token"] != req.params["token"] or late:
            return _error(404, 10062, "Unknown interaction")
        if iid in self.callbacks:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = req.json if isinstance(req.json, dict) else {}
        rtype = body.get("type")
        # Which callback types each interaction type accepts (ping, command, component, autocomplete, modal).
        allowed = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(interaction["type"], set())
        data = body.get("data") or {}
        errors = FormErrors()
        if rtype not in allowed:
            # Approximates Discord's wording; discord.py surfaces only the status and code 50035.
            errors.add(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(allowed)}.")
        if rtype in (4, 7):
            check_message(data, errors, ["data"], endpoint="callback")
        if rtype == 5:
            check_message(data, errors, ["data"], endpoint="deferred")
        if rtype == 8:
            check_autocomplete(data, errors, ["data"])
        if errors:
            return _json(400, errors.body())
        if rtype == 4 and _is_empty_message(data, req.files):
            return _error(400, 50006, "Cannot send an empty message")
        self.callbacks[iid] = body

        channel_id = int(interaction["channel_id"])
        flags = int(data.get("flags") or 0)
        summary: JSON = {"id": str(iid), "type": interaction["type"]}
        resource: JSON = {"type": rtype}
        if rtype in (4, 5):
            message = self._new_message(
                channel_id,
                data if rtype == 4 else {},
                files=req.files,
                flags=flags | (LOADING if rtype == 5 else 0),
                message_type=20 if interaction["type"] == 2 else 0,  # 20: reply to a slash command
                webhook=True,
            )
            self._messages[int(message["id"])] = message
            self._originals[iid] = int(message["id"])
            summary.update(
                response_message_id=message["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            resource["message"] = message
        elif rtype in (6, 7) and "message" in interaction:
            mid = int(interaction["message"]["id"])
            message = self._messages.setdefault(mid, dict(interaction["message"]))
            self._originals[iid] = mid
            summary["response_message_id"] = str(mid)
            if rtype == 7:
                resource["message"] = self._edit_message(message, data)
        if req.query.get("with_response", "").lower() in ("1", "true"):
            return _json(200, {"interaction": summary, "resource": resource})
        return web.Response(status=204)

    def _webhook_interaction(self, req: _Request) -> int | None:
        """The interaction behind an app webhook, but only once acknowledged, as on Discord."""
        if int(req.params["app"]) != self.APP_ID:
            return None
        iid = self._tokens.get(req.params["token"])
        if iid is None or iid not in self.callbacks:
            return None
        return iid

    def _webhook_message(self, req: _Request, iid: int) -> JSON | None:
        key = req.params["mid"]
        mid = self._originals.get(iid) if key == "@original" else int(key)
        return self._messages.get(mid) if mid is not None else None

    async def _followup(self, req: _Request) -> web.Response:
        iid = self._webhook_interaction(req)
        if iid is None:
            return _error(404, 10015, "Unknown Webhook")
        if _is_empty_message(req.json, req.files):
            return _error(400, 50006, "Cannot send an empty message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="followup")
        if errors:
            return _json(400, errors.body())
        self.followups.append(req.json or {})
        channel_id = int(self._interactions[iid]["channel_id"])
        message = self._new_message(channel_id, req.json, files=req.files, webhook=True)
        self._messages[int(message["id"])] = message
        if req.query.get("wait", "").lower() in ("1", "true"):
            return _json(200, message)
        return web.Response(status=204)

    async def _get_webhook_message(self, req: _Request) -> web.Response:
        iid = self._webhook_interaction(req)
        if iid is None:
            return _error(404, 10015, "Unknown Webhook")
        message = self._webhook_message(req, iid)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        return _json(200, message)

    async def _patch_webhook_message(self, req: _Request) -> web.Response:
        iid = self._webhook_interaction(req)
        if iid is None:
            return _error(404, 10015, "Unknown Webhook")
        message = self._webhook_message(req, iid)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="webhook_edit")
        if errors:
            return _json(400, errors.body())
        self.webhook_edits.append((iid, req.params["mid"], req.json or {}))
        return _json(200, self._edit_message(message, req.json))

    async def _delete_webhook_message(self, req: _Request) -> web.Response:
        iid = self._webhook_interaction(req)
        if iid is None:
            return _error(404, 10015, "Unknown Webhook")
        message = self._webhook_message(req, iid)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        self._messages.pop(int(message["id"]))
        self.deletes.append((int(message["channel_id"]), int(message["id"])))
        return web.Response(status=204)

    async def _get_commands(self, req: _Request) -> web.Response:
        if int(req.params["app"]) != self.APP_ID:
            return _error(403, 50001, "Missing Access")
        gid = int(req.params["gid"]) if "gid" in req.params else None
        return _json(200, self.commands.get(gid, []))

    async def _put_commands(self, req: _Request) -> web.Response:
        if int(req.params["app"]) != self.APP_ID:
            return _error(403, 50001, "Missing Access")
        gid = int(req.params["gid"]) if "gid" in req.params else None
        errors = FormErrors()
        check_commands(req.json, errors, guild=gid is not None)
        if errors:  # Discord takes all of a bulk overwrite or nothing
            return _json(400, errors.body())
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
        return _json(200, echoed)

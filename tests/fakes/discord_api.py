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
- Text frames are never decompressed, so the gateway here needs no zlib even though the client asks
  for ``compress=zlib-stream``.
- ``on_ready`` waits ``guild_ready_timeout`` (default 2 s) even with ``guilds: []``: pass a small one.
- Every IDENTIFY after the first waits 5 s in ``Client.before_identify_hook``: see ``skip_identify_delay``.
"""

from __future__ import annotations

import asyncio
import json
import math
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
from aiohttp import BodyPartReader, WSMsgType, web

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
# View channel, send messages, embed links, attach files, read history, external emojis, add reactions.
DEFAULT_APP_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 6)
EPHEMERAL = 1 << 6
LOADING = 1 << 7
RATE_LIMIT_BUCKET = "fake0channel0messages0bucket0000"


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


@dataclass
class _Invoker:
    """Who triggers an interaction and where: the part every payload builder shares."""

    user_id: int = 1001
    channel_id: int = 2001
    permissions: int = 0
    locale: str = "ja"
    user_name: str | None = None
    app_permissions: int = DEFAULT_APP_PERMISSIONS


@dataclass
class _Session:
    """A gateway session survives a dropped socket so RESUME can replay what the client missed."""

    id: str
    seq: int = 0
    frames: list[JSON] = field(default_factory=list)


@dataclass
class _Window:
    """A fixed rate-limit window: simple, and what Discord's headers describe."""

    started: float = -math.inf
    count: int = 0


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


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _ceil_ms(seconds: float) -> float:
    # Rounded up so a client that sleeps exactly this long never arrives before the window ends.
    return max(math.ceil(seconds * 1000) / 1000, 0.001)


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


class _FormErrors:
    """Collects Discord's nested ``errors`` object for 50035 Invalid Form Body."""

    def __init__(self) -> None:
        self.errors: JSON = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: list[str | int], value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def response(self) -> web.Response | None:
        if not self.errors:
            return None
        return _error(400, 50035, "Invalid Form Body", self.errors)


def _check_message(body: Any, errors: _FormErrors, prefix: list[str | int]) -> None:
    """The limits Discord enforces server-side that discord.py does not check before sending."""
    if not isinstance(body, dict):
        return
    errors.max_length([*prefix, "content"], body.get("content"), 2000)
    embeds = body.get("embeds") or []
    errors.max_length([*prefix, "embeds"], embeds, 10)
    total = 0
    for i, embed in enumerate(embeds):
        at: list[str | int] = [*prefix, "embeds", i]
        for key, limit in (("title", 256), ("description", 4096)):
            errors.max_length([*at, key], embed.get(key), limit)
            total += len(embed.get(key) or "")
        fields = embed.get("fields") or []
        errors.max_length([*at, "fields"], fields, 25)
        for j, fld in enumerate(fields):
            errors.max_length([*at, "fields", j, "name"], fld.get("name"), 256)
            errors.max_length([*at, "fields", j, "value"], fld.get("value"), 1024)
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
        for key, limit in (("footer", 2048), ("author", 256)):
            part = embed.get(key) or {}
            text = part.get("text" if key == "footer" else "name")
            errors.max_length([*at, key, "text" if key == "footer" else "name"], text, limit)
            total += len(text or "")
    if total > 6000:
        errors.add([*prefix, "embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    for path, component in _walk_components(body.get("components") or [], [*prefix, "components"]):
        errors.max_length([*path, "custom_id"], component.get("custom_id"), 100)
        errors.max_length([*path, "label"], component.get("label"), 80)
        errors.max_length([*path, "options"], component.get("options"), 25)


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
        self.identify_payloads: list[JSON] = []
        self.connections: list[dict[str, str]] = []  # path and query of every gateway connection
        self.identifies = 0
        self.resumes = 0
        self.invalid_sessions = 0
        self.heartbeats = 0
        self.rate_limited = 0
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id opened by the bot

        self._posted: dict[int, list[dict[str, Any]]] = {}
        self._messages: dict[int, JSON] = {}
        self._forbidden: set[int] = set()
        self._interactions: dict[int, JSON] = {}
        self._interaction_sent_at: dict[int, float] = {}
        self._tokens: dict[str, int] = {}
        self._originals: dict[int, int] = {}  # interaction id -> message id that @original names
        self._command_ids: dict[tuple[int | None, str], int] = {}

        self._global_limit: int | None = None
        self._channel_limit: tuple[int, float] | None = None
        self._global_window = _Window()
        self._channel_windows: dict[int, _Window] = {}

        self._session: _Session | None = None
        self._live: web.WebSocketResponse | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._send_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._fail_next_resume = False

        self._last_snowflake = 0
        self._runner: web.AppRunner | None = None
        self._originals_patched: tuple[str, yarl.URL] | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._route_table()

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/resume", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.rest_base = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake stopping")
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
        self._forbidden.add(int(channel_id))

    def limit_rate(self, global_per_second: int = 50, per_channel: tuple[int, float] = (5, 5.0)) -> None:
        """Rate-limits POST /channels/{id}/messages only, the route a broadcasting bot actually hits."""
        self._global_limit = global_per_second
        self._channel_limit = per_channel
        self._global_window = _Window()
        self._channel_windows = {}

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

    async def wait_ready(self, within: float = 5) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), within)
        except TimeoutError:
            raise AssertionError(
                f"no client got READY/RESUMED within {within}s "
                f"(identifies={self.identifies}, resumes={self.resumes}, connections={self.connections})"
            ) from None

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
        command_guild_id: int | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``command_guild_id`` marks a guild command (``data.guild_id``), which the CommandTree looks up first."""
        return self._command(
            2,
            name,
            options or [],
            _Invoker(user_id, channel_id, permissions, locale, user_name, app_permissions),
            command_guild_id,
            resolved,
        )

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
        invoker = _Invoker(user_id, int(message["channel_id"]), permissions, locale, user_name, app_permissions)
        payload = self._interaction(3, data, invoker)
        payload["message"] = dict(message)
        return payload

    # ----------------------------------------------------------------- gateway side

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        """Buffered like any dispatch while the socket is down, and replayed on RESUME as Discord does."""
        if self._session is None:
            raise RuntimeError("no gateway session: start the client and await wait_ready() first")
        iid = int(payload["id"])
        self._interactions[iid] = payload
        self._interaction_sent_at[iid] = time.monotonic()
        self._tokens[payload["token"]] = iid
        self.interactions_sent.append(payload)
        await self.dispatch("INTERACTION_CREATE", payload)

    async def dispatch(self, event: str, data: Any) -> None:
        """Any op 0 event, for tests that need more than interactions (e.g. MESSAGE_CREATE)."""
        if self._session is None:
            raise RuntimeError("no gateway session: start the client and await wait_ready() first")
        async with self._send_lock:
            frame = self._next_frame(event, data)
            if self._live is not None:
                await self._live.send_str(json.dumps(frame))

    async def drop_connection(self, *, resumable: bool = True) -> None:
        ws = self._live
        if ws is None:
            raise RuntimeError("no client is connected")
        self._fail_next_resume = not resumable
        self._live = None
        self._ready.clear()
        # 4000 is "unknown error, reconnect"; discord.py RESUMEs after any close code but its own 1000,
        # 4004 and 4010-4014, which it treats as fatal.
        await ws.close(code=4000, message=b"fake dropped the connection")

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

    def _channel(self, channel_id: int) -> JSON:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.GUILD_ID),
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
        return {
            "id": str(iid),
            "application_id": str(self.APP_ID),
            "type": itype,
            "data": data,
            "guild_id": str(self.GUILD_ID),
            "guild": {"id": str(self.GUILD_ID), "locale": who.locale, "features": []},
            "channel_id": str(who.channel_id),
            "channel": self._channel(who.channel_id),
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
            "guild_locale": who.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.GUILD_ID)},
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

    # ----------------------------------------------------------------- internals: gateway

    def _next_frame(self, event: str, data: Any) -> JSON:
        assert self._session is not None
        self._session.seq += 1
        frame = {"op": 0, "t": event, "s": self._session.seq, "d": data}
        self._session.frames.append(frame)
        return frame

    async def _send(self, ws: web.WebSocketResponse, frame: JSON) -> None:
        async with self._send_lock:
            await ws.send_str(json.dumps(frame))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append({"path": request.path, **request.query})
        self._sockets.add(ws)
        try:
            await self._send(ws, {"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            if self._live is ws:
                self._live = None
                self._ready.clear()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: JSON) -> None:
        op = frame.get("op")
        if op == 1:
            self.heartbeats += 1
            await self._send(ws, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(ws, frame["d"])
        elif op == 6:
            await self._resume(ws, frame["d"])

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.identifies += 1
        self.identify_payloads.append(data)
        # A new session starts counting at 1, as on Discord; a RESUME continues the old count.
        self._session = _Session(id=secrets.token_hex(16))
        ready: JSON = {
            "v": 10,
            "user": {**self._bot_user(), "verified": True, "mfa_enabled": False, "flags": 0, "email": None},
            "guilds": [],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "session_id": self._session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url + "/resume",
            "application": {"id": str(self.APP_ID), "flags": 0},
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        async with self._send_lock:
            await ws.send_str(json.dumps(self._next_frame("READY", ready)))
            self._live = ws
        self._ready.set()

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.resumes += 1
        session = self._session
        if self._fail_next_resume or session is None or data.get("session_id") != session.id:
            self._fail_next_resume = False
            self._session = None
            self.invalid_sessions += 1
            await self._send(ws, {"op": 9, "d": False, "s": None, "t": None})
            return
        client_seq = data.get("seq") or 0
        async with self._send_lock:
            # Replay under the lock so a dispatch racing the resume is neither lost nor reordered.
            for frame in session.frames:
                if frame["s"] > client_seq:
                    await ws.send_str(json.dumps(frame))
            await ws.send_str(json.dumps(self._next_frame("RESUMED", {})))
            self._live = ws
        self._ready.set()

    # ----------------------------------------------------------------- internals: REST

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        snowflake = r"(?P<{}>\d+)"
        cid, mid, app, gid = (snowflake.format(n) for n in ("cid", "mid", "app", "gid"))
        token = r"(?P<token>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", f"/channels/{cid}", self._get_channel),
            ("POST", f"/channels/{cid}/typing", self._no_content),
            ("POST", f"/channels/{cid}/messages", self._post_message),
            ("GET", f"/channels/{cid}/messages/{mid}", self._get_message),
            ("PATCH", f"/channels/{cid}/messages/{mid}", self._patch_message),
            ("DELETE", f"/channels/{cid}/messages/{mid}", self._delete_message),
            ("POST", rf"/interactions/(?P<iid>\d+)/{token}/callback", self._callback),
            ("POST", f"/webhooks/{app}/{token}", self._followup),
            ("GET", rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)", self._get_webhook_message),
            ("PATCH", rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)", self._patch_webhook_message),
            ("DELETE", rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)", self._delete_webhook_message),
            ("GET", f"/applications/{app}/commands", self._get_commands),
            ("PUT", f"/applications/{app}/commands", self._put_commands),
            ("GET", f"/applications/{app}/guilds/{gid}/commands", self._get_commands),
            ("PUT", f"/applications/{app}/guilds/{gid}/commands", self._put_commands),
        ]
        return [(method, re.compile(pattern), handler) for method, pattern, handler in table]

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        call = Call(request.method, path, body, dict(request.query), files=[name for name, _ in files])
        self.calls.append(call)
        authorized = request.headers.get("Authorization", "").startswith("Bot ")
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if method == request.method and match:
                # Interaction callbacks and webhooks are authenticated by their token in the path.
                if not authorized and not path.startswith(("/interactions/", "/webhooks/")):
                    response = _error(401, 0, "401: Unauthorized")
                else:
                    req = _Request(request.method, path, dict(request.query), body, files, match.groupdict())
                    response = await handler(req)
                break
        else:
            self.unknown.append(call)
            response = _error(404, 0, "404: Not Found")
        call.status = response.status
        return response

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
                "shards": 1,
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

    def _rate_limit(self, channel_id: int) -> tuple[web.Response | None, dict[str, str]]:
        """Returns a 429 to send, or the headers a successful response should carry."""
        if self._channel_limit is None or self._global_limit is None:
            return None, {}
        now = time.monotonic()
        limit, per = self._channel_limit
        window = self._channel_windows.setdefault(channel_id, _Window())
        if now - window.started >= per:
            window.started, window.count = now, 0
        glob = self._global_window
        if now - glob.started >= 1.0:
            glob.started, glob.count = now, 0
        reset_after = _ceil_ms(per - (now - window.started))
        bucket_headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": RATE_LIMIT_BUCKET,
        }
        if glob.count >= self._global_limit:
            retry = _ceil_ms(1.0 - (now - glob.started))
            return self._too_many(retry, True, {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}), {}
        if window.count >= limit:
            headers = {**bucket_headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"}
            return self._too_many(reset_after, False, headers), {}
        window.count += 1
        glob.count += 1
        return None, {**bucket_headers, "X-RateLimit-Remaining": str(limit - window.count)}

    def _too_many(self, retry_after: float, is_global: bool, headers: dict[str, str]) -> web.Response:
        self.rate_limited += 1
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        # Via: without it discord.py assumes a Cloudflare ban and raises instead of retrying.
        headers = {**headers, "Retry-After": str(math.ceil(retry_after)), "Via": "1.1 google"}
        return _json(429, body, headers)

    async def _post_message(self, req: _Request) -> web.Response:
        cid = int(req.params["cid"])
        limited, headers = self._rate_limit(cid)
        if limited is not None:
            return limited
        if cid in self._forbidden:
            return _error(403, 50013, "Missing Permissions")
        if _is_empty_message(req.json, req.files):
            return _error(400, 50006, "Cannot send an empty message")
        errors = _FormErrors()
        _check_message(req.json, errors, [])
        if (invalid := errors.response()) is not None:
            return invalid
        message = self._new_message(cid, req.json, files=req.files)
        mid = int(message["id"])
        self._messages[mid] = message
        self._posted.setdefault(cid, []).append({**(req.json or {}), "id": mid})
        return _json(200, message, headers)

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
        message = self._find_message(req)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        errors = _FormErrors()
        _check_message(req.json, errors, [])
        if (invalid := errors.response()) is not None:
            return invalid
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
        errors = _FormErrors()
        if rtype not in allowed:
            # Approximates Discord's wording; discord.py surfaces only the status and code 50035.
            errors.add(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(allowed)}.")
        if rtype in (4, 7):
            _check_message(data, errors, ["data"])
        if rtype == 8:
            errors.max_length(["data", "choices"], data.get("choices"), 25)
        if (invalid := errors.response()) is not None:
            return invalid
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
        errors = _FormErrors()
        _check_message(req.json, errors, [])
        if (invalid := errors.response()) is not None:
            return invalid
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
        errors = _FormErrors()
        _check_message(req.json, errors, [])
        if (invalid := errors.response()) is not None:
            return invalid
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

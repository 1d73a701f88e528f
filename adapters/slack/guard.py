"""Requests into the Slack endpoint checked before Bolt sees them: signed, and shaped like Slack's.

Bolt answered a non-numeric X-Slack-Request-Timestamp, `payload={not-json`, `payload=[1]` or a signed
`actions: []` with HTTP 500 and an ERROR traceback, and none of them needs the signing secret. Here each
gets 401 (no valid signature) or 400 (signed, but not something Slack sends), with one WARNING line, and a
click or command that names no user, team or channel is refused rather than stored under an empty id.

Signature: https://docs.slack.dev/authentication/verifying-requests-from-slack ("v0=" + HMAC-SHA256 of
"v0:{timestamp}:{body}" with the signing secret; requests older than five minutes refused).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from yarl import URL

log = logging.getLogger("studybot.slack")
MAX_AGE = 5 * 60  # seconds a signed request stays valid
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _id(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def payload_problem(body: dict[str, Any]) -> str | None:
    """What makes an interaction payload unusable, or None. Only the kinds studybot acts on are checked
    closely; the rest must at least say who and where."""
    kind = body.get("type")
    if not isinstance(kind, str):
        return "payload without a type"
    user = body.get("user")
    team = body.get("team")
    if not isinstance(user, dict) or not _id(user.get("id")):
        return "payload without a user"
    team_id = team.get("id") if isinstance(team, dict) else None
    if not _id(team_id) and not _id(user.get("team_id")):
        return "payload without a team"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(isinstance(a, dict) and _id(a.get("action_id")) for a in actions):
            return "an action without an action_id"
        container = body.get("container")
        in_view = isinstance(container, dict) and container.get("type") == "view"
        channel = body.get("channel")
        if not in_view and (not isinstance(channel, dict) or not _id(channel.get("id"))):
            return "block_actions without a channel"
    return None


def command_problem(form: dict[str, str]) -> str | None:
    for key in ("user_id", "team_id", "channel_id"):
        if not _id(form.get(key)):
            return f"command without {key}"
    return None


def parsed_problem(body: dict[str, Any]) -> str | None:
    """The same checks on a body Bolt has parsed already (Socket Mode, where no HTTP request comes in):
    commands and interaction payloads must name their user, team and channel."""
    if "command" in body:
        return command_problem(body)
    if body.get("type") in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        return payload_problem(body)
    return None


class RefuseMalformed(AsyncMiddleware):
    """A Bolt middleware for both modes: a command or click that names no one is never handled (so
    nothing is stored under an empty id); one WARNING line says why. A class rather than a function:
    Bolt builds a function middleware's arguments from the body first, and that fails on `actions: []`."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # Bolt's name for it
    ) -> BoltResponse | None:
        problem = parsed_problem(req.body)
        if problem is not None:
            log.warning("Slack request refused (400): %s", problem)
            return BoltResponse(status=400, body="")
        return await next()


def form_fields(text: str) -> dict[str, str]:
    """A form body's fields, the first value of each, as urllib's parse_qs gives them: through yarl's
    C decoder, which a click's 700 percent-escaped bytes took 1 µs instead of 100 µs."""
    return dict(URL.build(query_string=text, encoded=True).query)


def body_problem(raw: bytes, content_type: str) -> str | None:
    """What makes a signed body not one Slack sends, or None."""
    if not raw:
        return "empty body"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if content_type == "application/json":
        try:
            body = json.loads(text)
        except ValueError:
            return "body is not JSON"
        return None if isinstance(body, dict) else "JSON body is not an object"  # Events API: Bolt's
    form = form_fields(text)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except ValueError:
            return "payload is not JSON"
        if not isinstance(payload, dict):
            return "payload is not an object"
        return payload_problem(payload)
    if "command" in form:
        return command_problem(form)
    if "ssl_check" in form:
        return None
    return "neither a command nor a payload"


def is_ssl_check(raw: bytes, content_type: str) -> bool:
    if content_type == "application/json" or len(raw) > 1000 or b"ssl_check" not in raw:
        return False  # the common case, without parsing the form a second time
    form = form_fields(raw.decode("utf-8", "replace"))
    return form.get("ssl_check") == "1" and "payload" not in form and "command" not in form


def signature_problem(secret: str, headers: Any, raw: bytes, now: float) -> str | None:
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return "unsigned request"
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "malformed X-Slack-Request-Timestamp"
    if abs(now - int(timestamp)) > MAX_AGE:
        return "stale X-Slack-Request-Timestamp"
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "bad X-Slack-Signature"
    return None


def request_guard(path: str, secret: str | None, clock: Callable[[], float] = time.time) -> Any:
    """An aiohttp middleware for the Slack endpoint at `path` (other routes pass through)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != path or request.method != "POST":
            return await handler(request)
        raw = await request.read()  # aiohttp keeps it: Bolt reads the same bytes again
        if is_ssl_check(raw, request.content_type):
            # Slack's check of the certificate comes unsigned and wants a 200 with nothing done
            # (https://docs.slack.dev/interactivity/implementing-slash-commands, "ssl_check"); Bolt, too,
            # answers it before verifying signatures.
            return web.Response(status=200)
        if secret:
            problem = signature_problem(secret, request.headers, raw, clock())
            if problem is not None:
                log.warning("Slack request refused (401) from %s: %s", request.remote, problem)
                return web.json_response({"ok": False, "error": "invalid signature"}, status=401)
        problem = body_problem(raw, request.content_type)
        if problem is not None:
            log.warning("Slack request refused (400) from %s: %s", request.remote, problem)
            return web.json_response({"ok": False, "error": "malformed request"}, status=400)
        return await handler(request)

    return guard


def response_url_allowed(url: str, prefixes: tuple[str, ...]) -> bool:
    """Whether `url` is under one of `prefixes` (default https://hooks.slack.com/): same scheme, same host
    exactly (not a host that merely starts with it, nor one hidden behind user@), same port, and a path
    below the prefix's. https://docs.slack.dev/interactivity/handling-user-interaction ("response_url")
    gives these URLs as hooks.slack.com ones."""
    try:
        target = urlsplit(url)
        port = target.port
    except ValueError:
        return False
    if target.username is not None or target.password is not None:
        return False
    for prefix in prefixes:
        allowed = urlsplit(prefix)
        if (
            target.scheme == allowed.scheme
            and (target.hostname or "") == (allowed.hostname or "")
            and port == allowed.port
            and target.path.startswith(allowed.path or "/")
        ):
            return True
    return False

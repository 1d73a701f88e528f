"""The bot's HTTP server: /healthz for the HEALTHCHECK, /metrics for Prometheus, /admin/reload for
`studybot content reload`.

The Slack adapter's HTTP mode adds its events path to this same aiohttp application. Only that path
is meant to be reachable from the internet (through a reverse proxy); /metrics can move to a port of
its own (STUDYBOT_METRICS_HOST/PORT) and both it and /admin/reload take a bearer token, since a
same-host proxy makes every request look local and a browser on the operator's machine can be made
to POST anywhere.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable

from aiohttp import web

from bot import http_server
from bot.content import ContentError
from bot.core import StudyBot

log = logging.getLogger("studybot.web")
# The content types a browser sends cross-site without asking first (a CORS "simple" request): an
# admin request never has them. https://developer.mozilla.org/docs/Glossary/CORS-safelisted_request_header
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def bearer_ok(request: web.Request, token: str) -> bool:
    """The request carries `Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def cross_site(request: web.Request) -> str | None:
    """Why the request looks like a browser's cross-site one, or None. Browsers say where a request
    comes from (Sec-Fetch-Site, Origin); command-line clients send neither."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {site}"
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        return "an Origin other than this server"
    if request.content_type in FORM_TYPES:
        return f"a form content type ({request.content_type})"
    return None


def refuse(status: int, error: str, **headers: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status, headers=headers)


async def metrics_response(bot: StudyBot, request: web.Request) -> web.Response:
    token = bot.settings.metrics_token
    if token and not bearer_ok(request, token):
        return refuse(
            401, "send STUDYBOT_METRICS_TOKEN as Authorization: Bearer <token>", **{"WWW-Authenticate": "Bearer"}
        )
    return web.Response(body=bot.metrics.render(), content_type="text/plain", charset="utf-8")


def metrics_app(bot: StudyBot) -> web.Application:
    """/metrics alone, for STUDYBOT_METRICS_HOST/PORT: scraped on a private address, never exposed."""
    app = web.Application()

    async def metrics(request: web.Request) -> web.Response:
        return await metrics_response(bot, request)

    app.router.add_get("/metrics", metrics)
    return app


def add_ops_routes(
    app: web.Application, bot: StudyBot, scheduler_running: Callable[[], bool], *, metrics: bool = True
) -> None:
    """/healthz and /admin/reload, and /metrics unless it is served on a port of its own."""
    reported: dict[str, str] = {}  # the problems last logged: a failing check is logged when it changes

    async def healthz(request: web.Request) -> web.Response:
        """Each check by name; 503 when any fails, with why in `problems`. `database` is the writer
        answering; `database_file`, `database_write` and `disk_space` look at the file on disk (see
        bot/storage/sqlite/health.py), which a deleted, replaced or full database fails."""
        checks: dict[str, bool] = {"scheduler": scheduler_running()}
        problems: dict[str, str] = {}
        try:
            checks["database"] = await asyncio.wait_for(bot.storage.ping(), 2)
        except Exception as exc:  # the detail (paths) goes to the log, not to whoever asks
            checks["database"] = False
            problems["database"] = (
                "the database did not answer" if isinstance(exc, TimeoutError) else "the database failed"
            )
            log.error("health: the database ping failed: %s", exc or "no answer within 2 s")
        for name, problem in (await bot.storage.health_checks()).items():
            checks[name] = problem is None
            if problem is not None:
                problems[name] = problem
        for name, platform in bot.platforms.items():
            connected = getattr(platform, "is_connected", None)
            checks[f"adapter:{name}"] = bool(connected()) if connected else True
        healthy = all(checks.values())
        body: dict[str, object] = {"ok": healthy, "checks": checks}
        if problems:
            body["problems"] = problems
        if problems != reported:
            if problems:
                log.error("unhealthy: %s", "; ".join(f"{k}: {v}" for k, v in problems.items()))
            reported.clear()
            reported.update(problems)
        return web.json_response(body, status=200 if healthy else 503)

    async def reload(request: web.Request) -> web.Response:
        token = bot.settings.admin_token
        if not token:
            return refuse(
                403,
                "the admin endpoint is off: set STUDYBOT_ADMIN_TOKEN (a long random string) for the bot,"
                " then `studybot content reload` with the same setting sends it",
            )
        why = cross_site(request)
        if why is not None:
            log.warning("refused a cross-site /admin/reload (%s) from %s", why, request.remote)
            return refuse(403, f"cross-site requests are refused ({why})")
        if not bearer_ok(request, token):
            return refuse(
                401, "send STUDYBOT_ADMIN_TOKEN as Authorization: Bearer <token>", **{"WWW-Authenticate": "Bearer"}
            )
        try:
            bank = await bot.reload_content()
        except ContentError as exc:
            return web.json_response({"ok": False, "problems": [str(p) for p in exc.problems]}, status=422)
        return web.json_response({"ok": True, "questions": len(bank.questions), "entries": len(bank.entries)})

    async def metrics_here(request: web.Request) -> web.Response:
        return await metrics_response(bot, request)

    app.router.add_get("/healthz", healthz)
    if metrics:
        app.router.add_get("/metrics", metrics_here)
    app.router.add_post("/admin/reload", reload)


async def serve(
    app: web.Application,
    host: str,
    port: int,
    *,
    header_timeout: float = http_server.HEADER_TIMEOUT,
    max_connections: int | None = None,
) -> http_server.HttpServer:
    """Serve `app` with a deadline for each request's headers, an idle timeout and a connection limit
    that pushes back (bot/http_server.py); port 0 takes a free port (see `.addresses`)."""
    return await http_server.serve(app, host, port, header_timeout=header_timeout, max_connections=max_connections)

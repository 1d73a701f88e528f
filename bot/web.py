"""The bot's HTTP server: /healthz and /metrics for operators, /admin/reload from the same machine.

The Slack adapter's HTTP mode adds its events path to this same aiohttp application, so one port
serves everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from bot import http_server
from bot.content import ContentError
from bot.core import StudyBot

log = logging.getLogger("studybot.web")
LOCAL = {"127.0.0.1", "::1"}


def add_ops_routes(app: web.Application, bot: StudyBot, scheduler_running: Callable[[], bool]) -> None:
    reported: dict[str, str] = {}  # the problems last logged: a failing check is logged when it changes

    async def healthz(request: web.Request) -> web.Response:
        """Each check by name; 503 when any fails, with why in `problems`. `database` is the writer
        answering; `database_file`, `database_write` and `disk_space` look at the file on disk (see
        bot/storage_health.py), which a deleted, replaced or full database fails."""
        checks: dict[str, bool] = {"scheduler": scheduler_running()}
        problems: dict[str, str] = {}
        try:
            checks["database"] = await asyncio.wait_for(bot.storage.ping(), 2)
        except Exception as exc:
            checks["database"] = False
            problems["database"] = str(exc) or "no answer within 2 s"
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

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=bot.metrics.render(), content_type="text/plain", charset="utf-8")

    async def reload(request: web.Request) -> web.Response:
        if request.remote not in LOCAL:
            return web.json_response({"ok": False, "error": "only from this machine"}, status=403)
        try:
            bank = await bot.reload_content()
        except ContentError as exc:
            return web.json_response({"ok": False, "problems": [str(p) for p in exc.problems]}, status=422)
        return web.json_response({"ok": True, "questions": len(bank.questions), "entries": len(bank.entries)})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
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

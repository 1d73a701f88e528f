"""The bot's HTTP server: /healthz and /metrics for operators, /admin/reload from the same machine.

The Slack adapter's HTTP mode adds its events path to this same aiohttp application, so one port
serves everything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from bot.content import ContentError
from bot.core import StudyBot

log = logging.getLogger("studybot.web")
LOCAL = {"127.0.0.1", "::1"}


def add_ops_routes(app: web.Application, bot: StudyBot, scheduler_running: Callable[[], bool]) -> None:
    async def healthz(request: web.Request) -> web.Response:
        checks: dict[str, bool] = {"scheduler": scheduler_running()}
        try:
            checks["database"] = await asyncio.wait_for(bot.storage.ping(), 2)
        except Exception:
            checks["database"] = False
        for name, platform in bot.platforms.items():
            connected = getattr(platform, "is_connected", None)
            checks[f"adapter:{name}"] = bool(connected()) if connected else True
        healthy = all(checks.values())
        return web.json_response({"ok": healthy, "checks": checks}, status=200 if healthy else 503)

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


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("HTTP server on %s:%s", host, runner.addresses[0][1] if runner.addresses else port)
    return runner

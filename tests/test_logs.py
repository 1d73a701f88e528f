"""Logs: JSON lines with the ids of the work at hand, and no secrets."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace

import pytest

from bot.commands import parse_daily_set
from bot.daily_posts import ChannelUnavailable
from bot.logs import JsonFormatter, Redactor, log_context, setup_logging
from tests.conftest import ADMIN


@pytest.fixture(autouse=True)
def restore_root_logger():
    """setup_logging replaces the root handlers, as it should at start; put pytest's back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(settings) -> tuple[io.StringIO, logging.Handler]:
    setup_logging(settings, json_lines=True)
    handler = logging.getLogger().handlers[0]
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    return stream, handler


def test_secrets_are_redacted(settings):
    secret_settings = replace(settings, slack_signing_secret="s3cr3t-signing", discord_token="abc.def.ghi-token")
    stream, _ = capture(secret_settings)
    log = logging.getLogger("studybot.test")
    log.warning("token xoxb-1234-5678-abcdef and secret s3cr3t-signing and abc.def.ghi-token")
    log.warning("POST https://discord.com/api/v10/interactions/123456/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MA/callback")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert "xoxb-" not in lines[0]["message"] and "s3cr3t" not in lines[0]["message"]
    assert lines[0]["message"].count("[redacted]") == 3
    assert "aW50ZXJhY3Rpb24" not in lines[1]["message"]


def test_context_ids_on_each_line():
    formatter = JsonFormatter(Redactor([]))
    record = logging.LogRecord("studybot", logging.INFO, __file__, 1, "posted", None, None)
    with log_context(community=3, channel=7), log_context(post=42):
        line = json.loads(formatter.format(record))
    assert (line["community"], line["channel"], line["post"], line["message"]) == (3, 7, 42, "posted")
    assert "post" not in json.loads(formatter.format(record))


async def test_daily_post_failure_logs_carry_ids(bot, platform, settings):
    stream, _ = capture(settings)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    platform.fail_with = ChannelUnavailable("not_in_channel")
    await bot.post_daily(schedule)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    warning = next(line for line in lines if "schedule is disabled" in line["message"])
    assert warning["channel"] == schedule.channel_id and warning["level"] == "warning"
    assert "community" in warning


@pytest.mark.parametrize("setting, lines", [("off", 0), ("on", 1)])
async def test_the_access_log_is_written_only_when_switched_on(settings, setting, lines):
    import aiohttp
    from aiohttp import web

    from bot.web import serve

    stream, _ = capture(replace(settings, access_log=setting))
    app = web.Application()
    app.router.add_get("/ping", lambda request: web.Response(text="pong"))
    server = await serve(app, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{server.addresses[0][1]}/ping") as response:
                assert await response.text() == "pong"
    finally:
        await server.cleanup()
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len([line for line in logged if line["logger"] == "aiohttp.access"]) == lines

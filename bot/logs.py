"""Logging: JSON lines when not on a terminal, with the ids of what is being worked on, and never a
token or secret."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from bot.config import Settings
from bot.redaction import redact

_context: ContextVar[dict[str, object]] = ContextVar("studybot_log_context", default={})  # noqa: B039


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Every log line inside carries these ids (community, channel, post, ...)."""
    token = _context.set({**_context.get(), **ids})
    try:
        yield
    finally:
        _context.reset(token)


class Redactor:
    def __init__(self, secrets: list[str]):
        self.secrets = secrets

    def __call__(self, text: str) -> str:
        return redact(text, self.secrets)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor):
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.redact(record.getMessage()),
            **_context.get(),
        }
        if record.exc_info:
            line["error"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={v}" for k, v in _context.get().items())
        return self.redact(super().format(record) + (f" [{ids}]" if ids else ""))


def setup_logging(settings: Settings, level: int = logging.INFO, json_lines: bool | None = None) -> None:
    """JSON lines for log collectors unless stderr is a terminal; secrets from the settings redacted."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    redact = Redactor(
        [
            settings.discord_token or "",
            settings.slack_bot_token or "",
            settings.slack_app_token or "",
            settings.slack_signing_secret or "",
            settings.admin_token or "",
            settings.metrics_token or "",
            settings.slack_client_secret or "",
        ]
    )
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(redact) if json_lines else TextFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp logs each request at INFO; a level above that switches the access log off (Settings.access_log)
    logging.getLogger("aiohttp.access").setLevel(logging.INFO if settings.access_log == "on" else logging.WARNING)

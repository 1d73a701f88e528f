"""Logging: JSON lines when not on a terminal, with the ids of what is being worked on, and never a
token or secret."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from bot.config import Settings

_context: ContextVar[dict[str, object]] = ContextVar("studybot_log_context", default={})  # noqa: B039
# Slack tokens, Discord bot tokens and anything that looks like a signed secret in a URL.
TOKEN_PATTERNS = [
    re.compile(r"xox[abposr]-[0-9A-Za-z-]+"),
    re.compile(r"xapp-[0-9A-Za-z-]+"),
    re.compile(r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}"),
    re.compile(r"(?<=/webhooks/)\d+/[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?<=/interactions/)\d+/[A-Za-z0-9_.-]{20,}"),
]


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
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        for pattern in TOKEN_PATTERNS:
            text = pattern.sub("[redacted]", text)
        return text


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
            settings.slack_client_secret or "",
        ]
    )
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(redact) if json_lines else TextFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

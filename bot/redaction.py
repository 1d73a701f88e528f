"""One place that knows what a secret looks like, for the log and for every configuration error.

A configuration error must say which setting and which line are wrong without repeating what is on
the line: a token pasted into the wrong key, or a YAML error on the line of a secret, once went to
stderr (and from there to the container log) in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Slack tokens, Discord bot tokens and anything that looks like a signed secret in a URL.
TOKEN_PATTERNS = [
    re.compile(r"xox[abposr]-[0-9A-Za-z-]+"),
    re.compile(r"xapp-[0-9A-Za-z-]+"),
    re.compile(r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}"),
    re.compile(r"(?<=/webhooks/)\d+/[A-Za-z0-9_-]{20,}"),
    re.compile(r"(?<=/interactions/)\d+/[A-Za-z0-9_.-]{20,}"),
]
MIN_SECRET = 6  # shorter values would blank out ordinary words; no real token is that short


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every given secret value, and anything shaped like a token, replaced."""
    for secret in sorted((s for s in secrets if s and len(s) >= MIN_SECRET), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text

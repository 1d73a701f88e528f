"""Text from content and from people, made inert for Slack.

Slack reads `&`, `<` and `>` as control characters in every text object and in a message's `text`
(https://docs.slack.dev/messaging/formatting-message-text#escaping): `<!channel>` pings everyone,
`<https://evil.example|click me>` is a disguised link, and `Value<String>` loses its bracketed part. Every
text that did not come from the bot's own markup goes through `escape` before it is put in a message.
"""

from __future__ import annotations

import re

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Only these three: Slack decodes no other HTML entity, so `'` must stay as it is."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """`text` (already escaped) cut to `limit` characters with an ellipsis, never inside an entity."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY.sub("", text[: limit - 1]) + "…"


def chunks(text: str, limit: int) -> list[str]:
    """`text` (already escaped) in pieces of at most `limit` characters, cut at line ends where it can be,
    so a long explanation fills several sections instead of being cut off."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line longer than a section: cut it, never inside an entity
            head = _PARTIAL_ENTITY.sub("", line[:limit])
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()] or ["-"]

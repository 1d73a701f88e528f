"""Stable ids: the same question imported again gets the same id, so it is updated instead of added
twice, and the answers already recorded against it keep pointing at it."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from bot.content import ID_PATTERN

PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,29}$")
HASH_CHARS = 12  # 48 bits: a clash within one pack would need millions of questions


def identity_text(text: str) -> str:
    """What does not make a question another one: width, case, spacing, trailing punctuation of lines."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def stable_id(pack: str, source: str, key: str) -> str:
    """`{pack}-{hash}` from the pack, the source (the file's name, not its folder: the same file
    imported from another checkout is the same source) and the question's identity (its text, or a
    note's guid). The pack is part of it so two communities importing one file into their own packs
    never share an id."""
    digest = hashlib.sha256(f"{source}\n{identity_text(key)}".encode()).hexdigest()[:HASH_CHARS]
    made = f"{pack}-{digest}"
    assert ID_PATTERN.match(made), made
    return made


def file_slug(name: str) -> str:
    """A pack file's name for one imported file: readable, and distinct for distinct names."""
    stem = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKC", name).lower()).strip("-")[:40] or "file"
    return f"{stem}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"

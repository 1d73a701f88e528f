"""Which parser reads which file. A parser module registers itself at import; BUILTIN lists the
modules, so adding a format is one new module and one line here."""

from __future__ import annotations

import importlib
from pathlib import Path

from bot.importing.records import Parser

# Modules that call register(); imported on first use so `studybot` starts without them.
BUILTIN = (
    "bot.importing.markdown",
    "bot.importing.notes",
    "bot.importing.csv_import",
    "bot.importing.apkg",
)

PARSERS: dict[str, Parser] = {}  # kind -> parse(path, options)
SUFFIXES: dict[str, str] = {}  # ".md" -> "markdown"
_loaded = False


def register(kind: str, suffixes: tuple[str, ...], parser: Parser) -> None:
    """`suffixes` may be empty: such a kind is chosen by an option (`--notes`), never by a name."""
    PARSERS[kind] = parser
    for suffix in suffixes:
        SUFFIXES[suffix.lower()] = kind


def load_builtin() -> None:
    global _loaded
    if not _loaded:
        for module in BUILTIN:
            importlib.import_module(module)
        _loaded = True


def kind_for(path: Path) -> str | None:
    """The kind a file's extension names, or None when no parser reads it."""
    load_builtin()
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):  # ".tar.gz"-like names: the longest first
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def parser_for(kind: str) -> Parser:
    load_builtin()
    return PARSERS[kind]


def known_suffixes() -> list[str]:
    load_builtin()
    return sorted(SUFFIXES)

"""Content packs: the shipped bank (`core`) and the packs a team brings (content/packs/NAME/), and which
of them a community uses.

A pack is a folder with a pack.yaml (title, language, licence, source) beside question and lookup YAML
in the bank's own format. Every pack is loaded and validated at start and on reload; a community only
chooses which loaded packs its daily posts, practice, review and lookup draw from. The choice is a row
per (community, pack) in the database, and the rule for what is on is here, in one place:

- `core` is on unless the community turned it off: a new server gets the shipped bank at once;
- any other pack is off until an admin turns it on. A pack is someone's own material (a private deck,
  another exam, another language): a deployment that serves several teams must not show one team's
  import to every other team, and an operator who adds a pack to disk must not change what running
  communities are asked without their admins saying so.

A pack turned off keeps every answer and score: leaderboards and stats read the answers, not the packs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CORE = "core"
# Pack names are folder names, typed in commands and shown as Discord choices (at most 100 characters).
PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LANGUAGES = ("ja", "en")
# pack.yaml's flag (as `studybot content import` writes it) for a pack of imported material, whose
# questions may come without an explanation per choice (a question says so with choice_explanations: false).
IMPORTED = "imported"


@dataclass(frozen=True)
class Pack:
    name: str
    title: str
    language: str = "ja"
    licence: str = ""
    source: str = ""
    imported: bool = False  # True: a choice may lack its explanation (the reveal shows what exists)
    folder: str = ""  # where it was read from, relative to the content directory's parent
    questions: int = 0
    entries: int = 0


CORE_PACK = Pack(CORE, "studybot 標準問題集", "ja", "the project's licence", "content/questions, content/lookup")
TEXT_FIELDS = ("licence", "source")


def pack_problems(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a pack.yaml's values, as (field, message): all of it at once."""
    found = []
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        found.append(("title", "required text is missing or empty"))
    if meta.get("language") not in LANGUAGES:
        found.append(("language", f"must be one of {', '.join(LANGUAGES)}"))
    # absent or empty is allowed (a dry run of a new pack names neither); the importer asks for both
    found += [(key, "must be text") for key in TEXT_FIELDS if not isinstance(meta.get(key) or "", str)]
    if not isinstance(meta.get(IMPORTED, False), bool):
        found.append((IMPORTED, "must be true or false"))
    return found


def pack_from(name: str, meta: dict[str, Any], folder: str) -> Pack:
    """The pack a pack.yaml without problems (pack_problems) describes."""
    return Pack(
        name,
        meta["title"].strip(),
        meta["language"],
        (meta.get("licence") or "").strip(),
        (meta.get("source") or "").strip(),
        meta.get(IMPORTED, False),
        folder,
    )


def enabled_packs(settings: dict[str, bool]) -> frozenset[str]:
    """The packs a community has on, from its stored switches (pack -> on): `core` unless switched off,
    any other pack only when switched on."""
    on = {name for name, enabled in settings.items() if enabled}
    if settings.get(CORE, True):
        on.add(CORE)
    return frozenset(on)


@dataclass(frozen=True)
class PackState:
    """One pack as a community sees it: loaded or not (a pack switched on may have vanished from disk)."""

    name: str
    on: bool
    pack: Pack | None  # None: switched on, but no longer in the content

    @property
    def missing(self) -> bool:
        return self.pack is None


def pack_states(loaded: dict[str, Pack], settings: dict[str, bool]) -> list[PackState]:
    """Every loaded pack with its switch, `core` first, then the vanished packs that are still on."""
    on = enabled_packs(settings)
    names = sorted(loaded, key=lambda n: (n != CORE, n))
    states = [PackState(n, n in on, loaded[n]) for n in names]
    states += [PackState(n, True, None) for n in sorted(on - set(loaded))]
    return states

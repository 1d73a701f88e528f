"""What every parser returns: questions and lookup entries in the bank's own YAML shape, each with the
place it came from, and the problems found, each naming its file and place. One shape for every format
lets one piece of code assign ids, fill defaults, validate and write a pack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ImportedQuestion:
    """`data` is a question exactly as content/FORMAT.md writes it in YAML (and bot/content.py loads it):
    `prompt`, `choices` ([{id: a, text, explanation}, ...], ids a..f in order), `answer` ([b] or [a, c]),
    `explanation`; optionally `exams`, `services`, `difficulty`, `lang`, `shuffle`, and `source.section`
    (the topic, e.g. the heading above the question). Leave `id` and `source.seed` out: the importer
    derives the id (stable_id) and cites the file. A choice with no explanation of its own has
    `explanation: ""`; the importer marks the question `choice_explanations: false`.

    `key` is what makes the question the same question on the next import (an Anki note's guid); left
    empty, the prompt's and the choices' text are used. `place` is "line 12" or "note 1622733", shown
    in the report."""

    data: dict[str, Any]
    file: Path
    place: str
    key: str = ""


@dataclass
class ImportedLookup:
    """`data` is a lookup entry as content/FORMAT.md writes it: `term`, `summary` (a list of bullets),
    optionally `aliases`, `kind` (concept by default), `service`. `related` holds the *keys* of other
    entries of the same file (not ids; the importer turns them into ids). Leave `id` and `sources` out."""

    data: dict[str, Any]
    file: Path
    place: str
    key: str = ""  # what makes it the same entry next time; empty: the term


@dataclass(frozen=True)
class Problem:
    """Something not imported, or a whole file refused (place ""). Shown as `file line 12: reason`."""

    file: str
    place: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} {self.place}: {self.reason}" if self.place else f"{self.file}: {self.reason}"


@dataclass
class ParseResult:
    questions: list[ImportedQuestion] = field(default_factory=list)
    lookups: list[ImportedLookup] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not problems: "read as Shift_JIS", "3 cards had no choices"

    def problem(self, path: Path, place: str, reason: str) -> None:
        self.problems.append(Problem(path.name, place, reason))


@dataclass(frozen=True)
class ImportOptions:
    """What the user gave on the command line, for every parser."""

    pack: str
    exam: str | None = None  # --exam: the exam of every imported question that does not name its own
    service: str | None = None  # --service: the tag when none can be recognised in a question
    max_bytes: int = 20_000_000  # a file past this is refused unread


Parser = Callable[[Path, ImportOptions], ParseResult]

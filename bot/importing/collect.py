"""Gathering what one tabular file (CSV, Anki text export, Anki package) yields into a ParseResult: each
record judged a question or a lookup entry (bot/importing/fields.py), or reported with its place.

Duplicates inside one file are caught here by their content (prompt and choices, or term), so two Anki
notes with different guids but the same question are reported like two identical CSV rows.
"""

from __future__ import annotations

from pathlib import Path

from .fields import Record, Unmappable, duplicate_key, to_content
from .records import ImportedLookup, ImportedQuestion, ParseResult


class Collector:
    def __init__(self, path: Path):
        self.path = path
        self.result = ParseResult()
        self._seen: dict[tuple[str, ...], str] = {}

    def add(self, record: Record, place: str, key: str = "") -> None:
        """`key` identifies the record across imports (an Anki note's guid); a record's own id column
        (studybot's export writes one) serves when none is given."""
        key = key or record.values.get("id", "").strip()
        try:
            kind, data = to_content(record)
        except Unmappable as exc:
            self.problem(place, str(exc))
            return
        seen = duplicate_key(kind, data)
        if seen in self._seen:
            what = "question" if kind == "question" else "lookup entry"
            self.problem(place, f"the same {what} as at {self._seen[seen]}; left out")
            return
        self._seen[seen] = place
        if kind == "question":
            self.result.questions.append(ImportedQuestion(data, self.path, place, key))
        else:
            self.result.lookups.append(ImportedLookup(data, self.path, place, key))

    def problem(self, place: str, reason: str) -> None:
        self.result.problem(self.path, place, reason)

    def note(self, text: str) -> None:
        if text not in self.result.notes:
            self.result.notes.append(text)

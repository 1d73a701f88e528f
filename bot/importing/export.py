"""`studybot content export`: the bank (or one pack) out as an Anki deck or as CSV, in shapes the importer
reads back to the same questions.

- Anki (genanki, the legacy .apkg every Anki version reads): one note per question of the note type
  "studybot question"; the front shows the prompt and the choices, the back the answer, the explanation
  and every choice's own explanation. The note type and the deck have fixed ids and each note's guid
  comes from the question's id, so importing a newer export into Anki updates the notes instead of adding
  copies, and importing it back into studybot updates the same pack questions.
- CSV: the header-row shape of bot/importing/csv_import.py (COLUMNS), UTF-8 with a BOM so that Excel
  opens the Japanese text correctly.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import genanki

from bot.content import ContentBank, Question, load_content

from .csv_import import COLUMNS
from .html_text import text_to_html
from .pack import packs_root
from .pack_check import load_pack

LETTERS = "ABCDEF"
MODEL_ID = 1_733_000_016  # fixed: Anki recognises later exports as the same note type
FIELDS = [
    "Prompt",
    *(f"Choice {x}" for x in LETTERS),
    "Answer",
    "Explanation",
    *(f"Explanation {x}" for x in LETTERS),
    "Exams",
    "Services",
    "Topic",
    "Difficulty",
    "Lang",
    "Shuffle",
    "Id",
]
_FRONT = (
    '<div class="prompt">{{Prompt}}</div>\n<ol class="choices" type="A">\n'
    + "".join(f"{{{{#Choice {x}}}}}<li>{{{{Choice {x}}}}}</li>{{{{/Choice {x}}}}}\n" for x in LETTERS)
    + "</ol>"
)
_BACK = (
    '{{FrontSide}}\n<hr id="answer">\n<div class="answer">{{Answer}}</div>\n'
    '<div class="explanation">{{Explanation}}</div>\n<dl class="why">\n'
    + "".join(
        f"{{{{#Explanation {x}}}}}<dt>{x}. {{{{Choice {x}}}}}</dt><dd>{{{{Explanation {x}}}}}</dd>{{{{/Explanation {x}}}}}\n"
        for x in LETTERS
    )
    + "</dl>"
)
_CSS = (
    ".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
    ".answer { font-weight: bold; margin: 0.5em 0; }\n"
    "dt { font-weight: bold; margin-top: 0.5em; }\n"
)
MODEL = genanki.Model(
    MODEL_ID,
    "studybot question",
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Question", "qfmt": _FRONT, "afmt": _BACK}],
    css=_CSS,
)


class ExportRefused(Exception):
    """Nothing was written; the message says why."""


def bank_questions(content_dir: Path, pack: str | None) -> list[Question]:
    """The questions of the shipped bank (`core` or no pack) or of one pack, in id order."""
    core = load_content(content_dir)
    if pack in (None, "core"):
        bank: ContentBank = core
    else:
        folder = packs_root(content_dir) / pack
        if not folder.is_dir():
            raise ExportRefused(f"no pack {pack!r} in {packs_root(content_dir)}")
        bank = load_pack(folder, core)
    return [bank.questions[qid] for qid in sorted(bank.questions)]


def answer_letters(q: Question) -> str:
    return ", ".join(c.id.upper() for c in q.choices if c.id in q.answer)


def _row(q: Question) -> dict[str, str]:
    """One question as named text fields, shared by both formats (CSV column -> value)."""
    row = {name: "" for name in COLUMNS}
    row["prompt"] = q.prompt
    for c in q.choices:
        row[f"choice_{c.id}"] = c.text
        row[f"explanation_{c.id}"] = c.explanation
    row["answer"] = answer_letters(q)
    row["explanation"] = q.explanation
    row["exam"] = ", ".join(q.exams)
    row["services"] = ", ".join(q.services)
    row["topic"] = q.source.section
    row["difficulty"] = str(q.difficulty)
    row["lang"] = q.lang
    row["shuffle"] = "" if q.shuffle else "false"
    row["id"] = q.id
    return row


def write_csv(questions: Iterable[Question], target: Path) -> int:
    count = 0
    with _atomic(target, newline="", encoding="utf-8-sig") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS), lineterminator="\r\n")
        writer.writeheader()
        for q in questions:
            writer.writerow(_row(q))
            count += 1
    return count


def write_anki(questions: Iterable[Question], target: Path, deck_name: str) -> int:
    deck = genanki.Deck(_deck_id(deck_name), deck_name)
    for q in questions:
        row = _row(q)
        fields = [
            text_to_html(row["prompt"]),
            *(text_to_html(row[f"choice_{x}"]) for x in "abcdef"),
            row["answer"],
            text_to_html(row["explanation"]),
            *(text_to_html(row[f"explanation_{x}"]) for x in "abcdef"),
            row["exam"],
            row["services"],
            text_to_html(row["topic"]),
            row["difficulty"],
            row["lang"],
            row["shuffle"],
            row["id"],
        ]
        tags = [*q.exams, *q.services]
        deck.add_note(genanki.Note(model=MODEL, fields=fields, tags=tags, guid=genanki.guid_for("studybot", q.id)))
    with _atomic(target, binary=True) as f:
        genanki.Package(deck).write_to_file(f, timestamp=0)
    return len(deck.notes)


def _deck_id(name: str) -> int:
    """A stable deck id per deck name (Anki ids are 63-bit), so a re-export lands in the same deck."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big") | (1 << 40)


class _atomic:
    """A file written beside the target and renamed over it: a failed export leaves the old file."""

    def __init__(self, target: Path, binary: bool = False, **kwargs: str):
        self.target, self.binary, self.kwargs = target, binary, kwargs

    def __enter__(self):  # type: ignore[no-untyped-def]
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", dir=self.target.parent)
        self.tmp = Path(name)
        self.file = os.fdopen(fd, "wb" if self.binary else "w", **self.kwargs)
        return self.file

    def __exit__(self, kind, value, tb) -> None:  # type: ignore[no-untyped-def]
        self.file.close()
        if kind is None:
            os.replace(self.tmp, self.target)
        else:
            self.tmp.unlink(missing_ok=True)


def export(content_dir: Path, pack: str | None, anki: Path | None, csv_path: Path | None) -> list[str]:
    """Write what was asked; the lines say what was written where."""
    if anki is None and csv_path is None:
        raise ExportRefused("say what to write: --anki FILE.apkg and/or --csv FILE.csv")
    for target in (anki, csv_path):
        if target is not None and not target.parent.resolve().is_dir():
            raise ExportRefused(f"no folder {target.parent} to write {target.name} in")
    questions = bank_questions(content_dir, pack)
    if not questions:
        raise ExportRefused(f"pack {pack or 'core'!r} holds no questions")
    name = pack or "core"
    lines = []
    if anki is not None:
        count = write_anki(questions, anki, f"studybot::{name}")
        lines.append(f"{anki}: {count} question(s) as Anki notes (deck studybot::{name})")
    if csv_path is not None:
        count = write_csv(questions, csv_path)
        lines.append(f"{csv_path}: {count} question(s) as CSV")
    return lines

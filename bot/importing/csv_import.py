"""CSV and TSV question files with a header row naming the columns:

    prompt, choice_a, choice_b, … choice_f, answer, explanation, exam, services

and optionally explanation_a … explanation_f (each choice's own explanation), topic, difficulty, lang and
id (what keeps a question the same question on the next import). Names are compared loosely ("Choice A",
"choice-a"), Japanese ones too (問題, 正解, 解説, 選択肢A; see bot/importing/fields.py). The answer is
letters ("B", "A, C"). A cell holding HTML tags is turned into text. A file that starts with Anki's
`#separator:` header lines is read as Anki's text export (bot/importing/anki_text.py).

Each row is reported by the line it starts on, so a spreadsheet user finds it.
"""

from __future__ import annotations

from pathlib import Path

from . import anki_text
from .collect import Collector
from .csv_rows import delimiter_label, rows_with_lines
from .fields import Record, role
from .html_text import field_text
from .records import ImportOptions, ParseResult
from .registry import register
from .text import Refused, read_text

# The shape studybot's own export writes (bot/importing/export.py), in its order.
COLUMNS = (
    "prompt",
    *(f"choice_{x}" for x in "abcdef"),
    "answer",
    "explanation",
    *(f"explanation_{x}" for x in "abcdef"),
    "exam",
    "services",
    "topic",
    "difficulty",
    "lang",
    "shuffle",
    "id",
)
_DELIMITERS = (",", "\t", ";")


def parse_file(path: Path, options: ImportOptions) -> ParseResult:
    """A .csv / .tsv / .txt file: Anki's text export when it starts with its header lines, else CSV."""
    text, how = read_text(path, options.max_bytes)
    out = Collector(path)
    if how != "UTF-8":
        out.note(f"read as {how}")
    if anki_text.is_anki_text(text):
        anki_text.parse(text, out)
    else:
        parse(text, out, "\t" if path.suffix.lower() == ".tsv" else None)
    return out.result


def parse(text: str, out: Collector, delimiter: str | None = None) -> None:
    delimiter = delimiter or sniff_delimiter(text)
    rows = rows_with_lines(text, delimiter, out)
    header = next(rows, None)
    if header is None:
        raise Refused("empty: no header row and no questions")
    line, labels = header
    places = [role(label) for label in labels]
    if not {p[0] for p in places if p} & {"prompt", "front", "choice"}:
        raise Refused(
            f"line {line} is not a header row naming the columns (prompt, choice_a, choice_b, … answer, "
            "explanation, exam, services)"
        )
    seen: dict[tuple[str, str], str] = {}
    for label, place in zip(labels, places, strict=True):
        if place is None:
            if label.strip():
                out.note(f"column {label.strip()!r} is not used")
        elif place in seen and place[0] != "tags":
            raise Refused(f"line {line}: columns {seen[place]!r} and {label!r} say the same thing")
        else:
            seen[place] = label
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(labels) and any(cell.strip() for cell in row[len(labels) :]):
            out.problem(
                f"line {line}",
                f"{len(row)} fields but the header names {len(labels)} (a {delimiter_label(delimiter)} outside quotes?)",
            )
            continue
        record = Record()
        for place, cell in zip(places, row, strict=False):
            if place is not None:
                record.put(place, field_text(cell, None))
        out.add(record, f"line {line}")


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: whichever of comma, tab and semicolon it holds most of."""
    first = text.split("\n", 1)[0]
    return max(_DELIMITERS, key=first.count)


register("csv", (".csv", ".tsv"), parse_file)
register("anki-text", (".txt",), parse_file)

"""Anki's text export ("Notes in Plain Text", .txt / .csv): a few header lines, then one note per row.

    #separator:tab            tab, comma, semicolon, space, pipe, colon, or the character itself
    #html:true                the fields are HTML (turned into text here); false: plain text
    #columns:Front	Back	Tags  names of the columns (then they map like a CSV header row)
    #tags:aws dop             tags for every note
    #notetype column:1        columns that are not fields: notetype, deck, tags, guid (1-based)

Rows whose fields name choices (Choice A …, see bot/importing/fields.py) are questions; two-field notes
(Front/Back) are lookup entries. Unlabelled columns are read as Front, Back. Lines starting with `#` in the
body are comments, as in Anki.
"""

from __future__ import annotations

import re

from .collect import Collector
from .csv_rows import rows_with_lines
from .fields import Record, role
from .html_text import field_text
from .text import Refused

_META = re.compile(r"^#([a-zA-Z ]+):(.*)$")
_KEYS = frozenset(
    (
        "separator",
        "html",
        "tags",
        "columns",
        "notetype",
        "deck",
        "notetype column",
        "deck column",
        "tags column",
        "guid column",
    )
)
_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}


def is_anki_text(text: str) -> bool:
    first = text.split("\n", 1)[0].rstrip("\r")
    if first.startswith("tags:"):
        return True
    m = _META.match(first)
    return bool(m and m.group(1).strip().lower() in _KEYS)


def parse(text: str, out: Collector) -> None:
    lines = text.split("\n")
    meta: dict[str, str] = {}
    count = 0
    for index, raw in enumerate(lines):
        line = raw.rstrip("\r")
        if index == 0 and line.startswith("tags:"):
            meta["tags"] = line[5:]
        elif m := _META.match(line):
            meta[m.group(1).strip().lower()] = m.group(2)
        elif line.startswith("#"):
            pass  # a comment among the header lines
        else:
            break
        count = index + 1
    delimiter = _separator(meta.get("separator"), lines[count:])
    is_html = _flag(meta.get("html"))
    meta_columns = {}
    for key in ("notetype column", "deck column", "tags column", "guid column"):
        if key in meta:
            value = meta[key].strip()
            if not value.isdigit() or int(value) < 1:
                raise Refused(f"header #{key}:{value} is not a column number (1, 2, …)")
            meta_columns[int(value) - 1] = key.split()[0]
    body = "\n".join(lines[count:])  # rows are numbered from the line after the header lines
    labels = _labels(meta.get("columns"), delimiter)
    global_tags = meta.get("tags", "").split()
    deck = meta.get("deck", "")
    layouts: dict[int, tuple[list[tuple[str, str] | None], list[int]]] = {}
    for line, row in rows_with_lines(body, delimiter, out, comments=True, first_line=count + 1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) not in layouts:  # Anki pads its rows to one width; a hand-made file may not
            layouts[len(row)] = _places(labels, len(row), meta_columns, out)
        places, unnamed = layouts[len(row)]
        if any(row[i].strip() for i in unnamed if i < len(row)):
            out.problem(
                f"line {line}",
                f"{sum(1 for i in unnamed if i < len(row)) + 2} fields and no #columns: line saying what they are; "
                "add one (#columns:Question<tab>Choice A<tab>…<tab>Answer<tab>Explanation) to import it",
            )
            continue
        record = Record(tags=[*global_tags, *deck.split("::")])
        guid = ""
        for index, cell in enumerate(row):
            column = meta_columns.get(index)
            if column == "guid":
                guid = cell.strip()
            elif column == "tags":
                record.tags.extend(cell.split())
            elif column == "deck":
                record.tags.extend(cell.split("::"))
            elif index < len(places) and places[index] is not None:
                record.put(places[index], field_text(cell, is_html))  # type: ignore[arg-type]
        out.add(record, f"line {line}", guid)


def _separator(value: str | None, body: list[str]) -> str:
    if value is None:
        sample = "\n".join(body[:20])
        return "\t" if "\t" in sample else max((",", ";", "|"), key=sample.count)
    name = value.strip().lower()
    if name in _SEPARATORS:
        return _SEPARATORS[name]
    if len(value) == 1:
        return value
    raise Refused(f"header #separator:{value} names no separator (tab, comma, semicolon, space, pipe, colon)")


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    word = value.strip().lower()
    if word not in ("true", "false"):
        raise Refused(f"header #html:{value} must be true or false")
    return word == "true"


def _labels(value: str | None, delimiter: str) -> list[str]:
    if not value:
        return []
    return next(iter(rows_with_lines(value, delimiter, None)), (0, []))[1]


def _places(
    labels: list[str], width: int, meta_columns: dict[int, str], out: Collector
) -> tuple[list[tuple[str, str] | None], list[int]]:
    """What each column of the rows is for: by the #columns: names when they say, else Front and Back; and
    the columns left unread because no name says what they are (Anki's own export writes no #columns:
    line, so a choice note arrives as unnamed columns: guessing would make a lookup of its prompt)."""
    field_columns = [i for i in range(max(width, len(labels))) if i not in meta_columns]
    places: list[tuple[str, str] | None] = [None] * max(width, len(labels))
    named = {i: role(labels[i]) for i in field_columns if i < len(labels)}
    if any(p and p[0] in ("prompt", "front", "choice") for p in named.values()):
        for i, place in named.items():
            places[i] = place
        return places, []
    for i, kind in zip(field_columns, ("front", "back"), strict=False):
        places[i] = (kind, "")
    extra = field_columns[2:]
    if extra and labels:
        out.note(
            f"read as Front and Back (columns {field_columns[0] + 1} and {field_columns[1] + 1}); {len(extra)} "
            "other column(s) not used: name the columns with #columns: to import questions"
        )
    return places, [] if labels else extra

"""Rows of delimited text with the line each starts on, for the CSV and the Anki text readers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from .collect import Collector

_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", " ": "space", "|": "pipe", ":": "colon"}


def delimiter_label(delimiter: str) -> str:
    return _NAMES.get(delimiter, repr(delimiter))


def rows_with_lines(
    text: str, delimiter: str, out: Collector | None, *, comments: bool = False, first_line: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """Each row with the line it starts on (a quoted cell may span lines). A row the csv module cannot
    read ends the file with a problem naming its line: past a broken quote no later line can be trusted.
    With `comments`, rows starting with # are skipped, as Anki does."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = first_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if out is not None:
                out.problem(
                    f"line {start}",
                    f"not readable as {delimiter_label(delimiter)}-separated text ({exc}); the rest of the file was not read",
                )
            return
        line, start = start, reader.line_num + first_line
        if comments and row and row[0].startswith("#"):
            continue
        yield line, row

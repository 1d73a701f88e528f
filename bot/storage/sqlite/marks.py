"""The marks of SQLite's folds: rows derived from the answers just after they are acknowledged (the
leaderboard totals, score_mark; the reviews, review_mark). A mark is the last answer id folded in,
moved in the same transaction as what the fold wrote, so a crash neither loses nor repeats an answer."""

from __future__ import annotations

import sqlite3
from typing import Literal

Mark = Literal["score_mark", "review_mark"]


def pending(conn: sqlite3.Connection, mark: Mark, limit: int | None) -> tuple[int, int, int]:
    """(start, end, last): fold the answers with start < id <= end (at most `limit`); last is the newest."""
    start = conn.execute(f"SELECT answer_id FROM {mark} WHERE id = 1").fetchone()[0]
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM answers").fetchone()[0]
    return start, last if limit is None else min(last, start + limit), last


def move(conn: sqlite3.Connection, mark: Mark, end: int) -> None:
    conn.execute(f"UPDATE {mark} SET answer_id = ? WHERE id = 1", (end,))


def move_to_last(conn: sqlite3.Connection, mark: Mark) -> None:
    """Every answer stored so far counts as folded in."""
    conn.execute(f"UPDATE {mark} SET answer_id = (SELECT COALESCE(MAX(id), 0) FROM answers) WHERE id = 1")

"""Reviews in SQLite: the learner's FSRS cards and review logs (written with the answers, in
answers.py) read back for the due queue, readiness and the optimizer, and the community's retention."""

from __future__ import annotations

import sqlite3

from bot.memory import CardState
from bot.models import ReviewLogRow
from bot.storage.rows import review_log_row


def set_desired_retention(conn: sqlite3.Connection, community_id: int, retention: float) -> None:
    conn.execute("UPDATE communities SET desired_retention = ? WHERE id = ?", (retention, community_id))


def review_cards(conn: sqlite3.Connection, user_id: int, community_id: int, due_by: float | None) -> list[CardState]:
    """The learner's cards in the community; with due_by, only those due by then, soonest due first."""
    # Plain tuples, not sqlite3.Row: a queue can be thousands of rows, and CardState takes them by position.
    cursor = conn.cursor()
    cursor.row_factory = None
    if due_by is None:
        cursor.execute(
            "SELECT question_id, due, state, stability, last_review FROM review_cards"
            " WHERE user_id = ? AND community_id = ?",
            (user_id, community_id),
        )
    else:
        cursor.execute(
            "SELECT question_id, due, state, stability, last_review FROM review_cards"
            " WHERE user_id = ? AND community_id = ? AND due <= ? ORDER BY due",
            (user_id, community_id, due_by),
        )
    return list(map(CardState._make, cursor.fetchall()))


def review_logs(conn: sqlite3.Connection, user_id: int, community_id: int) -> list[ReviewLogRow]:
    rows = conn.execute(
        "SELECT answer_id, question_id, card_id, rating, review_datetime, review_duration FROM review_logs"
        " WHERE user_id = ? AND community_id = ? ORDER BY review_datetime, answer_id",
        (user_id, community_id),
    )
    return [review_log_row(r) for r in rows]


def due_review_count(conn: sqlite3.Connection, user_id: int, community_id: int, due_by: float) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM review_cards WHERE user_id = ? AND community_id = ? AND due <= ?",
        (user_id, community_id, due_by),
    ).fetchone()[0]

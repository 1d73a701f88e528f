"""Reviews in SQLite: every stored answer is a review of its question (the learner's FSRS card moved on
by bot/memory.py, and a review log), applied by a fold from the answers table, and the cards and logs
read back for the due queue, readiness, reminders and the optimizer.

Why a fold rather than in the answer's own batch: computing a card is about 25 us of Python per answer
and writing it two more rows, which made a burst's clicks wait 40-60% longer (bench/answers.py
--reviews-only); a click's reply never needs its card. So, as with the leaderboard totals, the reviews
are applied just after the answers are acknowledged, a bounded chunk at a time, and always before a
card or log is read. review_mark is the last answer id applied, written in the same transaction as the
cards and logs, so a crash can neither lose a review nor apply one twice; answers are inserted by one
writer, so ids rise in the order the answers were decided.
"""

from __future__ import annotations

import json
import logging
import sqlite3

from bot.memory import CardState, CardUpdate, answer_duration_ms, review
from bot.models import ReviewLogRow
from bot.storage.rows import review_log_row
from bot.storage.sqlite import marks, transactions

log = logging.getLogger("studybot.storage")

# The answers after the mark, oldest first, with what their reviews need.
PENDING = """
    SELECT a.id, a.user_id, a.community_id, a.question_id, a.correct, a.answered_at, p.posted_at,
        c.desired_retention
    FROM answers a JOIN posts p ON p.id = a.post_id JOIN communities c ON c.id = a.community_id
    WHERE a.id > ? AND a.id <= ? ORDER BY a.id
"""
SAVE_CARD = (
    "INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability, difficulty,"
    " last_review, reps, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO UPDATE SET card_id = excluded.card_id, state = excluded.state, due = excluded.due,"
    " stability = excluded.stability, difficulty = excluded.difficulty, last_review = excluded.last_review,"
    " reps = excluded.reps, data = excluded.data"
)
SAVE_LOG = (
    "INSERT INTO review_logs (answer_id, user_id, community_id, question_id, card_id, rating, review_datetime,"
    " review_duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

Key = tuple[int, int, str]  # (user, community, question): one card


def fold_reviews_tx(conn: sqlite3.Connection, limit: int | None) -> bool:
    with transactions.Tx(conn):
        return fold_reviews(conn, limit)


def fold_reviews(conn: sqlite3.Connection, limit: int | None) -> bool:
    """Apply the reviews of the answers stored since the mark (at most `limit`); True when some are left."""
    start, end, last = marks.pending(conn, "review_mark", limit)
    if end > start:
        _apply(conn, conn.execute(PENDING, (start, end)).fetchall())
        marks.move(conn, "review_mark", end)
    return end < last


def _apply(conn: sqlite3.Connection, answers: list[sqlite3.Row]) -> None:
    """Each answer, in order, as a review: a learner's second answer to a question builds on the first."""
    cards = _cards(conn, answers)
    changed: dict[Key, tuple[CardUpdate, int]] = {}
    logs: list[tuple[object, ...]] = []
    for answer_id, user_id, community_id, question_id, correct, at, posted_at, retention in answers:
        key = (user_id, community_id, question_id)
        data, reps = cards.get(key) or (None, 0)
        try:
            update = review(data, answer_id, bool(correct), at, answer_duration_ms(posted_at, at), retention)
        except Exception:  # the answer, its points and streak stand; only this review is left out
            log.exception("answer %s: could not compute its review; the answer stays without one", answer_id)
            continue
        cards[key] = (update.data, reps + 1)
        changed[key] = (update, reps + 1)
        logs.append((answer_id, *key, update.card_id, update.rating, at, update.duration_ms))
    conn.executemany(
        SAVE_CARD,
        [
            (*key, u.card_id, u.state, u.due, u.stability, u.difficulty, u.last_review, reps, u.data)
            for key, (u, reps) in changed.items()
        ],
    )
    conn.executemany(SAVE_LOG, logs)


def _cards(conn: sqlite3.Connection, answers: list[sqlite3.Row]) -> dict[Key, tuple[str, int]]:
    """The stored cards (data, reps) these answers review: one query per community and question."""
    users: dict[tuple[int, str], set[int]] = {}
    for _, user_id, community_id, question_id, *_rest in answers:
        users.setdefault((community_id, question_id), set()).add(user_id)
    cards: dict[Key, tuple[str, int]] = {}
    for (community_id, question_id), ids in users.items():
        rows = conn.execute(
            "SELECT user_id, data, reps FROM review_cards WHERE community_id = ? AND question_id = ?"
            " AND user_id IN (SELECT value FROM json_each(?))",
            (community_id, question_id, json.dumps(sorted(ids))),
        )
        for user_id, data, reps in rows:
            cards[(user_id, community_id, question_id)] = (data, reps)
    return cards


def set_desired_retention(conn: sqlite3.Connection, community_id: int, retention: float) -> None:
    conn.execute("UPDATE communities SET desired_retention = ? WHERE id = ?", (retention, community_id))


def review_cards(conn: sqlite3.Connection, user_id: int, community_id: int, due_by: float | None) -> list[CardState]:
    """The learner's cards in the community; with due_by, only those due by then, soonest due first."""
    fold_reviews(conn, None)
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
    fold_reviews(conn, None)
    rows = conn.execute(
        "SELECT answer_id, question_id, card_id, rating, review_datetime, review_duration FROM review_logs"
        " WHERE user_id = ? AND community_id = ? ORDER BY review_datetime, answer_id",
        (user_id, community_id),
    )
    return [review_log_row(r) for r in rows]


def due_review_count(conn: sqlite3.Connection, user_id: int, community_id: int, due_by: float) -> int:
    fold_reviews(conn, None)
    return conn.execute(
        "SELECT COUNT(*) FROM review_cards WHERE user_id = ? AND community_id = ? AND due <= ?",
        (user_id, community_id, due_by),
    ).fetchone()[0]

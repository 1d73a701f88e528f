"""The memory model of one learner for one question: an FSRS card (the `fsrs` library, Anki's scheduler).

Pure functions of plain values, so both storage backends call them inside the answer's own transaction
(no extra round trip) and the core calls them to order a review queue and to estimate readiness.

Why these settings: studybot is studied once a day (a daily post, a few practice questions), not in
Anki-style sittings of minutes. Anki's default learning steps (1 and 10 minutes) would make a question
due again before the learner is back; one step of a day instead means a question answered wrong comes
back tomorrow, and one answered right moves on to the intervals FSRS computes from its stability.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from fsrs import Card, Rating, Scheduler, State

DEFAULT_RETENTION = 0.9  # the share of due reviews FSRS aims to have the learner get right
MIN_RETENTION, MAX_RETENTION = 0.7, 0.97  # beyond these the workload grows absurd or reviews stop mattering
LEARNING_STEPS = (timedelta(days=1),)  # a new question answered wrong: again tomorrow
RELEARNING_STEPS = (timedelta(days=1),)  # a known question forgotten: again tomorrow, then FSRS intervals
DAY = 86400.0


class CardUpdate(NamedTuple):
    """A card after one review, as the backends store it: the library's own JSON plus the columns that
    queries need (due for the queue, stability and last_review for retrievability)."""

    data: str  # fsrs.Card.to_json()
    card_id: int
    state: int
    due: float  # seconds since the epoch
    stability: float | None
    difficulty: float | None
    last_review: float
    rating: int  # the review log's rating (fsrs.Rating)
    duration_ms: int  # the review log's review_duration


class CardState(NamedTuple):
    """What the queue and readiness need of a stored card."""

    question_id: str
    due: float
    state: int
    stability: float | None
    last_review: float | None


@functools.lru_cache(maxsize=64)
def scheduler(retention: float = DEFAULT_RETENTION) -> Scheduler:
    """The scheduler of a community (its desired retention); cached, as one is built per answer batch."""
    return Scheduler(
        desired_retention=retention,
        learning_steps=LEARNING_STEPS,
        relearning_steps=RELEARNING_STEPS,
        enable_fuzzing=True,
    )


def rating_for(correct: bool) -> Rating:
    """Two grades only: a wrong answer is Again (never Hard), a right one Good."""
    return Rating.Good if correct else Rating.Again


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def review(
    previous: str | None, card_id: int, correct: bool, at: float, duration_ms: int, retention: float
) -> CardUpdate:
    """The card after the learner answered at `at`; `previous` is the stored card JSON (None: first time).
    A stored card that cannot be read (hand-edited, another library version) starts afresh rather than
    losing the answer."""
    card = None
    if previous:
        try:
            card = Card.from_json(previous)
        except (ValueError, KeyError, TypeError):
            card = None
    if card is None:
        card = Card(card_id=card_id, due=_utc(at))
    rating = rating_for(correct)
    card, _ = scheduler(retention).review_card(card, rating, _utc(at), duration_ms)
    assert card.last_review is not None
    return CardUpdate(
        data=card.to_json(),
        card_id=card.card_id,
        state=int(card.state),
        due=card.due.timestamp(),
        stability=card.stability,
        difficulty=card.difficulty,
        last_review=card.last_review.timestamp(),
        rating=int(rating),
        duration_ms=duration_ms,
    )


def answer_duration_ms(posted_at: float, answered_at: float) -> int:
    """The answer time the review log keeps: from the question being posted to the answer."""
    return max(0, round((answered_at - posted_at) * 1000))


def retrievability(card: CardState, now: float, retention: float = DEFAULT_RETENTION) -> float:
    """The chance the learner recalls the card at `now`: the library's forgetting curve (its
    Scheduler.get_card_retrievability, whole days elapsed), computed from the scheduler's own decay
    parameter without building a Card, since a review queue or a readiness figure asks it of thousands
    of cards (tests/test_readiness.py checks it against the library)."""
    if card.stability is None or card.last_review is None:
        return 0.0
    decay, factor = forgetting_curve(retention)
    elapsed = max(0, int((now - card.last_review) // DAY))
    return (1 + factor * elapsed / card.stability) ** decay


@functools.lru_cache(maxsize=64)
def forgetting_curve(retention: float) -> tuple[float, float]:
    """(decay, factor) of FSRS-6's power forgetting curve, from the scheduler's parameters[20]."""
    decay = -scheduler(retention).parameters[20]
    return decay, 0.9 ** (1 / decay) - 1


def is_learning(state: int) -> bool:
    return state in (State.Learning, State.Relearning)

"""The review queue of one learner: which questions are due, in which order, and how many.

A question is due "today" when its FSRS card falls due before the learner's local day ends (the
community's time zone unless another is given): FSRS schedules in whole days from the time of the last
answer, so a card answered at 21:00 yesterday with a one-day interval counts in the morning already,
as Anki counts a day's reviews. Questions no longer in the bank are skipped (their cards are kept:
a question that comes back resumes where it was).
"""

from __future__ import annotations

import random
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fsrs import Rating, ReviewLog

from bot.commands import UserError
from bot.memory import DEFAULT_RETENTION, MAX_RETENTION, MIN_RETENTION, CardState, forgetting_curve
from bot.models import Community, ReviewLogRow

if TYPE_CHECKING:
    from bot.storage import Storage

DAY = 86400.0


def end_of_day(now: datetime, timezone: str) -> datetime:
    """The first instant of the day after `now`'s local date in `timezone`."""
    zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), zone)


async def _zone(storage: Storage, community_id: int, timezone: str | None) -> tuple[str, float]:
    """(where the day ends, the community's retention)."""
    community = await storage.community_by_id(community_id)
    if community is None:
        return timezone or "UTC", DEFAULT_RETENTION
    return timezone or community.timezone, community.desired_retention


async def count_due(
    storage: Storage,
    user_id: int,
    community_id: int,
    now: datetime,
    *,
    bank: Container[str] | None = None,
    timezone: str | None = None,
) -> int:
    """How many reviews the learner has due today in the community at `now` (see the module's doc).
    With `bank` (the question ids in service, e.g. ContentBank.questions), questions removed from the
    content are left out; `timezone` overrides the community's for where the day ends."""
    zone, _ = await _zone(storage, community_id, timezone)
    due_by = end_of_day(now, zone).timestamp()
    if bank is None:
        return await storage.due_review_count(user_id, community_id, due_by)
    cards = await storage.review_cards(user_id, community_id, due_by)
    return sum(1 for card in cards if card.question_id in bank)


def due_order(cards: list[CardState], now: float, retention: float = DEFAULT_RETENTION) -> list[CardState]:
    """Due cards in the order they are asked: most overdue (in whole days) first, then the lowest
    retrievability (the likeliest to be forgotten), then the question id, so the order is stable.
    A queue can hold thousands of cards: the forgetting curve is inlined (memory.retrievability)."""
    decay, factor = forgetting_curve(retention)

    def key(card: CardState) -> tuple[float, float, str]:
        if card.stability is None or card.last_review is None:
            recall = 0.0
        else:
            recall = (1 + factor * max(0, (now - card.last_review) // DAY) / card.stability) ** decay
        return (-((now - card.due) // DAY), recall, card.question_id)

    return sorted(cards, key=key)


async def due_queue(
    storage: Storage, user_id: int, community: Community, now: datetime, bank: Container[str]
) -> list[CardState]:
    """The learner's questions due today and still in the bank, in the order they are asked."""
    cards = await storage.review_cards(user_id, community.id, end_of_day(now, community.timezone).timestamp())
    return due_order([c for c in cards if c.question_id in bank], now.timestamp(), community.desired_retention)


def optimizer_logs(rows: list[ReviewLogRow]) -> list[ReviewLog]:
    """Stored review logs as the library's ReviewLog objects, what fsrs.Optimizer fits a learner from."""
    return [
        ReviewLog(
            card_id=row.card_id,
            rating=Rating(row.rating),
            review_datetime=datetime.fromtimestamp(row.review_datetime, UTC),
            review_duration=row.review_duration,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ReviewPick:
    """The next question of a review, and how many others are due today besides it."""

    question_id: str
    due_left: int
    new: bool  # never reviewed: nothing was due


def new_question(seen: Iterable[str], candidates: Iterable[str], rng: random.Random) -> ReviewPick | None:
    """A random candidate the learner never reviewed (None: they have seen them all)."""
    new = sorted(set(candidates) - set(seen))
    return ReviewPick(rng.choice(new), 0, True) if new else None


def next_due_at(cards: list[CardState], candidates: Container[str]) -> float | None:
    """When the next of these cards falls due (None: no card)."""
    return min((c.due for c in cards if c.question_id in candidates), default=None)


def parse_retention(text: str) -> float:
    """An admin's desired retention: "0.85", "85" or "85%" -> 0.85, within MIN/MAX_RETENTION."""
    raw = text.strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise UserError("retention.usage", low=MIN_RETENTION, high=MAX_RETENTION) from None
    if value > 1:
        value /= 100
    if not MIN_RETENTION <= value <= MAX_RETENTION or value != value:
        raise UserError("retention.usage", low=MIN_RETENTION, high=MAX_RETENTION)
    return round(value, 4)

"""Which question comes next: for a channel's daily post, and for a user's practice."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.content import EXAMS, ContentBank, Question, normalize
from bot.lookup import LookupIndex
from bot.models import HistoryItem


@dataclass(frozen=True)
class QuestionFilter:
    exam: str | None = None
    service: str | None = None

    def describe(self) -> str:
        return " / ".join(x for x in (self.exam, self.service) if x)


def resolve_filter(text: str, bank: ContentBank, index: LookupIndex) -> QuestionFilter | None:
    """'DOP', 'dop-c02', 'dynamodb', 'DDB' or 'ダイナモ' -> a filter; None when nothing matches."""
    key = normalize(text).replace(" ", "")
    if not key:
        return QuestionFilter()
    for exam in EXAMS:
        if key in (normalize(exam), normalize(exam).split("-")[0]):
            return QuestionFilter(exam=exam)
    services = bank.services()
    if key in services:
        return QuestionFilter(service=key)
    found = index.find(text)
    if found.entry is not None and found.entry.service in services:
        return QuestionFilter(service=found.entry.service)
    return None


def choose_daily(candidates: list[Question], history: dict[str, float], rng: random.Random) -> Question | None:
    """A question the channel has not seen; once all are seen, the least recently used."""
    if not candidates:
        return None
    unseen = [q for q in candidates if q.id not in history]
    if unseen:
        return rng.choice(sorted(unseen, key=lambda q: q.id))
    return min(candidates, key=lambda q: (history[q.id], q.id))


def choose_practice(candidates: list[Question], history: list[HistoryItem], rng: random.Random) -> Question | None:
    """Never-seen questions first, then ones the user got wrong last time, then the least recent."""
    if not candidates:
        return None
    last: dict[str, HistoryItem] = {}
    for item in history:  # history is in time order: the last one per question wins
        last[item.question_id] = item
    unseen = [q for q in candidates if q.id not in last]
    if unseen:
        return rng.choice(sorted(unseen, key=lambda q: q.id))
    wrong = [q for q in candidates if not last[q.id].correct]
    if wrong:
        return rng.choice(sorted(wrong, key=lambda q: q.id))
    return min(candidates, key=lambda q: (last[q.id].answered_at, q.id))

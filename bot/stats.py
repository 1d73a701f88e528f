"""Personal stats: how a user is doing overall, by exam and by service."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.content import ContentBank
from bot.models import HistoryItem, PostKind, Streak
from bot.readiness import ExamReadiness


@dataclass(frozen=True)
class Tally:
    answered: int = 0
    correct: int = 0

    def add(self, correct: bool) -> Tally:
        return Tally(self.answered + 1, self.correct + int(correct))


@dataclass(frozen=True)
class UserStats:
    name: str
    locale: str
    total: Tally
    daily: int
    practice: int
    by_exam: dict[str, Tally]
    by_service: dict[str, Tally]
    streak: Streak
    readiness: tuple[ExamReadiness, ...] = ()  # per exam studied (bot/readiness.py)


def compute_stats(name: str, locale: str, history: list[HistoryItem], streak: Streak, bank: ContentBank) -> UserStats:
    total = Tally()
    by_exam: dict[str, Tally] = defaultdict(Tally)
    by_service: dict[str, Tally] = defaultdict(Tally)
    daily = 0
    for item in history:
        total = total.add(item.correct)
        daily += item.kind == PostKind.DAILY
        question = bank.questions.get(item.question_id)
        if question is None:  # removed from the content since: still counted in the total
            continue
        for exam in question.exams:
            by_exam[exam] = by_exam[exam].add(item.correct)
        for service in question.services:
            by_service[service] = by_service[service].add(item.correct)
    return UserStats(
        name=name,
        locale=locale,
        total=total,
        daily=daily,
        practice=total.answered - daily,
        by_exam=dict(sorted(by_exam.items())),
        by_service=dict(sorted(by_service.items(), key=lambda kv: (-kv[1].answered, kv[0]))),
        streak=streak,
    )

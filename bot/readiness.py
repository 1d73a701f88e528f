"""Exam readiness: the share of an exam's question pool the learner would answer right today.

    readiness(pool) = mean over the questions q of the pool of
        R_q(now)   if the learner has a card for q: FSRS retrievability, the model's chance of recall
        prior_q    otherwise: the chance of guessing q right, 1 / C(choices, answers)
                   (1/4 for one answer of four, 1/10 for two of five)

The prior is what someone who never studied a question gets by picking at random, so the figure starts
near chance and rises only with what the learner has shown they remember. The same measure over the
questions of one service (within the exam's pool) ranks the services; the five lowest are the weakest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content import ContentBank, Question
from bot.memory import CardState, retrievability

WEAKEST = 5  # services shown beside each exam's figure


@dataclass(frozen=True)
class ServiceReadiness:
    service: str
    share: float  # 0..1
    seen: int
    pool: int


@dataclass(frozen=True)
class ExamReadiness:
    exam: str
    share: float  # 0..1: expected share of the exam's pool answered right today
    seen: int  # questions of the pool the learner has reviewed
    pool: int
    weakest: tuple[ServiceReadiness, ...]


def guess_prior(question: Question) -> float:
    """The chance of answering right by picking at random: one of C(choices, answers) combinations."""
    return 1 / math.comb(len(question.choices), max(1, len(question.answer)))


def expected_right(questions: Iterable[Question], cards: dict[str, CardState], now: float) -> tuple[float, int, int]:
    """(mean expected correctness, questions seen, pool size) over `questions`."""
    total, seen, pool = 0.0, 0, 0
    for question in questions:
        pool += 1
        card = cards.get(question.id)
        if card is not None and card.stability is not None:
            total += retrievability(card, now)
            seen += 1
        else:
            total += guess_prior(question)
    return (total / pool if pool else 0.0), seen, pool


def readiness(cards: Iterable[CardState], bank: ContentBank, now: float) -> list[ExamReadiness]:
    """Per exam the learner has studied (reviewed at least one of its questions still in the bank)."""
    by_question = {card.question_id: card for card in cards if card.question_id in bank.questions}
    studied = sorted({exam for qid in by_question for exam in bank.questions[qid].exams})
    found = []
    for exam in studied:
        pool = [q for q in bank.questions.values() if exam in q.exams]
        share, seen, size = expected_right(pool, by_question, now)
        services = sorted({s for q in pool for s in q.services})
        ranked = []
        for service in services:
            part = [q for q in pool if service in q.services]
            s_share, s_seen, s_size = expected_right(part, by_question, now)
            ranked.append(ServiceReadiness(service, s_share, s_seen, s_size))
        # Lowest first; among equals the larger pool first (more to gain), then by name for a stable order.
        ranked.sort(key=lambda r: (r.share, -r.pool, r.service))
        found.append(ExamReadiness(exam, share, seen, size, tuple(ranked[:WEAKEST])))
    return found

"""`studybot content report`: what the bank covers, where it is thin, and what looks duplicated,
so authors see gaps at a glance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from bot.content import ContentBank, Question, normalize
from bot.content_cues import cue_lines

SIMILAR_PROMPTS = 0.6  # shared share of character 3-grams above which two prompts look like one question
SIMILAR_CHOICES = 0.9


@dataclass(frozen=True)
class NearDuplicate:
    first: str
    second: str
    similarity: float
    what: str  # "prompt" or "choices"


def shingles(text: str, size: int = 3) -> frozenset[str]:
    flat = "".join(normalize(text).split())
    return frozenset(flat[i : i + size] for i in range(max(1, len(flat) - size + 1)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicates(questions: list[Question]) -> list[NearDuplicate]:
    """Pairs of questions whose prompts, or whose whole sets of choices, are nearly the same."""
    prompts = {q.id: shingles(q.prompt) for q in questions}
    choices = {q.id: frozenset(normalize(c.text) for c in q.choices) for q in questions}
    found = []
    for a, b in combinations(questions, 2):
        score = jaccard(prompts[a.id], prompts[b.id])
        if score >= SIMILAR_PROMPTS:
            found.append(NearDuplicate(a.id, b.id, score, "prompt"))
            continue
        score = jaccard(choices[a.id], choices[b.id])
        if score >= SIMILAR_CHOICES:
            found.append(NearDuplicate(a.id, b.id, score, "choices"))
    return sorted(found, key=lambda d: -d.similarity)


def report(bank: ContentBank) -> str:
    questions = list(bank.questions.values())
    total = len(questions) or 1
    by_exam = Counter(e for q in questions for e in q.exams)
    by_service = Counter(s for q in questions for s in q.services)
    by_difficulty = Counter(q.difficulty for q in questions)
    multi = sum(q.multi for q in questions)
    entries_by_service = Counter(e.service for e in bank.entries.values())
    service_entries = {e.id for e in bank.entries.values() if e.kind == "service"}
    lines = [
        f"questions: {len(questions)}   multi-select: {multi} ({multi / total:.0%})   lookup entries: {len(bank.entries)}",
        "",
        "by exam:       " + "  ".join(f"{k} {v}" for k, v in sorted(by_exam.items())),
        "by difficulty: " + "  ".join(f"{k} {v}" for k, v in sorted(by_difficulty.items())),
        "",
        f"{'service':28} {'questions':>9} {'lookups':>8}",
    ]
    for service in sorted(set(by_service) | set(entries_by_service), key=lambda s: (-by_service[s], s)):
        lines.append(f"{service:28} {by_service[service]:>9} {entries_by_service[service]:>8}")
    missing = sorted(s for s in by_service if s not in service_entries)
    lines += ["", "service tags without a lookup entry: " + (", ".join(missing) or "none")]
    unused = sorted(s for s in service_entries if s not in by_service)
    lines.append("services with lookups but no question: " + (", ".join(unused) or "none"))
    duplicates = near_duplicates(questions)
    lines += ["", f"near-duplicate questions: {len(duplicates) or 'none'}"]
    lines += [f"  {d.first} ~ {d.second}  ({d.what} {d.similarity:.0%})" for d in duplicates]
    lines += ["", *cue_lines(questions)]
    return "\n".join(lines)

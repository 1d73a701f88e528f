"""Cues that give an answer away without any AWS knowledge, measured over a bank.

A learner who always picks the longest choice, or the choice that repeats a word of the question,
should do no better than chance. These figures are what `studybot content report` prints and what a
test holds the shipped bank to (TARGETS); lengths are in characters with white space removed.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from bot.content import Question

# Each: (figure, bound, "max" or a (low, high) range).
TARGETS: dict[str, float | tuple[float, float]] = {
    # Single-answer questions whose answer is strictly the longest (or shortest) choice: about chance
    # (one in four or five). Near zero is a cue too: "the longest is never right" removes a choice.
    "correct_strictly_longest": (0.10, 0.30),
    "correct_strictly_shortest": (0.10, 0.30),
    "pick_longest_wins": 0.30,  # the "always pick the longest (k)" strategy over all questions
    "median_length_ratio": (0.85, 1.15),  # correct length / mean distractor length, the median
    "multi_all_correct_longer": 0.15,  # multi-select questions whose every answer outlengths every distractor
    "prompt_term_only_in_answers": 0.25,  # a term of the prompt in every answer and in no distractor
}
TERM = re.compile(r"[A-Za-z][A-Za-z0-9]+|[ァ-ヺー]{3,}|[一-龯々]{2,}")


def size(text: str) -> int:
    return len("".join(text.split()))


def terms(text: str) -> set[str]:
    return {t.lower() for t in TERM.findall(text)}


@dataclass(frozen=True)
class Cues:
    questions: int
    correct_strictly_longest: float
    correct_strictly_shortest: float
    pick_longest_wins: float
    median_length_ratio: float
    multi_all_correct_longer: float
    prompt_term_only_in_answers: float

    def breaches(self) -> list[str]:
        """The figures outside their TARGETS, as readable lines."""
        found = []
        for name, bound in TARGETS.items():
            value = getattr(self, name)
            if isinstance(bound, tuple):
                if not bound[0] <= value <= bound[1]:
                    found.append(f"{name} {value:.2f} outside {bound[0]:.2f}-{bound[1]:.2f}")
            elif value > bound:
                found.append(f"{name} {value:.0%} above {bound:.0%}")
        return found


def longest_wins(question: Question) -> bool:
    """Picking the k longest choices (k = the number of answers) gives exactly the answers."""
    k = len(question.answer)
    ranked = sorted(question.choices, key=lambda c: -size(c.text))
    if len(ranked) > k and size(ranked[k - 1].text) == size(ranked[k].text):
        return False  # a tie at the cut: the strategy cannot tell
    return {c.id for c in ranked[:k]} == question.answer


def strictly_longest(question: Question) -> bool:
    (answer,) = question.answer
    longest = max(size(c.text) for c in question.choices if c.id != answer)
    return size(question.choice(answer).text) > longest


def strictly_shortest(question: Question) -> bool:
    (answer,) = question.answer
    shortest = min(size(c.text) for c in question.choices if c.id != answer)
    return size(question.choice(answer).text) < shortest


def length_ratio(question: Question) -> float:
    right = [size(c.text) for c in question.choices if c.id in question.answer]
    wrong = [size(c.text) for c in question.choices if c.id not in question.answer]
    return statistics.mean(right) / max(statistics.mean(wrong), 1)


def all_correct_longer(question: Question) -> bool:
    right = [size(c.text) for c in question.choices if c.id in question.answer]
    wrong = [size(c.text) for c in question.choices if c.id not in question.answer]
    return min(right) > max(wrong)


def prompt_term_in_answers_only(question: Question) -> str | None:
    """A term of the prompt that every answer repeats and no distractor does, if there is one."""
    right = [terms(c.text) for c in question.choices if c.id in question.answer]
    wrong = set().union(*(terms(c.text) for c in question.choices if c.id not in question.answer))
    shared = set.intersection(*right) & terms(question.prompt)
    return next(iter(sorted(shared - wrong)), None)


def measure(questions: Iterable[Question]) -> Cues:
    qs = [q for q in questions if len(q.choices) > len(q.answer)]
    single = [q for q in qs if not q.multi]
    multi = [q for q in qs if q.multi]

    def share(hits: int, of: int) -> float:
        return hits / of if of else 0.0

    return Cues(
        questions=len(qs),
        correct_strictly_longest=share(sum(strictly_longest(q) for q in single), len(single)),
        correct_strictly_shortest=share(sum(strictly_shortest(q) for q in single), len(single)),
        pick_longest_wins=share(sum(longest_wins(q) for q in qs), len(qs)),
        median_length_ratio=statistics.median(length_ratio(q) for q in qs) if qs else 1.0,
        multi_all_correct_longer=share(sum(all_correct_longer(q) for q in multi), len(multi)),
        prompt_term_only_in_answers=share(sum(prompt_term_in_answers_only(q) is not None for q in qs), len(qs)),
    )


def cue_lines(questions: list[Question]) -> list[str]:
    """The cues section of the report: the whole bank, then each file, then the worst offenders."""
    header = f"{'':24} {'n':>4} {'longest':>8} {'shortest':>8} {'pick-k':>7} {'ratio':>6} {'multi':>6} {'term':>6}"

    def row(name: str, cues: Cues) -> str:
        return (
            f"{name:24} {cues.questions:>4} {cues.correct_strictly_longest:>8.0%} "
            f"{cues.correct_strictly_shortest:>8.0%} {cues.pick_longest_wins:>7.0%} "
            f"{cues.median_length_ratio:>6.2f} {cues.multi_all_correct_longer:>6.0%} "
            f"{cues.prompt_term_only_in_answers:>6.0%}"
        )

    whole = measure(questions)
    lines = ["cues (an answer given away without AWS knowledge; targets: longest and shortest 10-30%,"]
    lines += ["      pick-k <= 30%, ratio 0.85-1.15, multi <= 15%, term <= 25%)", header, row("whole bank", whole)]
    by_file: dict[str, list[Question]] = {}
    for q in questions:
        by_file.setdefault(q.file.rsplit("/", 1)[-1] or "-", []).append(q)
    lines += [row(name, measure(qs)) for name, qs in sorted(by_file.items())]
    lines.append("breaches: " + ("; ".join(whole.breaches()) or "none"))
    return lines


def question_flags(question: Question) -> list[str]:
    """The cues one question carries, for authors fixing them one by one."""
    if len(question.choices) <= len(question.answer):
        return []
    flags = []
    if not question.multi and strictly_longest(question):
        flags.append("answer strictly longest")
    if longest_wins(question) and (question.multi or not flags):
        flags.append("the k longest are the answers")
    ratio = length_ratio(question)
    if not TARGETS["median_length_ratio"][0] <= ratio <= TARGETS["median_length_ratio"][1]:  # type: ignore[index]
        flags.append(f"length ratio {ratio:.2f}")
    if question.multi and all_correct_longer(question):
        flags.append("every answer longer than every distractor")
    if (term := prompt_term_in_answers_only(question)) is not None:
        flags.append(f"prompt term {term!r} only in the answers")
    return flags

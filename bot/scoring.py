"""The scoring and streak rules, as pure functions so they are easy to read and to test.

Points: a correct daily answer scores 10, plus a streak bonus of 1 per consecutive answered day
before this one, capped at 5 (so day 1 scores 10, day 6 and later 15). Wrong answers score 0.
Practice answers never score: they only count in personal stats.

Streak: the number of consecutive scheduled days (local dates on which the community had a daily
post) that the user answered. A scheduled day the user let close without answering resets it to 0;
days without any daily post do not break it.
"""

from __future__ import annotations

from collections.abc import Iterable

POINTS_CORRECT = 10
STREAK_BONUS_CAP = 5


def points_for(correct: bool, streak: int) -> int:
    if not correct:
        return 0
    return POINTS_CORRECT + min(max(streak - 1, 0), STREAK_BONUS_CAP)


def next_streak(current: int, last_day: str | None, previous_scheduled_day: str | None, day: str) -> int:
    """The streak after answering on `day`, given the streak so far and the scheduled day before `day`.

    Answers arrive in day order almost always; out-of-order answers are handled by `replay`.
    """
    if last_day == day:
        return current
    if last_day is not None and last_day == previous_scheduled_day:
        return current + 1
    return 1


def answers_an_earlier_day(last_day: str | None, day: str) -> bool:
    """An answer to a day before the streak's last day (channels in different time zones): the streak
    is then rebuilt from the whole history (`streak_after_replay`) instead of stepped."""
    return last_day is not None and day < last_day


def needs_previous_day(last_day: str | None, day: str) -> bool:
    """Whether `streak_after` needs the community's scheduled day before `day` (a read a backend saves)."""
    return last_day not in (None, day)


def streak_after(
    current: int, best: int, last_day: str | None, day: str, previous_scheduled_day: str | None
) -> tuple[int, int, str]:
    """(current, best, last day) once the user answered on `day`, stepped from the stored streak; for
    an answer to an earlier day use `streak_after_replay`."""
    current = next_streak(current, last_day, previous_scheduled_day, day)
    return current, max(best, current), day


def streak_after_replay(scheduled_days: Iterable[str], answered_days: Iterable[str], day: str) -> tuple[int, int, str]:
    """(current, best, last day) once the user answered on `day`, rebuilt from the full history."""
    current, best, last = replay(scheduled_days, [*answered_days, day])
    return current, best, last or day


def replay(scheduled_days: Iterable[str], answered_days: Iterable[str]) -> tuple[int, int, str | None]:
    """(current streak at the last answered day, best streak, last answered day) from full history."""
    answered = set(answered_days)
    current = best = 0
    last: str | None = None
    for day in sorted(set(scheduled_days) | answered):
        if day in answered:
            current += 1
            best = max(best, current)
            last = day
        else:
            current = 0
    # `current` may have been reset by later unanswered days; the streak as of the last answer is wanted.
    run = 0
    for day in sorted(set(scheduled_days) | answered, reverse=True):
        if last is None or day > last:
            continue
        if day in answered:
            run += 1
        else:
            break
    return run, best, last

"""Leaderboard periods in a community's time zone: the week starts on Monday (ISO weeks)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


def period_keys(at: datetime, timezone: str) -> tuple[str, str, str]:
    """The periods an answer given at `at` counts in: all time, its month and its ISO week."""
    return _keys_of_day(at.astimezone(ZoneInfo(timezone)).date())


@lru_cache(maxsize=256)
def _keys_of_day(day: date) -> tuple[str, str, str]:
    # Every answer computes these; formatting them once per day keeps a burst of clicks cheap.
    year, week, _ = day.isocalendar()
    return ("all", f"m{day:%Y-%m}", f"w{year}-W{week:02d}")


def period_key(period: str, at: datetime, timezone: str) -> str:
    """'week' | 'month' | 'all' -> the stored key of the period containing `at`."""
    everything, month, week = period_keys(at, timezone)
    return {"all": everything, "month": month, "week": week}[period]


def week_key(day: date) -> str:
    """The stored key of the ISO week containing a local date, e.g. "w2026-W47"."""
    return _keys_of_day(day)[2]


def week_start(key: str) -> date:
    """The Monday of a week key ("w2026-W47" -> 2026-11-16)."""
    year, week = key[1:].split("-W")
    return date.fromisocalendar(int(year), int(week), 1)

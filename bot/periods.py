"""Leaderboard periods in a community's time zone: the week starts on Monday (ISO weeks)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def period_keys(at: datetime, timezone: str) -> tuple[str, ...]:
    """The periods an answer given at `at` counts in: all time, its month and its ISO week."""
    local = at.astimezone(ZoneInfo(timezone))
    year, week, _ = local.isocalendar()
    return ("all", f"m{local:%Y-%m}", f"w{year}-W{week:02d}")


def period_key(period: str, at: datetime, timezone: str) -> str:
    """'week' | 'month' | 'all' -> the stored key of the period containing `at`."""
    everything, month, week = period_keys(at, timezone)
    return {"all": everything, "month": month, "week": week}[period]

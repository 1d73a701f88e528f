"""What the charts show, gathered from the storage and the content (bot/charts.py draws it).

Days are the community's local dates: an answer counts on the day it was given there, and a day is a
scheduled one when the community had a daily post on it (the same days the streak counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.charts import CALENDAR_WEEKS, BoardBar, BoardChart, DayCount, ServiceCount, StatsChart
from bot.i18n import t
from bot.models import HistoryItem, ScoreRow
from bot.stats import UserStats

DAYS_SHOWN = 30


@dataclass(frozen=True)
class ChartImage:
    """A PNG ready for an adapter: its file name (ASCII, as Discord's attachment:// wants) and a text
    alternative for screen readers."""

    filename: str
    png: bytes
    alt: str


def calendar_start(today: date) -> date:
    """The first day the streak calendar shows: the Monday CALENDAR_WEEKS - 1 weeks before this one."""
    return today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))


def stats_chart(
    stats: UserStats, history: list[HistoryItem], scheduled_days: list[str], today: date, timezone: str
) -> StatsChart:
    zone = ZoneInfo(timezone)
    per_day: Counter[str] = Counter()
    right_per_day: Counter[str] = Counter()
    for item in history:
        day = datetime.fromtimestamp(item.answered_at, UTC).astimezone(zone).date().isoformat()
        per_day[day] += 1
        right_per_day[day] += item.correct
    days = tuple(
        DayCount(day, per_day[day], right_per_day[day])
        for day in ((today - timedelta(days=DAYS_SHOWN - 1 - i)).isoformat() for i in range(DAYS_SHOWN))
    )
    first = calendar_start(today).isoformat()
    return StatsChart(
        locale=stats.locale,
        today=today.isoformat(),
        days=days,
        services=tuple(ServiceCount(name, s.answered, s.correct) for name, s in stats.by_service.items()),
        answered_days={day: count for day, count in per_day.items() if first <= day <= today.isoformat()},
        scheduled_days=frozenset(scheduled_days),
    )


def board_chart(locale: str, title: str, rows: list[ScoreRow]) -> BoardChart:
    return BoardChart(
        locale,
        title,
        tuple(BoardBar(row.name or f"user {row.user_id}", row.points, row.correct, row.answered) for row in rows[:10]),
    )


def stats_alt(stats: UserStats) -> str:
    return t(stats.locale, "chart.days_title") + " / " + t(stats.locale, "chart.services_title")


def board_title(locale: str, period: str, channel_name: str | None) -> str:
    """The leaderboard's title without its emoji (the chart font has no colour emoji)."""
    scope = t(locale, "board.channel_scope", channel=channel_name) if channel_name else ""
    return t(locale, "board.title", period=t(locale, f"board.{period}"), scope=scope).removeprefix("🏆").strip()

"""Parsing of command arguments typed as text (the console, Slack's /study).

Every parser either returns a value or raises UserError with a message key, so bad input always
becomes a clear reply and never a stack trace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.config import ConfigError, check_timezone
from bot.models import WEEKDAYS

DAY_WORDS = {
    "daily": WEEKDAYS,
    "everyday": WEEKDAYS,
    "all": WEEKDAYS,
    "毎日": WEEKDAYS,
    "weekdays": WEEKDAYS[:5],
    "平日": WEEKDAYS[:5],
    "weekends": WEEKDAYS[5:],
    "土日": WEEKDAYS[5:],
}
DAY_NAMES = {
    **{d: d for d in WEEKDAYS},
    "月": "mon",
    "火": "tue",
    "水": "wed",
    "木": "thu",
    "金": "fri",
    "土": "sat",
    "日": "sun",
}
PERIODS = ("week", "month", "all")


class UserError(Exception):
    """Bad input from a user: carries the message key and its parameters for the reply."""

    def __init__(self, key: str, **params: object):
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class DailySpec:
    at: time
    timezone: str | None = None
    weekdays: tuple[str, ...] = WEEKDAYS
    filter_text: str | None = None
    reveal_minutes: int | None = None


def parse_time(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise UserError("daily.bad_time", value=value)
    return time(int(match[1]), int(match[2]))


def parse_weekdays(value: str) -> tuple[str, ...]:
    """'mon-fri', 'mon,wed,fri', 'fri-mon', 'daily', '平日', '月-金' -> weekdays in week order."""
    text = value.strip().lower()
    if text in DAY_WORDS:
        return DAY_WORDS[text]
    days: set[str] = set()
    for part in re.split(r"[,、]", text):
        if "-" in part:
            start, _, end = part.partition("-")
            if start not in DAY_NAMES or end not in DAY_NAMES:
                raise UserError("daily.bad_days", value=value)
            i, j = WEEKDAYS.index(DAY_NAMES[start]), WEEKDAYS.index(DAY_NAMES[end])
            span = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]
            days.update(WEEKDAYS[k] for k in span)
        elif part in DAY_NAMES:
            days.add(DAY_NAMES[part])
        else:
            raise UserError("daily.bad_days", value=value)
    return tuple(d for d in WEEKDAYS if d in days)


def looks_like_days(token: str) -> bool:
    try:
        parse_weekdays(token)
    except UserError:
        return False
    return True


def parse_reveal(value: str) -> int:
    match = re.fullmatch(r"(\d{1,4})\s*(m|min|h)?", value.strip().lower())
    if not match:
        raise UserError("daily.bad_reveal", value=value)
    minutes = int(match[1]) * (60 if match[2] == "h" else 1)
    if not 1 <= minutes <= 24 * 60:
        raise UserError("daily.bad_reveal", value=value)
    return minutes


def parse_daily_set(args: list[str]) -> DailySpec:
    """`HH:MM [timezone] [days] [exam|service] [reveal=8h]`, the optional parts in any order."""
    if not args:
        raise UserError("daily.usage")
    at = parse_time(args[0])
    timezone = filter_text = reveal = None
    weekdays = WEEKDAYS
    for token in args[1:]:
        if token.lower().startswith("reveal="):
            reveal = parse_reveal(token.split("=", 1)[1])
        elif "/" in token or token.upper() == "UTC":
            timezone = parse_timezone(token)
        elif looks_like_days(token):
            weekdays = parse_weekdays(token)
        elif filter_text is None:
            filter_text = token
        else:
            raise UserError("daily.bad_argument", value=token)
    return DailySpec(at, timezone, weekdays, filter_text, reveal)


def parse_timezone(value: str) -> str:
    name = "UTC" if value.strip().upper() == "UTC" else value.strip()
    try:
        check_timezone(name)
    except ConfigError:
        raise UserError("daily.bad_timezone", value=value) from None
    return name


def daily_spec(
    at: str,
    timezone: str | None = None,
    days: str | None = None,
    filter_text: str | None = None,
    reveal: str | None = None,
) -> DailySpec:
    """A schedule from typed parts (Discord's slash options): each part is read only as what it is."""
    return DailySpec(
        parse_time(at),
        parse_timezone(timezone) if timezone else None,
        parse_weekdays(days) if days else WEEKDAYS,
        filter_text.strip() if filter_text and filter_text.strip() else None,
        parse_reveal(reveal) if reveal else None,
    )


def parse_period(value: str | None) -> str:
    text = (value or "week").strip().lower()
    aliases = {
        "w": "week",
        "weekly": "week",
        "今週": "week",
        "m": "month",
        "monthly": "month",
        "今月": "month",
        "alltime": "all",
        "all-time": "all",
        "全期間": "all",
    }
    text = aliases.get(text, text)
    if text not in PERIODS:
        raise UserError("board.bad_period")
    return text


def format_days(days: tuple[str, ...]) -> str:
    if days == WEEKDAYS:
        return "daily"
    if days == WEEKDAYS[:5]:
        return "mon-fri"
    return ",".join(days)

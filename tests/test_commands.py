"""Parsing typed command arguments: every bad input becomes a UserError with a message key."""

from __future__ import annotations

from datetime import time

import pytest

from bot.commands import UserError, parse_daily_set, parse_period, parse_weekdays
from bot.i18n import MESSAGES, t


def test_daily_set_full():
    spec = parse_daily_set(["9:05", "America/New_York", "mon-fri", "DOP", "reveal=90m"])
    assert spec.at == time(9, 5)
    assert spec.timezone == "America/New_York"
    assert spec.weekdays == ("mon", "tue", "wed", "thu", "fri")
    assert spec.filter_text == "DOP"
    assert spec.reveal_minutes == 90


def test_daily_set_defaults():
    spec = parse_daily_set(["21:00"])
    assert (spec.timezone, spec.filter_text, spec.reveal_minutes, len(spec.weekdays)) == (None, None, None, 7)


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("daily", 7),
        ("平日", 5),
        ("sat,sun", 2),
        ("fri-mon", 4),
        ("月-水", 3),
        ("Mon", 1),
    ],
)
def test_weekdays(value, days):
    assert len(parse_weekdays(value)) == days


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ([], "daily.usage"),
        (["25:00"], "daily.bad_time"),
        (["9am"], "daily.bad_time"),
        (["09:00", "Mars/Olympus"], "daily.bad_timezone"),
        (["09:00", "reveal=forever"], "daily.bad_reveal"),
        (["09:00", "reveal=0m"], "daily.bad_reveal"),
        (["09:00", "dop", "sqs"], "daily.bad_argument"),
    ],
)
def test_bad_daily_set(args, key):
    with pytest.raises(UserError) as err:
        parse_daily_set(args)
    assert err.value.key == key
    assert t("en", err.value.key, **err.value.params)  # every refusal renders


def test_period_aliases_and_refusal():
    assert parse_period(None) == "week"
    assert parse_period("今月") == "month"
    with pytest.raises(UserError):
        parse_period("yesterday")


def test_every_message_has_both_languages():
    assert all(set(texts) == {"ja", "en"} for texts in MESSAGES.values())

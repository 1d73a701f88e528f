"""When a reminder fires: DST gaps and folds, one a local day across time-zone changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.reminder_times import exists, fire_at, local_day, next_fire

NEW_YORK = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_ordinary_day_fires_at_the_local_time():
    assert fire_at(date(2026, 11, 23), time(7, 30), "Asia/Tokyo") == utc("2026-11-22T22:30")


def test_a_time_inside_the_spring_forward_gap_fires_at_the_end_of_the_gap():
    # 2027-03-14: New York clocks jump from 02:00 EST to 03:00 EDT, so 02:30 never happens.
    assert not exists(datetime(2027, 3, 14, 2, 30, tzinfo=ZoneInfo(NEW_YORK)))
    moment = fire_at(date(2027, 3, 14), time(2, 30), NEW_YORK)
    assert moment == utc("2027-03-14T07:00")  # 03:00 EDT, the first minute that exists
    assert moment.astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M") == "03:00"
    # The day after, 02:30 exists again and is kept.
    assert fire_at(date(2027, 3, 15), time(2, 30), NEW_YORK) == utc("2027-03-15T06:30")


def test_a_time_that_happens_twice_fires_at_its_first_occurrence_only():
    # 2026-11-01: New York goes back from 02:00 EDT to 01:00 EST, so 01:30 happens twice.
    first = fire_at(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert first == utc("2026-11-01T05:30")  # 01:30 EDT
    # Once it fired, the next one is the next day's, not the second 01:30 an hour later.
    after = next_fire(time(1, 30), NEW_YORK, utc("2026-11-01T05:30:30"), first.timestamp())
    assert after == utc("2026-11-02T06:30")


def test_the_gap_day_gets_exactly_one_reminder():
    slot = next_fire(time(2, 30), NEW_YORK, utc("2027-03-14T05:00"), None)
    assert slot == utc("2027-03-14T07:00")
    following = next_fire(time(2, 30), NEW_YORK, utc("2027-03-14T07:00:05"), slot.timestamp())
    assert following == utc("2027-03-15T06:30")


def test_next_fire_is_today_when_the_time_is_still_ahead_and_tomorrow_when_it_passed():
    at = time(7, 30)
    assert next_fire(at, "Asia/Tokyo", utc("2026-11-22T21:00"), None) == utc("2026-11-22T22:30")
    assert next_fire(at, "Asia/Tokyo", utc("2026-11-22T23:00"), None) == utc("2026-11-23T22:30")


def test_one_a_local_day_moving_west_and_moving_east():
    at = time(7, 30)
    sent = utc("2026-11-22T22:30")  # 07:30 in Tokyo on the 23rd
    # Moving to Los Angeles: it is still the 22nd there; the sent one fell on the 22nd LA time, so the
    # next is 07:30 on the 23rd in LA.
    la = next_fire(at, "America/Los_Angeles", utc("2026-11-23T01:00"), sent.timestamp())
    assert la.astimezone(ZoneInfo("America/Los_Angeles")).isoformat() == "2026-11-23T07:30:00-08:00"
    # Moving to London the same evening (22:30 UTC was the 22nd there): London's 23rd gets its own.
    london = next_fire(at, "Europe/London", utc("2026-11-22T23:00"), sent.timestamp())
    assert london == utc("2026-11-23T07:30")
    # Staying in Tokyo, setting a later time the same day waits for the next day.
    later = next_fire(time(9, 0), "Asia/Tokyo", utc("2026-11-22T23:00"), sent.timestamp())
    assert later == utc("2026-11-24T00:00")


def test_local_day_reads_a_timestamp_in_the_zone():
    assert local_day(utc("2026-11-22T22:30").timestamp(), "Asia/Tokyo") == date(2026, 11, 23)
    assert local_day(utc("2026-11-22T22:30"), "America/Los_Angeles") == date(2026, 11, 22)

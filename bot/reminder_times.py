"""When a learner's daily reminder fires: plain functions of a local time, a time zone and the last
reminder sent, shared by setting a reminder and by the sweep, so both agree to the second.

Two rules hold whatever the clocks do:
- A local time that does not exist on a day (the hour skipped when daylight saving time starts) fires
  at the next moment that exists, the end of the gap; a time that happens twice (when it ends) fires
  at its first occurrence. Either way the day gets one reminder.
- At most one reminder per local day, the day read in the time zone in force when the next one would
  fire: a learner who moves west is not reminded twice within one of their new days, and one who moves
  east is reminded on their first new morning.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# Minutes a daylight saving gap may last and still be walked through (Lord Howe's is 30, most are 60;
# a zone that skips a whole day, as Samoa did in 2011, skips that day's reminder instead).
LONGEST_GAP_MINUTES = 180


def exists(moment: datetime) -> bool:
    """Whether a naive local time happens in `moment.tzinfo` (it does not inside a DST gap)."""
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


@lru_cache(maxsize=4096)  # a sweep asks the same few (day, time, zone) for thousands of learners
def fire_at(day: date, at: time, timezone: str) -> datetime | None:
    """The moment (UTC) of the reminder set for `at` on the local `day`: the time itself, its first
    occurrence if it happens twice, or the first minute after a gap that swallowed it. None only when
    the zone skips that day's time by more than LONGEST_GAP_MINUTES."""
    zone = ZoneInfo(timezone)
    wanted = datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=zone)  # fold=0: the first
    for minutes in range(LONGEST_GAP_MINUTES + 1):
        candidate = wanted + timedelta(minutes=minutes)  # wall-clock arithmetic: the same offset
        if exists(candidate):
            return candidate.astimezone(UTC)
    return None


def local_day(moment: datetime | float, timezone: str) -> date:
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def next_fire(at: time, timezone: str, now: datetime, last_sent: float | None) -> datetime:
    """The next reminder at or after `now`, on a local day after the one the last reminder went out on
    (read in `timezone`)."""
    day = local_day(now, timezone)
    if last_sent is not None:
        day = max(day, local_day(last_sent, timezone) + timedelta(days=1))
    for offset in range(4):  # a day whose time was swallowed whole moves to the next
        moment = fire_at(day + timedelta(days=offset), at, timezone)
        if moment is not None and moment >= now:
            return moment
    raise ValueError(f"no reminder time {at} in {timezone} within four days")  # no zone skips that much

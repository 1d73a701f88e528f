"""Reminders through the core on both backends: set and off, the sweep on time, across a time-zone
change, a DST gap and a restart, two processes on one database, a learner whose DMs are closed."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.models import Community, User
from bot.reminders import RecipientUnavailable
from bot.scheduler import DailyScheduler
from bot.study_commands import Message, run_command
from tests.conftest import RecordingPlatform, actor, fetch_row, make_bot, replace, right_and_wrong


@dataclass
class DmPlatform(RecordingPlatform):
    """A platform that also takes direct messages, and can be told whose are closed."""

    dms: list[tuple[Community, User, int]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)

    async def send_reminder(self, community: Community, user: User, due: int) -> None:
        if user.platform_id in self.closed:
            raise RecipientUnavailable("dms closed")
        self.dms.append((community, user, due))

    def to(self, user: str) -> list[int]:
        return [due for _, u, due in self.dms if u.platform_id == user]


@pytest.fixture
async def platform() -> DmPlatform:
    return DmPlatform()


async def command(bot, user: str, *words: str) -> str:
    reply = await run_command(bot, actor(user), list(words))
    assert isinstance(reply, Message), reply
    return reply.text


async def study(bot, user: str) -> None:
    """One practice question answered wrong: FSRS brings it back the next day (a due review)."""
    view = await bot.practice(actor(user))
    _, wrong = right_and_wrong(view.question)
    await bot.answer(actor(user), view.post.id, wrong)


async def sweep(bot) -> dict[str, int]:
    counts = await bot.reminders.sweep()
    await asyncio.wait_for(bot.reminders.settle(), 10)
    return dict(counts)


async def test_remind_set_status_and_off(bot, clock):
    text = await command(bot, "u1", "remind", "07:30")
    assert "07:30（Asia/Tokyo）" in text and "11/24 07:30" in text  # 08:00 on the 23rd: tomorrow's
    assert "07:30" in await command(bot, "u1", "remind")
    assert await command(bot, "u1", "remind", "off") == "復習リマインダーを止めました。"
    assert "設定されていません" in await command(bot, "u1", "remind")
    assert "設定されていません" in await command(bot, "u1", "remind", "off")


async def test_bad_remind_input_gets_a_clear_reply_and_changes_nothing(bot):
    assert "読めません" in await command(bot, "u1", "remind", "25:00")
    assert "不明" in await command(bot, "u1", "remind", "07:30", "Mars/Olympus")
    assert "使い方" in await command(bot, "u1", "remind", "07:30", "UTC", "extra")
    assert "設定されていません" in await command(bot, "u1", "remind")


async def test_a_reminder_goes_once_a_day_at_its_local_time_saying_how_many_are_due(bot, clock, platform):
    await study(bot, "u1")
    await study(bot, "u1")
    await command(bot, "u1", "remind", "07:30")
    clock.set("2026-11-24T07:29")
    assert await sweep(bot) == {}
    clock.set("2026-11-24T07:30")
    assert (await sweep(bot)).get("sent") == 1
    assert platform.to("u1") == [2]
    community, user, _ = platform.dms[0]
    assert community.platform_id == "g1" and user.platform_id == "u1"
    assert (await sweep(bot)) == {}  # the same minute again: nothing
    clock.set("2026-11-24T21:00")
    assert (await sweep(bot)) == {}
    clock.set("2026-11-25T07:30")
    assert (await sweep(bot)).get("sent") == 1
    assert platform.to("u1") == [2, 2]  # still not reviewed: still due


async def test_nothing_is_sent_when_no_review_is_due(bot, clock, platform):
    await command(bot, "fresh", "remind", "07:30")  # has never answered anything
    await study(bot, "today")  # answered this morning: due tomorrow, not at 07:30 today
    clock.set("2026-11-23T07:59")
    await command(bot, "today", "remind", "08:00")
    clock.set("2026-11-23T08:00")
    assert await sweep(bot) == {"sent": 1}  # claimed for today, and nothing was due
    clock.set("2026-11-24T07:30")
    assert await sweep(bot) == {"sent": 1}
    assert platform.to("fresh") == [] and platform.to("today") == []
    clock.set("2026-11-24T08:00")
    await sweep(bot)
    assert platform.to("today") == [1]


async def test_a_learner_whose_dms_are_closed_gets_the_reminder_switched_off_with_one_log_line(
    bot, clock, platform, caplog
):
    await study(bot, "closed")
    await command(bot, "closed", "remind", "07:30")
    platform.closed.add("closed")
    clock.set("2026-11-24T07:30")
    with caplog.at_level(logging.INFO, "studybot.reminders"):
        await sweep(bot)
    lines = [r for r in caplog.records if r.name == "studybot.reminders"]
    assert len(lines) == 1 and "switched off" in lines[0].getMessage() and lines[0].levelno == logging.WARNING
    assert "設定されていません" in await command(bot, "closed", "remind")
    row = await fetch_row(bot.settings.database, "SELECT enabled, disabled_reason FROM reminders")
    assert row is not None and row[0] == 0 and "direct messages refused" in str(row[1])
    clock.set("2026-11-25T07:30")
    assert await sweep(bot) == {}


async def test_setting_a_later_time_the_same_day_does_not_bring_a_second_one(bot, clock):
    await command(bot, "u1", "remind", "08:01")
    clock.set("2026-11-23T08:01")
    assert (await sweep(bot)).get("sent") == 1
    text = await command(bot, "u1", "remind", "09:00")
    assert "11/24 09:00" in text  # not today's 09:00
    clock.set("2026-11-23T09:00")
    assert await sweep(bot) == {}


async def test_the_learners_own_time_zone_and_a_change_of_it(bot, clock, platform):
    """Set in Tokyo, reminded in Tokyo, then moved to Los Angeles: the next one comes at 07:30 there."""
    await study(bot, "u1")
    await command(bot, "u1", "remind", "07:30")
    clock.set("2026-11-24T07:30")
    assert (await sweep(bot)).get("sent") == 1
    text = await command(bot, "u1", "remind", "07:30", "America/Los_Angeles")
    assert "America/Los_Angeles" in text
    clock.set("2026-11-24T23:59")  # 06:59 in LA on the 24th
    assert await sweep(bot) == {}
    clock.set("2026-11-24T07:30", "America/Los_Angeles")
    assert (await sweep(bot)).get("sent") == 1
    assert platform.to("u1") == [1, 1]
    row = await fetch_row(bot.settings.database, "SELECT timezone, next_at FROM reminders")
    assert row is not None and row[0] == "America/Los_Angeles"
    assert datetime.fromtimestamp(row[1], UTC) == datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


async def test_a_time_lost_to_daylight_saving_fires_once_at_the_next_valid_moment(bot, clock):
    clock.set("2027-03-13T12:00", "America/New_York")
    await command(bot, "u1", "remind", "02:30", "America/New_York")
    clock.set("2027-03-14T01:59", "America/New_York")
    assert await sweep(bot) == {}
    clock.set("2027-03-14T03:00", "America/New_York")  # the gap swallowed 02:00-03:00
    assert (await sweep(bot)).get("sent") == 1
    clock.set("2027-03-14T03:30", "America/New_York")
    assert await sweep(bot) == {}


async def test_two_processes_on_one_database_send_each_reminder_once(settings, clock, content):
    platforms = [DmPlatform(), DmPlatform()]
    bots = [await make_bot(settings, clock, content, p) for p in platforms]
    try:
        for n in range(40):
            if n < 10:
                await study(bots[n % 2], f"u{n}")
            await command(bots[n % 2], f"u{n}", "remind", "07:30")
        clock.set("2026-11-24T07:30")
        results = await asyncio.gather(*(b.reminders.sweep() for b in bots for _ in range(3)))
        for b in bots:
            await asyncio.wait_for(b.reminders.settle(), 10)
        assert sum(r.get("sent", 0) for r in results) == 40
        row = await fetch_row(settings.database, "SELECT COUNT(*) FROM reminders WHERE last_sent_at IS NOT NULL")
        assert row == (40,)
        received = sorted(u.platform_id for p in platforms for _, u, _ in p.dms)
        assert received == sorted(f"u{n}" for n in range(10))  # the ten with a review due, once each
    finally:
        for b in bots:
            await b.close()


async def test_a_restart_catches_up_within_the_window_and_skips_an_older_one(settings, clock, content):
    first = await make_bot(settings, clock, content, DmPlatform())
    for user in ("late", "missed"):
        await study(first, user)
    await command(first, "late", "remind", "07:30")
    await command(first, "missed", "remind", "03:00")
    await first.close()  # down from 08:00 on the 23rd

    clock.set("2026-11-24T08:30")  # back an hour after 07:30, five and a half after 03:00
    platform = DmPlatform()
    second = await make_bot(settings, clock, content, platform)
    scheduler = DailyScheduler(second)
    try:
        await scheduler.start()
        await asyncio.wait_for(second.reminders.settle(), 10)
        late = await fetch_row(
            settings.database,
            "SELECT last_sent_at FROM reminders r JOIN users u ON u.id = r.user_id WHERE u.platform_id = 'late'",
        )
        missed = await fetch_row(
            settings.database,
            "SELECT last_sent_at, next_at FROM reminders r JOIN users u ON u.id = r.user_id WHERE u.platform_id = 'missed'",
        )
        assert late is not None and late[0] == datetime(2026, 11, 23, 22, 30, tzinfo=UTC).timestamp()
        assert missed is not None and missed[0] is None  # skipped: tomorrow's 03:00 is next
        assert datetime.fromtimestamp(missed[1], UTC) == datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
        assert [u.platform_id for _, u, _ in platform.dms] == ["late"]
        # Restarting again the same day sends nothing more.
        await scheduler.stop()
        scheduler = DailyScheduler(second)
        await scheduler.start()
        assert await sweep(second) == {}
        assert len(platform.dms) == 1
    finally:
        await scheduler.stop()
        await second.close()


async def test_a_reminder_turned_off_is_not_swept(bot, clock):
    await command(bot, "u1", "remind", "07:30")
    await command(bot, "u1", "remind", "off")
    clock.set("2026-11-24T07:30")
    assert await sweep(bot) == {}
    await command(bot, "u1", "remind", "07:45")  # back on
    clock.set("2026-11-24T07:45")
    assert (await sweep(bot)).get("sent") == 1


async def test_the_sweep_survives_a_database_error(bot, clock, caplog):
    await command(bot, "u1", "remind", "07:30")
    await bot.storage.close()
    clock.set("2026-11-24T07:30")
    with caplog.at_level(logging.ERROR, "studybot.reminders"):
        counts = await bot.reminders.sweep()
    assert counts == {} or "sent" not in counts
    assert any("reminder sweep" in r.getMessage() for r in caplog.records)


async def test_a_process_leaves_the_reminders_of_platforms_it_does_not_serve(settings, clock, content):
    """A Slack-only process must not claim (and so lose) a Discord learner's reminder."""
    here = await make_bot(settings, clock, content, DmPlatform())
    elsewhere_platform = DmPlatform(name="other")
    elsewhere = await make_bot(settings, clock, content, elsewhere_platform)
    try:
        other = replace(actor("o1"), platform="other")
        view = await elsewhere.practice(other)
        await elsewhere.answer(other, view.post.id, right_and_wrong(view.question)[1])
        reply = await run_command(elsewhere, other, ["remind", "07:30"])
        assert isinstance(reply, Message) and "07:30" in reply.text
        clock.set("2026-11-24T07:30")
        assert await sweep(here) == {}
        assert await sweep(elsewhere) == {"sent": 1}
        assert elsewhere_platform.to("o1") == [1]
    finally:
        await here.close()
        await elsewhere.close()

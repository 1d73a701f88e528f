"""The weekly recap through the core on both backends: switched on per channel by admins, sent on
Monday at the channel's daily time in the channel's own time zone, claimed once per channel and week
(a second sweep, a restart and a second process on the same database send nothing more), and what it
says: the top 10, participation and the hardest question."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.charts import BOARD_SIZE, png_size
from bot.commands import DailySpec
from bot.models import Channel, Community, QuestionTally
from bot.recaps import Recap, hardest_question, recap_text, recap_week
from bot.scheduler import DailyScheduler, recap_trigger
from bot.study_commands import run_command
from tests.conftest import RecordingPlatform, actor, make_bot, right_and_wrong

NEW_YORK = ZoneInfo("America/New_York")
ADMIN = actor("admin", admin=True)


@dataclass
class RecapPlatform(RecordingPlatform):
    recaps: list[tuple[Channel, Recap]] = field(default_factory=list)

    async def send_recap(self, community: Community, channel: Channel, recap: Recap) -> str:
        self.recaps.append((channel, recap))
        return f"recap-{len(self.recaps)}"


@pytest.fixture
async def platform() -> RecapPlatform:
    return RecapPlatform()


async def play_last_week(bot, clock) -> None:
    """Channel c1 posts daily at 09:00 New York time; two posts in the week of 2026-11-23, answered by
    four people: the first mostly wrong, the second all right."""
    await bot.set_daily(ADMIN, DailySpec(time(9, 0), "America/New_York"))
    schedule = await bot.storage.schedule((await bot.storage.channels(1))[0].id)
    for day, right_count in (("2026-11-24", 1), ("2026-11-25", 4)):
        clock.set(f"{day}T09:00", "America/New_York")
        result = await bot.post_daily(schedule)
        assert result.key == "daily.posted", result
        question = bot.question_of(result.post)
        right, wrong = right_and_wrong(question)
        for i in range(4):
            clock.advance(minutes=1)
            feedback = await bot.answer(actor(f"u{i}"), result.post.id, right if i < right_count else wrong)
            assert feedback.outcome.status == "recorded"


async def test_recap_needs_an_admin_and_a_daily_schedule(bot, clock):
    reply = await run_command(bot, actor("u1"), ["recap", "on"])
    assert "管理者" in reply.text
    reply = await run_command(bot, ADMIN, ["recap", "on"])
    assert "毎日の出題を設定してください" in reply.text
    reply = await run_command(bot, ADMIN, ["recap", "maybe"])
    assert reply.text.startswith("使い方")
    await bot.set_daily(ADMIN, DailySpec(time(9, 0), "America/New_York"))
    reply = await run_command(bot, ADMIN, ["recap", "on"])
    assert "毎週月曜 09:00（America/New_York）" in reply.text
    reply = await run_command(bot, ADMIN, ["recap", "off"])
    assert "止めました" in reply.text
    reply = await run_command(bot, ADMIN, ["recap", "off"])
    assert "オフです" in reply.text


async def test_the_recap_comes_on_monday_at_the_daily_time_in_the_channels_zone(bot, clock, platform):
    async with asyncio.timeout(60):
        await play_last_week(bot, clock)
        await run_command(bot, ADMIN, ["recap", "on"])
        scheduler = DailyScheduler(bot)
        channel_id = (await bot.storage.channels(1))[0].id
        schedule = await bot.storage.schedule(channel_id)
        # The job: Mondays 09:00 in New York (23:00 in Tokyo, the community's zone).
        fire = recap_trigger(schedule).get_next_fire_time(None, datetime(2026, 11, 26, tzinfo=NEW_YORK))
        assert fire == datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK)
        # Sunday evening and Monday 08:59 there: nothing yet (Monday morning in Tokyo already).
        for moment in ("2026-11-29T20:00", "2026-11-30T08:59"):
            clock.set(moment, "America/New_York")
            await scheduler.sweep()
            assert platform.recaps == []
        clock.set("2026-11-30T09:00", "America/New_York")
        await scheduler.sweep()
        assert len(platform.recaps) == 1
        _, recap = platform.recaps[0]
        assert recap.week == "w2026-W48" == recap_week(datetime(2026, 11, 30).date())
        assert recap.activity.people == 4 and recap.activity.answers == 8 and recap.activity.correct == 5
        assert [row.name for row in recap.rows][:1] == ["U0"]  # right twice, first to answer
        assert recap.hardest is not None and recap.hardest.correct == 1 and recap.hardest.answered == 4
        assert recap.chart is not None and png_size(recap.chart.png) == BOARD_SIZE
        text = recap_text(recap)
        assert "2026-11-23 – 11-29" in text and "参加: 4 人・回答 8 件（正解 5 件）" in text
        assert "いちばん難しかった問題" in text and "正答率 25%" in text
        # Later sweeps, the job firing too, and a restart on the same database: still one.
        await scheduler.sweep()
        assert await bot.recaps.post_recap(channel_id) == "recap.already"
        clock.advance(hours=3)
        restarted = await make_bot(bot.settings, clock, bot.content, platform)
        try:
            await DailyScheduler(restarted).sweep()
        finally:
            await restarted.close()
        assert len(platform.recaps) == 1
        assert await bot.storage.recap_status(channel_id, "w2026-W48") == "sent"


async def test_two_processes_on_one_database_send_one_recap(bot, clock, platform):
    async with asyncio.timeout(60):
        await play_last_week(bot, clock)
        await run_command(bot, ADMIN, ["recap", "on"])
        other_platform = RecapPlatform()
        other = await make_bot(bot.settings, clock, bot.content, other_platform)
        try:
            clock.set("2026-11-30T09:00", "America/New_York")
            channel_id = (await bot.storage.channels(1))[0].id
            results = await asyncio.gather(
                *(b.recaps.post_recap(channel_id) for b in (bot, other, bot, other)),
                DailyScheduler(bot).sweep(),
                DailyScheduler(other).sweep(),
            )
            assert sorted(r for r in results if r is not None).count("recap.posted") == 1
            assert len(platform.recaps) + len(other_platform.recaps) == 1
        finally:
            await other.close()


async def test_a_recap_that_is_off_or_not_monday_is_not_sent(bot, clock, platform):
    await play_last_week(bot, clock)
    channel_id = (await bot.storage.channels(1))[0].id
    clock.set("2026-11-30T09:00", "America/New_York")
    assert await bot.recaps.post_recap(channel_id) == "recap.off"
    await run_command(bot, ADMIN, ["recap", "on"])
    clock.set("2026-12-01T09:00", "America/New_York")
    assert await bot.recaps.post_recap(channel_id) == "recap.not_due"
    assert platform.recaps == []


async def test_a_quiet_week_gets_a_recap_that_says_so(bot, clock, platform):
    await bot.set_daily(ADMIN, DailySpec(time(9, 0), "Asia/Tokyo"))
    await run_command(bot, ADMIN, ["recap", "on"])
    clock.set("2026-11-30T09:30")
    channel_id = (await bot.storage.channels(1))[0].id
    assert await bot.recaps.post_recap(channel_id) == "recap.posted"
    recap = platform.recaps[0][1]
    assert recap.activity.answers == 0 and recap.hardest is None
    assert "先週は回答がありませんでした" in recap_text(recap)
    assert recap.chart is not None  # the empty chart says "no data yet"


async def test_a_failed_send_is_recorded_and_never_repeated(bot, clock, platform):
    await bot.set_daily(ADMIN, DailySpec(time(9, 0), "Asia/Tokyo"))
    await run_command(bot, ADMIN, ["recap", "on"])
    clock.set("2026-11-30T09:30")
    channel_id = (await bot.storage.channels(1))[0].id

    async def broken(community, channel, recap):
        raise ConnectionResetError("the answer was lost: it may have been posted")

    platform.send_recap = broken  # type: ignore[method-assign]
    assert await bot.recaps.post_recap(channel_id) == "recap.failed"
    del platform.send_recap
    assert await bot.recaps.post_recap(channel_id) == "recap.already"
    assert await bot.storage.recap_status(channel_id, "w2026-W48") == "failed"


def test_the_hardest_question_needs_enough_answers():
    tallies = (QuestionTally(1, "a", 2, 0), QuestionTally(2, "b", 5, 2), QuestionTally(3, "c", 4, 1))
    assert hardest_question(tallies).post_id == 3  # 25% right; post 1 has too few answers
    assert hardest_question(tallies, minimum=6) is None


async def test_storage_claims_a_recap_once(bot):
    community = await bot.storage.community("test", "g9", "", "ja", "Asia/Tokyo")
    channel = await bot.storage.channel(community.id, "c9")
    claims = await asyncio.gather(*(bot.storage.claim_recap(channel.id, "w2026-W48", 1.0, f"t{i}") for i in range(5)))
    assert claims.count(True) == 1
    assert await bot.storage.claim_recap(channel.id, "w2026-W49", 2.0, "t") is True
    assert await bot.storage.set_recap(channel.id, True, None, 1.0) is True
    assert await bot.storage.set_recap(channel.id, True, None, 1.0) is False
    assert await bot.storage.recap_channels() == [channel.id]
    assert await bot.storage.set_recap(channel.id, False, None, 2.0) is True
    assert await bot.storage.recap_channels() == []
    activity = await bot.storage.channel_week(channel.id, "w2026-W48")
    assert (activity.people, activity.answers, activity.questions) == (0, 0, ())
    assert await bot.storage.daily_post_days(community.id, "2026-01-01") == []


async def test_the_recap_job_is_rebuilt_at_start_and_follows_the_daily_time(bot, clock):
    await bot.set_daily(ADMIN, DailySpec(time(9, 0), "America/New_York"))
    await run_command(bot, ADMIN, ["recap", "on"])
    channel_id = (await bot.storage.channels(1))[0].id
    restarted = await make_bot(bot.settings, clock, bot.content, RecapPlatform())
    scheduler = DailyScheduler(restarted)
    try:
        async with asyncio.timeout(30):
            await scheduler.start()
            when = scheduler.next_recap(channel_id).astimezone(NEW_YORK)
            assert (when.weekday(), when.hour, when.minute) == (0, 9, 0)
            await restarted.set_daily(ADMIN, DailySpec(time(7, 30), "Europe/Berlin"))
            when = scheduler.next_recap(channel_id).astimezone(ZoneInfo("Europe/Berlin"))
            assert (when.weekday(), when.hour, when.minute) == (0, 7, 30)
            await run_command(restarted, ADMIN, ["recap", "off"])
            assert scheduler.next_recap(channel_id) is None
    finally:
        await scheduler.stop()
        await restarted.close()

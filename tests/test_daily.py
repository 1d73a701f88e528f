"""The daily question: schedules, one post per channel per local day, catch-up, reveal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.commands import UserError, parse_daily_set
from bot.daily_posts import ChannelUnavailable
from bot.models import AnswerStatus, PostStatus, Schedule
from bot.scheduler import DailyScheduler, daily_trigger
from tests.conftest import ADMIN, RecordingPlatform, actor, fetch_row, make_bot, right_and_wrong


async def test_set_daily_saves_schedule_and_posts_once_per_day(bot, platform, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00", "mon-fri"]))
    clock.set("2026-11-23T09:00")
    first = await bot.post_daily(schedule)
    second = await bot.post_daily(schedule)
    assert first.key == "daily.posted"
    assert second.key == "daily.already"
    assert second.post is not None and second.post.id == first.post.id
    assert len(platform.sent) == 1
    assert first.post.local_date == "2026-11-23"
    assert first.post.status == PostStatus.OPEN
    assert first.post.message_ref == f"msg-{first.post.id}"


async def test_weekday_filter_skips_days_off(bot, platform, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00", "mon-fri"]))
    clock.set("2026-11-28T09:00")  # Saturday
    result = await bot.post_daily(schedule)
    assert result.key == "daily.not_set"
    assert platform.sent == []


async def test_non_admin_cannot_set_daily(bot):
    with pytest.raises(UserError) as err:
        await bot.set_daily(actor("someone"), parse_daily_set(["09:00"]))
    assert err.value.key == "daily.admin_only"
    assert await bot.storage.schedules() == []


async def test_unknown_filter_is_refused_at_set_time(bot):
    with pytest.raises(UserError) as err:
        await bot.set_daily(ADMIN, parse_daily_set(["09:00", "no-such-service"]))
    assert err.value.key == "quiz.no_match"


async def test_filter_limits_questions(bot, platform, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00", "DDB"]))
    assert schedule.service == "dynamodb"
    result = await bot.post_daily(schedule)
    assert result.post.question_id == "t-dynamodb-gsi"


async def test_channel_sees_every_question_before_any_repeats_then_least_recent(bot, platform, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    seen = []
    for day in range(4):
        clock.set(f"2026-11-{23 + day}T09:00")
        seen.append((await bot.post_daily(schedule)).post.question_id)
    assert sorted(seen) == sorted(bot.content.questions)  # four days, four different questions
    clock.set("2026-11-27T09:00")
    fifth = (await bot.post_daily(schedule)).post.question_id
    assert fifth == seen[0]  # the least recently used comes back first


async def test_two_bots_on_one_database_post_once(settings, clock, content):
    """Two processes sharing the database race for the same day: the database lets one win."""
    platforms = [RecordingPlatform(), RecordingPlatform()]
    bots = [await make_bot(settings, clock, content, p) for p in platforms]
    try:
        schedule = await bots[0].set_daily(ADMIN, parse_daily_set(["09:00"]))
        clock.set("2026-11-23T09:00")
        results = await asyncio.gather(*(b.post_daily(schedule) for b in bots for _ in range(5)))
        assert sum(r.key == "daily.posted" for r in results) == 1
        assert sum(len(p.sent) for p in platforms) == 1
        assert {r.key for r in results} == {"daily.posted", "daily.already"}
    finally:
        for b in bots:
            await b.close()


async def test_two_schedulers_starting_after_the_post_time_post_once(settings, clock, content):
    platforms = [RecordingPlatform(), RecordingPlatform()]
    bots = [await make_bot(settings, clock, content, p) for p in platforms]
    await bots[0].set_daily(ADMIN, parse_daily_set(["09:00"]))
    clock.set("2026-11-23T10:30")
    schedulers = [DailyScheduler(b) for b in bots]
    try:
        await asyncio.gather(*(s.start() for s in schedulers))
        assert sum(len(p.sent) for p in platforms) == 1
    finally:
        for s, b in zip(schedulers, bots, strict=True):
            await s.stop()
            await b.close()


async def test_restart_mid_day_catches_up_once_and_not_on_a_later_day(settings, clock, content):
    first = await make_bot(settings, clock, content)
    await first.set_daily(ADMIN, parse_daily_set(["09:00"]))
    await first.close()  # down before 09:00

    clock.set("2026-11-23T13:00")  # back the same local day, after the post time
    platform = RecordingPlatform()
    second = await make_bot(settings, clock, content, platform)
    scheduler = DailyScheduler(second)
    await scheduler.start()
    await scheduler.stop()
    assert len(platform.sent) == 1

    # Restarting again the same day does not post again.
    scheduler = DailyScheduler(second)
    await scheduler.start()
    await scheduler.stop()
    assert len(platform.sent) == 1
    await second.close()


async def test_restart_before_post_time_does_not_post_early(settings, clock, content, platform):
    bot = await make_bot(settings, clock, content, platform)
    await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    clock.set("2026-11-23T08:59")
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    assert platform.sent == []
    next_run = scheduler.next_daily((await bot.storage.schedules())[0].channel_id)
    await scheduler.stop()
    await bot.close()
    assert next_run is not None


async def test_scheduler_rebuilds_jobs_from_the_database(settings, clock, content):
    bot = await make_bot(settings, clock, content)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["21:15", "sat,sun", "America/New_York"]))
    await bot.close()
    bot = await make_bot(settings, clock, content)
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    job = scheduler.scheduler.get_job(f"daily:{schedule.channel_id}")
    await scheduler.stop()
    await bot.close()
    assert job is not None
    assert str(job.trigger.timezone) == "America/New_York"
    ny = ZoneInfo("America/New_York")
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=ny)
    fire = job.trigger.get_next_fire_time(None, friday)
    assert fire == datetime(2026, 11, 28, 21, 15, tzinfo=ny)
    assert job.trigger.get_next_fire_time(fire, fire.replace(minute=16)) == datetime(2026, 11, 29, 21, 15, tzinfo=ny)


def test_cron_trigger_keeps_local_time_across_dst():
    """09:30 in New York is 14:30 UTC in winter and 13:30 UTC in summer."""
    schedule = Schedule(channel_id=1, at=time(9, 30), timezone="America/New_York")
    trigger = daily_trigger(schedule)
    ny = ZoneInfo("America/New_York")
    before = datetime(2026, 3, 7, 8, 0, tzinfo=ny)  # Saturday morning, the day before the spring change
    fire1 = trigger.get_next_fire_time(None, before)
    fire2 = trigger.get_next_fire_time(fire1, fire1.replace(hour=10))
    assert fire1.astimezone(ZoneInfo("UTC")).hour == 14
    assert fire2.date().isoformat() == "2026-03-08"
    assert fire2.astimezone(ZoneInfo("UTC")).hour == 13
    assert (fire1.hour, fire1.minute, fire2.hour, fire2.minute) == (9, 30, 9, 30)


async def test_local_date_follows_the_schedule_timezone(bot, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:30", "Pacific/Auckland"]))
    clock.set("2026-11-23T00:30", "Pacific/Auckland")  # still the 22nd in Tokyo
    result = await bot.post_daily(schedule)
    assert result.post.local_date == "2026-11-23"


async def test_reveal_closes_the_post_and_reports_results(bot, platform, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    await bot.answer(actor("u1"), post.id, right)
    await bot.answer(actor("u2"), post.id, right)
    await bot.answer(actor("u3"), post.id, wrong)
    assert await bot.reveal(post.id) is True
    assert await bot.reveal(post.id) is False  # a second reveal (another process) does nothing
    assert len(platform.reveals) == 1
    _, _, results = platform.reveals[0]
    assert (results.answered, results.correct) == (3, 2)
    assert results.by_choice[right[0]] == 2
    late = await bot.answer(actor("u4"), post.id, right)
    assert late.outcome.status == AnswerStatus.CLOSED
    again = await bot.answer(actor("u1"), post.id, wrong)
    assert again.outcome.status == AnswerStatus.ALREADY  # still told their earlier answer


async def test_reveal_due_while_down_happens_at_start(settings, clock, content):
    platform = RecordingPlatform()
    bot = await make_bot(settings, clock, content, platform)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00", "reveal=2h"]))
    clock.set("2026-11-23T09:00")
    post = (await bot.post_daily(schedule)).post
    await bot.close()
    clock.set("2026-11-23T11:30")
    platform = RecordingPlatform()
    bot = await make_bot(settings, clock, content, platform)
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    await scheduler.stop()  # waits for the reveal task
    assert [p.id for p, _, _ in platform.reveals] == [post.id]
    assert (await bot.storage.post(post.id)).status == PostStatus.CLOSED
    await bot.close()


async def test_pending_reveal_is_scheduled_after_restart(settings, clock, content):
    clock.current = datetime.now(UTC)  # APScheduler runs on the real clock
    bot = await make_bot(settings, clock, content)
    await bot.set_daily(ADMIN, parse_daily_set(["00:00", "reveal=90m"]))
    post = (await bot.daily_now(ADMIN)).post
    await bot.close()
    bot = await make_bot(settings, clock, content)
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    job = scheduler.scheduler.get_job(f"reveal:{post.id}")
    await scheduler.stop()
    await bot.close()
    assert job is not None
    assert job.next_run_time.timestamp() == pytest.approx(clock.current.timestamp() + 90 * 60)


async def test_channel_unavailable_disables_the_schedule(bot, platform, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    platform.fail_with = ChannelUnavailable("not_in_channel")
    result = await bot.post_daily(schedule)
    assert result.key == "daily.failed"
    assert await bot.storage.schedules() == []
    assert (await bot.storage.post(result.post.id)).status == PostStatus.FAILED


async def test_what_admins_are_told_never_carries_the_platforms_raw_answer(bot, platform, clock):
    """A proxy in front of the platform answers with its own page: internal addresses and all. That
    goes to the log and the post's row; the admin reads a plain sentence in their language."""
    from bot.render import daily_result_text

    await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    raw = '403 <html><a href="http://10.0.3.7:8080/internal/api/v10">proxy</a> {"code": 50013}</html>'
    platform.fail_with = ChannelUnavailable(f"Discord channel c1: {raw}", "forbidden")
    result = await bot.daily_now(ADMIN)
    text = daily_result_text(result, "ja")  # the community's language
    assert text == "投稿できませんでした: ボットにこのチャンネルへの投稿権限がありません"
    (stored,) = await fetch_row(bot.settings.database, "SELECT error FROM posts WHERE id = ?", result.post.id)
    assert "10.0.3.7" in stored  # kept for the operator
    platform.fail_with = None
    bot.platforms.clear()
    result = await bot.daily_now(ADMIN)
    assert (
        daily_result_text(result, "ja")
        == "投稿できませんでした: test に接続していません。少し待ってからもう一度お試しください"
    )


async def test_a_failed_send_is_taken_over_at_its_retry_time(bot, platform, clock):
    scheduler = DailyScheduler(bot)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00"]))
    platform.fail_with = RuntimeError("network down")
    result = await bot.post_daily(schedule)
    assert result.key == "daily.retrying"
    claimed = await bot.storage.post(result.post.id)
    assert (claimed.status, claimed.attempts) == (PostStatus.CLAIMED, 1)
    assert (await bot.post_daily(schedule)).key == "daily.already"  # the day stays reserved for it
    platform.fail_with = None
    await scheduler.sweep()  # before the retry time
    assert platform.sent == []
    clock.advance(seconds=61)
    await scheduler.sweep()
    assert [p.id for _, p, _ in platform.sent] == [result.post.id]  # the same post, sent once
    assert (await bot.storage.post(result.post.id)).status == PostStatus.OPEN


async def test_a_send_the_platform_took_without_answering_is_not_sent_again(bot, platform, clock):
    """The platform shows the message but the reply is lost (a dropped connection): the retry finds it."""
    scheduler = DailyScheduler(bot)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00"]))
    platform.drop_replies = 1
    assert (await bot.post_daily(schedule)).key == "daily.retrying"
    clock.advance(seconds=61)
    await scheduler.sweep()
    assert len(platform.sent) == 1
    [post] = await bot.storage.open_daily_posts()
    assert post.message_ref == f"msg-{post.id}"


async def test_sends_are_given_up_after_the_last_retry(bot, platform, clock):
    scheduler = DailyScheduler(bot)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00"]))
    platform.fail_with = RuntimeError("network down")
    post_id = (await bot.post_daily(schedule)).post.id
    for wait in (60, 300, 900):
        clock.advance(seconds=wait + 1)
        await scheduler.sweep()
    post = await bot.storage.post(post_id)
    assert post.status == PostStatus.FAILED and post.attempts == 3
    assert platform.sent == []


async def test_daily_off_and_now(bot, platform, clock):
    await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    assert await bot.daily_off(ADMIN) is True
    assert await bot.daily_off(ADMIN) is False
    assert await bot.storage.schedules() == []
    now = await bot.daily_now(ADMIN)
    assert now.key == "daily.posted"
    assert (await bot.daily_now(ADMIN)).key == "daily.already"
    with pytest.raises(UserError):
        await bot.daily_now(actor("u9"))


async def test_live_scheduler_fires_the_daily_job(bot, platform, clock):
    """A real APScheduler run: a job due now posts through the core."""
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    channel = await bot.storage.channel((await bot.context(ADMIN)).community.id, "c1")
    await bot.storage.save_schedule(Schedule(channel.id, datetime.now().time(), "UTC"))
    scheduler.scheduler.add_job(scheduler.run_daily, "date", args=[channel.id], id="soon")
    for _ in range(50):
        if platform.sent:
            break
        await asyncio.sleep(0.05)
    await scheduler.stop()
    assert len(platform.sent) == 1

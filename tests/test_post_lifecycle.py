"""The daily post's life cycle under faults: several processes on one database, one of them dying at
any step, a suspended machine, content edited while posts are open. Nothing lost, nothing doubled,
nothing attributed to the wrong question."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import yaml

from bot.commands import parse_daily_set
from bot.models import AnswerStatus, PostStatus
from bot.scheduler import DailyScheduler
from tests.conftest import ADMIN, FIXTURE_CONTENT, RecordingPlatform, actor, make_bot, right_and_wrong

LEASE = 5.0


def with_lease(settings):
    return replace(settings, lease_seconds=LEASE)


async def test_a_click_from_another_channel_or_community_is_refused(bot, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    for who in (actor("u1", channel="c2"), actor("u1", community="g2")):
        feedback = await bot.answer(who, post.id, right)
        assert feedback.outcome.status == AnswerStatus.UNKNOWN_POST
    assert (await bot.storage.post_results(post.id)).answered == 0
    assert (await bot.answer(actor("u1"), post.id, right)).outcome.status == AnswerStatus.RECORDED


async def test_post_ids_are_never_reused(bot, platform, clock):
    """A send given up keeps its row: the next post gets a new id, and the old id names nothing."""
    first = await bot.set_daily(ADMIN, parse_daily_set(["00:00"]))
    platform.fail_with = RuntimeError("down")
    failed = (await bot.post_daily(first)).post
    bot.posts.send_retry_delays = ()  # the next failure gives up
    clock.advance(seconds=120)
    await DailyScheduler(bot).sweep()
    assert (await bot.storage.post(failed.id)).status == PostStatus.FAILED
    platform.fail_with = None
    other = await bot.set_daily(actor("admin", channel="c2", admin=True), parse_daily_set(["00:00"]))
    posted = (await bot.post_daily(other)).post
    assert posted.id > failed.id
    right, _ = right_and_wrong(bot.question_of(posted))
    stale = await bot.answer(actor("u1", channel="c2"), failed.id, right)  # the old message's button
    assert stale.outcome.status == AnswerStatus.UNKNOWN_POST


async def test_an_answer_after_the_reveal_time_is_refused_before_the_reveal_runs(bot, clock):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00", "reveal=60m"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    clock.advance(minutes=61)  # nobody has revealed it yet
    late = await bot.answer(actor("u1"), post.id, right)
    assert late.outcome.status == AnswerStatus.CLOSED
    assert (await bot.storage.post_results(post.id)).answered == 0


async def two_bots(settings, clock, content):
    """Two processes on one database, each with its platform connection."""
    platforms = RecordingPlatform(), RecordingPlatform()
    bots = [await make_bot(with_lease(settings), clock, content, p) for p in platforms]
    return bots, platforms


async def test_two_processes_reveal_a_due_post_exactly_once(settings, clock, content):
    (a, b), (pa, pb) = await two_bots(settings, clock, content)
    try:
        schedule = await a.set_daily(ADMIN, parse_daily_set(["00:00", "reveal=60m"]))
        post = (await a.post_daily(schedule)).post
        clock.advance(minutes=61)
        await asyncio.gather(DailyScheduler(a).sweep(), DailyScheduler(b).sweep())
        assert len(pa.reveals) + len(pb.reveals) == 1
        assert (await a.storage.post(post.id)).revealed_at is not None
    finally:
        await a.close()
        await b.close()


async def test_a_post_whose_process_died_before_sending_is_sent_by_another(settings, clock, content):
    (a, b), (pa, pb) = await two_bots(settings, clock, content)
    try:
        schedule = await a.set_daily(ADMIN, parse_daily_set(["00:00"]))
        pa.fail_with = asyncio.CancelledError()  # a dies in the middle of the send: nothing is recorded
        try:
            await a.post_daily(schedule)
        except asyncio.CancelledError:
            pass
        [claimed] = [p for p in [await a.storage.daily_post_on(schedule.channel_id, "2026-11-23")] if p]
        assert claimed.status == PostStatus.CLAIMED
        await DailyScheduler(b).sweep()  # the lease still holds
        assert pb.sent == []
        clock.advance(seconds=LEASE + 1)
        await DailyScheduler(b).sweep()
        assert [p.id for _, p, _ in pb.sent] == [claimed.id]
        assert (await b.storage.post(claimed.id)).status == PostStatus.OPEN
    finally:
        await a.close()
        await b.close()


async def test_a_post_that_reached_the_channel_before_its_process_died_is_not_sent_twice(settings, clock, content):
    (a, b), (pa, pb) = await two_bots(settings, clock, content)
    try:
        schedule = await a.set_daily(ADMIN, parse_daily_set(["00:00"]))
        pa.drop_replies = 1  # the message got there; the answer never came back
        await a.post_daily(schedule)
        pb.sent = pa.sent  # the same channel, seen from the other process
        clock.advance(seconds=SEND_RETRY + 1)
        await DailyScheduler(b).sweep()
        assert len(pa.sent) == 1
        [post] = await b.storage.open_daily_posts()
        assert post.message_ref == f"msg-{post.id}"
    finally:
        await a.close()
        await b.close()


SEND_RETRY = 60


async def test_a_reveal_whose_process_died_is_finished_by_another(settings, clock, content):
    (a, b), (_, pb) = await two_bots(settings, clock, content)
    try:
        schedule = await a.set_daily(ADMIN, parse_daily_set(["00:00", "reveal=60m"]))
        post = (await a.post_daily(schedule)).post
        clock.advance(minutes=61)
        assert await a.storage.close_post(post.id, clock().timestamp())  # a closed it and died
        await DailyScheduler(b).sweep()
        assert pb.reveals == []  # its reveal lease still holds
        clock.advance(seconds=LEASE + 1)
        await DailyScheduler(b).sweep()
        assert [p.id for p, _, _ in pb.reveals] == [post.id]
        assert (await b.storage.post(post.id)).revealed_at is not None
    finally:
        await a.close()
        await b.close()


async def test_a_post_time_missed_in_a_suspend_is_caught_up_the_same_day(bot, platform, clock):
    scheduler = DailyScheduler(bot)
    await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    clock.set("2026-11-23T11:30")  # the machine slept from 08:00 to 11:30: the job's grace hour is gone
    await scheduler.sweep()
    assert len(platform.sent) == 1
    await scheduler.sweep()
    assert len(platform.sent) == 1  # once
    clock.set("2026-11-24T08:00")  # the next day, before its time: nothing yet, and nothing for yesterday
    await scheduler.sweep()
    assert len(platform.sent) == 1


async def test_stop_waits_for_a_post_under_way(bot, platform, clock):
    class Slow(RecordingPlatform):
        async def send_question(self, community, channel, post, question):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.3)
            return await super().send_question(community, channel, post, question)

    slow = Slow()
    bot.register(slow)
    scheduler = DailyScheduler(bot)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00"]))
    job = asyncio.create_task(scheduler._daily_job(schedule.channel_id))
    await asyncio.sleep(0.05)
    await scheduler.stop()
    assert len(slow.sent) == 1
    assert (await bot.storage.open_daily_posts())[0].message_ref is not None
    await job


def edited_bank(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    path = target / "questions" / "sample.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"] = edit(data["questions"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


async def test_a_changed_answer_key_does_not_rescore_an_open_post(bot, platform, clock, tmp_path):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00", "sqs"]))
    post = (await bot.post_daily(schedule)).post
    posted = bot.question_of(post)
    right, wrong = right_and_wrong(posted)
    assert (await bot.answer(actor("u1"), post.id, right)).outcome.correct

    def rekey(questions):  # type: ignore[no-untyped-def]
        for q in questions:
            if q["id"] == posted.id:
                q["answer"] = wrong
        return questions

    bot.settings = replace(bot.settings, content_dir=edited_bank(tmp_path, rekey))
    await bot.reload_content()
    assert bot.content.questions[posted.id].answer == frozenset(wrong)
    second = await bot.answer(actor("u2"), post.id, right)
    assert second.outcome.correct  # scored by the question its members saw
    assert await bot.reveal(post.id)
    _, revealed, results = platform.reveals[-1]
    assert revealed.answer == posted.answer and (results.answered, results.correct) == (2, 2)


async def test_a_removed_question_is_still_answered_and_revealed(bot, platform, clock, tmp_path):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00", "sqs"]))
    post = (await bot.post_daily(schedule)).post
    posted = bot.question_of(post)
    bot.settings = replace(
        bot.settings, content_dir=edited_bank(tmp_path, lambda qs: [q for q in qs if q["id"] != posted.id])
    )
    await bot.reload_content()
    assert posted.id not in bot.content.questions
    right, _ = right_and_wrong(posted)
    assert (await bot.answer(actor("u1"), post.id, right)).outcome.status == AnswerStatus.RECORDED
    assert await bot.reveal(post.id)
    assert platform.reveals[-1][1].prompt == posted.prompt

"""Spaced repetition: every stored answer is a review of its question, scheduled by the `fsrs` library
(checked against the library itself), stored as cards and optimizer-shaped logs on both backends."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES

from bot.config import PROJECT_ROOT
from bot.memory import LEARNING_STEPS, RELEARNING_STEPS
from bot.models import AnswerStatus
from bot.reviews import count_due, optimizer_logs
from bot.storage import open_storage
from tests.conftest import actor, fetch_row, right_and_wrong

TIMEOUT = 30


def reference(retention: float = 0.9, fuzz: bool = False) -> Scheduler:
    """The library's scheduler with studybot's settings, built here from the library alone."""
    return Scheduler(
        desired_retention=retention,
        learning_steps=LEARNING_STEPS,
        relearning_steps=RELEARNING_STEPS,
        enable_fuzzing=fuzz,
    )


async def practise(bot, who, question_id: str, correct: bool):
    """One practice answer to `question_id` (the bank is small: filter until it comes up)."""
    question = bot.content.questions[question_id]
    for _ in range(50):
        view = await bot.practice(who, question.services[0])
        if view.question.id == question_id:
            break
    else:
        raise AssertionError(f"practice never offered {question_id}")
    right, wrong = right_and_wrong(view.question)
    feedback = await bot.answer(who, view.post.id, right if correct else wrong)
    assert feedback.outcome.status == AnswerStatus.RECORDED
    return view


def fuzz_delta(days: int) -> float:
    """How far the library's fuzz may move an interval of `days` (fsrs.scheduler.FUZZ_RANGES), rounded up."""
    delta = 1.0
    for part in FUZZ_RANGES:
        delta += part["factor"] * max(min(float(days), part["end"]) - part["start"], 0.0)
    return round(delta) + 1


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


async def test_answers_are_reviews_scheduled_as_the_library_schedules_them(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("u1")
        ctx = await bot.context(who)
        expected = Card(card_id=1)
        model = reference()
        for day, correct in enumerate([False, True, True, True, False, True]):
            clock.set("2026-11-23T08:00")
            clock.advance(days=day * 3)
            view = await practise(bot, who, "t-sqs-visibility", correct)
            expected, _ = model.review_card(expected, Rating.Good if correct else Rating.Again, utc(clock()))
            cards = await bot.storage.review_cards(ctx.user.id, ctx.community.id)
            assert [c.question_id for c in cards] == ["t-sqs-visibility"]
            card = cards[0]
            assert card.state == int(expected.state)
            assert abs(card.stability - expected.stability) < 1e-9
            assert card.last_review == clock().timestamp()
            interval = timedelta(seconds=card.due - card.last_review)
            plain = expected.due - expected.last_review
            if expected.state == State.Review and plain.days >= 3:  # fuzzed within the library's range
                assert abs(interval.days - plain.days) <= fuzz_delta(plain.days)
                assert interval.seconds == 0
            else:
                assert interval == plain
            assert view.question.id == "t-sqs-visibility"
        logs = await bot.storage.review_logs(ctx.user.id, ctx.community.id)
        assert [log.rating for log in logs] == [1, 3, 3, 3, 1, 3]
        assert len({log.card_id for log in logs}) == 1
        assert all(log.review_duration is not None and log.review_duration >= 0 for log in logs)


async def test_review_logs_replay_to_the_stored_card(bot, clock):
    """The logs are what the library's Optimizer and reschedule_card read: replayed, they give the card."""
    async with asyncio.timeout(TIMEOUT):
        who = actor("u2")
        ctx = await bot.context(who)
        for day, correct in enumerate([True, False, True]):
            clock.set("2026-11-23T20:00")
            clock.advance(days=day * 2)
            await practise(bot, who, "t-cfn-retain", correct)
        logs = optimizer_logs(await bot.storage.review_logs(ctx.user.id, ctx.community.id))
        assert [log.rating for log in logs] == [Rating.Good, Rating.Again, Rating.Good]
        replayed = reference().reschedule_card(Card(card_id=logs[0].card_id), logs)
        card = (await bot.storage.review_cards(ctx.user.id, ctx.community.id))[0]
        assert abs(replayed.stability - card.stability) < 1e-9
        assert replayed.state == card.state


async def test_a_daily_answer_is_a_review_and_only_the_first_click(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        from tests.test_answers import daily_post

        post = await daily_post(bot, clock)
        question = bot.question_of(post)
        right, wrong = right_and_wrong(question)
        clock.advance(minutes=3)
        await bot.answer(actor("u1"), post.id, wrong)
        await bot.answer(actor("u1"), post.id, right)  # a second click: not a second review
        ctx = await bot.context(actor("u1"))
        logs = await bot.storage.review_logs(ctx.user.id, ctx.community.id)
        assert [(log.question_id, log.rating) for log in logs] == [(question.id, int(Rating.Again))]
        assert logs[0].review_duration == 3 * 60 * 1000  # posted at 09:00, answered at 09:03
        row = await fetch_row(bot.settings.database, "SELECT COUNT(*) FROM review_cards WHERE user_id = ?", ctx.user.id)
        assert row == (1,)


async def test_count_due_counts_today_in_the_community_zone_and_skips_removed_questions(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("u3")
        ctx = await bot.context(who)
        clock.set("2026-11-23T21:00")
        await practise(bot, who, "t-sqs-visibility", False)  # wrong: again in a day
        await practise(bot, who, "t-route53-failover", False)
        assert await count_due(bot.storage, ctx.user.id, ctx.community.id, clock()) == 0
        clock.set("2026-11-24T07:00")  # due at 21:00 today: counted in the morning already
        assert await count_due(bot.storage, ctx.user.id, ctx.community.id, clock()) == 2
        bank = {qid for qid in bot.content.questions if qid != "t-route53-failover"}
        assert await count_due(bot.storage, ctx.user.id, ctx.community.id, clock(), bank=bank) == 1
        # Another zone's day: at 07:00 Tokyo it is still the 23rd in New York, and nothing is due there.
        assert await count_due(bot.storage, ctx.user.id, ctx.community.id, clock(), timezone="America/New_York") == 0
        nobody = await bot.context(actor("nobody"))
        assert await count_due(bot.storage, nobody.user.id, nobody.community.id, clock()) == 0


async def test_retention_is_the_communitys_setting(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("u4")
        ctx = await bot.context(who)
        await bot.storage.set_desired_retention(ctx.community.id, 0.8)
        community = await bot.storage.community_by_id(ctx.community.id)
        assert community.desired_retention == 0.8
        clock.set("2026-11-23T08:00")
        await practise(bot, who, "t-cfn-retain", True)
        card = (await bot.storage.review_cards(ctx.user.id, ctx.community.id))[0]
        expected, _ = reference(0.8).review_card(Card(card_id=1), Rating.Good, utc(clock()))
        days = (card.due - card.last_review) / 86400
        plain = (expected.due - expected.last_review).days
        assert abs(days - plain) <= fuzz_delta(plain)
        at_default, _ = reference(0.9).review_card(Card(card_id=1), Rating.Good, utc(clock()))
        assert days > (at_default.due - at_default.last_review).days + 2  # a lower target: longer intervals


async def test_two_answers_of_one_learner_to_one_question_at_once_are_two_reviews(bot, clock, content):
    """Two practice posts of the same question answered together (two tabs): the second review builds on
    the first, in one fold on either backend (tests/test_postgres_review_fold.py races two processes'
    answers for a card that does not exist yet)."""
    from bot.snapshots import dump_question

    async with asyncio.timeout(TIMEOUT):
        for round_, who in enumerate(actor(f"racer{i}") for i in range(5)):
            ctx = await bot.context(who)
            question = content.questions["t-sqs-visibility"]
            posts = [
                await bot.storage.create_practice_post(
                    ctx.community.id, ctx.user.id, question.id, dump_question(question), clock().timestamp()
                )
                for _ in range(2)
            ]
            right, wrong = right_and_wrong(question)
            outcomes = await asyncio.gather(bot.answer(who, posts[0].id, wrong), bot.answer(who, posts[1].id, right))
            assert [o.outcome.status for o in outcomes] == [AnswerStatus.RECORDED] * 2, round_
            logs = await bot.storage.review_logs(ctx.user.id, ctx.community.id)
            assert len(logs) == 2 and len({log.card_id for log in logs}) == 1
            row = await fetch_row(
                bot.settings.database,
                "SELECT reps, card_id FROM review_cards WHERE user_id = ? AND question_id = ?",
                ctx.user.id,
                question.id,
            )
            assert row == (2, logs[0].card_id)


@pytest.mark.sqlite_only
async def test_an_existing_database_gains_reviews_with_the_default_retention(tmp_path):
    """A database from before reviews (schema 4) migrates: its communities get the default retention, and
    its answers stay as they were (they are not replayed into reviews)."""
    from bot.storage import MIGRATIONS, open_storage
    from bot.storage.sqlite.schema import statements

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for script in MIGRATIONS[:4]:
            for statement in statements(script):
                conn.execute(statement)
        conn.execute("PRAGMA user_version=4")
        conn.execute(
            "INSERT INTO communities (platform, platform_id, name, locale, timezone) VALUES ('x', 'g', '', 'ja', 'UTC')"
        )
    storage = await open_storage(path)
    try:
        community = await storage.community_by_id(1)
        assert community is not None and community.desired_retention == 0.9
        assert await storage.review_cards(1, 1) == [] and await storage.review_logs(1, 1) == []
    finally:
        await storage.close()


async def test_answers_are_not_reviews_in_the_benchs_baseline(bot, clock):
    """record_reviews=False (bench/answers.py --no-reviews): the answer is stored and scored, no card or log."""
    async with asyncio.timeout(TIMEOUT):
        from tests.test_answers import daily_post

        bot.storage.record_reviews = False
        post = await daily_post(bot, clock)
        right, _ = right_and_wrong(bot.question_of(post))
        clock.advance(minutes=3)
        feedback = await bot.answer(actor("u1"), post.id, right)
        assert feedback.outcome.status == AnswerStatus.RECORDED
        ctx = await bot.context(actor("u1"))
        assert await bot.storage.review_logs(ctx.user.id, ctx.community.id) == []
        assert await bot.storage.review_cards(ctx.user.id, ctx.community.id) == []
        bot.storage.record_reviews = True
        await practise(bot, actor("u1"), bot.question_of(post).id, True)
        assert len(await bot.storage.review_logs(ctx.user.id, ctx.community.id)) == 1


# A process that records answers and dies the moment they are acknowledged, before its reviews are
# applied (they are applied after the answers' batch, a chunk at a time: sqlite/reviews.py).
DIE_AFTER_ANSWERS = """
import asyncio, os, sys
from bot.models import AnswerRequest
from bot.storage import open_storage

async def main():
    storage = await open_storage(sys.argv[1])
    community = await storage.community("test", "g1", "", "ja", "Asia/Tokyo")
    channel = await storage.channel(community.id, "c1")
    post = await storage.claim_daily_post(community.id, channel.id, "q1", "{}", "2026-11-23", 1000.0, "t")
    await storage.mark_post_sent(post.id, "m1", None)
    users = [await storage.user("test", f"u{i}", f"U{i}") for i in range(300)]
    requests = [AnswerRequest(post.id, u.id, ("a",), i % 3 > 0, 1500.0, "m2026-11", "w2026-W48") for i, u in enumerate(users)]
    outcomes = await asyncio.gather(*(storage.record_answer(r) for r in requests))
    assert all(o.status.value == "recorded" for o in outcomes)
    print("acknowledged", flush=True)
    os._exit(0)  # no close: what is not committed yet is lost, as with kill -9

asyncio.run(main())
"""


async def test_answers_acknowledged_before_a_crash_are_each_reviewed_once_after_it(tmp_path):
    path = tmp_path / "crash.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DIE_AFTER_ANSWERS, str(path), stdout=asyncio.subprocess.PIPE, cwd=PROJECT_ROOT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert out.strip() == b"acknowledged"
    raw = await fetch_row(path, "SELECT (SELECT COUNT(*) FROM answers), (SELECT COUNT(*) FROM review_logs)")
    assert raw is not None and raw[0] == 300 and raw[1] < 300, "the crash should leave reviews unapplied"
    for _ in range(2):  # opened twice: applied once, never again
        storage = await open_storage(path)
        try:
            logs = [log for u in range(1, 301) for log in await storage.review_logs(u, 1)]
        finally:
            await storage.close()
        assert len(logs) == 300 and len({log.answer_id for log in logs}) == 300
        assert sorted(log.rating for log in logs) == sorted(
            int(Rating.Good) if i % 3 > 0 else int(Rating.Again) for i in range(300)
        )
    cards = await fetch_row(path, "SELECT COUNT(*), MAX(reps) FROM review_cards")
    assert cards == (300, 1)

"""Answers: the first one counts, double clicks and stale buttons lose nothing, multi-select is all-or-nothing."""

from __future__ import annotations

import asyncio

import pytest

from bot.commands import parse_daily_set
from bot.models import AnswerStatus
from bot.render import feedback_text
from tests.conftest import ADMIN, actor, right_and_wrong


async def daily_post(bot, clock, when="2026-11-23T09:00", filter_args=()):
    clock.set(when)
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00", *filter_args]))
    return (await bot.post_daily(schedule)).post


async def test_first_answer_counts_and_later_clicks_are_told(bot, clock):
    post = await daily_post(bot, clock)
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    first = await bot.answer(actor("u1"), post.id, wrong)
    assert first.outcome.status == AnswerStatus.RECORDED and not first.outcome.correct
    second = await bot.answer(actor("u1"), post.id, right)
    assert second.outcome.status == AnswerStatus.ALREADY
    assert second.outcome.choices == tuple(wrong)
    assert "回答済み" in feedback_text(second)
    results = await bot.storage.post_results(post.id)
    assert (results.answered, results.correct) == (1, 0)


async def test_feedback_gives_the_chosen_explanation_not_the_full_reveal(bot, clock):
    post = await daily_post(bot, clock)
    question = bot.question_of(post)
    right, _ = right_and_wrong(question)
    text = feedback_text(await bot.answer(actor("u1"), post.id, right), "Asia/Tokyo")
    assert "正解" in text
    assert question.choice(right[0]).explanation in text
    others = [c for c in question.choices if c.id not in right]
    assert all(c.explanation not in text for c in others)
    assert "17:00" in text  # when the channel gets the full reveal (8 h default)


async def test_multi_select_is_all_or_nothing(bot, clock):
    post = await daily_post(bot, clock, filter_args=["dynamodb"])
    question = bot.question_of(post)
    assert question.multi
    right, wrong = right_and_wrong(question)
    half = await bot.answer(actor("u1"), post.id, [right[0], wrong[0]])  # one right, one wrong
    full = await bot.answer(actor("u2"), post.id, [right[1].upper(), right[0]])  # order and case do not matter
    assert half.outcome.status == full.outcome.status == AnswerStatus.RECORDED
    assert not half.outcome.correct and half.outcome.points == 0
    assert full.outcome.correct and full.outcome.points == 10


async def test_wrong_number_of_choices_is_refused_and_not_stored(bot, clock):
    post = await daily_post(bot, clock, filter_args=["dynamodb"])
    only_one = await bot.answer(actor("u1"), post.id, ["a"])
    assert only_one.error_key == "answer.need_count"
    unknown = await bot.answer(actor("u1"), post.id, ["a", "z"])
    assert unknown.error_key == "answer.bad_choice"
    empty = await bot.answer(actor("u1"), post.id, [])
    assert empty.error_key == "answer.need_count"
    assert (await bot.storage.post_results(post.id)).answered == 0
    ok = await bot.answer(actor("u1"), post.id, ["a", "c"])
    assert ok.outcome.status == AnswerStatus.RECORDED  # refusals did not use up the user's answer


async def test_unknown_post_is_refused(bot, clock):
    feedback = await bot.answer(actor("u1"), 99999, ["a"])
    assert feedback.outcome.status == AnswerStatus.UNKNOWN_POST
    assert "見つかりません" in feedback_text(feedback)


async def test_many_users_answer_one_post_concurrently(bot, clock):
    post = await daily_post(bot, clock)
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    users = [actor(f"user{i}") for i in range(200)]
    results = await asyncio.gather(*(bot.answer(u, post.id, right if i % 4 else wrong) for i, u in enumerate(users)))
    assert all(r.outcome.status == AnswerStatus.RECORDED for r in results)
    stored = await bot.storage.post_results(post.id)
    assert (stored.answered, stored.correct) == (200, 150)


async def test_double_clicks_by_one_user_store_one_answer(bot, clock):
    post = await daily_post(bot, clock)
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    clicks = [bot.answer(actor("u1"), post.id, right if i % 2 else wrong) for i in range(20)]
    results = await asyncio.gather(*clicks)
    statuses = [r.outcome.status for r in results]
    assert statuses.count(AnswerStatus.RECORDED) == 1
    assert statuses.count(AnswerStatus.ALREADY) == 19
    assert (await bot.storage.post_results(post.id)).answered == 1
    board = await bot.leaderboard(actor("u1"), "all")
    assert [r.answered for r in board.rows] == [1]


@pytest.mark.sqlite_only  # about the group commit: calls queued in order run in one batch in that order
async def test_an_answer_queued_just_after_the_reveal_is_refused(bot, clock):
    """Answers in one batch share what they read about the post; a close between them must be seen."""
    post = await daily_post(bot, clock)
    right, _ = right_and_wrong(bot.question_of(post))
    for user in ("u1", "u2"):
        await bot.context(actor(user))
    await bot.answer(actor("u0"), post.id, right)  # what answering reads once per post is read now
    before, closed, after = await asyncio.gather(
        bot.answer(actor("u1"), post.id, right),
        bot.storage.close_post(post.id),
        bot.answer(actor("u2"), post.id, right),
    )
    assert (before.outcome.status, closed, after.outcome.status) == (AnswerStatus.RECORDED, True, AnswerStatus.CLOSED)
    assert (await bot.storage.post_results(post.id)).answered == 2


async def test_practice_is_private_and_off_the_leaderboard(bot, clock):
    view = await bot.practice(actor("u1"), "sqs")
    assert view.question.id == "t-sqs-visibility"
    right, _ = right_and_wrong(view.question)  # the question as this post shows it
    other = await bot.answer(actor("u2"), view.post.id, right)
    assert other.outcome.status == AnswerStatus.NOT_YOURS
    mine = await bot.answer(actor("u1"), view.post.id, right)
    assert mine.outcome.status == AnswerStatus.RECORDED and mine.outcome.correct
    assert mine.outcome.points == 0
    assert view.question.explanation in feedback_text(mine)  # practice shows the answer at once
    assert (await bot.leaderboard(actor("u1"), "all")).rows == []
    stats = await bot.stats(actor("u1"))
    assert (stats.total.answered, stats.total.correct, stats.practice, stats.daily) == (1, 1, 1, 0)


async def test_practice_prefers_unseen_then_wrong(bot, clock):
    seen = set()
    for _ in range(len(bot.content.questions)):
        view = await bot.practice(actor("u1"))
        seen.add(view.question.id)
        right, wrong = right_and_wrong(view.question)
        await bot.answer(actor("u1"), view.post.id, wrong if view.question.id == "t-cfn-retain" else right)
    assert seen == set(bot.content.questions)  # every question once before any repeat
    nxt = await bot.practice(actor("u1"))
    assert nxt.question.id == "t-cfn-retain"  # the one got wrong comes back first

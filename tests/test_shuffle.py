"""Choices are shuffled per post: the answer's position teaches nothing, everyone in a channel sees one
order, and the order holds after a restart because the post keeps it."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from bot.commands import parse_daily_set
from bot.snapshots import shuffled
from tests.conftest import ADMIN, actor, make_bot


def test_a_shuffle_keeps_the_question_and_moves_its_answer(content):
    question = content.questions["t-sqs-visibility"]
    positions = Counter()
    for day in range(60):
        version = shuffled(question, f"7:2026-11-{day}")
        assert sorted(c.text for c in version.choices) == sorted(c.text for c in question.choices)
        assert [c.id for c in version.choices] == ["a", "b", "c"]
        (answer,) = version.answer
        assert version.choice(answer).text == question.choice("a").text  # the same right text
        assert version.choice(answer).explanation == question.choice("a").explanation
        positions[answer] += 1
    assert set(positions) == {"a", "b", "c"} and min(positions.values()) >= 10
    assert shuffled(question, "x") == shuffled(question, "x")


def test_a_question_can_keep_its_order(content):
    question = replace(content.questions["t-sqs-visibility"], shuffle=False)
    assert shuffled(question, "any") is question


async def test_the_post_keeps_its_order_after_a_restart(bot, settings, clock, content):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["00:00", "sqs"]))
    post = (await bot.post_daily(schedule)).post
    shown = bot.question_of(post)
    await bot.close()
    again = await make_bot(settings, clock, content)
    try:
        stored = await again.storage.post(post.id)
        assert again.question_of(stored) == shown
        (answer,) = shown.answer
        feedback = await again.answer(actor("u1"), post.id, [answer])
        assert feedback.outcome.correct
    finally:
        await again.close()

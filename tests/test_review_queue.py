"""/study review through the core and the console: due questions first in the documented order, then new
ones, the count of what remains, /quiz preferring due questions, and the bad input of the issue."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.content import ContentBank
from bot.memory import CardState
from bot.models import AnswerStatus
from bot.render import reply_text
from bot.reviews import count_due, due_order
from bot.study_commands import Message, QuestionReply, run_command
from tests.conftest import actor, right_and_wrong
from tests.test_console import lines, make_console
from tests.test_reviews import practise

TIMEOUT = 30
DAY = 86400.0


async def answer(bot, who, view, correct: bool):
    right, wrong = right_and_wrong(view.question)
    feedback = await bot.answer(who, view.post.id, right if correct else wrong)
    assert feedback.outcome.status == AnswerStatus.RECORDED
    return feedback


async def test_review_asks_the_most_overdue_first_then_new_ones_and_counts_what_remains(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("u1")
        clock.set("2026-11-23T08:00")
        await practise(bot, who, "t-route53-failover", False)  # due 11-24: 4 days overdue on 11-28
        await practise(bot, who, "t-cfn-retain", True)  # due in about 2 days: 3 overdue
        clock.set("2026-11-25T08:00")
        await practise(bot, who, "t-sqs-visibility", False)  # due 11-26: 2 overdue
        clock.set("2026-11-28T10:00")
        asked = []
        for left in (2, 1, 0):
            view = await bot.review(who)
            assert view.review is not None and not view.review.new
            assert view.review.due_left == left
            asked.append(view.question.id)
            await answer(bot, who, view, True)
        assert asked == ["t-route53-failover", "t-cfn-retain", "t-sqs-visibility"]
        view = await bot.review(who)  # nothing due: the one question never seen
        assert view.review.new and view.question.id == "t-dynamodb-gsi"
        assert "新しい問題です" in reply_text(QuestionReply(view))
        await answer(bot, who, view, True)
        reply = await run_command(bot, who, ["review"])
        assert isinstance(reply, Message) and "今日の復習はありません" in reply.text and "Asia/Tokyo" in reply.text


def test_due_order_breaks_ties_of_overdue_days_by_lowest_retrievability():
    now = 100 * DAY
    cards = [
        CardState("steady", now - 0.5 * DAY, 2, 20.0, now - 10 * DAY),  # same overdue day, remembered better
        CardState("shaky", now - 0.2 * DAY, 2, 3.0, now - 10 * DAY),
        CardState("late", now - 3 * DAY, 2, 50.0, now - 40 * DAY),  # most overdue: first whatever its recall
    ]
    assert [c.question_id for c in due_order(cards, now)] == ["late", "shaky", "steady"]


async def test_quiz_with_a_filter_asks_a_due_question_in_it_first(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("u2")
        clock.set("2026-11-23T08:00")
        await practise(bot, who, "t-sqs-visibility", False)
        clock.set("2026-11-24T09:00")
        # Without reviews, DVA would offer the never-seen DynamoDB question first.
        view = await bot.practice(who, "DVA")
        assert view.question.id == "t-sqs-visibility"
        await answer(bot, who, view, True)
        view = await bot.practice(who, "DVA")
        assert view.question.id == "t-dynamodb-gsi"  # nothing due any more: the usual choice


async def test_a_question_removed_while_due_is_skipped_and_its_answer_kept(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("u3")
        ctx = await bot.context(who)
        clock.set("2026-11-23T08:00")
        await practise(bot, who, "t-sqs-visibility", False)
        await practise(bot, who, "t-cfn-retain", False)
        clock.set("2026-11-24T09:00")
        first = await bot.review(who)  # asked before the removal: still answerable afterwards
        removed = first.question.id
        kept = ({"t-sqs-visibility", "t-cfn-retain"} - {removed}).pop()
        bot.content = replace(bot.content, questions={k: q for k, q in bot.content.questions.items() if k != removed})
        assert isinstance(bot.content, ContentBank)
        view = await bot.review(who)
        assert view.question.id == kept and view.review.due_left == 0
        assert await count_due(bot.storage, ctx.user.id, ctx.community.id, clock(), bank=bot.content.questions) == 1
        await answer(bot, who, first, True)  # the removed question's post keeps its question
        logs = await bot.storage.review_logs(ctx.user.id, ctx.community.id)
        assert [log.question_id for log in logs][-1] == removed
        stats = await bot.stats(who)  # readiness leaves the removed question out, without failing
        assert stats.total.answered == 3


async def test_a_learner_with_no_history(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        who = actor("newcomer")
        ctx = await bot.context(who)
        assert await count_due(bot.storage, ctx.user.id, ctx.community.id, clock()) == 0
        view = await bot.review(who)
        assert view.review.new and view.review.due_left == 0
        stats = await bot.stats(who)
        assert stats.readiness == ()


async def test_review_and_retention_in_the_console(bot, clock):
    async with asyncio.timeout(TIMEOUT):
        console, out = make_console(bot)
        await console.run(lines("/復習", "/retention 85%", "/retention 2", "/review"))
        assert "🔁 復習" in out[1] and "新しい問題です" in out[1]
        assert out[2] == "復習の目標正答率を 0.85 にしました。次の回答から使われます。"
        assert out[3].startswith("使い方: /retention 0.9")
        ctx = await bot.context(console.actor)
        assert ctx.community.desired_retention == 0.85
        assert "🔁 復習" in out[4]
        members = await run_command(bot, actor("member"), ["retention", "0.8"])
        assert members == Message("この操作は管理者のみ実行できます。")

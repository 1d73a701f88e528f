"""Exam readiness on constructed histories: the README's formula, figure by figure, and in /study stats."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fsrs import Card, Rating, Scheduler, State

from bot.memory import CardState
from bot.readiness import guess_prior, readiness
from bot.render import stats_text
from tests.conftest import actor
from tests.test_reviews import practise, utc

DAY = 86400.0
NOW = 1_800_000_000.0


def card(question_id: str, stability: float, days_ago: float) -> CardState:
    return CardState(question_id, NOW + DAY, int(State.Review), stability, NOW - days_ago * DAY)


def library_recall(stability: float, days_ago: float) -> float:
    """The library's own retrievability for such a card."""
    model = Scheduler()
    last = utc_ts(NOW - days_ago * DAY)
    stored = Card(card_id=1, state=State.Review, stability=stability, last_review=last, due=last)
    return model.get_card_retrievability(stored, utc_ts(NOW))


def utc_ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_priors_are_the_chance_of_guessing(content):
    assert guess_prior(content.questions["t-sqs-visibility"]) == pytest.approx(1 / 3)  # one of three
    assert guess_prior(content.questions["t-dynamodb-gsi"]) == pytest.approx(1 / 6)  # two of four: C(4,2)
    assert guess_prior(content.questions["t-cfn-retain"]) == pytest.approx(1 / 2)


def test_readiness_is_the_mean_of_recall_for_seen_and_prior_for_unseen(content):
    cards = [card("t-sqs-visibility", 10.0, 5), card("t-cfn-retain", 2.0, 9)]
    found = {r.exam: r for r in readiness(cards, content, NOW)}
    assert set(found) == {"DVA-C02", "DOP-C02"}  # SAA was never studied: no figure
    sqs, cfn = library_recall(10.0, 5), library_recall(2.0, 9)
    assert found["DVA-C02"].share == pytest.approx((sqs + 1 / 6) / 2)
    assert (found["DVA-C02"].seen, found["DVA-C02"].pool) == (1, 2)
    assert found["DOP-C02"].share == pytest.approx((cfn + 1 / 6) / 2)
    # Services by the same measure, weakest first: DynamoDB unseen (1/6) below CloudFormation's recall.
    dop = found["DOP-C02"].weakest
    assert [w.service for w in dop] == ["dynamodb", "cloudformation"]
    assert dop[0].share == pytest.approx(1 / 6) and dop[1].share == pytest.approx(cfn)
    dva = found["DVA-C02"].weakest
    assert [w.service for w in dva] == ["dynamodb", "sqs"]


def test_forgetting_lowers_readiness_and_removed_questions_are_left_out(content):
    fresh = readiness([card("t-route53-failover", 5.0, 0)], content, NOW)[0]
    stale = readiness([card("t-route53-failover", 5.0, 60)], content, NOW)[0]
    assert fresh.share == pytest.approx(1.0)
    assert stale.share == pytest.approx(library_recall(5.0, 60)) and stale.share < 0.7
    assert readiness([card("gone-from-the-bank", 5.0, 1)], content, NOW) == []
    assert readiness([], content, NOW) == []


async def test_stats_show_readiness_per_exam_studied(bot, clock):
    async with asyncio.timeout(30):
        who = actor("u1")
        clock.set("2026-11-23T08:00")
        await practise(bot, who, "t-route53-failover", True)
        clock.set("2026-11-25T08:00")
        stats = await bot.stats(who)
        [saa] = stats.readiness
        expected, _ = Scheduler(learning_steps=(), enable_fuzzing=False).review_card(
            Card(card_id=1), Rating.Good, utc(clock().replace(day=23))
        )
        recall = Scheduler().get_card_retrievability(expected, utc(clock()))
        assert saa.exam == "SAA-C03" and saa.share == pytest.approx(recall)
        text = stats_text(stats)
        assert "試験の準備度（今日の予想正答率）" in text
        assert f"SAA-C03: {round(100 * recall)}%（1/1 問を学習済み）" in text
        assert "苦手: route53" in text


def test_retrievability_is_the_librarys_for_any_card():
    from bot.memory import retrievability

    for stability in (0.2, 1.0, 2.3065, 17.0, 300.0):
        for days_ago in (0, 0.4, 1, 1.9, 7, 45, 400):
            ours = retrievability(card("q", stability, days_ago), NOW)
            assert ours == pytest.approx(library_recall(stability, days_ago), rel=1e-12)

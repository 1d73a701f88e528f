"""Streaks and points: consecutive scheduled days answered, by the channel's local date."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.commands import parse_daily_set
from bot.config import Settings
from bot.scoring import points_for, replay
from tests.conftest import Clock, actor, make_bot, right_and_wrong


async def post_on(bot, clock, day, channel="c1", tz="Asia/Tokyo", at="09:00"):
    clock.set(f"{day}T{at}", tz)
    admin = actor("admin", channel=channel, admin=True)
    schedule = await bot.set_daily(admin, parse_daily_set([at, tz]))
    return (await bot.post_daily(schedule)).post


async def answer(bot, post, user="u1", correct=True):
    """A click on the post's message: from the post's own channel."""
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    channel = await bot.storage.channel_by_id(post.channel_id)
    who = actor(user, channel=channel.platform_id)
    return (await bot.answer(who, post.id, right if correct else wrong)).outcome


async def test_consecutive_days_build_a_streak_and_bonus(bot, clock):
    outcomes = []
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        post = await post_on(bot, clock, day)
        outcomes.append(await answer(bot, post))
        await bot.reveal(post.id)
    assert [o.streak for o in outcomes] == [1, 2, 3]
    assert [o.points for o in outcomes] == [10, 11, 12]
    streak = await bot.streak(actor("u1"))
    assert (streak.current, streak.best) == (3, 3)


async def test_wrong_answers_keep_the_streak_but_score_nothing(bot, clock):
    first = await answer(bot, await post_on(bot, clock, "2026-11-23"), correct=False)
    second = await answer(bot, await post_on(bot, clock, "2026-11-24"), correct=True)
    assert (first.streak, first.points) == (1, 0)
    assert (second.streak, second.points) == (2, 11)


async def test_a_missed_scheduled_day_resets_but_best_is_kept(bot, clock):
    for day in ("2026-11-23", "2026-11-24"):
        post = await post_on(bot, clock, day)
        await answer(bot, post)
        await bot.reveal(post.id)
    missed = await post_on(bot, clock, "2026-11-25")
    assert (await bot.streak(actor("u1"))).current == 2  # the day is still open: not broken yet
    await bot.reveal(missed.id)
    assert (await bot.streak(actor("u1"))).current == 0  # closed unanswered: broken
    again = await answer(bot, await post_on(bot, clock, "2026-11-26"))
    assert again.streak == 1
    streak = await bot.streak(actor("u1"))
    assert (streak.current, streak.best) == (1, 2)


async def test_days_without_a_post_do_not_break_the_streak(bot, clock):
    friday = await answer(bot, await post_on(bot, clock, "2026-11-27"))
    monday = await answer(bot, await post_on(bot, clock, "2026-11-30"))  # no posts at the weekend
    assert (friday.streak, monday.streak) == (1, 2)


async def test_streak_counts_days_across_the_communitys_channels(bot, clock):
    a = await post_on(bot, clock, "2026-11-23", channel="c1")
    b = await post_on(bot, clock, "2026-11-23", channel="c2")
    assert (await answer(bot, a)).streak == 1
    assert (await answer(bot, b)).streak == 1  # the same day twice is still one day
    c = await post_on(bot, clock, "2026-11-24", channel="c2")
    assert (await answer(bot, c)).streak == 2


async def test_streaks_are_per_community(bot, clock):
    post = await post_on(bot, clock, "2026-11-23")
    await answer(bot, post)
    other = actor("u1", community="g2")
    assert (await bot.streak(other)).current == 0


async def test_local_date_around_midnight(bot, clock):
    """A Tokyo channel posting at 23:50 and one posting at 00:10 the next day are two days."""
    late = await post_on(bot, clock, "2026-11-23", at="23:50")
    await answer(bot, late)
    early = await post_on(bot, clock, "2026-11-24", channel="c2", at="00:10")
    assert early.local_date == "2026-11-24"
    assert (await answer(bot, early)).streak == 2


async def test_answer_to_an_earlier_day_arriving_late_is_replayed(bot, clock):
    """Channels in different time zones: an earlier day's answer may come after a later day's."""
    tokyo_day2 = await post_on(bot, clock, "2026-11-24", channel="tokyo", tz="Asia/Tokyo", at="09:00")
    clock.set("2026-11-23T19:30", "America/Los_Angeles")  # = 2026-11-24 12:30 in Tokyo
    la_admin = actor("admin", channel="la", admin=True)
    la = await bot.set_daily(la_admin, parse_daily_set(["19:30", "America/Los_Angeles"]))
    la_day1 = (await bot.post_daily(la)).post
    assert la_day1.local_date == "2026-11-23"
    assert (await answer(bot, tokyo_day2)).streak == 1
    late = await answer(bot, la_day1)
    assert late.streak == 2
    streak = await bot.streak(actor("u1"))
    assert (streak.current, streak.best, streak.last_day) == (2, 2, "2026-11-24")


def test_points_rule():
    assert [points_for(True, s) for s in (1, 2, 6, 7, 100)] == [10, 11, 15, 15, 15]
    assert points_for(False, 10) == 0


def test_replay_matches_a_step_by_step_model():
    rng = random.Random(3)
    for _ in range(300):
        days = sorted({f"2026-01-{d:02d}" for d in rng.sample(range(1, 29), rng.randint(1, 15))})
        answered = [d for d in days if rng.random() < 0.7]
        if not answered:
            continue
        current, best, last = replay(days, answered)
        run = best_seen = 0
        for d in days:
            run = run + 1 if d in answered else 0
            best_seen = max(best_seen, run)
            if d == answered[-1]:
                at_last = run
        assert (current, best, last) == (at_last, best_seen, answered[-1])


# -- answers that reach the database together are recorded exactly as if they came one by one

POSTS = [("2026-11-23", "c1"), ("2026-11-23", "c2"), ("2026-11-24", "c1"), ("2026-11-25", "c2")]


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    clicks=st.lists(
        st.tuples(st.sampled_from(["u0", "u1", "u2"]), st.integers(0, len(POSTS) - 1), st.booleans()),
        min_size=1,
        max_size=16,
    )
)
def test_answers_recorded_together_match_answers_recorded_one_by_one(tmp_path_factory, content, clicks):
    asyncio.run(_together_and_one_by_one(tmp_path_factory.mktemp("together"), content, clicks))


async def _together_and_one_by_one(tmp: Path, content, clicks: list[tuple[str, int, bool]]) -> None:
    together = await _play(tmp / "together.db", content, clicks, together=True)
    one_by_one = await _play(tmp / "one-by-one.db", content, clicks, together=False)
    assert together == one_by_one


async def _play(database: Path, content, clicks: list[tuple[str, int, bool]], together: bool) -> tuple:
    clock = Clock(datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    bot = await make_bot(Settings(database=database, timezone="Asia/Tokyo"), clock, content)
    try:
        posts = [await post_on(bot, clock, day, channel) for day, channel in POSTS]  # all still open
        for user in ("u0", "u1", "u2"):  # the same user ids in both runs (they break ties), and nothing
            await bot.context(actor(user))  # but the answers is queued when they come together

        def click(user: str, index: int, correct: bool):
            right, wrong = right_and_wrong(bot.question_of(posts[index]))
            return bot.answer(actor(user, channel=POSTS[index][1]), posts[index].id, right if correct else wrong)

        if together:
            feedback = await asyncio.gather(*(click(*c) for c in clicks))
        else:
            feedback = [await click(*c) for c in clicks]
        outcomes = [(f.outcome.status, f.outcome.correct, f.outcome.points, f.outcome.streak) for f in feedback]
        streaks = [await bot.streak(actor(user)) for user in ("u0", "u1", "u2")]
        board = [(r.name, r.points, r.correct, r.answered) for r in (await bot.leaderboard(actor(), "all")).rows]
        return outcomes, streaks, board
    finally:
        await bot.close()

"""Leaderboards per community and channel, for the week, month and all time in the community's zone."""

from __future__ import annotations

import pytest

from bot.periods import period_keys
from bot.render import leaderboard_text
from tests.conftest import actor
from tests.test_streaks import answer, post_on


async def test_ranking_by_points_then_correct_then_fewer_answers_then_first(bot, clock):
    post = await post_on(bot, clock, "2026-11-23")
    clock.advance(minutes=1)
    await answer(bot, post, "late", correct=True)
    clock.advance(minutes=1)
    await answer(bot, post, "wrong", correct=False)
    clock.advance(minutes=1)
    await answer(bot, post, "later", correct=True)
    board = await bot.leaderboard(actor("late"), "week")
    assert [(r.rank, r.name, r.points) for r in board.rows] == [(1, "LATE", 10), (2, "LATER", 10), (3, "WRONG", 0)]
    # The same query gives the same order every time.
    again = await bot.leaderboard(actor("late"), "week")
    assert [r.user_id for r in again.rows] == [r.user_id for r in board.rows]


async def test_week_and_month_boundaries_follow_the_community_timezone(bot, clock):
    sunday = await post_on(bot, clock, "2026-11-29", at="23:30")  # Sunday night in Tokyo
    await answer(bot, sunday, "u1")
    monday = await post_on(bot, clock, "2026-11-30", channel="c2", at="00:30")
    await answer(bot, monday, "u2")
    # Now it is Monday 30 Nov in Tokyo (still Sunday in UTC): this week holds only u2.
    week = await bot.leaderboard(actor("u1"), "week")
    assert [r.name for r in week.rows] == ["U2"]
    month = await bot.leaderboard(actor("u1"), "month")
    assert {r.name for r in month.rows} == {"U1", "U2"}
    clock.set("2026-12-01T08:00")
    december = await bot.leaderboard(actor("u1"), "month")
    assert december.rows == []
    everything = await bot.leaderboard(actor("u1"), "all")
    assert {r.name for r in everything.rows} == {"U1", "U2"}


def test_period_keys_use_iso_weeks_in_local_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 29, 15, 30, tzinfo=ZoneInfo("UTC"))  # Monday 00:30 in Tokyo
    assert period_keys(at, "Asia/Tokyo") == ("all", "m2026-11", "w2026-W49")
    assert period_keys(at, "UTC") == ("all", "m2026-11", "w2026-W48")


async def test_channel_board_only_counts_that_channel(bot, clock):
    a = await post_on(bot, clock, "2026-11-23", channel="c1")
    b = await post_on(bot, clock, "2026-11-23", channel="c2")
    await answer(bot, a, "u1")
    await answer(bot, b, "u2")
    await answer(bot, b, "u1")
    c2 = await bot.leaderboard(actor("u1", channel="c2"), "all", channel_only=True)
    assert {r.name for r in c2.rows} == {"U1", "U2"}
    c1 = await bot.leaderboard(actor("u1", channel="c1"), "all", channel_only=True)
    assert [(r.name, r.answered) for r in c1.rows] == [("U1", 1)]
    community = await bot.leaderboard(actor("u1"), "all")
    top = community.rows[0]
    assert (top.name, top.answered, top.correct) == ("U1", 2, 2)
    assert "#c1" in leaderboard_text(c1)


async def test_rows_show_the_current_streak_and_your_rank_beyond_the_top(bot, clock):
    post = await post_on(bot, clock, "2026-11-23")
    for i in range(12):
        await answer(bot, post, f"user{i:02d}", correct=i != 11)
    board = await bot.leaderboard(actor("user11"), "all")
    assert len(board.rows) == 10
    assert all(r.streak == 1 for r in board.rows)
    assert board.me is not None and board.me.rank == 12
    assert "12 位" in leaderboard_text(board)


async def test_platforms_never_mix(bot, clock):
    post = await post_on(bot, clock, "2026-11-23")
    await answer(bot, post, "u1")
    from dataclasses import replace

    slack_twin = replace(actor("u1"), platform="slack")  # the same ids on another platform
    board = await bot.leaderboard(slack_twin, "all")
    assert board.rows == []


@pytest.mark.sqlite_only  # about SQLite's deferred fold (score_mark); PostgreSQL keeps totals with the answer
async def test_answers_not_yet_in_the_totals_are_counted_once_after_a_crash(settings, clock, content):
    """Totals are derived from answers with a mark committed alongside them: a crash between an
    acknowledged answer and its fold into the totals neither loses it nor counts it twice."""
    import sqlite3

    from tests.conftest import make_bot

    bot = await make_bot(settings, clock, content)
    post = await post_on(bot, clock, "2026-11-23")
    for user in ("u1", "u2", "u3"):
        await answer(bot, post, user)
    before = await bot.leaderboard(actor("u1"), "all")
    await bot.close()
    # The state a crash right after acknowledging the last two answers leaves behind.
    conn = sqlite3.connect(settings.database)
    conn.execute("DELETE FROM scores")
    conn.execute("UPDATE score_mark SET answer_id = 0")
    first = conn.execute("SELECT MIN(id) FROM answers").fetchone()[0]
    conn.execute(
        "INSERT INTO scores SELECT community_id, s.c, p.p, user_id, points, correct, 1, answered_at"
        " FROM answers, (SELECT channel_id AS c FROM answers WHERE id = ? UNION SELECT 0) s,"
        " (SELECT 'all' AS p UNION SELECT month FROM answers WHERE id = ? UNION SELECT week FROM answers WHERE id = ?) p"
        " WHERE id = ?",
        (first, first, first, first),
    )
    conn.execute("UPDATE score_mark SET answer_id = ?", (first,))
    conn.commit()
    conn.close()
    bot = await make_bot(settings, clock, content)
    after = await bot.leaderboard(actor("u1"), "all")
    week = await bot.leaderboard(actor("u1"), "week")
    await bot.close()
    assert [(r.name, r.points, r.answered) for r in after.rows] == [(r.name, r.points, r.answered) for r in before.rows]
    assert [r.answered for r in week.rows] == [1, 1, 1]


@pytest.mark.sqlite_only  # about SQLite's deferred fold (score_mark)
async def test_the_totals_keep_up_with_batches_larger_than_a_fold_step(bot, clock, settings):
    """The background fold takes at least the batch it follows: a load of batches larger than a step
    once left the totals further behind at every batch, and a leaderboard read then folded hundreds of
    thousands of answers (13.7 s in bench/answers.py after its fill)."""
    import asyncio
    import sqlite3

    post = await post_on(bot, clock, "2026-11-23")
    await asyncio.gather(*(answer(bot, post, f"u{n}") for n in range(2000)))
    await answer(bot, post, "late")  # its batch runs after the fold step that followed the 2,000
    conn = sqlite3.connect(settings.database)
    try:
        (folded,) = conn.execute("SELECT answer_id FROM score_mark").fetchone()
        (last_of_the_2000,) = conn.execute("SELECT id FROM answers ORDER BY id DESC LIMIT 1 OFFSET 1").fetchone()
    finally:
        conn.close()
    assert folded >= last_of_the_2000

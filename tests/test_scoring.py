"""The streak step both backends call (bot/scoring.py): tested once, here, as plain functions."""

from __future__ import annotations

from bot.scoring import answers_an_earlier_day, needs_previous_day, streak_after, streak_after_replay


def test_the_next_scheduled_day_continues_the_streak_and_a_gap_restarts_it():
    assert streak_after(2, 5, "2026-11-23", "2026-11-24", previous_scheduled_day="2026-11-23") == (3, 5, "2026-11-24")
    assert streak_after(4, 4, "2026-11-23", "2026-11-24", previous_scheduled_day="2026-11-23") == (5, 5, "2026-11-24")
    # A scheduled day in between went unanswered: a new streak of one, the best kept.
    assert streak_after(4, 6, "2026-11-20", "2026-11-24", previous_scheduled_day="2026-11-23") == (1, 6, "2026-11-24")


def test_a_second_answer_on_the_same_day_and_a_first_answer_ever():
    assert streak_after(3, 3, "2026-11-24", "2026-11-24", previous_scheduled_day=None) == (3, 3, "2026-11-24")
    assert streak_after(0, 0, None, "2026-11-24", previous_scheduled_day=None) == (1, 1, "2026-11-24")
    assert not needs_previous_day(None, "2026-11-24") and not needs_previous_day("2026-11-24", "2026-11-24")
    assert needs_previous_day("2026-11-23", "2026-11-24")


def test_an_answer_to_an_earlier_day_replays_the_history():
    assert answers_an_earlier_day("2026-11-24", "2026-11-23") and not answers_an_earlier_day(None, "2026-11-23")
    scheduled = ["2026-11-22", "2026-11-23", "2026-11-24"]
    # 22 and 24 answered, 23 arrives late: three in a row, and the streak is as of the last answered day.
    assert streak_after_replay(scheduled, ["2026-11-22", "2026-11-24"], "2026-11-23") == (3, 3, "2026-11-24")

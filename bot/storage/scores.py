"""The rule every backend folds answers into the leaderboard totals with, written once: each daily
answer counts in its channel and community-wide (channel_id ALL_CHANNELS), each for all time, its month
and its week (the keys of bot/periods.py, stored on the answer)."""

from __future__ import annotations

ALL_CHANNELS = 0  # scores.channel_id for community-wide totals

# A common table expression over `new` (the answers to fold: community_id, channel_id, user_id, points,
# correct, answered_at, month, week): one row per total the answer adds to.
SCORE_SPREAD = f"""spread AS (
        SELECT community_id, channel_id AS scope, 'all' AS period, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, channel_id, month, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, channel_id, week, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, {ALL_CHANNELS}, 'all', user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, {ALL_CHANNELS}, month, user_id, points, correct, answered_at FROM new
        UNION ALL SELECT community_id, {ALL_CHANNELS}, week, user_id, points, correct, answered_at FROM new
    )"""

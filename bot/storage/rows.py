"""Rows of either backend (sqlite3.Row, asyncpg.Record: both read by column name) as the core's models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from bot.memory import CardState
from bot.models import Channel, Community, Post, PostKind, PostStatus, ReviewLogRow, Schedule, ScoreRow, User

Row = Mapping[str, Any]


def post_row(row: Row) -> Post:
    return Post(
        id=row["id"],
        kind=PostKind(row["kind"]),
        community_id=row["community_id"],
        channel_id=row["channel_id"],
        owner_id=row["owner_id"],
        question_id=row["question_id"],
        local_date=row["local_date"],
        posted_at=row["posted_at"],
        reveal_at=row["reveal_at"],
        status=PostStatus(row["status"]),
        message_ref=row["message_ref"],
        revealed_at=row["revealed_at"],
        reveal_error=row["reveal_error"],
        attempts=row["attempts"],
        question=row["question"],
    )


def community_row(row: Row) -> Community:
    return Community(
        row["id"],
        row["platform"],
        row["platform_id"],
        row["name"],
        row["locale"],
        row["timezone"],
        row["desired_retention"],
    )


def channel_row(row: Row) -> Channel:
    return Channel(row["id"], row["community_id"], row["platform_id"], row["name"])


def schedule_row(row: Row) -> Schedule:
    return Schedule(
        channel_id=row["channel_id"],
        at=time.fromisoformat(row["at"]),
        timezone=row["timezone"],
        weekdays=tuple(row["weekdays"].split(",")),
        exam=row["exam"],
        service=row["service"],
        reveal_minutes=row["reveal_minutes"],
        enabled=bool(row["enabled"]),
        created_by=row["created_by"],
    )


def schedule_values(s: Schedule) -> tuple[Any, ...]:
    """A schedule as the columns schedule_row reads back (channel_id, at, timezone, weekdays, exam,
    service, reveal_minutes, enabled, created_by): one encoding of the time and weekdays for both."""
    return (
        s.channel_id,
        s.at.strftime("%H:%M"),
        s.timezone,
        ",".join(s.weekdays),
        s.exam,
        s.service,
        s.reveal_minutes,
        int(s.enabled),
        s.created_by,
    )


def score_row(rank: int, user_id: int, row: Row, streak: int) -> ScoreRow:
    """A leaderboard line from a scores row joined with the user's name."""
    return ScoreRow(rank, user_id, row["name"], row["points"], row["correct"], row["answered"], streak)


def user_row(row: Row) -> User:
    return User(row["id"], row["platform"], row["platform_id"], row["name"])


def card_state_row(row: Row) -> CardState:
    return CardState(row["question_id"], row["due"], row["state"], row["stability"], row["last_review"])


def review_log_row(row: Row) -> ReviewLogRow:
    return ReviewLogRow(
        row["answer_id"],
        row["question_id"],
        row["card_id"],
        row["rating"],
        row["review_datetime"],
        row["review_duration"],
    )

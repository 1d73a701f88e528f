"""Plain records passed between the storage, the core and the adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import NamedTuple

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Community:
    """A Discord server or a Slack workspace (or the console): streaks and leaderboards live here."""

    id: int
    platform: str
    platform_id: str
    name: str
    locale: str
    timezone: str
    desired_retention: float = 0.9  # the FSRS target of its reviews (bot/memory.py), an admin setting


@dataclass(frozen=True)
class Channel:
    id: int
    community_id: int
    platform_id: str
    name: str


@dataclass(frozen=True)
class User:
    id: int
    platform: str
    platform_id: str
    name: str


@dataclass(frozen=True)
class Schedule:
    """When and what a channel's daily question is."""

    channel_id: int
    at: time
    timezone: str
    weekdays: tuple[str, ...] = WEEKDAYS
    exam: str | None = None
    service: str | None = None
    reveal_minutes: int = 480
    enabled: bool = True
    created_by: int | None = None


class PostKind(StrEnum):
    DAILY = "daily"
    PRACTICE = "practice"


class PostStatus(StrEnum):
    CLAIMED = "claimed"  # the day is reserved; a process holds the lease to send it (or retries it later)
    OPEN = "open"  # sent and taking answers
    CLOSED = "closed"  # answers are refused; the reveal is pending, done (revealed_at) or failed (reveal_error)
    FAILED = "failed"  # the platform refused the message


@dataclass(frozen=True)
class Post:
    """One question put to a channel (daily) or to one user (practice)."""

    id: int
    kind: PostKind
    community_id: int
    channel_id: int | None
    owner_id: int | None
    question_id: str
    local_date: str | None
    posted_at: float
    reveal_at: float | None
    status: PostStatus
    message_ref: str | None
    revealed_at: float | None = None
    reveal_error: str | None = None
    attempts: int = 0  # sends tried and failed (or not confirmed) so far
    question: str | None = None  # the question as posted, JSON (bot/snapshots.py); None before schema 3


class AnswerRequest(NamedTuple):
    """One click on the way to the database. A named tuple, like AnswerOutcome: a burst makes
    hundreds of both, and a frozen dataclass costs several times as much to build."""

    post_id: int
    user_id: int
    choices: tuple[str, ...]
    correct: bool
    at: float
    month: str  # the leaderboard periods this answer counts in, e.g. "m2026-11" and "w2026-W47"
    week: str


class AnswerStatus(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # the user answered this post before; the first answer stands
    CLOSED = "closed"  # the post was revealed
    UNKNOWN_POST = "unknown_post"
    NOT_YOURS = "not_yours"  # someone else's practice question


class AnswerOutcome(NamedTuple):
    status: AnswerStatus
    choices: tuple[str, ...] = ()
    correct: bool = False
    points: int = 0
    streak: int = 0


@dataclass(frozen=True)
class Streak:
    current: int
    best: int
    last_day: str | None


@dataclass(frozen=True)
class ScoreRow:
    rank: int
    user_id: int
    name: str
    points: int
    correct: int
    answered: int
    streak: int = 0


@dataclass(frozen=True)
class PostResults:
    answered: int
    correct: int
    by_choice: dict[str, int]


@dataclass(frozen=True)
class HistoryItem:
    question_id: str
    kind: PostKind
    correct: bool
    answered_at: float


@dataclass(frozen=True)
class ReviewLogRow:
    """One stored review, in the fields fsrs.ReviewLog has (bot/reviews.py builds those for the
    Optimizer), with whose and which question's card it was."""

    answer_id: int
    question_id: str
    card_id: int
    rating: int
    review_datetime: float
    review_duration: int | None

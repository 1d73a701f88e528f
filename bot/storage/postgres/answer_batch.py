"""A batch of answers recorded in one PostgreSQL transaction of four statements, whatever its size:
the group commit of the SQLite backend (sqlite/answers.py's _AnswerRun) on a server shared by several
processes. The rules are the core's (bot/scoring.py, bot/storage/scores.py); this module only reads
what they need and writes what they decide.

1. The posts' advisory locks, shared (closing a post takes its lock exclusively, so it waits for the
   answers under way and every later answer reads it closed).
2. The posts read, and the answering users' streak rows locked and read (made first for a user who has
   none, so there is a row to lock): two transactions recording one user's answers then run one after
   the other, in any process.
3. The answers already stored for these (post, user) pairs: read after the locks, so its snapshot sees
   every answer of these users that committed before (they all held the same streak locks).
4. The inserts, the streaks, the leaderboard totals and (with reviews, the default) each new answer's
   id queued for its review, in one statement over arrays. The reviews are applied by the fold of
   review_fold.py once the batch is acknowledged.

Each answer is then decided in order in Python, exactly as _AnswerRun decides it: a second click in
the same batch finds the first one, as it would find a stored answer.

Why an advisory lock rather than SELECT ... FOR SHARE on the post: hundreds of answers to one post
would all lock its one row, and every row lock held by several transactions at once is a multixact
written into the row; the advisory lock lives in the lock table only."""

from __future__ import annotations

from typing import NamedTuple

import asyncpg

from bot.models import AnswerOutcome, AnswerRequest, AnswerStatus, PostKind, PostStatus
from bot.scoring import answers_an_earlier_day, needs_previous_day, points_for, streak_after, streak_after_replay
from bot.storage.postgres.answers import streak_history
from bot.storage.scores import SCORE_SPREAD

POST_LOCKS = 0x5354_4250  # the advisory lock space of posts (pg_advisory_xact_lock(POST_LOCKS, post id))


class AnswerConflict(Exception):
    """An answer expected to be new was already stored when inserted (another process's practice
    answer to the same post, committed between the read and the insert): the batch is rolled back
    and run again, when the read finds it."""


LOCK_POSTS = "SELECT pg_advisory_xact_lock_shared($1::int, id::int) FROM unnest($2::bigint[]) AS id"

# Per request ($1 post, $2 user, $3 time, in the order given): its post, the community's scheduled day
# before the post's day, and the user's streak row, locked, for a daily post still open at that time.
POSTS_AND_STREAKS = """
    WITH request AS (
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) WITH ORDINALITY AS r(post_id, user_id, at, n)
    ), post AS (
        SELECT p.id, p.kind, p.community_id, p.channel_id, p.owner_id, p.question_id, p.local_date, p.status,
            p.reveal_at,
            CASE WHEN p.kind = 'daily' THEN (
                SELECT MAX(d.local_date) FROM posts d WHERE d.community_id = p.community_id AND d.kind = 'daily'
                AND d.local_date < p.local_date AND d.status IN ('open', 'closed')
            ) END AS previous_day
        FROM posts p WHERE p.id IN (SELECT post_id FROM request)
    ), locked AS (
        INSERT INTO streaks (community_id, user_id, current, best, last_day)
        SELECT DISTINCT post.community_id, request.user_id, 0, 0, NULL::text FROM request JOIN post ON post.id = request.post_id
        WHERE post.kind = 'daily' AND post.status = 'open' AND (post.reveal_at IS NULL OR request.at < post.reveal_at)
        ORDER BY 1, 2  -- every transaction locks in one order: no deadlock between batches
        ON CONFLICT (community_id, user_id) DO UPDATE SET current = streaks.current
        RETURNING community_id, user_id, current, best, last_day
    )
    SELECT request.n, post.*, locked.current, locked.best, locked.last_day AS streak_day
    FROM request LEFT JOIN post ON post.id = request.post_id
    LEFT JOIN locked ON locked.community_id = post.community_id AND locked.user_id = request.user_id
    ORDER BY request.n
"""

EARLIER_ANSWERS = """
    SELECT a.post_id, a.user_id, a.choices, a.correct, a.points
    FROM unnest($1::bigint[], $2::bigint[]) AS r(post_id, user_id)
    JOIN answers a ON a.post_id = r.post_id AND a.user_id = r.user_id
"""

# The new answers, the streaks they stepped, the totals they add to (SQLite's fold, summed per total:
# one user's two answers in a batch meet the same rows, which one upsert may touch only once), and,
# when $19, the new answers queued for their reviews (review_fold.py).
WRITE = f"""
    WITH ins AS (
        INSERT INTO answers (post_id, user_id, kind, community_id, question_id, choices, correct, points,
            answered_at, local_date, channel_id, month, week)
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
            $7::int[], $8::int[], $9::float8[], $10::text[], $11::bigint[], $12::text[], $13::text[])
        ON CONFLICT (post_id, user_id) DO NOTHING
        RETURNING id, post_id, community_id, channel_id, user_id, kind, points, correct, answered_at, month, week
    ), streak AS (
        UPDATE streaks s SET current = v.current, best = v.best, last_day = v.last_day
        FROM unnest($14::bigint[], $15::bigint[], $16::int[], $17::int[], $18::text[])
            AS v(community_id, user_id, current, best, last_day)
        WHERE s.community_id = v.community_id AND s.user_id = v.user_id
    ), new AS (
        SELECT community_id, channel_id, user_id, points, correct, answered_at, month, week FROM ins
        WHERE kind = 'daily'
    ), {SCORE_SPREAD}, score AS (
        INSERT INTO scores (community_id, channel_id, period, user_id, points, correct, answered, first_at)
        SELECT community_id, scope, period, user_id, SUM(points), SUM(correct), COUNT(*), MIN(answered_at)
        FROM spread GROUP BY community_id, scope, period, user_id
        ON CONFLICT (community_id, channel_id, period, user_id) DO UPDATE SET
            points = scores.points + excluded.points, correct = scores.correct + excluded.correct,
            answered = scores.answered + excluded.answered, first_at = LEAST(scores.first_at, excluded.first_at)
    ), queued AS (
        INSERT INTO review_queue (answer_id) SELECT id FROM ins WHERE $19::bool
    )
    SELECT id, post_id, user_id FROM ins
"""


class _Post(NamedTuple):
    kind: str
    community_id: int
    channel_id: int | None
    owner_id: int | None
    question_id: str
    local_date: str | None
    status: str
    reveal_at: float | None
    previous_day: str | None


class _New(NamedTuple):
    """An answer to insert: the request, its post and the points it scores."""

    request: AnswerRequest
    post: _Post
    points: int


async def record_answers(
    conn: asyncpg.Connection, requests: list[AnswerRequest], reviews: bool = True
) -> list[AnswerOutcome]:
    """Store each answer unless the user already answered the post or it is closed: one outcome per
    request, in order, all committed together (or none: the exception is raised). Each stored answer is
    queued as a review of its question; reviews=False leaves them out (bench/answers.py's baseline)."""
    async with conn.transaction():
        # Taken before the posts are read: the read's snapshot then sees any close that committed.
        await conn.execute(LOCK_POSTS, POST_LOCKS, sorted({r.post_id for r in requests}))
        return await _Batch(conn, reviews).record(requests)


class _Batch:
    def __init__(self, conn: asyncpg.Connection, reviews: bool = True):
        self.conn = conn
        self.reviews = reviews
        self.posts: dict[int, _Post | None] = {}
        self.streaks: dict[tuple[int, int], tuple[int, int, str | None]] = {}
        self.changed: set[tuple[int, int]] = set()
        self.answered_days: dict[tuple[int, int], list[str]] = {}  # days answered in this batch, per streak
        self.earlier: dict[tuple[int, int], AnswerOutcome] = {}  # (post, user) -> the answer that stands
        self.new: list[_New] = []

    async def record(self, requests: list[AnswerRequest]) -> list[AnswerOutcome]:
        rows = await self.conn.fetch(
            POSTS_AND_STREAKS, [r.post_id for r in requests], [r.user_id for r in requests], [r.at for r in requests]
        )
        for r, row in zip(requests, rows, strict=True):
            if row["id"] is None:
                self.posts[r.post_id] = None
                continue
            post = self.posts[r.post_id] = _Post(*(row[name] for name in _Post._fields))
            if row["current"] is not None:
                self.streaks[(post.community_id, r.user_id)] = (row["current"], row["best"], row["streak_day"])
        known = [r for r in requests if self.posts[r.post_id] is not None]
        for row in await self.conn.fetch(EARLIER_ANSWERS, [r.post_id for r in known], [r.user_id for r in known]):
            self.earlier[(row["post_id"], row["user_id"])] = AnswerOutcome(
                AnswerStatus.ALREADY, tuple(row["choices"].split(",")), bool(row["correct"]), row["points"]
            )
        outcomes = [await self.decide(r) for r in requests]
        await self.write()
        return outcomes

    async def decide(self, r: AnswerRequest) -> AnswerOutcome:
        post = self.posts[r.post_id]
        if post is None:
            return AnswerOutcome(AnswerStatus.UNKNOWN_POST)
        if post.kind == PostKind.PRACTICE and post.owner_id != r.user_id:
            return AnswerOutcome(AnswerStatus.NOT_YOURS)
        earlier = self.earlier.get((r.post_id, r.user_id))
        if post.status != PostStatus.OPEN:
            return earlier or AnswerOutcome(
                AnswerStatus.CLOSED if post.status == PostStatus.CLOSED else AnswerStatus.UNKNOWN_POST
            )
        if post.reveal_at is not None and r.at >= post.reveal_at:
            # Past its reveal time the post is closed, whether or not some process has revealed it yet.
            return earlier or AnswerOutcome(AnswerStatus.CLOSED)
        if earlier is not None:
            return earlier
        daily = post.kind == PostKind.DAILY
        key = (post.community_id, r.user_id)
        stepped = await self.next_streak(key, post) if daily else None
        streak = stepped[0] if stepped else 0
        points = points_for(r.correct, streak) if daily else 0
        self.new.append(_New(r, post, points))
        self.earlier[(r.post_id, r.user_id)] = AnswerOutcome(AnswerStatus.ALREADY, r.choices, r.correct, points)
        if stepped:
            self.streaks[key] = stepped
            self.changed.add(key)
            self.answered_days.setdefault(key, []).append(post.local_date)
        return AnswerOutcome(AnswerStatus.RECORDED, r.choices, r.correct, points, streak)

    async def next_streak(self, key: tuple[int, int], post: _Post) -> tuple[int, int, str]:
        """(current, best, last day) once the user has answered on the post's day; kept only if the answer is."""
        day = post.local_date
        current, best, last_day = self.streaks[key]
        if answers_an_earlier_day(last_day, day):
            scheduled, answered = await streak_history(self.conn, *key)
            return streak_after_replay(scheduled, answered + self.answered_days.get(key, []), day)
        previous = post.previous_day if needs_previous_day(last_day, day) else None
        return streak_after(current, best, last_day, day, previous)

    async def write(self) -> None:
        if not self.new:
            return
        # In key order, as the streaks were locked: two batches inserting the same practice answers
        # wait for each other in one order, never in a cycle.
        new = sorted(self.new, key=lambda n: (n.request.post_id, n.request.user_id))
        changed = sorted(self.changed)
        streaks = [self.streaks[k] for k in changed]
        inserted = await self.conn.fetch(
            WRITE,
            [n.request.post_id for n in new],
            [n.request.user_id for n in new],
            [n.post.kind for n in new],
            [n.post.community_id for n in new],
            [n.post.question_id for n in new],
            [",".join(n.request.choices) for n in new],
            [int(n.request.correct) for n in new],
            [n.points for n in new],
            [n.request.at for n in new],
            [n.post.local_date for n in new],
            [n.post.channel_id for n in new],
            [n.request.month for n in new],
            [n.request.week for n in new],
            [k[0] for k in changed],
            [k[1] for k in changed],
            [s[0] for s in streaks],
            [s[1] for s in streaks],
            [s[2] for s in streaks],
            self.reviews,
        )
        if len(inserted) != len(new):
            raise AnswerConflict(f"{len(new) - len(inserted)} of {len(new)} answers were stored meanwhile")

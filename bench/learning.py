"""Due-queue figures of the spaced repetition (bot/reviews.py), each beside plain SQL in the same run.

    .venv/bin/python bench/learning.py [--cards 5000] [--learners 10000] [--logs 2000000] [--runs 50]
    .venv/bin/python bench/learning.py --database postgresql://user@host:5432/empty_db [...]

1. One learner with --cards cards (a fifth of them due): the whole review queue as /study review builds
   it (the storage read, then due_order: overdue days, then retrievability) and count_due.
2. A community of --learners learners with --logs review logs (and half as many cards): the same for one
   learner picked at random each run, so the indexes, not a warm learner, are measured.
The baseline is the bare SELECT of the due cards on its own connection (sqlite3 or asyncpg), no model
objects, no ordering in Python. Target: the review queue under 20 ms (p99).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import databases
from bot.reviews import count_due, due_queue, end_of_day
from bot.storage import is_postgres_url, open_storage

DAY = 86400.0
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHUNK = 20_000
CARD_SQL = (
    "INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability, difficulty,"
    " last_review, reps, data) VALUES ({})"
)
LOG_SQL = (
    "INSERT INTO review_logs (answer_id, user_id, community_id, question_id, card_id, rating, review_datetime,"
    " review_duration) VALUES ({})"
)


def card_rows(user_id: int, community_id: int, cards: int, first_id: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """A learner's cards: a fifth due (up to 30 days overdue), the rest due within 60 days."""
    now = NOW.timestamp()
    rows = []
    for i in range(cards):
        due = now - rng.uniform(0, 30) * DAY if rng.random() < 0.2 else now + rng.uniform(1, 60) * DAY
        stability = rng.uniform(0.5, 90)
        last = due - stability * DAY
        data = json.dumps({"card_id": first_id + i, "state": 2, "step": None, "stability": stability})
        rows.append((user_id, community_id, f"q-{i:05d}", first_id + i, 2, due, stability, 5.0, last, 2, data))
    return rows


class Filler:
    """Writes rows straight into the migrated schema (the bench measures reads, not how rows got there)."""

    def __init__(self, database: str | Path):
        self.database = database

    async def __aenter__(self) -> Filler:
        if is_postgres_url(self.database):
            import asyncpg

            self.pg = await asyncpg.connect(str(self.database))
        else:
            self.conn = sqlite3.connect(self.database, isolation_level=None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if is_postgres_url(self.database):
            await self.pg.execute("ANALYZE review_cards; ANALYZE review_logs")
            await self.pg.close()
        else:
            self.conn.execute("ANALYZE")
            self.conn.close()

    async def insert(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        width = len(rows[0])
        if is_postgres_url(self.database):
            marks = ", ".join(f"${i}" for i in range(1, width + 1))
            await self.pg.executemany(sql.format(marks), rows)
        else:
            self.conn.execute("BEGIN")
            self.conn.executemany(sql.format(", ".join("?" * width)), rows)
            self.conn.execute("COMMIT")


async def fill(database: str | Path, args: argparse.Namespace, rng: random.Random) -> None:
    """Community 1: one learner (user 1) with --cards cards. Community 2: --learners learners (users
    1000 on) with --logs logs, two per card."""
    started = time.perf_counter()
    async with Filler(database) as filler:
        await filler.insert(CARD_SQL, card_rows(1, 1, args.cards, 1, rng))
        per_learner = max(1, args.logs // 2 // args.learners)
        next_card = args.cards + 1
        answer_id = 1
        batch: list[tuple[Any, ...]] = []
        logs: list[tuple[Any, ...]] = []
        for learner in range(args.learners):
            user_id = 1000 + learner
            rows = card_rows(user_id, 2, per_learner, next_card, rng)
            next_card += per_learner
            batch += rows
            for row in rows:
                for k in range(2):
                    logs.append((answer_id, user_id, 2, row[2], row[3], 3, row[8] - k * DAY, 8000))
                    answer_id += 1
            if len(logs) >= CHUNK:
                await filler.insert(CARD_SQL, batch)
                await filler.insert(LOG_SQL, logs)
                batch, logs = [], []
        if batch:
            await filler.insert(CARD_SQL, batch)
        if logs:
            await filler.insert(LOG_SQL, logs)
    print(
        f"filled: 1 learner x {args.cards:,} cards; {args.learners:,} learners x {per_learner} cards,"
        f" {answer_id - 1:,} review logs in {time.perf_counter() - started:.0f} s"
    )


class PlainSql:
    """The baseline: the due cards' bare SELECT on a connection of its own."""

    SQL = (
        "SELECT question_id, due, state, stability, last_review FROM review_cards"
        " WHERE user_id = {0} AND community_id = {1} AND due <= {2} ORDER BY due"
    )

    def __init__(self, database: str | Path):
        self.database = database

    async def open(self) -> None:
        if is_postgres_url(self.database):
            import asyncpg

            self.pg = await asyncpg.connect(str(self.database))
        else:
            self.conn = sqlite3.connect(self.database)

    async def due(self, user_id: int, community_id: int, due_by: float) -> int:
        if is_postgres_url(self.database):
            return len(await self.pg.fetch(self.SQL.format("$1", "$2", "$3"), user_id, community_id, due_by))
        return len(self.conn.execute(self.SQL.format("?", "?", "?"), (user_id, community_id, due_by)).fetchall())

    async def close(self) -> None:
        if is_postgres_url(self.database):
            await self.pg.close()
        else:
            self.conn.close()


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(values) * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms"


async def timed(runs: int, call: Any) -> list[float]:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        await call(i)
        times.append(time.perf_counter() - started)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=5000, help="cards of the one learner")
    parser.add_argument("--learners", type=int, default=10_000, help="learners of the big community")
    parser.add_argument("--logs", type=int, default=2_000_000, help="review logs of the big community")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database", help=databases.HELP)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="studybot-learning-"))
    try:
        with databases.postgres_database(args.database) as url:
            await measure(args, url or tmp / "learning.db", random.Random(1))
    finally:
        shutil.rmtree(tmp)


async def measure(args: argparse.Namespace, database: str | Path, rng: random.Random) -> None:
    storage = await open_storage(database)
    try:
        await fill(database, args, rng)
        solo = await storage.community("bench", "solo", "", "ja", "UTC")
        big = await storage.community("bench", "big", "", "ja", "UTC")
        first = 1000
        plain = PlainSql(database)
        await plain.open()
        bank = {f"q-{i:05d}" for i in range(max(args.cards, args.logs // 2 // args.learners))}
        due_by = end_of_day(NOW, "UTC").timestamp()
        cases = [
            (f"one learner, {args.cards:,} cards", lambda i: 1, solo),
            (f"{args.learners:,} learners, {args.logs:,} logs", lambda i: first + rng.randrange(args.learners), big),
        ]
        for name, who, community in cases:
            queue = await due_queue(storage, who(0), community, NOW, bank)
            print(f"{name}: {len(queue):,} due in the queue of the first learner asked")
            base = await timed(args.runs, lambda i, w=who, c=community: plain.due(w(i), c.id, due_by))
            full = await timed(args.runs, lambda i, w=who, c=community: due_queue(storage, w(i), c, NOW, bank))
            counted = await timed(args.runs, lambda i, w=who, c=community: count_due(storage, w(i), c.id, NOW))
            ratio = statistics.median(full) / statistics.median(base)
            print(f"  plain SQL, due cards       : {summary(base)}   (baseline)")
            print(f"  review queue (due_queue)   : {summary(full)}   ({ratio:.1f}x plain; target p99 < 20 ms)")
            print(f"  count_due                  : {summary(counted)}")
        await plain.close()
    finally:
        await storage.close()


if __name__ == "__main__":
    asyncio.run(main())

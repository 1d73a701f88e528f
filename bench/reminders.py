"""The reminder sweep for 10,000 learners who all chose the same minute, beside plain SQL doing the
least such a sweep must (claim every due reminder in one statement, count every learner's due cards in
one grouped query), measured in the same run on the same database.

    .venv/bin/python bench/reminders.py [--learners 10000] [--cards 20] [--runs 5]
    .venv/bin/python bench/reminders.py --database postgresql://user@host:5432/empty_db [...]

Each learner has --cards review cards, a quarter of them due (a fifth of the learners have none due,
so they get no message). The sweep is timed from its start until every reminder has been handed to the
platform (an in-process one: no network), through the core and the storage interface. Target: under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import databases
from bot.config import Settings
from bot.core import StudyBot
from bot.models import Community, Reminder, User
from bot.reminder_times import next_fire
from bot.reviews import end_of_day
from bot.storage import is_postgres_url

AT = datetime(2026, 11, 24, 7, 30).time()
ZONE = "Asia/Tokyo"
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class CountingPlatform:
    name = "bench"

    def __init__(self) -> None:
        self.sent = 0

    async def send_question(self, community: Community, channel: Any, post: Any, question: Any) -> str:
        return f"m{post.id}"

    async def reveal(self, *args: Any) -> None:
        return None

    async def send_reminder(self, community: Community, user: User, due: int) -> None:
        self.sent += 1


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def fill(bot: StudyBot, learners: int, cards: int, rng: random.Random) -> tuple[int, float, list[tuple]]:
    """Learners with reminders at 07:30 Tokyo, and their cards; returns the community id, the fire time
    and the card rows (for the insert)."""
    community = await bot.storage.community("bench", "g1", "bench", "ja", ZONE)
    first = next_fire(AT, ZONE, START, None)
    questions = sorted(bot.content.questions)
    rows: list[tuple] = []
    for chunk in range(0, learners, 500):
        users = await asyncio.gather(
            *(bot.storage.user("bench", f"u{n}", f"learner {n}") for n in range(chunk, min(chunk + 500, learners)))
        )
        reminders = [Reminder(u.id, community.id, AT, None, int(first.timestamp())) for u in users]
        await asyncio.gather(*(bot.storage.save_reminder(r) for r in reminders))
        for user in users:
            has_due = rng.random() >= 0.2
            for k, question in enumerate(rng.sample(questions, min(cards, len(questions)))):
                due = first - timedelta(days=1) if has_due and k % 4 == 0 else first + timedelta(days=5)
                rows.append(
                    (user.id, community.id, question, k + 1, 2, due.timestamp(), 3.0, 5.0, START.timestamp(), 1, "{}")
                )
    return community.id, first.timestamp(), rows


CARD_INSERT = (
    "INSERT INTO review_cards (user_id, community_id, question_id, card_id, state, due, stability, difficulty,"
    " last_review, reps, data) VALUES ({})"
)
REARM = "UPDATE reminders SET next_at = {0}, last_sent_at = NULL WHERE community_id = {1}"
# The plain-SQL baseline: claim every due reminder in one statement, then count every learner's due
# cards in one grouped query (no time zones, no DST, no bank, no per-learner messages).
CLAIM = "UPDATE reminders SET next_at = next_at + 86400, last_sent_at = {0} WHERE enabled = 1 AND next_at <= {0} RETURNING user_id"
COUNT = "SELECT user_id, COUNT(*) FROM review_cards WHERE community_id = {0} AND due <= {1} GROUP BY user_id"


class Plain:
    """Plain SQL on the same database, beside the bot: SQLite's sqlite3 or PostgreSQL's asyncpg."""

    def __init__(self, database: str):
        self.database = database
        self.pg: asyncpg.Connection | None = None
        self.lite: sqlite3.Connection | None = None

    async def open(self) -> None:
        if is_postgres_url(self.database):
            self.pg = await asyncpg.connect(self.database)
        else:
            self.lite = sqlite3.connect(self.database, isolation_level=None)
            self.lite.execute("PRAGMA busy_timeout=30000")

    async def execute(self, sql: str, rows: list[tuple] | None = None) -> list[Any]:
        if self.pg is not None:
            if rows is not None:
                marks = ", ".join(f"${i + 1}" for i in range(len(rows[0])))
                await self.pg.executemany(sql.format(marks), rows)
                return []
            return list(await self.pg.fetch(sql))
        assert self.lite is not None
        if rows is not None:
            self.lite.execute("BEGIN")
            self.lite.executemany(sql.format(", ".join("?" * len(rows[0]))), rows)
            self.lite.execute("COMMIT")
            return []
        return self.lite.execute(sql).fetchall()

    async def close(self) -> None:
        if self.pg is not None:
            await self.pg.close()
        if self.lite is not None:
            self.lite.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--cards", type=int, default=20, help="review cards per learner (a quarter due)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", help=databases.HELP)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, databases.postgres_database(args.database) as url:
        database = url or str(Path(tmp) / "bench.db")
        clock = Clock(START)
        bot = await StudyBot.create(Settings(database=database, timezone=ZONE), clock=clock)
        platform = CountingPlatform()
        bot.register(platform)
        plain = Plain(database)
        try:
            started = time.perf_counter()
            community_id, fire, rows = await fill(bot, args.learners, args.cards, random.Random(7))
            await plain.open()
            await plain.execute(CARD_INSERT, rows)
            print(
                f"{args.learners:,} learners with a reminder at 07:30 {ZONE}, {len(rows):,} review cards"
                f" ({'PostgreSQL' if plain.pg else 'SQLite'}; filled in {time.perf_counter() - started:.0f} s)"
            )
            clock.now = datetime.fromtimestamp(fire, UTC)
            due_by = end_of_day(clock.now, ZONE).timestamp()
            sweeps, baselines = [], []
            for _ in range(args.runs):
                await plain.execute(REARM.format(int(fire), community_id))
                platform.sent = 0
                began = time.perf_counter()
                counts = await bot.reminders.sweep()
                await bot.reminders.settle()
                sweeps.append(time.perf_counter() - began)
                assert counts["sent"] == args.learners, counts

                await plain.execute(REARM.format(int(fire), community_id))
                began = time.perf_counter()
                claimed = await plain.execute(CLAIM.format(int(fire)))
                counted = await plain.execute(COUNT.format(community_id, due_by))
                baselines.append(time.perf_counter() - began)
                assert len(claimed) == args.learners and len(counted) == platform.sent, (len(counted), platform.sent)
            print(f"reminders handed to the platform per sweep: {platform.sent:,} (the rest had nothing due)")
            show("sweep through the core", sweeps)
            show("plain SQL: claim + count", baselines)
            ratio = statistics.median(sweeps) / statistics.median(baselines)
            print(f"sweep / plain SQL (medians): {ratio:.1f}x; target: sweep under 2 s")
        finally:
            await plain.close()
            await bot.close()


def show(name: str, values: list[float]) -> None:
    print(f"  {name:26} median {statistics.median(values):6.3f} s, range {min(values):.3f}-{max(values):.3f} s")


if __name__ == "__main__":
    asyncio.run(main())

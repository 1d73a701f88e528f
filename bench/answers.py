"""Answer recording and leaderboard figures, with plain SQLite inserts measured in the same run as the ceiling.

    .venv/bin/python bench/answers.py [--users 10000] [--spread 100000] [--total 1000000]

Prints: plain-SQLite inserts/s (one row per transaction, as a durable acknowledgement needs), answers/s
through the core with 200 concurrent answerers, p50/p99 latency of one answer, and leaderboard query
times once --total answers are stored. Targets: >= 30% of the plain rate, p99 < 10 ms, queries < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.core import Actor, StudyBot
from bot.gc_tuning import tune_for_bursts
from bot.models import Schedule

CONCURRENCY = 200


class NullPlatform:
    name = "bench"

    async def send_question(self, community, channel, post, question) -> str:
        return f"m{post.id}"

    async def reveal(self, community, channel, post, question, results) -> None:
        return None


def plain_sqlite_rate(path: Path, rows: int) -> float:
    """The ceiling: a bare INSERT of an answer-shaped row, committed one by one, same pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE answers (id INTEGER PRIMARY KEY, post_id INT, user_id INT, choices TEXT, correct INT,"
        " answered_at REAL, UNIQUE (post_id, user_id))"
    )
    started = time.perf_counter()
    for i in range(rows):
        conn.execute(
            "INSERT INTO answers (post_id, user_id, choices, correct, answered_at) VALUES (1, ?, 'a', 1, ?)",
            (i, time.time()),
        )
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def actor(user: int, channel: int = 0) -> Actor:
    return Actor("bench", "guild", f"u{user}", f"user {user}", channel_id=f"c{channel}", channel_name=f"c{channel}")


async def answer_all(bot: StudyBot, jobs: list[tuple[Actor, int, list[str]]]) -> tuple[float, list[float]]:
    """Answer with CONCURRENCY workers; return (answers/s, per-answer latencies in seconds)."""
    queue: asyncio.Queue[tuple[Actor, int, list[str]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            who, post_id, choices = queue.get_nowait()
            t0 = time.perf_counter()
            await bot.answer(who, post_id, choices)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(jobs) / (time.perf_counter() - started), latencies


async def timed(bot: StudyBot, who: Actor, post_id: int, choices: list[str]) -> float:
    await bot.answer(who, post_id, choices)
    return time.perf_counter()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def make_posts(bot: StudyBot, clock: Clock, channels: int, days: int) -> list[int]:
    posts = []
    for day in range(days):
        clock.now = datetime(2026, 1, 5, 0, 0, tzinfo=UTC) + timedelta(days=day)
        for c in range(channels):
            ctx = await bot.context(actor(0, c))
            channel = await bot.storage.channel(ctx.community.id, f"c{c}")
            result = await bot.post_daily(Schedule(channel.id, clock.now.time(), "UTC"), forced=True)
            posts.append(result.post.id)
    return posts


def choices_for(bot: StudyBot, post_question: str, rng: random.Random) -> list[str]:
    q = bot.content.questions[post_question]
    if rng.random() < 0.6:
        return sorted(q.answer)
    return [c.id for c in q.choices if c.id not in q.answer][: len(q.answer)]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000, help="users answering one post")
    parser.add_argument("--spread", type=int, default=100_000, help="answers spread over 1,000 posts")
    parser.add_argument("--total", type=int, default=1_000_000, help="answers stored for the leaderboard queries")
    args = parser.parse_args()
    rng = random.Random(1)
    tmp = Path(tempfile.mkdtemp(prefix="studybot-bench-"))

    plain = plain_sqlite_rate(tmp / "plain.db", 20_000)
    print(f"plain SQLite insert, one row per commit : {plain:10,.0f} rows/s   (ceiling)")

    settings = Settings(database=tmp / "bench.db")
    clock = Clock()
    bot = await StudyBot.create(settings, clock=clock)
    bot.register(NullPlatform())
    tune_for_bursts()  # as `studybot run` does once it is up
    try:
        await measure(bot, clock, args, plain, rng)
    finally:
        await bot.close()
        shutil.rmtree(tmp)


async def measure(bot: StudyBot, clock: Clock, args: argparse.Namespace, plain: float, rng: random.Random) -> None:
    # 1. Many users, one post.
    [post_id] = await make_posts(bot, clock, 1, 1)
    question = (await bot.storage.post(post_id)).question_id
    jobs = [(actor(u), post_id, choices_for(bot, question, rng)) for u in range(args.users)]
    rate, lat = await answer_all(bot, jobs)
    print(
        f"{args.users:,} users on one post ({CONCURRENCY} concurrent): {rate:10,.0f} answers/s "
        f"= {rate / plain:.0%} of plain   p50 {pct(lat, 0.5) * 1000:.2f} ms   p99 {pct(lat, 0.99) * 1000:.2f} ms"
    )

    # 1b. Bursts: 200 users click at the same moment, once each (how a daily post is really answered).
    burst_posts = await make_posts(bot, clock, 20, 1)
    await bot.leaderboard(actor(0), "all")  # let the leaderboard totals catch up first, as between real posts
    lat = []
    for p in burst_posts:
        await asyncio.sleep(0.2)  # the previous burst's answers are folded into the totals meanwhile
        q = (await bot.storage.post(p)).question_id
        started = time.perf_counter()
        done = await asyncio.gather(*(timed(bot, actor(u), p, choices_for(bot, q, rng)) for u in range(CONCURRENCY)))
        lat += [t - started for t in done]
    print(
        f"20 bursts of {CONCURRENCY} simultaneous clicks          : "
        f"p50 {pct(lat, 0.5) * 1000:.2f} ms   p99 {pct(lat, 0.99) * 1000:.2f} ms (target p99 < 10 ms)"
    )

    # 2. Answers spread over 1,000 posts (10 channels x 100 days), streaks and scores moving.
    posts = await make_posts(bot, clock, 10, 100)
    post_questions = {p: (await bot.storage.post(p)).question_id for p in posts}
    per_post = max(1, args.spread // len(posts))
    pool = 2 * per_post
    jobs = []
    for p in posts:
        for u in rng.sample(range(pool), per_post):
            jobs.append((actor(u, (p - posts[0]) % 10), p, choices_for(bot, post_questions[p], rng)))
    clock.now += timedelta(hours=1)
    rate, lat = await answer_all(bot, jobs)
    print(
        f"{len(jobs):,} answers over {len(posts):,} posts          : {rate:10,.0f} answers/s "
        f"= {rate / plain:.0%} of plain   p50 {pct(lat, 0.5) * 1000:.2f} ms   p99 {pct(lat, 0.99) * 1000:.2f} ms"
    )

    # 3. Fill up to --total stored answers, then time the leaderboards.
    stored = args.users + len(burst_posts) * CONCURRENCY + len(jobs)
    if stored < args.total:
        extra_days = (args.total - stored) // (10 * 1000) + 1
        more = await make_posts(bot, clock, 10, extra_days)
        jobs = []
        for i, p in enumerate(more):
            q = (await bot.storage.post(p)).question_id
            for u in range(1000):
                jobs.append((actor(u + i % 5 * 1000, i % 10), p, choices_for(bot, q, rng)))
        jobs = jobs[: args.total - stored]
        started = time.perf_counter()
        rate, _ = await answer_all(bot, jobs)
        stored += len(jobs)
        print(f"filled to {stored:,} answers in {time.perf_counter() - started:.0f} s ({rate:,.0f} answers/s)")

    timings: dict[str, list[float]] = {}
    for period in ("week", "month", "all"):
        for channel_only in (False, True):
            name = f"{period}/{'channel' if channel_only else 'community'}"
            for _ in range(20):
                t0 = time.perf_counter()
                await bot.leaderboard(actor(1, 3), period, channel_only)
                timings.setdefault(name, []).append(time.perf_counter() - t0)
    worst = max(max(v) for v in timings.values())
    print(f"leaderboard queries over {stored:,} answers (20 runs each, ms, median/max):")
    for name, values in timings.items():
        print(f"  {name:18} {statistics.median(values) * 1000:6.2f} / {max(values) * 1000:6.2f}")
    print(f"  slowest leaderboard query: {worst * 1000:.2f} ms (target < 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())

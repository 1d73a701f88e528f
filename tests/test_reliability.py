"""Surviving crashes, restarts, a full or read-only database and hostile input, with nothing lost or
double counted. The process tests run `studybot run` for real and kill it."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot.commands import UserError, parse_daily_set, parse_period, parse_weekdays
from bot.models import AnswerStatus
from bot.scoring import points_for, replay
from bot.study_commands import Message, run_command
from tests.conftest import ADMIN, Clock, actor, make_bot, right_and_wrong
from tests.fakes.slack_api import TEAM, FakeSlackAPI
from tests.processes import BotProcess
from tests.test_deploy import slack_env

SECRET = "deploy-secret"


class Slack:
    """Signed requests into a bot process, as Slack sends them."""

    def __init__(self, port: int, fake: FakeSlackAPI, session: aiohttp.ClientSession):
        self.url = f"http://127.0.0.1:{port}/slack/events"
        self.fake = fake
        self.session = session

    async def send(self, body: str) -> int:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        }
        try:
            async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
                await resp.read()
                return resp.status
        except aiohttp.ClientError:
            return 0  # the process died before answering: not acknowledged

    async def command(self, text: str, user: str = "UADMIN") -> int:
        return await self.send(
            urlencode(
                {
                    "command": "/study",
                    "text": text,
                    "user_id": user,
                    "user_name": user,
                    "channel_id": "C1",
                    "channel_name": "study",
                    "team_id": TEAM,
                    "trigger_id": "t",
                    "response_url": self.fake.response_url(),
                }
            )
        )

    async def click(self, post_id: int, choice: str, user: str) -> int:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user, "team_id": TEAM},
            "team": {"id": TEAM},
            "channel": {"id": "C1"},
            "response_url": self.fake.response_url(),
            "container": {"type": "message", "message_ts": "1.0"},
            "trigger_id": "t",
            "api_app_id": "A1",
            "token": "x",
            "actions": [{"action_id": f"sb:a:{post_id}:{choice}", "block_id": "b", "value": choice, "type": "button"}],
        }
        return await self.send(urlencode({"payload": json.dumps(payload)}))


@pytest.fixture
async def fake():
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


async def open_single_choice_post(slack: Slack, fake: FakeSlackAPI, db: Path) -> int:
    """Today's post, on the single-choice SQS question (its answer is A), once it takes answers."""
    assert await slack.command("daily set 00:00 sqs") == 200
    assert await slack.command("daily now") == 200
    await fake.wait_for("chat.postMessage")
    for _ in range(100):
        found = rows(db, "SELECT id FROM posts WHERE kind = 'daily' AND status = 'open'")
        if found:
            return found[0][0]
        await asyncio.sleep(0.02)
    raise AssertionError("the daily post never opened")


def click_spread(slack: Slack, post_id: int, users: list[str], spread: float) -> tuple[asyncio.Future, set[str]]:
    """Each user clicks A once at a random moment within `spread` seconds; the set fills with the
    users whose click was acknowledged (HTTP 200)."""
    acked: set[str] = set()

    async def answer(user: str) -> None:
        await asyncio.sleep(random.random() * spread)
        if await slack.click(post_id, "a", user) == 200:
            acked.add(user)

    return asyncio.gather(*(answer(u) for u in users)), acked


def stored_users(db: Path) -> set[str]:
    return {u for (u,) in rows(db, "SELECT u.platform_id FROM answers a JOIN users u ON u.id = a.user_id")}


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_kill_9_while_200_users_answer_loses_no_acknowledged_answer(tmp_path, fake):
    env = slack_env(tmp_path, fake, STUDYBOT_ADMINS="UADMIN")
    db = Path(env["STUDYBOT_DATABASE"])
    bot = BotProcess(env)
    await bot.start()
    await bot.wait_healthy()
    async with aiohttp.ClientSession() as session:
        slack = Slack(bot.port, fake, session)
        post_id = await open_single_choice_post(slack, fake, db)
        users = [f"U{i:03d}" for i in range(200)]
        clicks, acked = click_spread(slack, post_id, users, 0.5)
        await asyncio.sleep(0.25)
        await bot.kill()  # in the middle of the clicks
        await clicks
        stored = stored_users(db)
        assert acked <= stored  # every acknowledged answer survived kill -9
        assert 0 < len(acked) < 200, "the kill should land in the middle of the clicks"

        bot = BotProcess(env)
        await bot.start()
        await bot.wait_healthy()
        statuses = await asyncio.gather(*(slack.click(post_id, "a", u) for u in users))
        assert statuses == [200] * 200
        await bot.terminate()
    counts = rows(db, "SELECT user_id, COUNT(*) FROM answers GROUP BY user_id")
    assert len(counts) == 200 and all(n == 1 for _, n in counts)  # everyone exactly once
    # Each answer is a review exactly once: those the kill left unapplied were applied after the restart.
    assert rows(db, "SELECT COUNT(*) FROM review_logs") == [(200,)]
    assert rows(db, "SELECT COUNT(*) FROM answers a JOIN review_logs l ON l.answer_id = a.id") == [(200,)]
    assert rows(db, "SELECT COUNT(*), MAX(reps) FROM review_cards") == [(200, 1)]


async def test_restarts_around_the_post_time_post_exactly_once(tmp_path, fake):
    env = slack_env(tmp_path, fake, STUDYBOT_ADMINS="UADMIN")
    now = datetime.now(UTC)
    if now.second > 50:  # keep the whole test inside one minute of the schedule
        await asyncio.sleep(61 - now.second)
    bot = BotProcess(env)
    await bot.start()
    await bot.wait_healthy()
    async with aiohttp.ClientSession() as session:
        slack = Slack(bot.port, fake, session)
        assert await slack.command(f"daily set {datetime.now(UTC):%H:%M} UTC") == 200
        await fake.wait_for("respond")
    await bot.kill()
    for _ in range(2):  # two restarts within the minute: the first catches up, the second must not repost
        bot = BotProcess(env)
        await bot.start()
        await bot.wait_healthy()
        await asyncio.sleep(0.3)
        await bot.kill()
    assert len(fake.of("chat.postMessage")) == 1
    assert rows(Path(env["STUDYBOT_DATABASE"]), "SELECT COUNT(*) FROM posts")[0][0] == 1


@pytest.mark.parametrize("failure", ["full", "read-only"])
@pytest.mark.sqlite_only  # a full or read-only SQLite file
async def test_a_full_or_read_only_database_refuses_clearly_and_writes_nothing_partial(bot, clock, failure):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    first = await bot.answer(actor("u0"), post.id, right)
    assert first.outcome.status == AnswerStatus.RECORDED

    def break_it(conn: sqlite3.Connection) -> None:
        if failure == "full":
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        else:
            conn.execute("PRAGMA query_only = ON")

    await bot.storage._db.run(break_it)
    results = await asyncio.gather(*(bot.answer(actor(f"u{i}"), post.id, right) for i in range(1, 400)))
    refused = [r for r in results if r.error_key == "answer.not_stored"]
    assert refused, "the broken database must refuse some answers"
    stored = [r for r in results if r.outcome.status == AnswerStatus.RECORDED]

    def heal(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA max_page_count = 1073741823")
        conn.execute("PRAGMA query_only = OFF")

    await bot.storage._db.run(heal)
    totals = await bot.storage.post_results(post.id)
    assert totals.answered == 1 + len(stored)  # no partial answer rows
    streak_rows = await bot.storage._db.execute("SELECT COUNT(*) FROM streaks")
    assert streak_rows[0][0] == totals.answered  # a streak for exactly the stored answers
    board = await bot.leaderboard(actor("u0"), "all")
    assert sum(r.answered for r in board.rows) == min(totals.answered, 10) or len(board.rows) == 10
    again = await bot.answer(actor("u1"), post.id, right)  # after the disk is fixed, a retry works
    assert again.outcome.status in (AnswerStatus.RECORDED, AnswerStatus.ALREADY)


USERS = [f"u{i}" for i in range(6)]


async def _answer_together(bot, post_id: int, choices: list[str]) -> list:
    """Six answers that reach the database in one batch (the users exist, so nothing else is queued)."""
    for user in USERS:
        await bot.context(actor(user))
    return list(await asyncio.gather(*(bot.answer(actor(user), post_id, choices) for user in USERS)))


async def _post_with_u3_refused_in(bot, table: str):
    """A daily post, and a temporary trigger that makes SQLite refuse u3's row in `table`."""
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    victim = (await bot.context(actor("u3"))).user.id
    await _sql(
        bot,
        f"CREATE TEMP TRIGGER refuse BEFORE INSERT ON {table} WHEN NEW.user_id = {victim}"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    right, _ = right_and_wrong(bot.question_of(post))
    return post, right


async def _sql(bot, statement: str) -> None:
    await bot.storage._db.execute(statement)


@pytest.mark.sqlite_only  # SQLite triggers in a group-commit batch
async def test_an_answer_that_cannot_be_written_fails_alone(bot, clock):
    post, right = await _post_with_u3_refused_in(bot, "answers")
    results = await _answer_together(bot, post.id, right)
    assert [r.error_key for r in results] == [None, None, None, "answer.not_stored", None, None]
    assert (await bot.storage.post_results(post.id)).answered == 5
    await _sql(bot, "DROP TRIGGER refuse")
    assert (await bot.answer(actor("u3"), post.id, right)).outcome.status == AnswerStatus.RECORDED


@pytest.mark.sqlite_only  # the group-commit batch
async def test_an_answer_that_fails_half_written_fails_its_whole_batch(bot, clock):
    """The answer row is written but its streak is not: nothing of the batch may be kept."""
    post, right = await _post_with_u3_refused_in(bot, "streaks")
    results = await _answer_together(bot, post.id, right)
    assert {r.error_key for r in results} == {"answer.not_stored"}
    assert (await bot.storage.post_results(post.id)).answered == 0
    await _sql(bot, "DROP TRIGGER refuse")
    results = await _answer_together(bot, post.id, right)
    assert {r.outcome.status for r in results} == {AnswerStatus.RECORDED}
    streaks = await bot.storage._db.execute("SELECT COUNT(*) FROM streaks")
    assert streaks[0][0] == 6


# -- property-based: the streak and leaderboard rules over random histories and time zones

ZONES = ["Asia/Tokyo", "UTC", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata", "Europe/London"]


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(ZONES),
    days=st.lists(st.booleans(), min_size=1, max_size=12),  # is there a post that day
    answers=st.lists(
        st.lists(st.sampled_from(["none", "right", "wrong"]), min_size=12, max_size=12), min_size=1, max_size=4
    ),
)
def test_streaks_and_points_match_a_simple_model(tmp_path_factory, content, settings, zone, days, answers):
    asyncio.run(_streak_model(tmp_path_factory.mktemp("prop"), content, settings, zone, days, answers))


async def _streak_model(tmp: Path, content, settings, zone: str, days: list[bool], answers: list[list[str]]) -> None:
    from dataclasses import replace

    clock = Clock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    bot = await make_bot(replace(settings, database=tmp / "p.db", timezone=zone), clock, content)
    try:
        admin = actor("admin", admin=True)
        schedule = await bot.set_daily(admin, parse_daily_set(["07:30", zone]))
        scheduled: list[str] = []
        expected_points = [0] * len(answers)
        answered_days: list[list[str]] = [[] for _ in answers]
        for day, has_post in enumerate(days):
            clock.set((datetime(2026, 3, 1) + timedelta(days=day)).strftime("%Y-%m-%dT07:30"), zone)
            if not has_post:
                continue
            post = (await bot.post_daily(schedule)).post
            scheduled.append(post.local_date)
            right, wrong = right_and_wrong(bot.question_of(post))
            for user, plan in enumerate(answers):
                if plan[day] == "none":
                    continue
                clock.advance(minutes=1)
                outcome = (
                    await bot.answer(actor(f"u{user}"), post.id, right if plan[day] == "right" else wrong)
                ).outcome
                answered_days[user].append(post.local_date)
                streak, _, _ = replay(scheduled, answered_days[user])
                assert outcome.streak == streak
                assert outcome.points == points_for(plan[day] == "right", streak)
                expected_points[user] += outcome.points
            await bot.reveal(post.id)
        board = await bot.leaderboard(actor("u0"), "all")
        for row in board.rows:
            user = int(row.name[1:])
            assert row.points == expected_points[user]
            assert row.answered == len(answered_days[user])
            _, best, last = replay(scheduled, answered_days[user])
            # After every day has closed, the current streak is the run ending on the last scheduled day.
            current = replay(scheduled, answered_days[user])[0] if last == scheduled[-1] else 0
            assert row.streak == current
            assert (await bot.streak(actor(row.name.lower()))).best == best
        ranked = [(r.points, r.correct) for r in board.rows]
        assert ranked == sorted(ranked, reverse=True)
    finally:
        await bot.close()


# -- fuzzing: no typed command, however odd, escapes as an exception

command_words = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "quiz",
                "lookup",
                "leaderboard",
                "stats",
                "daily",
                "set",
                "off",
                "now",
                "lang",
                "help",
                "reload",
                "week",
                "channel",
                "09:00",
                "25:99",
                "Asia/Tokyo",
                "mon-fri",
                "reveal=8h",
                "ja",
            ]
        ),
        st.text(max_size=20),
    ),
    max_size=7,
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=command_words, admin=st.booleans())
def test_fuzzed_commands_always_get_a_reply(bot_factory, words, admin):
    reply = asyncio.run(bot_factory(words, admin))
    assert reply is not None
    if isinstance(reply, Message):
        assert reply.text.strip()


@pytest.fixture
def bot_factory(tmp_path, settings, content):
    async def run(words: list[str], admin: bool):
        from dataclasses import replace

        clock = Clock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
        bot = await make_bot(replace(settings, database=tmp_path / "fuzz.db"), clock, content)
        try:
            return await run_command(bot, actor("fuzzer", admin=admin), words)
        finally:
            await bot.close()

    return run


@hsettings(max_examples=300, deadline=None)
@given(args=st.lists(st.text(max_size=12), max_size=6))
def test_fuzzed_argument_parsers_raise_only_user_errors(args):
    for parse in (
        lambda: parse_daily_set(args),
        lambda: parse_period(args[0] if args else None),
        lambda: parse_weekdays(args[0] if args else ""),
    ):
        try:
            parse()
        except UserError:
            pass


async def test_sigterm_while_users_answer_commits_what_was_acknowledged(tmp_path, fake):
    env = slack_env(tmp_path, fake, STUDYBOT_ADMINS="UADMIN")
    db = Path(env["STUDYBOT_DATABASE"])
    bot = BotProcess(env)
    await bot.start()
    await bot.wait_healthy()
    async with aiohttp.ClientSession() as session:
        slack = Slack(bot.port, fake, session)
        post_id = await open_single_choice_post(slack, fake, db)
        clicks, acked = click_spread(slack, post_id, [f"U{i:03d}" for i in range(200)], 0.4)
        await asyncio.sleep(0.2)
        code, err = await bot.terminate()
        await clicks
    assert code == 0, err
    stored = stored_users(db)
    assert acked and acked <= stored
    # The leaderboard totals were brought up to date before exit too.
    totals = rows(db, "SELECT SUM(answered) FROM scores WHERE channel_id = 0 AND period = 'all'")[0][0]
    assert totals == len(stored)

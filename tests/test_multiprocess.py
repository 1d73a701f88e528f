"""Several real `studybot run` processes on one PostgreSQL database, as replicas behind a load balancer:
signed Slack clicks spread over them, one killed with SIGKILL mid-load, or the database server
restarted mid-load. Whatever a user was told was recorded is stored exactly once, the day is posted
once, and the leaderboard totals add up to the answers.

"Acknowledged" here is what the user sees: the reply through response_url saying the answer counted.
The HTTP 200 alone is not it: while the database is down the click is answered 200 with "could not be
saved", and a process killed between its ack and its reply told the user nothing; such users click
again, on a process that is alive, as they would in Slack.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import TEAM, FakeSlackAPI
from tests.postgres_server import PostgresServer, start_server
from tests.processes import BotProcess
from tests.test_deploy import slack_env

SECRET = "deploy-secret"
USERS = [f"U{i:03d}" for i in range(150)]
TEST_TIMEOUT = 90  # seconds: every test here is bounded, whatever hangs
RECORDED = "正解です"  # the single-choice SQS question's answer A is right: the "correct, +points" reply
ALREADY = "回答済み"  # a later click: "you already answered (A), your first answer counts"
NOT_STORED = "保存できませんでした"


class LoadBalancer:
    """Signed Slack requests, each sent to one of the replicas (round robin by user, as a balancer
    with sticky sessions might; the test moves a user elsewhere when their replica is gone)."""

    def __init__(self, replicas: list[BotProcess], fake: FakeSlackAPI, session: aiohttp.ClientSession):
        self.replicas = replicas
        self.fake = fake
        self.session = session
        self.attempts: dict[str, int] = {}

    async def send(self, replica: BotProcess, body: str) -> int:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        }
        try:
            url = f"http://127.0.0.1:{replica.port}/slack/events"
            async with self.session.post(url, data=body.encode(), headers=headers, timeout=10) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError):
            return 0  # the process died before answering: not acknowledged

    async def command(self, replica: BotProcess, text: str) -> int:
        body = {
            "command": "/study",
            "text": text,
            "user_id": "UADMIN",
            "user_name": "admin",
            "channel_id": "C1",
            "channel_name": "study",
            "team_id": TEAM,
            "trigger_id": "t",
            "response_url": self.fake.response_url("admin"),
        }
        return await self.send(replica, urlencode(body))

    async def click(self, replica: BotProcess, post_id: int, user: str) -> int:
        """User clicks A; the reply comes back to the response_url token `user-attempt`."""
        attempt = self.attempts[user] = self.attempts.get(user, 0) + 1
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "team": {"id": TEAM},
            "channel": {"id": "C1"},
            "response_url": self.fake.response_url(f"{user}-{attempt}"),
            "container": {"type": "message", "message_ts": "1.0"},
            "trigger_id": "t",
            "api_app_id": "A1",
            "token": "x",
            "actions": [{"action_id": f"sb:a:{post_id}:a", "block_id": "b", "value": "a", "type": "button"}],
        }
        return await self.send(replica, urlencode({"payload": json.dumps(payload)}))

    def told(self, user: str, words: str) -> bool:
        """Whether any reply to this user's clicks says `words`."""
        prefix = f"{user}-"
        return any(call.token.startswith(prefix) and words in json.dumps(call.body, ensure_ascii=False)
                   for call in self.fake.responses)  # fmt: skip

    def counted(self, user: str) -> bool:
        return self.told(user, RECORDED) or self.told(user, ALREADY)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


def replica_env(tmp_path: Path, fake: FakeSlackAPI, url: str, n: int) -> dict[str, str]:
    # A short lease makes every replica sweep each second (a third of the lease), so they all race to
    # catch up today's post at once.
    return slack_env(
        tmp_path / f"r{n}", fake, STUDYBOT_DATABASE=url, STUDYBOT_ADMINS="UADMIN", STUDYBOT_LEASE_SECONDS="3"
    )


@asynccontextmanager
async def replicas(tmp_path: Path, fake: FakeSlackAPI, url: str, count: int) -> AsyncIterator[list[BotProcess]]:
    """`count` processes started together on one database (so they also migrate it together)."""
    bots = [
        BotProcess(replica_env(tmp_path, fake, url, n), log_path=tmp_path / f"replica{n}.log") for n in range(count)
    ]
    try:
        await asyncio.gather(*(b.start() for b in bots))
        await asyncio.gather(*(b.wait_healthy(within=45) for b in bots))
        yield bots
    finally:
        for b in bots:
            if b.proc is not None and b.proc.returncode is None:
                b.proc.kill()
                await b.proc.wait()


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncio.wait_for(asyncpg.connect(url), 10)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def until(check: Callable[[], bool], within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def post_of_the_day(lb: LoadBalancer, url: str) -> int:
    """The schedule is set through one replica; the time has passed today, so every replica's sweep
    tries to catch the post up within a second: one post, one message."""
    assert await lb.command(lb.replicas[0], "daily set 00:00 UTC sqs") == 200
    await lb.fake.wait_for("chat.postMessage", within=15)
    post_id = None
    for _ in range(200):
        found = await fetch(url, "SELECT id FROM posts WHERE kind = 'daily' AND status = 'open'")
        if found:
            post_id = found[0]["id"]
            break
        await asyncio.sleep(0.05)
    assert post_id is not None, "the daily post never opened"
    await asyncio.sleep(2.5)  # two more sweeps in every replica: none may post again
    assert len(lb.fake.of("chat.postMessage")) == 1
    assert (await fetch(url, "SELECT COUNT(*) AS n FROM posts"))[0]["n"] == 1
    return post_id


async def clicks_within(lb: LoadBalancer, post_id: int, spread: float) -> None:
    """Every user clicks once at a random moment within `spread` seconds, on their replica."""

    async def one(i: int, user: str) -> None:
        await asyncio.sleep(random.random() * spread)
        await lb.click(lb.replicas[i % len(lb.replicas)], post_id, user)

    await asyncio.gather(*(one(i, u) for i, u in enumerate(USERS)))


async def click_again_until_counted(lb: LoadBalancer, post_id: int, alive: list[BotProcess], within: float) -> None:
    """Users not told their answer counted click again (on a live replica) until they are."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        await asyncio.sleep(0.5)  # replies of acknowledged work may still be on their way
        waiting = [u for u in USERS if not lb.counted(u)]
        if not waiting:
            return
        if asyncio.get_running_loop().time() > deadline:
            last = [c.body.get("text", "")[:60] for c in lb.fake.responses if c.token.startswith(waiting[0] + "-")]
            logs = "\n".join(b._err(None)[-1500:] for b in alive)
            raise AssertionError(f"{len(waiting)} users never got their answer counted ({waiting[0]}: {last})\n{logs}")
        await asyncio.gather(*(lb.click(alive[i % len(alive)], post_id, u) for i, u in enumerate(waiting)))


async def check_everything_adds_up(lb: LoadBalancer, url: str, told_recorded: set[str]) -> None:
    answers = await fetch(url, "SELECT u.platform_id AS user, a.points FROM answers a JOIN users u ON u.id = a.user_id")
    stored = [r["user"] for r in answers]
    assert len(stored) == len(set(stored)) == len(USERS)  # everyone exactly once
    assert told_recorded <= set(stored)
    [totals] = await fetch(
        url,
        "SELECT SUM(answered) AS answered, SUM(points) AS points FROM scores WHERE channel_id = 0 AND period = 'all'",
    )
    assert totals["answered"] == len(answers)
    assert totals["points"] == sum(r["points"] for r in answers)
    assert len(lb.fake.of("chat.postMessage")) == 1
    # Only name lookups may be refused: the replicas share the workspace's users.info rate limit, and a
    # name is looked up again later (the answer never waits for it).
    assert {(call.method, refusal["error"]) for call, refusal in lb.fake.rejected} <= {("users.info", "ratelimited")}


async def test_three_replicas_one_killed_mid_load_lose_and_double_nothing(tmp_path, fake, postgres_url):
    async with asyncio.timeout(TEST_TIMEOUT), replicas(tmp_path, fake, postgres_url, 3) as bots:
        async with aiohttp.ClientSession() as session:
            lb = LoadBalancer(bots, fake, session)
            post_id = await post_of_the_day(lb, postgres_url)
            killed_share = {u for i, u in enumerate(USERS) if i % 3 == 1}
            load = asyncio.create_task(clicks_within(lb, post_id, 3.0))
            await until(lambda: sum(lb.told(u, RECORDED) for u in killed_share) >= 3, within=10)
            await bots[1].kill()  # in the middle of its clicks, once it has counted a few
            await load
            told_before = {u for u in USERS if lb.told(u, RECORDED)}
            assert told_before & killed_share, "the killed replica should have counted some answers first"
            assert killed_share - told_before, "the kill should land in the middle of its clicks"
            await click_again_until_counted(lb, post_id, [bots[0], bots[2]], within=30)
            await check_everything_adds_up(lb, postgres_url, {u for u in USERS if lb.told(u, RECORDED)})
            assert told_before <= {u for u in USERS if lb.told(u, RECORDED)}
            for bot in (bots[0], bots[2]):
                code, err = await bot.terminate()
                assert code == 0, err[-2000:]


@pytest.fixture
async def own_server() -> AsyncIterator[PostgresServer]:
    """A server of this test's own, since it is restarted under the processes."""
    server = await asyncio.to_thread(start_server)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_two_replicas_through_a_database_restart_mid_load_keep_what_they_acknowledged(tmp_path, fake, own_server):
    url = await asyncio.to_thread(own_server.database)
    async with asyncio.timeout(TEST_TIMEOUT), replicas(tmp_path, fake, url, 2) as bots:
        async with aiohttp.ClientSession() as session:
            lb = LoadBalancer(bots, fake, session)
            post_id = await post_of_the_day(lb, url)
            load = asyncio.create_task(clicks_within(lb, post_id, 3.0))
            await until(lambda: sum(lb.told(u, RECORDED) for u in USERS) >= 5, within=10)
            await asyncio.to_thread(own_server.halt)  # an immediate stop, as a crash of the server
            told_before = {u for u in USERS if lb.told(u, RECORDED)}
            await asyncio.sleep(1.0)
            await asyncio.to_thread(own_server.resume)
            await load
            assert told_before, "some answers should have been counted before the restart"
            assert any(lb.told(u, NOT_STORED) for u in USERS), "some clicks should have met the server down"
            await click_again_until_counted(lb, post_id, bots, within=30)
            await check_everything_adds_up(lb, url, {u for u in USERS if lb.told(u, RECORDED)})
            for bot in bots:  # both reconnected: healthy again, and they stop cleanly
                await bot.wait_healthy(within=15)
                code, err = await bot.terminate()
                assert code == 0, err[-2000:]

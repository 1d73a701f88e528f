"""Signed answer clicks into the Slack HTTP-mode app on loopback, sent from a second process.

    .venv/bin/python bench/slack_http.py [--clicks 5000] [--concurrency 50]

Prints requests/s and p50/p99 latency to Slack's ack (the HTTP response), with the plain-SQLite
insert rate measured in the same run beside it (the ceiling from bench/answers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"


async def client(url: str, post_id: int, clicks: int, concurrency: int) -> None:
    """The second process: Slack's side, sending signed block_actions, timing each ack, and taking
    the ephemeral replies at its own response_url, as Slack would."""
    import aiohttp
    from aiohttp import web
    from slack_sdk.signature import SignatureVerifier

    replies = 0

    async def take_reply(request: web.Request) -> web.Response:
        nonlocal replies
        await request.read()
        replies += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/respond", take_reply)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    response_url = f"http://127.0.0.1:{runner.addresses[0][1]}/respond"

    signer = SignatureVerifier(SECRET)
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(clicks):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            payload = {
                "type": "block_actions",
                "user": {"id": f"U{i}", "username": f"user{i}", "team_id": "T1"},
                "team": {"id": "T1"},
                "channel": {"id": "C1"},
                "api_app_id": "A1",
                "token": "x",
                "trigger_id": "t",
                "container": {"type": "message", "message_ts": "1.0"},
                "response_url": response_url,
                "actions": [{"action_id": f"sb:a:{post_id}:a", "block_id": "b", "value": "a", "type": "button"}],
            }
            body = urlencode({"payload": json.dumps(payload)})
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signer.generate_signature(timestamp=ts, body=body),
            }
            t0 = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            latencies.append(time.perf_counter() - t0)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    for _ in range(200):  # the replies trail the acks
        if replies >= clicks:
            break
        await asyncio.sleep(0.05)
    await runner.cleanup()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(json.dumps({"rps": clicks / elapsed, "p50": p(0.5), "p99": p(0.99), "replies": replies}))


async def server(clicks: int, concurrency: int) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack import SlackAdapter
    from bench.answers import plain_sqlite_rate
    from bot.config import Settings
    from bot.core import Actor, StudyBot
    from tests.fakes.slack_api import FakeSlackAPI

    tmp = Path(tempfile.mkdtemp(prefix="studybot-slack-bench-"))
    plain = plain_sqlite_rate(tmp / "plain.db", 20_000)
    fake = FakeSlackAPI()
    await fake.start()
    settings = replace(Settings(database=tmp / "bench.db"), slack_signing_secret=SECRET, slack_bot_token="xoxb")
    bot = await StudyBot.create(settings)
    adapter = SlackAdapter(bot, settings, AsyncWebClient(token="xoxb", base_url=fake.base + "/api/"))
    runner = await adapter.start_http("127.0.0.1", 0, "/slack/events")
    port = runner.addresses[0][1]
    admin = Actor("slack", "T1", "UADMIN", "admin", "C1", "bench", is_admin=True)
    result = await bot.daily_now(admin)
    question = bot.content.questions[result.post.question_id]
    if question.multi:  # the bench clicks single buttons: take a single-answer question
        bot.content.questions = {k: q for k, q in bot.content.questions.items() if not q.multi}
        result = await bot.daily_now(Actor("slack", "T1", "UADMIN", "admin", "C2", "bench2", is_admin=True))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        f"http://127.0.0.1:{port}/slack/events",
        str(result.post.id),
        str(clicks),
        str(concurrency),
        fake.response_url(),
        stdout=subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    stored = await bot.storage.post_results(result.post.id)
    await runner.cleanup()
    await adapter.close()
    await bot.close()
    await fake.stop()
    print(f"plain SQLite insert, one row per commit : {plain:10,.0f} rows/s   (ceiling, same run)")
    print(
        f"signed clicks over HTTP ({concurrency} concurrent)  : {figures['rps']:10,.0f} requests/s  "
        f"p50 {figures['p50']:.1f} ms  p99 {figures['p99']:.1f} ms to the ack"
    )
    print(
        f"answers stored: {stored.answered:,} of {clicks:,} clicks; ephemeral replies received: {figures['replies']:,}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        url, post_id, clicks, concurrency = sys.argv[2:6]
        asyncio.run(client(url, int(post_id), int(clicks), int(concurrency)))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(server(args.clicks, args.concurrency))


if __name__ == "__main__":
    main()

"""Signed answer clicks into the Slack HTTP-mode app on loopback, sent from a second process, with the
JSON logging that `studybot run` sets up switched on (written to a file, as a log collector would
read it).

    .venv/bin/python bench/slack_http.py [--clicks 3000] [--burst 1000] [--concurrency 50]

For two loads, 50 clicks in flight and a burst of 1,000 clicks arriving at once, it prints
requests/s, p50/p99/max of the time to Slack's ack (the HTTP response) and the serving process's CPU
time per click (all threads; steadier than latency on a shared machine), for the bot and for a
baseline measured in the same run: a bare aiohttp handler on the same kind of server that only
verifies the signature. Then it checks that every click was stored exactly once and answered once
through response_url. Target: p99 under 1 s for the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
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
TEAM = "T1"


def click_bodies(
    post_id: int, channel: str, choice: str, clicks: int, users: str, response_url: str
) -> list[tuple[str, str, str]]:
    """(body, timestamp, signature) of each click, made before the clock starts."""
    from slack_sdk.signature import SignatureVerifier

    signer = SignatureVerifier(SECRET)
    made = []
    for i in range(clicks):
        payload = {
            "type": "block_actions",
            "user": {"id": f"{users}{i}", "username": f"user{i}", "team_id": TEAM},
            "team": {"id": TEAM},
            "channel": {"id": channel},
            "api_app_id": "A1",
            "token": "x",
            "trigger_id": "t",
            "container": {"type": "message", "message_ts": "1.0"},
            "response_url": response_url,
            "actions": [
                {
                    "action_id": f"sb:a:{post_id}:{choice}",
                    "block_id": f"sb:q:{post_id}",
                    "value": choice,
                    "type": "button",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        ts = str(int(time.time()))
        made.append((body, ts, signer.generate_signature(timestamp=ts, body=body)))
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


REPLY_PORT = free_port()


async def client(args: list[str]) -> None:
    """The second process: Slack's side. Sends the signed clicks with `concurrency` in flight, times
    each ack, and takes the replies at its own response_url, as Slack would."""
    from aiohttp import web

    url, post_id, channel, choice, users = args[0], int(args[1]), args[2], args[3], args[4]
    clicks, concurrency, reply_port = int(args[5]), int(args[6]), int(args[7])
    replies = 0

    async def take_reply(request: web.Request) -> web.Response:
        nonlocal replies
        await request.read()
        replies += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/respond", take_reply)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", reply_port, backlog=4096)
    await site.start()
    response_url = f"http://127.0.0.1:{reply_port}/respond"
    bodies = click_bodies(post_id, channel, choice, clicks, users, response_url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    # Raw HTTP/1.1 on kept-alive connections, the requests written beforehand: a client this lean
    # leaves the CPU to the server (aiohttp's client cost as much per request as the baseline server).
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sig}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        for body, ts, sig in bodies
    ]
    queue = list(reversed(requests))
    start = asyncio.Event()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        await start.wait()
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(head.split(b" ", 2)[1])
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(concurrency)]
    await asyncio.sleep(0.5)  # every connection open: the clicks then arrive at once
    started = time.perf_counter()
    start.set()
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    for _ in range(400):  # the replies trail the acks
        if replies >= clicks:
            break
        await asyncio.sleep(0.05)
    await runner.cleanup()
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    figures = {"rps": clicks / elapsed, "p50": at(0.5), "p99": at(0.99), "max": latencies[-1] * 1000}
    print(json.dumps({**figures, "replies": replies, "statuses": statuses}))


async def run_client(
    url: str, post_id: int, channel: str, choice: str, users: str, clicks: int, in_flight: int
) -> dict:
    args = [url, str(post_id), channel, choice, users, str(clicks), str(in_flight), str(REPLY_PORT)]
    proc = await asyncio.create_subprocess_exec(sys.executable, __file__, "--client", *args, stdout=subprocess.PIPE)
    out, _ = await proc.communicate()
    return json.loads(out.decode().strip().splitlines()[-1])


async def baseline_server():  # type: ignore[no-untyped-def]
    """What any Slack HTTP endpoint must do at least: read the body and verify its signature."""
    from aiohttp import web
    from slack_sdk.signature import SignatureVerifier

    from bot.web import serve

    verifier = SignatureVerifier(SECRET)

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        if not verifier.is_valid(
            body, request.headers["X-Slack-Request-Timestamp"], request.headers["X-Slack-Signature"]
        ):
            return web.Response(status=401)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return await serve(app, "127.0.0.1", 0)


async def server(clicks: int, burst: int, concurrency: int) -> None:
    from adapters.slack import SlackAdapter
    from bot.config import Settings
    from bot.core import Actor, StudyBot
    from bot.gc_tuning import tune_for_bursts
    from bot.logs import setup_logging
    from tests.fakes.slack_api import FakeSlackAPI

    tmp = Path(tempfile.mkdtemp(prefix="studybot-slack-bench-"))
    fake = FakeSlackAPI()
    await fake.start()
    settings = Settings(database=tmp / "bench.db")
    settings = replace(
        settings,
        slack_signing_secret=SECRET,
        slack_bot_token="xoxb-bench",
        slack_api_url=fake.base + "/api/",
        # The click sender takes the replies on a port of its own, the one response_url host allowed.
        slack_response_hosts=(f"http://127.0.0.1:{REPLY_PORT}/respond",),
    )
    setup_logging(settings, json_lines=True)  # as `studybot run` does, into a file instead of stderr
    log_file = (tmp / "studybot.log").open("w", encoding="utf-8")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(log_file)
    bot = await StudyBot.create(settings)
    bot.content.questions = {k: q for k, q in bot.content.questions.items() if not q.multi}  # single clicks
    adapter = SlackAdapter(bot, settings)
    runner = await adapter.start_http("127.0.0.1", 0, "/slack/events")
    bot_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    base = await baseline_server()
    base_url = f"http://127.0.0.1:{base.addresses[0][1]}/slack/events"

    results = []
    loads = ((f"{concurrency} in flight", clicks, concurrency), (f"{burst} arriving at once", burst, burst))
    for n, (name, count, in_flight) in enumerate(loads, start=1):
        channel = f"CBENCH{n}"  # one daily post per load, each in its own channel
        posted = await bot.daily_now(Actor("slack", TEAM, "UADMIN", "admin", channel, f"bench{n}", is_admin=True))
        assert posted.post is not None, posted
        post = posted.post
        choice = sorted(bot.question_of(post).answer)[0]  # type: ignore[union-attr]
        tune_for_bursts()
        cpu = time.process_time()
        baseline = await run_client(base_url, post.id, channel, choice, f"UBASE{n}x", count, in_flight)
        baseline["cpu"] = (time.process_time() - cpu) * 1000 / count
        cpu = time.process_time()
        figures = await run_client(bot_url, post.id, channel, choice, f"U{n}x", count, in_flight)
        await bot.storage.settle()
        figures["cpu"] = (time.process_time() - cpu) * 1000 / count
        answered = (await bot.storage.post_results(post.id)).answered
        results.append((name, count, baseline, figures, answered))
    await runner.cleanup()
    await base.cleanup()
    await adapter.close()
    await bot.close()
    await fake.stop()
    log_file.close()
    lines = sum(1 for _ in (tmp / "studybot.log").open(encoding="utf-8"))

    def row(label: str, f: dict) -> str:
        return (
            f"  {label:<9} {f['rps']:8,.0f} requests/s   ack p50 {f['p50']:7.1f} ms   p99 {f['p99']:7.1f} ms"
            f"   max {f['max']:7.1f} ms   CPU {f['cpu']:5.2f} ms/click   statuses {f['statuses']}"
        )

    for name, count, baseline, figures, answered in results:
        print(f"{count:,} signed clicks, {name}:")
        print(row("baseline", baseline))
        print(row("studybot", figures))
        verdict = "ok" if answered == count and figures["replies"] == count else "MISMATCH"
        print(
            f"  stored {answered:,} of {count:,} clicks once; replies through response_url {figures['replies']:,} ({verdict})"
        )
    print(f"JSON log lines written: {lines:,} ({tmp / 'studybot.log'})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        asyncio.run(client(sys.argv[2:]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=3000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(server(args.clicks, args.burst, args.concurrency))


if __name__ == "__main__":
    main()

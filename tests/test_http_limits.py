"""The HTTP server under connections that trickle their headers or never send them: each is closed
after the header timeout, the open ones are capped below the descriptor limit, a normal request is
answered meanwhile, and the log gets a line now and then instead of one per refused connection.
Against a real `studybot run` process (Slack HTTP mode) over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp
import pytest

from tests.fakes.slack_api import FakeSlackAPI
from tests.processes import BotProcess
from tests.test_deploy import slack_env


@pytest.fixture
async def fake():
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


class Trickler:
    """One connection that sends the start of a request, then one header byte per second, forever."""

    def __init__(self, port: int):
        self.port = port
        self.opened_at = 0.0
        self.closed_at: float | None = None  # when the server closed it (EOF or reset)
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            self.opened_at = self.closed_at = time.monotonic()  # refused at once: closed too
            return
        self.opened_at = time.monotonic()
        sender = asyncio.create_task(self._trickle(writer))
        try:
            with contextlib.suppress(OSError):
                await reader.read()  # b"" (EOF) or a reset: the server closed it
            self.closed_at = time.monotonic()
        finally:
            sender.cancel()
            writer.close()

    async def _trickle(self, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            writer.write(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: ")
            while True:
                await asyncio.sleep(1)
                writer.write(b"a")
                await writer.drain()


async def timed_healthz(port: int, within: float = 2) -> tuple[int, float]:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, asyncio.timeout(within):
        async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
            await resp.read()
            return resp.status, time.monotonic() - started


async def test_trickling_connections_are_closed_and_health_still_answers(tmp_path, fake):
    # A header timeout of 4 s leaves a loaded machine 3 s to answer /healthz while all 400 are open.
    bot = BotProcess(slack_env(tmp_path, fake, STUDYBOT_HTTP_HEADER_TIMEOUT="4"))
    await bot.start()
    try:
        await bot.wait_healthy()
        tricklers = [Trickler(bot.port) for _ in range(400)]
        for t in tricklers:
            t.task = asyncio.create_task(t.run())
        await asyncio.sleep(1)
        status, took = await timed_healthz(bot.port, within=3)  # or the timeout fails the test
        assert status == 200
        await asyncio.wait_for(asyncio.gather(*(t.task for t in tricklers if t.task)), 15)
        lasted = [t.closed_at - t.opened_at for t in tricklers if t.closed_at is not None]
        assert len(lasted) == 400 and max(lasted) < 4 + 3, max(lasted)  # 3 s of slack for a loaded machine
        assert min(lasted) > 3.5  # closed by the header timeout, not refused
    finally:
        code, err = await bot.terminate()
    assert code == 0, err[-2000:]
    print(f"400 trickling connections: /healthz in {took * 1000:.0f} ms; each closed after {max(lasted):.2f} s at most")


async def test_more_connections_than_descriptors_push_back_without_a_log_flood(tmp_path, fake):
    """With `ulimit -n 200` the server keeps at most 100 connections (half the descriptors) and drops
    the one waiting longest for its headers to take a new one; asyncio's "accept() out of system
    resource" never gets logged."""
    bot = BotProcess(slack_env(tmp_path, fake, STUDYBOT_HTTP_HEADER_TIMEOUT="30"))
    await bot.start(max_files=200)
    try:
        await bot.wait_healthy()
        tricklers = [Trickler(bot.port) for _ in range(600)]
        for t in tricklers:
            t.task = asyncio.create_task(t.run())
            await asyncio.sleep(0.002)
        await asyncio.sleep(2)
        for _ in range(3):
            status, took = await timed_healthz(bot.port)
            assert status == 200
        still_open = sum(1 for t in tricklers if t.closed_at is None)
        assert still_open <= 100, still_open
        for t in tricklers:
            if t.task:
                t.task.cancel()
    finally:
        code, err = await bot.terminate()
    assert code == 0, err[-2000:]
    assert "out of system resource" not in err
    assert 1 <= err.count("HTTP connections at the limit") <= 3
    assert len(err.splitlines()) < 60, err[-3000:]
    print(f"600 connections, ulimit -n 200: {still_open} kept open, /healthz in {took * 1000:.0f} ms")


async def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(tmp_path, fake):
    bot = BotProcess(slack_env(tmp_path, fake, STUDYBOT_HTTP_HEADER_TIMEOUT="1.5"))
    await bot.start()
    try:
        await bot.wait_healthy()
        reader, writer = await asyncio.open_connection("127.0.0.1", bot.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\nConnection: keep-alive\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        answered = time.monotonic()
        with contextlib.suppress(OSError):
            while await asyncio.wait_for(reader.read(65536), 10):  # the body, then EOF when closed
                pass
        idle = time.monotonic() - answered
        writer.close()
    finally:
        await bot.terminate()
    assert 1.0 < idle < 1.5 + 3, idle


async def test_a_burst_up_to_the_connection_limit_is_served_whole():
    """Every connection of a burst as large as the limit gets its answer: none is counted twice while
    its transport is set up (which once made the server drop live connections as if at the limit)."""
    from aiohttp import web

    from bot.web import serve

    limit = 800
    app = web.Application()
    app.router.add_get("/ping", lambda request: web.Response(text="pong"))
    server = await serve(app, "127.0.0.1", 0, max_connections=limit)
    port = server.addresses[0][1]
    request = f"GET /ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    try:
        async with asyncio.timeout(30):
            connections = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(limit)))
            await asyncio.sleep(0.2)  # all accepted and waiting for their requests, then they come at once
            for _, writer in connections:
                writer.write(request)

            async def answer(reader: asyncio.StreamReader) -> bytes:
                return (await reader.readuntil(b"\r\n")).split(b" ")[1]

            statuses = await asyncio.gather(*(answer(reader) for reader, _ in connections), return_exceptions=True)
            for _, writer in connections:
                writer.close()
    finally:
        await server.cleanup()
    assert statuses == [b"200"] * limit

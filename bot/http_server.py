"""The listening socket in front of the aiohttp application: a deadline for every request's headers,
a cap on open connections that pushes back instead of running out of file descriptors, and one log
line about it now and then instead of one per refused connection.

aiohttp has none of these: its keep-alive timer (an hour by default) is about idle connections, it
accepts for as long as the process has descriptors left, and asyncio logs "accept() out of system
resource" for every attempt after that. With 1,000 connections trickling their headers a byte at a
time and a 1,024-descriptor limit, clicks took 10 s and the log got 480,000 lines in 80 s.

So this module runs the accept loop itself, with asyncio's public socket API, and hands each accepted
socket to aiohttp's request handler (`AppRunner.server` is the documented low-level protocol factory)
through a thin protocol that keeps the clock:

- a connection must deliver a request's headers within `header_timeout` of opening, or of its previous
  response; an idle keep-alive connection is closed after the same time;
- a request must be over within `request_timeout` of its headers (a body trickled byte by byte);
- with `max_connections` open, the connection that has waited longest for its headers is dropped to
  make room (those are the idle and the trickling ones); when every open connection is busy with a
  request, no more are accepted until one closes, so new ones wait in the kernel's backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import time
from typing import Any

from aiohttp import web

log = logging.getLogger("studybot.http")
HEADER_TIMEOUT = 10.0  # seconds: Slack and Prometheus send a request's headers in well under one
REQUEST_TIMEOUT = 30.0  # seconds from a request's headers to its response: Slack gives up after 3
MAX_CONNECTIONS = 1000
LOG_EVERY = 10.0  # seconds between two log lines about refused or dropped connections
ACCEPT_RETRY = 0.5  # seconds to wait after accept() failed (out of descriptors)
ACCEPT_BATCH = 100  # connections taken per wake-up of the accept loop when a burst is waiting
# aiohttp's own limits, stated rather than inherited: a header line or field over 8 KiB or more than
# 100 headers is refused before any of our code runs (a body over 1 MiB too: Application's
# client_max_size, which its default already is).
HANDLER_LIMITS: dict[str, Any] = {"max_line_size": 8190, "max_field_size": 8190, "max_headers": 100}


def connection_limit() -> int:
    """MAX_CONNECTIONS, or half the process's descriptor limit when that is lower: the other half is
    for the database, the log and the bot's own requests to Slack and Discord."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(8, min(MAX_CONNECTIONS, soft // 2))


class _Connection(asyncio.Protocol):
    """aiohttp's protocol for one connection, with its deadline; everything else is passed through."""

    def __init__(self, server: HttpServer, inner: asyncio.Protocol):
        self.server = server
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.waiting_since = time.monotonic()  # waiting for a request's headers since; None while busy
        self.busy = False
        self.dropped = False  # closing: neither counted against the limit nor to be dropped again
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server._opened(self)
        self._arm(self.server.header_timeout)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.server._closed(self)
        self.inner.connection_lost(exc)

    # -- the clock, moved by the middleware around each request

    def request_started(self) -> None:
        self.busy = True
        self._arm(self.server.request_timeout)

    def request_finished(self) -> None:
        self.busy = False
        self.waiting_since = time.monotonic()
        self._arm(self.server.header_timeout)
        self.server._room.set()  # an idle connection can be dropped for a new one now

    def drop(self) -> None:
        """Close at once, without flushing: the peer is not reading or not sending."""
        if not self.dropped:
            self.dropped = True
            self.server._dropping += 1
        if self.transport is not None:
            self.transport.abort()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = asyncio.get_running_loop().call_later(seconds, self.drop)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class HttpServer:
    """One listening socket serving an aiohttp application (see the module docstring)."""

    def __init__(self, header_timeout: float, request_timeout: float, max_connections: int):
        self.header_timeout = header_timeout
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self.connections: dict[asyncio.BaseTransport, _Connection] = {}
        self.runner: web.AppRunner | None = None
        self.sock: socket.socket | None = None
        self._room = asyncio.Event()
        self._accepting: asyncio.Task[None] | None = None
        self._starting = 0  # accepted connections whose transport is being set up
        self._dropping = 0  # connections dropped and not yet closed
        self._connecting: set[asyncio.Task[None]] = set()
        self._pushed_back = 0  # connections dropped or waits for room since the last log line
        self._logged_at = -LOG_EVERY

    @property
    def addresses(self) -> list[Any]:
        return [self.sock.getsockname()] if self.sock is not None else []

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Stops a connection's header clock while its request is handled, restarts it after."""
        connection = self.connections.get(request.transport) if request.transport is not None else None
        if connection is None:
            return await handler(request)
        connection.request_started()
        try:
            return await handler(request)
        finally:
            connection.request_finished()

    async def start(self, runner: web.AppRunner, host: str, port: int) -> None:
        self.runner = runner
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.create_server((host, port), family=family, backlog=1024)
        self.sock.setblocking(False)
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop(self.sock))

    async def cleanup(self) -> None:
        """Stop accepting, then let aiohttp finish the requests in flight and close the connections."""
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
        if self.sock is not None:
            self.sock.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _accept_loop(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while self._open() >= self.max_connections and self._longest_waiting() is None:
                self._push_back("every connection is busy; new ones wait")
                self._room.clear()
                await self._room.wait()
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:  # out of descriptors (EMFILE, ENFILE) or buffers: wait, then try again
                self._push_back(f"accept failed: {exc.strerror or exc}")
                await asyncio.sleep(ACCEPT_RETRY)
                continue
            # What else the kernel already holds is taken now, as asyncio's own servers do: one wake-up
            # (and one epoll registration) per connection was a tenth of a burst's work.
            accepted = [conn]
            while len(accepted) < ACCEPT_BATCH and self._open() + len(accepted) < self.max_connections:
                try:
                    more, _ = sock.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # EMFILE and friends: the next sock_accept waits and logs it
                    break
                more.setblocking(False)
                accepted.append(more)
            for conn in accepted:
                self._start(loop, conn)

    def _start(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        """Serve an accepted connection, making room first when the limit is reached. The transport is
        set up in a task of its own, so the next connections are accepted meanwhile."""
        if self._open() >= self.max_connections:
            victim = self._longest_waiting()
            if victim is not None:
                self._push_back("dropped the connection waiting longest for its request")
                victim.drop()
        assert self.runner is not None and self.runner.server is not None
        factory = self.runner.server
        self._starting += 1  # until its transport is made (_opened), or setting it up failed
        made: list[_Connection] = []

        def protocol() -> _Connection:
            made.append(_Connection(self, factory()))
            return made[0]

        async def connect() -> None:
            try:
                await loop.connect_accepted_socket(protocol, conn)
            except OSError:
                conn.close()
                if not made or made[0].transport is None:
                    self._starting -= 1

        task = loop.create_task(connect())
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    def _open(self) -> int:
        """Connections served or being set up, less those being closed (their close is a loop turn away)."""
        return len(self.connections) + self._starting - self._dropping

    def _longest_waiting(self) -> _Connection | None:
        idle = [c for c in self.connections.values() if not c.busy and not c.dropped]
        return min(idle, key=lambda c: c.waiting_since, default=None)

    def _push_back(self, what: str) -> None:
        """Log at most one line per LOG_EVERY seconds, counting what happened in between."""
        self._pushed_back += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY:
            log.warning(
                "HTTP connections at the limit (%d open, limit %d): %s (%d times since the last such line)",
                len(self.connections),
                self.max_connections,
                what,
                self._pushed_back,
            )
            self._logged_at = now
            self._pushed_back = 0

    def _opened(self, connection: _Connection) -> None:
        assert connection.transport is not None
        self._starting -= 1  # counted once: among the connections from now on
        self.connections[connection.transport] = connection

    def _closed(self, connection: _Connection) -> None:
        if connection.dropped:
            self._dropping -= 1
        if connection.transport is not None:
            self.connections.pop(connection.transport, None)
        self._room.set()


async def serve(
    app: web.Application,
    host: str,
    port: int,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    request_timeout: float = REQUEST_TIMEOUT,
    max_connections: int | None = None,
) -> HttpServer:
    """Serve `app` on host:port until `cleanup()` (port 0: any free port, see `addresses`)."""
    server = HttpServer(header_timeout, request_timeout, max_connections or connection_limit())
    app.middlewares.append(server.middleware)
    # shutdown_timeout: requests in flight at SIGTERM get this long, well within Docker's 10 s grace.
    runner = web.AppRunner(app, keepalive_timeout=header_timeout, shutdown_timeout=5.0, **HANDLER_LIMITS)
    await runner.setup()
    await server.start(runner, host, port)
    log.info("HTTP server on %s:%s", host, server.addresses[0][1])
    return server

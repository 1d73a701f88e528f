"""Schedules changed by another process, told at once: PostgreSQL's LISTEN/NOTIFY on a connection of
its own (asyncpg's add_listener; a pooled connection would drop its LISTEN when released).

save_schedule and disable_schedule notify in the statement that changes the row
(communities.SCHEDULES_CHANNEL), so the notification is delivered exactly when the change commits, with
the channel id as its payload. Notifications sent while this connection is down are lost: after every
(re)connection the whole set is re-read (`changed(None)`), and the scheduler's sweep re-reads it every
30 s whatever happens, so a missed notification costs at most that delay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from bot.storage.postgres.communities import SCHEDULES_CHANNEL

log = logging.getLogger("studybot.storage")
RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each try, the last repeating
PING_SECONDS = 30.0  # a connection that went silently dead (a half-open TCP link) is noticed this late
PING_TIMEOUT = 10.0
APPLICATION_NAME = "studybot-schedules"  # how the connection shows in pg_stat_activity

Changed = Callable[[int | None], Awaitable[None]]


class ScheduleListener:
    def __init__(self, url: str, changed: Changed, shown: str):
        self.url = url
        self.changed = changed
        self.shown = shown  # the URL without its password, for log lines
        self._task: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[None]] = set()
        self._in_order = asyncio.Lock()  # notifications are applied one at a time, in arrival order

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for task in list(self._handling):
            task.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                conn = await asyncpg.connect(
                    self.url, timeout=PING_TIMEOUT, server_settings={"application_name": APPLICATION_NAME}
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                log.warning(
                    "schedule notifications: cannot connect to %s (%s); again in %.0f s", self.shown, exc, delay
                )
                await asyncio.sleep(delay)
                continue
            try:
                await self._listen(conn, reconnected=failures > 0)
                failures = 0
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("schedule notifications: the connection to %s was lost (%s)", self.shown, exc)
                failures = 1
            finally:
                conn.terminate()

    async def _listen(self, conn: asyncpg.Connection, reconnected: bool) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(SCHEDULES_CHANNEL, self._notified)
        if reconnected:
            log.info("schedule notifications: listening again on %s", self.shown)
        self._handle(None)  # what changed before we listened (or while away) is unknown: read everything
        while not conn.is_closed():
            try:
                await asyncio.wait_for(lost.wait(), PING_SECONDS)
            except TimeoutError:
                await conn.fetchval("SELECT 1", timeout=PING_TIMEOUT)
        raise ConnectionError("closed")

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            channel_id: int | None = int(payload)
        except ValueError:
            channel_id = None  # not ours (someone NOTIFYing by hand): re-read everything
        self._handle(channel_id)

    def _handle(self, channel_id: int | None) -> None:
        task = asyncio.get_running_loop().create_task(self._apply(channel_id))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _apply(self, channel_id: int | None) -> None:
        async with self._in_order:
            try:
                await self.changed(channel_id)
            except Exception:  # the sweep re-reads the schedules anyway
                log.exception("schedule notifications: applying a change of channel %s failed", channel_id)

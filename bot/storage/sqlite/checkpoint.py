"""Copying SQLite's write-ahead log into the database file, on a connection of its own."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from bot.storage.sqlite.worker import SqliteWorker

# Batches written between two background copies of the log under constant load. At 100 the
# figures of bench/answers.py are the same as with no copies at all (alternating runs).
CHECKPOINT_BATCHES = 100
IDLE_CHECKPOINT_BATCHES = 10  # batches after which the log is copied when the writer is quiet
QUIET_SECONDS = 0.02  # without a write, after which the writer counts as quiet
log = logging.getLogger("studybot.storage")


class LogCheckpointer:
    """Copies the write-ahead log into the database file, out of the way of the clicks.

    With SQLite's automatic checkpoint turned off and nothing else, the log grew by about 1 KB per
    answer for as long as the bot ran. A checkpoint on the writer's own connection (which is what the
    automatic one is) holds up the clicks queued behind it: 55 to 600 ms after a busy spell in
    bench/answers.py. So the copying runs on a connection and thread of its own: in WAL mode it and
    the writer do not wait for each other. Only a copy made while nothing is written lets the log
    start over from its beginning, so besides every CHECKPOINT_BATCHES batches, it copies once the
    writer has been quiet for QUIET_SECONDS.
    """

    def __init__(self, conn: SqliteWorker):
        self._conn = conn
        self._since_copy = 0  # batches written since the last copy started
        self._running: asyncio.Task[None] | None = None
        self._quiet: asyncio.TimerHandle | None = None

    def written(self) -> None:
        self._since_copy += 1
        if self._since_copy >= CHECKPOINT_BATCHES:
            self._start()

    def idle(self) -> None:
        """The writer has nothing queued: if nothing is written for QUIET_SECONDS, copy."""
        if self._quiet is not None:
            self._quiet.cancel()  # counted from the writer's last idle moment
            self._quiet = None
        if self._since_copy >= IDLE_CHECKPOINT_BATCHES:
            written = self._since_copy
            self._quiet = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._if_still_quiet, written)

    def _if_still_quiet(self, written: int) -> None:
        self._quiet = None
        if self._since_copy == written:  # if not, the writer's next idle moment tries again
            self._start()

    def _start(self) -> None:
        if self._running is None:
            self._since_copy = 0
            self._running = asyncio.get_running_loop().create_task(self._copy())

    async def _copy(self) -> None:
        try:
            # PASSIVE never waits, for the writer or for readers (another process may be reading).
            await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # a disk error, the file gone: /healthz says which, one line here
            log.error("copying the database log into the database file failed (tried again later): %s", exc)
        except Exception:
            log.exception("copying the database log into the database file failed; tried again later")
        finally:
            self._running = None

    async def settle(self) -> None:
        """Make a copy that is waiting for quiet now, and wait for the one running."""
        if self._quiet is not None:
            self._quiet.cancel()
            self._quiet = None
            self._start()
        while self._running is not None:
            await self._running

    async def close(self) -> None:
        await self.settle()
        await self._conn.close()

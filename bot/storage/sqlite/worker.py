"""One stdlib sqlite3 connection owned by one thread, driven from asyncio.

The storage runs whole transactions (a batch of calls and one commit) as plain functions of the
connection; they must run on the connection's own thread, one at a time, off the event loop. A
one-thread executor gives exactly that with public APIs only (asyncio's run_in_executor), where
aiosqlite would need its private Connection._execute.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class SqliteWorker:
    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor):
        self._conn = conn
        self._executor = executor
        self._closed = False

    @classmethod
    async def connect(cls, path: str, *, busy_timeout: float = 30.0, name: str = "studybot-sqlite") -> SqliteWorker:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        loop = asyncio.get_running_loop()
        # Opened on the thread that will use it; autocommit mode: transactions are begun explicitly.
        opener = partial(sqlite3.connect, path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            conn = await loop.run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(conn, executor)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(connection, *args) on the connection's thread."""
        if self._closed:
            raise sqlite3.ProgrammingError("the database connection is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, partial(fn, self._conn, *args))

    async def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        return await self.run(lambda conn: conn.execute(sql, parameters).fetchall())

    async def close(self) -> None:
        if self._closed:
            return
        try:
            await self.run(sqlite3.Connection.close)
        finally:
            self._closed = True
            self._executor.shutdown(wait=False)  # its one thread is idle now and ends at once

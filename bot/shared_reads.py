"""Concurrent reads of one key share one call to the database.

The first clicks on a fresh post arrive together: two hundred answers that each miss the core's cache
of posts would make two hundred identical reads, all queued before the first returns. They wait for
one read instead. A caller that gives up (cancelled) leaves the read running for the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    def __init__(self) -> None:
        self._reads: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """read()'s result, from the read of `key` under way if there is one."""
        reading = self._reads.get(key)
        if reading is None:
            reading = self._reads[key] = asyncio.ensure_future(read())
            reading.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(reading)

    def _forget(self, key: K, done: asyncio.Future[V]) -> None:
        if self._reads.get(key) is done:
            del self._reads[key]
        if not done.cancelled():
            done.exception()  # retrieved here, so a failure all callers gave up on is not logged as lost

"""Calls that arrive together run as one batch: the group commit of the PostgreSQL backend.

A burst of clicks is hundreds of answers within a few milliseconds. Each alone costs a transaction of
several round trips and a commit; together they cost one (answer_batch.py). A call is queued, and once
the event loop has run everything ready (so the calls of one burst meet), the queue runs as one batch on
a connection of its own, beside at most `in_flight - 1` others: the server works on several at once,
and calls arriving meanwhile wait for the next batch. Alone, a call is its own batch and waits for
nothing.

A batch is one transaction, so it stores all of its calls or none. When it fails, each call is told
honestly:
- a transient failure (a deadlock the server broke, an answer stored meanwhile) runs the batch again;
- a failure one call may have caused (a value or a row the server refused) splits the batch in halves,
  each run again on its own, down to the call that fails, which alone gets the error;
- a failure of the connection or the server (it went away, is shutting down, the disk is full) is
  every call's error: nothing of the batch is acknowledged, and nothing is sent again (a commit cut off
  may have landed, and a second one would find the answers stored: the user clicks again and is told).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import asyncpg

from bot.storage.postgres.answer_batch import AnswerConflict

Q = TypeVar("Q")
R = TypeVar("R")
IN_FLIGHT = 4  # batches running at once per process, each on a connection of the pool
BATCH_SIZE = 500  # calls per batch at most: a statement over 500-element arrays is still a few ms
MIN_SHARE = 25  # calls per batch at least when a queue is shared out: smaller ones cost more round trips than they save
ATTEMPTS = 3  # runs of a batch that failed transiently before it is split
log = logging.getLogger("studybot.storage")

# The server or the connection failed, not a call: running the calls again alone would not help.
NOT_A_CALLS_FAULT = (
    OSError,  # TimeoutError, ConnectionRefusedError, ConnectionResetError among them
    asyncpg.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, cannot connect now, query cancelled
    asyncpg.exceptions.InsufficientResourcesError,  # disk full, too many connections
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, AnswerConflict | asyncpg.exceptions.TransactionRollbackError)


def may_be_one_calls(exc: BaseException) -> bool:
    return isinstance(exc, Exception) and not isinstance(exc, NOT_A_CALLS_FAULT)


class Batcher(Generic[Q, R]):
    """run(list of calls) -> one result per call, in order, all in one transaction."""

    def __init__(
        self,
        run: Callable[[list[Q]], Awaitable[list[R]]],
        *,
        in_flight: int = IN_FLIGHT,
        size: int = BATCH_SIZE,
        min_share: int = MIN_SHARE,
        attempts: int = ATTEMPTS,
    ):
        self._run = run
        self._in_flight = in_flight
        self._size = size
        self._min_share = min_share
        self._attempts = attempts
        self._pending: list[tuple[Q, asyncio.Future[R]]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._kicked = False

    async def submit(self, call: Q) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((call, future))
        if not self._kicked:
            self._kicked = True
            loop.call_soon(self._start)  # after the calls ready now have queued too
        return await future

    def _start(self) -> None:
        self._kicked = False
        loop = asyncio.get_running_loop()
        # What waits is shared out over the free connections: one batch is one server process, which
        # works on one core, and a burst queued whole would otherwise run as one batch while the other
        # connections sit idle (and its callers come back whole, batch after batch).
        shares = min(self._in_flight - len(self._running), len(self._pending) // self._min_share) or 1
        size = min(self._size, -(-len(self._pending) // shares))
        while self._pending and len(self._running) < self._in_flight:
            batch, self._pending = self._pending[:size], self._pending[size:]
            task = loop.create_task(self._deliver(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._start()

    @property
    def busy(self) -> bool:
        return bool(self._running or self._pending)

    async def quiet(self, patience: float) -> None:
        """Until no call waits or runs, or `patience` seconds: work that can wait (the review fold) lets
        a burst's calls go first, yet runs under steady load too."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while self.busy and (left := deadline - loop.time()) > 0:
            if self._running:
                await asyncio.wait(self._running, timeout=left)
            else:
                await asyncio.sleep(0)  # _start is scheduled

    async def settle(self) -> None:
        """Wait until every queued call is answered."""
        while self.busy:
            if self._running:
                await asyncio.wait(self._running)
            else:
                await asyncio.sleep(0)  # _start is scheduled

    async def _deliver(self, batch: list[tuple[Q, asyncio.Future[R]]]) -> None:
        try:
            results = await self._results([call for call, _ in batch])
        except BaseException:  # cancelled (the loop is closing): the callers are not left waiting
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up waiting
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _results(self, calls: list[Q]) -> list[R | Exception]:
        failure: Exception | None = None
        for _ in range(self._attempts):
            try:
                return list(await self._run(calls))
            except Exception as exc:
                failure = exc
                if not is_transient(exc):
                    break
        assert failure is not None
        if len(calls) > 1 and may_be_one_calls(failure):
            log.warning("a batch of %d calls failed (%s); each half is tried again alone", len(calls), failure)
            half = len(calls) // 2
            return await self._results(calls[:half]) + await self._results(calls[half:])
        return [failure] * len(calls)

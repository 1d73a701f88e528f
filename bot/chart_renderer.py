"""Charts drawn away from the event loop, so a click is never kept waiting behind a drawing.

Drawing a chart is 0.1-0.5 s of pure Python and C that holds the interpreter lock: in a thread of the
bot's own process it would still slow every click answered meanwhile. So charts are drawn in a worker
process (Settings.chart_workers, one by default), started in the background at the bot's start and
warmed there (matplotlib imported and the Japanese font registered), and the loop only awaits the PNG
bytes. With chart_workers 0 a thread draws instead (no extra process, for small machines).

A chart that fails or takes longer than CHART_TIMEOUT is left out with one log line: the text reply
never depends on it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

from bot import charts
from bot.chart_worker import start_worker

log = logging.getLogger("studybot.charts")
CHART_TIMEOUT = 20.0  # seconds; a first chart may wait for its worker to start (about 1-2 s)
T = TypeVar("T")


def _warm() -> None:
    """In a thread of the bot's own process: register the font before the first chart is asked for."""
    charts.font_family()


def _ping() -> bool:
    return True


class ChartRenderer:
    def __init__(self, workers: int = 1, timeout: float = CHART_TIMEOUT):
        self.workers = workers
        self.timeout = timeout
        self._executor: Executor | None = None
        self.rendered = 0
        self.failed = 0

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.workers > 0:
                # spawn, not fork: the bot's process has threads (SQLite's worker, aiohttp's resolver)
                # that a forked child would inherit in whatever state they were.
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=start_worker,
                    initargs=(os.getpid(),),
                )
            else:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="studybot-charts", initializer=_warm)
        return self._executor

    def start(self) -> None:
        """Start the workers in the background (the first chart would otherwise wait for them)."""
        pool = self._pool()
        for _ in range(max(1, self.workers)):
            pool.submit(_ping)

    async def render(self, draw: Callable[[T], bytes], data: T) -> bytes | None:
        """The PNG, or None (logged) when drawing failed or took too long."""
        loop = asyncio.get_running_loop()
        try:
            png = await asyncio.wait_for(loop.run_in_executor(self._pool(), draw, data), self.timeout)
        except TimeoutError:
            self.failed += 1
            log.warning("a chart (%s) took longer than %.0f s; sent without it", draw.__name__, self.timeout)
            return None
        except Exception:
            self.failed += 1
            log.exception("a chart (%s) could not be drawn; sent without it", draw.__name__)
            return None
        self.rendered += 1
        return png

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

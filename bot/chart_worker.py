"""The start of a chart worker process (bot/chart_renderer.py): it must never outlive the bot.

A worker spawned by ProcessPoolExecutor holds both ends of its task queue, so it would not notice the
bot being killed (kill -9, OOM) and would live on as an orphan, holding the bot's stdout and stderr
open: whoever reads those (a supervisor, a test) would wait forever. So the worker asks Linux to kill it
when its parent dies (prctl PR_SET_PDEATHSIG), watches its parent elsewhere, and lets go of the
inherited stdout and stderr (what it has to say goes back to the bot as a task's exception).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_SECONDS = 1.0


def start_worker(parent: int) -> None:
    """`parent`: the bot's pid, as the bot saw it when it started the worker (the bot may have died while
    the worker was still starting: then its parent is already someone else)."""
    _die_with_parent()
    if os.getppid() != parent:  # died before prctl could take effect
        os._exit(0)
    threading.Thread(target=_watch, args=(parent,), name="studybot-chart-parent", daemon=True).start()
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    from bot import charts  # matplotlib imported and the Japanese font registered before the first chart

    charts.font_family()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _watch(parent: int) -> None:
    """Elsewhere (or if prctl failed): an orphan is re-parented, so a changed parent means the bot died."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(0)

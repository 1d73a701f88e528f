"""Garbage collector settings for a long-running bot that must answer bursts of clicks quickly.

bench/answers.py found two collector costs in the answer path. Full collections walked every
object loaded at start (the content bank, the libraries), up to 150 ms at a time, which was the
p99 of a burst. And the young generation was collected every 700 allocations, several times per
burst of 200 clicks. Reference counting frees almost everything anyway; the collector only has to
find cycles, so objects that live as long as the process are frozen out of it, and the young
generation is collected less often.

bench/slack_http.py found a third: the event loop and the database's worker thread (aiosqlite) take
turns on the GIL, and a thread waiting for it gets it only after the switch interval (5 ms by
default). The loop gives the GIL up at every socket call, so in a burst of 1,000 clicks each of its
many small steps could wait 5 ms behind the database thread: p99 to the ack 1.3-2.3 s, half the
requests/s. At 1 ms it was 0.75 s; shorter gained nothing more.
"""

from __future__ import annotations

import gc
import sys

YOUNG_GENERATION_THRESHOLD = 20_000  # allocations between young collections (Python's default is 700)
SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits (Python's default 0.005)


def tune_for_bursts() -> None:
    """Call once the bot is up: what exists now lives until the process ends."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
    sys.setswitchinterval(SWITCH_INTERVAL)

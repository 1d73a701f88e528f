"""Garbage collector settings for a long-running bot that must answer bursts of clicks quickly.

bench/answers.py found two collector costs in the answer path. Full collections walked every
object loaded at start (the content bank, the libraries), up to 150 ms at a time, which was the
p99 of a burst. And the young generation was collected every 700 allocations, several times per
burst of 200 clicks. Reference counting frees almost everything anyway; the collector only has to
find cycles, so objects that live as long as the process are frozen out of it, and the young
generation is collected less often.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 20_000  # allocations between young collections (Python's default is 700)


def tune_for_bursts() -> None:
    """Call once the bot is up: what exists now lives until the process ends."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)

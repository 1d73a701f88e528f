"""Chart rendering figures: p50/p99 of each chart, beside a baseline drawn in the same run, and how long
the event loop stalls while charts are drawn in a thread and in the worker process.

    .venv/bin/python bench/charts.py [--runs 40]

Baseline: the least matplotlib can draw at the stats chart's size with the object API (one Figure on
the Agg canvas, one axes, 30 bars, matplotlib's default font, PNG out), so the ratio says what our
panels, labels and the Japanese font add. Target: stats chart p50 under 150 ms.

Loop stall: a ticker sleeping 5 ms records its largest gap while 8 stats charts are drawn, first by a
thread of this process (ChartRenderer(workers=0)), then by the worker process (the default): the gap is
how long a click could wait behind the drawing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.chart_renderer import ChartRenderer
from bot.charts import (
    DPI,
    STATS_SIZE,
    BoardBar,
    BoardChart,
    DayCount,
    ServiceCount,
    StatsChart,
    font_family,
    render_board,
    render_stats,
)

TODAY = date(2026, 11, 23)


def stats_data() -> StatsChart:
    days = tuple(DayCount((TODAY - timedelta(days=29 - i)).isoformat(), 1 + i % 5, i % 3) for i in range(30))
    services = tuple(ServiceCount(f"サービス{i}", 20 - i, 10 - i // 2) for i in range(8))
    answered = {d.day: d.answered for d in days}
    scheduled = frozenset((TODAY - timedelta(days=i)).isoformat() for i in range(84))
    return StatsChart("ja", TODAY.isoformat(), days, services, answered, scheduled)


def board_data() -> BoardChart:
    return BoardChart("ja", "今週のトップ10", tuple(BoardBar(f"学習者{i:02d}", 150 - 9 * i, 12, 14) for i in range(10)))


def baseline(_: object = None) -> bytes:
    fig = Figure(figsize=(STATS_SIZE[0] / DPI, STATS_SIZE[1] / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.add_subplot().bar(range(30), [1 + i % 5 for i in range(30)])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def timings(draw, data, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    draw(data)  # warm: fonts loaded, caches filled
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        draw(data)
        out.append((time.perf_counter() - started) * 1000)
    return out


def line(name: str, ms: list[float], base: float) -> str:
    ms = sorted(ms)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return f"{name:<22} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({p50 / base:4.1f}x baseline p50)"


async def stall(workers: int, charts: int = 8) -> tuple[float, float]:
    """(largest loop gap in ms, wall time in s) while `charts` stats charts are drawn."""
    renderer = ChartRenderer(workers=workers, timeout=120)
    await renderer.render(render_stats, stats_data())  # started and warm
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last - 0.005)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    for _ in range(charts):
        await renderer.render(render_stats, stats_data())
    wall = time.perf_counter() - started
    stop.set()
    await ticking
    renderer.close()
    return max(gaps) * 1000, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    font_family()
    base = timings(baseline, None, args.runs)
    base_p50 = statistics.median(base)
    print(f"chart rendering, {args.runs} runs each (after one warm-up)")
    print(line("baseline (30 bars)", base, base_p50))
    print(line("stats (3 panels)", timings(render_stats, stats_data(), args.runs), base_p50))
    print(line("leaderboard (10 bars)", timings(render_board, board_data(), args.runs), base_p50))
    for workers, name in ((0, "thread"), (1, "worker process")):
        gap, wall = asyncio.run(stall(workers))
        print(f"loop stall, 8 stats charts in a {name:<14}: largest gap {gap:6.1f} ms ({wall:.1f} s in all)")


if __name__ == "__main__":
    main()

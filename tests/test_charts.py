"""The charts: valid PNGs of the promised size, Japanese labels drawn with a font that has their glyphs
(not boxes), hostile names drawn as plain short text, a chart with no data still an image, and the
console writing the file and printing its path."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from adapters.console import ConsoleAdapter
from bot import charts
from bot.chart_renderer import ChartRenderer
from bot.charts import BoardBar, BoardChart, DayCount, ServiceCount, StatsChart, png_size, render_board, render_stats
from bot.i18n import MESSAGES

TODAY = date(2026, 11, 23)


def stats_data(locale: str = "ja", empty: bool = False) -> StatsChart:
    days = tuple(
        DayCount((TODAY - timedelta(days=29 - i)).isoformat(), 0 if empty else i % 3, 0 if empty else i % 2)
        for i in range(30)
    )
    services = () if empty else (ServiceCount("DynamoDB", 12, 9), ServiceCount("Amazon SQS", 5, 1))
    answered = {} if empty else {d.day: d.answered for d in days if d.answered}
    scheduled = frozenset((TODAY - timedelta(days=i)).isoformat() for i in range(40))
    return StatsChart(locale, TODAY.isoformat(), days, services, answered, scheduled)


def assert_png(data: bytes, size: tuple[int, int]) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(data) == size
    assert data[-8:-4] == b"IEND"  # complete, not cut short


def test_each_chart_is_a_png_of_its_size():
    assert_png(render_stats(stats_data()), charts.STATS_SIZE)
    assert_png(render_stats(stats_data("en")), charts.STATS_SIZE)
    board = BoardChart("ja", "今週のトップ10", tuple(BoardBar(f"学習者{i}", 50 - i, 5, 6) for i in range(10)))
    assert_png(render_board(board), charts.BOARD_SIZE)


def test_a_chart_with_no_data_is_still_an_image_that_says_so():
    assert stats_data(empty=True).empty
    assert_png(render_stats(stats_data(empty=True)), charts.STATS_SIZE)
    assert_png(render_board(BoardChart("ja", "今週のトップ10", ())), charts.BOARD_SIZE)


def test_the_japanese_labels_use_a_font_that_has_their_glyphs():
    """The font matplotlib picks for our family list must map every character of the Japanese labels
    (a font without them draws boxes: tofu). Checked on the font file's own character map."""
    family = charts.font_family()
    picked = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert picked == str(charts.font_path())
    charmap = FT2Font(picked).get_charmap()
    drawn = [k for k in MESSAGES if k.startswith("chart.") and k not in ("chart.sent_dm", "chart.saved")]
    labels = [MESSAGES[key]["ja"].replace("{", "").replace("}", "") for key in drawn]
    labels += ["山田太郎", "今週のトップ10"]
    missing = {ch for label in labels for ch in label if not ch.isspace() and ord(ch) not in charmap}
    assert not missing, f"no glyph for {sorted(missing)}"
    # and DejaVu Sans, matplotlib's default, would have drawn boxes: the test can fail
    dejavu = FT2Font(font_manager.findfont("DejaVu Sans")).get_charmap()
    assert any(ord(ch) not in dejavu for ch in "連続回答カレンダー")


@pytest.mark.parametrize("kind", ["stats", "board"])
def test_every_japanese_text_drawn_asks_for_the_japanese_font(kind):
    """Each text artist with Japanese in it (titles, tick labels, bar labels) is drawn with IPAexGothic
    first in its family list: what the charmap test above checked is what is used."""
    if kind == "stats":
        fig = charts.stats_figure(stats_data())
    else:
        fig = charts.board_figure(BoardChart("ja", "今週のトップ10", (BoardBar("山田", 10, 1, 1),)))
    fig.canvas.draw()  # tick labels exist once drawn
    japanese = [text for text in fig.findobj(Text) if any(ord(ch) > 0x3000 for ch in text.get_text())]
    assert len(japanese) >= (8 if kind == "stats" else 3)
    for text in japanese:
        assert text.get_fontfamily()[0] == "IPAexGothic", text.get_text()
        assert font_manager.findfont(text.get_fontproperties()) == str(charts.font_path())


@pytest.mark.parametrize(
    "name, shown",
    [
        ("$\\frac{1}{0}$", "$\\frac{1}{0}$"),  # not mathtext: drawn as typed, and no parse error
        ("<@everyone>\n\nline two", "<@everyone> lin…"),
        ("\u202eevil\u200bname\x00", "evilname"),
        ("あ" * 200, "あ" * 15 + "…"),
        ("", "?"),
    ],
)
def test_hostile_or_long_names_become_one_short_plain_line(name, shown):
    assert charts.safe_label(name) == shown
    board = BoardChart("en", "Top", (BoardBar(name, 10, 1, 1),))
    assert_png(render_board(board), charts.BOARD_SIZE)


async def test_the_worker_process_draws_while_the_loop_keeps_answering():
    """Drawing in the worker process leaves the event loop free: a 10 ms ticker keeps its pace while
    charts are drawn."""
    renderer = ChartRenderer(workers=1, timeout=60)
    try:
        async with asyncio.timeout(90):
            first = await renderer.render(render_stats, stats_data())  # waits for the worker to start
            assert first is not None
            assert_png(first, charts.STATS_SIZE)
            gaps: list[float] = []

            async def ticker(stop: asyncio.Event) -> None:
                last = time.perf_counter()
                while not stop.is_set():
                    await asyncio.sleep(0.01)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            stop = asyncio.Event()
            ticking = asyncio.create_task(ticker(stop))
            pngs = await asyncio.gather(*(renderer.render(render_stats, stats_data()) for _ in range(3)))
            stop.set()
            await ticking
            assert all(p is not None for p in pngs)
            assert max(gaps) < 0.25, f"the loop stalled {max(gaps):.3f} s while charts were drawn"
    finally:
        renderer.close()


async def test_a_chart_that_fails_is_left_out_with_a_log_line(caplog):
    renderer = ChartRenderer(workers=0)
    try:
        assert await renderer.render(render_stats, "not chart data") is None  # type: ignore[arg-type]
        assert renderer.failed == 1
        assert "could not be drawn" in caplog.text
    finally:
        renderer.close()


async def test_the_console_writes_the_charts_and_prints_their_paths(bot, clock, tmp_path):
    out: list[str] = []
    console = ConsoleAdapter(bot, "alice", out.append)
    await console.handle("/stats")
    await console.handle("/leaderboard")
    paths = [line.split("📈 グラフ: ", 1)[1] for text in out for line in text.splitlines() if "📈 グラフ: " in line]
    assert len(paths) == 2, out
    stats_png, board_png = [await asyncio.to_thread(Path(p).read_bytes) for p in paths]
    assert_png(stats_png, charts.STATS_SIZE)  # no answers yet: the empty chart
    assert_png(board_png, charts.BOARD_SIZE)
    assert Path(paths[0]).parent == Path(bot.settings.database).parent / "charts"


def test_a_chart_worker_dies_with_the_bot(tmp_path):
    """kill -9 of the bot's process must not leave its chart worker behind holding the bot's output open
    (a reader of that output would never see it end)."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time\n"
        "from bot.chart_renderer import ChartRenderer\n"
        "from bot.charts import render_board, BoardChart\n"
        "if __name__ == '__main__':\n"
        "    r = ChartRenderer(workers=1)\n"
        "    pool = r._pool()\n"
        "    print(pool.submit(os.getpid).result(timeout=120), flush=True)\n"
        "    time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        worker = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert worker != parent.pid
        parent.kill()
        parent.wait(10)
        # EOF on the bot's stdout comes only once nothing holds it open any more: the worker is gone
        # (or at least let go of it) and the pipe ends.
        reader = threading.Thread(target=parent.stdout.read)  # type: ignore[union-attr]
        reader.start()
        reader.join(20)
        assert not reader.is_alive(), "the bot's output stayed open after kill -9: the worker lives on"
        deadline = time.monotonic() + 20
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the chart worker outlived the bot"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False

"""PNG charts for /study stats, /study leaderboard and the weekly recap, drawn from plain data.

Drawn with matplotlib's object API (a Figure on the Agg canvas), never pyplot: pyplot keeps global
figures and picks a GUI backend, neither of which a server wants. Every function here is pure (data
in, PNG bytes out) and picklable, so bot/chart_renderer.py can run it in a worker process, away from
the event loop that answers clicks.

The Japanese labels use IPAexGothic, the font file the japanize-matplotlib wheel ships. It is
registered with matplotlib's font manager by its path (font_manager.fontManager.addfont), and that
package's own code is never imported. DejaVu Sans (matplotlib's own) follows it in the family list,
so characters IPAexGothic lacks (some emoji in names) fall back instead of becoming boxes.

Each panel is drawn straight on the Figure by bot/chart_panel.py (bars, ticks and labels as a few plain
artists, no Axes): matplotlib's Axes and Axis machinery took over half of the rendering time.
"""

from __future__ import annotations

import importlib.util
import io
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.chart_panel import LABEL_HEIGHT, TICK_SIZE, Panel, Rect
from bot.i18n import t

DPI = 100
STATS_SIZE = (1000, 760)  # pixels: three panels in one image (Discord shows one image per embed)
BOARD_SIZE = (1000, 520)  # pixels: ten bars
NAME_CHARS = 16  # characters of a name shown on a bar; longer ones end in "…"
SERVICES_SHOWN = 8  # the services answered most, in the accuracy panel
CALENDAR_WEEKS = 12
FALLBACK_FAMILY = "DejaVu Sans"
# Glyphs unhinted: FreeType's autohinter (matplotlib's default) reshapes every glyph each time a text is
# measured and again when it is drawn, a third of the charts' text time; at these sizes the unhinted
# glyphs read the same (compared side by side). Set for one render only (rc_context): rcParams are
# matplotlib's global state, which this module leaves as it found it.
RENDER_PARAMS = {"text.hinting": "no_hinting"}
COLORS = {"bars": "#4C72B0", "line": "#DD8452", "good": "#55A868", "bad": "#C44E52", "grid": "#DDDDDD"}


@dataclass(frozen=True)
class DayCount:
    day: str  # ISO local date
    answered: int
    correct: int


@dataclass(frozen=True)
class ServiceCount:
    name: str
    answered: int
    correct: int


@dataclass(frozen=True)
class StatsChart:
    """What the stats image shows: the last 30 days, accuracy by service, and the streak calendar."""

    locale: str
    today: str  # ISO local date the chart ends on
    days: tuple[DayCount, ...]  # the last 30 local days, oldest first (days without answers count 0)
    services: tuple[ServiceCount, ...]
    answered_days: dict[str, int]  # local date -> answers that day, over the calendar's weeks
    scheduled_days: frozenset[str]  # local dates with a daily post in the community (missed ones show)

    @property
    def empty(self) -> bool:
        return not any(d.answered for d in self.days) and not self.services and not self.answered_days


@dataclass(frozen=True)
class BoardBar:
    name: str
    points: int
    correct: int
    answered: int


@dataclass(frozen=True)
class BoardChart:
    locale: str
    title: str
    bars: tuple[BoardBar, ...]  # best first, at most 10


@cache
def font_path() -> Path:
    """IPAexGothic from the japanize-matplotlib wheel, found without importing that package."""
    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the japanize-matplotlib package (the charts' Japanese font) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    if not path.is_file():
        raise RuntimeError(f"the Japanese font is missing: {path}")
    return path


@cache
def font_family() -> str:
    """Register the Japanese font with matplotlib (once per process) and return its family name."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def families() -> list[str]:
    return [font_family(), FALLBACK_FAMILY]


def safe_label(text: str, limit: int = NAME_CHARS) -> str:
    """A name as a chart label: one line, no control or format characters (bidi overrides, zero-width
    joiners), at most `limit` characters. Labels are drawn with parse_math off, so `$` is just `$`."""
    cleaned = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch)[0] != "C" or ch.isspace())
    cleaned = " ".join(cleaned.split()) or "?"
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _figure(size: tuple[int, int]) -> Figure:
    # No layout engine: constrained layout measured every label twice and took half the time.
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    """The figure drawn on its Agg canvas and written as an RGB PNG at zlib level 1. The charts are
    opaque (white background), so the alpha channel savefig writes carries nothing, and flat colours
    compress well even at level 1: half the encoding time of savefig's RGBA at level 6, for a file
    about 5% smaller (60 KB for the stats chart, far under Discord's and Slack's limits)."""
    canvas = fig.canvas
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")  # the fallback draws it
        canvas.draw()
    width, height = canvas.get_width_height()
    image = Image.frombytes("RGB", (width, height), canvas.buffer_rgba(), "raw", "RGBX")
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _panel(fig: Figure, rect: Rect, xlim: tuple[float, float], ylim: tuple[float, float], title: str) -> Panel:
    panel = Panel(fig, rect, xlim, ylim, families())
    panel.title(title)
    return panel


def _hbars(count: int) -> tuple[float, float]:
    """y limits for `count` horizontal bars 0.8 high at 0..count-1, with matplotlib's 5% margins."""
    margin = 0.05 * (count - 0.2)
    return -0.4 - margin, count - 0.6 + margin


def render_stats(chart: StatsChart) -> bytes:
    with rc_context(RENDER_PARAMS):
        return _png(stats_figure(chart))


def stats_figure(chart: StatsChart) -> Figure:
    loc = chart.locale
    fig = _figure(STATS_SIZE)
    # Fixed places (fractions of the figure), room left for the labels.
    _days_panel(fig, (0.07, 0.58, 0.86, 0.36), chart)
    _services_panel(fig, (0.17, 0.08, 0.31, 0.39), chart)
    _calendar_panel(fig, (0.56, 0.1, 0.42, 0.37), chart)
    if chart.empty:  # amid the empty days panel: at 0.55 it crossed that panel's dates
        message = t(loc, "chart.no_data")
        fig.text(
            0.5,
            0.76,
            message,
            parse_math=False,
            fontfamily=families(),
            ha="center",
            va="center",
            fontsize=16,
            color="#666",
        )
    return fig


def _days_panel(fig: Figure, rect: Rect, chart: StatsChart) -> None:
    """Answers per day as bars, the right ones in green below the wrong ones: accuracy reads off the
    green share of each bar, with no second axis (a twin axes cost a third of the drawing time)."""
    loc = chart.locale
    answered = sum(d.answered for d in chart.days)
    right = sum(d.correct for d in chart.days)
    title = t(loc, "chart.days_title")
    if answered:
        title += "  " + t(loc, "chart.accuracy_of", share=f"{100 * right / answered:.0f}%")
    top = max([d.answered for d in chart.days] + [4]) * 1.15
    panel = _panel(fig, rect, (-0.6, len(chart.days) - 0.4), (0, top), title)
    rights = [(i - 0.4, 0.0, 0.8, float(d.correct)) for i, d in enumerate(chart.days)]
    wrongs = [(i - 0.4, float(d.correct), 0.8, float(d.answered - d.correct)) for i, d in enumerate(chart.days)]
    panel.bars(rights + wrongs, [COLORS["good"]] * len(rights) + [COLORS["bad"]] * len(wrongs))
    panel.frame()
    numbers = panel.numbers("y", top, nbins=5)
    panel.ylabel(t(loc, "chart.answers"), numbers)
    days = range(0, len(chart.days), 5)
    panel.xticks([float(i) for i in days], [chart.days[i].day[5:].replace("-", "/") for i in days])
    panel.legend([(COLORS["good"], t(loc, "chart.right")), (COLORS["bad"], t(loc, "chart.wrong"))])


def _services_panel(fig: Figure, rect: Rect, chart: StatsChart) -> None:
    loc = chart.locale
    shown = list(chart.services[:SERVICES_SHOWN])[::-1]  # most answered on top
    panel = _panel(fig, rect, (0, 118), _hbars(max(len(shown), 1)), t(loc, "chart.services_title"))
    panel.frame()
    if not shown:
        return
    ys = list(range(len(shown)))
    shares = [100 * s.correct / s.answered if s.answered else 0 for s in shown]
    colors = [COLORS["good"] if share >= 70 else COLORS["line"] if share >= 50 else COLORS["bad"] for share in shares]
    panel.bars([(0.0, y - 0.4, share, 0.8) for y, share in zip(ys, shares, strict=True)], colors)
    panel.names(ys, [safe_label(s.name, 18) for s in shown])
    panel.xticks([float(v) for v in range(0, 101, 20)], [str(v) for v in range(0, 101, 20)])
    panel.xlabel(t(loc, "chart.accuracy"))
    for y, share, service in zip(ys, shares, shown, strict=True):
        panel.text(share + 1.5, y, f"{share:.0f}% ({service.answered})", va="center", fontsize=9)


CALENDAR_COLORS = ["#FFFFFF", "#EEEEEE", COLORS["bad"], "#C6E48B", "#7BC96F", "#239A3B", "#196127"]


def _calendar_panel(fig: Figure, rect: Rect, chart: StatsChart) -> None:
    """A week per column (Monday on top), the last CALENDAR_WEEKS weeks: darker for more answers, red
    for a day with a daily post left unanswered, pale grey for a day without a post."""
    loc = chart.locale
    today = date.fromisoformat(chart.today)
    first = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    # square cells: the largest grid that fits `rect`, centred in it
    width, height = fig.get_size_inches() * fig.dpi
    cell = min(rect[2] * width / CALENDAR_WEEKS, rect[3] * height / 7)
    grid_w, grid_h = cell * CALENDAR_WEEKS / width, cell * 7 / height
    grid = (rect[0] + (rect[2] - grid_w) / 2, rect[1] + (rect[3] - grid_h) / 2, grid_w, grid_h)
    panel = _panel(fig, grid, (0, CALENDAR_WEEKS), (7, 0), t(loc, "chart.calendar_title"))  # Monday on top
    # cell colours: CALENDAR_COLORS[0] future, 1 no post and no answer, 2 missed, 3..6 answered (1, 2,
    # 3-4, 5+ answers)
    cells: list[Rect] = []
    colors: list[str] = []
    for week in range(CALENDAR_WEEKS):
        for weekday in range(7):
            day = first + timedelta(days=7 * week + weekday)
            iso = day.isoformat()
            count = chart.answered_days.get(iso, 0)
            if day > today:
                value = 0
            elif count:
                value = 3 + min(3, (count > 1) + (count > 2) + (count > 4))
            elif iso in chart.scheduled_days and day < today:
                value = 2
            else:
                value = 1
            cells.append((week, weekday, 1, 1))
            colors.append(CALENDAR_COLORS[value])
    panel.bars(cells, colors)
    # white lines between the cells, over them
    columns = [((w, 0), (w, 7)) for w in range(1, CALENDAR_WEEKS)]
    rows = [((0, d), (CALENDAR_WEEKS, d)) for d in range(1, 7)]
    panel.lines(columns + rows, "white", 2)
    weeks = range(0, CALENDAR_WEEKS, 3)
    panel.xticks([w + 0.5 for w in weeks], [(first + timedelta(days=7 * w)).strftime("%m/%d") for w in weeks], size=0)
    panel.yticks([d + 0.5 for d in range(7)], [t(loc, f"chart.weekday.{i}") for i in range(7)], size=0)
    panel.xlabel(t(loc, "chart.calendar_legend"), below=TICK_SIZE + LABEL_HEIGHT, fontsize=9)


def render_board(chart: BoardChart) -> bytes:
    with rc_context(RENDER_PARAMS):
        return _png(board_figure(chart))


def board_figure(chart: BoardChart) -> Figure:
    loc = chart.locale
    fig = _figure(BOARD_SIZE)
    bars = list(chart.bars[:10])[::-1]  # the leader on top
    top = max([b.points for b in bars] + [1])
    panel = _panel(fig, (0.22, 0.1, 0.74, 0.82), (0, top * 1.25), _hbars(max(len(bars), 1)), chart.title)
    panel.frame()
    if not bars:
        middle = panel.frac
        panel.text(0.5, 0.5, t(loc, "chart.no_data"), middle, ha="center", va="center", fontsize=16, color="#666")
        return fig
    ys = list(range(len(bars)))
    colors = [COLORS["bars"]] * (len(bars) - 1) + [COLORS["line"]]
    panel.bars([(0.0, y - 0.4, float(b.points), 0.8) for y, b in zip(ys, bars, strict=True)], colors)
    rank = len(bars)
    panel.names(ys, [f"{rank - i}. {safe_label(b.name)}" for i, b in enumerate(bars)])
    panel.numbers("x", top * 1.25, nbins=9)
    panel.xlabel(t(loc, "chart.points"))
    for y, bar in zip(ys, bars, strict=True):
        label = t(loc, "chart.bar_label", points=bar.points, correct=bar.correct, answered=bar.answered)
        panel.text(bar.points + top * 0.01, y, label, va="center", fontsize=9)
    return fig


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError when it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")

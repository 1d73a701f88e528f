"""PNG charts for /study stats, /study leaderboard and the weekly recap, drawn from plain data.

Drawn with matplotlib's object API (a Figure on the Agg canvas), never pyplot: pyplot keeps global
figures and picks a GUI backend, neither of which a server wants. Every function here is pure (data
in, PNG bytes out) and picklable, so bot/chart_renderer.py can run it in a worker process, away from
the event loop that answers clicks.

The Japanese labels use IPAexGothic, the font file the japanize-matplotlib wheel ships. It is
registered with matplotlib's font manager by its path (font_manager.fontManager.addfont), and that
package's own code is never imported. DejaVu Sans (matplotlib's own) follows it in the family list,
so characters IPAexGothic lacks (some emoji in names) fall back instead of becoming boxes.
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
from typing import Any

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation, Transform
from PIL import Image

from bot.i18n import t

DPI = 100
STATS_SIZE = (1000, 760)  # pixels: three panels in one image (Discord shows one image per embed)
BOARD_SIZE = (1000, 520)  # pixels: ten bars
NAME_CHARS = 16  # characters of a name shown on a bar; longer ones end in "…"
SERVICES_SHOWN = 8  # the services answered most, in the accuracy panel
CALENDAR_WEEKS = 12
FALLBACK_FAMILY = "DejaVu Sans"
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


def _no_math(*texts: Text) -> None:
    for text in texts:
        text.set_parse_math(False)
        text.set_fontfamily(families())


# The axes are drawn by hand: each panel's Axes has its axis machinery switched off (set_axis_off), and
# its frame, ticks and tick labels are a few plain artists placed with blended transforms. matplotlib's
# own Axis made a Tick object per tick while drawing (two Line2D and two Text each, 2 ms apiece), laid
# every label out twice to place the title, and so took over half the drawing time. The sizes below
# are matplotlib's defaults, so the charts look as they did.
LINE_WIDTH = 0.8  # points: axes frame and ticks
TICK_SIZE = 3.5  # points: tick length, and the pad between a tick and its label
LABEL_FONT = 10  # points: tick and axis labels
DIGIT_WIDTH = 6.5  # points: about the widest digit at LABEL_FONT, to place the y label clear of numbers
LABEL_PAD = 4.0  # points: between the tick labels and the axis label
TITLE_PAD = 6.0  # points: between the axes' top and the title's baseline


def _text(ax: Axes, x: float, y: float, text: str, **kwargs: Any) -> Text:
    """A text artist drawn as typed (parse_math off: `$x$` stays `$x$`) in the Japanese font with its
    fallback."""
    return ax.text(x, y, text, parse_math=False, fontfamily=families(), **kwargs)


def _shifted(ax: Axes, transform: Transform, dx: float, dy: float) -> Transform:
    """`transform`, then moved by (dx, dy) points: labels keep their distance from the axes whatever the
    figure's size."""
    return transform + ScaledTranslation(dx / 72, dy / 72, ax.figure.dpi_scale_trans)  # type: ignore[union-attr]


def _panel(fig: Figure, rect: tuple[float, float, float, float], title: str, frame: bool = True) -> Axes:
    """An Axes at `rect` (fractions of the figure) with no axis machinery, its title at the top left
    and, with `frame`, the left and bottom frame lines (the top and right ones were never shown)."""
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    _text(ax, 0, 1, title, transform=_shifted(ax, ax.transAxes, 0, TITLE_PAD), fontsize=13, va="baseline")
    if frame:
        ax.add_artist(
            Line2D(
                [0, 0, 1],
                [1, 0, 0],
                transform=ax.transAxes,
                color="black",
                linewidth=LINE_WIDTH,
                solid_capstyle="projecting",
                solid_joinstyle="miter",
                clip_on=False,
            )
        )
    return ax


def _xticks(ax: Axes, xs: list[float], labels: list[str], size: float = TICK_SIZE) -> None:
    """Ticks below the axes at data x `xs` (one marker line: one artist for all), labels centred under
    them. `size` 0: labels only."""
    transform = ax.get_xaxis_transform()  # x in data, y in axes fractions
    if size:
        ax.add_artist(_tick_marks(xs, [0.0] * len(xs), TICKDOWN, transform, size))
    shifted = _shifted(ax, transform, 0, -(size + TICK_SIZE))
    for x, label in zip(xs, labels, strict=True):
        _text(ax, x, 0, label, transform=shifted, fontsize=LABEL_FONT, ha="center", va="top")


def _yticks(
    ax: Axes, ys: list[float], labels: list[str], size: float = TICK_SIZE, fontsize: float = LABEL_FONT
) -> None:
    """Ticks left of the axes at data y `ys`, labels right-aligned beside them. `size` 0: labels only."""
    transform = ax.get_yaxis_transform()  # x in axes fractions, y in data
    if size:
        ax.add_artist(_tick_marks([0.0] * len(ys), ys, TICKLEFT, transform, size))
    shifted = _shifted(ax, transform, -(size + TICK_SIZE), 0)
    for y, label in zip(ys, labels, strict=True):
        _text(ax, 0, y, label, transform=shifted, fontsize=fontsize, ha="right", va="center_baseline")


def _tick_marks(xs: list[float], ys: list[float], marker: int, transform: Transform, size: float) -> Line2D:
    return Line2D(
        xs,
        ys,
        transform=transform,
        linestyle="none",
        marker=marker,
        markersize=size,
        markeredgewidth=LINE_WIDTH,
        color="black",
        clip_on=False,
    )


def _xlabel(ax: Axes, label: str, below: float, fontsize: float = LABEL_FONT) -> None:
    """The axis label centred under the tick labels, whose bottom is `below` points under the axes."""
    shifted = _shifted(ax, ax.transAxes, 0, -(below + LABEL_PAD))
    _text(ax, 0.5, 0, label, transform=shifted, fontsize=fontsize, ha="center", va="top")


def _numbers(ax: Axes, axis: str, top: float, nbins: int) -> None:
    """Round-number ticks from 0 to `top` along `axis` ("x" or "y"), chosen by the locator matplotlib's
    own axis would use (integers only: these axes count answers and points)."""
    values = [float(v) for v in MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], integer=True).tick_values(0, top)]
    shown = [v for v in values if 0 <= v <= top]
    labels = [f"{v:.0f}" for v in shown]
    if axis == "x":
        _xticks(ax, shown, labels)
    else:
        _yticks(ax, shown, labels)


def _bars(ax: Axes, rects: list[tuple[float, float, float, float]], colors: list[str]) -> None:
    """Rectangles (x, y, width, height) in data units as one collection: one artist drawn in one call,
    where ax.bar made a Rectangle per bar and measured each for the data limits (set by the caller)."""
    verts = [((x, y), (x, y + h), (x + w, y + h), (x + w, y)) for x, y, w, h in rects]
    ax.add_collection(PolyCollection(verts, facecolors=colors, edgecolors="none", linewidths=0), autolim=False)


def _hbar_limits(ax: Axes, count: int) -> None:
    """y limits for `count` horizontal bars 0.8 high at 0..count-1, with matplotlib's 5% margins."""
    margin = 0.05 * (count - 0.2)
    ax.set_ylim(-0.4 - margin, count - 0.6 + margin)


def _names(ax: Axes, ys: list[int], names: list[str]) -> None:
    """Names left of the bars as plain text artists (parse_math off): a tick label would read `$...$`
    as mathematics."""
    transform = ax.get_yaxis_transform()  # x in axes fractions, y in data
    for y, name in zip(ys, names, strict=True):
        _text(ax, -0.01, y, name, transform=transform, ha="right", va="center", fontsize=10)


def render_stats(chart: StatsChart) -> bytes:
    return _png(stats_figure(chart))


def stats_figure(chart: StatsChart) -> Figure:
    loc = chart.locale
    fig = _figure(STATS_SIZE)
    # Fixed places (fractions of the figure), room left for the labels.
    _days_panel(fig, (0.07, 0.58, 0.86, 0.36), chart)
    _services_panel(fig, (0.17, 0.08, 0.31, 0.39), chart)
    _calendar_panel(fig, (0.56, 0.1, 0.42, 0.37), chart)
    if chart.empty:
        _no_math(fig.text(0.5, 0.55, t(loc, "chart.no_data"), ha="center", va="center", fontsize=16, color="#666"))
    return fig


def _days_panel(fig: Figure, rect: tuple[float, float, float, float], chart: StatsChart) -> None:
    """Answers per day as bars, the right ones in green below the wrong ones: accuracy reads off the
    green share of each bar, with no second axis (a twin axes cost a third of the drawing time)."""
    loc = chart.locale
    answered = sum(d.answered for d in chart.days)
    right = sum(d.correct for d in chart.days)
    title = t(loc, "chart.days_title")
    if answered:
        title += "  " + t(loc, "chart.accuracy_of", share=f"{100 * right / answered:.0f}%")
    ax = _panel(fig, rect, title)
    top = max([d.answered for d in chart.days] + [4]) * 1.15
    ax.set_xlim(-0.6, len(chart.days) - 0.4)
    ax.set_ylim(0, top)
    rights = [(i - 0.4, 0.0, 0.8, float(d.correct)) for i, d in enumerate(chart.days)]
    wrongs = [(i - 0.4, float(d.correct), 0.8, float(d.answered - d.correct)) for i, d in enumerate(chart.days)]
    _bars(ax, rights + wrongs, [COLORS["good"]] * len(rights) + [COLORS["bad"]] * len(wrongs))
    _numbers(ax, "y", top, nbins=5)
    step = 5
    days = list(range(0, len(chart.days), step))
    _xticks(ax, [float(i) for i in days], [chart.days[i].day[5:].replace("-", "/") for i in days])
    # the y label clear of the widest number (rotated: its right edge is the text's bottom)
    widest = len(f"{top:.0f}") * DIGIT_WIDTH
    shifted = _shifted(ax, ax.transAxes, -(2 * TICK_SIZE + widest + LABEL_PAD), 0)
    _text(ax, 0, 0.5, t(loc, "chart.answers"), transform=shifted, rotation=90, ha="right", va="center")
    handles = [Patch(color=COLORS["good"]), Patch(color=COLORS["bad"])]
    labels = [t(loc, "chart.right"), t(loc, "chart.wrong")]
    legend = ax.legend(
        handles, labels, loc="upper left", frameon=False, fontsize=9, ncols=2, prop={"family": families()}
    )
    _no_math(*legend.get_texts())


def _services_panel(fig: Figure, rect: tuple[float, float, float, float], chart: StatsChart) -> None:
    loc = chart.locale
    ax = _panel(fig, rect, t(loc, "chart.services_title"))
    shown = list(chart.services[:SERVICES_SHOWN])[::-1]  # most answered on top
    if not shown:
        return
    ys = list(range(len(shown)))
    shares = [100 * s.correct / s.answered if s.answered else 0 for s in shown]
    colors = [COLORS["good"] if share >= 70 else COLORS["line"] if share >= 50 else COLORS["bad"] for share in shares]
    ax.set_xlim(0, 118)
    _hbar_limits(ax, len(shown))
    _bars(ax, [(0.0, y - 0.4, share, 0.8) for y, share in zip(ys, shares, strict=True)], colors)
    _names(ax, ys, [safe_label(s.name, 18) for s in shown])
    _xticks(ax, [float(v) for v in range(0, 101, 20)], [str(v) for v in range(0, 101, 20)])
    _xlabel(ax, t(loc, "chart.accuracy"), below=2 * TICK_SIZE + LABEL_FONT)
    for y, share, service in zip(ys, shares, shown, strict=True):
        _text(ax, share + 1.5, y, f"{share:.0f}% ({service.answered})", va="center", fontsize=9)


def _calendar_panel(fig: Figure, rect: tuple[float, float, float, float], chart: StatsChart) -> None:
    """A week per column (Monday on top), the last CALENDAR_WEEKS weeks: darker for more answers, red
    for a day with a daily post left unanswered, pale grey for a day without a post."""
    loc = chart.locale
    ax = _panel(fig, rect, t(loc, "chart.calendar_title"), frame=False)
    today = date.fromisoformat(chart.today)
    first = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    # cell values: 0 no post and no answer, 1 missed, 2..5 answered (1, 2, 3-4, 5+ answers), -1 future
    values: list[list[float]] = [[0.0] * CALENDAR_WEEKS for _ in range(7)]
    for week in range(CALENDAR_WEEKS):
        for weekday in range(7):
            day = first + timedelta(days=7 * week + weekday)
            iso = day.isoformat()
            count = chart.answered_days.get(iso, 0)
            if day > today:
                value = -1.0
            elif count:
                value = 2.0 + min(3, (count > 1) + (count > 2) + (count > 4))
            elif iso in chart.scheduled_days and day < today:
                value = 1.0
            else:
                value = 0.0
            values[weekday][week] = value
    cmap = ListedColormap(["#FFFFFF", "#EEEEEE", COLORS["bad"], "#C6E48B", "#7BC96F", "#239A3B", "#196127"])
    cells = [[v + 1 for v in row] for row in values]
    # An image with white lines between the cells: far cheaper to draw than a mesh of 84 edged cells.
    ax.imshow(cells, cmap=cmap, vmin=-0.5, vmax=6.5, extent=(0, CALENDAR_WEEKS, 7, 0), interpolation="nearest")
    ax.vlines(range(1, CALENDAR_WEEKS), 0, 7, colors="white", linewidth=2)
    ax.hlines(range(1, 7), 0, CALENDAR_WEEKS, colors="white", linewidth=2)
    ax.set_xlim(0, CALENDAR_WEEKS)
    ax.set_ylim(7, 0)  # Monday on top
    weeks = range(0, CALENDAR_WEEKS, 3)
    _xticks(ax, [w + 0.5 for w in weeks], [(first + timedelta(days=7 * w)).strftime("%m/%d") for w in weeks], size=0)
    _yticks(ax, [d + 0.5 for d in range(7)], [t(loc, f"chart.weekday.{i}") for i in range(7)], size=0)
    _xlabel(ax, t(loc, "chart.calendar_legend"), below=TICK_SIZE + LABEL_FONT, fontsize=9)


def render_board(chart: BoardChart) -> bytes:
    return _png(board_figure(chart))


def board_figure(chart: BoardChart) -> Figure:
    loc = chart.locale
    fig = _figure(BOARD_SIZE)
    ax = _panel(fig, (0.22, 0.1, 0.74, 0.82), chart.title)
    bars = list(chart.bars[:10])[::-1]  # the leader on top
    if not bars:
        _text(
            ax,
            0.5,
            0.5,
            t(loc, "chart.no_data"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=16,
            color="#666",
        )
        return fig
    ys = list(range(len(bars)))
    top = max([b.points for b in bars] + [1])
    ax.set_xlim(0, top * 1.25)
    _hbar_limits(ax, len(bars))
    colors = [COLORS["bars"]] * (len(bars) - 1) + [COLORS["line"]]
    _bars(ax, [(0.0, y - 0.4, float(b.points), 0.8) for y, b in zip(ys, bars, strict=True)], colors)
    rank = len(bars)
    _names(ax, ys, [f"{rank - i}. {safe_label(b.name)}" for i, b in enumerate(bars)])
    _numbers(ax, "x", top * 1.25, nbins=9)
    _xlabel(ax, t(loc, "chart.points"), below=2 * TICK_SIZE + LABEL_FONT)
    for y, bar in zip(ys, bars, strict=True):
        label = t(loc, "chart.bar_label", points=bar.points, correct=bar.correct, answered=bar.answered)
        _text(ax, bar.points + top * 0.01, y, label, va="center", fontsize=9)
    return fig


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError when it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")

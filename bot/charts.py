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

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
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


def _no_math(*texts: object) -> None:
    for text in texts:
        text.set_parse_math(False)  # type: ignore[attr-defined]
        text.set_fontfamily(families())  # type: ignore[attr-defined]


def _style(ax: object, title: str) -> None:
    _no_math(ax.set_title(title, loc="left", fontsize=13))  # type: ignore[attr-defined]
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)  # type: ignore[attr-defined]


def _ticks(ax: object) -> None:
    """Tick labels (our own words and numbers only: names are drawn by _names) in the Japanese font,
    also those matplotlib creates later while drawing."""
    ax.tick_params(labelfontfamily=families())  # type: ignore[attr-defined]


def _names(ax: object, ys: list[int], names: list[str]) -> None:
    """Names left of the bars as plain text artists (parse_math off): a tick label would read `$...$`
    as mathematics, and matplotlib makes new tick labels while drawing without that setting."""
    ax.set_yticks(ys, [""] * len(ys))  # type: ignore[attr-defined]
    ax.tick_params(axis="y", length=0)  # type: ignore[attr-defined]
    transform = ax.get_yaxis_transform()  # type: ignore[attr-defined]  # x in axes fractions, y in data
    for y, name in zip(ys, names, strict=True):
        _no_math(ax.text(-0.01, y, name, transform=transform, ha="right", va="center", fontsize=10))  # type: ignore[attr-defined]


def render_stats(chart: StatsChart) -> bytes:
    return _png(stats_figure(chart))


def stats_figure(chart: StatsChart) -> Figure:
    loc = chart.locale
    fig = _figure(STATS_SIZE)
    # Fixed places (fractions of the figure), room left for the labels.
    _days_panel(fig.add_axes((0.07, 0.58, 0.86, 0.36)), chart)
    _services_panel(fig.add_axes((0.17, 0.08, 0.31, 0.39)), chart)
    _calendar_panel(fig.add_axes((0.56, 0.1, 0.42, 0.37)), chart)
    if chart.empty:
        _no_math(fig.text(0.5, 0.55, t(loc, "chart.no_data"), ha="center", va="center", fontsize=16, color="#666"))
    return fig


def _days_panel(ax: object, chart: StatsChart) -> None:
    """Answers per day as bars, the right ones in green below the wrong ones: accuracy reads off the
    green share of each bar, with no second axis (a twin axes cost a third of the drawing time)."""
    loc = chart.locale
    answered = sum(d.answered for d in chart.days)
    right = sum(d.correct for d in chart.days)
    title = t(loc, "chart.days_title")
    if answered:
        title += "  " + t(loc, "chart.accuracy_of", share=f"{100 * right / answered:.0f}%")
    _style(ax, title)
    xs = list(range(len(chart.days)))
    correct = [d.correct for d in chart.days]
    ax.bar(xs, correct, color=COLORS["good"], label=t(loc, "chart.right"))  # type: ignore[attr-defined]
    ax.bar(
        xs,
        [d.answered - d.correct for d in chart.days],
        bottom=correct,
        color=COLORS["bad"],
        label=t(loc, "chart.wrong"),
    )  # type: ignore[attr-defined]
    ax.set_ylabel(t(loc, "chart.answers"), fontfamily=families())  # type: ignore[attr-defined]
    ax.set_ylim(0, max([d.answered for d in chart.days] + [4]) * 1.15)  # type: ignore[attr-defined]
    ax.yaxis.get_major_locator().set_params(integer=True, nbins=5)  # type: ignore[attr-defined]
    step = 5
    ax.set_xticks(xs[::step], [d.day[5:].replace("-", "/") for d in chart.days][::step])  # type: ignore[attr-defined]
    ax.set_xlim(-0.6, len(xs) - 0.4)  # type: ignore[attr-defined]
    legend = ax.legend(loc="upper left", frameon=False, fontsize=9, ncols=2, prop={"family": families()})  # type: ignore[attr-defined]
    _no_math(*legend.get_texts())
    _ticks(ax)


def _services_panel(ax: object, chart: StatsChart) -> None:
    loc = chart.locale
    _style(ax, t(loc, "chart.services_title"))
    shown = list(chart.services[:SERVICES_SHOWN])[::-1]  # most answered on top
    if not shown:
        ax.set_xticks([])  # type: ignore[attr-defined]
        ax.set_yticks([])  # type: ignore[attr-defined]
        return
    ys = list(range(len(shown)))
    shares = [100 * s.correct / s.answered if s.answered else 0 for s in shown]
    colors = [COLORS["good"] if share >= 70 else COLORS["line"] if share >= 50 else COLORS["bad"] for share in shares]
    ax.barh(ys, shares, color=colors)  # type: ignore[attr-defined]
    _names(ax, ys, [safe_label(s.name, 18) for s in shown])
    ax.set_xlim(0, 118)  # type: ignore[attr-defined]
    ax.set_xlabel(t(loc, "chart.accuracy"), fontfamily=families())  # type: ignore[attr-defined]
    for y, share, service in zip(ys, shares, shown, strict=True):
        _no_math(ax.text(share + 1.5, y, f"{share:.0f}% ({service.answered})", va="center", fontsize=9))  # type: ignore[attr-defined]
    _ticks(ax)


def _calendar_panel(ax: object, chart: StatsChart) -> None:
    """A week per column (Monday on top), the last CALENDAR_WEEKS weeks: darker for more answers, red
    for a day with a daily post left unanswered, pale grey for a day without a post."""
    loc = chart.locale
    _style(ax, t(loc, "chart.calendar_title"))
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
    ax.imshow(cells, cmap=cmap, vmin=-0.5, vmax=6.5, extent=(0, CALENDAR_WEEKS, 7, 0), interpolation="nearest")  # type: ignore[attr-defined]
    ax.vlines(range(1, CALENDAR_WEEKS), 0, 7, colors="white", linewidth=2)  # type: ignore[attr-defined]
    ax.hlines(range(1, 7), 0, CALENDAR_WEEKS, colors="white", linewidth=2)  # type: ignore[attr-defined]
    ax.set_xlim(0, CALENDAR_WEEKS)  # type: ignore[attr-defined]
    ax.set_ylim(7, 0)  # type: ignore[attr-defined]  # Monday on top
    ax.set_xticks(  # type: ignore[attr-defined]
        [w + 0.5 for w in range(0, CALENDAR_WEEKS, 3)],
        [(first + timedelta(days=7 * w)).strftime("%m/%d") for w in range(0, CALENDAR_WEEKS, 3)],
    )
    ax.set_yticks([d + 0.5 for d in range(7)], [t(loc, f"chart.weekday.{i}") for i in range(7)])  # type: ignore[attr-defined]
    ax.tick_params(length=0)  # type: ignore[attr-defined]
    for spine in ax.spines.values():  # type: ignore[attr-defined]
        spine.set_visible(False)
    _no_math(ax.set_xlabel(t(loc, "chart.calendar_legend"), fontsize=9))  # type: ignore[attr-defined]
    _ticks(ax)


def render_board(chart: BoardChart) -> bytes:
    return _png(board_figure(chart))


def board_figure(chart: BoardChart) -> Figure:
    loc = chart.locale
    fig = _figure(BOARD_SIZE)
    ax = fig.add_axes((0.22, 0.1, 0.74, 0.82))
    _style(ax, chart.title)
    bars = list(chart.bars[:10])[::-1]  # the leader on top
    if not bars:
        ax.set_xticks([])
        ax.set_yticks([])
        _no_math(ax.text(0.5, 0.5, t(loc, "chart.no_data"), ha="center", va="center", fontsize=16, color="#666"))
        return fig
    ys = list(range(len(bars)))
    ax.barh(ys, [b.points for b in bars], color=[COLORS["bars"]] * (len(bars) - 1) + [COLORS["line"]])
    rank = len(bars)
    _names(ax, ys, [f"{rank - i}. {safe_label(b.name)}" for i, b in enumerate(bars)])
    top = max([b.points for b in bars] + [1])
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel(t(loc, "chart.points"), fontfamily=families())
    for y, bar in zip(ys, bars, strict=True):
        label = t(loc, "chart.bar_label", points=bar.points, correct=bar.correct, answered=bar.answered)
        _no_math(ax.text(bar.points + top * 0.01, y, label, va="center", fontsize=9))
    _ticks(ax)
    return fig


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError when it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")

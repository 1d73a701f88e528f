"""A chart panel drawn by hand on a matplotlib Figure: its frame, ticks, labels, bars and cells are a
few plain artists placed with transforms, with no Axes at all.

Why not an Axes: matplotlib's Axes makes its tick machinery when it is created (Axes.clear makes a tick
per axis to set its clip path), its Axis makes a Tick object per tick while drawing (two Line2D and two
Text each, about 2 ms apiece), lays every label out twice to place the title, and ax.bar makes and
measures a Rectangle per bar. That was over half of the stats chart's drawing time; these artists draw
the same picture (matplotlib's default sizes below) in a fraction of it. Used by bot/charts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import (
    Affine2D,
    Bbox,
    BboxTransformFrom,
    BboxTransformTo,
    ScaledTranslation,
    Transform,
    TransformedBbox,
    blended_transform_factory,
)

Rect = tuple[float, float, float, float]  # x, y, width, height

LINE_WIDTH = 0.8  # points: the frame and the ticks
TICK_SIZE = 3.5  # points: tick length, and the pad between a tick and its label
LABEL_FONT = 10.0  # points: tick and axis labels
LABEL_HEIGHT = 10.0  # points: about the height of a LABEL_FONT line of digits
DIGIT_WIDTH = 6.5  # points: about the widest digit at LABEL_FONT, to keep the y label clear of numbers
LABEL_PAD = 4.0  # points: between the tick labels and the axis label
TITLE_PAD = 6.0  # points: between the panel's top and the title's baseline
TITLE_FONT = 13.0


class Panel:
    """A rectangle of the figure (`rect`, in figure fractions) showing data from `xlim` to `ylim`
    (a reversed range flips the axis). Texts are drawn as typed (parse_math off: `$x$` stays `$x$`) in
    `family`, a font family list whose later entries catch characters the first one lacks."""

    def __init__(
        self, fig: Figure, rect: Rect, xlim: tuple[float, float], ylim: tuple[float, float], family: list[str]
    ) -> None:
        self.fig = fig
        self.family = family
        self.rect = rect
        # panel fractions (0..1 across the panel) and data coordinates, to display pixels
        self.frac: Transform = BboxTransformTo(TransformedBbox(Bbox.from_bounds(*rect), fig.transFigure))
        self.data: Transform = BboxTransformFrom(Bbox([[xlim[0], ylim[0]], [xlim[1], ylim[1]]])) + self.frac
        self.xaxis: Transform = blended_transform_factory(self.data, self.frac)  # x in data, y in fractions
        self.yaxis: Transform = blended_transform_factory(self.frac, self.data)  # x in fractions, y in data

    def shifted(self, transform: Transform, dx: float, dy: float) -> Transform:
        """`transform`, then moved by (dx, dy) points: labels keep their distance from the panel."""
        return transform + ScaledTranslation(dx / 72, dy / 72, self.fig.dpi_scale_trans)

    def text(self, x: float, y: float, text: str, transform: Transform | None = None, **kwargs: Any) -> Text:
        """A text at (x, y), in data coordinates unless `transform` says otherwise."""
        artist = Text(x, y, text, parse_math=False, fontfamily=self.family, **kwargs)
        artist.set_transform(self.data if transform is None else transform)
        self.fig.add_artist(artist)
        return artist

    def title(self, title: str) -> None:
        self.text(0, 1, title, self.shifted(self.frac, 0, TITLE_PAD), fontsize=TITLE_FONT, va="baseline")

    def frame(self) -> None:
        """The left and bottom frame lines (the charts never showed a top or right one)."""
        xs, ys = [0, 0, 1], [1, 0, 0]
        style = {"solid_capstyle": "projecting", "solid_joinstyle": "miter"}
        self.fig.add_artist(Line2D(xs, ys, transform=self.frac, color="black", linewidth=LINE_WIDTH, **style))

    def bars(self, rects: Sequence[Rect], colors: Sequence[str]) -> None:
        """Rectangles (x, y, width, height) in data units, as one collection drawn in one call, cut at
        the panel's edges as an Axes would (a negative score must not cover the names)."""
        verts = [((x, y), (x, y + h), (x + w, y + h), (x + w, y)) for x, y, w, h in rects]
        collection = PolyCollection(verts, facecolors=colors, edgecolors="none", linewidths=0)
        collection.set_transform(self.data)
        collection.set_clip_box(TransformedBbox(Bbox.unit(), self.frac))
        self.fig.add_artist(collection)

    def lines(
        self, segments: Sequence[tuple[tuple[float, float], tuple[float, float]]], color: str, width: float
    ) -> None:
        """Straight lines ((x0, y0), (x1, y1)) in data units, as one collection."""
        collection = LineCollection(segments, colors=color, linewidths=width)
        collection.set_transform(self.data)
        self.fig.add_artist(collection)

    def xticks(self, xs: Sequence[float], labels: Sequence[str], size: float = TICK_SIZE) -> None:
        """Ticks under the panel at data x `xs` (one marker line for all), labels centred under them.
        `size` 0: labels only."""
        if size:
            self.fig.add_artist(self._marks(xs, [0.0] * len(xs), TICKDOWN, self.xaxis, size))
        shifted = self.shifted(self.xaxis, 0, -(size + TICK_SIZE))
        for x, label in zip(xs, labels, strict=True):
            self.text(x, 0, label, shifted, fontsize=LABEL_FONT, ha="center", va="top")

    def yticks(self, ys: Sequence[float], labels: Sequence[str], size: float = TICK_SIZE) -> None:
        """Ticks left of the panel at data y `ys`, labels right-aligned beside them. `size` 0: labels only."""
        if size:
            self.fig.add_artist(self._marks([0.0] * len(ys), ys, TICKLEFT, self.yaxis, size))
        shifted = self.shifted(self.yaxis, -(size + TICK_SIZE), 0)
        for y, label in zip(ys, labels, strict=True):
            self.text(0, y, label, shifted, fontsize=LABEL_FONT, ha="right", va="center_baseline")

    def numbers(self, axis: str, top: float, nbins: int) -> list[str]:
        """Round-number ticks from 0 to `top` on `axis` ("x" or "y"), from the locator matplotlib's own
        axis uses (integers only: these axes count answers and points). Returns the labels."""
        locator = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], integer=True)
        shown = [float(v) for v in locator.tick_values(0, top) if 0 <= v <= top]
        labels = [f"{v:.0f}" for v in shown]
        (self.xticks if axis == "x" else self.yticks)(shown, labels)
        return labels

    def xlabel(self, label: str, below: float = 2 * TICK_SIZE + LABEL_HEIGHT, fontsize: float = LABEL_FONT) -> None:
        """The axis label centred under the tick labels, whose bottom is `below` points under the panel."""
        self.text(
            0.5, 0, label, self.shifted(self.frac, 0, -(below + LABEL_PAD)), fontsize=fontsize, ha="center", va="top"
        )

    def ylabel(self, label: str, numbers: Sequence[str]) -> None:
        """The axis label turned upright left of the tick labels `numbers` (ticked, LABEL_FONT)."""
        widest = max((len(n) for n in numbers), default=1) * DIGIT_WIDTH
        shifted = self.shifted(self.frac, -(2 * TICK_SIZE + widest + LABEL_PAD), 0)
        self.text(0, 0.5, label, shifted, fontsize=LABEL_FONT, rotation=90, ha="right", va="center")

    def names(self, ys: Sequence[float], names: Sequence[str]) -> None:
        """Names left of horizontal bars, as tick labels would be but drawn as typed."""
        for y, name in zip(ys, names, strict=True):
            self.text(-0.01, y, name, self.yaxis, ha="right", va="center", fontsize=LABEL_FONT)

    def legend(self, entries: Sequence[tuple[str, str]], fontsize: float = LABEL_FONT) -> None:
        """(colour, label) entries in one row at the top left, spaced as matplotlib's frameless legend
        (in font sizes: 0.9 from the corner, swatches 2 x 0.7, 0.8 to the label, 2 between entries).
        Each label is measured to place the next entry (the Agg renderer caches the measure for the draw)."""
        x0, y0, _, height = self.rect
        # points from the panel's top-left corner
        points = (
            Affine2D().scale(1 / 72)
            + self.fig.dpi_scale_trans
            + ScaledTranslation(x0, y0 + height, self.fig.transFigure)
        )
        renderer = self.fig.canvas.get_renderer()  # type: ignore[attr-defined]
        x, middle = 0.9 * fontsize, -1.5 * fontsize  # the row's middle: 0.9 down, then half a line
        for color, label in entries:
            swatch = Rectangle(
                (x, middle - 0.35 * fontsize), 2 * fontsize, 0.7 * fontsize, facecolor=color, edgecolor="none"
            )
            swatch.set_transform(points)
            self.fig.add_artist(swatch)
            x += 2.8 * fontsize
            text = self.text(x, middle, label, points, fontsize=fontsize, va="center")
            x += text.get_window_extent(renderer).width * 72 / self.fig.dpi + 2 * fontsize

    @staticmethod
    def _marks(xs: Sequence[float], ys: Sequence[float], marker: int, transform: Transform, size: float) -> Line2D:
        return Line2D(
            xs,
            ys,
            transform=transform,
            linestyle="none",
            marker=marker,
            markersize=size,
            markeredgewidth=LINE_WIDTH,
            color="black",
        )

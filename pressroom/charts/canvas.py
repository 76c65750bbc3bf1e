"""A chart area in pixels (origin top left, y down): shapes go to Matplotlib, words to Pillow.

Matplotlib (object API, Agg, no pyplot) draws every shape onto a Figure that each thread
reuses; the labels are queued and set by Pillow when the frame is composed, because
Matplotlib's text layout costs ~4 ms a label and a chart has dozens. dpi is 72, so one point
is one pixel and the bundled font is the same size in both.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import BoxStyle, Circle, FancyBboxPatch, Polygon, Rectangle
from matplotlib.transforms import Affine2D
from PIL import Image

# Colour-blind-safe data colours (Okabe & Ito), and the greys of the frame.
BLUE, ORANGE, SKY, GREEN = "#0072B2", "#E69F00", "#56B4E9", "#009E73"
VERMILLION, PURPLE, YELLOW = "#D55E00", "#CC79A7", "#F0E442"
INK, MUTED, FAINT = "#111827", "#4B5563", "#9CA3AF"
GRID, TRACK, CARD, BACKGROUND = "#E5E7EB", "#E8ECF1", "#FFFFFF", "#EEF2F6"
DPI = 72

_local = threading.local()


@dataclass(frozen=True)
class Label:
    """A piece of text for Pillow to set (anchor as in Pillow: "lm" = left, middle)."""

    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    color: str = INK
    anchor: str = "la"


def _figure() -> tuple[Figure, FigureCanvasAgg]:
    """This thread's Figure (Matplotlib objects are not thread-safe; one per thread is)."""
    figure = getattr(_local, "figure", None)
    if figure is None:
        figure = Figure(dpi=DPI, facecolor=CARD)
        _local.figure, _local.agg = figure, FigureCanvasAgg(figure)
    return figure, _local.agg


class Canvas:
    """Draw in pixel coordinates of a ``width`` × ``height`` chart area."""

    def __init__(self, width: int, height: int, scale: float = 1.0):
        self.width, self.height, self.scale = int(width), int(height), scale
        self.labels: list[Label] = []
        self.figure, self._agg = _figure()
        self.figure.clear()
        self.figure.set_size_inches(self.width / DPI, self.height / DPI)
        self._pixels = Affine2D().scale(1, -1).translate(0, self.height)

    def _add(self, artist, zorder: float):
        artist.set_transform(self._pixels)
        artist.set_zorder(zorder)
        artist.set_clip_on(False)
        self.figure.add_artist(artist)
        return artist

    # Shapes -----------------------------------------------------------------------------------
    def rect(self, x: float, y: float, w: float, h: float, color: str, radius: float = 0,
             zorder: float = 2, alpha: float = 1.0) -> None:
        if w <= 0 or h <= 0:
            return
        radius = min(radius, w / 2, h / 2)
        if radius > 0.5:
            patch = FancyBboxPatch((x, y), w, h, boxstyle=BoxStyle.Round(pad=0, rounding_size=radius),
                                   facecolor=color, linewidth=0, antialiased=True, alpha=alpha)
        else:
            patch = Rectangle((x, y), w, h, facecolor=color, linewidth=0, antialiased=False, alpha=alpha)
        self._add(patch, zorder)

    def hatch(self, x: float, y: float, w: float, h: float, color: str = FAINT, zorder: float = 1) -> None:
        """A hatched band: the mark of a period without data."""
        self.rect(x, y, w, h, "#F6F7F9", zorder=zorder)
        patch = Rectangle((x, y), w, h, facecolor="none", edgecolor=color, linewidth=0, hatch="//",
                          antialiased=True)
        if hasattr(patch, "set_hatch_linewidth"):
            patch.set_hatch_linewidth(1.2 * self.scale)
        self._add(patch, zorder + 0.1)

    def line(self, xs, ys, color: str, width: float, zorder: float = 3, dashes: tuple | None = None,
             alpha: float = 1.0) -> None:
        line = Line2D(list(xs), list(ys), color=color, linewidth=width, solid_capstyle="round",
                      solid_joinstyle="round", dash_capstyle="butt", antialiased=True, alpha=alpha)
        if dashes:
            line.set_dashes(dashes)
        self._add(line, zorder)

    def area(self, xs, ys, base: float, color: str, alpha: float, zorder: float = 2) -> None:
        points = [(xs[0], base), *zip(xs, ys, strict=True), (xs[-1], base)]
        self._add(Polygon(points, closed=True, facecolor=color, linewidth=0, alpha=alpha, antialiased=True),
                  zorder)

    def polygon(self, points, color: str, zorder: float = 3) -> None:
        self._add(Polygon(points, closed=True, facecolor=color, linewidth=0, antialiased=True), zorder)

    def circle(self, x: float, y: float, r: float, face: str, edge: str | None = None, width: float = 0,
               zorder: float = 4) -> None:
        self._add(Circle((x, y), r, facecolor=face, edgecolor=edge or face, linewidth=width,
                         antialiased=True), zorder)

    # Words ------------------------------------------------------------------------------------
    def text(self, x: float, y: float, text: str, size: float, *, bold: bool = False, color: str = INK,
             anchor: str = "la") -> None:
        if text:
            self.labels.append(Label(x, y, text, size, bold, color, anchor))

    # Output -----------------------------------------------------------------------------------
    def to_image(self) -> Image.Image:
        """Draw the shapes and return them as an RGB image (labels are set later)."""
        self._agg.draw()
        size = (self.width, self.height)
        rgba = Image.frombuffer("RGBA", size, self._agg.buffer_rgba(), "raw", "RGBA", 0, 1)
        image = rgba.convert("RGB")
        self.figure.clear()  # let go of this chart's artists now, not at the next render
        return image

"""The bundled Noto Sans (OFL, ``fonts/OFL.txt``): the only typeface on Pressroom's images.

Every label is set by Pillow from these files (Matplotlib draws the shapes; its text layout
costs ~4 ms a label, Pillow's a tenth of that). ``matplotlib_font`` hands the same files to
Matplotlib by path, for any code that does draw text there, so no system font is looked up.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
BOLD = FONT_DIR / "NotoSans-Bold.ttf"


def pil_font(size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The bundled font at ``size`` px, with Pillow's basic layout (the same on every machine)."""
    return _pil_font(max(1, round(size)), bold)


@lru_cache(maxsize=128)
def _pil_font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size=size, layout_engine=ImageFont.Layout.BASIC)


class _Face:
    """One font at one size, with every glyph it has set rendered once and kept.

    Pillow renders a string glyph by glyph through FreeType's hinter on every call (~1 ms for
    a short label); a chart sets dozens of labels from the same hundred glyphs. With the basic
    layout a string is its glyphs side by side (Noto Sans has no legacy ``kern`` table, so
    there is no pair kerning to lose), so the cached glyphs set it the same way, far faster.
    """

    def __init__(self, size: int, bold: bool):
        self.font = _pil_font(size, bold)
        self.ascent, self.descent = self.font.getmetrics()
        self._glyphs: dict[str, tuple[float, int, int, Image.Image | None]] = {}

    def glyph(self, char: str) -> tuple[float, int, int, Image.Image | None]:
        """(advance, x offset, y offset from the baseline, mask) of one character."""
        cached = self._glyphs.get(char)
        if cached is None:
            x0, y0, x1, y1 = self.font.getbbox(char, anchor="ls")
            mask = None
            if x1 > x0 and y1 > y0:
                mask = Image.new("L", (x1 - x0, y1 - y0), 0)
                ImageDraw.Draw(mask).text((-x0, -y0), char, font=self.font, fill=255, anchor="ls")
            cached = (self.font.getlength(char), x0, y0, mask)
            self._glyphs[char] = cached
        return cached

    def width(self, text: str) -> float:
        return sum(self.glyph(char)[0] for char in text)


@lru_cache(maxsize=96)
def _face(size: int, bold: bool) -> _Face:
    return _Face(size, bold)


def text_width(text: str, size: float, bold: bool = False) -> float:
    return _face(max(1, round(size)), bold).width(text)


def draw_text(image: Image.Image, xy: tuple[float, float], text: str, size: float, bold: bool = False,
              fill: str = "#000000", anchor: str = "la") -> None:
    """Set ``text`` on ``image`` like ``ImageDraw.text`` with a Pillow anchor (l/m/r + a/m/s/d)."""
    face = _face(max(1, round(size)), bold)
    x, y = xy
    if anchor[0] != "l":
        x -= face.width(text) / (2 if anchor[0] == "m" else 1)
    elif text:
        x -= min(0, face.glyph(text[0])[1])  # a "J" that reaches left of its origin stays inside the margin
    baseline = {"a": y + face.ascent, "m": y + (face.ascent - face.descent) / 2, "s": y,
                "d": y - face.descent}[anchor[1]]
    draw = ImageDraw.Draw(image)
    colour = ImageColor.getrgb(fill)
    top = round(baseline)
    for char in text:
        advance, dx, dy, mask = face.glyph(char)
        if mask is not None:
            draw.bitmap((round(x) + dx, top + dy), mask, fill=colour)
        x += advance


def fit_text(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it is at most ``width`` px wide."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, width: float, size: float, bold: bool = False, max_lines: int = 2) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines; the last one ellipsised if needed."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if not current or text_width(candidate, size, bold) <= width:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[index:])
            break
    if current:
        lines.append(fit_text(current, width, size, bold))
    return [fit_text(line, width, size, bold) for line in lines]


@cache
def _register_with_matplotlib() -> None:
    from matplotlib import font_manager

    for path in (REGULAR, BOLD):
        font_manager.fontManager.addfont(str(path))


def matplotlib_font(size: float, bold: bool = False):
    """A Matplotlib ``FontProperties`` for the bundled font, by file (no lookup by name)."""
    from matplotlib.font_manager import FontProperties

    _register_with_matplotlib()
    return FontProperties(fname=str(BOLD if bold else REGULAR), size=size)

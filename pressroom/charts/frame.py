"""The branded frame around a chart (Pillow): OPD band and logo, headline, card, credits, QR.

Layout is fixed per preset (no measuring passes): the header band carries the OPD, the
status chip says whether the figures are final or provisional, the title and subtitle sit
above a white card holding the chart, and the footer gives source, "Diolah oleh", the data
date and the dataset's public page as text and as a QR code. Everything readable stays inside
the preset's safe margins.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import segno
from PIL import Image, ImageDraw

from pressroom.charts.canvas import BACKGROUND, CARD, GRID, INK, MUTED, ORANGE, Label
from pressroom.charts.fonts import draw_text, fit_text, text_width, wrap
from pressroom.charts.logo import render_logo
from pressroom.charts.prepare import Page
from pressroom.charts.spec import Branding, Preset
from pressroom.charts.text import data_line


def contrast_text(hex_color: str) -> str:
    """Near-black or white, whichever reads on ``hex_color``."""
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 150 else INK


def _readable_on_light(hex_color: str) -> str:
    """The OPD colour for text on the light background, or ink when it is too pale to read."""
    return hex_color if contrast_text(hex_color) == "#ffffff" else INK


@dataclass(frozen=True)
class Layout:
    """Where everything goes on one image (pixels)."""

    preset: Preset
    band_bottom: int
    title_lines: tuple[str, ...]
    title_size: int
    title_top: int
    subtitle_lines: tuple[str, ...]
    subtitle_size: int
    card: tuple[int, int, int, int]
    chart: tuple[int, int, int, int]
    footer_top: int
    source_lines: tuple[str, ...]
    qr_size: int


def plan(preset: Preset, branding: Branding, title: str, subtitle: str, carousel: bool) -> Layout:
    """Lay out the frame; the chart gets whatever the words leave (the ``chart`` box)."""
    s = preset.scale
    left, top, right, bottom = preset.safe
    width = preset.width - left - right
    band_bottom = top + round(116 * s)
    max_lines = 3 if preset.height > 1500 else 2
    for title_size in (round(50 * s), round(44 * s), round(38 * s)):  # smaller before cutting words
        title_lines = tuple(wrap(title, width, title_size, True, max_lines=max_lines))
        if " ".join(title_lines) == " ".join(title.split()):
            break
    subtitle_size = round(27 * s)
    subtitle_lines = tuple(wrap(subtitle, width, subtitle_size, False, max_lines=2)) if subtitle else ()
    title_top = band_bottom + round(8 * s) + round(34 * s)
    text_bottom = title_top + round(len(title_lines) * title_size * 1.18)
    if subtitle_lines:
        text_bottom += round(8 * s + len(subtitle_lines) * subtitle_size * 1.35)
    qr_size = round(118 * s) if branding.public_url else 0
    text_w = width - (qr_size + round(28 * s) if qr_size else 0)
    source_lines = tuple(wrap(branding.source_line, text_w, 21 * s, True, max_lines=2)) if branding.source \
        else ()
    lines = len(source_lines) + bool(branding.processed_line) + 1 + bool(branding.public_url)
    footer_h = max(qr_size, round(lines * 21 * s * 1.45))
    footer_bottom = preset.height - bottom
    footer_top = footer_bottom - footer_h
    card_top = text_bottom + round(24 * s)
    card_bottom = footer_top - round(26 * s) - (round(44 * s) if carousel else 0)
    pad = round(26 * s)
    card = (left, card_top, preset.width - right, card_bottom)
    chart = (left + pad, card_top + pad, width - 2 * pad, card_bottom - card_top - 2 * pad)
    return Layout(preset, band_bottom, title_lines, title_size, title_top, subtitle_lines, subtitle_size,
                  card, chart, footer_top, source_lines, qr_size)


@lru_cache(maxsize=32)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """An anti-aliased rounded-rectangle mask (drawn 4× and reduced; Pillow's own is jagged)."""
    big = Image.new("L", (width * 4, height * 4), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, width * 4 - 1, height * 4 - 1), radius=radius * 4, fill=255)
    return big.reduce(4)


def _rounded(image: Image.Image, box: tuple[float, float, float, float], radius: float, fill: str) -> None:
    x0, y0, x1, y1 = (round(v) for v in box)
    if x1 <= x0 or y1 <= y0:
        return
    image.paste(fill, (x0, y0, x1, y1), _rounded_mask(x1 - x0, y1 - y0, min(round(radius), (y1 - y0) // 2)))


@lru_cache(maxsize=16)
def _logo(png: bytes | None, name: str, primary: str, accent: str, size: int) -> Image.Image:
    if png is None:
        png = render_logo(name, primary, accent, size=size * 2)
    with Image.open(io.BytesIO(png)) as source:
        logo = source.convert("RGBA")
    logo.thumbnail((size, size), Image.Resampling.LANCZOS)
    return logo


@lru_cache(maxsize=16)
def _qr(url: str, size: int) -> Image.Image:
    """The URL as a QR code with its quiet zone, at most ``size`` px (whole pixels per module)."""
    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    modules = len(matrix) + 4  # a quiet zone of two modules; the white tile around it adds more
    scale = max(2, size // modules)
    image = Image.new("L", (modules, modules), 255)
    image.putdata([0 if (2 <= y < modules - 2 and 2 <= x < modules - 2 and matrix[y - 2][x - 2]) else 255
                   for y in range(modules) for x in range(modules)])
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert("RGB")


def _shown_url(url: str) -> str:
    for prefix in ("https://", "http://"):
        if url.startswith(prefix):
            return url[len(prefix):]
    return url


def compose(layout: Layout, branding: Branding, chart: Image.Image, labels: list[Label],
            page: Page) -> Image.Image:
    """The finished image: frame, chart pasted into its card, and every label set."""
    preset, s = layout.preset, layout.preset.scale
    left, top, right, _bottom = preset.safe
    image = Image.new("RGB", (preset.width, preset.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _header(image, draw, layout, branding)
    y = layout.title_top
    for line in layout.title_lines:
        draw_text(image, (left, y), line, layout.title_size, True, INK, "la")
        y += round(layout.title_size * 1.18)
    y += round(8 * s)
    for line in layout.subtitle_lines:
        draw_text(image, (left, y), line, layout.subtitle_size, False, MUTED, "la")
        y += round(layout.subtitle_size * 1.35)
    _rounded(image, layout.card, 22 * s, CARD)
    x0, y0, _w, _h = layout.chart
    image.paste(chart, (x0, y0))
    for label in labels:
        draw_text(image, (x0 + label.x, y0 + label.y), label.text, label.size, label.bold, label.color,
                  label.anchor)
    if page.count > 1:
        _carousel(image, draw, layout, branding, page)
    _footer(image, draw, layout, branding)
    return image


def _header(image: Image.Image, draw: ImageDraw.ImageDraw, layout: Layout, branding: Branding) -> None:
    preset, s = layout.preset, layout.preset.scale
    left, top, right, _bottom = preset.safe
    band = layout.band_bottom
    draw.rectangle((0, 0, preset.width, band), fill=branding.primary)
    draw.rectangle((0, band, preset.width, band + round(8 * s)), fill=branding.accent)
    on_band = contrast_text(branding.primary)
    badge = round(80 * s)
    y_badge = top + (band - top - badge) // 2
    _rounded(image, (left, y_badge, left + badge, y_badge + badge), 18 * s, "#ffffff")
    logo_size = badge - round(12 * s)
    logo = _logo(branding.logo_png, branding.opd_name, branding.primary, branding.accent, logo_size)
    image.paste(logo, (left + (badge - logo.width) // 2, y_badge + (badge - logo.height) // 2), logo)
    # Status chip: final figures, or provisional ones that may still change.
    chip_text = "ANGKA SEMENTARA" if branding.status == "sementara" else "DATA FINAL"
    chip_size = round(17 * s)
    chip_w = round(text_width(chip_text, chip_size, True) + 30 * s)
    chip_h = round(chip_size * 2.1)
    x_chip = preset.width - right - chip_w
    y_chip = top + (band - top - chip_h) // 2
    chip_fill, chip_ink = (ORANGE, INK) if branding.status == "sementara" else ("#ffffff", INK)
    _rounded(image, (x_chip, y_chip, x_chip + chip_w, y_chip + chip_h), chip_h / 2, chip_fill)
    draw_text(image, (x_chip + chip_w / 2, y_chip + chip_h / 2), chip_text, chip_size, True, chip_ink, "mm")
    x_text = left + badge + round(20 * s)
    room = x_chip - x_text - round(20 * s)
    middle = top + (band - top) / 2
    name_size = 28 * s
    name_lines = wrap(branding.opd_name, room, name_size, True, max_lines=1)
    if text_width(branding.opd_name, name_size, True) > room:
        name_size = 23 * s
        name_lines = wrap(branding.opd_name, room, name_size, True, max_lines=2)
    gov_size = 18 * s
    block = gov_size * 1.35 + len(name_lines) * name_size * 1.2
    y = middle - block / 2
    government = fit_text(branding.government, room, gov_size)
    draw_text(image, (x_text, y), government, gov_size, False, on_band, "la")
    y += gov_size * 1.35
    for line in name_lines:
        draw_text(image, (x_text, y), line, name_size, True, on_band, "la")
        y += name_size * 1.2


def _carousel(image: Image.Image, draw: ImageDraw.ImageDraw, layout: Layout, branding: Branding,
              page: Page) -> None:
    """Dots under the card, and a nudge to swipe on every page but the last."""
    s = layout.preset.scale
    _x0, _y0, x1, y1 = layout.card
    y = y1 + round(24 * s)
    r = 6 * s
    x = layout.card[0] + r
    for n in range(1, page.count + 1):
        fill = branding.primary if n == page.number else GRID
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
        x += r * 3.2
    size = 21 * s
    draw_text(image, (x + 6 * s, y), f"{page.number}/{page.count}", size, True, MUTED, "lm")
    if page.number < page.count:
        draw_text(image, (x1, y), "Geser untuk lanjut ›", size, True, MUTED, "rm")


def _footer(image: Image.Image, draw: ImageDraw.ImageDraw, layout: Layout, branding: Branding) -> None:
    preset, s = layout.preset, layout.preset.scale
    left, _top, right, _bottom = preset.safe
    y = layout.footer_top
    rule = y - round(12 * s)
    draw.line((left, rule, preset.width - right, rule), fill=GRID, width=round(2 * s))
    size = 21 * s
    step = size * 1.45
    text_w = preset.width - left - right - (layout.qr_size + 28 * s if layout.qr_size else 0)
    for line in layout.source_lines:
        draw_text(image, (left, y), line, size, True, INK, "la")
        y += step
    if branding.processed_line:
        draw_text(image, (left, y), fit_text(branding.processed_line, text_w, size), size, False, MUTED, "la")
        y += step
    draw_text(image, (left, y), fit_text(data_line(branding), text_w, size), size, False, MUTED, "la")
    y += step
    if branding.public_url:
        url, prefix = _shown_url(branding.public_url), "Data lengkap: "
        url_size = size
        if text_width(prefix + url, size, True) > text_w:  # the address matters more than the words
            prefix = ""
            while url_size > 15 * s and text_width(url, url_size, True) > text_w:
                url_size -= 1
        if prefix:
            draw_text(image, (left, y), prefix, size, False, MUTED, "la")
        # The QR code beside it carries the full address if even the small type must be cut.
        shown = fit_text(url, text_w, url_size, True)
        draw_text(image, (left + text_width(prefix, size), y), shown, url_size, True,
                  _readable_on_light(branding.primary), "la")
        qr = _qr(branding.public_url, layout.qr_size)
        pad = round(4 * s)  # the white tile around the code stays inside the margin too
        x_qr, y_qr = preset.width - right - qr.width - pad, layout.footer_top
        tile = (x_qr - pad, y_qr - pad, x_qr + qr.width + pad, y_qr + qr.height + pad)
        _rounded(image, tile, 10 * s, "#ffffff")
        image.paste(qr, (x_qr, y_qr))

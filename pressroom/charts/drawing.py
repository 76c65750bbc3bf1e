"""Rows + spec + branding + preset -> finished PNGs with their alt text (the heavy half of charts).

One render: prepare the rows, lay out the frame, let the template draw the shapes on this
thread's reused Matplotlib Figure (fixed layout: no ``tight_layout``, no ``bbox_inches``),
take the pixels straight from Agg's buffer, let Pillow set the frame and every label, and
encode the PNG once. No timestamps or software tags are written, so identical inputs give
identical bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from PIL import Image

from pressroom.charts import frame
from pressroom.charts.canvas import Canvas
from pressroom.charts.prepare import Page, Prepared, prepare
from pressroom.charts.spec import DEFAULT_PRESET, PRESETS, Branding, ChartSpec, Preset, RenderedImage
from pressroom.charts.templates import DRAW
from pressroom.charts.text import alt_text, chart_subtitle

#: Measured on the 35-region carousel: level 3 encodes in ~25 ms where Pillow's default (6)
#: takes ~40 ms, for files ~12 % larger (~130 KB); the platforms re-encode them anyway.
PNG_OPTIONS = {"compress_level": 3}


def preset_named(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; one of {', '.join(PRESETS)}") from None


def render(rows: Iterable[Mapping], spec: ChartSpec, branding: Branding,
           preset: str = DEFAULT_PRESET) -> list[RenderedImage]:
    """Every image of the chart (one, or a carousel's pages), each with its alt text."""
    chosen = preset_named(preset)
    prepared = prepare(rows, spec, chosen)
    return [render_page(prepared, page, branding, chosen) for page in prepared.pages]


def render_page(prepared: Prepared, page: Page, branding: Branding, preset: Preset) -> RenderedImage:
    image = draw_page(prepared, page, branding, preset)
    return RenderedImage(encode_png(image), preset.width, preset.height, alt_text(prepared, page, branding),
                         preset.name, page.number, page.count)


def draw_page(prepared: Prepared, page: Page, branding: Branding, preset: Preset) -> Image.Image:
    spec = prepared.spec
    layout = frame.plan(preset, branding, spec.title, chart_subtitle(spec), carousel=page.count > 1)
    _x, _y, width, height = layout.chart
    canvas = Canvas(width, height, preset.scale)
    DRAW[spec.template](canvas, prepared, page)
    return frame.compose(layout, branding, canvas.to_image(), canvas.labels, page)


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **PNG_OPTIONS)
    return out.getvalue()

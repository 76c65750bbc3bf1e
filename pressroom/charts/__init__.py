"""Images Pressroom draws. Nothing here knows about the database: rows in, bytes out.

    images = render(rows, ChartSpec("ranked_bar", "Penduduk Jawa Tengah 2025", value_column=...,
                                    label_column=..., unit="jiwa"), branding, preset="portrait")
    images[0].png, images[0].alt_text      # a carousel gives several images
    draft_caption(rows, spec, branding)    # the post text, from the same numbers

Importing this package is light (no Matplotlib); ``render`` loads the renderer on first use.
"""

from pressroom.charts.cache import ImageCache, cache_key, rows_hash
from pressroom.charts.prepare import DataError
from pressroom.charts.spec import (
    ALT_TEXT_MAX,
    DEFAULT_PRESET,
    PRESETS,
    RENDERER_VERSION,
    TEMPLATES,
    Branding,
    ChartSpec,
    Preset,
    RenderedImage,
)
from pressroom.charts.text import alt_texts, draft_caption


def render(rows, spec: ChartSpec, branding: Branding, preset: str = DEFAULT_PRESET) -> list[RenderedImage]:
    """Every image of the chart (one, or a carousel's pages), each with its alt text."""
    from pressroom.charts.drawing import render as render_images

    return render_images(rows, spec, branding, preset)


__all__ = [
    "ALT_TEXT_MAX", "DEFAULT_PRESET", "PRESETS", "RENDERER_VERSION", "TEMPLATES", "Branding", "ChartSpec",
    "DataError", "ImageCache", "Preset", "RenderedImage", "alt_texts", "cache_key", "draft_caption", "render",
    "rows_hash",
]

"""A neutral generated logo for an OPD: its initials on a rounded square in its colours.

Real agency emblems are registered marks; the demo and any OPD without an uploaded logo
get this plainly generated one instead.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

_SKIP = {"dan", "&", "of", "and"}


def initials(short_name: str, limit: int = 3) -> str:
    """Initials for a logo: "Dinas Kesehatan" -> "DK"; a one-word name keeps 3 letters."""
    words = [w for w in short_name.replace("/", " ").split() if w.lower() not in _SKIP]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:limit].upper()
    return "".join(w[0] for w in words[:limit]).upper()


def _contrast_text(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 150 else "#111111"


def render_logo(short_name: str, primary: str, accent: str, size: int = 256) -> bytes:
    """Return PNG bytes of a square logo ``size`` pixels wide."""
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = big // 6
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=radius, fill=primary)
    band = big // 10
    draw.rectangle((radius // 2, big - band * 2, big - radius // 2, big - band - band // 2), fill=accent)
    text = initials(short_name)
    font = ImageFont.load_default(size=int(big * (0.42 if len(text) <= 2 else 0.32)))
    box = draw.textbbox((0, 0), text, font=font)
    width, height = box[2] - box[0], box[3] - box[1]
    draw.text(
        ((big - width) / 2 - box[0], (big - band * 2 - height) / 2 - box[1]),
        text,
        font=font,
        fill=_contrast_text(primary),
    )
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

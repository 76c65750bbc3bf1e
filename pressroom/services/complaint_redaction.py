"""Redacted public copies of report photos: areas a verifier marked (faces, number plates)
are blacked out with Pillow in a new JPEG; the original stays private."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from pressroom.models import ComplaintPhoto
from pressroom.storage import LocalStorage


def clean_boxes(raw, width: int, height: int) -> list[dict[str, int]]:
    """Boxes ``{"x", "y", "w", "h"}`` clipped to the image; malformed ones dropped."""
    boxes = []
    for box in raw or []:
        try:
            x, y, w, h = (int(round(float(box[k]))) for k in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError):
            continue
        x, y = max(0, min(x, width)), max(0, min(y, height))
        w, h = max(0, min(w, width - x)), max(0, min(h, height - y))
        if w and h:
            boxes.append({"x": x, "y": y, "w": w, "h": h})
    return boxes


def redact_photo(storage: LocalStorage, photo: ComplaintPhoto) -> str:
    """Write the public, redacted copy of ``photo``; return its public storage key."""
    with Image.open(io.BytesIO(storage.get(photo.storage_key))) as source:
        image = source.convert("RGB")
    photo.redactions = clean_boxes(photo.redactions, image.width, image.height)
    draw = ImageDraw.Draw(image)
    for box in photo.redactions:
        draw.rectangle((box["x"], box["y"], box["x"] + box["w"] - 1, box["y"] + box["h"] - 1), fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no EXIF written
    key = photo.storage_key.replace("complaints/", "complaints-public/", 1)
    storage.put(key, out.getvalue(), public=True)
    return key

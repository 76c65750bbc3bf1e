"""Helpers the public pages share (data centre, newsroom, Lapor Gub): absolute addresses for
link previews, cache headers, and how a chart image is shown."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from flask_login import current_user

from pressroom.models import DatasetImage
from pressroom.storage import get_storage

#: The side of the JPEG thumbnails the renderer stores beside each image.
THUMB_SIDE = 540
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
#: How long browsers and proxies may reuse a public page before asking again (seconds).
PAGE_MAX_AGE = 60


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute address under PRESSROOM_PUBLIC_URL (what link previews and embeds need)."""
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def page_cache(response: Response) -> Response:
    """Anonymous visitors share cacheable pages; a staff member's page (with their menu) is theirs."""
    response.vary.add("Cookie")
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response.headers["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
    return response


def _thumb_size(image: DatasetImage) -> tuple[int, int]:
    scale = min(1, THUMB_SIDE / max(image.width, image.height))
    return round(image.width * scale), round(image.height * scale)


def image_view(image: DatasetImage) -> dict[str, Any]:
    """What a template needs to show an image: the full PNG, its JPEG thumbnail, sizes, alt."""
    full = url_for("public.media", key=image.storage_key)
    view = {"src": full, "full": full, "width": image.width, "height": image.height, "alt": image.alt_text,
            "absolute": get_storage().public_url_for(image.storage_key), "thumb": None,
            "type": IMAGE_TYPES.get(image.storage_key.rsplit(".", 1)[-1].lower())}
    if image.thumb_key:
        thumb_width, thumb_height = _thumb_size(image)
        view.update(thumb=url_for("public.media", key=image.thumb_key), thumb_width=thumb_width,
                    thumb_height=thumb_height)
    return view

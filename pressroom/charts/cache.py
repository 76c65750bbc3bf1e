"""Rendered images kept by what made them, so nothing is drawn twice.

The key covers the dataset version, the spec, the preset, the branding (public URL included)
and the renderer version; the same key always means the same bytes. Entries live in the
storage interface (``pressroom.storage``): the PNGs and a manifest with their alt text,
written last, so a half-written entry is never read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping

from pressroom.charts.spec import DEFAULT_PRESET, RENDERER_VERSION, Branding, ChartSpec, RenderedImage


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def cache_key(version_hash: str, spec: ChartSpec, preset: str, branding: Branding,
              renderer_version: str = RENDERER_VERSION) -> str:
    """SHA-256 over everything that decides the pixels (the public URL is part of branding)."""
    payload = {"version": version_hash, "spec": spec.as_dict(), "preset": preset,
               "branding": branding.as_dict(), "public_url": branding.public_url,
               "renderer": renderer_version}
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()


def rows_hash(rows: Iterable[Mapping]) -> str:
    """A version hash from the rows themselves, for data that has no version of its own."""
    return hashlib.sha256(_canonical([dict(row) for row in rows]).encode()).hexdigest()


class ImageCache:
    """Rendered charts in a storage backend (``put``/``get``/``exists``), by ``cache_key``."""

    def __init__(self, storage, prefix: str = "charts", public: bool = False):
        self.storage, self.prefix, self.public = storage, prefix.strip("/"), public

    def _key(self, key: str, name: str) -> str:
        return f"{self.prefix}/{key[:2]}/{key}/{name}"

    def get(self, key: str) -> list[RenderedImage] | None:
        manifest_key = self._key(key, "manifest.json")
        if not self.storage.exists(manifest_key, public=self.public):
            return None
        manifest = json.loads(self.storage.get(manifest_key, public=self.public))
        images = []
        for entry in manifest["images"]:
            png = self.storage.get(self._key(key, entry["file"]), public=self.public)
            if hashlib.sha256(png).hexdigest() != entry["sha256"]:
                return None  # damaged: render again
            images.append(RenderedImage(png, entry["width"], entry["height"], entry["alt_text"],
                                        manifest["preset"], entry["page"], entry["pages"]))
        return images

    def put(self, key: str, images: list[RenderedImage]) -> None:
        entries = []
        for image in images:
            name = f"page-{image.page}.png"
            self.storage.put(self._key(key, name), image.png, public=self.public)
            entries.append({"file": name, "width": image.width, "height": image.height, "page": image.page,
                            "pages": image.pages, "alt_text": image.alt_text, "sha256": image.sha256})
        manifest = {"key": key, "renderer": RENDERER_VERSION, "preset": images[0].preset if images else "",
                    "images": entries}
        self.storage.put(self._key(key, "manifest.json"), _canonical(manifest).encode(), public=self.public)

    def storage_keys(self, key: str, images: list[RenderedImage]) -> list[str]:
        """Where each image of an entry lives (to hand out its URL)."""
        return [self._key(key, f"page-{image.page}.png") for image in images]

    def render(self, version_hash: str, rows: Iterable[Mapping], spec: ChartSpec, branding: Branding,
               preset: str = DEFAULT_PRESET, renderer: Callable[..., list[RenderedImage]] | None = None,
               ) -> list[RenderedImage]:
        """The cached images for this key, or render, store and return them."""
        key = cache_key(version_hash, spec, preset, branding)
        cached = self.get(key)
        if cached is not None:
            return cached
        if renderer is None:
            from pressroom.charts.drawing import render as renderer
        images = renderer(rows, spec, branding, preset)
        self.put(key, images)
        return images

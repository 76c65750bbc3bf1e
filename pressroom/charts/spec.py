"""What a chart is asked to be: the spec, the OPD's branding, size presets, the rendered image.

Plain values only (no Matplotlib here), so the web layer, the cache key and the alt text can
use them without importing the renderer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import string
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version

#: Bump when the drawing changes on purpose; library versions are part of the key too, so a
#: Matplotlib or Pillow upgrade (which may move a pixel) renders afresh rather than reusing.
LAYOUT_VERSION = 1
RENDERER_VERSION = f"charts-{LAYOUT_VERSION}+matplotlib-{version('matplotlib')}+pillow-{version('pillow')}"

TEMPLATES = (
    "ranked_bar",
    "line",
    "column",
    "big_number",
    "progress",
    "table",
    "project_progress",
    "project_summary",
)
MODES = ("auto", "all", "top", "carousel")
RESTS = ("sum", "mean", "none")
STATUSES = ("final", "sementara")
#: X and the Meta platforms accept up to 1,000 characters of alt text; so does ``post_image``.
ALT_TEXT_MAX = 1000


@dataclass(frozen=True)
class Preset:
    """An output size and the margins inside which nothing important is drawn."""

    name: str
    width: int
    height: int
    #: left, top, right, bottom insets (px) that stay free of text and data
    safe: tuple[int, int, int, int]
    #: bars/rows that fit legibly on one image; more become a carousel
    max_rows: int
    note: str

    @property
    def scale(self) -> float:
        """Type and spacing relative to the 1080-wide portrait."""
        return min(self.width, self.height * 1.2) / 1080


PRESETS: dict[str, Preset] = {
    # Instagram's profile grid shows posts cropped to 3:4: 34 px off each side of a 4:5 image,
    # 135 px off each side of a square one. Stories and WhatsApp Status put their own bars over
    # the top ~250 px and the bottom ~300 px.
    "portrait": Preset("portrait", 1080, 1350, (64, 0, 64, 36), 12,
                       "4:5 feed post (Instagram, Facebook); the default"),
    "square": Preset("square", 1080, 1080, (150, 0, 150, 32), 8, "1:1 feed post"),
    "landscape": Preset("landscape", 1600, 900, (64, 0, 64, 28), 8, "16:9 for X, Telegram, the web"),
    "story": Preset("story", 1080, 1920, (64, 250, 64, 300), 16,
                    "9:16 for Instagram Stories and WhatsApp Status (a download, not a feed post)"),
}
DEFAULT_PRESET = "portrait"


@dataclass(frozen=True)
class ChartSpec:
    """How to draw one dataset version: the template and which columns mean what."""

    template: str
    title: str
    #: the column holding the numbers (``realisasi_fisik`` for the project templates)
    value_column: str = ""
    #: the column naming each row: a region, a year, a project
    label_column: str = ""
    subtitle: str = ""
    #: shown after each value: "jiwa", "ton", "ha", "%", "Rp" (money goes before the number)
    unit: str = ""
    #: what one row is, for alt text and captions: "kabupaten/kota", "tahun", "proyek"
    entity: str = "kabupaten/kota"
    #: ranked_bar: auto (all if they fit, else a carousel), all, top (top_n + the rest), carousel
    mode: str = "auto"
    top_n: int = 10
    #: how the rows after the top N are summarised: sum (additive figures), mean (rates), none
    rest: str = "sum"
    #: rows per image in carousel mode; 0 means the preset's ``max_rows``
    page_size: int = 0
    #: progress: a column with each row's target, or one target for all rows
    target_column: str = ""
    target: float | None = None
    #: table: the columns to show and their headings (default: label and value)
    columns: tuple[str, ...] = ()
    column_titles: tuple[str, ...] = ()
    #: a row label to set in the accent colour (e.g. the region the post is about)
    highlight: str = ""
    #: "Kabupaten Cilacap" -> "Kab. Cilacap" on bars (alt text and captions keep full names)
    short_labels: bool = True

    def __post_init__(self):
        for name in ("value_column", "label_column", "subtitle", "unit", "target_column", "highlight"):
            if getattr(self, name) is None:  # a dataset setting left empty
                object.__setattr__(self, name, "")
        if self.template not in TEMPLATES:
            raise ValueError(f"unknown chart template {self.template!r}; one of {', '.join(TEMPLATES)}")
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; one of {', '.join(MODES)}")
        if self.rest not in RESTS:
            raise ValueError(f"unknown rest {self.rest!r}; one of {', '.join(RESTS)}")
        if self.top_n < 1 or self.page_size < 0:
            raise ValueError("top_n must be at least 1 and page_size not negative")
        if self.column_titles and len(self.column_titles) != len(self.columns):
            raise ValueError("column_titles must name every one of columns")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Branding:
    """Who speaks and where the data comes from: drawn on every image's frame."""

    #: the OPD's name as the public knows it: "Dinas Pertanian dan Perkebunan"
    opd_name: str
    primary: str = "#1f4e79"
    accent: str = "#f2a900"
    #: the OPD's logo (PNG); None draws the generated initials logo (``charts.logo``)
    logo_png: bytes | None = field(default=None, repr=False)
    #: "BPS Jawa Tengah" or "Sumber: BPS Jawa Tengah"
    source: str = ""
    #: "Diskominfo Jateng" or "Diolah oleh Diskominfo Jateng"
    processed_by: str = ""
    #: the date the figures describe ("Data per 1 Maret 2025")
    data_date: date | None = None
    #: final, or sementara (provisional figures, BPS's "angka sementara")
    status: str = "final"
    #: the dataset's public page; drawn as a QR code and as text
    public_url: str = ""
    government: str = "Pemerintah Provinsi Jawa Tengah"

    def __post_init__(self):
        for name in ("source", "processed_by", "public_url", "government"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, "")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {', '.join(STATUSES)}")
        for name in ("primary", "accent"):
            value = getattr(self, name)
            if len(value) != 7 or value[0] != "#" or not all(c in string.hexdigits for c in value[1:]):
                raise ValueError(f"{name} must be a colour like #1f4e79, not {value!r}")

    @property
    def source_line(self) -> str:
        text = self.source.strip()
        return text if not text or text.lower().startswith("sumber") else f"Sumber: {text}"

    @property
    def processed_line(self) -> str:
        text = self.processed_by.strip()
        return text if not text or text.lower().startswith("diolah") else f"Diolah oleh {text}"

    def as_dict(self) -> dict:
        """Everything that shows on the image; the logo by its hash."""
        values = dataclasses.asdict(self)
        values["logo_png"] = hashlib.sha256(self.logo_png).hexdigest() if self.logo_png else None
        values["data_date"] = self.data_date.isoformat() if self.data_date else None
        return values


@dataclass(frozen=True)
class RenderedImage:
    """One finished image: PNG bytes and the alt text that goes with it (editable)."""

    png: bytes = field(repr=False)
    width: int
    height: int
    alt_text: str
    preset: str = DEFAULT_PRESET
    #: 1-based position in a carousel, and how many images it has
    page: int = 1
    pages: int = 1

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()

    def with_alt_text(self, text: str) -> RenderedImage:
        """The same image with alt text a person edited."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("alt text may not be empty")
        if len(text) > ALT_TEXT_MAX:
            raise ValueError(f"alt text is limited to {ALT_TEXT_MAX} characters")
        return dataclasses.replace(self, alt_text=text)

    def thumbnail(self, max_side: int = 540, fmt: str = "JPEG", quality: int = 82) -> bytes:
        """A light preview for phone screens (JPEG or WebP), at most ``max_side`` px."""
        from PIL import Image

        with Image.open(io.BytesIO(self.png)) as image:
            image = image.convert("RGB")
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, format=fmt, quality=quality)
        return out.getvalue()

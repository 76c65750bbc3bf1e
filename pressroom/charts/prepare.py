"""From rows to what each image shows: ranked, ordered by period with gaps, paged.

The drawing (``templates``) and the words (``text``) both read the same ``Prepared`` value,
so the alt text and the caption always name the numbers that are on the image.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from pressroom.charts.spec import ChartSpec, Preset

#: Cells that mean "no figure" in a dataset.
MISSING = {"", "-", "–", "—", "na", "n/a", "null", "none", "tidak ada data"}
#: Labels read as years when every label is one (then a skipped year is a gap).
YEARS = range(1900, 2101)
PROJECT_DEFAULTS = {"label": "proyek", "value": "realisasi_fisik"}
SERIES_TEMPLATES = {"line", "column", "big_number"}
PAGED_TEMPLATES = {"ranked_bar", "table", "progress", "project_progress"}


class DataError(ValueError):
    """Rows that cannot be drawn as asked (a column missing, a cell that is not a number)."""


def to_number(value, column: str = "") -> float | None:
    """A cell as a float; None for an empty or missing cell. Machine format only ("806139.40")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DataError(f"kolom {column}: {value!r} bukan angka")
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    try:
        number = float(text)
    except ValueError:
        raise DataError(f"kolom {column}: {text!r} bukan angka") from None
    return None if math.isnan(number) else number


def to_date(value, column: str = "") -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise DataError(f"kolom {column}: {text!r} bukan tanggal (YYYY-MM-DD)") from None


def short_label(label: str) -> str:
    """A region's name as bars and table cells show it: "Kabupaten Cilacap" -> "Kab. Cilacap"."""
    if label.startswith("Kabupaten "):
        return "Kab. " + label[len("Kabupaten "):]
    return label


@dataclass(frozen=True)
class Item:
    """One row as drawn: a label and its value (None: no data)."""

    label: str
    value: float | None
    #: 1-based rank in a ranking (0 when the template does not rank)
    rank: int = 0
    #: value | missing (no figure) | rest (the rows after the top N, summarised)
    kind: str = "value"
    target: float | None = None
    #: how many rows a "rest" item stands for
    count: int = 1
    row: Mapping = field(default_factory=dict, compare=False, repr=False)

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Page:
    """What one image of a carousel shows."""

    items: tuple[Item, ...]
    number: int = 1
    count: int = 1
    rest: Item | None = None

    @property
    def first_rank(self) -> int:
        return self.items[0].rank if self.items else 0


@dataclass(frozen=True)
class Prepared:
    spec: ChartSpec
    #: every row in template order: ranked (largest first) or by period (gaps included)
    items: tuple[Item, ...]
    pages: tuple[Page, ...]
    #: rows without a figure, in a ranking (by period they stay in ``items`` as gaps)
    missing: tuple[Item, ...] = ()
    #: the resolved mode of a ranked bar (all, top or carousel)
    mode: str = "all"

    @property
    def values(self) -> list[Item]:
        return [item for item in self.items if item.value is not None]

    @property
    def largest(self) -> Item | None:
        """The row with the largest figure (first in order on a tie)."""
        values = self.values
        return max(values, key=lambda item: item.value) if values else None

    @property
    def smallest(self) -> Item | None:
        values = self.values
        return min(values, key=lambda item: item.value) if values else None

    @property
    def scale(self) -> tuple[float, float]:
        """The value span every page draws on (shared, so pages compare honestly)."""
        values = [item.value for item in self.items if item.value is not None]
        if self.spec.template in {"progress", "project_progress"}:
            values += [item.target for item in self.items if item.target is not None]
        if not values:
            return 0.0, 1.0
        low, high = min(0.0, min(values)), max(0.0, max(values))
        return (low, high) if high > low else (low, low + 1.0)


def _column(rows: list[Mapping], name: str, what: str) -> str:
    if not name:
        raise DataError(f"spesifikasi grafik tidak menyebut kolom {what}")
    if rows and name not in rows[0]:
        raise DataError(f"kolom {name!r} tidak ada dalam data (kolom: {', '.join(rows[0])})")
    return name


def _columns(rows: list[Mapping], spec: ChartSpec) -> tuple[str, str]:
    label, value = spec.label_column, spec.value_column
    if spec.template.startswith("project_"):
        label, value = label or PROJECT_DEFAULTS["label"], value or PROJECT_DEFAULTS["value"]
    return _column(rows, label, "label"), _column(rows, value, "nilai")


def _label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def _target(row: Mapping, spec: ChartSpec) -> float | None:
    if spec.target_column:
        return to_number(row.get(spec.target_column), spec.target_column)
    if spec.template.startswith("project_"):
        return to_number(row.get("target"), "target")
    return spec.target


def ranked(rows: list[Mapping], spec: ChartSpec) -> tuple[list[Item], list[Item]]:
    """Rows with a figure, largest first (ties by label), and the rows without one."""
    label_col, value_col = _columns(rows, spec)
    values, missing = [], []
    for row in rows:
        item = Item(_label(row.get(label_col)), to_number(row.get(value_col), value_col), row=row)
        (missing if item.missing else values).append(item)
    values.sort(key=lambda item: (-item.value, item.label))
    ranked_items = [Item(i.label, i.value, rank=n, row=i.row) for n, i in enumerate(values, start=1)]
    missing_items = [Item(i.label, None, kind="missing", row=i.row)
                     for i in sorted(missing, key=lambda i: i.label)]
    return ranked_items, missing_items


def series(rows: list[Mapping], spec: ChartSpec) -> list[Item]:
    """Rows by period. When every label is a year, the years in between that have no row are
    added as gaps (``kind="missing"``): a missing year is shown, never bridged."""
    label_col, value_col = _columns(rows, spec)
    items = [Item(_label(row.get(label_col)), to_number(row.get(value_col), value_col), row=row)
             for row in rows]
    labels = [item.label for item in items]
    if len(set(labels)) != len(labels):
        raise DataError(f"kolom {label_col}: periode yang sama muncul lebih dari sekali")
    if items and all(label.isdigit() and int(label) in YEARS for label in labels):
        by_year = {int(item.label): item for item in items}
        items = [by_year.get(year) or Item(str(year), None)
                 for year in range(min(by_year), max(by_year) + 1)]
    return [item if item.value is not None else Item(item.label, None, kind="missing", row=item.row)
            for item in items]


def in_order(rows: list[Mapping], spec: ChartSpec) -> list[Item]:
    """Rows as given (tables, progress, projects), each with its target."""
    label_col, value_col = _columns(rows, spec)
    items = []
    for row in rows:
        value = to_number(row.get(value_col), value_col)
        items.append(Item(_label(row.get(label_col)), value, kind="value" if value is not None else "missing",
                          target=_target(row, spec), row=row))
    return items


def _chunks(items: list[Item], size: int) -> list[tuple[Item, ...]]:
    size = max(1, size)
    count = max(1, math.ceil(len(items) / size))
    # Pages as even as the count allows: 25 rows at 12 a page are 9 + 9 + 7, not 12 + 12 + 1.
    per_page = math.ceil(len(items) / count) if items else 1
    return [tuple(items[i:i + per_page]) for i in range(0, len(items), per_page)] or [()]


def rows_per_page(spec: ChartSpec, preset: Preset) -> int:
    if spec.template == "project_progress":
        return spec.page_size or max(2, preset.max_rows * 2 // 5)
    if spec.template == "progress":
        return spec.page_size or max(2, preset.max_rows // 2)
    return spec.page_size or preset.max_rows


def prepare(rows: Iterable[Mapping], spec: ChartSpec, preset: Preset) -> Prepared:
    rows = list(rows)
    if not rows:
        raise DataError("tidak ada baris data untuk digambar")
    if spec.template in SERIES_TEMPLATES:
        items = series(rows, spec)
        if all(item.missing for item in items):
            raise DataError("tidak ada satu pun nilai untuk digambar")
        return Prepared(spec, tuple(items), (Page(tuple(items)),))
    if spec.template == "ranked_bar":
        return _prepare_ranked(rows, spec, preset)
    items = in_order(rows, spec)
    if spec.template == "project_summary":
        return Prepared(spec, tuple(items), (Page(tuple(items)),))
    chunks = _chunks(items, rows_per_page(spec, preset))
    pages = tuple(Page(chunk, n, len(chunks)) for n, chunk in enumerate(chunks, start=1))
    return Prepared(spec, tuple(items), pages, mode="carousel" if len(pages) > 1 else "all")


def _prepare_ranked(rows: list[Mapping], spec: ChartSpec, preset: Preset) -> Prepared:
    items, missing = ranked(rows, spec)
    if not items:
        raise DataError("tidak ada satu pun nilai untuk digambar")
    shown = items + missing
    mode = spec.mode
    if mode == "auto":
        mode = "all" if len(shown) <= preset.max_rows else "carousel"
    if mode == "top":
        top = min(spec.top_n, preset.max_rows - 1)
        if top >= len(items):
            mode = "all"
        else:
            others = items[top:]
            total = sum(item.value for item in others)
            value = {"sum": total, "mean": total / len(others), "none": None}[spec.rest]
            rest = Item(f"{len(others)} {spec.entity} lainnya", value, kind="rest", count=len(others))
            return Prepared(spec, tuple(items), (Page(tuple(items[:top]), rest=rest),), tuple(missing), "top")
    if mode == "carousel":
        chunks = _chunks(shown, spec.page_size or preset.max_rows)
        pages = tuple(Page(chunk, n, len(chunks)) for n, chunk in enumerate(chunks, start=1))
        return Prepared(spec, tuple(items), pages, tuple(missing), "carousel" if len(pages) > 1 else "all")
    return Prepared(spec, tuple(items), (Page(tuple(shown)),), tuple(missing), "all")

"""A dataset's column schema, and validating an update's rows against it.

``validate`` takes rows as mappings of column name → cell (``Preview.records()``, or JSON
objects) and returns the clean rows — typed values keyed by the schema's column names:
``str``, ``int``, ``Decimal``, ``date`` or None — and the errors, each with the row number as
the person sees it (in the file, or the position in a JSON list), the column as the update
names it, a stable code and a message in the reader's language. An update with any error
must not become a version; the clean rows are only those without errors.

Columns match by name, ignoring case, spaces, ``_`` and punctuation ("Realisasi Fisik (%)"
is ``realisasi_fisik``), and by a column's aliases. Region codes are the 35 BPS
kabupaten/kota codes of Jawa Tengah from ``pressroom/data/jateng_kabkota_2025.csv``;
``3301`` and ``33.01`` are the same code, stored as ``"3301"``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pressroom.datasets.tables import Preview, mixed_format_error
from pressroom.datasets.values import (
    EXAMPLES,
    PLAIN,
    Cell,
    CellProblem,
    cell_text,
    decide_number_format,
    decimal_text,
    is_missing,
    native_number,
    parse_date,
    parse_number,
)
from pressroom.i18n import _l

TYPES = ("text", "integer", "decimal", "percent", "date", "year", "region_code")
NUMERIC_TYPES = ("integer", "decimal", "percent")
TYPE_LABELS = {
    "text": _l("text"),
    "integer": _l("whole number"),
    "decimal": _l("number"),
    "percent": _l("percentage"),
    "date": _l("date"),
    "year": _l("year"),
    "region_code": _l("kabupaten/kota code"),
}
#: Longest text in a cell.
MAX_TEXT = 2000
YEARS = (1900, 2100)
REGION_FILE = Path(__file__).resolve().parent.parent / "data" / "jateng_kabkota_2025.csv"


def name_key(name: str) -> str:
    """How column names are compared: case, spaces, ``_`` and punctuation ignored."""
    return " ".join(re.sub(r"[\W_]+", " ", name.casefold()).split())


# Regions ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def region_codes() -> dict[str, str]:
    """The 35 BPS kabupaten/kota codes of Jawa Tengah → their names."""
    with REGION_FILE.open(encoding="utf-8", newline="") as fh:
        return {row["kode_bps"]: row["nama_kabupaten_kota"] for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def region_code_ranges() -> str:
    """The codes as runs, for messages: ``3301–3329, 3371–3376``."""
    codes = sorted(int(c) for c in region_codes())
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in runs)


def normalise_region_code(value: Cell) -> str | None:
    """``3301``, ``"3301"``, ``"33.01"``, ``33.01`` → ``"3301"``; None for anything else."""
    number = native_number(value)
    if number is not None:
        text = decimal_text(number)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    match = re.fullmatch(r"(\d{2})[.\s-]?(\d{2})", text)
    return match[1] + match[2] if match else None


# Schema -------------------------------------------------------------------------------------------
def _decimal_or_none(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = native_number(value) if not isinstance(value, str) else Decimal(value)
    if number is None:
        raise ValueError(f"not a number: {value!r}")
    return number


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str = "text"
    required: bool = False
    #: Allowed values of a text column (matched ignoring case), or the subset of region codes
    #: a region_code column takes (None: all 35).
    allowed: tuple[str, ...] | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    #: Other names the column goes by in files (matched like the name).
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown column type {self.type!r}")
        if not self.name.strip():
            raise ValueError("a column needs a name")
        if self.allowed is not None:
            object.__setattr__(self, "allowed", tuple(str(a) for a in self.allowed))
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(self, "minimum", _decimal_or_none(self.minimum))
        object.__setattr__(self, "maximum", _decimal_or_none(self.maximum))

    def matches(self, name: str) -> bool:
        key = name_key(name)
        return key == name_key(self.name) or any(key == name_key(a) for a in self.aliases)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "required": self.required,
            "allowed": list(self.allowed) if self.allowed is not None else None,
            "minimum": decimal_text(self.minimum) if self.minimum is not None else None,
            "maximum": decimal_text(self.maximum) if self.maximum is not None else None,
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        allowed = data.get("allowed")
        return cls(name=str(data["name"]), type=str(data.get("type", "text")),
                   required=bool(data.get("required")),
                   allowed=tuple(allowed) if allowed is not None else None, minimum=data.get("minimum"),
                   maximum=data.get("maximum"), aliases=tuple(data.get("aliases") or ()))


@dataclass(frozen=True)
class Schema:
    columns: tuple[ColumnSpec, ...]
    #: The column that identifies a row (unique, required): diffs pair rows by it.
    key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        keys = [name_key(c.name) for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError("two columns of a schema have the same name")
        if self.key is not None and self.column(self.key) is None:
            raise ValueError(f"the key {self.key!r} is not a column")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec | None:
        """The column a file's ``name`` stands for (by name first, then by alias)."""
        key = name_key(name)
        for spec in self.columns:
            if name_key(spec.name) == key:
                return spec
        for spec in self.columns:
            if spec.matches(name):
                return spec
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        return cls(tuple(ColumnSpec.from_dict(c) for c in data["columns"]), key=data.get("key"))


#: Progress of development projects, as OPDs (Dinas PU, Bappeda) report it.
PROGRES_PEMBANGUNAN = Schema((
    ColumnSpec("proyek", "text", required=True,
               aliases=("nama proyek", "kegiatan", "nama kegiatan", "paket", "nama paket", "project")),
    ColumnSpec("kode_kabkota", "region_code", required=True,
               aliases=("kode kabupaten kota", "kode kab kota", "kode bps", "kode wilayah", "kabkota code")),
    ColumnSpec("target", "percent", minimum=0, maximum=100, aliases=("target fisik",)),
    ColumnSpec("realisasi_fisik", "percent", required=True, minimum=0, maximum=100,
               aliases=("fisik", "progres fisik", "physical realisation")),
    ColumnSpec("realisasi_keuangan", "percent", minimum=0, maximum=100,
               aliases=("keuangan", "realisasi anggaran", "financial realisation")),
    ColumnSpec("tanggal", "date", required=True,
               aliases=("per tanggal", "tanggal data", "tanggal update", "date")),
    ColumnSpec("status", "text", aliases=("status proyek", "keterangan status")),
), key="proyek")

BUILTIN_SCHEMAS = {"progres_pembangunan": PROGRES_PEMBANGUNAN}


# Inference -------------------------------------------------------------------------------------
_YEAR_WORDS = {"tahun", "year", "thn", "th"}
_PERCENT_WORDS = {"persen", "persentase", "percent", "percentage", "pct"}


def infer_schema(preview: Preview) -> Schema:
    """A first schema for a new dataset, from what its first upload holds: types from the
    columns' contents (and year/percent hints in their names); the key is a kabupaten/kota code
    column, or else the first column whose values are all present and distinct. Only the key is
    required: a later update may leave a cell empty."""
    specs = []
    unique: list[str] = []
    for index, column in enumerate(preview.columns):
        values = [row[index] for row in preview.rows]
        present = [v for v in values if not is_missing(v)]
        words = set(name_key(column.name).split())
        kind = column.kind
        type_ = {"empty": "text"}.get(kind, kind)
        if present and kind in ("text", "integer", "decimal") and all(
                normalise_region_code(v) in region_codes() for v in present):
            type_ = "region_code"
        elif kind == "integer" and words & _YEAR_WORDS and all(_is_year(v) for v in present):
            type_ = "year"
        elif kind in ("integer", "decimal") and (words & _PERCENT_WORDS or "%" in column.name):
            type_ = "percent"
        specs.append(ColumnSpec(column.name, type_))
        texts = [cell_text(v, limit=None).casefold() for v in values]
        if len(present) == len(values) and len(set(texts)) == len(texts) and kind != "empty":
            unique.append(column.name)
    region_keys = [s.name for s in specs if s.type == "region_code" and s.name in unique]
    key = (region_keys or unique or [None])[0]
    specs = [ColumnSpec(s.name, s.type, required=True) if s.name == key else s for s in specs]
    return Schema(tuple(specs), key=key)


def _is_year(value: Cell) -> bool:
    number = native_number(value)
    if number is None and isinstance(value, str) and value.strip().isdigit():
        number = Decimal(value.strip())
    return number is not None and number == int(number) and YEARS[0] <= number <= YEARS[1]


# Validation ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    #: Row number as the person sees it (None: the whole column or update).
    row: int | None
    #: The column as the update names it (None: the whole row or update).
    column: str | None
    code: str
    message: object

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": str(self.message)}


def validate(rows: Iterable[Mapping[str, Cell]], schema: Schema, *, row_numbers: Iterable[int] | None = None,
             number_formats: Mapping[str, str] | None = None) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Check every row against ``schema``; return (clean rows, errors).

    ``row_numbers`` are the rows' numbers as the person sees them (default 1, 2, …);
    ``number_formats`` maps a column name to id | en | plain as the preview decided or the
    person chose; a numeric column not in it is decided here from all its cells."""
    rows = list(rows)
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, len(rows) + 1))
    if len(numbers) != len(rows):
        raise ValueError("one row number per row")
    errors: list[RowError] = []
    present: dict[str, None] = {}
    for row in rows:
        present.update(dict.fromkeys(row))
    source: dict[str, str] = {}  # schema column → the update's column
    for name in present:
        spec = schema.column(name)
        if spec is None:
            errors.append(RowError(None, name, "unknown_column", _l(
                "The column “%(column)s” is not one of the dataset's columns (%(columns)s). A new column "
                "changes the dataset's schema, which needs approval first.",
                column=name, columns=", ".join(schema.names))))
        elif spec.name in source:
            errors.append(RowError(None, name, "duplicate_header", _l(
                "The columns “%(first)s” and “%(second)s” both stand for “%(column)s”. Keep one of them.",
                first=source[spec.name], second=name, column=spec.name)))
        else:
            source[spec.name] = name
    for spec in schema.columns:
        if spec.name not in source and (spec.required or spec.name == schema.key):
            errors.append(RowError(None, spec.name, "missing_column", _l(
                "The required column “%(column)s” is missing.", column=spec.name)))
    styles: dict[str, str] = {}
    for spec in schema.columns:
        name = source.get(spec.name)
        if name is None or spec.type not in NUMERIC_TYPES:
            continue
        chosen = (number_formats or {}).get(name)
        if chosen in ("id", "en", PLAIN):
            styles[spec.name] = chosen
            continue
        fmt = decide_number_format([row.get(name) for row in rows])
        if fmt.conflict:
            problem = mixed_format_error(name, fmt, numbers)
            errors.append(RowError(None, name, problem.code, problem.message))
        else:
            styles[spec.name] = fmt.style
    skip = {s.name for s in schema.columns if s.type in NUMERIC_TYPES and s.name in source
            and s.name not in styles}
    clean: list[dict[str, Any]] = []
    seen_keys: dict[str, int] = {}
    for number, row in zip(numbers, rows, strict=True):
        out: dict[str, Any] = {}
        ok = True
        for spec in schema.columns:
            name = source.get(spec.name)
            if name is None or spec.name in skip:
                out[spec.name] = None
                continue
            value = row.get(name)
            try:
                out[spec.name] = convert(value, spec, styles.get(spec.name, PLAIN),
                                         required=spec.required or spec.name == schema.key)
            except CellProblem as problem:
                errors.append(RowError(number, name, problem.code, _cell_message(problem, value, spec,
                                                                                 styles.get(spec.name))))
                ok = False
        if schema.key is not None and out.get(schema.key) is not None:
            key = cell_text(out[schema.key], limit=None).casefold()
            if key in seen_keys:
                errors.append(RowError(number, source[schema.key], "duplicate_key", _l(
                    "“%(value)s” is already in row %(row)s; every row needs its own “%(column)s”.",
                    value=cell_text(out[schema.key], 40), row=seen_keys[key], column=source[schema.key])))
                ok = False
            else:
                seen_keys[key] = number
        if ok:
            clean.append(out)
    return clean, errors


def validate_preview(preview: Preview, schema: Schema) -> tuple[list[dict[str, Any]], list[RowError]]:
    """``validate`` with the preview's rows, row numbers and per-column number formats."""
    return validate(preview.records(), schema, row_numbers=preview.row_numbers,
                    number_formats=preview.number_formats)


class _OutOfRange(CellProblem):
    def __init__(self, number: Decimal, bound: str):
        super().__init__("out_of_range")
        self.number, self.bound = number, bound


def convert(value: Cell, spec: ColumnSpec, style: str = PLAIN, *, required: bool = False) -> Any:
    """One cell as the column's type; raise CellProblem saying why it does not fit."""
    if is_missing(value):
        if required or spec.required:
            raise CellProblem("required")
        return None
    kind = spec.type
    if kind == "text":
        text = cell_text(value, limit=None)
        if len(text) > MAX_TEXT:
            raise CellProblem("too_long")
        if spec.allowed is not None:
            for allowed in spec.allowed:
                if allowed.casefold() == text.casefold():
                    return allowed
            raise CellProblem("not_allowed")
        return text
    if kind == "date":
        return parse_date(value)
    if kind == "region_code":
        code = normalise_region_code(value)
        if code not in region_codes() or (spec.allowed is not None and code not in spec.allowed):
            raise CellProblem("unknown_region_code")
        return code
    if kind == "year":
        if not _is_year(value):
            raise CellProblem("not_a_year")
        return int(native_number(value) if native_number(value) is not None else str(value).strip())
    number, percent = parse_number(value, style)
    if percent and kind != "percent":
        raise CellProblem("not_a_number")
    if spec.minimum is not None and number < spec.minimum:
        raise _OutOfRange(number, "minimum")
    if spec.maximum is not None and number > spec.maximum:
        raise _OutOfRange(number, "maximum")
    if kind == "integer":
        if number != number.to_integral_value():
            raise CellProblem("not_an_integer")
        return int(number)
    return number


def _cell_message(problem: CellProblem, value: Cell, spec: ColumnSpec, style: str | None) -> object:
    text = cell_text(value, 40)
    code = problem.code
    if code == "required":
        return _l("A value is required in this column.")
    if code == "too_long":
        return _l("The text is longer than %(limit)s characters.", limit=MAX_TEXT)
    if code == "not_allowed":
        return _l("“%(value)s” is not one of the allowed values: %(allowed)s.", value=text,
                  allowed=", ".join(spec.allowed or ()))
    if code == "not_a_date":
        return _l("“%(value)s” is not a date. Write dates like 1 Maret 2025, 01/03/2025 or 2025-03-01.",
                  value=text)
    if code == "unknown_region_code":
        if spec.allowed is not None and normalise_region_code(value) in region_codes():
            return _l("“%(value)s” is not one of the kabupaten/kota this column allows (%(allowed)s).",
                      value=text, allowed=", ".join(spec.allowed))
        return _l("“%(value)s” is not the BPS code of one of the %(count)s kabupaten/kota of Jawa Tengah "
                  "(%(ranges)s).", value=text, count=len(region_codes()), ranges=region_code_ranges())
    if code == "not_a_year":
        return _l("“%(value)s” is not a year (%(first)s–%(last)s).", value=text, first=YEARS[0],
                  last=YEARS[1])
    if code == "not_an_integer":
        return _l("“%(value)s” is not a whole number.", value=text)
    if code == "number_format":
        return _l("“%(value)s” is not written like the other numbers in this column (%(example)s).",
                  value=text, example=EXAMPLES.get(style or PLAIN, EXAMPLES["id"]))
    if isinstance(problem, _OutOfRange):
        if problem.bound == "minimum":
            return _l("%(value)s is less than %(minimum)s, the smallest value this column allows.",
                      value=text, minimum=decimal_text(spec.minimum))
        return _l("%(value)s is more than %(maximum)s, the largest value this column allows.",
                  value=text, maximum=decimal_text(spec.maximum))
    if spec.type == "percent":
        return _l("“%(value)s” is not a percentage.", value=text)
    return _l("“%(value)s” is not a number.", value=text)


# Schema changes -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemaChange:
    kind: str  # added | removed | type | required | allowed | range | key
    column: str | None
    old: Any = None
    new: Any = None
    message: object = field(default=None, compare=False)


def schema_changed(old: Schema, new: Schema) -> list[SchemaChange]:
    """What differs between two schemas, column by column (empty: the same schema). Any change
    is held for a person's approval before an update under the new schema replaces a version."""
    changes: list[SchemaChange] = []
    old_by = {name_key(c.name): c for c in old.columns}
    new_by = {name_key(c.name): c for c in new.columns}
    for key, spec in old_by.items():
        if key not in new_by:
            changes.append(SchemaChange("removed", spec.name, message=_l(
                "The column “%(column)s” is removed.", column=spec.name)))
    for key, spec in new_by.items():
        before = old_by.get(key)
        if before is None:
            changes.append(SchemaChange("added", spec.name, new=spec.type, message=_l(
                "New column “%(column)s” (%(type)s).", column=spec.name, type=TYPE_LABELS[spec.type])))
            continue
        if before.type != spec.type:
            changes.append(SchemaChange("type", spec.name, before.type, spec.type, _l(
                "The column “%(column)s” changes from %(old)s to %(new)s.", column=spec.name,
                old=TYPE_LABELS[before.type], new=TYPE_LABELS[spec.type])))
        if before.required != spec.required:
            message = (_l("The column “%(column)s” becomes required.", column=spec.name) if spec.required
                       else _l("The column “%(column)s” is no longer required.", column=spec.name))
            changes.append(SchemaChange("required", spec.name, before.required, spec.required, message))
        if before.allowed != spec.allowed:
            changes.append(SchemaChange("allowed", spec.name, before.allowed, spec.allowed, _l(
                "The allowed values of the column “%(column)s” change.", column=spec.name)))
        if (before.minimum, before.maximum) != (spec.minimum, spec.maximum):
            changes.append(SchemaChange("range", spec.name, (before.minimum, before.maximum),
                                        (spec.minimum, spec.maximum), _l(
                "The allowed range of the column “%(column)s” changes.", column=spec.name)))
    old_key = name_key(old.key) if old.key else None
    new_key = name_key(new.key) if new.key else None
    if old_key != new_key:
        changes.append(SchemaChange("key", None, old.key, new.key, _l(
            "The key column changes from “%(old)s” to “%(new)s”.", old=old.key or "—", new=new.key or "—")))
    return changes

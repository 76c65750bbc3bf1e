"""A version's content: canonical rows, the content hash, and the diff against the previous version.

Rows here are clean rows from ``schema.validate`` (typed values keyed by column name).

The canonical form of a value is text that no longer shows how a file wrote it: numbers in
plain notation without trailing zeros (``1.234.567,50`` and ``1234567.5`` are both
``1234567.5``), dates in ISO, text NFC-normalised with runs of whitespace collapsed.

``content_hash`` is the SHA-256 of the schema's column names and types and the *multiset*
of canonical rows: row order does not count (a re-export sorted differently is the same
content), repeated rows do. So an update that only reformats numbers, changes whitespace or
reorders rows has the same hash and must create no new version; renaming a column or
changing its type gives a new hash.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pressroom.datasets.schema import NUMERIC_TYPES, Schema
from pressroom.datasets.values import decimal_text, native_number
from pressroom.i18n import _l

#: Numeric moves listed per column, largest first.
MOVERS = 5


def canonical_value(value: Any) -> str | None:
    """A value as canonical text (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    number = native_number(value)
    if number is not None:
        return decimal_text(number)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def canonical_rows(rows: Iterable[Mapping[str, Any]], schema: Schema) -> list[list[str | None]]:
    """Each row as a list of canonical values in the schema's column order."""
    names = schema.names
    return [[canonical_value(row.get(name)) for name in names] for row in rows]


def content_hash(rows: Iterable[Mapping[str, Any]], schema: Schema) -> str:
    """The hex SHA-256 of the content (see the module's docstring for what counts)."""
    lines = sorted(json.dumps(row, ensure_ascii=False, separators=(",", ":"))
                   for row in canonical_rows(rows, schema))
    columns = [[c.name, c.type] for c in schema.columns]
    digest = hashlib.sha256()
    digest.update(json.dumps(columns, ensure_ascii=False, separators=(",", ":")).encode())
    for line in lines:
        digest.update(b"\n" + line.encode())
    return digest.hexdigest()


def json_value(value: Any) -> Any:
    """A clean value for JSON: Decimal as exact text, dates in ISO, the rest as is."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def rows_to_json(rows: Iterable[Mapping[str, Any]], schema: Schema) -> list[dict[str, Any]]:
    """Clean rows as JSON-able objects (what a version stores)."""
    return [{name: json_value(row.get(name)) for name in schema.names} for row in rows]


def rows_from_json(data: Iterable[Mapping[str, Any]], schema: Schema) -> list[dict[str, Any]]:
    """The inverse of rows_to_json: typed values again."""
    types = {c.name: c.type for c in schema.columns}
    out = []
    for row in data:
        clean: dict[str, Any] = {}
        for name, kind in types.items():
            value = row.get(name)
            if value is None:
                clean[name] = None
            elif kind in ("integer", "year"):
                clean[name] = int(value)
            elif kind in ("decimal", "percent"):
                clean[name] = Decimal(str(value))
            elif kind == "date":
                clean[name] = date.fromisoformat(value)
            else:
                clean[name] = str(value)
        out.append(clean)
    return out


# Diff ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellChange:
    column: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ChangedRow:
    key: str
    changes: tuple[CellChange, ...]


@dataclass(frozen=True)
class Move:
    """A number that changed: by how much, and relative to its old value (None from zero)."""

    key: str
    column: str
    old: Decimal
    new: Decimal
    change: Decimal
    relative: Decimal | None


@dataclass
class Diff:
    key: str | None
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    unchanged: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    #: Per numeric column, the largest moves by absolute change and by relative change.
    movers_absolute: dict[str, list[Move]] = field(default_factory=dict)
    movers_relative: dict[str, list[Move]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.columns_added or self.columns_removed)

    def summary(self) -> object:
        """One line for people: "Rows: 2 added, 1 removed, 5 changed, 27 unchanged."."""
        if self.is_empty:
            return _l("No change from the previous version.")
        return _l("Rows: %(added)s added, %(removed)s removed, %(changed)s changed, %(unchanged)s unchanged.",
                  added=len(self.added), removed=len(self.removed), changed=len(self.changed),
                  unchanged=self.unchanged)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, for storing on the version."""
        def move(m: Move) -> dict[str, Any]:
            return {"key": m.key, "column": m.column, "old": json_value(m.old), "new": json_value(m.new),
                    "change": json_value(m.change), "relative": json_value(m.relative)}

        return {
            "key": self.key,
            "added": [{k: json_value(v) for k, v in r.items()} for r in self.added],
            "removed": [{k: json_value(v) for k, v in r.items()} for r in self.removed],
            "changed": [{"key": c.key, "changes": [{"column": x.column, "old": json_value(x.old),
                                                    "new": json_value(x.new)} for x in c.changes]}
                        for c in self.changed],
            "unchanged": self.unchanged,
            "columns_added": self.columns_added,
            "columns_removed": self.columns_removed,
            "movers": {column: {"absolute": [move(m) for m in self.movers_absolute.get(column, [])],
                                "relative": [move(m) for m in self.movers_relative.get(column, [])]}
                       for column in self.movers_absolute},
        }


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _index(rows: Sequence[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    index: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        value = canonical_value(row.get(key))
        if value is None or value in index:
            raise ValueError(f"the key column {key!r} is empty or repeats {value!r}; validate the rows first")
        index[value] = row
    return index


def _number(value: Any) -> Decimal | None:
    return native_number(value) if not isinstance(value, bool) else None


def diff(old_rows: Sequence[Mapping[str, Any]], new_rows: Sequence[Mapping[str, Any]], key: str | None, *,
         schema: Schema | None = None, movers: int = MOVERS) -> Diff:
    """What changed from ``old_rows`` to ``new_rows``, rows paired by the ``key`` column.

    Without a key, rows are compared whole: only added and removed rows. Values compare in
    canonical form (2.50 equals 2.5). Moves are listed for numeric columns (the schema's
    integer/decimal/percent columns, or else columns holding numbers), the key excluded."""
    old_columns, new_columns = _columns(old_rows), _columns(new_rows)
    if schema is not None:
        new_columns = schema.names
    common = [c for c in new_columns if c in old_columns]
    result = Diff(key, columns_added=[c for c in new_columns if c not in old_columns],
                  columns_removed=[c for c in old_columns if c not in new_columns])
    if key is None:
        def line(row: Mapping[str, Any]) -> tuple:
            return tuple(canonical_value(row.get(c)) for c in common)

        old_count = Counter(line(r) for r in old_rows)
        new_count = Counter(line(r) for r in new_rows)
        left = old_count.copy()
        for row in new_rows:
            if left[line(row)] > 0:
                left[line(row)] -= 1
                result.unchanged += 1
            else:
                result.added.append(dict(row))
        right = new_count.copy()
        for row in old_rows:
            if right[line(row)] > 0:
                right[line(row)] -= 1
            else:
                result.removed.append(dict(row))
        return result
    old_index, new_index = _index(old_rows, key), _index(new_rows, key)
    result.removed = [dict(r) for k, r in old_index.items() if k not in new_index]
    if schema is not None:
        numeric = {c.name for c in schema.columns if c.type in NUMERIC_TYPES}
    else:
        numeric = {c for c in common if any(_number(r.get(c)) is not None for r in new_rows)}
    numeric.discard(key)
    moves: list[Move] = []
    for k, row in new_index.items():
        before = old_index.get(k)
        if before is None:
            result.added.append(dict(row))
            continue
        changes = tuple(CellChange(c, before.get(c), row.get(c)) for c in common
                        if canonical_value(before.get(c)) != canonical_value(row.get(c)))
        if not changes:
            result.unchanged += 1
            continue
        result.changed.append(ChangedRow(k, changes))
        for change in changes:
            old, new = _number(change.old), _number(change.new)
            if change.column in numeric and old is not None and new is not None:
                moves.append(Move(k, change.column, old, new, new - old, _relative(old, new)))
    for column in [c for c in common if c in numeric]:
        mine = [m for m in moves if m.column == column]
        if not mine:
            continue
        result.movers_absolute[column] = sorted(mine, key=lambda m: (-abs(m.change), m.key))[:movers]
        result.movers_relative[column] = sorted((m for m in mine if m.relative is not None),
                                                key=lambda m: (-abs(m.relative), m.key))[:movers]
    return result


def _relative(old: Decimal, new: Decimal) -> Decimal | None:
    if old == 0:
        return None
    try:
        return ((new - old) / abs(old)).quantize(Decimal("0.000001"))
    except InvalidOperation:  # beyond the context's precision: too large to matter as a ratio
        return None

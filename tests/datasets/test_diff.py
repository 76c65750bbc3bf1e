"""Versions: a content hash that ignores formatting, whitespace and row order; readable diffs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from pressroom.datasets.diff import canonical_value, content_hash, diff, rows_from_json, rows_to_json
from pressroom.datasets.schema import ColumnSpec, Schema, infer_schema, validate_preview
from pressroom.datasets.tables import preview, read_table

FIXTURES = Path(__file__).parent / "fixtures"


def clean_rows(data: bytes, schema: Schema | None = None):
    p = preview(read_table(data, "a.csv"))
    schema = schema or infer_schema(p)
    rows, errors = validate_preview(p, schema)
    assert errors == []
    return rows, schema


@pytest.fixture
def bps():
    return clean_rows((FIXTURES / "bps_penduduk_luas_2025.csv").read_bytes())


def english_reordered_copy() -> bytes:
    """The BPS table as another office would export it: commas, English decimals, trailing
    zeros, stray spaces, rows in reverse order, no titles."""
    text = (FIXTURES / "bps_penduduk_luas_2025.csv").read_bytes().decode("utf-8-sig")
    lines = ["Kode,Kabupaten/Kota,Laki-laki,Perempuan,Jumlah,Luas (km²)"]
    for line in reversed(text.splitlines()[5:40]):
        code, name, men, women, total, area = line.split(";")
        whole, _, frac = area.partition(",")
        area_en = f"{int(whole.replace('.', '')):,}" + "." + (frac or "0") + "0"
        spaced = name.replace(" ", "   ")
        lines.append(f'{code},"  {spaced} ",{men.replace(".", "")},{women.replace(".", "")},'
                     f'"{int(total.replace(".", "")):,}","{area_en}"')
    return ("\n".join(lines) + "\n").encode()


def test_the_same_content_has_the_same_hash_however_it_is_written(bps):
    rows, schema = bps
    again, _ = clean_rows(english_reordered_copy(), schema)
    assert again != rows  # other order, other text
    assert content_hash(again, schema) == content_hash(rows, schema)
    assert len(content_hash(rows, schema)) == 64


def test_a_changed_value_column_name_or_row_count_changes_the_hash(bps):
    rows, schema = bps
    base = content_hash(rows, schema)
    changed = [dict(r) for r in rows]
    changed[0]["Jumlah"] += 1
    assert content_hash(changed, schema) != base
    renamed = Schema(tuple(ColumnSpec("Penduduk" if c.name == "Jumlah" else c.name, c.type, c.required)
                           for c in schema.columns), key=schema.key)
    assert content_hash([{("Penduduk" if k == "Jumlah" else k): v for k, v in r.items()} for r in rows],
                        renamed) != base
    assert content_hash(rows + rows[:1], schema) != base  # a repeated row is content too


def test_canonical_values():
    assert canonical_value(Decimal("2.50")) == canonical_value(Decimal("2.5")) == "2.5"
    assert canonical_value(2.5) == "2.5"
    assert canonical_value(Decimal("1E+2")) == canonical_value(100) == "100"
    assert canonical_value("  Kota   Tegal ") == "Kota Tegal"
    assert canonical_value("Cafe\u0301") == canonical_value("Café")
    assert canonical_value(None) is None


def test_rows_round_trip_through_json(bps):
    rows, schema = bps
    stored = json.loads(json.dumps(rows_to_json(rows, schema)))
    assert stored[0]["Luas (km²)"] == "2325.173"  # exact, as text
    assert rows_from_json(stored, schema) == rows


def kabkota():
    return clean_rows((FIXTURES / "jateng_kabkota_2025.csv").read_bytes())


def test_a_diff_by_the_key_column_is_readable():
    rows, schema = kabkota()
    old = [r for r in rows if r["kode_bps"] != "3376"]  # Kota Tegal arrives in the new version
    new = [dict(r) for r in rows if r["kode_bps"] != "3329"]  # Brebes leaves
    for row in new:
        if row["kode_bps"] == "3301":
            row["penduduk_total"] += 2000
            row["nama_kabupaten_kota"] = "Kab. Cilacap"
        if row["kode_bps"] == "3371":
            row["penduduk_total"] += 2000  # the same rise, much larger for a small city
        if row["kode_bps"] == "3372":
            row["luas_km2"] = Decimal("46.8020")  # trailing zero only: no change
    result = diff(old, new, "kode_bps", schema=schema)
    assert [r["kode_bps"] for r in result.added] == ["3376"]
    assert [r["kode_bps"] for r in result.removed] == ["3329"]
    assert [(c.key, [(x.column, x.old, x.new) for x in c.changes]) for c in result.changed] == [
        ("3301", [("nama_kabupaten_kota", "Kabupaten Cilacap", "Kab. Cilacap"),
                  ("penduduk_total", 2059748, 2061748)]),
        ("3371", [("penduduk_total", 128709, 130709)]),
    ]
    assert result.unchanged == 31
    absolute = result.movers_absolute["penduduk_total"]
    assert [(m.key, m.change) for m in absolute] == [("3301", 2000), ("3371", 2000)]
    relative = result.movers_relative["penduduk_total"]
    assert relative[0].key == "3371" and relative[0].relative == Decimal("0.015539")
    assert relative[1].relative == Decimal("0.000971")
    assert "nama_kabupaten_kota" not in result.movers_absolute
    assert str(result.summary()) == "Rows: 1 added, 1 removed, 2 changed, 31 unchanged."
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["movers"]["penduduk_total"]["relative"][0] == {
        "key": "3371", "column": "penduduk_total", "old": "128709", "new": "130709", "change": "2000",
        "relative": "0.015539"}


def test_no_change_and_new_columns():
    rows, schema = kabkota()
    same = diff(rows, [dict(r) for r in reversed(rows)], "kode_bps", schema=schema)
    assert same.is_empty and str(same.summary()) == "No change from the previous version."
    wider = [{**r, "kepadatan": r["penduduk_total"] / r["luas_km2"]} for r in rows]
    result = diff(rows, wider, "kode_bps")
    assert result.columns_added == ["kepadatan"] and not result.changed and not result.is_empty


def test_without_a_key_rows_are_compared_whole():
    old = [{"tahun": 2019, "nilai": 1}, {"tahun": 2020, "nilai": 2}, {"tahun": 2020, "nilai": 2}]
    new = [{"tahun": 2020, "nilai": 2}, {"tahun": 2021, "nilai": 3}]
    result = diff(old, new, None)
    assert result.added == [{"tahun": 2021, "nilai": 3}]
    assert result.removed == [{"tahun": 2019, "nilai": 1}, {"tahun": 2020, "nilai": 2}]
    assert result.unchanged == 1


def test_a_repeated_key_is_a_programming_error():
    with pytest.raises(ValueError):
        diff([{"k": "a"}, {"k": "a"}], [], "k")

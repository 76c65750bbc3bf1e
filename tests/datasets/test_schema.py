"""Schemas: inference from the real files, validation with errors by row and column, region codes,
the built-in "progres pembangunan" schema, and schema changes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel.speaklater import LazyString

from pressroom.datasets.schema import (
    PROGRES_PEMBANGUNAN,
    ColumnSpec,
    Schema,
    infer_schema,
    normalise_region_code,
    region_code_ranges,
    region_codes,
    schema_changed,
    validate,
    validate_preview,
)
from pressroom.datasets.tables import preview, preview_records, read_table

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str):
    return preview(read_table((FIXTURES / name).read_bytes(), name))


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def triples(errors) -> list[tuple]:
    return [(e.row, e.column, e.code) for e in errors]


# Regions --------------------------------------------------------------------------------------------
def test_the_35_region_codes_come_from_the_shipped_csv():
    codes = region_codes()
    assert len(codes) == 35
    assert codes["3301"] == "Kabupaten Cilacap" and codes["3376"] == "Kota Tegal"
    assert region_code_ranges() == "3301–3329, 3371–3376"


@pytest.mark.parametrize("value, code", [
    ("3301", "3301"), ("33.01", "3301"), (" 33 74 ", "3374"), (3301, "3301"), (Decimal("3301"), "3301"),
    (33.01, "3301"), ("330101", None), ("Cilacap", None),
])
def test_region_codes_are_normalised(value, code):
    assert normalise_region_code(value) == code


# Inference -------------------------------------------------------------------------------------------
def test_schemas_inferred_from_the_real_files():
    schema = infer_schema(read("jateng_kabkota_2025.csv"))
    assert schema.key == "kode_bps"
    assert [(c.name, c.type, c.required) for c in schema.columns] == [
        ("kode_bps", "region_code", True), ("nama_kabupaten_kota", "text", False), ("jenis", "text", False),
        ("penduduk_laki_laki", "integer", False), ("penduduk_perempuan", "integer", False),
        ("penduduk_total", "integer", False), ("luas_km2", "decimal", False)]
    padi = infer_schema(read("padi_jateng_provinsi.csv"))
    assert padi.key == "tahun" and padi.columns[0].type == "year"
    assert infer_schema(read("bps_penduduk_luas_2025.csv")).key == "Kode"


def test_a_percent_header_makes_a_percent_column():
    p = preview(read_table(csv_bytes("kode;Realisasi Fisik (%)", "3301;45,5", "3302;100"), "a.csv"))
    assert infer_schema(p).columns[1].type == "percent"


# Validation --------------------------------------------------------------------------------------
def test_the_real_file_validates_into_typed_rows():
    p = read("jateng_kabkota_2025.csv")
    clean, errors = validate_preview(p, infer_schema(p))
    assert errors == []
    assert clean[0] == {"kode_bps": "3301", "nama_kabupaten_kota": "Kabupaten Cilacap", "jenis": "Kabupaten",
                        "penduduk_laki_laki": 1043157, "penduduk_perempuan": 1016591,
                        "penduduk_total": 2059748, "luas_km2": Decimal("2325.173")}


def test_errors_name_the_row_as_the_file_shows_it_and_the_column():
    schema = infer_schema(read("bps_penduduk_luas_2025.csv"))
    text = (FIXTURES / "bps_penduduk_luas_2025.csv").read_bytes().decode("utf-8-sig")
    text = text.replace("3302;Kabupaten Banyumas;942.169", "3302;Kabupaten Banyumas;tidak ada data")
    text = text.replace("3376;Kota Tegal;", "3377;Kota Tegal;")
    text = text.replace("\r\n;;;;;\r\nSumber", "\r\nJawa Tengah;Jawa Tengah;19.020.367;19.410.278;38.430.645;"
                                              "34.347,428\r\n;;;;;\r\nSumber")
    p = preview(read_table(text.encode(), "bps.csv"))
    clean, errors = validate_preview(p, schema)
    assert triples(errors) == [
        (7, "Laki-laki", "not_a_number"),  # row 7 in the spreadsheet: Banyumas
        (40, "Kode", "unknown_region_code"),
        (41, "Kode", "unknown_region_code"),  # the province total row
    ]
    assert str(errors[0].message) == "“tidak ada data” is not a number."
    assert str(errors[1].message) == ("“3377” is not the BPS code of one of the 35 kabupaten/kota of Jawa "
                                      "Tengah (3301–3329, 3371–3376).")
    assert all(isinstance(e.message, LazyString) for e in errors)
    assert len(clean) == 33  # only rows without errors; the update as a whole must be refused
    assert errors[0].as_dict() == {"row": 7, "column": "Laki-laki", "code": "not_a_number",
                                   "message": "“tidak ada data” is not a number."}


def test_a_column_of_text_where_numbers_are_expected():
    schema = Schema((ColumnSpec("kode", "region_code"), ColumnSpec("jumlah", "integer")), key="kode")
    rows = [{"kode": "3301", "jumlah": "banyak"}, {"kode": "3302", "jumlah": "sedikit"}]
    _clean, errors = validate(rows, schema)
    assert triples(errors) == [(1, "jumlah", "not_a_number"), (2, "jumlah", "not_a_number")]


def test_a_mixed_number_column_is_one_error_for_the_column():
    schema = Schema((ColumnSpec("kode", "region_code"), ColumnSpec("produksi", "decimal")), key="kode")
    p = preview(read_table(csv_bytes("kode;produksi", "3301;1,234.5", "3302;1.234,5"), "a.csv"))
    clean, errors = validate_preview(p, schema)
    assert triples(errors) == [(None, "produksi", "mixed_number_format")]
    # When the person chose Indonesian style, the English-style cell is the error.
    clean, errors = validate(p.records(), schema, row_numbers=p.row_numbers,
                             number_formats={"produksi": "id"})
    assert triples(errors) == [(2, "produksi", "number_format")]
    assert "1.234.567,89" in str(errors[0].message)
    assert clean == [{"kode": "3302", "produksi": Decimal("1234.5")}]


def test_same_numbers_in_any_style_validate_to_the_same_values():
    schema = Schema((ColumnSpec("kode", "region_code"), ColumnSpec("luas", "decimal")), key="kode")
    ids = validate_preview(preview(read_table(csv_bytes("kode;luas", "33.01;2.325,173", "3371;18,558"),
                                              "a.csv")), schema)[0]
    ens = validate_preview(preview(read_table(csv_bytes("kode,luas", "3301,2325.173", "3371,18.558"),
                                              "a.csv")), schema)[0]
    assert ids == ens == [{"kode": "3301", "luas": Decimal("2325.173")},
                          {"kode": "3371", "luas": Decimal("18.558")}]


def test_required_allowed_range_year_and_text_rules():
    schema = Schema((
        ColumnSpec("tahun", "year", required=True),
        ColumnSpec("status", "text", allowed=("Selesai", "Berjalan")),
        ColumnSpec("persen", "percent", minimum=0, maximum=100),
        ColumnSpec("jumlah", "integer"),
    ), key="tahun")
    rows = [
        {"tahun": "2024", "status": "selesai", "persen": "100%", "jumlah": "1.234"},
        {"tahun": "-", "status": "Batal", "persen": "120%", "jumlah": "2,5"},
        {"tahun": "1800", "status": "Berjalan", "persen": "-3", "jumlah": "45%"},
        {"tahun": "2024", "status": None, "persen": None, "jumlah": None},
    ]
    clean, errors = validate(rows, schema)
    assert triples(errors) == [
        (2, "tahun", "required"), (2, "status", "not_allowed"), (2, "persen", "out_of_range"),
        (2, "jumlah", "not_an_integer"),
        (3, "tahun", "not_a_year"), (3, "persen", "out_of_range"), (3, "jumlah", "not_a_number"),
        (4, "tahun", "duplicate_key"),
    ]
    assert clean == [{"tahun": 2024, "status": "Selesai", "persen": Decimal("100"), "jumlah": 1234}]
    assert str(errors[2].message) == "120% is more than 100, the largest value this column allows."
    assert str(errors[-1].message) == "“2024” is already in row 1; every row needs its own “tahun”."


def test_region_code_columns_can_allow_a_subset():
    cities = ("3371", "3372", "3373", "3374", "3375", "3376")
    schema = Schema((ColumnSpec("kode", "region_code", allowed=cities), ColumnSpec("nilai", "integer")))
    _clean, errors = validate([{"kode": "3374", "nilai": 1}, {"kode": "3301", "nilai": 2}], schema)
    assert triples(errors) == [(2, "kode", "unknown_region_code")]
    assert "3371, 3372" in str(errors[0].message)


# The built-in schema ------------------------------------------------------------------------------
PROGRES_CSV = (
    "Laporan Progres Pembangunan (contoh uji)",
    "Nama Proyek;Kode Kab/Kota;Target (%);Realisasi Fisik (%);Realisasi Keuangan (%);Tanggal;Status",
    "Proyek Uji A;33.74;50;45,5%;40,25%;1 Maret 2025;Berjalan",
    "Proyek Uji B;3301;100;100%;98,7%;01/03/2025;Selesai",
    "Sumber: data uji",
)


def test_progres_pembangunan_reads_a_file_with_the_usual_headers():
    p = preview(read_table(csv_bytes(*PROGRES_CSV), "progres.csv"))
    clean, errors = validate_preview(p, PROGRES_PEMBANGUNAN)
    assert errors == []
    assert clean[0] == {"proyek": "Proyek Uji A", "kode_kabkota": "3374", "target": Decimal("50"),
                        "realisasi_fisik": Decimal("45.5"), "realisasi_keuangan": Decimal("40.25"),
                        "tanggal": date(2025, 3, 1), "status": "Berjalan"}
    assert clean[1]["tanggal"] == date(2025, 3, 1)


def test_progres_pembangunan_refuses_what_it_must():
    lines = list(PROGRES_CSV)
    lines[1] = lines[1].replace(";Tanggal", ";Tanggal").replace(";Status", ";Kontraktor")
    lines[2] = "Proyek Uji A;3399;50;120%;40;31 Februari 2025;PT Contoh"
    lines.insert(3, "Proyek Uji A;3301;50;;40;1 Maret 2025;PT Contoh")
    p = preview(read_table(csv_bytes(*lines), "progres.csv"))
    _clean, errors = validate_preview(p, PROGRES_PEMBANGUNAN)
    assert triples(errors) == [
        (None, "Kontraktor", "unknown_column"),
        (3, "Kode Kab/Kota", "unknown_region_code"), (3, "Realisasi Fisik (%)", "out_of_range"),
        (3, "Tanggal", "not_a_date"),
        (4, "Realisasi Fisik (%)", "required"),
        (4, "Nama Proyek", "duplicate_key"),
    ]
    _clean, errors = validate([{"proyek": "A", "kode_kabkota": "3301", "realisasi_fisik": 5}],
                              PROGRES_PEMBANGUNAN)
    assert triples(errors) == [(None, "tanggal", "missing_column")]


def test_a_json_push_validates_with_typed_numbers():
    records = [
        {"proyek": "Proyek Uji A", "kode_kabkota": 3374, "realisasi_fisik": 45.5, "tanggal": "2025-03-01"},
        {"proyek": "Proyek Uji B", "kode_kabkota": "33.01", "realisasi_fisik": "bagus", "tanggal": "x"},
    ]
    clean, errors = validate_preview(preview_records(records), PROGRES_PEMBANGUNAN)
    assert triples(errors) == [(2, "realisasi_fisik", "not_a_number"), (2, "tanggal", "not_a_date")]
    assert clean[0]["realisasi_fisik"] == Decimal("45.5") and clean[0]["kode_kabkota"] == "3374"


# Schema changes and storage ----------------------------------------------------------------------------
def test_schema_changes_are_listed():
    old = infer_schema(read("jateng_kabkota_2025.csv"))
    assert schema_changed(old, old) == []
    new = Schema((
        ColumnSpec("Kode BPS", "region_code", required=True),  # same name for the comparison
        ColumnSpec("nama_kabupaten_kota", "text", required=True),
        ColumnSpec("penduduk_total", "decimal"),
        ColumnSpec("luas_km2", "decimal"),
        ColumnSpec("kepadatan", "decimal"),
    ), key="Kode BPS")
    changes = schema_changed(old, new)
    assert [(c.kind, c.column) for c in changes] == [
        ("removed", "jenis"), ("removed", "penduduk_laki_laki"), ("removed", "penduduk_perempuan"),
        ("required", "nama_kabupaten_kota"), ("type", "penduduk_total"), ("added", "kepadatan"),
    ]
    assert str(changes[4].message) == "The column “penduduk_total” changes from whole number to number."


def test_a_key_change_is_a_change():
    a = Schema((ColumnSpec("a"), ColumnSpec("b")), key="a")
    b = Schema((ColumnSpec("a"), ColumnSpec("b")), key="b")
    assert [c.kind for c in schema_changed(a, b)] == ["key"]


def test_schemas_round_trip_through_json():
    stored = json.loads(json.dumps(PROGRES_PEMBANGUNAN.to_dict()))
    assert Schema.from_dict(stored) == PROGRES_PEMBANGUNAN
    with pytest.raises(ValueError):
        ColumnSpec("x", "money")
    with pytest.raises(ValueError):
        Schema((ColumnSpec("a"),), key="b")
    with pytest.raises(ValueError):
        Schema((ColumnSpec("Nilai"), ColumnSpec("nilai")))

"""Reading tables: the real shared CSVs, BPS-style messy files, XLSX workbooks, and every bad input."""

from __future__ import annotations

import codecs
import csv
import io
import time
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from flask_babel.speaklater import LazyString

from pressroom.datasets import DatasetInputError, tables
from pressroom.datasets.tables import preview, preview_records, read_table

FIXTURES = Path(__file__).parent / "fixtures"
#: Province totals of the real file (docs: /work/shared/data/SOURCES.md).
PROVINCE_POPULATION = 38_430_645
PROVINCE_AREA = Decimal("34347.428")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def real_rows() -> list[dict[str, str]]:
    with (FIXTURES / "jateng_kabkota_2025.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def error_of(call, *args, **kwargs) -> DatasetInputError:
    with pytest.raises(DatasetInputError) as caught:
        call(*args, **kwargs)
    return caught.value


def column(p: tables.Preview, name: str) -> list:
    index = p.names.index(name)
    return [row[index] for row in p.rows]


# The real files -------------------------------------------------------------------------------
def test_the_real_shared_csvs_read_as_they_are():
    p = preview(read_table(fixture("jateng_kabkota_2025.csv"), "jateng_kabkota_2025.csv"))
    assert p.header_row == 1 and p.title_rows == [] and p.note_rows == []
    assert p.names == ["kode_bps", "nama_kabupaten_kota", "jenis", "penduduk_laki_laki", "penduduk_perempuan",
                       "penduduk_total", "luas_km2"]
    assert len(p.rows) == 35 and p.row_numbers[0] == 2 and p.row_numbers[-1] == 36
    kinds = {c.name: (c.kind, c.number_format) for c in p.columns}
    assert kinds["penduduk_total"] == ("integer", "plain")
    assert kinds["luas_km2"] == ("decimal", "en")  # 2325.173 decides 18.558 (Kota Magelang)

    padi = preview(read_table(fixture("padi_jateng_provinsi.csv"), "padi.csv"))
    assert column(padi, "tahun") == ["2019", "2020", "2022", "2023", "2024"]  # 2021 is missing in the source
    top5 = preview(read_table(fixture("padi_jateng_top5_2020.csv"), "top5.csv"))
    assert top5.columns[2].kind == "decimal" and top5.columns[2].number_format == "en"


def test_a_bps_style_export_finds_its_table_between_titles_and_notes():
    raw = read_table(fixture("bps_penduduk_luas_2025.csv"), "bps.csv")
    assert (raw.delimiter, raw.encoding) == (";", "utf-8")  # the BOM is gone
    p = preview(raw)
    assert p.header_row == 4
    assert p.title_rows == [1, 2]
    assert p.skipped_rows == [5]  # the "(1) (2) (3)" numbering row
    assert p.note_rows == [42, 43]  # "Sumber: …" and "Catatan: …"
    assert p.names == ["Kode", "Kabupaten/Kota", "Laki-laki", "Perempuan", "Jumlah", "Luas (km²)"]
    assert p.row_numbers[0] == 6 and len(p.rows) == 35
    formats = {c.name: c.number_format for c in p.columns if c.number_format}
    assert formats == {"Kode": "plain", "Laki-laki": "id", "Perempuan": "id", "Jumlah": "id",
                       "Luas (km²)": "id"}
    assert not any(c.ambiguous for c in p.columns)


def test_the_bps_export_and_the_clean_file_hold_the_same_figures():
    from pressroom.datasets.schema import infer_schema, validate_preview

    p = preview(read_table(fixture("bps_penduduk_luas_2025.csv"), "bps.csv"))
    clean, errors = validate_preview(p, infer_schema(p))
    assert errors == []
    assert sum(r["Jumlah"] for r in clean) == PROVINCE_POPULATION
    assert sum(r["Luas (km²)"] for r in clean) == PROVINCE_AREA
    by_code = {r["Kode"]: r for r in clean}
    for row in real_rows():
        mine = by_code[row["kode_bps"]]
        assert mine["Jumlah"] == int(row["penduduk_total"])
        assert mine["Luas (km²)"] == Decimal(row["luas_km2"])  # 18,558 is 18.558 here, 1.391,153 is 1391.153


def test_the_header_row_and_the_numbers_format_can_be_chosen():
    raw = read_table(fixture("bps_penduduk_luas_2025.csv"), "bps.csv")
    assert preview(raw, header_row=4).names == preview(raw).names
    assert error_of(preview, raw, header_row=3).code == "bad_header_row"  # a blank row
    assert error_of(preview, raw, header_row=99).code == "bad_header_row"
    # The title row as header: its other columns have values but no names.
    problem = error_of(preview, raw, header_row=1)
    assert problem.code == "blank_header" and problem.details == {"column": "B", "row": 1}
    chosen = preview(raw, number_formats={"Luas (km²)": "en"})
    assert chosen.number_formats["Luas (km²)"] == "en"


# Separators per column -------------------------------------------------------------------------
def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_a_column_of_1_234_and_2_500_5_is_indonesian_style():
    p = preview(read_table(csv_bytes("kode;nilai", "3301;1.234", "3302;2.500,5", "3303;17"), "a.csv"))
    assert p.columns[1].number_format == "id" and p.columns[1].error is None


def test_a_column_mixing_both_styles_is_an_error_naming_the_column():
    data = csv_bytes("kode;Produksi (ton)", "3301;1,234.5", "3302;1.234,5", "3303;7")
    p = preview(read_table(data, "a.csv"))
    problem = p.columns[1].error
    assert p.errors == [problem]
    # No format is guessed for it, so validation cannot pass it by.
    assert p.columns[1].number_format is None and "Produksi (ton)" not in p.number_formats
    assert problem.code == "mixed_number_format"
    assert problem.details == {"column": "Produksi (ton)", "rows": [3, 2], "values": ["1.234,5", "1,234.5"]}
    message = str(problem.message)
    assert "Produksi (ton)" in message and "row 2" in message and "row 3" in message
    # The person decides: then the cells in the other style are errors of their own (see test_schema).
    assert preview(read_table(csv_bytes("kode;Produksi (ton)", "3301;1,234.5", "3302;1.234,5"), "a.csv"),
                   number_formats={"Produksi (ton)": "id"}).errors == []


# Dialects and encodings -----------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(delimiter):
    lines = [delimiter.join(["kode_bps", "nama", "luas"])] + [
        delimiter.join([r["kode_bps"], r["nama_kabupaten_kota"], r["luas_km2"]]) for r in real_rows()[:5]]
    raw = read_table(csv_bytes(*lines), "t.txt")
    assert raw.delimiter == delimiter
    assert preview(raw).names == ["kode_bps", "nama", "luas"]


def test_decimal_commas_do_not_fool_the_delimiter_detection():
    # Comma-split, every data line has two cells: the semicolon still wins (header included).
    raw = read_table(csv_bytes("Wilayah;Luas", "Kota Tegal;39,08", "Kota Magelang;18,558"), "a.csv")
    assert raw.delimiter == ";"


def test_quoted_cells_with_delimiters_inside():
    raw = read_table(csv_bytes('kode,nama,catatan', '3374,Kota Semarang,"ibu kota, provinsi"'), "a.csv")
    assert preview(raw).rows == [["3374", "Kota Semarang", "ibu kota, provinsi"]]


def test_windows_1252_and_utf16_exports():
    cp1252 = csv_bytes("kode;nama", "3328;Kabupaten Tegal – Slawi", encoding="cp1252")
    raw = read_table(cp1252, "a.csv")
    assert raw.encoding == "cp1252" and preview(raw).rows[0][1] == "Kabupaten Tegal – Slawi"
    utf16 = codecs.BOM_UTF16_LE + "kode\tnama\r\n3301\tKabupaten Cilacap\r\n".encode("utf-16-le")
    raw = read_table(utf16, "a.txt")
    assert raw.encoding == "utf-16" and preview(raw).rows == [["3301", "Kabupaten Cilacap"]]


# XLSX ---------------------------------------------------------------------------------------------
def messy_workbook(*, extra_sheet: str | None = None, empty_sheet: bool = True, merge_header: bool = False,
                   merge_body: bool = False) -> bytes:
    """A workbook laid out like an OPD's: a merged title, a subtitle, the table, a note below."""
    rows = real_rows()[:5]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet["A1"] = "Penduduk Jawa Tengah Menurut Kabupaten/Kota, 2025"
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "Keadaan per 30 Juni 2025"
    sheet.append([])
    sheet.append(["Kode", "Kabupaten/Kota", "Penduduk", "Luas (km²)", "Persentase Penduduk", "Tanggal Data"])
    for r in rows:
        total = int(r["penduduk_total"])
        sheet.append([int(r["kode_bps"]), r["nama_kabupaten_kota"], total, float(r["luas_km2"]),
                      total / PROVINCE_POPULATION, date(2025, 6, 30)])
        sheet.cell(sheet.max_row, 5).number_format = "0.00%"
    sheet.append([])
    sheet.append(["Sumber: Kepmendagri No. 300.2.2-2138/2025"])
    if merge_header:
        sheet.merge_cells("C4:D4")
    if merge_body:
        sheet.merge_cells("F5:F9")
    if empty_sheet:
        workbook.create_sheet("Sheet2")
    if extra_sheet:
        other = workbook.create_sheet(extra_sheet)
        other.append(["tahun", "produksi"])
        other.append([2024, 8890000])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_messy_workbook_reads_like_the_spreadsheet_shows_it():
    raw = read_table(messy_workbook(), "laporan.xlsx")
    assert raw.kind == "xlsx" and raw.sheet_names == ["Data", "Sheet2"] and raw.data_sheets == ["Data"]
    p = preview(raw)  # the empty second sheet does not count
    assert (p.sheet, p.header_row, p.title_rows, p.note_rows) == ("Data", 4, [1, 2], [11])
    assert [c.kind for c in p.columns] == ["integer", "text", "integer", "decimal", "decimal", "date"]
    first = p.rows[0]
    assert first[0] == 3301 and first[2] == 2059748
    assert first[3] == Decimal("2325.173")  # a typed number, not binary noise
    assert round(first[4], 2) == Decimal("5.36")  # 0.0536 formatted as % is the percentage 5.36
    assert first[5] == date(2025, 6, 30)


def test_several_sheets_ask_which_one():
    data = messy_workbook(extra_sheet="Produksi")
    problem = error_of(preview, read_table(data, "a.xlsx"))
    assert problem.code == "several_sheets" and problem.details == {"sheets": ["Data", "Produksi"]}
    assert "Data, Produksi" in str(problem)
    chosen = preview(read_table(data, "a.xlsx"), sheet="Produksi")
    assert chosen.sheet == "Produksi" and chosen.rows == [[2024, 8890000]]
    assert error_of(preview, read_table(data, "a.xlsx"), sheet="Nope").code == "unknown_sheet"


def test_merged_header_cells_are_refused_with_the_cells_named():
    problem = error_of(preview, read_table(messy_workbook(merge_header=True), "a.xlsx"))
    assert problem.code == "merged_header" and problem.details == {"row": 4, "cells": ["C4:D4"]}
    assert "C4:D4" in str(problem)


def test_merged_cells_in_the_table_are_refused():
    problem = error_of(preview, read_table(messy_workbook(merge_body=True), "a.xlsx"))
    assert problem.code == "merged_cells" and problem.details == {"cells": ["F5:F9"]}


def test_a_merged_title_above_the_header_is_fine():
    assert preview(read_table(messy_workbook(), "a.xlsx")).header_row == 4  # A1:F1 is merged


# Bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, filename, code, detected", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "laporan.pdf", "not_a_table", "pdf"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "grafik.png", "not_a_table", "png"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "lama.xls", "not_a_table", "xls"),
    (b"<!DOCTYPE html><html><body>Portal</body></html>", "data.csv", "not_a_table", "html"),
    (b'{"data": [1, 2]}', "data.csv", "not_a_table", "json"),
    (b"\x00\x01\x02\x03binary\x00\xff" * 20, "data.csv", "not_a_table", "binary"),
    (b"kode,nilai\n3301,1\n", "surat.docx", "not_a_table", "docx"),
])
def test_files_that_are_not_tables(data, filename, code, detected):
    problem = error_of(read_table, data, filename)
    assert (problem.code, problem.details.get("detected")) == (code, detected)
    assert isinstance(problem.message, LazyString)  # rendered in the reader's language


def test_a_word_document_or_other_zip_is_not_a_table():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert error_of(read_table, out.getvalue(), "surat.xlsx").code == "not_a_table"


def test_a_damaged_workbook():
    assert error_of(read_table, b"PK\x03\x04 not really a zip", "a.xlsx").code == "unreadable_xlsx"
    assert error_of(read_table, b"kode,nilai\n3301,1\n", "a.xlsx").code == "unreadable_xlsx"


def test_a_text_without_columns_is_not_a_table():
    letter = csv_bytes("Kepada Yth. Kepala Dinas", "Dengan hormat", "Bersama ini kami sampaikan data")
    problem = error_of(preview, read_table(letter, "surat.txt"))
    assert problem.code == "not_a_table" and problem.details == {"detected": "single_column"}


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b";;;\r\n;;;\r\n"])
def test_empty_files(data):
    with pytest.raises(DatasetInputError) as caught:
        preview(read_table(data, "a.csv"))
    assert caught.value.code == "empty_file"


def test_an_empty_workbook():
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    assert error_of(preview, read_table(out.getvalue(), "a.xlsx")).code == "empty_file"


def test_a_header_without_rows():
    data = csv_bytes("kode;nilai", "", "Sumber: BPS")
    assert error_of(preview, read_table(data, "a.csv")).code == "no_rows"


def test_a_50_mb_upload_is_refused_before_parsing(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("parsed a file above the limit")

    monkeypatch.setattr(tables, "_read_csv", never)
    monkeypatch.setattr(tables, "_read_xlsx", never)
    data = (b"kode,nilai\n" + b"3301,1\n" * (50 * 1024 * 1024 // 7 + 1))[:50 * 1024 * 1024]
    started = time.monotonic()
    problem = error_of(read_table, data, "besar.csv", max_bytes=20 * 1024 * 1024)
    assert time.monotonic() - started < 1
    assert problem.code == "too_large"
    assert problem.details == {"size": len(data), "limit": 20 * 1024 * 1024}
    assert "50 MB" in str(problem) and "20 MB" in str(problem)
    # The web layer can refuse on Content-Length before reading the body at all.
    assert error_of(tables.check_size, 50 * 1024 * 1024, 20 * 1024 * 1024).code == "too_large"


def test_too_many_rows_and_columns():
    lines = ["kode,nilai"] + [f"3301,{i}" for i in range(30)]
    assert error_of(preview, read_table(csv_bytes(*lines), "a.csv"), max_rows=20).code == "too_many_rows"
    assert error_of(read_table, csv_bytes(*lines * 50), "a.csv", max_rows=10).code == "too_many_rows"
    wide = ",".join(f"k{i}" for i in range(tables.MAX_COLUMNS + 1))
    problem = error_of(read_table, csv_bytes(wide, wide), "a.csv")
    assert problem.code == "too_many_columns" and problem.details["row"] == 1


def test_column_names_must_be_distinct_and_present():
    assert error_of(preview, read_table(csv_bytes("kode;Nilai;nilai", "3301;1;2"), "a.csv")).code == \
        "duplicate_header"
    problem = error_of(preview, read_table(csv_bytes("kode;;nilai", "3301;x;2"), "a.csv"))
    assert problem.code == "blank_header" and problem.details["column"] == "B"
    # A spacer column (no name, no values) is simply dropped.
    assert preview(read_table(csv_bytes("kode;;nilai", "3301;;2"), "a.csv")).names == ["kode", "nilai"]


def test_a_second_table_below_ends_the_first():
    data = csv_bytes("kode;nama;nilai", "3301;Kabupaten Cilacap;1", "3302;Kabupaten Banyumas;2", "",
                     "Tabel 2. Luas Panen", "kode;nama;luas", "3301;Kabupaten Cilacap;5")
    p = preview(read_table(data, "a.csv"))
    assert p.row_numbers == [2, 3] and p.note_rows == [5, 6, 7]


def test_wide_tables_with_years_in_the_header():
    data = csv_bytes("Produksi Padi (ton GKG)", "Wilayah;2019;2020;2022",
                     "Jawa Tengah;9660000;9490000;9360000")
    p = preview(read_table(data, "a.csv"))
    assert p.header_row == 2 and p.names == ["Wilayah", "2019", "2020", "2022"]


# Records ------------------------------------------------------------------------------------------
def test_records_pushed_as_json():
    p = preview_records([{"kode_bps": "3301", "nilai": 1.5},
                         {"kode_bps": "3302", "nilai": None, "catatan": "x"}])
    assert p.names == ["kode_bps", "nilai", "catatan"] and p.row_numbers == [1, 2] and p.header_row == 0
    assert p.rows == [["3301", 1.5, None], ["3302", None, "x"]]
    assert preview_records([{"b": 1, "a": 2}], columns=["a", "b"]).names == ["a", "b"]


@pytest.mark.parametrize("records, row", [
    ({"kode": 1}, None),
    ([{"kode": 1}, [1, 2]], 2),
    ([{"kode": {"nested": 1}}], 1),
])
def test_malformed_records(records, row):
    problem = error_of(preview_records, records)
    assert problem.code == "malformed_records" and problem.details.get("row") == row
    assert error_of(preview_records, []).code == "no_rows"

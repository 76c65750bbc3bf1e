"""The personal-data check: NIK, phone numbers, e-mail, names with addresses; and no false alarm
on the real statistical files. (Every personal value below is made up for the test.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel.speaklater import LazyString

from pressroom.datasets.privacy import check_personal_data, check_preview, looks_like_nik, looks_like_phone
from pressroom.datasets.tables import preview, preview_records, read_table

FIXTURES = Path(__file__).parent / "fixtures"
#: Kota Semarang (3374), kecamatan 01, a woman born 1 January 1990 (day + 40), serial 0001.
NIK = "3374014101900001"


def kinds(flags) -> list[tuple[str, str]]:
    return [(f.column, f.kind) for f in flags]


@pytest.mark.parametrize("name", ["jateng_kabkota_2025.csv", "padi_jateng_provinsi.csv",
                                  "padi_jateng_top5_2020.csv", "bps_penduduk_luas_2025.csv"])
def test_statistical_tables_raise_no_alarm(name):
    assert check_preview(preview(read_table((FIXTURES / name).read_bytes(), name))) == []


@pytest.mark.parametrize("value, expected", [
    (NIK, True),
    ("3374 0141 0190 0001", True),
    (3374014101900001, True),  # a number in a workbook
    ("3,37401E+15", True),  # what Excel shows for it (the birth date is lost: the province decides)
    ("3.37401E+15", True),
    ("9,9E+15", False),  # no province 99
    ("3,37401E+14", False),  # 15 digits
    ("3374010101900001", True),  # a man born 1 January 1990
    ("0074014101900001", False),  # no province 00
    ("3374010113900001", False),  # no month 13
    ("3374017201900001", False),  # no day 72
    ("337401410190001", False),  # 15 digits
])
def test_nik_structure(value, expected):
    assert looks_like_nik(value) is expected


def test_nik_columns_by_content_and_by_header():
    rows = [[NIK, "Penerima 1"], ["3301025506850002", "Penerima 2"], ["-", "Penerima 3"]]
    flags = check_personal_data(["Nomor", "Keterangan"], rows)
    assert kinds(flags) == [("Nomor", "nik")]
    assert flags[0].matches == 2 and flags[0].rows == (1, 2)
    assert isinstance(flags[0].reason, LazyString) and "NIK" in str(flags[0].reason)
    # Under a NIK header, one match is enough.
    rows = [[str(i), "x"] for i in range(9)] + [[NIK, "y"]]
    assert kinds(check_personal_data(["No KTP", "Keterangan"], rows)) == [("No KTP", "nik")]


@pytest.mark.parametrize("value, expected", [
    ("0812-3456-7890", True),
    ("+62 857 1234 5678", True),
    ("6281234567890", True),
    ("(024) 3515871", True),  # a Semarang landline
    ("2.059.748", False),
    ("2059748", False),
    ("3301", False),
    ("0000-0000-0000", False),
])
def test_phone_numbers(value, expected):
    assert looks_like_phone(value) is expected


def test_phone_columns_even_when_a_spreadsheet_dropped_the_zero():
    flags = check_personal_data(["Nama Kelompok Tani", "No HP Ketua"],
                                [["Kelompok Tani A", 81234567890], ["Kelompok Tani B", "0857-1234-5678"]],
                                row_numbers=[5, 6])
    assert kinds(flags) == [("No HP Ketua", "phone")] and flags[0].rows == (5, 6)


def test_email_columns():
    flags = check_personal_data(["kode", "kontak"], [["3301", "penerima.satu@example.com"],
                                                     ["3302", "penerima.dua@example.org"]])
    assert kinds(flags) == [("kontak", "email")]


def test_names_with_addresses_flag_both_columns():
    records = [
        {"Nama Penerima": "Penerima Satu", "Alamat": "Jl. Contoh No. 1 RT 01/RW 02", "Bantuan": 600000},
        {"Nama Penerima": "Penerima Dua", "Alamat": "Dusun Contoh RT 03/RW 01", "Bantuan": 600000},
    ]
    flags = check_preview(preview_records(records))
    assert kinds(flags) == [("Nama Penerima", "name_address"), ("Alamat", "name_address")]
    assert str(flags[0].reason) == ("People's names together with their addresses (columns Nama Penerima and "
                                    "Alamat).")
    assert flags[1].as_dict()["kind"] == "name_address"


def test_names_known_by_their_titles_and_addresses_by_their_cells():
    rows = [["Bpk. Contoh Satu", "Gg. Contoh No. 3, RT 02 RW 04"],
            ["Hj. Contoh Dua, S.Pd.", "Perum Contoh Blok A/7"]]
    assert kinds(check_personal_data(["Ketua", "Sekretariat"], rows)) == [
        ("Ketua", "name_address"), ("Sekretariat", "name_address")]


def test_names_alone_or_places_are_not_flagged():
    # Names without addresses: not what the rule flags (officials are named in public data).
    assert check_personal_data(["Nama", "Jabatan"], [["Contoh Satu", "Kepala Dinas"]]) == []
    # "Nama" of a place, a project or an office is not a person, even next to an address.
    rows = [["Kabupaten Cilacap", "Jl. Jend. Sudirman No. 32"], ["Kota Tegal", "Jl. Ki Gede Sebayu No. 12"]]
    assert check_personal_data(["Nama Kabupaten/Kota", "Alamat Kantor"], rows) == []
    rows = [["Peningkatan Jalan Ruas Contoh", "3301"], ["Rehabilitasi Jembatan Contoh", "3302"]]
    assert check_personal_data(["Nama Proyek", "Kode Kab/Kota"], rows) == []

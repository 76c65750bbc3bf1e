"""Directory exports read back the way their users read them: csv, openpyxl, vobject."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import vobject
from sqlalchemy import select

from pressroom.models import Beat, Journalist, Outlet, Region
from pressroom.services import journalists as svc
from pressroom.services.directory_export import (
    CSV_DELIMITER,
    export_csv,
    export_vcard,
    export_xlsx,
    headers,
)

SECRET_NOTE = "Sumber rahasia: jangan disebar"


@pytest.fixture
def people(session, factory):
    """Two journalists: one fully described, one with a name that looks like a formula."""
    opd = factory.opd("DISTANBUN")
    editor = factory.user("editor", opd)
    outlet = Outlet(name="Warta Uji Ekspor (demo)", type="kantor_berita", dewan_pers="faktual")
    session.add(outlet)
    session.flush()
    beats = list(session.scalars(select(Beat).where(Beat.name.in_(["Kesehatan", "Pertanian dan Pangan"]))))
    region = session.get(Region, "3374")
    first = svc.create_journalist(session, editor, opd, svc.clean_input(
        session, full_name="Sekar Ayu Lestari", outlet_id=outlet.id, position="Redaktur",
        ukw_level="madya", press_card_issuer="PWI Jawa Tengah", province_wide=True,
        region_codes=[region.code], beat_ids=[b.id for b in beats],
        emails=["sekar.lestari@warta-uji.demo.example", "redaksi@warta-uji.demo.example"],
        phones=["+62 899-0000-0001", "(024) 0000 0001"], preferred_channels=["whatsapp", "email"],
    ), consent={"email": svc.ConsentInput("formulir", "formulir persetujuan (demo)")})
    svc.set_notes(session, editor, first, opd, SECRET_NOTE)
    second = svc.create_journalist(session, editor, opd, svc.clean_input(
        session, full_name="=HYPERLINK(\"http://evil.example\",\"klik\")", position="-Reporter",
        phones=["0899-0000-0002"],
    ))
    svc.withdraw_consent(session, editor, second, "whatsapp", how="telepon")
    session.commit()
    return [first, second]


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=CSV_DELIMITER))


def test_csv_has_bom_semicolons_and_indonesian_headers(people):
    data = export_csv(people)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(data)
    assert rows[0][:5] == ["Nama", "Media", "Jenis media", "Status Dewan Pers", "Jabatan"]
    assert rows[0] == headers("id")
    assert all(len(row) == len(rows[0]) for row in rows)
    assert b"Nama;Media;" in data


def test_csv_values(people):
    rows = _csv_rows(export_csv(people))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Nama"] == "Sekar Ayu Lestari"
    assert record["Media"] == "Warta Uji Ekspor (demo)"
    assert record["Jenis media"] == "Kantor berita"
    assert record["Status Dewan Pers"] == "Terverifikasi faktual"
    assert record["Email"] == "sekar.lestari@warta-uji.demo.example; redaksi@warta-uji.demo.example"
    assert record["Nomor telepon"] == "0899-0000-0001; (024) 00000001"
    assert record["Nomor WhatsApp"] == "0899-0000-0001"
    assert record["Pos liputan"] == "Kesehatan; Pertanian dan Pangan"
    assert record["Wilayah liputan"] == "Jawa Tengah (provinsi); Kota Semarang"
    assert record["Saluran pilihan"] == "WhatsApp; Email"
    assert record["Persetujuan email"] == "Diberikan"
    assert record["Persetujuan WhatsApp"] == "Menunggu"
    assert record["Tingkat UKW"] == "Madya"
    assert record["Penerbit kartu pers"] == "PWI Jawa Tengah"


def test_csv_in_english(people):
    rows = _csv_rows(export_csv(people, lang="en"))
    assert rows[0][:3] == ["Name", "Outlet", "Outlet type"]
    record = dict(zip(rows[0], rows[2], strict=True))
    assert record["WhatsApp consent"] == "Withdrawn"
    assert record["Email consent"] == "Awaiting"


def test_formula_injection_is_neutralised(people):
    rows = _csv_rows(export_csv(people))
    assert rows[2][0].startswith("'=HYPERLINK(")
    assert rows[2][4] == "'-Reporter"
    assert rows[2][6] == "0899-0000-0002"  # phones never need the prefix
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(people))).active
    assert sheet["A3"].value.startswith("'=HYPERLINK(")
    assert sheet["A3"].data_type == "s"
    assert sheet["E3"].value == "'-Reporter"


def test_xlsx_values_header_and_text_phones(people):
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(people))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == headers("id")
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    record = dict(zip(values[0], values[1], strict=True))
    assert record["Nama"] == "Sekar Ayu Lestari"
    assert record["Nomor WhatsApp"] == "0899-0000-0001"
    for cell in (sheet["G2"], sheet["H2"], sheet["G3"]):
        assert cell.data_type == "s" and isinstance(cell.value, str) and cell.value.startswith("0")
        assert cell.number_format == "@"
    assert 10 <= sheet.column_dimensions["A"].width <= 50


def test_vcard_reads_back(people):
    cards = list(vobject.readComponents(export_vcard(people).decode("utf-8")))
    assert len(cards) == 2
    card = cards[0]
    assert card.version.value == "3.0"
    assert card.fn.value == "Sekar Ayu Lestari"
    assert card.n.value.given == "Sekar Ayu Lestari"
    assert card.org.value == ["Warta Uji Ekspor (demo)"]
    assert card.title.value == "Redaktur"
    emails = {e.value: set(e.params["TYPE"]) for e in card.contents["email"]}
    assert emails == {"sekar.lestari@warta-uji.demo.example": {"INTERNET"},
                      "redaksi@warta-uji.demo.example": {"INTERNET", "WORK"}}
    tels = {t.value: set(t.params["TYPE"]) for t in card.contents["tel"]}
    assert tels == {"+6289900000001": {"CELL"}, "+622400000001": {"WORK", "VOICE"}}
    assert card.categories.value == ["Kesehatan", "Pertanian dan Pangan"]
    assert cards[1].fn.value.startswith("=HYPERLINK")  # a vCard is not a spreadsheet


def test_notes_never_exported(people):
    assert people[0].links[0].notes == SECRET_NOTE
    assert b"rahasia" not in export_csv(people)
    assert b"rahasia" not in export_vcard(people)
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(people))).active
    assert not any("rahasia" in (cell.value or "") for row in sheet.iter_rows() for cell in row)


def test_erased_journalists_are_left_out(session, factory, people):
    admin = factory.user("admin", people[0].links[0].opd)
    svc.erase(session, admin, people[1], reason="subject_request")
    session.commit()
    assert len(_csv_rows(export_csv(people))) == 2
    assert export_vcard([people[1]]) == b""
    assert session.get(Journalist, people[1].id).status == "erased"

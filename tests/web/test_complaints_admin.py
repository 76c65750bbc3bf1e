"""Lapor Gub settings (/app/lapor/atur) and the CSV import of existing reports: admins only;
categories, answer templates, days off (one, or many pasted), working-hours periods; bad input
explained with nothing saved; the import keeps original IDs, refuses bad rows and IDs already
imported, and writes every report or none."""

from __future__ import annotations

import codecs
import io
import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import (
    AnswerTemplate,
    AuditEntry,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintRollup,
    Delivery,
    Holiday,
    WorkingHoursPeriod,
)
from pressroom.services import ValidationError, complaint_import, complaints
from tests.conftest import csrf_token, login, reload

BASE = "/app/lapor/atur"
IMPORT = f"{BASE}/impor"
#: Tuesday 3 March 2026, 10.00 WIB: "now" for the import tests.
NOW = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)


@pytest.fixture
def people(factory):
    home = factory.opd("DISKOMINFO")
    roads = factory.opd("DPUBMCK", name="Dinas Pekerjaan Umum Bina Marga dan Cipta Karya",
                        short_name="DPU BMCK")
    return {
        "admin": factory.user("admin", home),
        "verifier": factory.user("verifier", home),
        "officer": factory.user("officer", roads),
        "approver": factory.user("approver", roads, level="kepala"),
        "editor": factory.user("editor", roads),
        "roads": roads,
    }


def client_for(app, user, factory):
    client = app.test_client()
    login(client, user, factory)
    client.get("/bahasa/en?next=/")
    return client


@pytest.fixture
def admin(app, factory, people):
    return client_for(app, people["admin"], factory)


def post(client, path: str, data: dict, page: str | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **data})


def text(response) -> str:
    return response.get_data(as_text=True)


def count(session, model) -> int:
    reload(session)
    return session.scalar(select(func.count()).select_from(model))


# Who may ---------------------------------------------------------------------------------------
PAGES = ["/", "/kategori", "/jawaban", "/libur", "/jam-kerja", "/impor"]


def test_only_admins_keep_the_settings(app, factory, people):
    admin = client_for(app, people["admin"], factory)
    for page in PAGES:
        assert admin.get(BASE + page).status_code == 200, page
    for role in ("verifier", "officer", "approver", "editor"):
        other = client_for(app, people[role], factory)
        for page in PAGES:
            assert other.get(BASE + page).status_code == 403, (role, page)
        token = csrf_token(other, "/app/")
        response = other.post(f"{BASE}/libur", data={"csrf_token": token, "day": "2031-01-02",
                                                      "name": "Libur Uji", "kind": "libur"})
        assert response.status_code == 403, role
    anonymous = app.test_client()
    response = anonymous.get(f"{BASE}/kategori")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Categories --------------------------------------------------------------------------------------
def test_categories_are_added_and_changed_with_their_open311_code(admin, session, people):
    roads = people["roads"]
    response = post(admin, f"{BASE}/kategori", {"code": "Jalan-Rusak", "name": "Jalan  rusak",
                                                 "name_en": "Damaged roads", "description": "Lubang, retak.",
                                                 "default_opd_id": str(roads.id), "is_active": "y"})
    assert response.status_code == 303, text(response)[:1000]
    reload(session)
    category = session.scalar(select(ComplaintCategory))
    assert (category.code, category.name, category.default_opd_id, category.is_active) == (
        "jalan-rusak", "Jalan rusak", roads.id, True)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint_category.created"))
    page = text(admin.get(f"{BASE}/kategori"))
    assert "jalan-rusak" in page and "DPU BMCK" in page

    edit = f"{BASE}/kategori/{category.id}"
    response = post(admin, edit, {"code": "jalan-rusak", "name": "Jalan dan jembatan rusak",
                                  "default_opd_id": "0"})
    assert response.status_code == 303
    reload(session)
    category = session.get(ComplaintCategory, category.id)
    assert (category.name, category.default_opd_id, category.is_active) == ("Jalan dan jembatan rusak", None,
                                                                           False)


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "jalan rusak!", "name": "Jalan"}, "Open311 service_code"),
    ({"code": "jalan", "name": ""}, "This field is required."),
    ({"code": "jalan", "name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ({"code": "jalan", "name": "Jalan", "default_opd_id": "999"}, "Not a valid choice"),
])
def test_a_bad_category_is_explained_and_not_saved(admin, session, data, message):
    response = post(admin, f"{BASE}/kategori", {"default_opd_id": "0", **data})
    assert response.status_code == 400 and message in text(response)
    assert count(session, ComplaintCategory) == 0


def test_a_category_code_is_unique_and_fixed_once_reports_use_it(app, admin, session):
    session.add_all([ComplaintCategory(code="jalan", name="Jalan"),
                     ComplaintCategory(code="air", name="Air")])
    session.commit()
    response = post(admin, f"{BASE}/kategori", {"code": "JALAN", "name": "Jalan lagi", "default_opd_id": "0"})
    assert response.status_code == 400 and "Another category already has the code “jalan”." in text(response)
    water = session.scalar(select(ComplaintCategory).where(ComplaintCategory.code == "air"))
    complaints.submit(session, complaints.ReportInput(category_id=water.id, description="Air mati.",
                                                      region_code="3374", contact="warga@example.com"),
                      config=app.config)
    session.commit()
    response = post(admin, f"{BASE}/kategori/{water.id}", {"code": "air-bersih", "name": "Air",
                                                            "default_opd_id": "0", "is_active": "y"})
    assert response.status_code == 400 and "the code can no longer change" in text(response)
    reload(session)
    assert session.get(ComplaintCategory, water.id).code == "air"
    assert count(session, ComplaintCategory) == 2


# Answer templates ----------------------------------------------------------------------------------
def test_answer_templates_per_category(admin, session):
    session.add(ComplaintCategory(code="jalan", name="Jalan rusak"))
    session.commit()
    category = session.scalar(select(ComplaintCategory))
    response = post(admin, f"{BASE}/jawaban", {"category_id": str(category.id), "title": "Dijadwalkan",
                                                "text": "Perbaikan dijadwalkan minggu ini."})
    assert response.status_code == 303
    response = post(admin, f"{BASE}/jawaban", {"category_id": "0", "title": "Terima kasih",
                                                "text": "Terima kasih atas laporan Anda."})
    assert response.status_code == 303
    reload(session)
    templates = {t.title: t for t in session.scalars(select(AnswerTemplate))}
    assert templates["Dijadwalkan"].category_id == category.id
    assert templates["Terima kasih"].category_id is None
    page = text(admin.get(f"{BASE}/jawaban"))
    assert "Jalan rusak" in page and "Every category" in page

    edit = f"{BASE}/jawaban/{templates['Dijadwalkan'].id}"
    assert post(admin, edit, {"category_id": str(category.id), "title": "Dijadwalkan",
                              "text": "Perbaikan dijadwalkan Senin."}).status_code == 303
    response = post(admin, edit, {"category_id": str(category.id), "title": "Dijadwalkan", "text": "  "})
    assert response.status_code == 400 and "This field is required." in text(response)
    reload(session)
    assert session.get(AnswerTemplate, templates["Dijadwalkan"].id).text == "Perbaikan dijadwalkan Senin."

    response = post(admin, f"{edit}/hapus", {}, page=f"{BASE}/jawaban")
    assert response.status_code == 303
    assert count(session, AnswerTemplate) == 1


# Days off -------------------------------------------------------------------------------------------
def test_one_day_off_is_added_and_removed(admin, session):
    response = post(admin, f"{BASE}/libur", {"day": "2031-01-02", "name": "Libur Uji",
                                              "kind": "cuti_bersama"})
    assert response.status_code == 303
    reload(session)
    holiday = session.get(Holiday, date(2031, 1, 2))
    assert (holiday.name, holiday.kind) == ("Libur Uji", "cuti_bersama")
    assert "Libur Uji" in text(admin.get(f"{BASE}/libur?tahun=2031"))
    response = post(admin, f"{BASE}/libur/2031-01-02/hapus", {}, page=f"{BASE}/libur")
    assert response.status_code == 303
    assert count(session, Holiday) == 0
    assert admin.post(f"{BASE}/libur/2031-13-45/hapus",
                      data={"csrf_token": csrf_token(admin, f"{BASE}/libur")}).status_code == 404


def test_many_days_off_are_pasted_in_one_go(admin, session):
    lines = ("# test-only days\n"
             "2031-03-20;Libur Uji Satu;libur\n"
             "\n"
             "21-03-2031;Cuti Uji;cuti bersama\n"
             "2031-03-24\tLibur Uji Dua\n"
             "2031-03-25,Libur Uji, dengan koma,libur\n")
    response = post(admin, f"{BASE}/libur/tempel", {"lines": lines}, page=f"{BASE}/libur")
    assert response.status_code == 303, text(response)[:2000]
    reload(session)
    days = {h.day: (h.name, h.kind) for h in session.scalars(select(Holiday))}
    assert days == {
        date(2031, 3, 20): ("Libur Uji Satu", "libur"),
        date(2031, 3, 21): ("Cuti Uji", "cuti_bersama"),
        date(2031, 3, 24): ("Libur Uji Dua", "libur"),
        date(2031, 3, 25): ("Libur Uji, dengan koma", "libur"),
    }
    # Pasting again renames, and adds nothing twice.
    response = post(admin, f"{BASE}/libur/tempel", {"lines": "2031-03-20;Libur Uji Diganti;libur"},
                    page=f"{BASE}/libur")
    assert response.status_code == 303
    assert "0 day(s) added, 1 updated." in text(admin.get(response.headers["Location"]))
    reload(session)
    assert session.get(Holiday, date(2031, 3, 20)).name == "Libur Uji Diganti"
    assert count(session, Holiday) == 4


def test_a_paste_with_a_bad_line_saves_nothing_and_names_the_lines(admin, session):
    lines = ("2031-04-01;Libur Uji;libur\n"
             "2031-02-30;Tanggal salah;libur\n"
             "2031-04-02;Libur Uji Lain;setengah hari\n"
             "2031-04-01;Dua kali;libur\n"
             "hanya teks\n")
    response = post(admin, f"{BASE}/libur/tempel", {"lines": lines}, page=f"{BASE}/libur")
    page = text(response)
    assert response.status_code == 400
    assert "Nothing was saved: 4 line(s) could not be read." in page
    assert "Line 2: “2031-02-30” is not a date" in page
    assert "Line 3: “setengah hari” is not a kind of day off" in page
    assert "Line 4: 2031-04-01 is already on line 1." in page
    assert "Line 5: Write the date and the name" in page
    assert count(session, Holiday) == 0


def test_a_bad_single_day_off_is_explained(admin, session):
    response = post(admin, f"{BASE}/libur", {"day": "besok", "name": "Libur", "kind": "libur"})
    assert response.status_code == 400 and "Enter a date, e.g. 2026-03-20." in text(response)
    response = post(admin, f"{BASE}/libur", {"day": "2031-01-02", "name": "Libur", "kind": "setengah"})
    assert response.status_code == 400 and "Not a valid choice" in text(response)
    assert count(session, Holiday) == 0


# Working-hours periods ----------------------------------------------------------------------------------
def test_a_ramadan_period_is_kept_and_checked(admin, session):
    good = {"name": "Ramadan Uji", "starts_on": "2031-01-20", "ends_on": "2031-02-18", "day_start": "08:00",
            "day_end": "15:00"}
    assert post(admin, f"{BASE}/jam-kerja", good).status_code == 303
    reload(session)
    period = session.scalar(select(WorkingHoursPeriod))
    assert (period.starts_on, period.ends_on, period.day_start, period.day_end) == (
        date(2031, 1, 20), date(2031, 2, 18), time(8), time(15))
    for changes, message in (
        ({"ends_on": "2031-01-10"}, "The last day comes before the first."),
        ({"day_end": "07:00"}, "Offices close after they open."),
        ({"day_start": "pagi"}, "Enter a time like 09:00."),
        ({"starts_on": "2031-02-01", "ends_on": "2031-03-01"}, "It overlaps “Ramadan Uji”"),
    ):
        response = post(admin, f"{BASE}/jam-kerja", {**good, "name": "Lain", **changes})
        assert response.status_code == 400 and message in text(response), message
    assert count(session, WorkingHoursPeriod) == 1
    # Its own dates never overlap itself; then it is deleted.
    edit = f"{BASE}/jam-kerja/{period.id}"
    assert post(admin, edit, {**good, "day_end": "14:30"}).status_code == 303
    reload(session)
    assert session.get(WorkingHoursPeriod, period.id).day_end == time(14, 30)
    assert post(admin, f"{edit}/hapus", {}, page=f"{BASE}/jam-kerja").status_code == 303
    assert count(session, WorkingHoursPeriod) == 0


# CSV import -------------------------------------------------------------------------------------------
@pytest.fixture
def catalogue(session, people):
    session.add_all([ComplaintCategory(code="jalan", name="Jalan rusak", default_opd_id=people["roads"].id),
                     ComplaintCategory(code="air", name="Air bersih")])
    session.commit()
    return {c.code: c for c in session.scalars(select(ComplaintCategory))}


GOOD = (
    "ID;Tanggal diterima;Jenis;Kategori;Isi laporan;Kab/Kota;Kecamatan;Status;OPD;Nama pelapor;Kontak;"
    "Jawaban;Tanggal jawaban\n"
    "LPR-2025-0001;2025-11-03 09:15;pengaduan;jalan;Jalan berlubang di depan pasar.;Kota Semarang;"
    "Semarang Tengah;tuntas;DPUBMCK;Siti;0812-3456-7890;Sudah ditambal.;2025-11-04 10:00\n"
    "lpr-2025-0002;03/11/2025 20.30;aspirasi;Air bersih;Mohon tambah jaringan air.;3322;;dalam tindakan;"
    "DPU BMCK;;warga@example.com;;\n"
    "SP4N-2025-000000000000123;2025-11-05;informasi;;Minta data anggaran.;Kab. Semarang;;;;;;"
    "Data terlampir.;2025-11-20 09:00\n"
)


def upload(client, data: bytes, filename: str = "lapor.csv"):
    token = csrf_token(client, IMPORT)
    return client.post(IMPORT, data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def commit(client):
    return client.post(f"{IMPORT}/simpan", data={"csrf_token": csrf_token(client, IMPORT)})


def test_an_import_keeps_the_original_ids_and_is_not_public(app, admin, session, catalogue, people):
    with clock.frozen(NOW):
        response = upload(admin, codecs.BOM_UTF8 + GOOD.encode())
        assert response.status_code == 303
        preview = text(admin.get(IMPORT))
        assert "3 report(s) in the file" in preview and "3 ready" in preview and "0 with problems" in preview
        assert "LPR-2025-0001" in preview and "Import 3 report(s)" in preview
        assert count(session, Complaint) == 0  # the preview writes nothing
        response = commit(admin)
        assert response.status_code == 303
        assert "3 report(s) imported" in text(admin.get(response.headers["Location"]))
    reload(session)
    found = {c.original_id: c for c in session.scalars(select(Complaint))}
    assert set(found) == {"LPR-2025-0001", "lpr-2025-0002", "SP4N-2025-000000000000123"}
    first, second, third = found["LPR-2025-0001"], found["lpr-2025-0002"], found["SP4N-2025-000000000000123"]
    # The original ID is the tracking ID when it is written as one and short enough.
    assert first.tracking_id == "LPR-2025-0001"
    assert re.fullmatch(r"LG-[A-Z2-9]{4}-[A-Z2-9]{4}", second.tracking_id)
    assert re.fullmatch(r"LG-[A-Z2-9]{4}-[A-Z2-9]{4}", third.tracking_id)
    assert complaints.find(session, "LPR-2025-0001").id == first.id
    assert {c.source for c in found.values()} == {"import"}
    # Statuses, times (WIB), places and people as the file says.
    assert (first.state, first.type, first.category_id, first.region_code, first.opd_id) == (
        "closed", "pengaduan", catalogue["jalan"].id, "3374", people["roads"].id)
    assert clock.to_wib(first.received_at).strftime("%Y-%m-%d %H:%M") == "2025-11-03 09:15"
    assert first.answered_at == first.first_response_at == first.resolved_at == first.closed_at == \
        clock.from_wib(datetime(2025, 11, 4, 10, 0))
    assert (first.reporter_name, first.reporter_phone, first.anonymous) == ("Siti", "+6281234567890", True)
    assert (second.state, second.type, second.category_id, second.region_code) == (
        "in_progress", "aspirasi", catalogue["air"].id, "3322")
    assert clock.to_wib(second.received_at).strftime("%Y-%m-%d %H:%M") == "2025-11-03 20:30"
    # Received in the evening: its working-day clocks start the next morning.
    assert clock.to_wib(second.clock_start_at).strftime("%Y-%m-%d %H:%M") == "2025-11-04 08:00"
    assert second.reporter_email == "warga@example.com" and second.first_response_at is None
    assert (third.state, third.type, third.region_code) == ("answered", "informasi", "3322")
    # Nothing public before a verifier's review; the answer is there for the reporter when it is.
    assert all(c.reviewed_at is None and not c.is_public for c in found.values())
    answer = session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == first.id,
                                                         ComplaintEvent.kind == "answer"))
    assert answer.public and answer.text == "Sudah ditambal." and answer.created_at == first.answered_at
    # Reporters are not messaged; the rollups count the reports.
    assert session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.subject_type == "complaint")) == 0
    november = session.scalar(select(ComplaintRollup).where(ComplaintRollup.dimension == "all",
                                                            ComplaintRollup.month == date(2025, 11, 1)))
    assert (november.received, november.resolved, november.responded, november.responded_24h) == (3, 1, 2, 0)
    assert november.response_hours == {"24": 1, "369": 1}
    # The same rollups as a recount from the reports gives.
    def snapshot():
        return {(r.month, r.dimension, r.key): (r.received, r.resolved, r.responded, r.responded_24h,
                                                r.response_hours)
                for r in session.scalars(select(ComplaintRollup).execution_options(populate_existing=True))
                if r.received}
    counted = snapshot()
    assert len(counted) == 1 + 2 + 3 + 2  # all; OPD DPUBMCK and none; two categories and none; two regions
    complaints.rebuild_rollups(session)
    session.flush()
    assert snapshot() == counted
    session.rollback()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.imported"))
    assert entry.details["count"] == 3 and "Siti" not in str(entry.details)
    assert complaints.citizen_status(first) == "Tuntas"


def test_bad_rows_are_listed_and_nothing_is_imported(app, admin, session, catalogue):
    rows = (
        "ID,Tanggal,Kategori,Isi laporan,Kab/Kota,Kontak,Status,Jawaban,Tanggal jawaban\n"
        "A-1,2025-11-03 09:15,jalan,Baik.,3374,,,,\n"
        "A-2,2027-01-01 09:00,jalan,Dari masa depan.,3374,,,,\n"
        "A-3,kemarin,jalan,Tanggal salah.,3374,,,,\n"
        "A-4,2025-11-03 09:15,sampah,Kategori tak dikenal.,3374,,,,\n"
        "A-5,2025-11-03 09:15,jalan,,3374,,,,\n"
        "A-6,2025-11-03 09:15,jalan,Wilayah ganda.,Semarang,12,,,\n"
        "A-1,2025-11-03 09:15,jalan,Nomor sama.,3374,,,,\n"
        "A-8,2025-11-03 09:15,jalan,Status aneh.,3374,,ditunda,,\n"
        "A-9,2025-11-03 09:15,jalan,Jawaban tanpa tanggal.,3374,,,Sudah.,\n"
        "A-10,2025-11-03 09:15,jalan,Jawaban sebelum laporan.,3374,,,Sudah.,2025-11-01 08:00\n"
    )
    with clock.frozen(NOW):
        assert upload(admin, rows.encode()).status_code == 303
        page = text(admin.get(IMPORT))
        for expected in (
            "Received (WIB) is in the future.",
            "Received (WIB): “kemarin” is not a date and time",
            "Category: “sampah” is neither the code nor the name of a category.",
            "The description is empty.",
            "Kabupaten/kota: “Semarang” is not one of Jawa Tengah&#39;s 35",
            "Contact: ",
            "The ID A-1 is also on row 2.",
            "Status: “ditunda” is not one of",
            "The report has an answer but no date of the answer",
            "Answered (WIB) is before the report was received.",
        ):
            assert expected in page, expected
        assert "1 ready" in page and "9 with problems" in page and "Import 10" not in page
        response = commit(admin)
        assert response.status_code == 303
        assert "Nothing was imported: 9 row(s) have problems" in text(admin.get(response.headers["Location"]))
    assert count(session, Complaint) == 0 and count(session, ComplaintEvent) == 0
    assert count(session, ComplaintRollup) == 0


def test_reimporting_the_same_ids_is_refused_per_row(app, admin, session, catalogue):
    with clock.frozen(NOW):
        upload(admin, GOOD.encode())
        assert commit(admin).status_code == 303
        again = GOOD + "LPR-2025-0009;2025-11-06 08:00;;;Laporan baru.;;;;;;;;\n"
        upload(admin, again.encode())
        page = text(admin.get(IMPORT))
        assert page.count("Already imported: a report with the original ID") == 3
        assert "1 ready" in page
        commit(admin)
    assert count(session, Complaint) == 3
    assert session.scalar(select(func.count()).where(Complaint.original_id == "LPR-2025-0009")) == 0


def test_the_whole_file_or_nothing_at_commit(app, session, catalogue, people):
    """Even when the preview was clean, a row that became bad meanwhile stops the whole file."""
    data = GOOD.encode()
    with clock.frozen(NOW):
        check = complaint_import.check_file(session, data, "lapor.csv", config=app.config, max_rows=100)
        assert check.can_commit and len(check.rows) == 3
        session.add(ComplaintCategory(code="lain", name="Lain"))
        session.delete(session.get(ComplaintCategory, catalogue["air"].id))
        session.flush()
        with pytest.raises(ValidationError):
            complaint_import.commit_import(session, people["admin"], data, "lapor.csv", config=app.config,
                                           max_rows=100)
    session.rollback()
    assert count(session, Complaint) == 0


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "foto.png", "This file is not a table"),
    (b"", "kosong.csv", "The file is empty."),
    (b"", "", "Choose the file to import."),
])
def test_an_upload_that_is_not_a_table_is_refused(admin, session, data, filename, message):
    response = upload(admin, data, filename)
    assert response.status_code == 400 and message in text(response)


def test_a_file_without_the_required_columns_cannot_be_imported(admin, session, catalogue):
    upload(admin, b"Nomor;Isi laporan\nA-1;Jalan rusak.\n")
    page = text(admin.get(IMPORT))
    assert "The file has no column for Received (WIB)" in page and "Import 1" not in page
    commit(admin)
    assert count(session, Complaint) == 0


def test_an_import_can_be_cancelled_and_needs_an_upload(app, admin, session, storage, catalogue):
    response = commit(admin)
    assert "There is no file waiting to be imported" in text(admin.get(response.headers["Location"]))
    upload(admin, GOOD.encode())
    with admin.session_transaction() as browser:
        key = browser["lapor_import"]["key"]
    assert storage.exists(key)
    response = admin.post(f"{IMPORT}/batal", data={"csrf_token": csrf_token(admin, IMPORT)})
    assert response.status_code == 303 and not storage.exists(key)
    assert "Preview of" not in text(admin.get(IMPORT))
    assert count(session, Complaint) == 0

"""Lapor Gub for officers (/app/lapor): who sees which report and which of the reporter's
details, the verifier's review with a blacked-out photo area, rejection, merging, hand-off,
disposition, answers with a template, counter/phone intake, the queues' SLA marks and the
leadership board, all with a frozen clock."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import AnswerTemplate, Complaint, ComplaintCategory, ComplaintEvent, Delivery
from pressroom.services import complaint_board, complaints, workcal
from tests.conftest import csrf_token, login, reload

#: Monday 2 March 2026, 10.00 WIB.
MONDAY_10_WIB = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
NAME, PHONE, EMAIL = "Siti Rahayu Wulandari", "0812-3456-7890", "siti.wulandari@contoh.example"
LATITUDE, LONGITUDE, ADDRESS = -6.987654, 110.412345, "Jl. Melati Raya No. 17"


@pytest.fixture
def lapor(app, session, factory):
    with clock.frozen(MONDAY_10_WIB):
        pu, dinkes = factory.opd("DPUBMCK", short_name="DPUBMCK"), factory.opd("DINKES", short_name="Dinkes")
        kominfo = factory.opd("DISKOMINFO")
        people = SimpleNamespace(
            verifier=factory.user("verifier", kominfo, name="Maya Verifikator"),
            officer=factory.user("officer", pu, name="Petugas Jalan"),
            colleague=factory.user("officer", pu, name="Rekan Petugas"),
            other=factory.user("officer", dinkes, name="Petugas Kesehatan"),
            editor=factory.user("editor", pu),
            viewer=factory.user("viewer", factory.opd("SETDA")),
        )
        roads = ComplaintCategory(code="jalan", name="Jalan rusak", default_opd_id=pu.id)
        session.add(roads)
        session.commit()
        yield SimpleNamespace(pu=pu, dinkes=dinkes, roads=roads, **vars(people))


def _photo(width=200, height=100) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (220, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _report(app, session, world, *, contact=PHONE, anonymous=True, photo=False, received_at=None,
            description="Jalan berlubang besar di depan pasar, membahayakan pengendara."):
    complaint, pin = complaints.submit(session, complaints.ReportInput(
        category_id=world.roads.id, description=description, region_code="3374",
        kecamatan="Semarang Tengah", address=ADDRESS, latitude=LATITUDE, longitude=LONGITUDE,
        reporter_name=NAME, contact=contact, anonymous=anonymous), config=app.config, received_at=received_at)
    if photo:
        complaints.add_photo(session, app.extensions["storage"], complaint, _photo())
    session.commit()
    return complaint


def _disposed(app, session, world, **values):
    complaint = _report(app, session, world, **values)
    complaints.verify(session, world.verifier, complaint, config=app.config)
    complaints.dispose(session, world.verifier, complaint, world.pu, config=app.config)
    session.commit()
    return complaint


def _client(app, factory, user):
    client = app.test_client()
    login(client, user, factory)
    return client


def _post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def _identity_leaks(html: str) -> list[str]:
    found = [v for v in (NAME, "Siti", PHONE, "+6281234567890", "81234567890", EMAIL, ADDRESS) if v in html]
    found += [v for v in (str(LATITUDE), str(LONGITUDE), "6.98765", "110.41234") if v in html]
    return found


def _updates(session, complaint) -> list[Delivery]:
    query = select(Delivery).where(Delivery.subject_type == "complaint", Delivery.subject_id == complaint.id)
    return session.scalars(query.order_by(Delivery.id)).all()


# Who sees what -------------------------------------------------------------------------------
def test_the_opd_view_never_shows_an_anonymous_reporter_nor_the_exact_location(app, session, factory, lapor):
    complaint = _disposed(app, session, lapor, photo=True)
    page = f"/app/lapor/{complaint.id}"
    photo = complaint.photos[0]

    officer = _client(app, factory, lapor.officer)
    html = officer.get(page).get_data(as_text=True)
    assert complaint.tracking_id in html and "Jalan berlubang besar" in html
    assert _identity_leaks(html) == []
    assert f"/foto/{photo.id}" not in html  # the private original is not offered …
    assert officer.get(f"{page}/foto/{photo.id}").status_code == 403  # … nor served
    queue = officer.get("/app/lapor/").get_data(as_text=True)
    assert complaint.tracking_id in queue and _identity_leaks(queue) == []

    verifier = _client(app, factory, lapor.verifier)
    html = verifier.get(page).get_data(as_text=True)
    assert NAME in html and PHONE in html and ADDRESS in html and str(LATITUDE) in html
    original = verifier.get(f"{page}/foto/{photo.id}")
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    assert "no-store" in original.headers["Cache-Control"]


def test_the_opd_sees_a_named_reporter_but_never_the_coordinates(app, session, factory, lapor):
    complaint = _disposed(app, session, lapor, anonymous=False)
    html = _client(app, factory, lapor.officer).get(f"/app/lapor/{complaint.id}").get_data(as_text=True)
    assert NAME in html and PHONE in html
    assert str(LATITUDE) not in html and str(LONGITUDE) not in html


def test_another_opd_and_undisposed_reports_are_out_of_reach(app, session, factory, lapor):
    disposed = _disposed(app, session, lapor)
    waiting = _report(app, session, lapor)
    other = _client(app, factory, lapor.other)
    assert other.get(f"/app/lapor/{disposed.id}").status_code == 403
    queue = other.get("/app/lapor/?antrean=all").get_data(as_text=True)
    assert disposed.tracking_id not in queue and waiting.tracking_id not in queue
    officer = _client(app, factory, lapor.officer)
    assert officer.get(f"/app/lapor/{waiting.id}").status_code == 403  # not disposed yet
    assert officer.get(f"/app/lapor/{disposed.id}").status_code == 200
    # An officer of another OPD cannot act on it either.
    response = _post(other, f"/app/lapor/{disposed.id}/jawab", "/app/lapor/baru", answer_text="Bukan kami")
    assert response.status_code == 403
    # Editors (no complaint role) have no queue.
    editor = _client(app, factory, lapor.editor)
    assert editor.get("/app/lapor/").status_code == 403
    assert "/app/lapor/" not in editor.get("/app/").get_data(as_text=True)
    assert 'href="/app/lapor/"' in officer.get("/app/").get_data(as_text=True)


# The verifier's work ---------------------------------------------------------------------------
def test_review_blacks_out_the_marked_area_of_the_public_copy_only(app, session, factory, lapor, storage):
    complaint = _report(app, session, lapor, photo=True)
    photo = complaint.photos[0]
    page = f"/app/lapor/{complaint.id}"
    verifier = _client(app, factory, lapor.verifier)
    html = verifier.get(page).get_data(as_text=True)
    assert "js/redact.js" in html and f'name="box-{photo.id}-x"' in html

    # A malformed area: refused in words, nothing public yet.
    response = _post(verifier, f"{page}/tinjau", page, public_description="Jalan berlubang.",
                     **{f"box-{photo.id}-x": "sepuluh", f"box-{photo.id}-y": "2", f"box-{photo.id}-w": "3",
                        f"box-{photo.id}-h": "4"})
    assert response.status_code == 302
    assert "flash-error" in verifier.get(page).get_data(as_text=True)
    reload(session)
    assert session.get(Complaint, complaint.id).reviewed_at is None

    rows = {f"box-{photo.id}-{k}": [v, ""] for k, v in zip("xywh", ("10", "20", "30", "40"), strict=True)}
    response = _post(verifier, f"{page}/tinjau", page,
                     public_description="Jalan berlubang di depan rumah [disamarkan].", **rows)
    assert response.status_code == 302
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    photo = complaint.photos[0]
    assert complaint.reviewed_at is not None and complaint.public_description.endswith("[disamarkan].")
    assert photo.redactions == [{"x": 10, "y": 20, "w": 30, "h": 40}] and photo.public_key
    with Image.open(io.BytesIO(storage.get(photo.public_key, public=True))) as public:
        inside, outside = public.convert("RGB").getpixel((25, 40)), public.convert("RGB").getpixel((150, 50))
    assert max(inside) < 30, inside  # blacked out
    assert outside[0] > 180 and outside[1] < 80, outside  # the rest of the photo is untouched
    with Image.open(io.BytesIO(storage.get(photo.storage_key))) as original:
        assert original.convert("RGB").getpixel((25, 40))[0] > 180  # the private original is unchanged

    # Hiding the photo withdraws the public copy.
    _post(verifier, f"{page}/tinjau", page, public_description="Jalan.", **{f"hide-{photo.id}": "1"})
    reload(session)
    photo = session.get(Complaint, complaint.id).photos[0]
    assert photo.hidden and photo.public_key is None


def test_reject_needs_a_reason_the_reporter_reads(app, session, factory, lapor):
    complaint = _report(app, session, lapor)
    page = f"/app/lapor/{complaint.id}"
    verifier = _client(app, factory, lapor.verifier)
    _post(verifier, f"{page}/tolak", page, reason="  ")
    reload(session)
    assert session.get(Complaint, complaint.id).state == "received"
    reason = "Laporan tidak memuat lokasi yang jelas."
    assert _post(verifier, f"{page}/tolak", page, reason=reason).status_code == 302
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    assert complaint.state == "rejected" and complaint.state_reason == reason
    assert reason in _updates(session, complaint)[-1].payload["text"]
    assert complaints.citizen_status(complaint) == "Tidak Layak"


def test_mark_duplicate_by_the_tracking_id_as_read_out(app, session, factory, lapor):
    original = _report(app, session, lapor)
    copy = _report(app, session, lapor)
    page = f"/app/lapor/{copy.id}"
    verifier = _client(app, factory, lapor.verifier)
    _post(verifier, f"{page}/duplikat", page, original="LG-ZZZZ-ZZZZ")
    reload(session)
    assert session.get(Complaint, copy.id).state == "received"
    spoken = original.tracking_id.lower().replace("-", " ")
    assert _post(verifier, f"{page}/duplikat", page, original=spoken).status_code == 302
    reload(session)
    copy = session.get(Complaint, copy.id)
    assert copy.state == "duplicate" and copy.duplicate_of_id == original.id
    html = verifier.get(f"/app/lapor/{original.id}").get_data(as_text=True)
    assert copy.tracking_id in html  # listed as merged into the original


def test_hand_off_reaches_the_reporter_with_the_explanation(app, session, factory, lapor):
    complaint = _report(app, session, lapor, contact=EMAIL)
    page = f"/app/lapor/{complaint.id}"
    verifier = _client(app, factory, lapor.verifier)
    html = verifier.get(page).get_data(as_text=True)
    assert re.search(r'<option selected value="Kota Semarang">|<option value="Kota Semarang" selected', html)
    explanation = "Jalan ini jalan nasional; kewenangan Balai Besar Pelaksanaan Jalan Nasional."
    _post(verifier, f"{page}/alihkan", page, to="Kota Atlantis", reference="", explanation=explanation)
    reload(session)
    assert session.get(Complaint, complaint.id).state == "received"  # not a place on the list
    response = _post(verifier, f"{page}/alihkan", page, to="SP4N-LAPOR!", reference="LAP-2026-0042",
                     explanation=explanation)
    assert response.status_code == 302
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    assert (complaint.state, complaint.handoff_to, complaint.handoff_reference) == (
        "handed_off", "SP4N-LAPOR!", "LAP-2026-0042")
    update = _updates(session, complaint)[-1]
    assert update.kind == "transactional" and update.channel == "email" and update.recipient == EMAIL
    assert explanation in update.payload["text"] and "LAP-2026-0042" in update.payload["text"]


def test_dispose_offers_the_categorys_opd_and_the_opd_then_sees_it(app, session, factory, lapor):
    complaint = _report(app, session, lapor)
    page = f"/app/lapor/{complaint.id}"
    verifier = _client(app, factory, lapor.verifier)
    _post(verifier, f"{page}/verifikasi", page)
    html = verifier.get(page).get_data(as_text=True)
    selected = re.search(r'<select id="opd_id" name="opd_id">(.*?)</select>', html, re.S).group(1)
    pu = lapor.pu.id
    assert re.search(rf'<option selected value="{pu}">|<option value="{pu}" selected', selected)
    officer = _client(app, factory, lapor.officer)
    assert complaint.tracking_id not in officer.get("/app/lapor/").get_data(as_text=True)
    _post(verifier, f"{page}/disposisi", page, opd_id=str(lapor.pu.id), note="Mohon cek lokasi.")
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    assert complaint.state == "dispositioned" and complaint.opd_id == lapor.pu.id
    assert complaint.tracking_id in officer.get("/app/lapor/").get_data(as_text=True)
    assert "Mohon cek lokasi." in officer.get(page).get_data(as_text=True)


def test_the_officer_names_a_pic_notes_and_answers_with_a_template(app, session, factory, lapor, storage):
    complaint = _disposed(app, session, lapor)
    template = AnswerTemplate(category_id=lapor.roads.id, title="Sudah ditambal",
                              text="Terima kasih. Lubang sudah ditambal oleh tim UPT.")
    session.add(template)
    session.commit()
    page = f"/app/lapor/{complaint.id}"
    officer = _client(app, factory, lapor.officer)
    html = officer.get(page).get_data(as_text=True)
    assert "Sudah ditambal" in html and "Rekan Petugas" in html and "Petugas Kesehatan" not in html
    # Only the OPD's own people can be named.
    _post(officer, f"{page}/pic", page, pic_user_id=str(lapor.other.id))
    reload(session)
    assert session.get(Complaint, complaint.id).pic_user_id is None
    _post(officer, f"{page}/pic", page, pic_user_id=str(lapor.colleague.id))
    _post(officer, f"{page}/catatan", page, note_text="Cek dengan UPT wilayah.")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = officer.post(f"{page}/jawab", data={
        "csrf_token": csrf_token(officer, page), "template_id": str(template.id), "answer_text": "",
        "resolved": "1",
        "attachments": [(io.BytesIO(pdf), "berita acara.pdf"), (io.BytesIO(_photo()), "foto.png")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    assert complaint.state == "resolved" and complaint.pic_user_id == lapor.colleague.id
    answer = session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                         ComplaintEvent.kind == "answer"))
    assert answer.public and answer.text == template.text
    keys = answer.details["attachments"]
    assert [complaint_board.attachment_name(k) for k in keys] == ["berita-acara.pdf", "foto.jpg"]
    assert storage.get(keys[0], public=True) == pdf and storage.exists(keys[1], public=True)
    note = session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "note"))
    assert not note.public and note.text == "Cek dengan UPT wilayah."
    html = officer.get(page).get_data(as_text=True)
    internal = html.split('class="plain trail trail-internal"', 1)[1]
    public = html.split('class="plain trail trail-public"', 1)[1].split("trail-internal", 1)[0]
    assert "Cek dengan UPT wilayah." in internal and "Cek dengan UPT wilayah." not in public
    assert template.text in public and "berita-acara.pdf" in public
    assert f"/lapor/status?id={complaint.tracking_id}" in _updates(session, complaint)[-1].payload["text"]

    # A refused answer (wrong file) changes nothing and stores nothing.
    before = session.scalar(select(func.count()).select_from(ComplaintEvent))
    response = officer.post(f"{page}/jawab", data={
        "csrf_token": csrf_token(officer, page), "template_id": "0", "answer_text": "Tambahan.",
        "attachments": [(io.BytesIO(b"MZ\x90\x00 not a document"), "virus.exe")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    reload(session)
    assert session.scalar(select(func.count()).select_from(ComplaintEvent)) == before


# Counter and phone intake -----------------------------------------------------------------------
def test_counter_intake_shows_the_id_and_pin_to_read_out(app, session, factory, lapor):
    officer = _client(app, factory, lapor.officer)
    form = {"source": "phone", "type": "pengaduan", "category_id": str(lapor.roads.id),
            "description": "Lampu jalan mati sejak <b>seminggu</b>.", "region_code": "3374",
            "kecamatan": "Candisari",
            "address": "Jl. Sultan Agung", "reporter_name": "Pak Darmo", "contact": "", "anonymous": "y"}
    response = _post(officer, "/app/lapor/baru", "/app/lapor/baru", **{**form, "description": ""})
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Complaint)) == 0

    response = officer.post("/app/lapor/baru", data={
        "csrf_token": csrf_token(officer, "/app/lapor/baru"), **form,
        "photos": [(io.BytesIO(_photo()), "lampu.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tracking = re.search(r'class="tracking-id">(LG-[A-Z0-9]{4}-[A-Z0-9]{4})<', html).group(1)
    pin = re.search(r'class="pin">(\d{6})<', html).group(1)
    reload(session)
    complaint = complaints.find(session, tracking)
    assert complaint.source == "phone" and complaint.created_by_id == lapor.officer.id
    assert complaints.check_pin(app.config["SECRET_KEY"], complaint, pin)
    assert len(complaint.photos) == 1 and complaint.reporter_phone is None
    assert _updates(session, complaint) == []  # no contact: nothing to send, the PIN was read out
    html = _client(app, factory, lapor.verifier).get(f"/app/lapor/{complaint.id}").get_data(as_text=True)
    assert "sejak &lt;b&gt;seminggu&lt;/b&gt;." in html and "<b>seminggu" not in html  # HTML is escaped

    # With a contact, the citizen also gets the ID and PIN on it.
    response = _post(officer, "/app/lapor/baru", "/app/lapor/baru", **{**form, "source": "counter",
                                                                      "contact": "0813-2222-3333"})
    tracking = re.search(r'class="tracking-id">([^<]+)<', response.get_data(as_text=True)).group(1)
    reload(session)
    complaint = complaints.find(session, tracking)
    assert complaint.source == "counter" and len(_updates(session, complaint)) == 1
    # Only complaint staff take reports.
    editor = _client(app, factory, lapor.editor)
    assert editor.get("/app/lapor/baru").status_code == 403


# Queues and the board ---------------------------------------------------------------------------
def test_queues_mark_overdue_and_urgent_reports(app, session, factory, lapor):
    late = _report(app, session, lapor, received_at=MONDAY_10_WIB - timedelta(hours=30))
    fresh = _report(app, session, lapor)
    verifier = _client(app, factory, lapor.verifier)
    html = verifier.get("/app/lapor/").get_data(as_text=True)
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")
    late_row = next(r for r in rows if late.tracking_id in r)
    fresh_row = next(r for r in rows if fresh.tracking_id in r)
    assert "is-overdue" in late_row and 'class="tag overdue' in late_row
    assert "is-overdue" not in fresh_row and "3 Maret 2026 10.00 WIB" in fresh_row  # 24 h after receipt
    assert html.index(late.tracking_id) < html.index(fresh.tracking_id)
    page = f"/app/lapor/{fresh.id}"
    _post(verifier, f"{page}/mendesak", page, urgent="1")
    html = verifier.get("/app/lapor/").get_data(as_text=True)
    assert html.index(fresh.tracking_id) < html.index(late.tracking_id)  # urgent first
    reload(session)
    assert session.get(Complaint, fresh.id).urgent
    filtered = verifier.get("/app/lapor/?antrean=all&status=rejected").get_data(as_text=True)
    assert fresh.tracking_id not in filtered


def test_the_board_counts_first_responses_per_opd_this_week_and_month(app, session, factory, lapor):
    wib = clock.from_wib

    def received(at, *, responded=None, opd=None):
        complaint = _report(app, session, lapor, received_at=at)
        if responded is not None:
            with clock.frozen(responded):
                complaints.verify(session, lapor.verifier, complaint, config=app.config)
                if opd is not None:
                    complaints.dispose(session, lapor.verifier, complaint, opd, config=app.config)
            session.commit()
        return complaint

    def at(day, hour):
        return wib(datetime(2026, *day, hour))

    received(at((3, 2), 8), responded=at((3, 2), 10), opd=lapor.pu)  # within
    received(at((3, 2), 9), responded=at((3, 3), 15), opd=lapor.pu)  # 30 hours: missed
    received(at((3, 1), 10), responded=at((3, 1), 20), opd=lapor.pu)  # Sunday: last week, this month
    received(at((2, 27), 10), responded=at((3, 2), 20), opd=lapor.dinkes)  # February: neither
    received(at((3, 3), 9), responded=at((3, 3), 12), opd=lapor.dinkes)  # within
    received(at((3, 2), 7))  # never answered: missed, and overdue now
    received(at((3, 4), 8))  # two hours old: still waiting

    with clock.frozen(wib(datetime(2026, 3, 4, 10))):  # Wednesday 4 March, 10.00 WIB
        board = complaint_board.board(session, workcal.load(session, app.config))
        by_opd = {(r.opd.code if r.opd else None): r for r in board.rows}
        pu, dinkes, desk = by_opd["DPUBMCK"], by_opd["DINKES"], by_opd[None]
        assert (pu.week.within, pu.week.missed, pu.month.within, pu.month.missed) == (1, 1, 2, 1)
        assert (dinkes.week.within, dinkes.week.missed, dinkes.month.within, dinkes.month.missed) == (
            1, 0, 1, 0)
        assert (desk.week.missed, desk.month.missed, desk.waiting, desk.overdue) == (1, 1, 1, 1)
        assert (board.total.week.within, board.total.month.missed, board.total.overdue) == (2, 2, 1)
        assert str(board.week_start) == "2026-03-02" and str(board.month_start) == "2026-03-01"

        viewer = _client(app, factory, lapor.viewer)
        html = viewer.get("/app/lapor/papan").get_data(as_text=True)
        row = html.split('data-opd="DPUBMCK"', 1)[1].split("</tr>", 1)[0]
        assert re.search(r'data-cell="week-within">1<', row)
        assert re.search(r'data-cell="month-within">2<', row)
        assert re.search(r'data-cell="month-missed">1\b', row)
        officer = _client(app, factory, lapor.officer)
        assert officer.get("/app/lapor/papan").status_code == 200
        assert _client(app, factory, lapor.editor).get("/app/lapor/papan").status_code == 403

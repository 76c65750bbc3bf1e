"""Lapor Gub for citizens: the report form (photos, validation, honeypot, flood limits), the
tracking ID and PIN shown once, the status by ID and with the PIN (throttled guessing), the
"sudah tuntas?" answer, and the public reports."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from pressroom.models import Complaint, ComplaintCategory, ComplaintPhoto, Delivery, LoginAttempt
from pressroom.services import complaints
from tests.conftest import CSRF_RE, reload

#: Semarang's BPS code.
SEMARANG = "3374"


# Helpers ------------------------------------------------------------------------------------------
def _jpeg(size=(64, 48), *, gps: bool = False, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (20, 160, 60))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.Base.Make] = "KameraRahasia"
        exif[ExifTags.IFD.GPSInfo] = {1: "S", 2: (6.0, 58.0, 48.0), 3: "E", 4: (110.0, 25.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


_BOMB: list[bytes] = []


def _bomb() -> bytes:
    """A 10 KB PNG that decodes to 81 million pixels (two-colour, all zero)."""
    if not _BOMB:
        out = io.BytesIO()
        Image.new("1", (9000, 9000)).save(out, format="PNG", optimize=True)
        _BOMB.append(out.getvalue())
    return _BOMB[0]


def _token(client, path: str = "/lapor") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _fields(category, **overrides) -> dict:
    fields = {
        "type": "pengaduan",
        "category_id": str(category.id),
        "description": "Jalan berlubang besar di depan pasar, berbahaya bagi pengendara motor.",
        "region_code": SEMARANG,
        "kecamatan": "Semarang Tengah",
        "address": "Jl. Pemuda 12",
        "reporter_name": "Siti Aminah",
        "contact": "0812-3456-7890",
        "anonymous": "1",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def _post(client, category, *, photos=(), headers=None, **overrides):
    data = {"csrf_token": _token(client), **_fields(category, **overrides)}
    if photos:
        data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    return client.post("/lapor", data=data, content_type="multipart/form-data", headers=headers or {})


def _count(session, model=Complaint) -> int:
    reload(session)
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def category(session):
    item = ComplaintCategory(code="jalan", name="Jalan dan jembatan")
    session.add(item)
    session.commit()
    return item


@pytest.fixture
def people(factory):
    opd = factory.opd("DPUBMCK")
    verifier = factory.user("verifier", factory.opd("DISKOMINFO"))
    officer = factory.user("officer", opd)
    return opd, verifier, officer


def _submit(app, session, category, **values):
    """A report made through the service (for status and public-page tests)."""
    data = complaints.ReportInput(category_id=category.id, description="Lampu jalan mati sejak sepekan.",
                                  region_code=SEMARANG, kecamatan="Candisari", reporter_name="Budi",
                                  contact="budi@contoh.example", **values)
    complaint, pin = complaints.submit(session, data, config=app.config)
    session.commit()
    return complaint, pin


def _public(app, session, storage, people, complaint, text="Lampu jalan mati sejak sepekan."):
    opd, verifier, _officer = people
    complaints.review(session, verifier, complaint, public_description=text, storage=storage)
    complaints.verify(session, verifier, complaint, config=app.config)
    complaints.dispose(session, verifier, complaint, opd, config=app.config)
    session.commit()


# The form -----------------------------------------------------------------------------------------
def test_the_form_works_without_javascript_and_is_light(client, category):
    response = client.get("/lapor")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'accept="image/*"' in page
    assert "Jalan dan jembatan" in page and "Kota Semarang" in page
    # Anonymous is on, confidential off, by default.
    assert re.search(r'name="anonymous" value="1"[^>]*checked', page)
    assert not re.search(r'name="confidential" value="1"[^>]*checked', page)
    # The honeypot is hidden by a class (never an inline style) and says what it is for people.
    assert re.search(r'class="field lapor-hp"[^>]*>\s*<label for="website">', page)
    assert len(response.data) < 40_000


def test_a_report_with_a_photo_is_stored_and_the_pin_shown_once(app, client, session, storage, category):
    response = _post(client, category, photos=[("jalan.jpg", _jpeg())])
    assert response.status_code == 303 and response.headers["Location"].endswith("/lapor/terkirim")
    reload(session)
    complaint = session.scalar(select(Complaint))
    assert complaint.source == "web" and complaint.anonymous and not complaint.confidential
    assert complaint.reporter_phone == "+6281234567890" and complaint.kecamatan == "Semarang Tengah"
    assert complaint.client_hash and "127.0.0.1" not in complaint.client_hash
    assert len(complaint.photos) == 1 and storage.exists(complaint.photos[0].storage_key)
    # The reporter is told on WhatsApp (no email given), in the same transaction.
    delivery = session.scalar(select(Delivery).where(Delivery.subject_type == "complaint"))
    assert delivery.channel == "whatsapp" and complaint.tracking_id in delivery.payload["text"]

    page = client.get("/lapor/terkirim").get_data(as_text=True)
    groups = complaint.tracking_id.split("-")
    assert all(f"<span>{g}</span>" in page for g in groups)
    pin = re.search(r"PIN (\d{6})", delivery.payload["text"]).group(1)
    assert f"<span>{pin[:3]}</span><span>{pin[3:]}</span>" in page
    assert complaints.check_pin(app.config["SECRET_KEY"], complaint, pin)
    # Once: a reload no longer shows the PIN; it was never in a URL.
    again = client.get("/lapor/terkirim").get_data(as_text=True)
    assert pin[:3] not in again.replace(complaint.tracking_id, "")
    assert pin not in response.headers["Location"]


def test_without_anonymous_the_switch_is_off(client, session, category):
    _post(client, category, anonymous=None, confidential="1")
    reload(session)
    complaint = session.scalar(select(Complaint))
    assert complaint.anonymous is False and complaint.confidential is True


@pytest.mark.parametrize("overrides, field", [
    ({"description": "x" * 4001}, "description"),
    ({"contact": "0812-12"}, "contact"),
    ({"contact": "bukan-alamat@"}, "contact"),
    ({"category_id": ""}, "category_id"),
    ({"region_code": "9999"}, "region_code"),
])
def test_bad_input_is_refused_next_to_the_field_and_nothing_stored(client, session, category, overrides,
                                                                   field):
    response = _post(client, category, photos=[("a.jpg", _jpeg())], **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-err"' in page and 'aria-invalid="true"' in page
    assert _count(session) == 0 and _count(session, ComplaintPhoto) == 0 and _count(session, Delivery) == 0
    # What was typed stays in the form.
    assert "Semarang Tengah" in page


def test_4000_characters_with_line_breaks_are_accepted(client, session, category):
    text = ("a" * 99 + "\r\n") * 40  # 4,000 characters as people count them (CR LF is one line break)
    response = _post(client, category, description=text.strip())
    assert response.status_code == 303
    reload(session)
    assert len(session.scalar(select(Complaint)).description) <= 4000


@pytest.mark.parametrize("name, content", [
    ("surat.pdf", b"%PDF-1.4 not an image at all"),
    ("kosong.jpg", b""),
    ("bom.png", None),
])
def test_photos_that_are_not_safe_images_are_refused_before_anything_is_stored(client, session, storage,
                                                                                category, name, content):
    content = _bomb() if content is None else content
    response = _post(client, category, photos=[("baik.jpg", _jpeg()), (name, content)])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="photos-err"' in page and name in page
    assert _count(session) == 0 and _count(session, ComplaintPhoto) == 0 and _count(session, Delivery) == 0
    assert not (storage.root / "private" / "complaints").exists()  # no file written either


def test_more_than_five_photos_are_refused(client, session, category):
    response = _post(client, category, photos=[(f"{n}.jpg", _jpeg()) for n in range(6)])
    assert response.status_code == 400 and 'id="photos-err"' in response.get_data(as_text=True)
    assert _count(session) == 0


def test_exif_orientation_is_applied_and_location_and_camera_data_stripped(client, session, storage,
                                                                           category):
    original = _jpeg((64, 48), gps=True, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test can fail
    assert _post(client, category, photos=[("gps.jpg", original)]).status_code == 303
    reload(session)
    photo = session.scalar(select(ComplaintPhoto))
    stored = storage.get(photo.storage_key)
    with Image.open(io.BytesIO(stored)) as image:
        exif = image.getexif()
        assert image.size == (48, 64) and (photo.width, photo.height) == (48, 64)  # turned upright
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and ExifTags.Base.Make not in exif
        assert "exif" not in image.info
    assert b"KameraRahasia" not in stored and b"GPS" not in stored


def test_a_request_over_the_upload_limit_gets_the_form_with_a_message(app_factory, session):
    app = app_factory(MAX_UPLOAD_MB=1)
    client = app.test_client()
    from tests.conftest import open_test_session

    with open_test_session(app) as s:
        category = ComplaintCategory(code="jalan", name="Jalan")
        s.add(category)
        s.commit()
        # The body is built here, so the test client keeps it in memory rather than in a temporary
        # file it would leave open when the app refuses to read it.
        boundary, body = encode_multipart({"csrf_token": _token(client), **_fields(category),
                                           "photos": FileStorage(io.BytesIO(b"\xff" * (1024 * 1024 + 10)),
                                                                 "besar.jpg")})
        response = client.post("/lapor", data=body, content_type=f"multipart/form-data; boundary={boundary}")
        page = response.get_data(as_text=True)
        assert response.status_code == 413
        assert 'id="photos-err"' in page and "1 MB" in page and 'name="description"' in page
        assert s.scalar(select(func.count()).select_from(Complaint)) == 0


def test_html_in_a_report_is_escaped(app, client, session, storage, category, people):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = _post(client, category, description=evil, reporter_name=evil, kecamatan=evil, anonymous=None)
    assert response.status_code == 303
    reload(session)
    complaint = session.scalar(select(Complaint))
    _public(app, session, storage, people, complaint, text=evil)
    for path in (f"/lapor/laporan/{complaint.tracking_id}", "/lapor/laporan",
                 f"/lapor/status?id={complaint.tracking_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
    page = client.get(f"/lapor/laporan/{complaint.tracking_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    # And on the form shown again after an error.
    page = _post(client, category, description=evil, contact="salah").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_a_filled_honeypot_is_refused_openly_and_nothing_stored(client, session, category):
    response = _post(client, category, website="http://spam.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="website-err"' in page
    assert 'class="field lapor-hp"' not in page  # shown, so a person can clear it
    assert _count(session) == 0 and _count(session, Delivery) == 0


# Flood limits -------------------------------------------------------------------------------------
def test_flood_limit_per_contact(app, client, session, category):
    app.config["LAPOR_MAX_PER_CONTACT_DAY"] = 3
    for n in range(3):
        assert _post(client, category, description=f"Laporan ke-{n}").status_code == 303
    # The same number written differently is the same contact.
    response = _post(client, category, contact="+62 812 3456 7890")
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert 'name="description"' in response.get_data(as_text=True)
    assert _count(session) == 3
    # Another contact may still report.
    assert _post(client, category, contact="warga@contoh.example").status_code == 303
    assert _count(session) == 4


def test_flood_limit_per_client_address_behind_the_proxy(app_factory):
    app = app_factory(PROXY_HOPS=1, LAPOR_MAX_PER_CLIENT_HOUR=2)
    client = app.test_client()
    from tests.conftest import open_test_session

    with open_test_session(app) as s:
        category = ComplaintCategory(code="jalan", name="Jalan")
        s.add(category)
        s.commit()
        first = {"X-Forwarded-For": "203.0.113.7"}
        for n in range(2):
            response = _post(client, category, headers=first, contact=f"0812-3456-78{n}0")
            assert response.status_code == 303
        response = _post(client, category, headers=first, contact="0812-3456-7830")
        assert response.status_code == 429
        # Another client address behind the same proxy is not affected.
        assert _post(client, category, headers={"X-Forwarded-For": "198.51.100.9"},
                     contact="0812-3456-7840").status_code == 303
        hashes = s.scalars(select(Complaint.client_hash)).all()
        assert len(hashes) == 3 and len(set(hashes)) == 2
        assert not any("203.0.113.7" in h or "198.51.100.9" in h for h in hashes)


# Status -------------------------------------------------------------------------------------------
def test_status_by_id_alone_shows_the_status_but_not_the_answers(app, client, session, storage, category,
                                                                 people):
    complaint, _pin = _submit(app, session, category)
    _public(app, session, storage, people, complaint)
    complaints.answer(session, people[2], complaint, "Lampu sudah diganti kemarin.", config=app.config)
    session.commit()
    typed = complaint.tracking_id.lower().replace("-", " ")  # as read out over the phone
    response = client.get(f"/lapor/status?id={typed}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dalam Tindakan" in page and "Jalan dan jembatan" in page and "WIB" in page
    assert "24" in page  # the first-response promise in plain words
    assert "Lampu sudah diganti kemarin." not in page and 'name="pin"' in page
    assert "Budi" not in page and "budi@contoh.example" not in page


def test_status_with_the_pin_shows_answers_and_confirming_yes_closes(app, client, session, storage, category,
                                                                     people):
    complaint, pin = _submit(app, session, category)
    _public(app, session, storage, people, complaint)
    complaints.answer(session, people[2], complaint, "Lampu sudah diganti kemarin.", config=app.config,
                      resolved=True)
    session.commit()
    response = client.post("/lapor/status", data={"csrf_token": _token(client, "/lapor/status"),
                                                  "id": complaint.tracking_id, "pin": pin})
    assert response.status_code == 303 and pin not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lampu sudah diganti kemarin." in page and "Tuntas" in page and 'name="resolved"' in page
    response = client.post("/lapor/status/konfirmasi", data={
        "csrf_token": _token(client, f"/lapor/status?id={complaint.tracking_id}"),
        "id": complaint.tracking_id,
        "resolved": "ya", "rating": "5", "comment": "Terima kasih."})
    assert response.status_code == 303
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    assert complaint.state == "closed" and complaint.rating == 5 and complaint.confirmed_resolved is True


def test_confirming_no_reopens(app, client, session, storage, category, people):
    complaint, pin = _submit(app, session, category)
    _public(app, session, storage, people, complaint)
    complaints.answer(session, people[2], complaint, "Sudah.", config=app.config, resolved=True)
    session.commit()
    client.post("/lapor/status", data={"csrf_token": _token(client, "/lapor/status"),
                                       "id": complaint.tracking_id, "pin": pin})
    response = client.post("/lapor/status/konfirmasi", data={
        "csrf_token": _token(client, f"/lapor/status?id={complaint.tracking_id}"),
        "id": complaint.tracking_id,
        "resolved": "tidak", "rating": "2"})
    assert response.status_code == 303
    reload(session)
    complaint = session.get(Complaint, complaint.id)
    assert complaint.state == "in_progress" and complaint.reopened_count == 1
    assert complaints.citizen_status(complaint) == "Dalam Tindakan"


def test_confirming_needs_the_pin(app, client, session, storage, category, people):
    complaint, _pin = _submit(app, session, category)
    _public(app, session, storage, people, complaint)
    complaints.answer(session, people[2], complaint, "Sudah.", config=app.config, resolved=True)
    session.commit()
    response = client.post("/lapor/status/konfirmasi", data={
        "csrf_token": _token(client, "/lapor/status"), "id": complaint.tracking_id, "resolved": "ya"})
    assert response.status_code == 303
    reload(session)
    assert session.get(Complaint, complaint.id).state == "resolved"


def test_a_wrong_pin_gets_a_generic_message_and_guessing_is_throttled(app, client, session, category):
    app.config["LAPOR_MAX_PIN_FAILURES"] = 3
    complaint, pin = _submit(app, session, category)
    wrong = "000000" if pin != "000000" else "111111"
    token = _token(client, "/lapor/status")
    for _ in range(3):
        response = client.post("/lapor/status", data={"csrf_token": token, "id": complaint.tracking_id,
                                                      "pin": wrong})
        assert response.status_code == 400 and 'id="pin-err"' in response.get_data(as_text=True)
    # Blocked now, even with the right PIN; the message says to wait.
    response = client.post("/lapor/status", data={"csrf_token": token, "id": complaint.tracking_id,
                                                  "pin": pin})
    assert response.status_code == 429 and response.headers["Retry-After"] == "3600"
    assert "Lampu" not in response.get_data(as_text=True)
    # The throttle keeps hashes only: neither the tracking ID nor an address.
    reload(session)
    keys = session.scalars(select(LoginAttempt.key)).all()
    assert keys and not any(complaint.tracking_id in k or "127.0.0.1" in k for k in keys)
    # A different report is not blocked for this client yet.
    other, other_pin = _submit(app, session, category)
    response = client.post("/lapor/status", data={"csrf_token": token, "id": other.tracking_id,
                                                  "pin": other_pin})
    assert response.status_code == 303


def test_guessing_tracking_ids_is_throttled_per_client(app, client, session, category):
    app.config["LAPOR_MAX_LOOKUP_FAILURES"] = 4
    complaint, _pin = _submit(app, session, category)
    for n in range(4):
        assert client.get(f"/lapor/status?id=LG-2222-22{n}2").status_code == 404
    response = client.get(f"/lapor/status?id={complaint.tracking_id}")
    assert response.status_code == 429 and "Menunggu" not in response.get_data(as_text=True)


def test_status_form_without_an_id(client):
    response = client.get("/lapor/status")
    assert response.status_code == 200 and 'name="id"' in response.get_data(as_text=True)


# Public reports -----------------------------------------------------------------------------------
def test_only_reviewed_non_confidential_reports_are_public(app, client, session, storage, category, people):
    waiting, _ = _submit(app, session, category)
    confidential, _ = _submit(app, session, category, confidential=True)
    _public(app, session, storage, people, confidential, text="Rahasia sekali.")
    shown, _ = _submit(app, session, category)
    _public(app, session, storage, people, shown, text="Lampu mati di Jl. [disamarkan].")
    rejected, _ = _submit(app, session, category)
    complaints.review(session, people[1], rejected, public_description="Ditolak.", storage=storage)
    complaints.reject(session, people[1], rejected, reason="Bukan laporan.", config=app.config)
    session.commit()
    page = client.get("/lapor/laporan").get_data(as_text=True)
    assert shown.tracking_id in page and "Lampu mati di Jl. [disamarkan]." in page
    for hidden in (waiting, confidential, rejected):
        assert hidden.tracking_id not in page
        assert client.get(f"/lapor/laporan/{hidden.tracking_id}").status_code == 404
    detail = client.get(f"/lapor/laporan/{shown.tracking_id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "Lampu mati di Jl. [disamarkan]." in text
    assert "Lampu jalan mati sejak sepekan." not in text  # the original description never
    assert "Candisari" in text and "Kota Semarang" in text
    assert 'property="og:title"' in text
    assert f"http://pressroom.test/lapor/laporan/{shown.tracking_id}" in text
    # A lower-case address goes to the canonical one.
    response = client.get(f"/lapor/laporan/{shown.tracking_id.lower()}")
    assert response.status_code == 301 and response.headers["Location"].endswith(shown.tracking_id)


def test_public_list_filters_and_redacted_photos(app, client, session, storage, category, people):
    other = ComplaintCategory(code="sehat", name="Kesehatan")
    session.add(other)
    session.commit()
    with_photo, _ = _submit(app, session, category)
    photo = complaints.add_photo(session, storage, with_photo, _jpeg((80, 60)))
    hidden = complaints.add_photo(session, storage, with_photo, _jpeg((80, 60)))
    session.commit()
    opd, verifier, _officer = people
    complaints.review(session, verifier, with_photo, public_description="Lampu mati.", storage=storage,
                      redactions={photo.id: [{"x": 0, "y": 0, "w": 40, "h": 30}]}, hidden_photos={hidden.id})
    complaints.verify(session, verifier, with_photo, config=app.config)
    health, _ = _submit(app, session, other)
    _public(app, session, storage, people, health, text="Puskesmas tutup.")
    page = client.get("/lapor/laporan?kategori=sehat").get_data(as_text=True)
    assert health.tracking_id in page and with_photo.tracking_id not in page
    page = client.get(f"/lapor/laporan?wilayah={SEMARANG}&kategori=jalan").get_data(as_text=True)
    assert with_photo.tracking_id in page and health.tracking_id not in page
    page = client.get("/lapor/laporan?wilayah=0000").get_data(as_text=True)
    # An unknown filter: a notice, and every report.
    assert with_photo.tracking_id in page and health.tracking_id in page
    detail = client.get(f"/lapor/laporan/{with_photo.tracking_id}").get_data(as_text=True)
    reload(session)
    photo, hidden = session.get(ComplaintPhoto, photo.id), session.get(ComplaintPhoto, hidden.id)
    assert f"/media/{photo.public_key}" in detail and photo.storage_key not in detail
    assert hidden.storage_key not in detail and "complaints/" not in detail.replace("complaints-public/", "")
    with Image.open(io.BytesIO(storage.get(photo.public_key, public=True))) as image:
        assert image.convert("RGB").getpixel((5, 5)) == (0, 0, 0)  # the marked area is blacked out


def test_public_list_paginates(app, client, session, storage, category, people):
    from pressroom.web import lapor

    made = []
    for _ in range(lapor.PER_PAGE + 1):
        complaint, _ = _submit(app, session, category)
        complaints.review(session, people[1], complaint, public_description="Lampu.", storage=storage)
        complaints.verify(session, people[1], complaint, config=app.config)
        made.append(complaint.tracking_id)
    session.commit()
    first = client.get("/lapor/laporan").get_data(as_text=True)
    second = client.get("/lapor/laporan?page=2").get_data(as_text=True)
    assert sum(t in first for t in made) == lapor.PER_PAGE and sum(t in second for t in made) == 1


def test_the_reporters_own_words_and_a_hand_off_explanation_stay_off_the_public_page(app, client, session,
                                                                                      storage, category,
                                                                                      people):
    complaint, pin = _submit(app, session, category)
    _public(app, session, storage, people, complaint)
    complaints.answer(session, people[2], complaint, "Lampu sudah diganti.", config=app.config, resolved=True)
    complaints.confirm(session, complaint, resolved=False, rating=1, comment="Budi di 0812-9999-1111: belum.",
                       config=app.config)
    complaints.inbound_follow_up(session, complaint, "Budi lagi, rumah nomor 9.")
    handed, _ = _submit(app, session, category)
    complaints.review(session, people[1], handed, public_description="Jalan kabupaten.", storage=storage)
    complaints.hand_off(session, people[1], handed, to="Pemerintah Kota Semarang", reference="SMG-1",
                        explanation="Yth. Bapak Budi, jalan ini kewenangan kota.", config=app.config)
    session.commit()
    page = client.get(f"/lapor/laporan/{complaint.tracking_id}").get_data(as_text=True)
    assert "Lampu sudah diganti." in page
    assert "0812-9999-1111" not in page and "rumah nomor 9" not in page
    page = client.get(f"/lapor/laporan/{handed.tracking_id}").get_data(as_text=True)
    assert "Pemerintah Kota Semarang" in page and "Yth. Bapak Budi" not in page
    # The reporter reads them with the PIN.
    client.post("/lapor/status", data={"csrf_token": _token(client, "/lapor/status"),
                                       "id": complaint.tracking_id, "pin": pin})
    page = client.get(f"/lapor/status?id={complaint.tracking_id}").get_data(as_text=True)
    assert "0812-9999-1111" in page and "rumah nomor 9" in page

"""Anonymous and confidential never leak from Lapor Gub's citizen pages: reports in every
combination of the two switches, with a distinctive name, number, email address, street
address and exact coordinates, are taken through review, verification, disposition and an
answer; then every public page is searched for them.

(The Open311 API and the OPD's view are searched in their own test functions.)"""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from pressroom.models import Complaint, ComplaintCategory
from pressroom.services import complaints
from tests.conftest import CSRF_RE, reload

NAME = "Wiryokusumo Pratignyo"
PHONE = "0813-2468-9753"
EMAIL = "wiryo.rahasia@contoh.example"
ADDRESS = "Gang Kenari Rahasia 77"
LATITUDE, LONGITUDE = "-6.983921", "110.409318"
#: The identity as it may be written anywhere (a name's parts, a number's formats) …
IDENTITY = ("Wiryokusumo", "Pratignyo", "wiryo.rahasia", "contoh.example", "81324689753", "0813-2468-9753",
            "0813 2468 9753", "2468-9753", "2468 9753", "24689753", "Kenari Rahasia")
#: … and the exact point in several notations (decimal point or comma, rounded, DMS).
POINT = ("-6.98", "-6,98", "6.983", "6,983", "6.984", "6,984", "110.409", "110,409", "110.41", "110,41",
         "6°58", "110°24", "-6.9839", "0.409318")


def _token(client, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "S", 2: (6.0, 59.0, 2.1), 3: "E", 4: (110.0, 24.0, 33.5)}
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (120, 120, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _leaks(page: str, *, name_allowed: bool = False) -> list[str]:
    found = [s for s in POINT if s in page]
    found += [s for s in IDENTITY if s in page and not (name_allowed and s in NAME)]
    if not name_allowed and NAME in page:
        found.append(NAME)
    return found


@pytest.fixture
def worked_reports(app, client, session, storage, factory):
    """Four reports sent through the form (anonymous × confidential), reviewed with the identity
    redacted from the text, verified, disposed, assigned and answered; with their PINs."""
    opd = factory.opd("DPUBMCK")
    verifier = factory.user("verifier", factory.opd("DISKOMINFO"))
    officer = factory.user("officer", opd)
    category = ComplaintCategory(code="jalan", name="Jalan rusak", default_opd_id=opd.id)
    session.add(category)
    session.commit()
    made = []
    switches = [(True, True), (True, False), (False, True), (False, False)]
    for n, (anonymous, confidential) in enumerate(switches):
        label = f"K{n}-{'anonim' if anonymous else 'bernama'}-{'rahasia' if confidential else 'terbuka'}"
        fields = {
            "csrf_token": _token(client, "/lapor"), "type": "pengaduan", "category_id": str(category.id),
            "description": f"{label}: saya {NAME} ({PHONE}, {EMAIL}) di {ADDRESS}: jalan ambles.",
            "region_code": "3374", "kecamatan": "Tembalang", "address": ADDRESS,
            "latitude": LATITUDE, "longitude": LONGITUDE, "reporter_name": NAME,
            "contact": PHONE if n % 2 else EMAIL,
            "photos": [(io.BytesIO(_photo_with_gps()), "jalan.jpg")],
        }
        if anonymous:
            fields["anonymous"] = "1"
        if confidential:
            fields["confidential"] = "1"
        response = client.post("/lapor", data=fields, content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        page = client.get("/lapor/terkirim").get_data(as_text=True)
        assert not _leaks(page)
        reload(session)
        complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        assert (complaint.anonymous, complaint.confidential) == (anonymous, confidential)
        assert complaint.latitude == pytest.approx(-6.983921) and complaint.address == ADDRESS
        pin = _pin_from_outbox(session, complaint)
        complaints.review(session, verifier, complaint, storage=storage,
                          public_description=f"{label}: saya [disamarkan] di [disamarkan]: jalan ambles.")
        complaints.verify(session, verifier, complaint, config=app.config)
        complaints.dispose(session, verifier, complaint, opd, config=app.config)
        complaints.assign(session, verifier, complaint, officer)
        complaints.answer(session, officer, complaint, f"{label}: jalan sudah diperbaiki.", config=app.config,
                          resolved=True)
        session.commit()
        made.append((complaint, pin, label))
    return made


def _pin_from_outbox(session, complaint) -> str:
    from pressroom.models import Delivery

    first = session.scalars(select(Delivery).where(Delivery.subject_type == "complaint",
                                                   Delivery.subject_id == complaint.id)
                            .order_by(Delivery.id)).first()
    return re.search(r"PIN (\d{6})", first.payload["text"]).group(1)


def test_anonymous_and_confidential_never_leak_on_citizen_pages(client, session, worked_reports):
    pages: dict[str, str] = {}

    def fetch(path: str) -> str:
        response = client.get(path)
        assert response.status_code < 500, path
        pages[path] = response.get_data(as_text=True)
        return pages[path]

    listing = fetch("/lapor/laporan")
    fetch("/lapor/laporan?kategori=jalan&wilayah=3374")
    for complaint, pin, label in worked_reports:
        detail = fetch(f"/lapor/laporan/{complaint.tracking_id}")
        if complaint.confidential:
            assert label not in listing and complaint.tracking_id not in listing
            assert client.get(f"/lapor/laporan/{complaint.tracking_id}").status_code == 404
            assert label not in detail
        else:
            assert label in listing and f"{label}: saya [disamarkan]" in detail
            assert "jalan sudah diperbaiki" in detail  # the public answer is there
            # Exactly one case shows the name: a public report whose reporter did not ask for anonymity.
            assert (NAME in detail) is (not complaint.anonymous)
            # The redacted photo is public, and carries no location either.
            photo = complaint.photos[0]
            assert f"/media/{photo.public_key}" in detail
            with client.get(f"/media/{photo.public_key}") as response:
                data = response.data
            assert data[:2] == b"\xff\xd8" and b"GPS" not in data and b"Exif" not in data
        fetch(f"/lapor/status?id={complaint.tracking_id}")
        # With the PIN: the reporter's own view, still without their identity or the point.
        response = client.post("/lapor/status", data={"csrf_token": _token(client, "/lapor/status"),
                                                      "id": complaint.tracking_id, "pin": pin})
        assert response.status_code == 303
        with_pin = fetch(response.headers["Location"])
        assert "jalan sudah diperbaiki" in with_pin
        path = response.headers["Location"]
        pages[f"{path} (PIN)"] = pages.pop(path)

    reload(session)
    for path, page in pages.items():
        public_named = next((c for c, _p, _l in worked_reports
                             if not c.anonymous and not c.confidential and path.endswith(c.tracking_id)
                             and "/laporan/" in path), None)
        assert not _leaks(page, name_allowed=public_named is not None), path
        for complaint, _pin, _label in worked_reports:
            # Never the original description, whoever looks.
            assert complaint.description not in page, path

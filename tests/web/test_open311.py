"""Open311 GeoReport v2 at /open311/v2/: every endpoint's JSON against the JSON Schemas in
tests/schemas/open311 (written from the specification, not from our output), the XML well
formed and shaped as the specification shows it (and saying what the JSON says), posting a
request with the API key (missing, wrong or unset: 403; never a cookie, no CSRF token), and
the privacy rules: confidential, unreviewed, rejected reports never listed; no reporter's
name, phone number, email address, street address or coordinates in any answer."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from PIL import Image
from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import Complaint, ComplaintCategory, ComplaintEvent
from pressroom.services import complaints
from tests.conftest import login, reload

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "open311"
API_KEY = "kunci-uji-open311"

NAME = "Sutini Rahayuningsih"
PHONE = "0812-3456-7890"
EMAIL = "sutini.rahasia@example.com"
STREET = "Jalan Melati Rahasia 17"
LATITUDE, LONGITUDE = -7.0051234, 110.4381234
#: What must never appear in any Open311 answer (each phone spelling, each coordinate spelling).
SECRETS = (NAME, "Sutini", "Rahayuningsih", "81234567890", "3456-7890", "3456 7890", EMAIL, "sutini.rahasia",
           STREET, "Melati Rahasia", "7.0051", "7,0051", "110.4381", "110,4381", "7.005", "110.438")


def schema(name: str) -> Draft202012Validator:
    document = json.loads((SCHEMAS / f"{name}.json").read_text())
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(out, format="PNG")
    return out.getvalue()


class World:
    def __init__(self, app, session, factory, storage):
        self.app, self.session = app, session
        self.opd = factory.opd("DPUBMCK")
        self.verifier = factory.user("verifier", factory.opd("DISKOMINFO"))
        self.officer = factory.user("officer", self.opd)
        self.roads = ComplaintCategory(code="jalan-jembatan", name="Jalan dan Jembatan", name_en="Roads",
                                       description="Jalan provinsi rusak.", default_opd_id=self.opd.id)
        self.health = ComplaintCategory(code="kesehatan", name="Kesehatan", name_en="Health")
        self.retired = ComplaintCategory(code="lama", name="Kategori lama", is_active=False)
        session.add_all([self.roads, self.health, self.retired])
        session.commit()
        self.storage = storage
        config = app.config
        self.public = self.report(anonymous=False)
        photo = complaints.add_photo(session, storage, self.public, _png())
        complaints.verify(session, self.verifier, self.public, config=config)
        complaints.review(session, self.verifier, self.public,
                          public_description="Jalan berlubang di depan pasar.",
                          redactions={photo.id: [{"x": 0, "y": 0, "w": 20, "h": 20}]}, storage=storage)
        complaints.dispose(session, self.verifier, self.public, self.opd, config=config)
        self.handed = self.report(category=self.health)
        complaints.review(session, self.verifier, self.handed,
                          public_description="Antrean puskesmas panjang.", storage=storage)
        complaints.hand_off(session, self.verifier, self.handed, to="Pemerintah Kota Semarang",
                            reference="123/2026", explanation="Puskesmas dikelola kota.", config=config)
        self.confidential = self.report(confidential=True)
        complaints.verify(session, self.verifier, self.confidential, config=config)
        complaints.review(session, self.verifier, self.confidential, public_description="Rahasia.",
                          storage=storage)
        self.unreviewed = self.report()
        complaints.verify(session, self.verifier, self.unreviewed, config=config)
        self.waiting = self.report()
        self.rejected = self.report()
        complaints.review(session, self.verifier, self.rejected, public_description="Ditolak.",
                          storage=storage)
        complaints.reject(session, self.verifier, self.rejected, reason="Bukan laporan.", config=config)
        self.old = self.report(received_at=clock.now() - timedelta(days=120))
        complaints.verify(session, self.verifier, self.old, config=config)
        complaints.review(session, self.verifier, self.old, public_description="Laporan lama.",
                          storage=storage)
        session.commit()

    def report(self, *, category=None, anonymous=True, confidential=False, received_at=None) -> Complaint:
        data = complaints.ReportInput(
            category_id=(category or self.roads).id,
            description=f"Saya {NAME}, rumah di {STREET}. Jalan berlubang di depan pasar.",
            region_code="3374", kecamatan="Semarang Tengah", address=STREET, latitude=LATITUDE,
            longitude=LONGITUDE, reporter_name=NAME, contact=PHONE if anonymous else EMAIL,
            anonymous=anonymous, confidential=confidential)
        complaint, _pin = complaints.submit(self.session, data, config=self.app.config,
                                            received_at=received_at)
        if not anonymous:
            complaint.reporter_phone = "+6281234567890"  # both contacts known: neither may leak
        return complaint

    @property
    def hidden(self) -> list[Complaint]:
        return [self.confidential, self.unreviewed, self.waiting, self.rejected]


@pytest.fixture
def world(app, session, factory, storage):
    app.config["LAPOR_OPEN311_API_KEYS"] = f"another-key, {API_KEY}"
    return World(app, session, factory, storage)


def get_json(client, url: str, validator: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.get_json()
    schema(validator).validate(body)
    return body


def get_xml(client, url: str, status: int = 200) -> ET.Element:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    raw = response.get_data()
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(raw)  # well-formed, or this raises


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_xml_list_matches(root: ET.Element, root_tag: str, item_tag: str, items: list[dict]) -> None:
    """The XML is <root_tag><item_tag>…</item_tag></root_tag> with the same fields as the JSON."""
    assert root.tag == root_tag and root.attrib == {}
    children = list(root)
    assert [c.tag for c in children] == [item_tag] * len(items)
    for element, item in zip(children, items, strict=True):
        fields = {child.tag: child.text for child in element}
        assert all(len(child) == 0 for child in element)
        assert fields == {k: _text(v) for k, v in item.items()}


def answers(client, world) -> dict[str, bytes]:
    """Every Open311 answer in both formats, for the leak search."""
    found = {}
    shown = [world.public, world.handed, *world.hidden]
    for ext in ("json", "xml"):
        for path in (f"discovery.{ext}", f"services.{ext}", f"services/jalan-jembatan.{ext}",
                     f"requests.{ext}", f"requests.{ext}?status=open", f"requests.{ext}?status=closed",
                     f"requests.{ext}?service_request_id="
                     + ",".join(c.tracking_id for c in shown),
                     f"requests.{ext}?start_date={(clock.now() - timedelta(days=150)).date()}"
                     f"&end_date={(clock.now() - timedelta(days=70)).date()}",
                     *(f"requests/{c.tracking_id}.{ext}" for c in shown)):
            found[path] = client.get(f"/open311/v2/{path}").get_data()
    return found


# Reading --------------------------------------------------------------------------------------
def test_discovery_in_json_and_xml(client, world):
    body = get_json(client, "/open311/v2/discovery.json", "discovery")
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://pressroom.test/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = get_xml(client, "/open311/v2/discovery.xml")
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    xml_endpoint = root.find("endpoints/endpoint")
    assert xml_endpoint.findtext("url") == endpoint["url"]
    assert [f.text for f in xml_endpoint.findall("formats/format")] == endpoint["formats"]


def test_service_list_is_the_active_categories(client, world):
    body = get_json(client, "/open311/v2/services.json", "services")
    assert [s["service_code"] for s in body] == ["jalan-jembatan", "kesehatan"]  # not the retired one
    roads = body[0]
    assert roads["service_name"] == "Jalan dan Jembatan" and roads["metadata"] is False
    assert roads["type"] == "realtime" and roads["description"] == "Jalan provinsi rusak."
    assert_xml_list_matches(get_xml(client, "/open311/v2/services.xml"), "services", "service", body)


def test_service_definition_and_unknown_codes(client, world):
    body = get_json(client, "/open311/v2/services/kesehatan.json", "service_definition")
    assert body == {"service_code": "kesehatan", "attributes": []}
    root = get_xml(client, "/open311/v2/services/kesehatan.xml")
    assert root.tag == "service_definition" and root.findtext("service_code") == "kesehatan"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0
    for code in ("tidak-ada", "lama"):  # unknown, and retired
        errors = get_json(client, f"/open311/v2/services/{code}.json", "errors", status=404)
        assert errors[0]["code"] == 404
        root = get_xml(client, f"/open311/v2/services/{code}.xml", status=404)
        assert root.tag == "errors" and root.findtext("error/code") == "404"
        assert root.findtext("error/description")


def test_requests_list_only_public_reports_with_the_specifications_fields(client, world, storage):
    body = get_json(client, "/open311/v2/requests.json", "requests")
    assert [r["service_request_id"] for r in body] == [world.handed.tracking_id, world.public.tracking_id]
    handed, public = body
    assert public["status"] == "open" and public["status_notes"] == "Diverifikasi"
    assert public["service_code"] == "jalan-jembatan" and public["service_name"] == "Jalan dan Jembatan"
    assert public["description"] == "Jalan berlubang di depan pasar."
    assert public["agency_responsible"] == world.opd.name
    assert public["address"] == "Semarang Tengah, Kota Semarang"
    assert public["requested_datetime"].endswith("+07:00")
    assert "lat" not in public and "long" not in public and "address_id" not in public
    photo = world.public.photos[0]
    assert public["media_url"] == storage.public_url_for(photo.public_key)
    assert public["media_url"] != storage.public_url_for(photo.storage_key)
    assert handed["status"] == "closed" and "Pemerintah Kota Semarang" in handed["status_notes"]
    assert "media_url" not in handed and handed["agency_responsible"] is None
    assert_xml_list_matches(get_xml(client, "/open311/v2/requests.xml"), "service_requests", "request", body)


def test_request_filters(client, world):
    def ids(query: str) -> list[str]:
        found = get_json(client, f"/open311/v2/requests.json?{query}", "requests")
        return [r["service_request_id"] for r in found]

    assert ids("status=open") == [world.public.tracking_id]
    assert ids("status=closed") == [world.handed.tracking_id]
    assert ids("status=open,closed") == [world.handed.tracking_id, world.public.tracking_id]
    assert ids("service_code=kesehatan") == [world.handed.tracking_id]
    assert ids("service_code=kesehatan,jalan-jembatan&status=open") == [world.public.tracking_id]
    # The default span is the last 90 days; older public reports by date range or id.
    start, end = clock.now() - timedelta(days=150), clock.now() - timedelta(days=70)
    assert ids(f"start_date={start.date()}&end_date={end.date()}") == [world.old.tracking_id]
    assert ids(f"start_date={quote(start.isoformat())}") == [world.old.tracking_id]
    asked = [world.old, world.public, *world.hidden]
    got = ids("service_request_id=" + ",".join(c.tracking_id.lower() for c in asked) + "&status=closed")
    assert got == [world.public.tracking_id, world.old.tracking_id]  # ids override the other arguments
    assert ids("service_code=tidak-ada") == []


BAD_QUERIES = ["status=selesai", "start_date=kemarin", "start_date=2026-03-01T00:00:00",
               "start_date=2025-01-01&end_date=2025-06-01", "start_date=2026-03-10&end_date=2026-03-01"]


def test_bad_request_arguments_are_errors_in_the_specifications_format(client, world):
    for query in BAD_QUERIES:
        errors = get_json(client, f"/open311/v2/requests.json?{query}", "errors", status=400)
        assert errors[0]["code"] == 400 and errors[0]["description"]
        root = get_xml(client, f"/open311/v2/requests.xml?{query}", status=400)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert [c.tag for c in root[0]] == ["code", "description"]


def test_one_request_and_the_ones_never_shown(client, world):
    body = get_json(client, f"/open311/v2/requests/{world.public.tracking_id}.json", "requests")
    assert len(body) == 1 and body[0]["service_request_id"] == world.public.tracking_id
    assert_xml_list_matches(get_xml(client, f"/open311/v2/requests/{world.public.tracking_id}.xml"),
                            "service_requests", "request", body)
    for complaint in world.hidden:
        errors = get_json(client, f"/open311/v2/requests/{complaint.tracking_id}.json", "errors", status=404)
        assert errors[0]["code"] == 404
    unknown = get_json(client, "/open311/v2/requests/LG-ZZZZ-ZZZZ.json", "errors", status=404)
    assert unknown == errors  # a hidden report looks exactly like an unknown one


def test_no_identity_or_location_in_any_answer(client, world):
    found = answers(client, world)
    assert found["requests.json"].count(b"service_request_id") == 2  # the search below ran on real answers
    leaks = [(path, secret) for path, body in found.items() for secret in SECRETS
             if secret.encode() in body]
    assert not leaks
    hidden_ids = [c.tracking_id.encode() for c in world.hidden]
    assert not [(path, i) for path, body in found.items() for i in hidden_ids if i in body]
    # The anonymous and the named report look alike: nothing of the reporter, either way.
    public = json.loads(found[f"requests/{world.public.tracking_id}.json"])[0]
    assert not set(public) & {"first_name", "last_name", "email", "phone", "account_id", "lat", "long"}


def test_reading_is_public_cacheable_and_open_to_any_origin(client, world):
    response = client.get("/open311/v2/services.json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in response.headers


# Posting --------------------------------------------------------------------------------------
FORM = {"service_code": "jalan-jembatan", "description": "Jembatan retak di dekat sekolah.",
        "address_string": "Jl. Pemuda 1, Kecamatan Semarang Tengah, Kota Semarang",
        "email": "pelapor.api@example.com", "first_name": "Dewi", "last_name": "Pelapor"}


def count(session) -> int:
    reload(session)
    return session.scalar(select(func.count()).select_from(Complaint))


def test_posting_without_the_right_key_is_403(app, client, session, world):
    before = count(session)
    for key in (None, "", "kunci-salah", API_KEY + "x", API_KEY[:-1], "another-key "):
        form = dict(FORM) if key is None else {**FORM, "api_key": key}
        response = client.post("/open311/v2/requests.json", data=form)
        assert response.status_code == 403, key
        schema("errors").validate(response.get_json())
        response = client.post("/open311/v2/requests.xml", data=form)
        assert response.status_code == 403 and ET.fromstring(response.get_data()).tag == "errors"
    assert count(session) == before


def test_posting_is_refused_when_no_key_is_configured(app, client, session, world):
    app.config["LAPOR_OPEN311_API_KEYS"] = " , "
    before = count(session)
    response = client.post("/open311/v2/requests.json", data={**FORM, "api_key": API_KEY})
    assert response.status_code == 403 and count(session) == before


def test_a_staff_cookie_never_stands_in_for_the_key(app, client, session, factory, world):
    login(client, world.verifier, factory)
    before = count(session)
    response = client.post("/open311/v2/requests.json", data=FORM)
    assert response.status_code == 403 and count(session) == before


def test_posting_with_the_key_creates_an_anonymous_report_without_csrf(app, client, session, world):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on: the endpoint is exempt by its token
    response = client.post("/open311/v2/requests.json", data={**FORM, "api_key": API_KEY})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    schema("request_post_response").validate(body)
    assert body[0]["account_id"] is None and body[0]["service_notice"]
    reload(session)
    created = session.scalar(select(Complaint).where(Complaint.tracking_id == body[0]["service_request_id"]))
    assert created.anonymous and not created.confidential and created.source == "web"
    assert created.category_id == world.roads.id and created.region_code == "3374"
    assert created.reporter_name == "Dewi Pelapor" and created.reporter_email == "pelapor.api@example.com"
    assert created.reviewed_at is None  # nothing is public before a verifier's review
    received = session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == created.id))
    assert received.kind == "received" and received.details["channel"] == "open311"
    assert body[0]["service_request_id"].encode() not in client.get("/open311/v2/requests.json").get_data()
    assert client.get(f"/open311/v2/requests/{created.tracking_id}.json").status_code == 404


def test_posting_in_xml_with_coordinates(app, client, session, world):
    form = {"api_key": API_KEY, "service_code": "kesehatan", "lat": "-6.99", "long": "110.42",
            "description": "Lampu jalan mati.", "phone": "0813-1111-2222", "anonymous": "false",
            "confidential": "true"}
    response = client.post("/open311/v2/requests.xml", data=form)
    assert response.status_code == 200, response.get_data(as_text=True)
    root = ET.fromstring(response.get_data())
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    assert [c.tag for c in root[0]] == ["service_request_id", "service_notice", "account_id"]
    assert root.find("request/account_id").text is None
    reload(session)
    created = session.scalar(select(Complaint).where(
        Complaint.tracking_id == root.findtext("request/service_request_id")))
    assert (created.latitude, created.longitude) == (-6.99, 110.42) and created.region_code is None
    assert created.reporter_phone == "+6281311112222"
    assert not created.anonymous and created.confidential  # the extension switches, when sent


BAD_POSTS = [
    ({"service_code": ""}, 400),
    ({"service_code": "tidak-ada"}, 404),
    ({"service_code": "lama"}, 404),
    ({"address_string": ""}, 400),
    ({"lat": "-6.9", "address_string": ""}, 400),
    ({"lat": "utara", "long": "110.4"}, 400),
    ({"email": "", "phone": ""}, 400),
    ({"email": "bukan-email"}, 400),
    ({"description": ""}, 400),
    ({"description": "x" * 4001}, 400),
]


def test_bad_posts_are_refused_whole(app, client, session, world):
    before = count(session)
    for change, status in BAD_POSTS:
        response = client.post("/open311/v2/requests.json", data={**FORM, "api_key": API_KEY, **change})
        assert response.status_code == status, (change, response.get_data(as_text=True))
        errors = response.get_json()
        schema("errors").validate(errors)
        assert all(e["code"] == status and e["description"] for e in errors)
    assert count(session) == before


def test_schemas_are_strict_enough_to_fail(world):
    """The schemas reject what the specification rules out (so passing them means something)."""
    requests = schema("requests")
    good = {"service_request_id": "LG-2345-6789", "status": "open", "service_name": "Jalan",
            "service_code": "jalan", "requested_datetime": "2026-03-02T10:00:00+07:00"}
    assert requests.is_valid([good])
    for bad in ({**good, "status": "Tuntas"}, {**good, "requested_datetime": "2026-03-02 10:00"},
                {**good, "requested_datetime": "2026-03-02T10:00:00"}, {**good, "reporter": "x"},
                {**good, "lat": -7.0}, {k: v for k, v in good.items() if k != "status"},
                {**good, "description": "x" * 4001}):
        assert not requests.is_valid([bad])
    assert not schema("services").is_valid([{"service_code": "a", "service_name": "A", "metadata": "false",
                                             "type": "realtime", "description": "", "keywords": "",
                                             "group": ""}])
    assert not schema("request_post_response").is_valid([{"service_request_id": "1", "token": "2"}])
    assert not schema("errors").is_valid([])

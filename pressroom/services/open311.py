"""Open311 GeoReport v2 over Lapor Gub (http://wiki.open311.org/GeoReport_v2).

Services are the active complaint categories (``service_code`` is the category's code).
Requests are the public reports only — reviewed by a verifier and not confidential, the
same rule as the public pages (``Complaint.is_public``) — with the redacted text, the
kecamatan and kabupaten/kota as the address, and never the reporter's identity or the
exact location (no ``lat``/``long`` at all). Posting a request takes an API key and goes
through ``services.complaints.submit`` like any other report.

The shapes returned here are plain lists and dicts in the specification's JSON form (the
Spark convention); ``to_xml`` turns them into the specification's XML.
"""

from __future__ import annotations

import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import AuditEntry, Complaint, ComplaintCategory, ComplaintEvent, Region
from pressroom.models.complaint import COMPLAINT_STATES
from pressroom.services import ValidationError, complaints
from pressroom.storage import LocalStorage

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest."
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)
#: The first version of this endpoint: the discovery changeset when no category changed since.
FIRST_CHANGESET = datetime(2026, 3, 1, tzinfo=clock.WIB)
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

#: Internal states Open311 calls "closed" (derived from the one mapping in services.complaints).
CLOSED_STATES = tuple(s for s in COMPLAINT_STATES
                      if complaints.open311_status(SimpleNamespace(state=s)) == "closed")
#: States a reviewed report may be public in (Complaint.is_public says the same in Python).


class Open311Error(Exception):
    """An answer in the specification's error format: HTTP ``status`` and one or more errors."""

    def __init__(self, status: int, *descriptions: object, code: int | None = None):
        super().__init__(status, descriptions)
        self.status = status
        self.errors = [{"code": code or status, "description": str(d)} for d in descriptions]


# Services -------------------------------------------------------------------------------------
def _service(category: ComplaintCategory, group: str) -> dict[str, Any]:
    keywords = ", ".join(w for w in (category.name, category.name_en) if w)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": keywords,
        "group": group,
    }


def services(session: Session, *, group: str) -> list[dict[str, Any]]:
    """GET Service List: every active category."""
    categories = session.scalars(
        select(ComplaintCategory).where(ComplaintCategory.is_active.is_(True)).order_by(ComplaintCategory.name)
    )
    return [_service(c, group) for c in categories]


def active_category(session: Session, code: str | None) -> ComplaintCategory | None:
    if not code:
        return None
    return session.scalar(
        select(ComplaintCategory).where(ComplaintCategory.code == code, ComplaintCategory.is_active.is_(True))
    )


def service_definition(session: Session, code: str) -> dict[str, Any]:
    """GET Service Definition: no extra attributes (every service has ``metadata`` false)."""
    if active_category(session, code) is None:
        raise Open311Error(404, _l("Unknown service_code: %(code)s", code=code[:40]))
    return {"service_code": code, "attributes": []}


def changeset(session: Session) -> datetime:
    """When the service list last changed: the latest audited change of a category."""
    latest = session.scalar(
        select(func.max(AuditEntry.at)).where(AuditEntry.object_type == ComplaintCategory.__tablename__)
    )
    return max(latest, FIRST_CHANGESET) if latest else FIRST_CHANGESET


def discovery(session: Session, *, endpoint_url: str, contact: str, key_service: str) -> dict[str, Any]:
    """The Service Discovery document (http://wiki.open311.org/Service_Discovery)."""
    stamp = w3(changeset(session))
    return {
        "changeset": stamp,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": stamp,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


# Reading requests -----------------------------------------------------------------------------
def w3(moment: datetime) -> str:
    """A moment in the W3C profile of ISO 8601 with its offset, in WIB: 2026-03-02T10:00:00+07:00."""
    return clock.to_wib(moment).isoformat(timespec="seconds")


def parse_w3(text: str, field: str, *, end_of_day: bool = False) -> datetime:
    """A start_date/end_date: a date (a WIB day) or a date and time with its offset."""
    raw = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = date.fromisoformat(raw)
            return clock.from_wib(datetime.combine(day, time.max if end_of_day else time.min))
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Open311Error(400, _l("%(field)s must be a W3C date and time with its offset, e.g. "
                                   "2026-03-01T00:00:00+07:00.", field=field))
    return clock.from_wib(value)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def parse_query(args: Mapping[str, str], *, now: datetime | None = None) -> RequestQuery:
    """The GET Service Requests arguments; a wrong one is a 400 in the error format."""
    ids = tuple(complaints.normalise_tracking_id(i) for i in _split(args.get("service_request_id")))
    if ids:  # "This overrides all other arguments."
        return RequestQuery(ids=ids[:MAX_REQUESTS])
    statuses = tuple(s.lower() for s in _split(args.get("status")))
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise Open311Error(400, _l("status must be open or closed (comma-separated)."))
    start = parse_w3(args["start_date"], "start_date") if args.get("start_date") else None
    end = parse_w3(args["end_date"], "end_date", end_of_day=True) if args.get("end_date") else None
    now = now or clock.now()
    if start is None and end is None:
        start, end = now - MAX_SPAN, now
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, _l("end_date is before start_date."))
    if end - start > MAX_SPAN + timedelta(days=1):
        raise Open311Error(400, _l("start_date and end_date may not span more than 90 days."))
    return RequestQuery(service_codes=tuple(_split(args.get("service_code"))), start=start, end=end,
                        statuses=statuses)


def _region_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Region.code, Region.name))}


def _address(complaint: Complaint, regions: Mapping[str, str]) -> str:
    """Kecamatan and kabupaten/kota only — never the street address, never a point."""
    parts = [complaint.kecamatan.strip()] if complaint.kecamatan.strip() else []
    if complaint.region_code:
        parts.append(regions.get(complaint.region_code, ""))
    return ", ".join(p for p in parts if p)


def _status_notes(complaint: Complaint) -> str:
    status = complaints.citizen_status(complaint)
    if complaint.state == "handed_off" and complaint.handoff_to:
        return str(_l("%(status)s: outside the province's authority, passed to %(to)s.",
                      status=status, to=complaint.handoff_to))
    return status


def _updated(complaint: Complaint) -> datetime:
    """For a closed request, when it was closed (the specification's rule); else the last change."""
    if complaints.open311_status(complaint) == "closed":
        return complaint.closed_at or complaint.resolved_at or complaint.updated_at
    return complaint.updated_at


def _media_url(complaint: Complaint, storage: LocalStorage) -> str | None:
    for photo in complaint.photos:
        if photo.public_key and not photo.hidden:
            return storage.public_url_for(photo.public_key)
    return None


def as_request(complaint: Complaint, regions: Mapping[str, str], storage: LocalStorage) -> dict[str, Any]:
    """One public report in the specification's fields. Nothing identifying: no name, contact,
    street address or coordinates; the text is the verifier's redacted one."""
    if not complaint.is_public:
        raise ValueError("only public reports are shown through Open311")
    item: dict[str, Any] = {
        "service_request_id": complaint.tracking_id,
        "status": complaints.open311_status(complaint),
        "status_notes": _status_notes(complaint),
        "service_name": complaint.category.name if complaint.category else "",
        "service_code": complaint.category.code if complaint.category else "",
        "description": complaint.public_description or "",
        "agency_responsible": complaint.opd.name if complaint.opd else None,
        "requested_datetime": w3(complaint.received_at),
        "updated_datetime": w3(_updated(complaint)),
        "address": _address(complaint, regions),
    }
    media = _media_url(complaint, storage)
    if media:
        item["media_url"] = media
    return item


def find_requests(session: Session, storage: LocalStorage, query: RequestQuery) -> list[dict[str, Any]]:
    """GET Service Requests: public reports, newest first, at most 1000."""
    statement = (
        select(Complaint)
        .where(complaints.public_condition())
        .options(selectinload(Complaint.photos))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(MAX_REQUESTS)
    )
    if query.ids:
        statement = statement.where(Complaint.tracking_id.in_(query.ids))
    else:
        statement = statement.where(Complaint.received_at >= query.start, Complaint.received_at <= query.end)
        if query.service_codes:
            statement = statement.join(ComplaintCategory, Complaint.category_id == ComplaintCategory.id)
            statement = statement.where(ComplaintCategory.code.in_(query.service_codes))
        if set(query.statuses) == {"closed"}:
            statement = statement.where(Complaint.state.in_(CLOSED_STATES))
        elif set(query.statuses) == {"open"}:
            statement = statement.where(Complaint.state.not_in(CLOSED_STATES))
    regions = _region_names(session)
    return [as_request(c, regions, storage) for c in session.scalars(statement) if c.is_public]


def find_request(session: Session, storage: LocalStorage, service_request_id: str) -> dict[str, Any]:
    """GET Service Request: one public report, or 404 (an unknown and a non-public report
    look the same)."""
    complaint = session.scalar(
        select(Complaint)
        .where(complaints.public_condition(),
               Complaint.tracking_id == complaints.normalise_tracking_id(service_request_id))
        .options(selectinload(Complaint.photos))
    )
    if complaint is None or not complaint.is_public:
        raise Open311Error(404, _l("There is no public service request with this service_request_id."))
    return as_request(complaint, _region_names(session), storage)


# Posting a request ------------------------------------------------------------------------------
def api_keys(config: Mapping[str, Any]) -> list[str]:
    return [k.strip() for k in str(config.get("LAPOR_OPEN311_API_KEYS") or "").split(",") if k.strip()]


def check_api_key(config: Mapping[str, Any], given: str | None) -> None:
    """Refuse (403) a missing or wrong key, and every key when none is configured. Compared in
    constant time against every configured key."""
    keys = api_keys(config)
    if not keys:
        raise Open311Error(403, _l("Posting service requests is not enabled here."))
    offered = (given or "").encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(offered, key.encode())
    if not given or not matched:
        raise Open311Error(403, _l("Missing or invalid api_key: the service request was not created."))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def _float(value: str | None, field: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, _l("%(field)s must be a number (WGS84 degrees).", field=field)) from None


def _region_in(session: Session, text: str) -> str | None:
    """The kabupaten/kota named in an address string ("…, Kota Semarang"), if exactly one is."""
    folded = " ".join(text.lower().replace("kab.", "kabupaten").split())
    found = [code for code, name in _region_names(session).items() if name.lower() in folded]
    return found[0] if len(found) == 1 else None


def create_request(
    session: Session, form: Mapping[str, str], *, config: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """POST Service Request (the API key already checked): a report received like one from the
    web form — anonymous unless said otherwise, its region completed by a verifier when the
    address does not name one — and the specification's answer."""
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _l("service_code was not provided."))
    category = active_category(session, code)
    if category is None:
        raise Open311Error(404, _l("Unknown service_code: %(code)s", code=code[:40]))
    latitude, longitude = _float(form.get("lat"), "lat"), _float(form.get("long"), "long")
    address = " ".join((form.get("address_string") or "").split())
    address_id = (form.get("address_id") or "").strip()
    if (latitude is None or longitude is None) and not address and not address_id:
        raise Open311Error(400, _l("Give the location: lat and long, or address_string."))
    email, phone = (form.get("email") or "").strip(), (form.get("phone") or "").strip()
    names = (form.get("first_name") or "", form.get("last_name") or "")
    name = " ".join(p.strip() for p in names if p.strip())
    data = complaints.ReportInput(
        type="pengaduan",
        category_id=category.id,
        description=form.get("description") or "",
        region_code=_region_in(session, address) if address else None,
        address=address or address_id,
        latitude=latitude,
        longitude=longitude,
        reporter_name=name,
        contact=email or phone,
        # Extensions to the specification: both switches keep their safe defaults unless sent.
        anonymous=_flag(form["anonymous"]) if form.get("anonymous") else True,
        confidential=_flag(form.get("confidential")),
    )
    try:
        complaint, _pin = complaints.submit(session, data, config=config, source="web", need_details=False)
    except ValidationError as exc:
        raise Open311Error(400, *exc.errors.values()) from None
    received = session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                           ComplaintEvent.kind == "received"))
    if received is not None:
        received.details = {**(received.details or {}), "channel": "open311"}
    return [{
        "service_request_id": complaint.tracking_id,
        "service_notice": str(_l(
            "Received. The tracking ID and a PIN were sent to the reporter's contact; with both, the "
            "answers can be read at %(url)s", url=complaints.status_url(config, complaint))),
        "account_id": None,
    }]


# XML -------------------------------------------------------------------------------------------
#: The element each list's items are called in the specification's XML.
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "endpoints": "endpoint", "formats": "format", "values": "value"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            _fill(ET.SubElement(element, name), inner)
    elif isinstance(value, list | tuple):
        item = XML_ITEMS.get(element.tag, "item")
        for inner in value:
            _fill(ET.SubElement(element, item), inner)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Iterable[Any] | Mapping[str, Any]) -> bytes:
    """The specification's XML: ``<services><service>…</service></services>`` and so on."""
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8",
                                                                     xml_declaration=False)

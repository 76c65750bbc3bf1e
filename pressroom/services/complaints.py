"""Lapor Gub: receiving reports (web form, WhatsApp, the counter or the phone, CSV import),
tracking IDs and PINs, the verifier's review and redaction, disposition to an OPD and a named
officer, answers and internal notes, resolution and the reporter's "sudah tuntas?", the SLA
clocks, what the citizen sees, and the rollups behind the public statistics.

Every change goes through one function here, which records a ``ComplaintEvent`` (public
ones are what the reporter reads with the PIN), keeps the rollups right in the same
transaction, audits with ids and field names only, and tells the reporter on their channel
(a transactional outbox delivery: email, or WhatsApp — free-form within 24 hours of their
last message, otherwise the approved template).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock, formatting
from pressroom.db import upsert
from pressroom.i18n import _l
from pressroom.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintRollup,
    Opd,
    Region,
    User,
)
from pressroom.models.complaint import COMPLAINT_TYPES
from pressroom.services import ValidationError, audit, outbox, workcal
from pressroom.services.contact_points import ContactError, normalise_email, normalise_phone
from pressroom.storage import LocalStorage

MAX_DESCRIPTION = 4000
MAX_PHOTOS = 5
#: Tracking IDs avoid letters and digits that are misheard or misread (0/O, 1/I/L, U/V).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
FIRST_RESPONSE = timedelta(hours=24)
#: SP4N-LAPOR! and UU KIP clocks, in working days.
FORWARD_DAYS, ANSWER_DAYS, CLOSE_SILENT_DAYS = 3, 5, 10
INFORMATION_DAYS, INFORMATION_EXTENSION_DAYS = 10, 7
DEFAULT_WHATSAPP_TEMPLATE = "balasan_aduan"

#: What the citizen sees, and Open311's open/closed.
CITIZEN_STATUSES = ("Menunggu", "Diverifikasi", "Dalam Tindakan", "Tuntas", "Tidak Layak")
_CITIZEN = {
    "received": "Menunggu",
    "verified": "Diverifikasi",
    "dispositioned": "Diverifikasi",
    "duplicate": "Diverifikasi",
    "in_progress": "Dalam Tindakan",
    "answered": "Dalam Tindakan",
    "resolved": "Tuntas",
    "closed": "Tuntas",
    "handed_off": "Tuntas",
    "rejected": "Tidak Layak",
}
TYPE_LABELS = {
    "pengaduan": _l("Complaint"),
    "aspirasi": _l("Aspiration"),
    "informasi": _l("Information request"),
}


#: States never shown publicly, whatever the review said.
NOT_PUBLIC_STATES = ("received", "rejected", "duplicate")


def public_condition():
    """``Complaint.is_public`` as SQL: reviewed by a verifier, not confidential, not waiting,
    refused or merged. The one rule for the public pages and the Open311 API."""
    return (Complaint.reviewed_at.is_not(None) & Complaint.confidential.is_(False)
            & Complaint.state.not_in(NOT_PUBLIC_STATES))


def citizen_status(complaint: Complaint) -> str:
    return _CITIZEN.get(complaint.state, "Menunggu")


def open311_status(complaint: Complaint) -> str:
    return "closed" if citizen_status(complaint) in ("Tuntas", "Tidak Layak") else "open"


# IDs and PINs ------------------------------------------------------------------------------
def new_tracking_id(session: Session) -> str:
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
        tracking = f"LG-{raw[:4]}-{raw[4:]}"
        if session.scalar(select(Complaint.id).where(Complaint.tracking_id == tracking)) is None:
            return tracking


def normalise_tracking_id(text: str | None) -> str:
    """What a person typed or read out ("lg 7k3m 9q2p") as stored ("LG-7K3M-9Q2P")."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if raw.startswith("LG") and len(raw) == 10:
        return f"LG-{raw[2:6]}-{raw[6:]}"
    return (text or "").strip().upper()


def _pin_hash(secret: str, tracking_id: str, pin: str) -> str:
    return hmac.new(secret.encode(), f"{tracking_id}:{pin}".encode(), hashlib.sha256).hexdigest()


def check_pin(secret: str, complaint: Complaint, pin: str | None) -> bool:
    typed = "".join(ch for ch in (pin or "") if ch.isdigit())
    return bool(typed) and hmac.compare_digest(
        _pin_hash(secret, complaint.tracking_id, typed), complaint.pin_hash
    )


def find(session: Session, tracking_id: str) -> Complaint | None:
    return session.scalar(
        select(Complaint).where(Complaint.tracking_id == normalise_tracking_id(tracking_id))
    )


# Receiving ---------------------------------------------------------------------------------
@dataclass
class ReportInput:
    type: str = "pengaduan"
    category_id: int | None = None
    description: str = ""
    region_code: str | None = None
    kecamatan: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str = ""
    contact: str = ""
    anonymous: bool = True
    confidential: bool = False


def _contact(raw: str) -> tuple[str | None, str | None]:
    """An email address or an Indonesian phone number; raise ContactError if it is neither."""
    text = (raw or "").strip()
    if "@" in text:
        return normalise_email(text).address, None
    return None, normalise_phone(text).e164


def _validate(
    session: Session, data: ReportInput, *, need_contact: bool = True, need_details: bool = True
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if data.type not in COMPLAINT_TYPES:
        errors["type"] = _l("Choose complaint, aspiration or information request.")
    category = session.get(ComplaintCategory, data.category_id) if data.category_id else None
    if need_details and (category is None or not category.is_active):
        errors["category_id"] = _l("Choose a category.")
    description = (data.description or "").strip()
    if not description:
        errors["description"] = _l("Describe what you are reporting.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _l(
            "The description is %(n)s characters; at most %(max)s.", n=len(description), max=MAX_DESCRIPTION
        )
    region = session.get(Region, data.region_code) if data.region_code else None
    if need_details and region is None:
        errors["region_code"] = _l("Choose the kabupaten/kota.")
    email = phone = None
    if (data.contact or "").strip():
        try:
            email, phone = _contact(data.contact)
        except ContactError as exc:
            errors["contact"] = exc.message
    elif need_contact:
        errors["contact"] = _l("Give an email address or a WhatsApp number, so we can tell you what happens.")
    latitude, longitude = data.latitude, data.longitude
    if latitude is not None or longitude is not None:
        if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            latitude = longitude = None  # a broken location is dropped, not refused
    if errors:
        raise ValidationError(errors)
    return {
        "type": data.type,
        "category_id": category.id if category else None,
        "description": description,
        "region_code": region.code if region else None,
        "kecamatan": (data.kecamatan or "").strip()[:100],
        "address": (data.address or "").strip()[:300],
        "latitude": latitude,
        "longitude": longitude,
        "reporter_name": " ".join((data.reporter_name or "").split())[:150],
        "reporter_email": email,
        "reporter_phone": phone,
        "anonymous": bool(data.anonymous),
        "confidential": bool(data.confidential),
    }


def submit(
    session: Session,
    data: ReportInput,
    *,
    config: Mapping[str, Any],
    source: str = "web",
    officer: User | None = None,
    need_details: bool = True,
    need_contact: bool = True,
    received_at: datetime | None = None,
    client_hash: str | None = None,
) -> tuple[Complaint, str]:
    """Receive a report; return it and its PIN (shown once, and sent to the reporter when
    there is a contact: a citizen at the counter may have none and is told them there)."""
    values = _validate(session, data, need_details=need_details, need_contact=need_contact)
    now = received_at or clock.now()
    calendar = workcal.load(session, config)
    complaint = Complaint(
        tracking_id=new_tracking_id(session),
        source=source,
        received_at=now,
        clock_start_at=calendar.clock_start(now),
        created_by_id=officer.id if officer else None,
        client_hash=client_hash,
        **values,
    )
    pin = f"{secrets.randbelow(10**6):06d}"
    complaint.pin_hash = _pin_hash(config["SECRET_KEY"], complaint.tracking_id, pin)
    if source == "whatsapp":
        complaint.last_inbound_at = now
    session.add(complaint)
    session.flush()
    _event(session, complaint, "received", public=True, text=str(_l("Report received.")), author=officer)
    _rollup(session, None, _contribution(complaint))
    audit.record(
        session,
        officer,
        "complaint.received",
        complaint,
        opd_id=None,
        fields=["report"],
        details={"source": source},
    )
    tell_reporter(
        session,
        complaint,
        config,
        _l(
            "Your report was received. Tracking ID %(id)s, PIN %(pin)s. Keep the PIN: with the ID it shows "
            "the answers at %(url)s",
            id=complaint.tracking_id,
            pin=pin,
            url=status_url(config, complaint),
        ),
    )
    return complaint, pin


def add_photo(session: Session, storage: LocalStorage, complaint: Complaint, data: bytes) -> ComplaintPhoto:
    """Keep a photo privately: re-encoded, EXIF orientation applied then location and camera
    data stripped; decompression bombs and non-images refused."""
    from pressroom.services.posts import reencode

    if len(complaint.photos) >= MAX_PHOTOS:
        raise ValidationError.one("photos", _l("At most %(n)s photos.", n=MAX_PHOTOS))
    jpeg, _thumb, size = reencode(data)
    key = f"complaints/{complaint.id}/{secrets.token_hex(8)}.jpg"
    storage.put(key, jpeg)
    photo = ComplaintPhoto(storage_key=key, width=size[0], height=size[1])
    complaint.photos.append(photo)
    session.flush()
    return photo


def status_url(config: Mapping[str, Any], complaint: Complaint) -> str:
    return f"{config['PUBLIC_URL'].rstrip('/')}/lapor/status?id={complaint.tracking_id}"


# Events and telling the reporter -------------------------------------------------------------
def _event(
    session: Session,
    complaint: Complaint,
    kind: str,
    *,
    public: bool,
    text: str = "",
    author: User | None = None,
    acting_as: str = "",
    details: dict[str, Any] | None = None,
) -> ComplaintEvent:
    if author is not None and not acting_as:
        from pressroom.services.policy import acting_as as describe

        acting_as = describe(author, complaint.opd_id)
    event = ComplaintEvent(
        complaint_id=complaint.id,
        kind=kind,
        public=public,
        text=text[:8000],
        author_id=author.id if author else None,
        acting_as=acting_as[:300],
        details=details or {},
    )
    session.add(event)
    return event


def tell_reporter(session: Session, complaint: Complaint, config: Mapping[str, Any], text) -> None:
    """A transactional message to the reporter on their channel (never for imported reports)."""
    if complaint.source == "import":
        return
    message = str(text)
    status = citizen_status(complaint)
    if complaint.reporter_phone and (complaint.source == "whatsapp" or not complaint.reporter_email):
        payload: dict[str, Any] = {
            "subject": f"Lapor Gub {complaint.tracking_id}",
            "text": message,
            "purpose": "complaint_update",
        }
        window_open = (
            complaint.last_inbound_at is not None
            and clock.now() - complaint.last_inbound_at < timedelta(hours=24)
        )
        if not window_open:
            from pressroom.channels.whatsapp import template_headers

            payload["headers"] = template_headers(
                config.get("LAPOR_WHATSAPP_TEMPLATE") or DEFAULT_WHATSAPP_TEMPLATE,
                [complaint.tracking_id, status],
                language="id",
            )
        outbox.enqueue(
            session,
            kind="transactional",
            channel="whatsapp",
            subject_type="complaint",
            subject_id=complaint.id,
            recipient=complaint.reporter_phone,
            payload=payload,
        )
    elif complaint.reporter_email:
        name = config.get("LAPOR_NAME") or "Lapor Gub"
        outbox.enqueue(
            session,
            kind="transactional",
            channel="email",
            subject_type="complaint",
            subject_id=complaint.id,
            recipient=complaint.reporter_email,
            payload={
                "subject": f"{name} {complaint.tracking_id}: {status}",
                "text": f"{message}\n\n{status_url(config, complaint)}",
                "purpose": "complaint_update",
            },
        )


# Rollups --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contribution:
    month: date
    keys: tuple[tuple[str, str], ...]
    resolved: bool
    responded: bool
    within_24h: bool
    hours: int | None


def _contribution(complaint: Complaint) -> Contribution:
    local = clock.to_wib(complaint.received_at).date()
    keys = (
        ("all", ""),
        ("opd", str(complaint.opd_id or "")),
        ("category", str(complaint.category_id or "")),
        ("region", complaint.region_code or ""),
    )
    responded = complaint.first_response_at is not None
    hours = None
    if responded:
        elapsed = complaint.first_response_at - complaint.received_at
        hours = max(0, min(720, int(elapsed.total_seconds() // 3600)))
    return Contribution(
        month=local.replace(day=1),
        keys=keys,
        resolved=complaint.state in ("resolved", "closed"),
        responded=responded,
        within_24h=responded and complaint.first_response_at - complaint.received_at <= FIRST_RESPONSE,
        hours=hours,
    )


def _rollup(session: Session, before: Contribution | None, after: Contribution | None) -> None:
    """Move one report's counts from ``before`` to ``after`` (rows locked while changed)."""
    if before == after:
        return
    for contribution, sign in ((before, -1), (after, 1)):
        if contribution is None:
            continue
        for dimension, key in contribution.keys:
            row = _rollup_row(session, contribution.month, dimension, key)
            row.received += sign
            row.resolved += sign * contribution.resolved
            row.responded += sign * contribution.responded
            row.responded_24h += sign * contribution.within_24h
            if contribution.hours is not None:
                hours = dict(row.response_hours or {})
                bucket = str(contribution.hours)
                hours[bucket] = hours.get(bucket, 0) + sign
                if not hours[bucket]:
                    del hours[bucket]
                row.response_hours = hours
    session.flush()


def _rollup_row(session: Session, month: date, dimension: str, key: str) -> ComplaintRollup:
    session.execute(
        upsert(session, ComplaintRollup)
        .values(
            month=month,
            dimension=dimension,
            key=key,
            received=0,
            resolved=0,
            responded=0,
            responded_24h=0,
            response_hours={},
        )
        .on_conflict_do_nothing(index_elements=["month", "dimension", "key"])
    )
    return session.scalars(
        select(ComplaintRollup)
        .where(
            ComplaintRollup.month == month, ComplaintRollup.dimension == dimension, ComplaintRollup.key == key
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def rebuild_rollups(session: Session) -> int:
    """Recount every rollup from the reports (after an import, or to check them)."""
    session.execute(ComplaintRollup.__table__.delete())
    count = 0
    for complaint in session.scalars(select(Complaint).execution_options(yield_per=1000)):
        _rollup(session, None, _contribution(complaint))
        count += 1
    return count


def count_in_rollups(session: Session, reports: Complaint | list) -> None:
    """Count reports written without ``submit`` (a CSV import) in the rollups: their
    contributions summed first, so each rollup row is locked and changed once, in a fixed
    order (no deadlock with a concurrent change). ``reports`` are Complaints, or rows with
    the same attributes (received_at, state, opd_id, category_id, region_code,
    first_response_at)."""
    items = [reports] if isinstance(reports, Complaint) else list(reports)
    totals: dict[tuple[date, str, str], dict[str, Any]] = {}
    for complaint in items:
        contribution = _contribution(complaint)
        for dimension, key in contribution.keys:
            total = totals.setdefault((contribution.month, dimension, key), {
                "received": 0, "resolved": 0, "responded": 0, "responded_24h": 0, "hours": {}})
            total["received"] += 1
            total["resolved"] += contribution.resolved
            total["responded"] += contribution.responded
            total["responded_24h"] += contribution.within_24h
            if contribution.hours is not None:
                bucket = str(contribution.hours)
                total["hours"][bucket] = total["hours"].get(bucket, 0) + 1
    for (month, dimension, key), total in sorted(totals.items()):
        row = _rollup_row(session, month, dimension, key)
        row.received += total["received"]
        row.resolved += total["resolved"]
        row.responded += total["responded"]
        row.responded_24h += total["responded_24h"]
        if total["hours"]:
            hours = dict(row.response_hours or {})
            for bucket, n in total["hours"].items():
                hours[bucket] = hours.get(bucket, 0) + n
            row.response_hours = hours
    session.flush()


# The workflow -----------------------------------------------------------------------------
class _Change:
    """Wrap a change: the rollup moves from the report's contribution before to after."""

    def __init__(self, session: Session, complaint: Complaint):
        self.session, self.complaint = session, complaint
        self.before = _contribution(complaint)

    def __enter__(self) -> Complaint:
        return self.complaint

    def __exit__(self, kind, *_rest) -> None:
        if kind is None:
            self.complaint.updated_at = clock.now()
            _rollup(self.session, self.before, _contribution(self.complaint))


def _first_response(complaint: Complaint) -> None:
    if complaint.first_response_at is None:
        complaint.first_response_at = clock.now()


def _require(complaint: Complaint, *states: str) -> None:
    if complaint.state not in states:
        raise ValidationError.one("", _l("This report is no longer in a state where that can be done."))


def review(
    session: Session,
    verifier: User,
    complaint: Complaint,
    *,
    public_description: str,
    redactions: dict[int, list[dict[str, int]]] | None = None,
    hidden_photos: set[int] | None = None,
    storage: LocalStorage,
) -> None:
    """The verifier's review: the public text (redacted) and the photos' blacked-out areas.
    Nothing of a report is public before this."""
    from pressroom.services.complaint_redaction import redact_photo

    text = (public_description or "").strip()[:MAX_DESCRIPTION]
    complaint.public_description = text
    for photo in complaint.photos:
        photo.redactions = list((redactions or {}).get(photo.id, photo.redactions or []))
        photo.hidden = photo.id in (hidden_photos or set())
        photo.public_key = None if photo.hidden else redact_photo(storage, photo)
    complaint.reviewed_at, complaint.reviewed_by_id = clock.now(), verifier.id
    _event(session, complaint, "reviewed", public=False, author=verifier)
    audit.record(
        session,
        verifier,
        "complaint.reviewed",
        complaint,
        opd_id=complaint.opd_id,
        fields=["public_description", "photos"],
    )


def verify(session: Session, verifier: User, complaint: Complaint, *, config: Mapping[str, Any]) -> None:
    _require(complaint, "received")
    with _Change(session, complaint):
        complaint.state = "verified"
        _first_response(complaint)
        _event(
            session,
            complaint,
            "verified",
            public=True,
            text=str(_l("Verified: it will be passed to the agency in charge.")),
            author=verifier,
        )
    audit.record(session, verifier, "complaint.verified", complaint, fields=["state"])
    tell_reporter(
        session, complaint, config, _l("Your report %(id)s was verified.", id=complaint.tracking_id)
    )


def reject(
    session: Session, verifier: User, complaint: Complaint, *, reason: str, config: Mapping[str, Any]
) -> None:
    text = (reason or "").strip()
    if not text:
        raise ValidationError.one("reason", _l("Say why, in words the reporter understands."))
    _require(complaint, "received", "verified")
    with _Change(session, complaint):
        complaint.state, complaint.state_reason, complaint.closed_at = "rejected", text[:2000], clock.now()
        _first_response(complaint)
        _event(session, complaint, "rejected", public=True, text=text, author=verifier)
    audit.record(session, verifier, "complaint.rejected", complaint, fields=["state"])
    tell_reporter(
        session,
        complaint,
        config,
        _l("Your report %(id)s is not eligible: %(reason)s", id=complaint.tracking_id, reason=text),
    )


def mark_duplicate(
    session: Session, verifier: User, complaint: Complaint, original: Complaint, *, config: Mapping[str, Any]
) -> None:
    if original.id == complaint.id or original.duplicate_of_id is not None:
        raise ValidationError.one(
            "original", _l("Choose the original report (not this one, not a duplicate).")
        )
    _require(complaint, "received", "verified")
    with _Change(session, complaint):
        complaint.state, complaint.duplicate_of_id, complaint.closed_at = (
            "duplicate",
            original.id,
            clock.now(),
        )
        _first_response(complaint)
        _event(
            session,
            complaint,
            "duplicate",
            public=True,
            author=verifier,
            text=str(_l("Merged with report %(id)s: follow that one.", id=original.tracking_id)),
        )
    audit.record(session, verifier, "complaint.merged", complaint, fields=["state", "duplicate_of"])
    tell_reporter(
        session,
        complaint,
        config,
        _l(
            "Your report %(id)s is the same as report %(other)s; it is followed up there.",
            id=complaint.tracking_id,
            other=original.tracking_id,
        ),
    )


def hand_off(
    session: Session,
    verifier: User,
    complaint: Complaint,
    *,
    to: str,
    reference: str,
    explanation: str,
    config: Mapping[str, Any],
) -> None:
    """ "Bukan wewenang": passed to a kabupaten/kota or to SP4N-LAPOR!, with a reference."""
    target, text = (to or "").strip(), (explanation or "").strip()
    if not target or not text:
        raise ValidationError.one("explanation", _l("Say where it goes and explain it to the reporter."))
    _require(complaint, "received", "verified")
    with _Change(session, complaint):
        complaint.state, complaint.handoff_to = "handed_off", target[:150]
        complaint.handoff_reference = (reference or "").strip()[:100] or None
        complaint.closed_at = clock.now()
        _first_response(complaint)
        _event(
            session,
            complaint,
            "handed_off",
            public=True,
            text=text,
            author=verifier,
            details={"to": complaint.handoff_to, "reference": complaint.handoff_reference},
        )
    audit.record(session, verifier, "complaint.handed_off", complaint, fields=["state", "handoff_to"])
    tell_reporter(
        session,
        complaint,
        config,
        _l(
            "Your report %(id)s is outside the province's authority and was passed to %(to)s%(ref)s. %(why)s",
            id=complaint.tracking_id,
            to=complaint.handoff_to,
            ref=" (ref. " + complaint.handoff_reference + ")" if complaint.handoff_reference else "",
            why=text,
        ),
    )


def dispose(
    session: Session,
    verifier: User,
    complaint: Complaint,
    opd: Opd,
    *,
    config: Mapping[str, Any],
    note: str = "",
) -> None:
    """Pass it to the OPD in charge (the forwarding clock stops)."""
    _require(complaint, "received", "verified", "dispositioned")
    with _Change(session, complaint):
        complaint.opd_id, complaint.state = opd.id, "dispositioned"
        complaint.forwarded_at = complaint.forwarded_at or clock.now()
        complaint.pic_user_id = None
        _first_response(complaint)
        _event(
            session,
            complaint,
            "dispositioned",
            public=True,
            author=verifier,
            text=str(_l("Passed to %(opd)s.", opd=opd.name)),
            details={"opd_id": opd.id, "note": note[:1000]},
        )
    audit.record(session, verifier, "complaint.dispositioned", complaint, opd_id=opd.id, fields=["opd"])
    tell_reporter(
        session,
        complaint,
        config,
        _l("Your report %(id)s was passed to %(opd)s.", id=complaint.tracking_id, opd=opd.name),
    )


def assign(session: Session, actor: User, complaint: Complaint, officer: User) -> None:
    """Name the officer in charge (PIC) within the OPD."""
    from pressroom.services.policy import can

    if complaint.opd_id is None or not can(officer, "complaint.answer", complaint):
        raise ValidationError.one("pic", _l("Choose an officer of the OPD in charge."))
    complaint.pic_user_id = officer.id
    if complaint.state == "dispositioned":
        with _Change(session, complaint):
            complaint.state = "in_progress"
    _event(session, complaint, "assigned", public=False, author=actor, details={"pic": officer.id})
    audit.record(session, actor, "complaint.assigned", complaint, fields=["pic"])


def add_note(session: Session, actor: User, complaint: Complaint, text: str) -> ComplaintEvent:
    body = (text or "").strip()
    if not body:
        raise ValidationError.one("text", _l("Write the note."))
    event = _event(session, complaint, "note", public=False, text=body, author=actor)
    audit.record(session, actor, "complaint.noted", complaint, fields=["note"])
    return event


def answer(
    session: Session,
    officer: User,
    complaint: Complaint,
    text: str,
    *,
    config: Mapping[str, Any],
    attachments: list[str] | None = None,
    resolved: bool = False,
) -> ComplaintEvent:
    """A public answer to the reporter; ``resolved`` also says the matter is settled."""
    body = (text or "").strip()
    if not body:
        raise ValidationError.one("text", _l("Write the answer."))
    _require(complaint, "verified", "dispositioned", "in_progress", "answered")
    with _Change(session, complaint):
        _first_response(complaint)
        complaint.answered_at = complaint.answered_at or clock.now()
        complaint.state = "resolved" if resolved else "answered"
        if resolved:
            complaint.resolved_at = clock.now()
        event = _event(
            session,
            complaint,
            "answer",
            public=True,
            text=body,
            author=officer,
            details={"attachments": list(attachments or []), "resolved": resolved},
        )
    audit.record(
        session, officer, "complaint.answered", complaint, fields=["answer"], details={"resolved": resolved}
    )
    if resolved:
        tell_reporter(
            session,
            complaint,
            config,
            _l(
                "Report %(id)s has an answer and is marked resolved. Is it really resolved (sudah "
                "tuntas?)? Answer and rate it with your ID and PIN at %(url)s",
                id=complaint.tracking_id,
                url=status_url(config, complaint),
            ),
        )
    else:
        tell_reporter(
            session, complaint, config, _l("Report %(id)s has a new answer.", id=complaint.tracking_id)
        )
    return event


def confirm(
    session: Session,
    complaint: Complaint,
    *,
    resolved: bool,
    rating: int | None,
    comment: str = "",
    config: Mapping[str, Any],
) -> None:
    """The reporter's "sudah tuntas?": yes closes it with a rating; no reopens it."""
    _require(complaint, "resolved", "answered")
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError.one("rating", _l("Rate from 1 to 5."))
    with _Change(session, complaint):
        complaint.confirmed_resolved, complaint.rating = resolved, rating
        if resolved:
            complaint.state, complaint.closed_at = "closed", clock.now()
            complaint.resolved_at = complaint.resolved_at or clock.now()
        else:
            complaint.state, complaint.resolved_at = "in_progress", None
            complaint.reopened_count += 1
        _event(
            session,
            complaint,
            "confirmed" if resolved else "reopened",
            public=True,
            text=(comment or "").strip()[:2000],
            acting_as="pelapor",
            details={"rating": rating},
        )
    audit.record(
        session,
        None,
        "complaint.confirmed" if resolved else "complaint.reopened",
        complaint,
        fields=["state", "rating"],
        acting_as="reporter",
    )
    if not resolved:
        tell_reporter(
            session,
            complaint,
            config,
            _l("Report %(id)s was reopened; the agency will follow up.", id=complaint.tracking_id),
        )


def close_silent(session: Session, complaint: Complaint, *, config: Mapping[str, Any]) -> None:
    """Closed after the reporter stayed silent for 10 working days after a resolution."""
    with _Change(session, complaint):
        complaint.state, complaint.closed_at = "closed", clock.now()
        _event(
            session,
            complaint,
            "closed",
            public=True,
            text=str(_l("Closed: no reply from the reporter within 10 working days.")),
        )
    audit.record(session, None, "complaint.closed", complaint, fields=["state"])


def inbound_follow_up(session: Session, complaint: Complaint, text: str) -> ComplaintEvent:
    """A message from the reporter on an open report (WhatsApp)."""
    complaint.last_inbound_at = clock.now()
    return _event(
        session, complaint, "reporter", public=True, text=(text or "").strip()[:4000], acting_as="pelapor"
    )


def public_events(session: Session, complaint: Complaint) -> list[ComplaintEvent]:
    return list(
        session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.public.is_(True))
            .order_by(ComplaintEvent.id)
        )
    )


# SLA clocks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clock:
    name: str
    due_at: datetime
    done_at: datetime | None

    @property
    def overdue(self) -> bool:
        return (self.done_at or clock.now()) > self.due_at

    @property
    def running(self) -> bool:
        return self.done_at is None


def clocks(complaint: Complaint, calendar: workcal.Calendar) -> list[Clock]:
    """The report's SLA clocks, counted from receipt."""
    start = complaint.clock_start_at
    found = [Clock("first_response", complaint.received_at + FIRST_RESPONSE, complaint.first_response_at)]
    if complaint.state in ("rejected", "duplicate", "handed_off"):
        return found
    found.append(Clock("forward", calendar.add_working_days(start, FORWARD_DAYS), complaint.forwarded_at))
    if complaint.type == "informasi":
        days = INFORMATION_DAYS + (INFORMATION_EXTENSION_DAYS if complaint.extended else 0)
        found.append(Clock("answer", calendar.add_working_days(start, days), complaint.answered_at))
    else:
        found.append(Clock("answer", calendar.add_working_days(start, ANSWER_DAYS), complaint.answered_at))
    if complaint.state == "resolved" and complaint.resolved_at:
        found.append(
            Clock(
                "close",
                calendar.add_working_days(complaint.resolved_at, CLOSE_SILENT_DAYS),
                complaint.closed_at,
            )
        )
    return found


def overdue(complaint: Complaint, calendar: workcal.Calendar) -> list[Clock]:
    return [c for c in clocks(complaint, calendar) if c.running and c.overdue]


def describe_due(value: datetime, lang: str = "id") -> str:
    return formatting.wib(value, lang)


def mark_reminded(complaint: Complaint, key: str) -> None:
    """Remember that a reminder or escalation ``key`` was sent (each goes once)."""
    complaint.reminders = {**(complaint.reminders or {}), key: clock.now().isoformat()}

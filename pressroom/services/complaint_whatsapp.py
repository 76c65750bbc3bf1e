"""Lapor Gub over WhatsApp: a citizen's message to the business number (Cloud API webhook, or
the Fonnte / Wablas gateways) becomes a new report, or a follow-up on one of theirs.

What a message becomes (``receive``):

* a **follow-up** (``complaints.inbound_follow_up``, plus its photo) when the text names the
  tracking ID of one of this number's reports (whatever its state), or else when the number
  has an open report (any state but closed, rejected, duplicate, handed off) — with several,
  the newest. The reporter is told "received, added to report LG-…" unless they are writing
  in a burst — the report's latest public step is its receipt or their own message, within
  ``ACK_QUIET`` — so that a report and three photos sent in a row get one answer, not four,
  while a message after an officer's update is always answered;
* otherwise — or when the text starts with the word **BARU** ("baru: …", "lapor baru …"),
  which the follow-up answer teaches — a **new report** (``complaints.submit`` with
  ``need_details=False``): type pengaduan, no category or region yet (a verifier completes
  them), the text as the description, the number as the contact, anonymous; the WhatsApp
  profile name as the reporter's name (only verifiers see it). ``submit`` itself answers
  with the tracking ID and the PIN. A text longer than the 4,000-character description keeps its first 4,000
  characters (``truncated_from`` in the event's details says so). The web form's flood limit
  per contact (``LAPOR_MAX_PER_CONTACT_DAY`` reports in 24 hours, complaint_abuse) applies:
  beyond it, the message becomes a follow-up on the number's newest open report, or is
  ignored when there is none.

Replies are transactional deliveries through ``complaints.tell_reporter``; the person just
wrote, so ``last_inbound_at`` (set on every open report of the number) makes them free-form
within WhatsApp's 24-hour window; later updates use the approved template.

**Once per message.** Providers deliver a webhook again when they doubt it arrived. Every
message handled leaves its key in the details of the event it made (``received`` for a new
report, ``reporter`` for a follow-up): ``wa_message_id`` = ``<provider>:<the provider's
message id>``. Before anything is stored, the events of this number's reports are searched
for the key (``_seen``) — under a per-number lock (PostgreSQL advisory lock; SQLite's
``BEGIN IMMEDIATE`` already runs one writer at a time), so that two copies arriving together
cannot both pass. Fonnte gives no message id (``inboxid`` is 0): its key is a fingerprint of
sender, text and media link, and counts as seen for ``FINGERPRINT_WINDOW`` only (the same
words sent again tomorrow are a new message).

**Ignored** (nothing stored, nothing sent, the reason returned and logged): group messages
and messages from the business number itself (the gateways' parsers drop most; the number
is also compared with the gateway's device and with ``WHATSAPP_OWN_NUMBERS``), messages to
another business number than ``WHATSAPP_PHONE_NUMBER_ID`` (when set), a sender that is not
a valid phone number, an empty message (no text and no image: a sticker, a reaction, a voice
note without caption), and a text longer than WhatsApp itself allows (``MAX_INBOUND_CHARS``:
not a real message).

**Photos.** ``fetch_media`` (HTTP, no database: the web layer calls it before the
transaction, so no lock is held while it waits) gets an image: from a gateway by the link
it gives; from the Cloud API by its media id (``GET /<version>/<media id>`` gives a short-
lived URL, fetched with the same token) — both capped at ``MAX_UPLOAD_MB`` and
``MEDIA_TIMEOUT``. The image then goes through ``complaints.add_photo`` (re-encoded, EXIF
stripped, bombs and non-images refused; at most five per report). When it cannot be had
(no Cloud API token, the provider refuses, not an image, five photos already), the report
or follow-up is kept without it and the event's details say why, with the media id (Cloud
API) or link (gateway) so that a verifier can ask for it again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.channels.whatsapp import InboundMessage
from pressroom.datasets.errors import DatasetInputError
from pressroom.datasets.sources import check_url
from pressroom.i18n import _l
from pressroom.models import Complaint, ComplaintEvent
from pressroom.services import ValidationError, audit, complaint_abuse, complaints
from pressroom.storage import LocalStorage

#: States in which a report no longer takes a follow-up by itself (naming its ID still works).
NOT_OPEN = ("closed", "rejected", "duplicate", "handed_off")
#: WhatsApp's own limit for a text message: anything longer did not come from WhatsApp.
MAX_INBOUND_CHARS = 65_536
#: No second "received, added to …" within this time of the report's receipt or the last follow-up.
ACK_QUIET = timedelta(minutes=10)
#: How long a message without a provider id (Fonnte) is remembered by its fingerprint.
FINGERPRINT_WINDOW = timedelta(minutes=30)
#: Seconds to wait for a provider while fetching a photo.
MEDIA_TIMEOUT = 10
#: A message starting with this word is a new report even when the number has an open one.
_NEW_REPORT = re.compile(r"^\s*(?:lapor(?:an)?\s+)?baru\b[\s:.,;-]*", re.IGNORECASE)
_TRACKING = re.compile(
    rf"\bLG[\s._-]*([{complaints.ALPHABET}]{{4}})[\s._-]*([{complaints.ALPHABET}]{{4}})\b"
)


@dataclass
class Media:
    """An image fetched for a message, or why there is none."""

    data: bytes | None = None
    note: str = ""


@dataclass
class Outcome:
    """What became of one message: ``created``, ``follow_up``, ``duplicate`` or ``ignored``."""

    action: str
    reason: str = ""
    complaint: Complaint | None = None
    #: The new report's PIN (already sent to the reporter; never logged).
    pin: str | None = field(default=None, repr=False)
    photo_stored: bool = False


# Screening ---------------------------------------------------------------------------------
def has_image(message: InboundMessage) -> bool:
    return message.kind == "image" and bool(message.media_id or message.media_url)


def _digits(value: str | None) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def _own_numbers(message: InboundMessage, config: Mapping[str, Any]) -> set[str]:
    own = {_digits(n) for n in re.split(r"[,\s]+", str(config.get("WHATSAPP_OWN_NUMBERS") or ""))}
    if message.provider != "cloud":
        own.add(_digits(message.business_number))  # a gateway's device is the business number
    own.discard("")
    return own


def screen(message: InboundMessage, config: Mapping[str, Any]) -> str | None:
    """Why a message is not taken in (None when it is)."""
    if not message.phone or "@" in message.wa_id:
        return "not a person's number (a group?)"
    if _digits(message.wa_id) in _own_numbers(message, config) or _digits(message.phone) in _own_numbers(
        message, config
    ):
        return "sent by the business number itself"
    ours = str(config.get("WHATSAPP_PHONE_NUMBER_ID") or "")
    if message.provider == "cloud" and ours and message.business_number and message.business_number != ours:
        return "sent to another business number"
    if len(message.text or "") > MAX_INBOUND_CHARS:
        return f"a text of {len(message.text)} characters (more than WhatsApp allows)"
    if not (message.text or "").strip() and not has_image(message):
        return f"empty ({message.kind or 'unknown'} without text)"
    return None


# Photos ----------------------------------------------------------------------------------------
def fetch_media(message: InboundMessage, config: Mapping[str, Any]) -> Media | None:
    """The message's image (None when it has none). HTTP only; call it outside a transaction."""
    if not has_image(message):
        return None
    limit = int(config.get("MAX_UPLOAD_MB") or 20) * 1024 * 1024
    try:
        with requests.Session() as http:
            if message.provider == "cloud":
                return _cloud_media(http, message, config, limit)
            # A gateway's media link comes in a webhook body: like a dataset source, it may not
            # reach a private network unless allow-listed (WHATSAPP_MEDIA_ALLOW).
            allow = [h.strip() for h in str(config.get("WHATSAPP_MEDIA_ALLOW") or "").split(",") if h.strip()]
            url = check_url(message.media_url or "", allow)
            return Media(data=_download(http, url, {}, limit))
    except DatasetInputError as exc:
        return Media(note=f"not fetched: {str(exc.message)[:200]}")
    except (requests.RequestException, ValueError) as exc:
        return Media(note=f"not fetched: {str(exc)[:200]}")


def _cloud_media(http: requests.Session, message: InboundMessage, config: Mapping[str, Any],
                 limit: int) -> Media:
    base = str(config.get("WHATSAPP_API_BASE") or "").rstrip("/")
    token = str(config.get("WHATSAPP_ACCESS_TOKEN") or "")
    if not message.media_id:
        return Media(note="not fetched: the message names no media id")
    if config.get("WHATSAPP_PROVIDER") != "cloud" or not base or not token:
        return Media(note="not fetched: the WhatsApp Cloud API is not configured")
    headers = {"Authorization": f"Bearer {token}"}
    version = str(config.get("WHATSAPP_API_VERSION") or "v21.0")
    response = http.get(f"{base}/{version}/{message.media_id}", headers=headers,
                        timeout=(5, MEDIA_TIMEOUT))
    with response:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("url"):
            error = answer.get("error") if isinstance(answer, dict) else None
            said = error.get("message") if isinstance(error, dict) else f"HTTP {response.status_code}"
            return Media(note=f"not fetched: the Cloud API did not give the media ({said})"[:300])
    return Media(data=_download(http, str(answer["url"]), headers, limit))


def _download(http: requests.Session, url: str, headers: dict[str, str], limit: int) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("the media link is not an http(s) URL")
    with http.get(url, headers=headers, timeout=(5, MEDIA_TIMEOUT), stream=True) as response:
        if response.status_code != 200:
            raise ValueError(f"the media link answered HTTP {response.status_code}")
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise ValueError(f"the media is larger than {limit // (1024 * 1024)} MB")
            chunks.append(chunk)
    return b"".join(chunks)


# Receiving ---------------------------------------------------------------------------------
def message_key(message: InboundMessage) -> str:
    """What makes a message the same message when a webhook is delivered again."""
    if message.message_id:
        return f"{message.provider}:{message.message_id}"[:200]
    raw = "\x1f".join((message.provider, message.wa_id, message.text or "", message.media_id or "",
                       message.media_url or ""))
    return f"{message.provider}:fp:{hashlib.sha256(raw.encode('utf-8')).hexdigest()[:40]}"


def _lock(session: Session, phone: str) -> None:
    """One intake at a time per number (PostgreSQL; SQLite's writers are serialised anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"lapor-wa:{phone}".encode()).digest()
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": int.from_bytes(digest[:8], "big", signed=True)})


def _seen(session: Session, phone: str, key: str) -> bool:
    query = (
        select(ComplaintEvent.id)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(Complaint.reporter_phone == phone, ComplaintEvent.details["wa_message_id"].as_string() == key)
    )
    if ":fp:" in key:
        query = query.where(ComplaintEvent.created_at >= clock.now() - FINGERPRINT_WINDOW)
    return session.scalar(query.limit(1)) is not None


def mentioned_ids(text_: str) -> list[str]:
    """Tracking IDs written in a message ("lg 7k3m 9q2p", "LG-7K3M-9Q2P"), in order."""
    found = []
    for first, second in _TRACKING.findall((text_ or "").upper()):
        tracking = f"LG-{first}-{second}"
        if tracking not in found:
            found.append(tracking)
    return found


def _reports(session: Session, phone: str, text_: str) -> tuple[Complaint | None, list[Complaint]]:
    """The report a message follows up (or None), and the number's open reports."""
    open_reports = list(session.scalars(
        select(Complaint)
        .where(Complaint.reporter_phone == phone, Complaint.state.not_in(NOT_OPEN))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
    ))
    named = mentioned_ids(text_)
    if named:
        # Only the sender's own reports: a number cannot add to someone else's.
        own = {c.tracking_id: c for c in session.scalars(
            select(Complaint).where(Complaint.tracking_id.in_(named), Complaint.reporter_phone == phone))}
        for tracking in named:
            if tracking in own:
                return own[tracking], open_reports
    return (open_reports[0] if open_reports else None), open_reports


def _in_a_burst(session: Session, complaint: Complaint) -> bool:
    """The reporter is sending several messages in a row: the report's latest public step is
    its receipt or their own message, within ``ACK_QUIET`` (they were answered then, and no
    officer has written since)."""
    latest = session.scalar(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.public.is_(True))
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
    )
    return (latest is not None and latest.kind in ("received", "reporter")
            and latest.created_at >= clock.now() - ACK_QUIET)


def _store_photo(session: Session, storage: LocalStorage, complaint: Complaint, message: InboundMessage,
                 media: Media | None, details: dict[str, Any]) -> bool:
    if not has_image(message):
        return False
    details["media_type"] = message.media_type or "image"
    if message.media_id:
        details["media_id"] = message.media_id
    note = media.note if media is not None else "not fetched"
    if media is not None and media.data:
        try:
            complaints.add_photo(session, storage, complaint, media.data)
            details["media_stored"] = True
            return True
        except ValidationError as exc:
            note = "not stored: " + "; ".join(str(m) for m in exc.errors.values())
    details["media_stored"] = False
    details["media_note"] = note[:300]
    if message.media_url:
        details["media_url"] = message.media_url[:500]
    return False


def receive(
    session: Session,
    message: InboundMessage,
    *,
    config: Mapping[str, Any],
    storage: LocalStorage,
    media: Media | None = None,
) -> Outcome:
    """Take in one inbound WhatsApp message (flush only; the caller commits)."""
    reason = screen(message, config)
    if reason:
        return Outcome("ignored", reason)
    phone = message.phone or ""
    _lock(session, phone)
    key = message_key(message)
    if _seen(session, phone, key):
        return Outcome("duplicate", "delivered before")
    body = (message.text or "").strip()
    details: dict[str, Any] = {"wa_message_id": key, "provider": message.provider}
    if len(body) > complaints.MAX_DESCRIPTION:
        details["truncated_from"] = len(body)
        body = body[: complaints.MAX_DESCRIPTION]
    keyword = _NEW_REPORT.match(body)
    if keyword:
        body = body[keyword.end():].strip()
        if not body and not has_image(message):
            return Outcome("ignored", "BARU without a report")
    target, open_reports = _reports(session, phone, body)
    if target is not None and not keyword:
        return _follow_up(session, target, open_reports, message, body, details, config, storage, media)
    try:
        complaint_abuse.check_flood(session, complaint_abuse.Limits.from_config(config), contact=phone,
                                    client=None)
    except complaint_abuse.Throttled:
        if open_reports:
            return _follow_up(session, open_reports[0], open_reports, message, body, details, config,
                              storage, media)
        return Outcome("ignored", "too many reports from this number in 24 hours")
    return _new_report(session, message, body, details, config, storage, media)


def _follow_up(session: Session, complaint: Complaint, open_reports: list[Complaint],
               message: InboundMessage, body: str, details: dict[str, Any], config: Mapping[str, Any],
               storage: LocalStorage, media: Media | None) -> Outcome:
    quiet = _in_a_burst(session, complaint)
    event = complaints.inbound_follow_up(session, complaint, body or str(_l("(A photo, without text.)")))
    now = clock.now()
    for other in open_reports:  # WhatsApp's 24-hour window is the number's, not one report's
        other.last_inbound_at = now
    stored = _store_photo(session, storage, complaint, message, media, details)
    event.details = details
    audit.record(session, None, "complaint.follow_up", complaint, fields=["reporter_message"]
                 + (["photos"] if stored else []), details={"source": "whatsapp"}, acting_as="reporter")
    if not quiet:
        complaints.tell_reporter(
            session, complaint, config,
            _l("Received, added to report %(id)s. To send a separate, new report instead, start your "
               "message with BARU.", id=complaint.tracking_id),
        )
    session.flush()
    return Outcome("follow_up", complaint=complaint, photo_stored=stored)


def _new_report(session: Session, message: InboundMessage, body: str, details: dict[str, Any],
                config: Mapping[str, Any], storage: LocalStorage, media: Media | None) -> Outcome:
    data = complaints.ReportInput(
        type="pengaduan",
        description=body or str(_l("(A photo sent on WhatsApp, without text.)")),
        reporter_name=message.name or "",
        contact=message.phone or "",
        anonymous=True,
    )
    try:
        complaint, pin = complaints.submit(
            session, data, config=config, source="whatsapp", need_details=False
        )
    except ValidationError as exc:
        return Outcome("ignored", "refused: " + ", ".join(sorted(exc.errors)))
    stored = _store_photo(session, storage, complaint, message, media, details)
    received = session.scalar(
        select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "received"
        )
    )
    received.details = {**(received.details or {}), **details}
    session.flush()
    return Outcome("created", complaint=complaint, pin=pin, photo_stored=stored)

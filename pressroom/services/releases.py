"""Press alerts: siaran pers, undangan liputan and ralat — composing, the audience, the one
approval chain, numbering, freezing the recipients and queueing their deliveries, embargo,
withdrawal, corrections, and the rules the dispatcher applies when it claims a press delivery.

A release is approved like a post (services/approvals.py): the approval hash covers the text,
photos, attachments, infographics, timing and the audience definition, and any edit clears it.
At the final approval the release gets its number (once, for good), the audience is frozen
into one ``ReleaseRecipient`` per journalist × channel, and one outbox delivery per recipient
is queued (kind ``press``). Consent, unsubscribes and erasure are checked again when each
delivery is claimed (``gate``), so an unsubscribe stops even what is already queued.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session, object_session, selectinload

from pressroom import clock
from pressroom.db import upsert
from pressroom.i18n import _l
from pressroom.models import (
    Beat,
    DatasetImage,
    Delivery,
    Journalist,
    JournalistBeat,
    JournalistEmail,
    JournalistOpd,
    JournalistPhone,
    JournalistRegion,
    Opd,
    Outlet,
    Post,
    PressNumberSequence,
    PressProfile,
    PressRelease,
    ReleaseAttachment,
    ReleaseInfographic,
    ReleasePhoto,
    ReleaseRecipient,
    User,
)
from pressroom.models.alert import AUDIENCE_CHANNELS, RELEASE_KINDS
from pressroom.models.journalist import DEWAN_PERS_STATES, OUTLET_TYPES
from pressroom.press import numbering
from pressroom.services import ValidationError, approvals, audit, journalist_self, outbox
from pressroom.services.contact_points import ContactError, normalise_email, normalise_phone
from pressroom.storage import LocalStorage

SUBJECT = "release"
#: The outbox subject of one recipient's delivery.
RECIPIENT_SUBJECT = "press_recipient"
MAX_PHOTOS = 20
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_SOURCES = 10
#: Journalists read per query while freezing an audience (never all at once).
FREEZE_CHUNK = 500
AUDIENCE_BASES = ("followers", "list", "all")


# Content --------------------------------------------------------------------------------------
@dataclass
class ReleaseInput:
    """What the composer sends (plain values; times are aware UTC)."""

    kind: str = "siaran_pers"
    headline: str = ""
    lead: str = ""
    body: str = ""
    headline_en: str = ""
    lead_en: str = ""
    body_en: str = ""
    place: str = "Semarang"
    sources: list[dict[str, str]] = field(default_factory=list)
    contact_name: str = ""
    contact_position: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    agenda: str = ""
    venue: str = ""
    event_starts_at: datetime | None = None
    event_ends_at: datetime | None = None
    embargo_until: datetime | None = None
    send_before_embargo: bool = False
    embargo_whatsapp: bool = False
    send_at: datetime | None = None
    manual_number: str = ""
    classification: str = ""
    topic_ids: list[int] = field(default_factory=list)
    post_id: int | None = None
    correction_note: str = ""
    audience: dict[str, Any] = field(default_factory=dict)


def approval_content(release: PressRelease) -> dict[str, Any]:
    """Exactly what an approver approves: text, people, timing, files and the audience."""
    return {
        "kind": release.kind,
        "text": [release.headline, release.lead, release.body, release.place],
        "english": [release.headline_en, release.lead_en, release.body_en],
        "sources": release.sources or [],
        "contact": [release.contact_name, release.contact_position, release.contact_phone,
                    release.contact_email],
        "invitation": [release.agenda, release.venue,
                       release.event_starts_at.isoformat() if release.event_starts_at else None,
                       release.event_ends_at.isoformat() if release.event_ends_at else None],
        "embargo": [release.embargo_until.isoformat() if release.embargo_until else None,
                    release.send_before_embargo, release.embargo_whatsapp],
        "send_at": release.send_at.isoformat() if release.send_at else None,
        "number": [release.manual_number, release.classification],
        "photos": [(p.sha256, p.caption, p.credit, p.alt_text) for p in release.photos],
        "attachments": [(a.sha256, a.filename) for a in release.attachments],
        "infographics": [i.dataset_image_id for i in release.infographics],
        "topics": sorted(t.id for t in release.topics),
        "post": release.post_id,
        "correction": [release.corrects_id, release.correction_note],
        "audience": normalised_audience(release.audience),
        "list_members": _list_members(release),
        "opd_id": release.opd_id,
    }


def _list_members(release: PressRelease) -> list[int]:
    """Who is on a saved list the release goes to: changing the list after approval clears it."""
    audience = normalised_audience(release.audience)
    session = object_session(release)
    if audience["base"] != "list" or not audience["list_id"] or session is None:
        return []
    from pressroom.services import audience_lists

    return sorted(session.scalars(audience_lists.member_ids_query(audience["list_id"])))


PressRelease.approval_content = approval_content  # the approval mechanism's protocol


def title_of(release: PressRelease) -> str:
    return " ".join(release.headline.split())[:80] or f"Siaran pers #{release.id}"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "siaran-pers"


def public_path(release: PressRelease) -> str:
    """The release on the public newsroom (web/newsroom.py serves it)."""
    return f"/pers/{release.id}/{release.slug or slugify(release.headline)}"


def normalised_audience(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The audience definition with defaults, sorted lists and only known keys."""
    raw = raw or {}
    base = raw.get("base") if raw.get("base") in AUDIENCE_BASES else "followers"
    given = raw.get("channels")
    channels = [c for c in AUDIENCE_CHANNELS if c in (AUDIENCE_CHANNELS if given is None else given)]
    return {
        "base": base,
        "list_id": int(raw["list_id"]) if base == "list" and raw.get("list_id") else None,
        "beats": sorted({int(b) for b in raw.get("beats") or []}),
        "regions": sorted({str(r) for r in raw.get("regions") or []}),
        "outlet_types": sorted({t for t in raw.get("outlet_types") or [] if t in OUTLET_TYPES}),
        "dewan_pers": sorted({d for d in raw.get("dewan_pers") or [] if d in DEWAN_PERS_STATES}),
        "channels": channels,
        "same_as": int(raw["same_as"]) if raw.get("same_as") else None,
    }


def _clean(text: str | None, limit: int) -> str:
    return (text or "").strip()[:limit]


def _validate(session: Session, opd_id: int, data: ReleaseInput, *, correction: bool) -> dict[str, Any]:
    """Check the composer's input; return the column values, or raise ValidationError."""
    errors: dict[str, Any] = {}
    kind = "ralat" if correction else data.kind
    if kind not in RELEASE_KINDS or (kind == "ralat" and not correction):
        errors["kind"] = _l("Choose a press release or a coverage invitation.")
    headline = " ".join((data.headline or "").split())
    if not headline:
        errors["headline"] = _l("Write a headline.")
    elif len(headline) > 250:
        errors["headline"] = _l("The headline is at most 250 characters.")
    sources = []
    for index, source in enumerate(data.sources or []):
        name, position = _clean(source.get("name"), 150), _clean(source.get("position"), 200)
        if name or position:
            if not name:
                errors[f"source{index}"] = _l("Each source needs a full name.")
            sources.append({"name": name, "position": position})
    if len(sources) > MAX_SOURCES:
        errors["sources"] = _l("At most %(n)s sources.", n=MAX_SOURCES)
    phone = ""
    if (data.contact_phone or "").strip():
        try:
            phone = normalise_phone(data.contact_phone).e164
        except ContactError as exc:
            errors["contact_phone"] = exc.message
    email = ""
    if (data.contact_email or "").strip():
        try:
            email = normalise_email(data.contact_email).address
        except ContactError as exc:
            errors["contact_email"] = exc.message
    if kind == "undangan":
        if not (data.agenda or "").strip():
            errors["agenda"] = _l("Write the agenda of the event.")
        if not (data.venue or "").strip():
            errors["venue"] = _l("Say where the event takes place.")
        if data.event_starts_at is None:
            errors["event_starts_at"] = _l("Say when the event starts.")
        elif data.event_ends_at is not None and data.event_ends_at <= data.event_starts_at:
            errors["event_ends_at"] = _l("The event must end after it starts.")
    if not (data.contact_name or "").strip() or not phone:
        errors.setdefault("contact_name", _l("Give a contact person with a phone number for journalists."))
    if correction and not (data.correction_note or "").strip():
        errors["correction_note"] = _l("Say what is corrected.")
    manual = _clean(data.manual_number, 100)
    classification = _clean(data.classification, 20)
    topics = list(session.scalars(select(Beat).where(Beat.id.in_(data.topic_ids or [0]), Beat.is_active)))
    if len(topics) != len(set(data.topic_ids or [])):
        errors["topic_ids"] = _l("Choose topics from the list.")
    if data.post_id is not None:
        post = session.get(Post, data.post_id)
        if post is None or post.opd_id != opd_id:
            errors["post_id"] = _l("Choose a post of this OPD.")
    audience = normalised_audience(data.audience)
    if not correction:
        audience["same_as"] = None
        if not audience["channels"]:
            errors["channels"] = _l("Choose at least one channel: email or WhatsApp.")
        if audience["base"] == "list":
            from pressroom.models import AudienceList

            chosen = session.get(AudienceList, audience["list_id"]) if audience["list_id"] else None
            if chosen is None or chosen.opd_id != opd_id:
                errors["list_id"] = _l("Choose one of this OPD's saved lists.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind, "headline": headline, "lead": _clean(data.lead, 4000), "body": _clean(data.body, 60000),
        "headline_en": " ".join((data.headline_en or "").split())[:250],
        "lead_en": _clean(data.lead_en, 4000),
        "body_en": _clean(data.body_en, 60000), "place": _clean(data.place, 100) or "Semarang",
        "sources": sources, "contact_name": _clean(data.contact_name, 150),
        "contact_position": _clean(data.contact_position, 150), "contact_phone": phone,
        "contact_email": email,
        "agenda": _clean(data.agenda, 4000) if kind == "undangan" else "",
        "venue": _clean(data.venue, 300) if kind == "undangan" else "",
        "event_starts_at": data.event_starts_at if kind == "undangan" else None,
        "event_ends_at": _event_end(data) if kind == "undangan" else None,
        "embargo_until": data.embargo_until,
        "send_before_embargo": bool(data.embargo_until and data.send_before_embargo),
        "embargo_whatsapp": bool(data.embargo_until and data.embargo_whatsapp), "send_at": data.send_at,
        "manual_number": manual or None, "classification": classification or None,
        "post_id": data.post_id, "correction_note": _clean(data.correction_note, 2000) if correction else "",
        "audience": audience, "_topics": topics,
    }


def _event_end(data: ReleaseInput) -> datetime | None:
    if data.event_ends_at is not None or data.event_starts_at is None:
        return data.event_ends_at
    return data.event_starts_at + timedelta(hours=2)


def create_release(session: Session, author: User, opd_id: int, data: ReleaseInput, *,
                   corrects: PressRelease | None = None) -> PressRelease:
    values = _validate(session, opd_id, data, correction=corrects is not None)
    topics = values.pop("_topics")
    release = PressRelease(opd_id=opd_id, author_id=author.id, corrects_id=corrects.id if corrects else None,
                           **values)
    release.slug = slugify(release.headline)
    release.topics = topics
    session.add(release)
    session.flush()
    audit.record(session, author, "release.created", release, fields=sorted(values),
                 details={"kind": release.kind, **({"corrects": corrects.id} if corrects else {})})
    return release


def _editable(session: Session, release: PressRelease) -> None:
    if release.state not in ("draft", "submitted", "rejected", "approved", "held", "withdrawn"):
        raise ValidationError.one("", _l("This release can no longer be changed."))
    if sending_started(session, release):
        raise ValidationError.one("", _l("Sending has started: send a correction (ralat) instead."))


def _after_edit(session: Session, user: User, release: PressRelease, changed: list[str]) -> None:
    """Any edit clears the approval and stops what was queued until it is approved again."""
    if not changed:
        return
    was = release.state
    if was in ("submitted", "approved", "held"):
        approvals.clear(session, release, SUBJECT, to_state="draft",
                        reason=str(_l("Edited after submission: approve again.")))
        cancel_deliveries(session, release)
        release.public_from = None
    release.updated_at = clock.now()
    audit.record(session, user, "release.updated", release, fields=changed,
                 details={"cleared_approval": was in ("submitted", "approved", "held")})


def update_release(session: Session, user: User, release: PressRelease, data: ReleaseInput) -> list[str]:
    _editable(session, release)
    values = _validate(session, release.opd_id, data, correction=release.corrects_id is not None)
    topics = values.pop("_topics")
    if release.corrects_id is not None:
        values["audience"] = release.audience  # a correction goes to the original's recipients
    values.pop("kind")
    changed = audit.changed_fields(release, values)
    if sorted(t.id for t in topics) != sorted(t.id for t in release.topics):
        release.topics = topics
        changed.append("topics")
    if "headline" in changed and release.number is None:
        release.slug = slugify(values["headline"])
    _after_edit(session, user, release, changed)
    return changed


# Files ----------------------------------------------------------------------------------------
def add_photo(session: Session, user: User, storage: LocalStorage, release: PressRelease, data: bytes, *,
              caption: str, credit: str, alt_text: str) -> ReleasePhoto:
    """Re-encode a photo (orientation applied, metadata stripped) and keep it full size."""
    from pressroom.services.posts import reencode

    _editable(session, release)
    if len(release.photos) >= MAX_PHOTOS:
        raise ValidationError.one("photo", _l("A release has at most %(n)s photos.", n=MAX_PHOTOS))
    jpeg, thumb, size = reencode(data)
    base = f"press/{release.opd_id}/{release.id}/{uuid.uuid4().hex[:12]}"
    storage.put(f"{base}.jpg", jpeg, public=True)
    storage.put(f"{base}-thumb.jpg", thumb, public=True)
    photo = ReleasePhoto(storage_key=f"{base}.jpg", thumb_key=f"{base}-thumb.jpg", width=size[0],
                         height=size[1], size_bytes=len(jpeg), sha256=hashlib.sha256(jpeg).hexdigest(),
                         caption=" ".join((caption or "").split())[:500],
                         credit=" ".join((credit or "").split())[:150],
                         alt_text=" ".join((alt_text or caption or "").split())[:1000],
                         position=len(release.photos))
    release.photos.append(photo)
    session.flush()
    _after_edit(session, user, release, ["photos"])
    return photo


def remove_photo(session: Session, user: User, release: PressRelease, photo: ReleasePhoto) -> None:
    _editable(session, release)
    release.photos.remove(photo)
    for position, remaining in enumerate(release.photos):
        remaining.position = position
    _after_edit(session, user, release, ["photos"])


def add_attachment(session: Session, user: User, storage: LocalStorage, release: PressRelease, data: bytes,
                   filename: str) -> ReleaseAttachment:
    """Keep a PDF attachment (only PDFs: they open everywhere and carry no macros)."""
    _editable(session, release)
    if len(release.attachments) >= MAX_ATTACHMENTS:
        raise ValidationError.one("attachment",
                                  _l("A release has at most %(n)s attachments.", n=MAX_ATTACHMENTS))
    if not data.startswith(b"%PDF-"):
        raise ValidationError.one("attachment", _l("Attach PDF files only."))
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError.one("attachment", _l("An attachment is at most 20 MB."))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (filename or "lampiran").rsplit("/", 1)[-1]).strip(".-")[:80]
    name = (stem[:-4] if stem.lower().endswith(".pdf") else stem or "lampiran") + ".pdf"
    key = f"press/{release.opd_id}/{release.id}/{uuid.uuid4().hex[:12]}-{name}"
    storage.put(key, data, public=True)
    attachment = ReleaseAttachment(storage_key=key, filename=name, size_bytes=len(data),
                                   sha256=hashlib.sha256(data).hexdigest())
    release.attachments.append(attachment)
    session.flush()
    _after_edit(session, user, release, ["attachments"])
    return attachment


def remove_attachment(session: Session, user: User, release: PressRelease,
                      attachment: ReleaseAttachment) -> None:
    _editable(session, release)
    release.attachments.remove(attachment)
    _after_edit(session, user, release, ["attachments"])


def infographic_choices(session: Session, opd_id: int, limit: int = 40) -> list[DatasetImage]:
    """Rendered charts of the data centre an OPD may attach: its own datasets' latest images."""
    from pressroom.models import Dataset, DatasetVersion

    query = (select(DatasetImage).join(DatasetVersion, DatasetImage.version_id == DatasetVersion.id)
             .join(Dataset, DatasetVersion.dataset_id == Dataset.id)
             .where(Dataset.opd_id == opd_id, DatasetImage.page == 0)
             .order_by(DatasetImage.created_at.desc()).limit(limit))
    return list(session.scalars(query))


def add_infographic(session: Session, user: User, release: PressRelease, dataset_image_id: int) -> None:
    _editable(session, release)
    if dataset_image_id not in {i.id for i in infographic_choices(session, release.opd_id, limit=500)}:
        raise ValidationError.one("infographic", _l("Choose a chart of this OPD's data."))
    if any(i.dataset_image_id == dataset_image_id for i in release.infographics):
        return
    release.infographics.append(ReleaseInfographic(dataset_image_id=dataset_image_id,
                                                   position=len(release.infographics)))
    session.flush()
    _after_edit(session, user, release, ["infographics"])


def remove_infographic(session: Session, user: User, release: PressRelease, item: ReleaseInfographic) -> None:
    _editable(session, release)
    release.infographics.remove(item)
    for position, remaining in enumerate(release.infographics):
        remaining.position = position
    _after_edit(session, user, release, ["infographics"])


# The audience ---------------------------------------------------------------------------------
def address_for(journalist: Journalist, channel: str) -> str | None:
    """Where a press alert goes on ``channel`` (the journalist's own page uses the same rule)."""
    return journalist_self.address_for(journalist, channel)


def _audience_ids(opd_id: int, audience: dict[str, Any]):
    """A select of the ids of active journalists the definition names (before consent)."""
    query = select(Journalist.id).where(Journalist.status == "active")
    if audience["base"] == "followers":
        query = query.where(exists().where(JournalistOpd.journalist_id == Journalist.id,
                                           JournalistOpd.opd_id == opd_id, JournalistOpd.following))
    elif audience["base"] == "list":
        from pressroom.services import audience_lists

        query = query.where(Journalist.id.in_(audience_lists.member_ids_query(audience["list_id"] or 0)))
    if audience["beats"]:
        query = query.where(exists().where(JournalistBeat.journalist_id == Journalist.id,
                                           JournalistBeat.beat_id.in_(audience["beats"])))
    if audience["regions"]:
        query = query.where(or_(Journalist.province_wide, exists().where(
            JournalistRegion.journalist_id == Journalist.id,
            JournalistRegion.region_code.in_(audience["regions"]))))
    if audience["outlet_types"] or audience["dewan_pers"]:
        outlet = select(Outlet.id)
        if audience["outlet_types"]:
            outlet = outlet.where(Outlet.type.in_(audience["outlet_types"]))
        if audience["dewan_pers"]:
            outlet = outlet.where(Outlet.dewan_pers.in_(audience["dewan_pers"]))
        query = query.where(Journalist.outlet_id.in_(outlet))
    # Nobody who unsubscribed from this OPD.
    query = query.where(~exists().where(JournalistOpd.journalist_id == Journalist.id,
                                        JournalistOpd.opd_id == opd_id, JournalistOpd.subscribed.is_(False)))
    return query.order_by(Journalist.id)


def channels_for(journalist: Journalist, wanted: Iterable[str]) -> list[str]:
    """The channels one journalist receives on: consent given and a usable address, then
    narrowed to the channels they prefer when they can be reached on one of those."""
    reachable = []
    for channel in wanted:
        consent = journalist.consent_for(channel)
        if consent is not None and consent.state == "given" and address_for(journalist, channel):
            reachable.append(channel)
    preferred = [c for c in journalist.preferred_channels or [] if c in reachable]
    return preferred or reachable


def wanted_channels(release: PressRelease) -> list[str]:
    audience = normalised_audience(release.audience)
    channels = list(audience["channels"])
    if release.embargo_until and not release.embargo_whatsapp and "whatsapp" in channels:
        # Embargoed items go by email only unless the OPD chose WhatsApp too.
        channels.remove("whatsapp")
    return channels


def _journalists_in_chunks(session: Session, ids_query) -> Iterator[list[Journalist]]:
    """Journalists of ``ids_query`` a chunk at a time, with what choosing channels needs."""
    last = 0
    while True:
        ids = list(session.scalars(ids_query.where(Journalist.id > last).limit(FREEZE_CHUNK)))
        if not ids:
            return
        last = ids[-1]
        chunk = list(session.scalars(select(Journalist).where(Journalist.id.in_(ids)).options(
            selectinload(Journalist.emails), selectinload(Journalist.phones),
            selectinload(Journalist.consents)).order_by(Journalist.id)))
        # Unchanged objects leave the session's identity map (a weak one) once a chunk is dropped.
        yield chunk


def _recipient_source(session: Session, release: PressRelease):
    """The ids query of who a release goes to: the audience, or for a correction the
    original's recipients."""
    audience = normalised_audience(release.audience)
    if release.corrects_id is not None:
        return (select(Journalist.id).where(Journalist.status == "active", Journalist.id.in_(
            select(ReleaseRecipient.journalist_id).where(ReleaseRecipient.release_id == release.corrects_id)))
            .order_by(Journalist.id))
    return _audience_ids(release.opd_id, audience)


@dataclass
class AudienceCount:
    people: int = 0
    email: int = 0
    whatsapp: int = 0
    #: Matched the definition but have no consent / no usable address on any chosen channel.
    unreachable: int = 0


def _frozen_channels(session: Session, release_id: int) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    query = select(ReleaseRecipient.journalist_id, ReleaseRecipient.channel).where(
        ReleaseRecipient.release_id == release_id)
    for journalist_id, channel in session.execute(query):
        found.setdefault(journalist_id, set()).add(channel)
    return found


def _chosen(journalist: Journalist, wanted: list[str], original: dict[int, set[str]] | None) -> list[str]:
    chosen = channels_for(journalist, wanted)
    if original is not None:
        # A correction reaches the same people on the same channels, where still allowed.
        chosen = [c for c in chosen if c in original.get(journalist.id, ())]
    return chosen


def _wanted_and_original(session: Session, release: PressRelease) -> tuple[list[str], dict | None]:
    if release.corrects_id is not None:
        return list(AUDIENCE_CHANNELS), _frozen_channels(session, release.corrects_id)
    return wanted_channels(release), None


def count_audience(session: Session, release: PressRelease) -> AudienceCount:
    """How many will receive it by email and by WhatsApp if it were approved now."""
    counts = AudienceCount()
    wanted, original = _wanted_and_original(session, release)
    for chunk in _journalists_in_chunks(session, _recipient_source(session, release)):
        for journalist in chunk:
            chosen = _chosen(journalist, wanted, original)
            if chosen:
                counts.people += 1
                counts.email += "email" in chosen
                counts.whatsapp += "whatsapp" in chosen
            else:
                counts.unreachable += 1
    return counts


def freeze_recipients(session: Session, release: PressRelease) -> int:
    """Write one recipient per journalist × channel (streamed in chunks); return how many."""
    wanted, original = _wanted_and_original(session, release)
    now, written = clock.now(), 0
    for chunk in _journalists_in_chunks(session, _recipient_source(session, release)):
        rows = [{"release_id": release.id, "journalist_id": journalist.id, "channel": channel,
                 "address": address_for(journalist, channel), "created_at": now}
                for journalist in chunk for channel in _chosen(journalist, wanted, original)]
        if rows:
            session.execute(insert(ReleaseRecipient), rows)
            written += len(rows)
    release.frozen_at = now
    return written


def _due_at(release: PressRelease) -> datetime:
    now = clock.now()
    start = max(release.send_at or now, now)
    if release.embargo_until and not release.send_before_embargo:
        start = max(start, release.embargo_until)
    return start


def queue_deliveries(session: Session, release: PressRelease) -> int:
    """One press delivery per recipient, written by the database in one statement."""
    table = Delivery.__table__
    now = clock.now()
    columns = ["kind", "channel", "subject_type", "subject_id", "opd_id", "recipient", "payload", "status",
               "due_at", "attempts", "step_data", "created_at", "updated_at"]
    source = select(
        literal("press"), ReleaseRecipient.channel, literal(RECIPIENT_SUBJECT), ReleaseRecipient.id,
        literal(release.opd_id), ReleaseRecipient.address, literal({}, table.c.payload.type), literal("due"),
        literal(_due_at(release), table.c.due_at.type), literal(0), literal({}, table.c.step_data.type),
        literal(now, table.c.created_at.type), literal(now, table.c.updated_at.type),
    ).where(ReleaseRecipient.release_id == release.id, ~exists().where(
        Delivery.subject_type == RECIPIENT_SUBJECT, Delivery.subject_id == ReleaseRecipient.id,
        Delivery.status.in_(("due", "claimed", "sent", "unknown"))))
    return session.execute(insert(table).from_select(columns, source)).rowcount or 0


# Numbering ------------------------------------------------------------------------------------
def get_profile(session: Session, opd_id: int) -> PressProfile:
    """The OPD's press settings (defaults when none were saved)."""
    from pressroom.services import press_profiles

    return press_profiles.get_profile(session, opd_id)


def _next_sequence(session: Session, opd_id: int, year: int) -> int:
    """Take the next number of the OPD's yearly sequence under the row's lock (no gap, no reuse:
    a concurrent approval waits for this transaction and then takes the one after)."""
    session.execute(upsert(session, PressNumberSequence).values(opd_id=opd_id, year=year, last=0)
                    .on_conflict_do_nothing(index_elements=["opd_id", "year"]))
    return session.execute(update(PressNumberSequence).where(
        PressNumberSequence.opd_id == opd_id, PressNumberSequence.year == year)
        .values(last=PressNumberSequence.last + 1).returning(PressNumberSequence.last)).scalar_one()


def assign_number(session: Session, release: PressRelease) -> str:
    """Give the release its number once; a re-approval keeps it."""
    if release.number:
        return release.number
    if release.manual_number:
        release.number = release.manual_number
        return release.number
    profile = get_profile(session, release.opd_id)
    opd = session.get(Opd, release.opd_id)
    when = clock.now()
    year = numbering.numbering_year(when)
    seq = _next_sequence(session, release.opd_id, year)
    release.number_seq, release.number_year = seq, year
    release.number = numbering.format_number(
        profile.number_pattern or numbering.DEFAULT_PATTERN, seq=seq, opd_code=opd.code,
        classification=release.classification or profile.classification or None, when=when)
    return release.number


# The chain ------------------------------------------------------------------------------------
def _link(release: PressRelease) -> str:
    return f"/app/pers/{release.id}"


def problems(session: Session, release: PressRelease) -> list[Any]:
    """What stops approval, in plain words."""
    found: list[Any] = []
    if release.kind == "ralat" and not release.correction_note.strip():
        found.append(_l("Say what is corrected."))
    if any(not p.alt_text.strip() for p in release.photos):
        found.append(_l("Every photo needs a description (alt text) for blind readers."))
    now = clock.now()
    if release.kind == "undangan" and release.event_starts_at and release.event_starts_at <= now:
        found.append(_l("The event has already started."))
    if release.send_at and release.send_at < now - timedelta(minutes=5):
        found.append(_l("The sending time has passed: choose a new one or send on approval."))
    if release.embargo_until and release.embargo_until <= now:
        found.append(_l("The embargo time has passed: remove it or choose a later one."))
    if count_audience(session, release).people == 0:
        found.append(_l("Nobody would receive it: no journalist in the audience has consent on a chosen "
                        "channel."))
    return found


def submit_release(session: Session, user: User, release: PressRelease) -> None:
    approvals.submit(session, user, release, SUBJECT, link=_link(release), title=title_of(release))


def approve_release(session: Session, user: User, release: PressRelease, *, comment: str = "") -> bool:
    """Approve the current step. The final step numbers it, freezes the recipients (the first
    time) and queues their deliveries."""
    approvals.check_can_decide(session, user, release, SUBJECT)
    found = problems(session, release)
    if found:
        raise ValidationError({"": found[0], **{f"problem{i}": p for i, p in enumerate(found[1:])}})
    final = approvals.approve(session, user, release, SUBJECT, comment=comment, link=_link(release),
                              title=title_of(release))
    if final:
        assign_number(session, release)
        if release.frozen_at is None:
            frozen = freeze_recipients(session, release)
        else:
            frozen = session.scalar(select(func.count()).select_from(ReleaseRecipient)
                                    .where(ReleaseRecipient.release_id == release.id)) or 0
        queued = queue_deliveries(session, release)
        due = _due_at(release)
        release.public_from = max(due, release.embargo_until) if release.embargo_until else due
        audit.record(session, user, "release.queued", release, fields=["recipients"],
                     details={"recipients": frozen, "deliveries": queued, "number": release.number})
    return final


def reject_release(session: Session, user: User, release: PressRelease, *, comment: str) -> None:
    approvals.reject(session, user, release, SUBJECT, comment=comment, link=_link(release),
                     title=title_of(release))


def withdraw_release(session: Session, user: User, release: PressRelease) -> None:
    """Withdraw before sending: nothing goes out; a number already given stays, "dibatalkan"."""
    if release.state not in ("submitted", "approved", "held"):
        raise ValidationError.one("", _l("Only a submitted or approved release can be withdrawn."))
    if sending_started(session, release):
        raise ValidationError.one("", _l("Sending has started: send a correction (ralat) instead."))
    approvals.clear(session, release, SUBJECT, to_state="withdrawn")
    cancel_deliveries(session, release)
    release.public_from = None
    audit.record(session, user, "release.withdrawn", release, fields=["state"],
                 details={"number": release.number})


def start_correction(session: Session, user: User, original: PressRelease) -> PressRelease:
    """A ralat: a new draft, to the original's recipients, shown on the original's page."""
    if original.state != "approved" or original.kind == "ralat":
        raise ValidationError.one("", _l("Only an approved release can be corrected."))
    data = ReleaseInput(
        kind="ralat", headline=f"Ralat: {original.headline}"[:250], lead=original.lead, body=original.body,
        place=original.place, sources=list(original.sources or []), contact_name=original.contact_name,
        contact_position=original.contact_position, contact_phone=original.contact_phone,
        contact_email=original.contact_email, correction_note="-", topic_ids=[t.id for t in original.topics],
        audience={"same_as": original.id, "channels": list(AUDIENCE_CHANNELS)})
    release = create_release(session, user, original.opd_id, data, corrects=original)
    release.correction_note = ""
    return release


# Deliveries -----------------------------------------------------------------------------------
def deliveries_query(release_id: int):
    return select(Delivery).where(Delivery.subject_type == RECIPIENT_SUBJECT, Delivery.subject_id.in_(
        select(ReleaseRecipient.id).where(ReleaseRecipient.release_id == release_id)))


def sending_started(session: Session, release: PressRelease, *, claimed: bool = True) -> bool:
    """Whether any delivery has (or may have) left: then it is corrected, no longer edited.
    ``claimed`` False leaves out rows claimed but not yet attempted (the gate's own batch)."""
    if release.id is None or release.frozen_at is None:
        return False
    ids = select(ReleaseRecipient.id).where(ReleaseRecipient.release_id == release.id)
    states = ("claimed", "sent", "unknown") if claimed else ("sent", "unknown")
    return bool(session.scalar(select(exists().where(
        Delivery.subject_type == RECIPIENT_SUBJECT, Delivery.subject_id.in_(ids),
        or_(Delivery.status.in_(states), Delivery.attempt_started_at.is_not(None))))))


def cancel_deliveries(session: Session, release: PressRelease, reason: str = "no longer approved") -> int:
    if release.frozen_at is None:
        return 0
    ids = select(ReleaseRecipient.id).where(ReleaseRecipient.release_id == release.id)
    return session.execute(update(Delivery).where(
        Delivery.subject_type == RECIPIENT_SUBJECT, Delivery.subject_id.in_(ids), Delivery.status == "due")
        .values(status="cancelled", last_error=reason, updated_at=clock.now()),
        execution_options={"synchronize_session": False}).rowcount or 0


def hold(session: Session, release: PressRelease, reason: str) -> None:
    """A pause or blackout window stopped it before anything went out: approve again later."""
    if release.state == "held":
        return
    cancel_deliveries(session, release, reason=f"held: {reason}")
    release.public_from = None
    approvals.clear(session, release, SUBJECT, to_state="held", reason=reason[:300])
    audit.record(session, None, "release.held", release, fields=["state"])


# What the dispatcher asks when it claims a press delivery ----------------------------------------
@dataclass
class GateContext:
    """What a claimed batch's press rows need, read in a few queries for the whole batch."""

    recipients: dict[int, ReleaseRecipient] = field(default_factory=dict)
    releases: dict[int, PressRelease] = field(default_factory=dict)
    journalists: dict[int, Journalist] = field(default_factory=dict)
    #: (journalist id, OPD id) pairs that unsubscribed from that OPD.
    unsubscribed: set[tuple[int, int]] = field(default_factory=set)
    approved: dict[int, bool] = field(default_factory=dict)
    started: dict[int, bool] = field(default_factory=dict)
    #: The releases corrections correct (their numbers appear in the correction's message).
    originals: dict[int, PressRelease] = field(default_factory=dict)


def load_for_gate(session: Session, deliveries: Iterable[Delivery]) -> GateContext:
    context = GateContext()
    recipient_ids = {d.subject_id for d in deliveries if d.subject_type == RECIPIENT_SUBJECT}
    journalist_ids = {d.subject_id for d in deliveries if d.subject_type == "journalist"}
    if recipient_ids:
        query = select(ReleaseRecipient).where(ReleaseRecipient.id.in_(recipient_ids))
        for recipient in session.scalars(query):
            context.recipients[recipient.id] = recipient
            journalist_ids.add(recipient.journalist_id)
        release_ids = {r.release_id for r in context.recipients.values()}
        for release in session.scalars(select(PressRelease).where(PressRelease.id.in_(release_ids)).options(
                selectinload(PressRelease.photos), selectinload(PressRelease.attachments),
                selectinload(PressRelease.infographics), selectinload(PressRelease.topics))):
            context.releases[release.id] = release
            context.approved[release.id] = approvals.still_approved(release)
        original_ids = {r.corrects_id for r in context.releases.values() if r.corrects_id}
        if original_ids:
            context.originals = {r.id: r for r in session.scalars(
                select(PressRelease).where(PressRelease.id.in_(original_ids)))}
    if journalist_ids:
        for journalist in session.scalars(select(Journalist).where(Journalist.id.in_(journalist_ids)).options(
                selectinload(Journalist.emails), selectinload(Journalist.phones),
                selectinload(Journalist.consents))):
            context.journalists[journalist.id] = journalist
        pairs = select(JournalistOpd.journalist_id, JournalistOpd.opd_id)
        context.unsubscribed = set(session.execute(pairs.where(
            JournalistOpd.journalist_id.in_(journalist_ids), JournalistOpd.subscribed.is_(False))))
    return context


def gate(session: Session, delivery: Delivery, context: GateContext, stops: list) -> str | None:
    """Stop a claimed press or journalist-bound delivery that must not go; return why, or None.

    Press: the release still approved and unchanged; not paused (held if nothing went out yet,
    else the rest waits); the journalist active, with consent for the channel, subscribed to
    the OPD, and the address still usable. Transactional to a journalist: never to an erased one."""
    now = clock.now()
    if delivery.subject_type == "journalist":
        journalist = context.journalists.get(delivery.subject_id)
        if journalist is None or journalist.status == "erased":
            _cancel(delivery, "the contact was erased")
            return "erased"
        if (delivery.payload or {}).get("purpose") == "consent_request":
            consent = journalist.consent_for(delivery.channel)
            if consent is None or consent.state != "awaiting":
                # Withdrawn (or answered) since it was queued: the request would be noise.
                _cancel(delivery, "consent is no longer awaited")
                return "consent settled"
        return None
    recipient = context.recipients.get(delivery.subject_id)
    release = context.releases.get(recipient.release_id) if recipient else None
    if recipient is None or release is None or not context.approved.get(release.id):
        _cancel(delivery, "no longer approved")
        return "not approved"
    if stops:
        if release.id not in context.started:
            context.started[release.id] = sending_started(session, release, claimed=False)
        if context.started[release.id]:
            delivery.status, delivery.lease_owner, delivery.lease_expires_at = "due", None, None
            ends = [s.ends_at for s in stops if s.ends_at is not None]
            delivery.due_at = max(ends) if len(ends) == len(stops) else now + timedelta(minutes=5)
            return "paused"
        hold(session, release, stops[0].reason)
        context.approved[release.id] = False
        _cancel(delivery, f"held: {stops[0].reason}")
        return "held"
    journalist = context.journalists.get(recipient.journalist_id)
    if journalist is None or journalist.status != "active":
        _cancel(delivery, "the contact was erased" if journalist is None or journalist.status == "erased"
                else "the contact was archived")
        return "inactive"
    consent = journalist.consent_for(delivery.channel)
    if consent is None or consent.state != "given":
        _cancel(delivery, "unsubscribed: no consent for this channel")
        return "no consent"
    if (journalist.id, release.opd_id) in context.unsubscribed:
        _cancel(delivery, "unsubscribed from this OPD")
        return "unsubscribed"
    address = address_for(journalist, delivery.channel)
    if address is None:
        _cancel(delivery, "no usable address (bouncing, or not on WhatsApp)")
        return "no address"
    if address != delivery.recipient:
        delivery.recipient = address  # corrected in the directory since approval
    return None


def _cancel(delivery: Delivery, reason: str) -> None:
    delivery.status, delivery.last_error = "cancelled", reason
    delivery.lease_owner, delivery.lease_expires_at = None, None


def after_result(session: Session, delivery: Delivery, status: str, reason: str | None) -> None:
    """What a provider's definite answer teaches the directory: a mail server refusing the
    recipient marks the address bouncing; WhatsApp's "not on WhatsApp" marks the number."""
    if status != "failed" or not reason or delivery.subject_type not in (RECIPIENT_SUBJECT, "journalist"):
        return
    now = clock.now()
    if delivery.channel == "email" and "refused the recipient: 5" in reason:
        session.execute(update(JournalistEmail).where(
            JournalistEmail.address == (delivery.recipient or "").lower(),
            JournalistEmail.bouncing_at.is_(None))
            .values(bouncing_at=now, bounce_reason=reason[:300]),
            execution_options={"synchronize_session": False})
    elif delivery.channel == "whatsapp" and reason.startswith("not_on_whatsapp:"):
        session.execute(update(JournalistPhone).where(
            JournalistPhone.e164 == delivery.recipient, JournalistPhone.not_on_whatsapp_at.is_(None))
            .values(not_on_whatsapp_at=now), execution_options={"synchronize_session": False})


# The alert page -------------------------------------------------------------------------------
@dataclass
class RecipientRow:
    recipient_id: int
    journalist_id: int
    name: str
    outlet: str
    channel: str
    address: str | None
    status: str  # queued, sending, sent, delivered, read, failed, unsubscribed, unknown, cancelled
    reason: str | None
    at: datetime | None


def _row_status(delivery: Delivery | None,
                recipient: ReleaseRecipient) -> tuple[str, str | None, datetime | None]:
    if delivery is None:
        return "cancelled", None, None
    if delivery.status == "sent":
        if recipient.provider_failure:
            return "failed", recipient.provider_failure, delivery.sent_at
        if recipient.read_at:
            return "read", None, recipient.read_at
        if recipient.delivered_at:
            return "delivered", None, recipient.delivered_at
        return "sent", None, delivery.sent_at
    if delivery.status == "cancelled":
        reason = delivery.last_error or ""
        if reason.startswith(("unsubscribed", "the contact was")):
            return "unsubscribed", reason, delivery.updated_at
        return "cancelled", reason, delivery.updated_at
    if delivery.status == "claimed":
        return "sending", None, None
    if delivery.status == "due":
        return "queued", delivery.last_error, delivery.due_at
    return delivery.status, delivery.last_error, delivery.updated_at


def recipient_rows(session: Session, release: PressRelease, *, status: str | None = None,
                   limit: int = 200, offset: int = 0) -> tuple[list[RecipientRow], dict[str, int]]:
    """Each recipient's status (one page) and the totals per status for the whole alert."""
    latest = (select(Delivery.subject_id, func.max(Delivery.id).label("delivery_id"))
              .where(Delivery.subject_type == RECIPIENT_SUBJECT).group_by(Delivery.subject_id).subquery())
    query = (select(ReleaseRecipient, Delivery, Journalist.full_name, Outlet.name)
             .join(Journalist, Journalist.id == ReleaseRecipient.journalist_id)
             .outerjoin(Outlet, Outlet.id == Journalist.outlet_id)
             .outerjoin(latest, latest.c.subject_id == ReleaseRecipient.id)
             .outerjoin(Delivery, Delivery.id == latest.c.delivery_id)
             .where(ReleaseRecipient.release_id == release.id)
             .order_by(Journalist.sort_name, ReleaseRecipient.channel))
    totals: dict[str, int] = {}
    rows: list[RecipientRow] = []
    matched = 0
    for recipient, delivery, name, outlet in session.execute(query):
        state, reason, at = _row_status(delivery, recipient)
        totals[state] = totals.get(state, 0) + 1
        totals[f"{recipient.channel}:{state}"] = totals.get(f"{recipient.channel}:{state}", 0) + 1
        if status is None or status == state:
            if offset <= matched < offset + limit:
                rows.append(RecipientRow(recipient.id, recipient.journalist_id, name or "—", outlet or "",
                                         recipient.channel, recipient.address, state, reason, at))
            matched += 1
    totals["total"] = sum(v for k, v in totals.items() if ":" not in k)
    totals["matched"] = matched
    return rows, totals


def outcome(session: Session, release: PressRelease) -> str:
    return outbox.outcome(session.scalars(deliveries_query(release.id)))

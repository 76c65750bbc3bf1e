"""What the public newsroom (/pers) shows: which press releases are public, their lists and
filters, corrections, the printable document, the Atom feeds and each OPD's contact card.
Nothing here writes.

The one rule of what is public is ``public_condition``: an approved release whose
``public_from`` (set at approval: the later of its sending time and its embargo) has come.
An embargoed release therefore appears by itself when the embargo lifts, and a withdrawn,
held, rejected or draft one never shows. Every list and lookup below goes through it, except
``corrected_release``, which a correction's page needs even when the original was withdrawn.

Addresses: ``release_path`` is the release page's path (``/pers/<id>/<slug>``, the route in
``web/newsroom.py``); messages and documents made outside a request join it to
PRESSROOM_PUBLIC_URL with ``release_url``. The printable PDF is at the same path plus ``.pdf``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import vobject
from feedgen.feed import FeedGenerator
from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session, object_session, selectinload

from pressroom import clock, formatting
from pressroom.models import Beat, Opd, PressProfile, PressRelease, ReleaseInfographic, ReleaseTopic
from pressroom.press.markdown import render_body
from pressroom.press.pdf import Contact, Photo, ReleaseDoc, Source
from pressroom.services import releases
from pressroom.services.contact_points import ContactError, display_phone, normalise_phone
from pressroom.storage import InvalidKey, LocalStorage

log = logging.getLogger(__name__)

#: Entries in a feed.
FEED_SIZE = 50
#: What each kind is called in feed titles (Indonesian, like the releases themselves).
KIND_LABELS = {"siaran_pers": "Siaran pers", "undangan": "Undangan liputan", "ralat": "Ralat"}


# What is public ------------------------------------------------------------------------------------------
def public_condition(now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL test of a public release: approved, and its ``public_from`` has come."""
    moment = now or clock.now()
    return and_(PressRelease.state == "approved", PressRelease.public_from.is_not(None),
                PressRelease.public_from <= moment)


def is_public(release: PressRelease, now: datetime | None = None) -> bool:
    """The same test in Python, for a release already loaded."""
    moment = now or clock.now()
    return (release.state == "approved" and release.public_from is not None
            and release.public_from <= moment)


def _with_media(query: Select) -> Select:
    return query.options(selectinload(PressRelease.photos),
                         selectinload(PressRelease.infographics).joinedload(ReleaseInfographic.image),
                         selectinload(PressRelease.topics))


def public_releases(*, opd_id: int | None = None, beat_id: int | None = None) -> Select:
    """Public releases, newest first, optionally of one OPD and/or one topic (beat)."""
    query = select(PressRelease).where(public_condition())
    if opd_id is not None:
        query = query.where(PressRelease.opd_id == opd_id)
    if beat_id is not None:
        query = query.where(exists().where(ReleaseTopic.release_id == PressRelease.id,
                                           ReleaseTopic.beat_id == beat_id))
    return _with_media(query.order_by(PressRelease.public_from.desc(), PressRelease.id.desc()))


def latest_public(session: Session, *, opd_id: int | None = None,
                  limit: int = FEED_SIZE) -> list[PressRelease]:
    """The latest public releases (for the feeds)."""
    return list(session.scalars(public_releases(opd_id=opd_id).limit(limit)).unique())


def find_public(session: Session, release_id: int) -> PressRelease | None:
    """The public release ``release_id``; None for a missing and a non-public one alike."""
    return session.scalar(_with_media(select(PressRelease).where(PressRelease.id == release_id,
                                                                 public_condition())))


def public_corrections(session: Session, release: PressRelease) -> list[PressRelease]:
    """The public corrections (ralat) of ``release``, oldest first."""
    return list(session.scalars(select(PressRelease).where(
        PressRelease.corrects_id == release.id, PressRelease.kind == "ralat", public_condition())
        .order_by(PressRelease.public_from, PressRelease.id)))


def corrected_ids(session: Session, releases: Iterable[PressRelease]) -> set[int]:
    """Which of ``releases`` have a public correction (marked in lists)."""
    ids = [r.id for r in releases]
    if not ids:
        return set()
    return set(session.scalars(select(PressRelease.corrects_id).where(
        PressRelease.corrects_id.in_(ids), PressRelease.kind == "ralat", public_condition())))


def corrected_release(session: Session, correction: PressRelease) -> PressRelease | None:
    """What a correction corrects, loaded whether or not it is public (the page says which)."""
    if correction.corrects_id is None:
        return None
    return session.get(PressRelease, correction.corrects_id)


def facets(session: Session) -> tuple[list[Opd], list[Beat]]:
    """The OPDs and topics that have public releases (the list's filters)."""
    public_ids = select(PressRelease.id).where(public_condition())
    opds = list(session.scalars(select(Opd).where(
        Opd.id.in_(select(PressRelease.opd_id).where(public_condition())))
        .order_by(func.lower(Opd.short_name), Opd.id)))
    beats = list(session.scalars(select(Beat).where(
        Beat.id.in_(select(ReleaseTopic.beat_id).where(ReleaseTopic.release_id.in_(public_ids))))
        .order_by(func.lower(Beat.name), Beat.id)))
    return opds, beats


def find_opd(session: Session, code: str) -> Opd | None:
    """An OPD by its code, in any letter case (the page then redirects to the stored one)."""
    code = (code or "").strip()
    if not code or len(code) > 32:
        return None
    return session.scalar(select(Opd).where(func.upper(Opd.code) == code.upper()))


def find_beat(session: Session, beat_id: int) -> Beat | None:
    return session.get(Beat, beat_id)


def press_profile(session: Session, opd: Opd) -> PressProfile | None:
    return session.get(PressProfile, opd.id)


# Addresses ------------------------------------------------------------------------------------------------
def release_slug(release: PressRelease) -> str:
    """The slug in the release's address: the stored one, else one made from the headline."""
    return release.slug or releases.slugify(release.headline)


def release_path(release: PressRelease) -> str:
    """The path of the release's page (the route ``newsroom.release``); alert messages build the
    same one with ``releases.public_path``."""
    return releases.public_path(release)


def release_url(release: PressRelease, public_url: str) -> str:
    """The release's page under PRESSROOM_PUBLIC_URL (links in alerts, feeds and the PDF)."""
    return public_url.rstrip("/") + release_path(release)


def release_moment(release: PressRelease) -> datetime:
    """The release's date: when it went public (or, before that, when it was approved)."""
    return release.public_from or release.approved_at or release.created_at or clock.now()


def release_number(release: PressRelease) -> str:
    return release.number or release.manual_number or ""


# The printable document -----------------------------------------------------------------------------------
def _stored(storage: LocalStorage, key: str | None) -> bytes | None:
    """A public file's bytes, or None when it is missing (the document prints without it)."""
    if not key:
        return None
    try:
        return storage.get(key, public=True)
    except (OSError, InvalidKey):
        log.warning("newsroom: public file %s is missing", key)
        return None


def _invitation_markdown(release: PressRelease) -> str:
    """An invitation's what, where and when, for the printed body (Indonesian, like the document)."""
    lines = []
    if release.agenda:
        lines.append(f"**Agenda:** {release.agenda.strip()}")
    if release.venue:
        lines.append(f"**Tempat:** {release.venue.strip()}")
    if release.event_starts_at is not None:
        when = formatting.wib(release.event_starts_at)
        if release.event_ends_at is not None:
            end = release.event_ends_at
            same_day = clock.to_wib(end).date() == clock.to_wib(release.event_starts_at).date()
            when += " – " + formatting.wib(end, with_date=not same_day)
        lines.append(f"**Waktu:** {when}")
    return "  \n".join(lines)


def release_doc(release: PressRelease, storage: LocalStorage, public_url: str,
                session: Session | None = None) -> ReleaseDoc:
    """The printable document of ``release`` (for ``press.pdf.release_pdf``), from the same
    content as its page. ``public_url`` is PRESSROOM_PUBLIC_URL; the original's number for a
    correction is read through ``session`` (default: the release's own session)."""
    body = release.body or ""
    if release.kind == "undangan":
        details = _invitation_markdown(release)
        body = f"{details}\n\n{body}" if details and body else (details or body)
    corrects_number = None
    if release.corrects_id is not None:
        owner = session or object_session(release)
        original = owner.get(PressRelease, release.corrects_id) if owner is not None else None
        corrects_number = release_number(original) if original is not None else None
    photos = []
    for photo in release.photos:
        data = _stored(storage, photo.storage_key)
        if data is not None:
            photos.append(Photo(data=data, caption=photo.caption, credit=photo.credit))
    contacts = ()
    if release.contact_name:
        contacts = (Contact(name=release.contact_name, phone=_phone_text(release.contact_phone),
                            position=release.contact_position, email=release.contact_email),)
    return ReleaseDoc(
        opd_name=release.opd.name,
        number=release_number(release),
        released_at=release_moment(release),
        headline=release.headline,
        lead=release.lead,
        body_markdown=body,
        place=release.place or "Semarang",
        sources=tuple(Source(name=str(s.get("name") or ""), position=str(s.get("position") or ""))
                      for s in (release.sources or []) if s.get("name")),
        contacts=contacts,
        photos=tuple(photos),
        logo_png=_stored(storage, release.opd.logo_key),
        embargo_until=release.embargo_until,
        correction_note=(release.correction_note or None) if release.kind == "ralat" else None,
        corrects_number=corrects_number,
        url=release_url(release, public_url),
    )


def _phone_text(e164: str) -> str:
    return display_phone(e164) if e164 else ""


# Feeds -----------------------------------------------------------------------------------------------------
#: Characters XML 1.0 cannot carry (lxml refuses them rather than write a broken feed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


@dataclass(frozen=True)
class FeedInfo:
    """A feed's own facts: its address (also its id), title, the page it mirrors, language."""

    url: str
    title: str
    page_url: str
    subtitle: str = ""
    lang: str = "id"


def atom_feed(info: FeedInfo, releases: Sequence[PressRelease], public_url: str) -> bytes:
    """An Atom 1.0 document of ``releases`` (newest first, as given)."""
    feed = FeedGenerator()
    feed.id(info.url)
    feed.title(_xml(info.title))
    if info.subtitle:
        feed.subtitle(_xml(info.subtitle))
    feed.link(href=info.url, rel="self", type="application/atom+xml")
    feed.link(href=info.page_url, rel="alternate", type="text/html")
    feed.language(info.lang)
    feed.generator("Pressroom")
    feed.updated(releases[0].public_from if releases else clock.now())
    for release in releases:
        entry = feed.add_entry(order="append")
        url = release_url(release, public_url)
        # The id stays the same if the slug ever changes: /pers/<id> redirects to the page.
        entry.id(f"{public_url.rstrip('/')}/pers/{release.id}")
        title, label = release.headline, KIND_LABELS.get(release.kind)
        if release.kind != "siaran_pers" and label and not title.casefold().startswith(label.casefold()):
            title = f"{label}: {title}"
        entry.title(_xml(title))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(release.public_from)
        entry.updated(release.public_from)
        entry.author(name=_xml(release.opd.name))
        if release.lead:
            entry.summary(_xml(release.lead))
        body = render_body(release.body)
        if body:
            entry.content(_xml(body), type="html")
        for beat in release.topics:
            entry.category(term=str(beat.id), label=_xml(beat.name))
    return feed.atom_str(pretty=True)


# The contact card ------------------------------------------------------------------------------------------
def _e164(raw: str) -> str:
    try:
        return normalise_phone(raw).e164
    except ContactError:
        return raw.strip()


def contact_vcard(opd: Opd, profile: PressProfile | None, page_url: str) -> str:
    """The OPD's public press contact as a vCard 3.0: its spokesperson when it has named one,
    else the OPD itself (shown as a company)."""
    card = vobject.vCard()
    person = (profile.contact_name or "").strip() if profile else ""
    card.add("fn").value = person or opd.name
    card.add("n").value = vobject.vcard.Name(given=person) if person else vobject.vcard.Name()
    card.add("org").value = [opd.name]
    if not person:
        card.add("x-abshowas").value = "COMPANY"
    if profile is not None:
        if profile.contact_position:
            card.add("title").value = profile.contact_position
        if profile.contact_phone:
            tel = card.add("tel")
            tel.value = _e164(profile.contact_phone)
            tel.type_param = ["work", "voice"]
        if profile.contact_email:
            email = card.add("email")
            email.value = profile.contact_email
            email.type_param = ["INTERNET", "WORK"]
        address = " ".join((profile.address or "").split())
        if address:
            adr = card.add("adr")
            adr.value = vobject.vcard.Address(street=address, country="Indonesia")
            adr.type_param = "work"
            label = card.add("label")
            label.value = address
            label.type_param = "work"
    card.add("url").value = page_url
    if profile is not None and profile.website and profile.website.strip() != page_url:
        website = card.add("url")
        website.value = profile.website.strip()
        website.type_param = "work"
    card.add("note").value = f"Kontak pers {opd.name}"
    if profile is not None and profile.updated_at is not None:
        card.add("rev").value = profile.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return card.serialize()

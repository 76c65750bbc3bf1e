"""What one journalist receives for a press alert, per channel.

The parts every recipient shares (text, HTML, the inline infographic, the ``.ics``) are built
once per release and approval and kept in a small cache; each recipient's message then only
fills in their own links — their page, the one-click unsubscribe and, for an invitation, the
"hadir" reply — and their first name. Every time a person reads says "WIB".

Email: plain text and HTML (no styles: mail clients drop them and the page must read well
without), the first infographic inline (``cid:``), the newsroom link, ``List-Unsubscribe``
with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), Reply-To the contact.
WhatsApp: the full text ready to copy with the links (gateways and the sandbox), plus the
approved template's parameters and image header for the Cloud API.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from pressroom import formatting
from pressroom.channels.base import Attachment, Image, Message
from pressroom.models import Journalist, PressRelease, ReleaseRecipient
from pressroom.press.markdown import plain_text, render_body
from pressroom.services import press_links, releases
from pressroom.services.contact_points import display_phone
from pressroom.storage import LocalStorage

PERSONAL, UNSUBSCRIBE, RSVP, NAME = "@@PERSONAL@@", "@@UNSUBSCRIBE@@", "@@RSVP@@", "@@NAME@@"
KIND_LABEL = {"siaran_pers": "SIARAN PERS", "undangan": "UNDANGAN LIPUTAN", "ralat": "RALAT"}
#: The approved template: image header; body {{1}} headline, {{2}} OPD, {{3}} time (WIB) or the
#: embargo; a "Baca selengkapnya" URL button ending in the release's path under /pers/.
DEFAULT_PRESS_TEMPLATE = "siaran_pers"
_CACHE_SIZE = 16


@dataclass(frozen=True)
class Shared:
    """The parts of one release's message every recipient on a channel shares."""

    subject: str
    text: str
    html: str | None
    images: tuple[Image, ...]
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...]


_cache: OrderedDict[tuple, Shared] = OrderedDict()
_cache_lock = threading.Lock()


def embargo_line(release: PressRelease) -> str | None:
    if not release.embargo_until:
        return None
    return f"EMBARGO hingga {formatting.wib(release.embargo_until, 'id')}"


def _contact_lines(release: PressRelease) -> list[str]:
    lines = []
    if release.contact_name:
        who = release.contact_name + (f" ({release.contact_position})" if release.contact_position else "")
        reach = ", ".join(x for x in (display_phone(release.contact_phone) if release.contact_phone else "",
                                      release.contact_email) if x)
        lines.append(f"Narahubung: {who}" + (f" — {reach}" if reach else ""))
    return lines


def _source_lines(release: PressRelease) -> list[str]:
    return [f"- {s['name']}" + (f", {s['position']}" if s.get("position") else "")
            for s in release.sources or []]


def _invitation_lines(release: PressRelease) -> list[str]:
    if release.kind != "undangan":
        return []
    when = formatting.wib(release.event_starts_at, "id")
    if release.event_ends_at:
        when += f" s.d. {formatting.wib(release.event_ends_at, 'id', with_date=False)}"
    return [f"Agenda: {release.agenda}", f"Tempat: {release.venue}", f"Waktu: {when}",
            f"Konfirmasi kehadiran: {RSVP}"]


def _correction_lines(release: PressRelease, original: PressRelease | None) -> list[str]:
    if release.kind != "ralat":
        return []
    number = original.number if original is not None else ""
    return [f"Ralat atas siaran pers nomor {number}: {release.correction_note}".strip()]


def _shared(config: Mapping[str, Any], storage: LocalStorage, release: PressRelease,
            original: PressRelease | None, channel: str) -> Shared:
    public_url = config["PUBLIC_URL"].rstrip("/")
    page = public_url + releases.public_path(release)
    opd = release.opd
    embargo = embargo_line(release)
    label = KIND_LABEL.get(release.kind, "SIARAN PERS")
    dated = f"{release.place}, {formatting.day(release.approved_at or release.updated_at, 'id')}"
    body_text = plain_text(release.body)
    head = [f"{embargo} — jangan diterbitkan sebelum waktu itu."] if embargo else []
    infographics = [i.image for i in release.infographics]
    images = []
    if infographics:
        first = infographics[0]
        images.append(Image(data=storage.get(first.storage_key, public=True), content_type="image/png",
                            filename="infografik-1.png", alt_text=first.alt_text,
                            public_url=storage.public_url_for(first.storage_key)))
    elif release.photos:
        photo = release.photos[0]
        images.append(Image(data=storage.get(photo.thumb_key, public=True), filename="foto-1.jpg",
                            alt_text=photo.alt_text, public_url=storage.public_url_for(photo.storage_key)))
    newsroom_note = (f"Halaman ruang pers (aktif setelah embargo berakhir): {page}" if embargo
                     else f"Baca selengkapnya, unduh foto resolusi penuh dan PDF: {page}")
    attachments: tuple[Attachment, ...] = ()
    if release.kind == "undangan" and release.event_starts_at and channel == "email":
        from pressroom.press.ics import invitation_ics

        sender = config.get("MAIL_SENDER") or "Pressroom <noreply@localhost>"
        organizer = release.contact_email or sender.rsplit("<", 1)[-1].rstrip(">").strip()
        ics = invitation_ics(uid=f"release-{release.id}@pressroom", title=release.headline,
                             description=release.agenda, location=release.venue,
                             starts_at=release.event_starts_at, ends_at=release.event_ends_at,
                             organizer_name=opd.name, organizer_email=organizer, url=page,
                             stamp=release.approved_at or release.updated_at)
        attachments = (Attachment(ics, "text/calendar", "undangan.ics"),)
    if channel == "email":
        lines = [*head, label, opd.name, f"Nomor: {release.number or '-'}", dated, "",
                 release.headline.upper(), "", release.lead, "", body_text, ""]
        lines += [*_invitation_lines(release), *_correction_lines(release, original)]
        if release.sources:
            lines += ["", "Narasumber:", *_source_lines(release)]
        lines += ["", *_contact_lines(release), "", newsroom_note, "", "--",
                  f"Yth. {NAME}, Anda menerima pesan ini dari {opd.name} karena terdaftar sebagai wartawan "
                  "dan memberi persetujuan.",
                  f"Atur langganan dan lihat data Anda: {PERSONAL}",
                  f"Berhenti berlangganan: {UNSUBSCRIBE}"]
        subject = f"[{label.title()}] {release.headline}"
        if embargo:
            subject = f"[{embargo}] {release.headline}"
        has_image = bool(infographics or release.photos)
        html = _email_html(release, original, label, dated, embargo, page, has_image)
        headers = [("List-Unsubscribe", f"<{UNSUBSCRIBE}>"),
                   ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                   ("List-Id", f"{opd.short_name} <{opd.code.lower()}.pers.pressroom>")]
        if release.contact_email:
            headers.append(("Reply-To", release.contact_email))
        text = "\n".join(lines).strip() + "\n"
        return Shared(subject, text, html, tuple(images), attachments, tuple(headers))
    # WhatsApp: the whole text ready to copy (gateways, sandbox) + the template (Cloud API).
    lines = [f"*{label}* · {opd.short_name}", f"No. {release.number or '-'}"]
    if embargo:
        lines += [f"*{embargo}*"]
    lines += ["", f"*{release.headline}*", "", release.lead, "", body_text]
    lines += ["", *_invitation_lines(release), *_correction_lines(release, original)]
    if release.sources:
        lines += ["", "Narasumber:", *_source_lines(release)]
    lines += ["", *_contact_lines(release), "", newsroom_note, "", f"Atur/berhenti langganan: {PERSONAL}"]
    text = "\n".join(line for line in lines).strip()
    from pressroom.channels.whatsapp import template_headers

    when = embargo or formatting.wib(release.approved_at or release.updated_at, "id")
    params = [release.headline, opd.name, when]
    if not images and opd.logo_key:
        # The template's header is an image: without a chart or photo, the OPD's logo.
        images.append(Image(data=storage.get(opd.logo_key, public=True), content_type="image/png",
                            filename="logo.png", alt_text=opd.name,
                            public_url=storage.public_url_for(opd.logo_key)))
    headers = template_headers(config.get("WHATSAPP_PRESS_TEMPLATE") or DEFAULT_PRESS_TEMPLATE, params,
                               language="id",
                               url_buttons=[releases.public_path(release).removeprefix("/pers/")])
    return Shared(f"{label}: {release.headline}", text, None, tuple(images[:1]), (), tuple(headers.items()))


def _email_html(release: PressRelease, original: PressRelease | None, label: str, dated: str,
                embargo: str | None, page: str, has_image: bool) -> str:
    def p(text: str) -> str:
        return f"<p>{escape(text)}</p>" if text else ""

    parts = ['<!doctype html><html lang="id"><head><meta charset="utf-8">',
             f"<title>{escape(release.headline)}</title></head><body>"]
    if embargo:
        parts.append(f"<p><strong>{escape(embargo)} — jangan diterbitkan sebelum waktu itu.</strong></p>")
    parts.append(f"<p><strong>{escape(label)}</strong><br>{escape(release.opd.name)}<br>"
                 f"Nomor: {escape(release.number or '-')}<br>{escape(dated)}</p>")
    parts.append(f"<h1>{escape(release.headline)}</h1>")
    parts.append(p(release.lead))
    if has_image:
        image = release.infographics[0].image if release.infographics else None
        alt = image.alt_text if image is not None else release.photos[0].alt_text
        name = "infografik-1.png" if image is not None else "foto-1.jpg"
        parts.append(f'<p><img src="cid:{name}" alt="{escape(alt)}" width="600"></p>')
    parts.append(render_body(release.body))
    for line in [*_invitation_lines(release), *_correction_lines(release, original)]:
        if RSVP in line:
            parts.append(f'<p><a href="{RSVP}">Konfirmasi kehadiran (hadir)</a></p>')
        else:
            parts.append(p(line))
    if release.sources:
        items = "".join(f"<li>{escape(line[2:])}</li>" for line in _source_lines(release))
        parts.append(f"<h2>Narasumber</h2><ul>{items}</ul>")
    for line in _contact_lines(release):
        parts.append(p(line))
    link_text = "Halaman ruang pers (aktif setelah embargo berakhir)" if embargo else \
        "Baca selengkapnya, unduh foto resolusi penuh dan PDF"
    parts.append(f'<p><a href="{escape(page)}">{link_text}</a></p><hr>')
    parts.append(f"<p>Yth. {NAME}, Anda menerima pesan ini dari {escape(release.opd.name)} karena terdaftar "
                 f'sebagai wartawan dan memberi persetujuan. <a href="{PERSONAL}">Atur langganan dan lihat '
                 f'data Anda</a> · <a href="{UNSUBSCRIBE}">Berhenti berlangganan</a></p></body></html>')
    return "".join(parts)


def shared_parts(config: Mapping[str, Any], storage: LocalStorage, release: PressRelease,
                 original: PressRelease | None, channel: str) -> Shared:
    key = (release.id, release.approval_hash, release.number, channel)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    built = _shared(config, storage, release, original, channel)
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def first_name(journalist: Journalist | None) -> str:
    from pressroom.services.journalist_self import first_name as own

    return (own(journalist) if journalist is not None else "") or "Rekan wartawan"


def press_message(config: Mapping[str, Any], storage: LocalStorage, *, delivery_id: int,
                  release: PressRelease, original: PressRelease | None, recipient: ReleaseRecipient,
                  journalist: Journalist, address: str) -> Message:
    """The message of one press delivery."""
    shared = shared_parts(config, storage, release, original, recipient.channel)
    secret, public_url = config["SECRET_KEY"], config["PUBLIC_URL"]
    claims = press_links.LinkClaims(journalist_id=journalist.id, opd_id=release.opd_id,
                                    channel=recipient.channel)
    links = {
        PERSONAL: press_links.absolute(public_url, secret, "self", claims),
        UNSUBSCRIBE: press_links.absolute(public_url, secret, "unsubscribe", claims),
        RSVP: press_links.absolute(public_url, secret, "rsvp", press_links.LinkClaims(
            journalist_id=journalist.id, release_id=release.id)) if release.kind == "undangan" else "",
        NAME: first_name(journalist),
    }

    def fill(text: str | None, html: bool = False) -> str | None:
        if text is None:
            return None
        for placeholder, value in links.items():
            text = text.replace(placeholder, str(escape(value)) if html else value)
        return text

    return Message(delivery_id=delivery_id, kind="press", text=fill(shared.text), recipient=address,
                   subject=shared.subject, html=fill(shared.html, html=True), images=list(shared.images),
                   headers={name: fill(value) for name, value in shared.headers},
                   attachments=list(shared.attachments))

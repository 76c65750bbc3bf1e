"""The public newsroom at /pers: press releases of every OPD once public (after their embargo),
each OPD's page with its press contact, Atom feeds and contact cards. No login.

Addresses (alert messages link to them, so they stay put):
- ``/pers`` every public release, newest first, 20 a page; ``?opd=<code>`` and ``?topik=<beat id>``
- ``/pers/<id>/<slug>`` a release (``/pers/<id>`` and a wrong slug redirect, 301); ``?lang=en`` shows
  its English version when it has one
- ``/pers/<id>/<slug>.pdf`` the printable release (``press.pdf``), made on each request
- ``/pers/feed.atom`` and ``/pers/opd/<code>/feed.atom`` the latest 50 public releases (Atom)
- ``/pers/opd/<code>`` an OPD's releases and press contact; ``/pers/opd/<code>.vcf`` that contact
  as a vCard 3.0

What is public is decided in one place, ``services.newsroom.public_condition``; anything else is a
plain 404, so nobody can tell an embargoed release from a missing one.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale

from pressroom import db, formatting
from pressroom.i18n import _l, _ln
from pressroom.models import Opd, PressRelease, ReleasePhoto
from pressroom.press.markdown import html_to_text, render_body
from pressroom.press.pdf import release_pdf
from pressroom.services import datasets, newsroom
from pressroom.services.contact_points import display_phone
from pressroom.storage import get_storage
from pressroom.web.pagination import paginate
from pressroom.web.public_pages import image_view, page_cache, public_url

log = logging.getLogger(__name__)

bp = Blueprint("newsroom", __name__)

PER_PAGE = 20
#: The side of the JPEG preview stored beside each photo (``services.posts.reencode``).
PHOTO_THUMB_SIDE = 480
#: How long browsers and proxies may reuse a feed, a PDF or a contact card (seconds).
FILE_MAX_AGE = 60
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _lang() -> str:
    return str(get_locale() or "id")


def _kind_labels() -> dict[str, Any]:
    return {"siaran_pers": _l("Press release"), "undangan": _l("Coverage invitation"),
            "ralat": _l("Correction")}


def _cache_file(response: Response) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={FILE_MAX_AGE}"
    return response


# What templates show ----------------------------------------------------------------------------------------
def _size_text(size: int) -> str:
    lang = _lang()
    if size >= 1_000_000:
        return f"{formatting.number(size / 1_000_000, lang, decimals=1)} MB"
    return f"{formatting.number(max(1, round(size / 1000)), lang)} KB"


def _photo_view(release: PressRelease, photo: ReleasePhoto, number: int) -> dict[str, Any]:
    full = url_for("public.media", key=photo.storage_key)
    scale = min(1, PHOTO_THUMB_SIDE / max(photo.width, photo.height, 1))
    return {
        "full": full, "width": photo.width, "height": photo.height,
        "thumb": url_for("public.media", key=photo.thumb_key) if photo.thumb_key else None,
        "thumb_width": round(photo.width * scale), "thumb_height": round(photo.height * scale),
        "alt": photo.alt_text or photo.caption or str(_l("Photo %(number)s: %(headline)s", number=number,
                                                          headline=release.headline)),
        "caption": photo.caption, "credit": photo.credit, "size": _size_text(photo.size_bytes),
        "filename": f"{newsroom.release_slug(release)}-foto-{number}.jpg",
        "absolute": get_storage().public_url_for(photo.storage_key), "type": "image/jpeg",
    }


def _infographic_view(release: PressRelease, item, number: int, *, with_data: bool = True) -> dict[str, Any]:
    image = item.image
    view = image_view(image)
    if not view["alt"]:
        view["alt"] = str(_l("Infographic %(number)s: %(headline)s", number=number,
                             headline=release.headline))
    extension = image.storage_key.rsplit(".", 1)[-1].lower()
    view["filename"] = f"{newsroom.release_slug(release)}-infografis-{number}.{extension}"
    view["format"] = extension.upper()
    view["dataset"] = None
    if with_data:  # the page links to the chart's data when that is public
        dataset = image.version.dataset if image.version is not None else None
        view["dataset"] = dataset if dataset is not None and datasets.is_public(dataset) else None
    return view


def _cover(release: PressRelease) -> dict[str, Any] | None:
    """The picture that stands for a release (lists, link previews): its first infographic, else
    its first photo."""
    if release.infographics:
        return _infographic_view(release, release.infographics[0], 1, with_data=False)
    if release.photos:
        return _photo_view(release, release.photos[0], 1)
    return None


def _description(release: PressRelease) -> str:
    text = " ".join((release.lead or "").split()) or " ".join(html_to_text(render_body(release.body)).split())
    if not text:
        text = str(_l("Press release from %(opd)s.", opd=release.opd.name))
    return text if len(text) <= 200 else text[:197].rsplit(" ", 1)[0] + "…"


def _release_url(release: PressRelease, **values: Any) -> str:
    return url_for("newsroom.release", release_id=release.id, release_slug=newsroom.release_slug(release),
                   **values)


def _feeds(opd: Opd | None = None) -> list[dict[str, str]]:
    """The feeds a page announces (autodiscovery): every release's, and its OPD's."""
    feeds = [{"url": public_url("newsroom.feed"), "title": str(_l("Press releases (Atom)"))}]
    if opd is not None:
        feeds.append({"url": public_url("newsroom.opd_feed", opd_code=opd.code),
                      "title": str(_l("Press releases of %(opd)s (Atom)", opd=opd.short_name))})
    return feeds


def _list_context(page) -> dict[str, Any]:
    return {"page": page, "covers": {r.id: _cover(r) for r in page.items},
            "urls": {r.id: _release_url(r) for r in page.items},
            "corrected": newsroom.corrected_ids(db.session, page.items), "kinds": _kind_labels()}


# Pages ------------------------------------------------------------------------------------------------------
@bp.get("/pers")
def index():
    """Every public release, newest first; filter by OPD (code) and topic (beat id)."""
    opds, beats = newsroom.facets(db.session)
    notices = []
    opd_code = " ".join(request.args.get("opd", "").split())[:32]
    opd = newsroom.find_opd(db.session, opd_code) if opd_code else None
    if opd_code and opd is None:
        notices.append(_l("There is no OPD with the code “%(code)s”; showing every OPD.", code=opd_code))
    topic_text = request.args.get("topik", "").strip()[:12]
    beat = newsroom.find_beat(db.session, int(topic_text)) if topic_text.isdigit() else None
    if topic_text and beat is None:
        notices.append(_l("That topic is not known; showing every topic."))
    if opd is not None and opd not in opds:
        opds.append(opd)
    if beat is not None and beat not in beats:
        beats.append(beat)
    query = newsroom.public_releases(opd_id=opd.id if opd else None, beat_id=beat.id if beat else None)
    page = paginate(db.session, query, per_page=PER_PAGE)
    share = next((c for c in (_cover(r) for r in page.items) if c), None)
    response = Response(render_template(
        "newsroom/index.html", opds=opds, beats=beats, opd=opd, beat=beat, notices=notices,
        filtered=bool(opd or beat), count_text=_ln("%(num)s release", "%(num)s releases", page.total),
        canonical=public_url("newsroom.index"), share=share, feeds=_feeds(opd), **_list_context(page)))
    return page_cache(response)


def _kept_args(*names: str) -> dict[str, str]:
    """The query arguments a redirect carries over (only the page's own; nothing else)."""
    return {name: request.args[name] for name in names if request.args.get(name)}


def _public_or_404(release_id: int) -> PressRelease:
    release = newsroom.find_public(db.session, release_id)
    if release is None:
        abort(404)
    return release


@bp.get("/pers/<int:release_id>")
def release_short(release_id: int):
    """The short address (feed ids, hand-typed links): on to the page."""
    release = _public_or_404(release_id)
    return redirect(_release_url(release, **_kept_args("lang")), code=301)


@bp.get("/pers/<int:release_id>/<release_slug>")
def release(release_id: int, release_slug: str):
    """One public release: text, invitation details, photos, infographics, attachments, contacts,
    corrections, the English version (``?lang=en``) and the printable PDF."""
    item = _public_or_404(release_id)
    slug = newsroom.release_slug(item)
    if release_slug != slug:
        return redirect(_release_url(item, **_kept_args("lang")), code=301)
    has_english = bool(item.headline_en.strip())
    english = has_english and request.args.get("lang") == "en"
    content = {
        "lang": "en" if english else "id",
        "headline": item.headline_en if english else item.headline,
        "lead": (item.lead_en if english else item.lead) or "",
        "body": render_body(item.body_en if english else item.body),
    }
    original = None
    if item.kind == "ralat" and item.corrects_id is not None:
        corrected = newsroom.corrected_release(db.session, item)
        if corrected is not None:
            original = {"number": newsroom.release_number(corrected), "headline": corrected.headline,
                        "url": _release_url(corrected) if newsroom.is_public(corrected) else None}
    corrections = [{"release": c, "url": _release_url(c), "number": newsroom.release_number(c)}
                   for c in newsroom.public_corrections(db.session, item)]
    photos = [_photo_view(item, p, n) for n, p in enumerate(item.photos, start=1)]
    infographics = [_infographic_view(item, i, n) for n, i in enumerate(item.infographics, start=1)]
    attachments = [{"url": url_for("public.media", key=a.storage_key), "filename": a.filename,
                    "size": _size_text(a.size_bytes)} for a in item.attachments]
    contact = None
    if item.contact_name or item.contact_phone or item.contact_email:
        contact = {"name": item.contact_name, "position": item.contact_position, "email": item.contact_email,
                   "phone": display_phone(item.contact_phone) if item.contact_phone else "",
                   "tel": item.contact_phone}
    share = infographics[0] if infographics else (photos[0] if photos else None)
    canonical = public_url("newsroom.release", release_id=item.id, release_slug=slug,
                           **({"lang": "en"} if english else {}))
    response = Response(render_template(
        "newsroom/release.html", release=item, release_slug=slug, content=content, has_english=has_english,
        english=english,
        number=newsroom.release_number(item), moment=newsroom.release_moment(item), original=original,
        corrections=corrections, photos=photos, infographics=infographics, attachments=attachments,
        sources=[s for s in (item.sources or []) if s.get("name")], contact=contact, kinds=_kind_labels(),
        share=share, description=_description(item), canonical=canonical,
        indonesian_url=public_url("newsroom.release", release_id=item.id, release_slug=slug),
        english_url=public_url("newsroom.release", release_id=item.id, release_slug=slug, lang="en"),
        pdf_url=url_for("newsroom.release_pdf", release_id=item.id, release_slug=slug),
        feeds=_feeds(item.opd)))
    return page_cache(response)


@bp.get("/pers/<int:release_id>/<release_slug>.pdf", endpoint="release_pdf")
def release_pdf_view(release_id: int, release_slug: str):
    """The printable release, made from the same content as its page."""
    item = _public_or_404(release_id)
    slug = newsroom.release_slug(item)
    if release_slug != slug:
        return redirect(url_for("newsroom.release_pdf", release_id=item.id, release_slug=slug), code=301)
    doc = newsroom.release_doc(item, get_storage(), current_app.config["PUBLIC_URL"], db.session)
    try:
        data = release_pdf(doc)
    except Exception:  # noqa: BLE001 - a damaged stored image must not take the whole document down
        log.exception("release %s: PDF failed with its pictures; printing it without them", item.id)
        data = release_pdf(dataclasses.replace(doc, photos=(), logo_png=None))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{slug}.pdf"'
    return _cache_file(response)



# Feeds ------------------------------------------------------------------------------------------------------
def _atom(info: newsroom.FeedInfo, releases: list[PressRelease]) -> Response:
    response = Response(newsroom.atom_feed(info, releases, current_app.config["PUBLIC_URL"]),
                        content_type=ATOM_TYPE)
    response.vary.add("Cookie")  # the feed's title speaks the reader's language
    return _cache_file(response)


@bp.get("/pers/feed.atom")
def feed():
    """The latest public releases of every OPD."""
    site = current_app.config["SITE_NAME"]
    info = newsroom.FeedInfo(url=public_url("newsroom.feed"), page_url=public_url("newsroom.index"),
                             title=f"{_l('Press releases')} · {site}",
                             subtitle=str(_l("Press releases of the Central Java provincial government.")))
    return _atom(info, newsroom.latest_public(db.session))


def _opd_or_404(opd_code: str) -> Opd:
    opd = newsroom.find_opd(db.session, opd_code)
    if opd is None:
        abort(404)
    return opd


@bp.get("/pers/opd/<opd_code>/feed.atom")
def opd_feed(opd_code: str):
    """The latest public releases of one OPD."""
    opd = _opd_or_404(opd_code)
    if opd.code != opd_code:
        return redirect(url_for("newsroom.opd_feed", opd_code=opd.code), code=301)
    info = newsroom.FeedInfo(url=public_url("newsroom.opd_feed", opd_code=opd.code),
                             page_url=public_url("newsroom.opd", opd_code=opd.code),
                             title=f"{_l('Press releases')} · {opd.name}")
    return _atom(info, newsroom.latest_public(db.session, opd_id=opd.id))


# An OPD -----------------------------------------------------------------------------------------------------
def _web_address(text: str) -> str:
    """A website to link to: only an http(s) address (anything else is not shown)."""
    text = (text or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""


def _contact_card(opd: Opd) -> dict[str, Any] | None:
    profile = newsroom.press_profile(db.session, opd)
    if profile is None:
        return None
    card = {"name": profile.contact_name.strip(), "position": profile.contact_position.strip(),
            "email": profile.contact_email.strip(), "tel": profile.contact_phone.strip(),
            "phone": display_phone(profile.contact_phone.strip()) if profile.contact_phone.strip() else "",
            "address": " ".join(profile.address.split()), "website": _web_address(profile.website)}
    return card if any(card.values()) else None


@bp.get("/pers/opd/<opd_code>", endpoint="opd")
def opd_page(opd_code: str):
    """One OPD's newsroom: its press contact (and vCard) and its public releases."""
    item = _opd_or_404(opd_code)
    if item.code != opd_code:
        return redirect(url_for("newsroom.opd", opd_code=item.code, **_kept_args("page")), code=301)
    page = paginate(db.session, newsroom.public_releases(opd_id=item.id), per_page=PER_PAGE)
    share = next((c for c in (_cover(r) for r in page.items) if c), None)
    response = Response(render_template(
        "newsroom/opd.html", opd=item, card=_contact_card(item),
        count_text=_ln("%(num)s release", "%(num)s releases", page.total),
        canonical=public_url("newsroom.opd", opd_code=item.code), share=share, feeds=_feeds(item),
        **_list_context(page)))
    return page_cache(response)


@bp.get("/pers/opd/<opd_code>.vcf")
def opd_vcard(opd_code: str):
    """The OPD's press contact as a vCard, to save in a phone's address book."""
    item = _opd_or_404(opd_code)
    if item.code != opd_code:
        return redirect(url_for("newsroom.opd_vcard", opd_code=item.code), code=301)
    text = newsroom.contact_vcard(item, newsroom.press_profile(db.session, item),
                                  public_url("newsroom.opd", opd_code=item.code))
    response = Response(text.encode("utf-8"), content_type="text/vcard; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="kontak-pers-{item.code.lower()}.vcf"'
    return _cache_file(response)

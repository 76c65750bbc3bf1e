"""Lapor Gub for citizens, no login: the report form, the tracking ID and PIN shown once, the
status by ID (and the answers with the PIN, where the reporter answers "sudah tuntas?"), and
the public reports.

Addresses (messages to reporters link to them, so they stay put):
- ``/lapor`` the report form: a plain HTML form that works without JavaScript; ``lapor.js``
  adds a character counter, the phone's location and photos shrunk in the browser.
- ``/lapor/terkirim`` the tracking ID and PIN, once (kept in the browser session, never in a URL).
- ``/lapor/status?id=…`` the status by ID alone; POST ``/lapor/status`` (id, pin) marks the PIN
  entered for that report in this browser's session for 30 minutes and shows the answers;
  POST ``/lapor/status/konfirmasi`` the reporter's "sudah tuntas?" (needs the PIN entered).
- ``/lapor/laporan`` and ``/lapor/laporan/<tracking_id>`` the public reports.

What is public is decided in one place, ``services.complaints.public_condition`` (the same rule as
``Complaint.is_public``): reviewed by a verifier, not confidential, not waiting, refused or
merged. A public page shows the verifier's redacted text and photos, kab/kota and kecamatan
(never the address or a point), and the reporter's name only when they did not ask to stay
anonymous; never their email address or number.

Abuse (``services/complaint_abuse.py``): flood limits per contact and per client address,
guess throttling for tracking IDs and PINs — each answered with 429 and a plain message. The
honeypot field: a filled one is refused openly (400, a message next to the field, nothing
stored), so a person whose browser filled it by mistake can clear it and send again.
"""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pressroom import clock, db
from pressroom.db import writes_on_get
from pressroom.i18n import _l, _ln
from pressroom.models import Complaint, ComplaintCategory, ComplaintEvent, Region
from pressroom.models.complaint import COMPLAINT_TYPES
from pressroom.services import ValidationError, complaint_abuse, complaints, workcal
from pressroom.services.complaint_abuse import Throttled
from pressroom.storage import InvalidKey, get_storage
from pressroom.web.pagination import paginate
from pressroom.web.public_pages import page_cache, public_url

bp = Blueprint("lapor", __name__)

#: Browser-session keys: the new report's ID and PIN until /lapor/terkirim shows them once;
#: the reports whose PIN was entered, {tracking id: epoch until which it counts}.
NEW_KEY = "lapor_new"
VERIFIED_KEY = "lapor_pin_ok"
VERIFIED_SECONDS = 30 * 60
VERIFIED_MAX = 5
PER_PAGE = 20
#: States never shown on a public page (with reviewed_at set and confidential false: Complaint.is_public).
HONEYPOT = "website"

#: The citizen statuses keep their Indonesian names (they are the channel's vocabulary); English
#: readers get a gloss.
STATUS_GLOSS = {
    "Menunggu": _l("waiting"),
    "Diverifikasi": _l("verified"),
    "Dalam Tindakan": _l("being acted on"),
    "Tuntas": _l("resolved"),
    "Tidak Layak": _l("not eligible"),
}
EVENT_LABELS = {
    "received": _l("Report received"),
    "verified": _l("Verified"),
    "rejected": _l("Not eligible"),
    "duplicate": _l("Merged with another report"),
    "handed_off": _l("Passed on (outside the province's authority)"),
    "dispositioned": _l("Passed to the agency in charge"),
    "answer": _l("Answer"),
    "confirmed": _l("Confirmed resolved by the reporter"),
    "reopened": _l("Reopened by the reporter"),
    "closed": _l("Closed"),
    "reporter": _l("Message from the reporter"),
}
#: The steps a public page lists, and those whose text it shows: the service's own wording and the
#: officers' public answers. Never the reporter's words (confirmations, follow-ups) nor a hand-off's
#: explanation, which was written to the reporter.
PUBLIC_PAGE_EVENTS = ("verified", "dispositioned", "answer", "handed_off", "closed")
PUBLIC_PAGE_TEXTS = ("verified", "dispositioned", "answer", "closed")


def _lang() -> str:
    return str(get_locale() or "id")


def _config():
    return current_app.config


def _name() -> str:
    return _config().get("LAPOR_NAME") or "Lapor Gub"


def _client() -> str | None:
    """The HMAC of the client address (after ProxyFix, PRESSROOM_PROXY_HOPS)."""
    return complaint_abuse.client_hash(_config()["SECRET_KEY"], request.remote_addr)


def _limits() -> complaint_abuse.Limits:
    return complaint_abuse.Limits.from_config(_config())


def _with_retry(response: Response, exc: Throttled) -> Response:
    response.status_code = 429
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.context_processor
def _lapor_globals():
    return {"lapor_name": _name(), "status_gloss": STATUS_GLOSS, "type_labels": complaints.TYPE_LABELS}


# What is public ------------------------------------------------------------------------------------------
def _regions() -> dict[str, str]:
    return dict(db.session.execute(select(Region.code, Region.name).order_by(Region.name)).all())


def _categories(*, active_only: bool = True) -> list[ComplaintCategory]:
    query = select(ComplaintCategory).order_by(ComplaintCategory.name)
    if active_only:
        query = query.where(ComplaintCategory.is_active.is_(True))
    return list(db.session.scalars(query))


def _category_name(category: ComplaintCategory | None) -> str:
    if category is None:
        return ""
    return category.name_en if _lang() == "en" and category.name_en else category.name


def _public_photos(complaint: Complaint) -> list[dict[str, Any]]:
    """The verifier's redacted copies (hidden photos and photos not yet redacted left out)."""
    storage = get_storage()
    photos = []
    for photo in complaint.photos:
        if photo.hidden or not photo.public_key:
            continue
        number = len(photos) + 1
        photos.append({
            "src": url_for("public.media", key=photo.public_key),
            "width": photo.width, "height": photo.height,
            "absolute": storage.public_url_for(photo.public_key), "type": "image/jpeg",
            "alt": str(_l("Photo %(n)s of report %(id)s (faces and number plates blacked out)",
                          n=number, id=complaint.tracking_id)),
        })
    return photos


def _summary(text: str, limit: int = 200) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3].rsplit(" ", 1)[0] + "…"


# The form ------------------------------------------------------------------------------------------------
def _defaults() -> dict[str, Any]:
    return {"type": "pengaduan", "category_id": "", "description": "", "region_code": "", "kecamatan": "",
            "address": "", "latitude": "", "longitude": "", "reporter_name": "", "contact": "",
            "anonymous": True, "confidential": False, HONEYPOT: ""}


def _read_form() -> dict[str, Any]:
    form = request.form
    values = {key: (form.get(key) or "").strip() for key in (
        "type", "category_id", "region_code", "kecamatan", "address", "latitude", "longitude",
        "reporter_name", "contact", HONEYPOT)}
    # Browsers send a textarea's line breaks as CR LF; the counter (and people) count one.
    values["description"] = (form.get("description") or "").replace("\r\n", "\n").strip()
    values["anonymous"] = form.get("anonymous") == "1"
    values["confidential"] = form.get("confidential") == "1"
    return values


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _report_input(values: dict[str, Any]) -> complaints.ReportInput:
    category = values["category_id"]
    return complaints.ReportInput(
        type=values["type"], category_id=int(category) if category.isdigit() else None,
        description=values["description"], region_code=values["region_code"] or None,
        kecamatan=values["kecamatan"], address=values["address"],
        latitude=_number(values["latitude"]), longitude=_number(values["longitude"]),
        reporter_name=values["reporter_name"], contact=values["contact"],
        anonymous=values["anonymous"], confidential=values["confidential"])


def _read_photos() -> tuple[list[bytes], dict[str, Any]]:
    """Every chosen photo, re-encoded (EXIF orientation applied, metadata dropped) before anything
    is stored; problems by photo, under the "photos" field."""
    from pressroom.services.posts import reencode

    files = [f for f in request.files.getlist("photos") if f is not None and (f.filename or "").strip()]
    if len(files) > complaints.MAX_PHOTOS:
        return [], {"photos": _l("At most %(max)s photos; you chose %(n)s.", max=complaints.MAX_PHOTOS,
                                 n=len(files))}
    jpegs, problems = [], []
    for number, upload in enumerate(files, start=1):
        try:
            jpeg, _preview, _size = reencode(upload.read())
        except ValidationError as exc:
            name = (upload.filename or "").rsplit("/", 1)[-1][:60]
            problems.extend(str(_l("Photo %(n)s (%(name)s): %(problem)s", n=number, name=name, problem=msg))
                            for msg in exc.errors.values())
            continue
        jpegs.append(jpeg)
    return jpegs, ({"photos": " ".join(problems)} if problems else {})


def _form_page(values: dict[str, Any], errors: dict[str, Any] | None = None, *, status: int = 200,
               notice: Any = None, photos_lost: bool = False):
    errors = errors or {}
    top = [message for field, message in errors.items() if field not in _FIELDS]
    return render_template(
        "lapor/form.html", values=values, errors=errors, top_errors=top, notice=notice,
        photos_lost=photos_lost, categories=_categories(), regions=_regions(), types=COMPLAINT_TYPES,
        max_description=complaints.MAX_DESCRIPTION, max_photos=complaints.MAX_PHOTOS,
        max_upload_mb=_config()["MAX_UPLOAD_MB"], honeypot=HONEYPOT,
        # Filled in by lapor.js as the text changes (no variables given: the placeholders stay).
        counter_text=str(_l("%(n)s of %(max)s characters")),
    ), status


_FIELDS = frozenset({"type", "category_id", "description", "region_code", "kecamatan", "address",
                     "reporter_name", "contact", "photos", HONEYPOT})


@bp.route("/lapor", methods=["GET", "POST"])
def form():
    """The report form; a valid report is stored with its photos in one transaction."""
    if request.method == "GET":
        return _form_page(_defaults())
    values = _read_form()
    sent_photos = any((f.filename or "").strip() for f in request.files.getlist("photos"))
    if values[HONEYPOT]:
        return _form_page(values, {HONEYPOT: _l("This field must stay empty (it catches automated spam). "
                                                "Clear it and send again.")},
                          status=400, photos_lost=sent_photos)
    client = _client()
    try:
        complaint_abuse.check_flood(db.session, _limits(), contact=values["contact"], client=client)
    except Throttled as exc:
        body, _status = _form_page(values, notice=exc.message, photos_lost=sent_photos)
        return _with_retry(Response(body), exc)
    jpegs, photo_errors = _read_photos()
    try:
        complaint, pin = complaints.submit(db.session, _report_input(values), config=_config(), source="web",
                                           client_hash=client)
        if photo_errors:
            raise ValidationError(photo_errors)
        storage = get_storage()
        for jpeg in jpegs:
            complaints.add_photo(db.session, storage, complaint, jpeg)
    except ValidationError as exc:
        db.session.rollback()  # nothing of the report stays: not the row, its event, its message
        return _form_page(values, {**exc.errors, **photo_errors}, status=400, photos_lost=sent_photos)
    db.session.commit()
    browser[NEW_KEY] = {"id": complaint.tracking_id, "pin": pin}
    return redirect(url_for("lapor.sent"), code=303)


@bp.errorhandler(413)
def _too_large(_exc):
    """More than PRESSROOM_MAX_UPLOAD_MB in one report: the form again with a plain message
    (the browser's photos are gone with the refused request; the text too)."""
    if request.endpoint != "lapor.form":
        return render_template("errors/400.html", message=_l(
            "The request is larger than the limit of %(limit)s MB. Nothing was saved.",
            limit=_config()["MAX_UPLOAD_MB"])), 413
    body, _status = _form_page(_defaults(), {"photos": _l(
        "The photos together are larger than %(limit)s MB. Nothing was saved: choose fewer or smaller photos "
        "and write the report again.", limit=_config()["MAX_UPLOAD_MB"])}, photos_lost=True)
    return body, 413


@bp.get("/lapor/terkirim")
def sent():
    """The tracking ID and PIN, once (taken out of the session): a reload says where to find them."""
    new = browser.pop(NEW_KEY, None)
    return render_template("lapor/sent.html", new=new, groups=_groups(new["id"]) if new else [])


def _groups(tracking_id: str) -> list[str]:
    return [part for part in tracking_id.split("-") if part]


# Status --------------------------------------------------------------------------------------------------
def _remember_pin(tracking_id: str) -> None:
    now = int(clock.now().timestamp())
    kept = {tid: until for tid, until in (browser.get(VERIFIED_KEY) or {}).items() if until > now}
    kept[tracking_id] = now + VERIFIED_SECONDS
    browser[VERIFIED_KEY] = dict(sorted(kept.items(), key=lambda item: item[1])[-VERIFIED_MAX:])


def _pin_entered(tracking_id: str) -> bool:
    until = (browser.get(VERIFIED_KEY) or {}).get(tracking_id)
    return bool(until) and until > clock.now().timestamp()


def _expectations(complaint: Complaint) -> list[dict[str, Any]]:
    """The SLA clocks in plain words: what is expected by when, and what was done when."""
    calendar = workcal.load(db.session, _config())
    labels = {
        "first_response": _l("A first response within 24 hours"),
        "forward": _l("Passed to the agency in charge within %(n)s working days", n=complaints.FORWARD_DAYS),
        "answer": (_l("The information you asked for within %(n)s working days (UU KIP)",
                      n=complaints.INFORMATION_DAYS + (complaints.INFORMATION_EXTENSION_DAYS
                                                       if complaint.extended else 0))
                   if complaint.type == "informasi"
                   else _l("An answer within %(n)s working days", n=complaints.ANSWER_DAYS)),
        "close": _l("Closed %(n)s working days after it was resolved, unless you tell us it is not",
                    n=complaints.CLOSE_SILENT_DAYS),
    }
    return [{"label": labels.get(c.name, c.name), "due": c.due_at, "done": c.done_at, "late": c.overdue}
            for c in complaints.clocks(complaint, calendar)]


def _attachments(event: ComplaintEvent) -> list[dict[str, str]]:
    """An answer's attachments as links the reporter can open (private files: signed, expiring)."""
    storage, found = get_storage(), []
    for item in (event.details or {}).get("attachments") or []:
        if isinstance(item, str):
            key, name = item, item.rsplit("/", 1)[-1]
        elif isinstance(item, dict):
            key = item.get("key") or item.get("storage_key") or ""
            name = item.get("filename") or item.get("name") or key.rsplit("/", 1)[-1]
        else:
            continue
        try:
            if storage.exists(key, public=True):
                url = url_for("public.media", key=key)
            elif storage.exists(key):
                url = storage.signed_url_for(key, _config()["SIGNED_URL_SECONDS"])
            else:
                continue
        except InvalidKey:
            continue
        found.append({"url": url, "name": name})
    return found


def _status_page(complaint: Complaint | None, *, typed_id: str = "", errors: dict[str, Any] | None = None,
                 status: int = 200):
    verified = complaint is not None and _pin_entered(complaint.tracking_id)
    events = []
    if verified:
        events = [{"event": e, "label": EVENT_LABELS.get(e.kind, e.kind), "attachments": _attachments(e)}
                  for e in complaints.public_events(db.session, complaint)]
    duplicate_of = None
    if verified and complaint.duplicate_of_id:
        original = db.session.get(Complaint, complaint.duplicate_of_id)
        duplicate_of = original.tracking_id if original else None
    return render_template(
        "lapor/status.html", complaint=complaint, typed_id=typed_id, errors=errors or {}, verified=verified,
        citizen_status=complaints.citizen_status(complaint) if complaint else None,
        category=_category_name(complaint.category) if complaint else "",
        expectations=_expectations(complaint) if complaint else [],
        events=events, duplicate_of=duplicate_of,
        can_confirm=verified and complaint.state in ("resolved", "answered"),
        public_url=url_for("lapor.report", tracking_id=complaint.tracking_id)
        if complaint is not None and complaint.is_public else None,
    ), status


def _throttled_page(exc: Throttled, typed_id: str = ""):
    body, _status = _status_page(None, typed_id=typed_id, errors={"": exc.message})
    return _with_retry(Response(body), exc)


@bp.get("/lapor/status")
@writes_on_get  # an unknown ID is counted against the client (guess throttling)
def status():
    """The status by tracking ID alone; with the PIN entered in this session, the answers too."""
    typed = (request.args.get("id") or "").strip()[:40]
    if not typed:
        return _status_page(None)
    tracking_id = complaints.normalise_tracking_id(typed)
    client = _client()
    try:
        complaint_abuse.check_guessing(db.session, _limits(), _config()["SECRET_KEY"], client=client)
    except Throttled as exc:
        return _throttled_page(exc, typed)
    complaint = complaints.find(db.session, tracking_id)
    if complaint is None:
        complaint_abuse.record_failed_lookup(db.session, client=client)
        db.session.commit()
        return _status_page(None, typed_id=typed, errors={"id": _l(
            "There is no report with this tracking ID. Check it against the message we sent you "
            "(it looks like LG-7K3M-9Q2P).")}, status=404)
    return _status_page(complaint, typed_id=complaint.tracking_id)


@bp.post("/lapor/status")
def status_with_pin():
    """The tracking ID with the PIN: right, and the answers show in this browser for 30 minutes;
    wrong, and one generic message (counted, throttled)."""
    typed = (request.form.get("id") or "").strip()[:40]
    pin = (request.form.get("pin") or "").strip()[:20]
    if not typed:
        return _status_page(None, errors={"id": _l("Enter the tracking ID.")}, status=400)
    tracking_id = complaints.normalise_tracking_id(typed)
    if not pin:
        return redirect(url_for("lapor.status", id=tracking_id), code=303)
    client, secret = _client(), _config()["SECRET_KEY"]
    try:
        complaint_abuse.check_guessing(db.session, _limits(), secret, client=client, tracking_id=tracking_id)
    except Throttled as exc:
        return _throttled_page(exc, typed)
    complaint = complaints.find(db.session, tracking_id)
    if complaint is None or not complaints.check_pin(secret, complaint, pin):
        if complaint is None:
            complaint_abuse.record_failed_lookup(db.session, client=client)
        else:
            complaint_abuse.record_failed_pin(db.session, secret, client=client, tracking_id=tracking_id)
        db.session.commit()
        return _status_page(None, typed_id=typed, errors={"pin": _l(
            "This tracking ID and PIN do not belong together. Check both against the first message we sent "
            "you and try again.")}, status=400)
    _remember_pin(complaint.tracking_id)
    return redirect(url_for("lapor.status", id=complaint.tracking_id), code=303)


@bp.post("/lapor/status/konfirmasi")
def confirm():
    """"Sudah tuntas?": yes closes the report with a rating, no reopens it. Needs the PIN entered."""
    tracking_id = complaints.normalise_tracking_id((request.form.get("id") or "").strip()[:40])
    complaint = complaints.find(db.session, tracking_id) if tracking_id else None
    if complaint is None or not _pin_entered(complaint.tracking_id):
        flash(_l("Enter your tracking ID and PIN first; then answer whether the report is resolved."),
              "error")
        return redirect(url_for("lapor.status", **({"id": tracking_id} if tracking_id else {})), code=303)
    answer = request.form.get("resolved")
    rating_text = (request.form.get("rating") or "").strip()[:3]
    try:
        if answer not in ("ya", "tidak"):
            raise ValidationError.one("resolved", _l("Choose yes or no."))
        if rating_text and not rating_text.isdigit():
            raise ValidationError.one("rating", _l("Rate from 1 to 5."))
        complaints.confirm(db.session, complaint, resolved=answer == "ya",
                           rating=int(rating_text) if rating_text else None,
                           comment=(request.form.get("comment") or "")[:2000], config=_config())
    except ValidationError as exc:
        db.session.rollback()
        return _status_page(complaint, typed_id=complaint.tracking_id, errors=exc.errors, status=400)
    db.session.commit()
    flash(_l("Thank you: the report is closed.") if answer == "ya"
          else _l("Thank you: the report was reopened and the agency will follow up."), "success")
    return redirect(url_for("lapor.status", id=complaint.tracking_id), code=303)


# Public reports ------------------------------------------------------------------------------------------
@bp.get("/lapor/laporan")
def reports():
    """Reviewed, non-confidential reports, newest first; filter by category (code) and kab/kota (code)."""
    regions = _regions()
    categories = _categories(active_only=False)
    notices = []
    category_code = " ".join(request.args.get("kategori", "").split())[:40]
    category = next((c for c in categories if c.code == category_code), None)
    if category_code and category is None:
        notices.append(_l("That category is not known; showing every category."))
    region_code = request.args.get("wilayah", "").strip()[:4]
    if region_code and region_code not in regions:
        notices.append(_l("That kabupaten/kota is not known; showing all of Central Java."))
        region_code = ""
    query = select(Complaint).where(complaints.public_condition()).options(selectinload(Complaint.photos))
    if category is not None:
        query = query.where(Complaint.category_id == category.id)
    if region_code:
        query = query.where(Complaint.region_code == region_code)
    page = paginate(db.session, query.order_by(Complaint.received_at.desc(), Complaint.id.desc()),
                    per_page=PER_PAGE)
    items = [{"complaint": c, "status": complaints.citizen_status(c), "category": _category_name(c.category),
              "region": regions.get(c.region_code or "", ""), "summary": _summary(c.public_description or ""),
              "photos": sum(1 for p in c.photos if p.public_key and not p.hidden)} for c in page.items]
    response = Response(render_template(
        "lapor/reports.html", page=page, items=items, regions=regions,
        categories=[c for c in categories if c.is_active or c is category], category=category,
        region_code=region_code, notices=notices, filtered=bool(category or region_code),
        count_text=_ln("%(num)s public report", "%(num)s public reports", page.total),
        canonical=public_url("lapor.reports"),
        description=str(_l("Reports and aspirations from the public to the Central Java provincial "
                           "government, with the agencies' answers."))))
    return page_cache(response)


@bp.get("/lapor/laporan/<tracking_id>")
def report(tracking_id: str):
    """One public report: the redacted text and photos, where (kecamatan at most), its answers."""
    complaint = complaints.find(db.session, tracking_id)
    if complaint is None or not complaint.is_public:
        abort(404)
    if complaint.tracking_id != tracking_id:
        return redirect(url_for("lapor.report", tracking_id=complaint.tracking_id), code=301)
    photos = _public_photos(complaint)
    events = [{"event": e, "label": EVENT_LABELS.get(e.kind, e.kind),
               "text": e.text if e.kind in PUBLIC_PAGE_TEXTS else "",
               "to": (e.details or {}).get("to") if e.kind == "handed_off" else None}
              for e in complaints.public_events(db.session, complaint) if e.kind in PUBLIC_PAGE_EVENTS]
    category = _category_name(complaint.category)
    title = str(_l("Report %(id)s", id=complaint.tracking_id)) + (f": {category}" if category else "")
    response = Response(render_template(
        "lapor/report.html", complaint=complaint, status=complaints.citizen_status(complaint),
        category=category, region=_regions().get(complaint.region_code or "", ""), photos=photos,
        events=events, reporter=None if complaint.anonymous else (complaint.reporter_name or None),
        title=title, description=_summary(complaint.public_description or "") or title,
        canonical=public_url("lapor.report", tracking_id=complaint.tracking_id),
        share=photos[0] if photos else None))
    return page_cache(response)

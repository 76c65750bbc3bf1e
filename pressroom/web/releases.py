"""Press alerts under /app/pers: the composer (siaran pers, undangan liputan, ralat), the release
page with its audience count, files, decision and per-recipient statuses (the alert page),
and the numbering register."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import (
    AudienceList,
    Beat,
    Opd,
    Post,
    PressRelease,
    Region,
    ReleaseAttachment,
    ReleaseInfographic,
    ReleasePhoto,
    User,
)
from pressroom.models.journalist import DEWAN_PERS_STATES, OUTLET_TYPES
from pressroom.services import ValidationError, approvals, releases
from pressroom.services.contact_points import display_phone
from pressroom.services.policy import can, visible_opd_ids, working_opd_ids
from pressroom.storage import get_storage
from pressroom.web.forms import (
    AttachmentForm,
    ConfirmForm,
    DecisionForm,
    PhotoForm,
    ReleaseForm,
    attempt,
    choices,
    flash_form_errors,
    show_errors,
)
from pressroom.web.security import permission_required

bp = Blueprint("releases", __name__, url_prefix="/app/pers")

KIND_LABELS = {"siaran_pers": _l("Press release"), "undangan": _l("Coverage invitation"),
               "ralat": _l("Correction")}
STATE_LABELS = {
    "draft": _l("draft"),
    "submitted": _l("waiting for approval"),
    "approved": _l("approved"),
    "rejected": _l("returned"),
    "withdrawn": _l("withdrawn"),
    "held": _l("held"),
}
RECIPIENT_LABELS = {
    "queued": _l("queued"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "read": _l("read"),
    "failed": _l("failed"),
    "unsubscribed": _l("unsubscribed"),
    "unknown": _l("unknown — check"),
    "cancelled": _l("cancelled"),
}
OUTLET_TYPE_LABELS = {"cetak": _l("Print"), "online": _l("Online"), "tv": _l("TV"), "radio": _l("Radio"),
                      "kantor_berita": _l("News agency")}
DEWAN_PERS_LABELS = {"faktual": _l("Verified (faktual)"), "administratif": _l("Verified (administratif)"),
                     "belum": _l("Not verified")}
CHANNEL_LABELS = {"email": _l("Email"), "whatsapp": "WhatsApp"}


@bp.context_processor
def _labels():
    return {"KIND_LABELS": KIND_LABELS, "STATE_LABELS": STATE_LABELS, "RECIPIENT_LABELS": RECIPIENT_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS, "display_phone": display_phone}


def _load(release_id: int) -> PressRelease | None:
    return db.session.get(PressRelease, release_id)


def _waiting_for_me() -> list[PressRelease]:
    mine = []
    for release in db.session.scalars(select(PressRelease).where(PressRelease.state == "submitted")
                                      .order_by(PressRelease.submitted_at)):
        try:
            approvals.check_can_decide(db.session, current_user, release, releases.SUBJECT)
        except ValidationError:
            continue
        mine.append(release)
    return mine


@bp.get("/")
@permission_required("app.enter")
def index():
    visible = visible_opd_ids(current_user)
    query = select(PressRelease).order_by(PressRelease.updated_at.desc()).limit(100)
    if visible is not None:
        query = query.where(PressRelease.opd_id.in_(visible or {0}))
    rows = db.session.scalars(query).all()
    outcomes = {r.id: releases.outcome(db.session, r) for r in rows if r.frozen_at}
    can_write = bool(working_opd_ids(current_user))
    settings_opds = [o for o in db.session.scalars(select(Opd).where(
        Opd.id.in_(working_opd_ids(current_user) or {0})).order_by(Opd.short_name))
        if can(current_user, "press.settings", o)]
    return render_template("releases/index.html", releases=rows, outcomes=outcomes,
                           waiting=_waiting_for_me(), can_write=can_write, settings_opds=settings_opds)


# The composer ---------------------------------------------------------------------------------
def _form(release: PressRelease | None = None) -> ReleaseForm:
    form = ReleaseForm()
    opd_ids = working_opd_ids(current_user)
    opds = db.session.scalars(select(Opd).where(Opd.id.in_(opd_ids or {0})).order_by(Opd.short_name)).all()
    form.opd_id.choices = choices((o.id, o.short_name) for o in opds)
    default = opds[0].id if opds else 0
    opd_id = release.opd_id if release else (
        request.form.get("opd_id", type=int) or request.args.get("opd", type=int) or default)
    beats = db.session.scalars(select(Beat).where(Beat.is_active.is_(True)).order_by(Beat.name)).all()
    form.topic_ids.choices = choices((b.id, b.name) for b in beats)
    form.beats.choices = choices((b.id, b.name) for b in beats)
    regions = db.session.scalars(select(Region).order_by(Region.name))
    form.regions.choices = choices((r.code, r.name) for r in regions)
    form.outlet_types.choices = choices((t, OUTLET_TYPE_LABELS[t]) for t in OUTLET_TYPES)
    form.dewan_pers.choices = choices((d, DEWAN_PERS_LABELS[d]) for d in DEWAN_PERS_STATES)
    lists = db.session.scalars(select(AudienceList).where(AudienceList.opd_id == opd_id)
                               .order_by(AudienceList.name)).all()
    form.list_id.choices = choices([(0, "—")] + [(a.id, a.name) for a in lists])
    recent = db.session.scalars(select(Post).where(Post.opd_id == opd_id)
                                .order_by(Post.id.desc()).limit(30)).all()
    form.post_id.choices = choices([(0, "—")] + [(p.id, f"#{p.id} {' '.join(p.caption.split())[:60]}")
                                                 for p in recent])
    if request.method == "GET":
        form.opd_id.data = opd_id
        source = release
        if source is None:
            profile = releases.get_profile(db.session, opd_id)
            form.contact_name.data = profile.contact_name
            form.contact_position.data = profile.contact_position
            form.contact_phone.data = display_phone(profile.contact_phone) if profile.contact_phone else ""
            form.contact_email.data = profile.contact_email
            if request.args.get("kind") == "undangan":
                form.kind.data = "undangan"
        else:
            _fill(form, source)
    return form


def _wib_naive(value):
    return clock.to_wib(value).replace(tzinfo=None) if value else None


def _fill(form: ReleaseForm, release: PressRelease) -> None:
    for name in ("kind", "headline", "lead", "body", "place", "contact_name", "contact_position",
                 "contact_email", "agenda", "venue", "headline_en", "lead_en", "body_en", "correction_note",
                 "send_before_embargo", "embargo_whatsapp", "classification"):
        getattr(form, name).data = getattr(release, name)
    form.contact_phone.data = display_phone(release.contact_phone) if release.contact_phone else ""
    form.manual_number.data = release.manual_number or ""
    for name in ("event_starts_at", "event_ends_at", "send_at", "embargo_until"):
        getattr(form, name).data = _wib_naive(getattr(release, name))
    for index, source in enumerate(release.sources or []):
        if index >= len(form.sources.entries):
            form.sources.append_entry()
        form.sources.entries[index].form.name.data = source.get("name", "")
        form.sources.entries[index].form.position.data = source.get("position", "")
    form.topic_ids.data = [t.id for t in release.topics]
    form.post_id.data = release.post_id or 0
    audience = releases.normalised_audience(release.audience)
    form.audience_base.data = audience["base"]
    form.list_id.data = audience["list_id"] or 0
    form.beats.data, form.regions.data = audience["beats"], audience["regions"]
    form.outlet_types.data, form.dewan_pers.data = audience["outlet_types"], audience["dewan_pers"]
    form.channels.data = audience["channels"]


def _input(form: ReleaseForm) -> releases.ReleaseInput:
    def utc(value):
        return clock.from_wib(value) if value else None

    return releases.ReleaseInput(
        kind=form.kind.data, headline=form.headline.data or "", lead=form.lead.data or "",
        body=form.body.data or "", headline_en=form.headline_en.data or "", lead_en=form.lead_en.data or "",
        body_en=form.body_en.data or "", place=form.place.data or "",
        sources=[{"name": e.form.name.data or "", "position": e.form.position.data or ""}
                 for e in form.sources.entries],
        contact_name=form.contact_name.data or "", contact_position=form.contact_position.data or "",
        contact_phone=form.contact_phone.data or "", contact_email=form.contact_email.data or "",
        agenda=form.agenda.data or "", venue=form.venue.data or "",
        event_starts_at=utc(form.event_starts_at.data), event_ends_at=utc(form.event_ends_at.data),
        embargo_until=utc(form.embargo_until.data), send_before_embargo=bool(form.send_before_embargo.data),
        embargo_whatsapp=bool(form.embargo_whatsapp.data), send_at=utc(form.send_at.data),
        manual_number=form.manual_number.data or "", classification=form.classification.data or "",
        topic_ids=list(form.topic_ids.data or []), post_id=form.post_id.data or None,
        correction_note=form.correction_note.data or "",
        audience={"base": form.audience_base.data, "list_id": form.list_id.data or None,
                  "beats": form.beats.data or [], "regions": form.regions.data or [],
                  "outlet_types": form.outlet_types.data or [], "dewan_pers": form.dewan_pers.data or [],
                  "channels": form.channels.data or []})


def _show(form: ReleaseForm, exc: ValidationError) -> None:
    """Errors next to their fields where the form has one, else at the top."""
    db.session.rollback()
    aliases = {"channels": "channels", "list_id": "list_id", "topic_ids": "topic_ids"}
    rest = {}
    for name, message in exc.errors.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors") and name:
            field.errors = list(field.errors) + [message]
        else:
            rest[name] = message
    if rest:
        show_errors(ValidationError(rest))


@bp.route("/baru", methods=["GET", "POST"])
@permission_required("app.enter")
def new():
    form = _form()
    if not form.opd_id.choices:
        abort(403)
    if form.validate_on_submit():
        opd = db.session.get(Opd, form.opd_id.data) or abort(400)
        if not can(current_user, "release.edit", opd):
            abort(403)
        try:
            release = releases.create_release(db.session, current_user, opd.id, _input(form))
        except ValidationError as exc:
            _show(form, exc)
        else:
            db.session.commit()
            flash(_l("Draft saved. Add photos, infographics or attachments, then submit it for approval."),
                  "success")
            return redirect(url_for("releases.detail", release_id=release.id))
    return render_template("releases/form.html", form=form, release=None), (400 if form.errors else 200)


@bp.route("/<int:release_id>/ubah", methods=["GET", "POST"])
@permission_required("release.edit", lambda release_id: _load(release_id))
def edit(release_id: int, obj: PressRelease):
    form = _form(obj)
    form.opd_id.validators = []
    if request.method == "POST":
        form.opd_id.data = obj.opd_id
        form.kind.data = obj.kind if obj.kind == "ralat" else form.kind.data
    if obj.kind == "ralat":
        form.kind.choices = choices([("ralat", KIND_LABELS["ralat"])])
    if form.validate_on_submit():
        try:
            changed = releases.update_release(db.session, current_user, obj, _input(form))
        except ValidationError as exc:
            _show(form, exc)
        else:
            db.session.commit()
            if changed and obj.state == "draft" and obj.state_reason:
                flash(_l("Saved. The approval was cleared: submit it again."), "warning")
            else:
                flash(_l("Changes saved."), "success")
            return redirect(url_for("releases.detail", release_id=obj.id))
    return render_template("releases/form.html", form=form, release=obj), (400 if form.errors else 200)


# The release page (and the alert's statuses) ---------------------------------------------------
@bp.get("/<int:release_id>")
@permission_required("release.view", lambda release_id: _load(release_id))
def detail(release_id: int, obj: PressRelease):
    trail = approvals.decisions(db.session, releases.SUBJECT, obj.id)
    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({d.decided_by_id for d in trail} | {obj.author_id})))}
    try:
        approvals.check_can_decide(db.session, current_user, obj, releases.SUBJECT)
        can_decide = True
    except ValidationError:
        can_decide = False
    started = releases.sending_started(db.session, obj)
    editable = can(current_user, "release.edit", obj) and not started
    problems = releases.problems(db.session, obj) if obj.state in ("draft", "rejected", "held", "submitted",
                                                                   "withdrawn") else []
    count = releases.count_audience(db.session, obj) if not obj.frozen_at else None
    status = request.args.get("status") or None
    page = max(request.args.get("page", 1, type=int), 1)
    rows, totals = ([], {})
    if obj.frozen_at:
        rows, totals = releases.recipient_rows(db.session, obj, status=status, limit=100,
                                               offset=(page - 1) * 100)
    corrections = db.session.scalars(select(PressRelease).where(PressRelease.corrects_id == obj.id)
                                     .order_by(PressRelease.id)).all()
    original = db.session.get(PressRelease, obj.corrects_id) if obj.corrects_id else None
    rsvp = _rsvp_counts(obj) if obj.kind == "undangan" else None
    return render_template(
        "releases/detail.html", release=obj, trail=trail, people=people, can_decide=can_decide,
        can_edit=editable, started=started, problems=problems, count=count, rows=rows, totals=totals,
        status=status, page=page, corrections=corrections, original=original, rsvp=rsvp,
        outcome=releases.outcome(db.session, obj) if obj.frozen_at else "none",
        public_url=current_app.config["PUBLIC_URL"].rstrip("/") + releases.public_path(obj),
        is_public=obj.state == "approved" and obj.public_from is not None and obj.public_from <= clock.now(),
        infographic_choices=releases.infographic_choices(db.session, obj.opd_id) if editable else [],
        photo_form=PhotoForm(), attachment_form=AttachmentForm(), decision_form=DecisionForm(),
        csrf_form=ConfirmForm(), audience=releases.normalised_audience(obj.audience),
        list_name=_list_name(obj))


def _list_name(release: PressRelease) -> str | None:
    audience = releases.normalised_audience(release.audience)
    chosen = db.session.get(AudienceList, audience["list_id"]) if audience["list_id"] else None
    return chosen.name if chosen else None


def _rsvp_counts(release: PressRelease) -> dict[str, int]:
    from pressroom.models import InvitationReply

    found = dict(db.session.execute(select(InvitationReply.attending, func.count()).where(
        InvitationReply.release_id == release.id).group_by(InvitationReply.attending)).all())
    return {"attending": found.get(True, 0), "not_attending": found.get(False, 0)}


def _back(release: PressRelease):
    return redirect(url_for("releases.detail", release_id=release.id))


@bp.post("/<int:release_id>/foto")
@permission_required("release.edit", lambda release_id: _load(release_id))
def add_photo(release_id: int, obj: PressRelease):
    form = PhotoForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)
    attempt(lambda: releases.add_photo(db.session, current_user, get_storage(), obj, form.image.data.read(),
                                       caption=form.caption.data, credit=form.credit.data or "",
                                       alt_text=form.alt_text.data), _l("Photo added."))
    return _back(obj)


@bp.post("/<int:release_id>/foto/<int:photo_id>/hapus")
@permission_required("release.edit", lambda release_id, photo_id: _load(release_id))
def remove_photo(release_id: int, photo_id: int, obj: PressRelease):
    photo = db.session.get(ReleasePhoto, photo_id)
    if photo is None or photo.release_id != obj.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: releases.remove_photo(db.session, current_user, obj, photo))
    return _back(obj)


@bp.post("/<int:release_id>/lampiran")
@permission_required("release.edit", lambda release_id: _load(release_id))
def add_attachment(release_id: int, obj: PressRelease):
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)
    upload = form.file.data
    attempt(lambda: releases.add_attachment(db.session, current_user, get_storage(), obj, upload.read(),
                                            upload.filename or "lampiran.pdf"), _l("Attachment added."))
    return _back(obj)


@bp.post("/<int:release_id>/lampiran/<int:attachment_id>/hapus")
@permission_required("release.edit", lambda release_id, attachment_id: _load(release_id))
def remove_attachment(release_id: int, attachment_id: int, obj: PressRelease):
    attachment = db.session.get(ReleaseAttachment, attachment_id)
    if attachment is None or attachment.release_id != obj.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: releases.remove_attachment(db.session, current_user, obj, attachment))
    return _back(obj)


@bp.post("/<int:release_id>/infografik")
@permission_required("release.edit", lambda release_id: _load(release_id))
def add_infographic(release_id: int, obj: PressRelease):
    if ConfirmForm().validate_on_submit():
        image_id = request.form.get("dataset_image_id", type=int) or 0
        attempt(lambda: releases.add_infographic(db.session, current_user, obj, image_id),
                _l("Infographic added."))
    return _back(obj)


@bp.post("/<int:release_id>/infografik/<int:item_id>/hapus")
@permission_required("release.edit", lambda release_id, item_id: _load(release_id))
def remove_infographic(release_id: int, item_id: int, obj: PressRelease):
    item = db.session.get(ReleaseInfographic, item_id)
    if item is None or item.release_id != obj.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: releases.remove_infographic(db.session, current_user, obj, item))
    return _back(obj)


@bp.post("/<int:release_id>/ajukan")
@permission_required("release.edit", lambda release_id: _load(release_id))
def submit(release_id: int, obj: PressRelease):
    if ConfirmForm().validate_on_submit():
        found = releases.problems(db.session, obj)
        if found:
            for problem in found:
                flash(problem, "error")
            return _back(obj)
        attempt(lambda: releases.submit_release(db.session, current_user, obj),
                _l("Submitted: the approver has been notified."))
    return _back(obj)


@bp.post("/<int:release_id>/setujui")
@permission_required("opd.approve", lambda release_id: _load(release_id))
def approve(release_id: int, obj: PressRelease):
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            final = releases.approve_release(db.session, current_user, obj, comment=form.comment.data or "")
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            flash(_l("Approved as number %(number)s: it goes to %(n)s recipients.", number=obj.number,
                     n=releases.recipient_rows(db.session, obj, limit=0)[1].get("total", 0))
                  if final else _l("Approved; the next step's approver has been notified."), "success")
    return _back(obj)


@bp.post("/<int:release_id>/kembalikan")
@permission_required("opd.approve", lambda release_id: _load(release_id))
def reject(release_id: int, obj: PressRelease):
    form = DecisionForm()
    if form.validate_on_submit():
        attempt(lambda: releases.reject_release(db.session, current_user, obj,
                                                comment=form.comment.data or ""),
                _l("Returned to the author with your comment."))
    return _back(obj)


@bp.post("/<int:release_id>/tarik")
@permission_required("release.edit", lambda release_id: _load(release_id))
def withdraw(release_id: int, obj: PressRelease):
    if ConfirmForm().validate_on_submit():
        attempt(lambda: releases.withdraw_release(db.session, current_user, obj),
                _l("Withdrawn: nothing will be sent. A number already given stays in the register as "
                   "cancelled."))
    return _back(obj)


@bp.post("/<int:release_id>/ralat")
@permission_required("release.edit", lambda release_id: _load(release_id))
def correct(release_id: int, obj: PressRelease):
    if ConfirmForm().validate_on_submit():
        try:
            correction = releases.start_correction(db.session, current_user, obj)
        except ValidationError as exc:
            show_errors(exc)
            return _back(obj)
        db.session.commit()
        flash(_l("Correction drafted: say what is corrected, then submit it."), "success")
        return redirect(url_for("releases.edit", release_id=correction.id))
    return _back(obj)


# The register ---------------------------------------------------------------------------------
@bp.get("/register")
@permission_required("app.enter")
def register():
    """Every numbered release of the OPDs the user sees, per year: no gaps, cancelled ones marked."""
    visible = visible_opd_ids(current_user)
    year = request.args.get("tahun", type=int) or clock.to_wib(clock.now()).year
    query = select(PressRelease).where(PressRelease.number.is_not(None)).order_by(
        PressRelease.opd_id, PressRelease.number_seq.nulls_last(), PressRelease.approved_at)
    query = query.where((PressRelease.number_year == year) | (PressRelease.number_year.is_(None)))
    if visible is not None:
        query = query.where(PressRelease.opd_id.in_(visible or {0}))
    rows = db.session.scalars(query).all()
    return render_template("releases/register.html", rows=rows, year=year)

"""Lapor Gub for officers under /app/lapor: the queues with SLA clocks, the report page with
the verifier's review (redaction), verification, rejection, merging, hand-off and disposition,
the OPD's PIC, internal notes and answers, counter/phone intake and the leadership board.

Who sees what (services/complaint_board.py): verifiers and admins every report and every
reporter's identity; an OPD's officers and approvers the reports disposed to it, with the
reporter's name and contact only when the report is not anonymous, never the exact location
nor the photo originals (they see the verifier's redacted copies)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from pressroom import db
from pressroom.i18n import _l
from pressroom.models import (
    AnswerTemplate,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
    Opd,
    Region,
    User,
)
from pressroom.models.complaint import COMPLAINT_STATES
from pressroom.services import ValidationError, complaint_board, complaints, workcal
from pressroom.services.contact_points import display_phone
from pressroom.services.policy import can
from pressroom.storage import get_storage
from pressroom.web.forms import (
    ComplaintAnswerForm,
    ComplaintAssignForm,
    ComplaintDisposeForm,
    ComplaintDuplicateForm,
    ComplaintHandOffForm,
    ComplaintIntakeForm,
    ComplaintNoteForm,
    ComplaintRejectForm,
    ComplaintReviewForm,
    ConfirmForm,
    attempt,
    choices,
    flash_form_errors,
    show_errors,
)
from pressroom.web.security import permission_required

bp = Blueprint("complaints", __name__, url_prefix="/app/lapor")

STATE_LABELS = {
    "received": _l("waiting for verification"),
    "verified": _l("verified, to dispose"),
    "dispositioned": _l("passed to the OPD"),
    "in_progress": _l("in progress"),
    "answered": _l("answered"),
    "resolved": _l("resolved, waiting for the reporter"),
    "rejected": _l("not eligible"),
    "duplicate": _l("duplicate"),
    "handed_off": _l("handed off (bukan wewenang)"),
    "closed": _l("closed"),
}
QUEUE_LABELS = {
    "verify": _l("To verify"),
    "dispose": _l("To dispose"),
    "open": _l("All open"),
    "opd": _l("Our OPD"),
    "mine": _l("Mine (PIC)"),
    "all": _l("All, closed included"),
}
CLOCK_LABELS = {
    "first_response": _l("First response (1×24 hours)"),
    "forward": _l("Forwarding (3 working days)"),
    "answer": _l("Answer (5 working days)"),
    "answer_info": _l("Answer (UU KIP: 10 working days)"),
    "answer_info_extended": _l("Answer (UU KIP: 10 + 7 working days)"),
    "close": _l("Closing (10 working days after resolution)"),
}
SOURCE_LABELS = {
    "web": _l("web form"),
    "whatsapp": "WhatsApp",
    "counter": _l("counter"),
    "phone": _l("phone"),
    "import": _l("import"),
}
EVENT_LABELS = {
    "received": _l("Received"),
    "reviewed": _l("Reviewed for the public"),
    "verified": _l("Verified"),
    "rejected": _l("Not eligible"),
    "duplicate": _l("Merged as duplicate"),
    "handed_off": _l("Handed off (bukan wewenang)"),
    "dispositioned": _l("Disposition"),
    "assigned": _l("PIC named"),
    "note": _l("Internal note"),
    "answer": _l("Answer"),
    "confirmed": _l("Confirmed by the reporter"),
    "reopened": _l("Reopened by the reporter"),
    "closed": _l("Closed"),
    "reporter": _l("Message from the reporter"),
    "urgent": _l("Urgency"),
    "reminder": _l("Reminder"),
    "escalated": _l("Escalation"),
}
REDACTED = "[disamarkan]"


@bp.context_processor
def _labels():
    return {"STATE_LABELS": STATE_LABELS, "QUEUE_LABELS": QUEUE_LABELS, "CLOCK_LABELS": CLOCK_LABELS,
            "SOURCE_LABELS": SOURCE_LABELS, "EVENT_LABELS": EVENT_LABELS,
            "TYPE_LABELS": complaints.TYPE_LABELS, "citizen_status": complaints.citizen_status,
            "clock_label": _clock_label, "display_phone": display_phone,
            "attachment_name": complaint_board.attachment_name}


def _clock_label(complaint: Complaint, name: str) -> str:
    if name == "answer" and complaint.type == "informasi":
        name = "answer_info_extended" if complaint.extended else "answer_info"
    return CLOCK_LABELS.get(name, name)


def _load(complaint_id: int) -> Complaint | None:
    return db.session.get(Complaint, complaint_id)


def _calendar() -> workcal.Calendar:
    return workcal.load(db.session, current_app.config)


# Queues ---------------------------------------------------------------------------------------
@bp.get("/")
@permission_required("complaint.queue")
def index():
    available = complaint_board.queues_for(current_user)
    name = request.args.get("antrean")
    name = name if name in available else available[0]
    state = request.args.get("status")
    state = state if state in COMPLAINT_STATES else None
    category_id = request.args.get("kategori", type=int) or None
    opd_id = request.args.get("opd", type=int) or None
    result = complaint_board.queue(db.session, current_user, _calendar(), name=name, state=state,
                                   category_id=category_id, opd_id=opd_id)
    scope = complaint_board.opd_scope(current_user)
    opd_query = select(Opd).order_by(Opd.short_name)
    if scope is not None:
        opd_query = opd_query.where(Opd.id.in_(scope or {0}))
    return render_template(
        "complaints/index.html", queue=result, name=name, available=available, state=state,
        category_id=category_id, opd_id=opd_id, opds=db.session.scalars(opd_query).all(),
        categories=db.session.scalars(select(ComplaintCategory).order_by(ComplaintCategory.name)).all(),
        states=COMPLAINT_STATES,
    )


# The report page ------------------------------------------------------------------------------
def _region_names() -> list[str]:
    return [r.name for r in db.session.scalars(select(Region).order_by(Region.name))]


def _dispose_form(complaint: Complaint) -> ComplaintDisposeForm:
    form = ComplaintDisposeForm()
    opds = db.session.scalars(select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name)).all()
    form.opd_id.choices = choices((o.id, f"{o.short_name} — {o.name}") for o in opds)
    if request.method == "GET":
        suggested = complaint.category.default_opd_id if complaint.category else None
        form.opd_id.data = complaint.opd_id or suggested
    return form


def _hand_off_form(complaint: Complaint) -> ComplaintHandOffForm:
    form = ComplaintHandOffForm()
    form.to.choices = choices([(complaint_board.HANDOFF_NATIONAL, complaint_board.HANDOFF_NATIONAL)]
                              + [(n, n) for n in _region_names()])
    if request.method == "GET" and complaint.region_code:
        region = db.session.get(Region, complaint.region_code)
        form.to.data = region.name if region else None
    return form


def _assign_form(complaint: Complaint) -> ComplaintAssignForm:
    form = ComplaintAssignForm()
    form.pic_user_id.choices = choices(
        (u.id, u.full_name) for u in complaint_board.officers_of(db.session, complaint.opd_id))
    if request.method == "GET":
        form.pic_user_id.data = complaint.pic_user_id
    return form


def _templates(complaint: Complaint) -> list[AnswerTemplate]:
    return list(db.session.scalars(
        select(AnswerTemplate)
        .where(or_(AnswerTemplate.category_id == complaint.category_id, AnswerTemplate.category_id.is_(None)))
        .order_by(AnswerTemplate.category_id.is_(None), AnswerTemplate.title)))


def _answer_form(complaint: Complaint) -> ComplaintAnswerForm:
    form = ComplaintAnswerForm()
    form.template_id.choices = choices([(0, "—")] + [(t.id, t.title) for t in _templates(complaint)])
    return form


def _review_form(complaint: Complaint) -> ComplaintReviewForm:
    form = ComplaintReviewForm()
    if request.method == "GET":
        reviewed = complaint.public_description
        form.public_description.data = reviewed if reviewed is not None else complaint.description
    return form


@bp.get("/<int:complaint_id>")
@permission_required("complaint.view", lambda complaint_id: _load(complaint_id))
def detail(complaint_id: int, obj: Complaint):
    events = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == obj.id)
                                .order_by(ComplaintEvent.id)).all()
    people_ids = ({e.author_id for e in events if e.author_id} | {obj.pic_user_id or 0}
                  | {e.details.get("pic") or 0 for e in events if e.kind == "assigned"})
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people_ids)))}
    verifier = can(current_user, "complaint.verify")
    answerer = can(current_user, "complaint.answer", obj)
    duplicates = db.session.scalars(select(Complaint).where(Complaint.duplicate_of_id == obj.id)
                                    .order_by(Complaint.id)).all()
    return render_template(
        "complaints/detail.html", complaint=obj,
        clocks=complaints.clocks(obj, _calendar()),
        public_events=[e for e in events if e.public], internal_events=[e for e in events if not e.public],
        people=people, verifier=verifier, answerer=answerer,
        identity=complaint_board.shows_identity(current_user, obj),
        exact=complaint_board.shows_exact_location(current_user),
        region=db.session.get(Region, obj.region_code) if obj.region_code else None,
        original=db.session.get(Complaint, obj.duplicate_of_id) if obj.duplicate_of_id else None,
        duplicates=duplicates, templates=_templates(obj) if answerer else [],
        csrf_form=ConfirmForm(),
        review_form=_review_form(obj) if verifier else None,
        reject_form=ComplaintRejectForm() if verifier else None,
        duplicate_form=ComplaintDuplicateForm() if verifier else None,
        hand_off_form=_hand_off_form(obj) if verifier else None,
        dispose_form=_dispose_form(obj) if verifier else None,
        assign_form=_assign_form(obj) if answerer and obj.opd_id else None,
        note_form=ComplaintNoteForm() if answerer else None,
        answer_form=_answer_form(obj) if answerer else None,
        redacted=REDACTED,
    )


@bp.get("/<int:complaint_id>/foto/<int:complaint_photo_id>")
@permission_required("complaint.identity", lambda complaint_id, complaint_photo_id: _load(complaint_id))
def photo(complaint_id: int, complaint_photo_id: int, obj: Complaint):
    """A photo as the reporter sent it (re-encoded, metadata stripped): verifiers only."""
    item = db.session.get(ComplaintPhoto, complaint_photo_id)
    storage = get_storage()
    if item is None or item.complaint_id != obj.id or not storage.exists(item.storage_key):
        abort(404)
    response = send_file(io.BytesIO(storage.get(item.storage_key)), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Actions --------------------------------------------------------------------------------------
def _back(complaint: Complaint):
    return redirect(url_for("complaints.detail", complaint_id=complaint.id))


def _run(complaint: Complaint, operation, success) -> object:
    """Call a service as one unit of work (``forms.attempt``), then go back to the report."""
    attempt(operation, success)
    return _back(complaint)


def _boxes(complaint: Complaint) -> dict[int, list[dict[str, int]]]:
    """The blacked-out areas per photo, from the rows of number inputs (redact.js fills them)."""
    found: dict[int, list[dict[str, int]]] = {}
    for item in complaint.photos:
        columns = [request.form.getlist(f"box-{item.id}-{k}") for k in ("x", "y", "w", "h")]
        boxes = []
        for values in zip(*columns, strict=False):
            if not any(v.strip() for v in values):
                continue  # an empty row
            try:
                x, y, w, h = (int(round(float(v.replace(",", ".")))) for v in values)
            except ValueError:
                raise ValidationError.one(
                    "", _l("Give each area to black out as whole numbers: x, y, width and height.")) from None
            boxes.append({"x": x, "y": y, "w": w, "h": h})
        found[item.id] = boxes
    return found


@bp.post("/<int:complaint_id>/tinjau")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def review(complaint_id: int, obj: Complaint):
    form = ComplaintReviewForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)

    def operation():
        text = (form.public_description.data or "").strip()
        if not text:
            raise ValidationError.one("", _l("Write the text the public may read; replace what must not be "
                                             "shown with %(mark)s.", mark=REDACTED))
        hidden = {p.id for p in obj.photos if request.form.get(f"hide-{p.id}")}
        complaints.review(db.session, current_user, obj, public_description=text, redactions=_boxes(obj),
                          hidden_photos=hidden, storage=get_storage())

    return _run(obj, operation, _l("Review saved: the public sees the reviewed text and redacted photos."))


@bp.post("/<int:complaint_id>/verifikasi")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def verify(complaint_id: int, obj: Complaint):
    if not ConfirmForm().validate_on_submit():
        return _back(obj)
    return _run(obj, lambda: complaints.verify(db.session, current_user, obj, config=current_app.config),
                _l("Verified; the reporter has been told."))


@bp.post("/<int:complaint_id>/tolak")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def reject(complaint_id: int, obj: Complaint):
    form = ComplaintRejectForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)
    return _run(obj, lambda: complaints.reject(db.session, current_user, obj, reason=form.reason.data or "",
                                               config=current_app.config),
                _l("Marked not eligible; the reporter has been told why."))


@bp.post("/<int:complaint_id>/duplikat")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def duplicate(complaint_id: int, obj: Complaint):
    form = ComplaintDuplicateForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)

    def operation():
        original = complaints.find(db.session, form.original.data or "")
        if original is None:
            raise ValidationError.one("original", _l("No report has the tracking ID “%(id)s”.",
                                                     id=(form.original.data or "").strip()[:30]))
        complaints.mark_duplicate(db.session, current_user, obj, original, config=current_app.config)

    return _run(obj, operation, _l("Merged: the reporter follows the original report."))


@bp.post("/<int:complaint_id>/alihkan")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def hand_off(complaint_id: int, obj: Complaint):
    form = _hand_off_form(obj)
    if not form.validate_on_submit():
        if form.to.errors:
            flash(_l("Choose where it goes: a kabupaten/kota or SP4N-LAPOR!."), "error")
        else:
            flash_form_errors(form)
        return _back(obj)
    return _run(obj, lambda: complaints.hand_off(
        db.session, current_user, obj, to=form.to.data, reference=form.reference.data or "",
        explanation=form.explanation.data or "", config=current_app.config),
        _l("Handed off; the reporter has been given the explanation."))


@bp.post("/<int:complaint_id>/disposisi")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def dispose(complaint_id: int, obj: Complaint):
    form = _dispose_form(obj)
    if not form.validate_on_submit():
        flash(_l("Choose the OPD in charge."), "error")
        return _back(obj)
    opd = db.session.get(Opd, form.opd_id.data)
    return _run(obj, lambda: complaints.dispose(db.session, current_user, obj, opd, config=current_app.config,
                                                note=form.note.data or ""),
                _l("Passed to %(opd)s; its officers see it now.", opd=opd.short_name))


@bp.post("/<int:complaint_id>/mendesak")
@permission_required("complaint.verify", lambda complaint_id: _load(complaint_id))
def urgent(complaint_id: int, obj: Complaint):
    if not ConfirmForm().validate_on_submit():
        return _back(obj)
    wanted = request.form.get("urgent") == "1"
    return _run(obj, lambda: complaint_board.set_urgent(db.session, current_user, obj, wanted),
                _l("Marked urgent: reminders go out at any hour.") if wanted else _l("No longer urgent."))


@bp.post("/<int:complaint_id>/pic")
@permission_required("complaint.answer", lambda complaint_id: _load(complaint_id))
def assign(complaint_id: int, obj: Complaint):
    form = _assign_form(obj)
    if obj.opd_id is None or not form.validate_on_submit():
        flash(_l("Choose an officer of the OPD in charge."), "error")
        return _back(obj)
    officer = db.session.get(User, form.pic_user_id.data)
    return _run(obj, lambda: complaints.assign(db.session, current_user, obj, officer),
                _l("%(name)s is now in charge (PIC).", name=officer.full_name))


@bp.post("/<int:complaint_id>/catatan")
@permission_required("complaint.answer", lambda complaint_id: _load(complaint_id))
def note(complaint_id: int, obj: Complaint):
    form = ComplaintNoteForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)
    return _run(obj, lambda: complaints.add_note(db.session, current_user, obj, form.note_text.data or ""),
                _l("Note saved (staff only)."))


@bp.post("/<int:complaint_id>/jawab")
@permission_required("complaint.answer", lambda complaint_id: _load(complaint_id))
def answer(complaint_id: int, obj: Complaint):
    form = _answer_form(obj)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(obj)
    resolved = request.form.get("resolved") == "1"
    storage = get_storage()

    def operation():
        text = (form.answer_text.data or "").strip()
        if not text and form.template_id.data:
            chosen = db.session.get(AnswerTemplate, form.template_id.data)
            text = chosen.text if chosen else ""
        files = [f for f in (form.attachments.data or []) if f and f.filename]
        if len(files) > complaint_board.MAX_ATTACHMENTS:
            raise ValidationError.one("attachments", _l("At most %(n)s attachments.",
                                                        n=complaint_board.MAX_ATTACHMENTS))
        ready = [complaint_board.prepare_attachment(obj, f.read(), f.filename) for f in files]
        complaints.answer(db.session, current_user, obj, text, config=current_app.config,
                          attachments=[a.key for a in ready], resolved=resolved)
        for attachment in ready:  # files only once the answer was accepted
            storage.put(attachment.key, attachment.data, public=True)

    return _run(obj, operation, _l("Answer sent and marked resolved; the reporter is asked to confirm.")
                if resolved else _l("Answer sent to the reporter."))


# Counter and phone intake ---------------------------------------------------------------------
def _intake_form() -> ComplaintIntakeForm:
    form = ComplaintIntakeForm()
    form.type.choices = choices(complaints.TYPE_LABELS.items())
    categories = db.session.scalars(select(ComplaintCategory).where(ComplaintCategory.is_active.is_(True))
                                    .order_by(ComplaintCategory.name)).all()
    form.category_id.choices = choices([(0, "—")] + [(c.id, c.name) for c in categories])
    regions = db.session.scalars(select(Region).order_by(Region.name)).all()
    form.region_code.choices = choices([("", "—")] + [(r.code, r.name) for r in regions])
    return form


def _coordinate(text: str | None) -> float | None:
    try:
        return float((text or "").strip().replace(",", "."))
    except ValueError:
        return None


@bp.route("/baru", methods=["GET", "POST"])
@permission_required("complaint.intake")
def new():
    form = _intake_form()
    if form.validate_on_submit():
        data = complaints.ReportInput(
            type=form.type.data, category_id=form.category_id.data or None,
            description=form.description.data or "", region_code=form.region_code.data or None,
            kecamatan=form.kecamatan.data or "", address=form.address.data or "",
            latitude=_coordinate(form.latitude.data), longitude=_coordinate(form.longitude.data),
            reporter_name=form.reporter_name.data or "", contact=form.contact.data or "",
            anonymous=bool(form.anonymous.data), confidential=bool(form.confidential.data),
        )
        files = [f for f in (form.photos.data or []) if f and f.filename]
        try:
            if len(files) > complaints.MAX_PHOTOS:
                raise ValidationError.one("photos", _l("At most %(n)s photos.", n=complaints.MAX_PHOTOS))
            complaint, pin = complaint_board.receive_in_person(
                db.session, data, config=current_app.config, source=form.source.data, officer=current_user)
            for upload in files:
                complaints.add_photo(db.session, get_storage(), complaint, upload.read())
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            # Shown once, on this response: the PIN is never kept nor put in a URL.
            return render_template("complaints/received.html", complaint=complaint, pin=pin,
                                   can_open=can(current_user, "complaint.view", complaint))
    return render_template("complaints/new.html", form=form), (400 if form.errors else 200)


# The leadership board -------------------------------------------------------------------------
@bp.get("/papan")
@permission_required("complaint.board")
def board():
    return render_template("complaints/board.html", board=complaint_board.board(db.session, _calendar()))

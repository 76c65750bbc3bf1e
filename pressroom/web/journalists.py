"""The journalist directory under /app/wartawan: list, profile, edit, follow, notes,
consent, archive, exports, PDP access and erasure, outlets and the beat vocabulary."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from pressroom import clock, db
from pressroom.db import writes_on_get
from pressroom.i18n import _l
from pressroom.models import Beat, Journalist, Opd, Outlet, Region
from pressroom.models.journalist import CHANNELS, DEWAN_PERS_STATES, OUTLET_TYPES, UKW_LEVELS
from pressroom.services import ValidationError, audit, journalist_self, journalists
from pressroom.services.contact_points import display_phone
from pressroom.services.policy import can, working_opd_ids
from pressroom.web.forms import (
    BeatForm,
    ConfirmForm,
    ConsentForm,
    EraseForm,
    JournalistForm,
    NotesForm,
    OpdChoiceForm,
    OutletForm,
    choices,
    show_errors,
)
from pressroom.web.pagination import Page
from pressroom.web.security import permission_required

bp = Blueprint("journalists", __name__, url_prefix="/app/wartawan")

OUTLET_TYPE_LABELS = {
    "cetak": _l("Print"),
    "online": _l("Online"),
    "tv": _l("TV"),
    "radio": _l("Radio"),
    "kantor_berita": _l("News agency"),
}
DEWAN_PERS_LABELS = {
    "faktual": _l("Verified (administrative and factual)"),
    "administratif": _l("Verified (administrative)"),
    "belum": _l("Not verified"),
}
UKW_LABELS = {"muda": _l("Wartawan Muda"), "madya": _l("Wartawan Madya"), "utama": _l("Wartawan Utama")}
CHANNEL_LABELS = {"email": _l("Email"), "whatsapp": _l("WhatsApp")}
CONSENT_LABELS = {
    "awaiting": _l("awaiting consent"),
    "given": _l("consent given"),
    "withdrawn": _l("consent withdrawn"),
}
ERASURE_LABELS = {
    "subject_request": _l("The journalist asked for erasure"),
    "left_profession": _l("Left the profession"),
    "deceased": _l("Deceased"),
    "duplicate": _l("Duplicate record"),
    "other": _l("Other (see reference)"),
}


@bp.context_processor
def _labels():
    def resolved(labels):  # translate once per request, not once per table cell
        return {key: str(text) for key, text in labels.items()}

    return {
        "OUTLET_TYPE_LABELS": resolved(OUTLET_TYPE_LABELS),
        "DEWAN_PERS_LABELS": resolved(DEWAN_PERS_LABELS),
        "UKW_LABELS": resolved(UKW_LABELS),
        "CHANNEL_LABELS": resolved(CHANNEL_LABELS),
        "CONSENT_LABELS": resolved(CONSENT_LABELS),
        "display_phone": display_phone,
    }


def _my_opds() -> list[Opd]:
    """OPDs in which the current user keeps journalist relations (follow, notes)."""
    ids = working_opd_ids(current_user)
    if not ids:
        return []
    return list(db.session.scalars(select(Opd).where(Opd.id.in_(ids)).order_by(Opd.short_name)))


def _load(journalist_id: int) -> Journalist | None:
    journalist = db.session.get(Journalist, journalist_id)
    if journalist is None or journalist.status == "erased":
        return None
    return journalist


def _filters() -> journalists.Filters:
    args = request.args
    return journalists.Filters(
        q=(args.get("q") or "").strip()[:100],
        opd_id=args.get("opd", type=int),
        beat_id=args.get("beat", type=int),
        region_code=(args.get("region") or None),
        outlet_type=args.get("outlet_type") or None,
        channel=args.get("channel") or None,
        consent=args.get("consent") or None,
        status=args.get("status") or "active",
        sort=args.get("sort") if args.get("sort") in journalists.SORTS else "name",
    )


def _vocabularies() -> dict:
    """The filter choices, read as plain rows (attributes as on the models)."""
    return {
        "all_opds": db.session.execute(
            select(Opd.id, Opd.short_name).where(Opd.is_active.is_(True)).order_by(Opd.short_name)
        ).all(),
        "beats": db.session.execute(
            select(Beat.id, Beat.name).where(Beat.is_active.is_(True)).order_by(Beat.name)
        ).all(),
        "regions": db.session.execute(select(Region.code, Region.name).order_by(Region.code)).all(),
    }


# List ----------------------------------------------------------------------------------
@bp.get("/")
@permission_required("journalist.view")
def index():
    filters = _filters()
    number = max(1, request.args.get("page", 1, type=int) or 1)
    my_opd_ids = working_opd_ids(current_user)
    items, total = journalists.search_page(db.session, filters, number, per_page=50, my_opd_ids=my_opd_ids)
    page = Page(items, number, 50, total)
    return render_template(
        "journalists/index.html",
        page=page,
        filters=filters,
        outlets={
            o.id: o
            for o in db.session.execute(
                select(Outlet.id, Outlet.name, Outlet.type).where(
                    Outlet.id.in_({j.outlet_id for j in page.items if j.outlet_id})
                )
            )
        },
        can_export=can(current_user, "journalist.export"),
        **_vocabularies(),
    )


# Create and edit ----------------------------------------------------------------------------
def _journalist_form(journalist: Journalist | None = None) -> JournalistForm:
    form = JournalistForm()
    vocab = _vocabularies()
    outlets = db.session.scalars(select(Outlet).order_by(Outlet.name)).all()
    form.outlet_id.choices = choices([(0, _l("— none / freelance —"))] + [(o.id, o.name) for o in outlets])
    channel_choices = [("", _l("— none —"))] + [(c, CHANNEL_LABELS[c]) for c in CHANNELS]
    form.first_channel.choices = choices(channel_choices)
    form.second_channel.choices = choices(channel_choices)
    form.beat_ids.choices = choices((b.id, b.name) for b in vocab["beats"])
    form.region_codes.choices = choices((r.code, f"{r.name} ({r.code})") for r in vocab["regions"])
    form.ukw_level.choices = choices([("", _l("— not tested —"))] + [(u, UKW_LABELS[u]) for u in UKW_LEVELS])
    mine = _my_opds() or (vocab["all_opds"] if can(current_user, "admin.manage") else [])
    form.opd_id.choices = choices((o.id, o.short_name) for o in mine)
    if request.method == "GET" and journalist is not None:
        form.full_name.data = journalist.full_name
        form.outlet_id.data = journalist.outlet_id or 0
        form.position.data = journalist.position
        form.emails.data = "\n".join(e.address for e in journalist.emails)
        form.phones.data = "\n".join(display_phone(p.e164) for p in journalist.phones)
        prefs = list(journalist.preferred_channels or []) + ["", ""]
        form.first_channel.data, form.second_channel.data = prefs[0], prefs[1]
        form.beat_ids.data = [b.id for b in journalist.beats]
        form.province_wide.data = journalist.province_wide
        form.region_codes.data = [r.code for r in journalist.regions]
        form.ukw_level.data = journalist.ukw_level or ""
        form.press_card_issuer.data = journalist.press_card_issuer
    return form


def _clean(form: JournalistForm) -> journalists.JournalistData:
    return journalists.clean_input(
        db.session,
        full_name=form.full_name.data,
        outlet_id=form.outlet_id.data or None,
        position=form.position.data,
        ukw_level=form.ukw_level.data or None,
        press_card_issuer=form.press_card_issuer.data,
        province_wide=form.province_wide.data,
        region_codes=form.region_codes.data,
        beat_ids=form.beat_ids.data,
        emails=(form.emails.data or "").replace(",", "\n").replace(";", "\n").splitlines(),
        phones=(form.phones.data or "").replace(",", "\n").replace(";", "\n").splitlines(),
        preferred_channels=[c for c in (form.first_channel.data, form.second_channel.data) if c],
    )


@bp.route("/baru", methods=["GET", "POST"])
@permission_required("journalist.edit")
def new():
    form = _journalist_form()
    duplicates: list[Journalist] = []
    if not form.opd_id.choices:
        flash(_l("You need a membership in an OPD to add journalists."), "error")
        return redirect(url_for("journalists.index"))
    if form.validate_on_submit():
        opd = db.session.get(Opd, form.opd_id.data) or abort(400)
        if not can(current_user, "journalist.import", opd):
            abort(403)
        try:
            data = _clean(form)
            duplicates = journalists.find_duplicates(db.session, data)
            if duplicates and not form.different_person.data:
                flash(
                    _l(
                        "Someone with the same number or email is already in the province's directory. "
                        "Open the existing record and follow it, or confirm this is a different person."
                    ),
                    "warning",
                )
            else:
                journalist = journalists.create_journalist(db.session, current_user, opd, data)
                db.session.commit()
                flash(_l("%(name)s was added to the directory.", name=journalist.full_name), "success")
                return redirect(url_for("journalists.detail", journalist_id=journalist.id))
        except ValidationError as exc:
            show_errors(exc, form)
    status = 400 if (form.errors or duplicates) else 200
    return render_template("journalists/form.html", form=form, journalist=None, duplicates=duplicates), status


@bp.route("/<int:journalist_id>/ubah", methods=["GET", "POST"])
@permission_required("journalist.edit")
def edit(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    form = _journalist_form(journalist)
    form.opd_id.validators = []
    form.opd_id.choices = choices([(0, "-")]) if not form.opd_id.choices else form.opd_id.choices
    if request.method == "POST":
        form.opd_id.data = form.opd_id.choices[0].value
    if form.validate_on_submit():
        try:
            data = _clean(form)
            clash = journalists.find_duplicates(db.session, data, exclude_id=journalist.id)
            if clash and not form.different_person.data:
                flash(
                    _l(
                        "Another record has the same number or email. Check it, or confirm this is a "
                        "different person."
                    ),
                    "warning",
                )
                return render_template(
                    "journalists/form.html", form=form, journalist=journalist, duplicates=clash
                ), 400
            journalists.update_journalist(db.session, current_user, journalist, data)
            db.session.commit()
            flash(_l("Changes saved."), "success")
            return redirect(url_for("journalists.detail", journalist_id=journalist.id))
        except ValidationError as exc:
            show_errors(exc, form)
    return render_template("journalists/form.html", form=form, journalist=journalist, duplicates=[]), (
        400 if form.errors else 200
    )


# Profile and relations -----------------------------------------------------------------------
@bp.get("/<int:journalist_id>")
@permission_required("journalist.view")
def detail(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    mine = _my_opds()
    my_links = {o.id: journalist.link_for(o.id) for o in mine}
    following = [link.opd for link in journalist.links if link.following]
    return render_template(
        "journalists/detail.html",
        j=journalist,
        my_opds=mine,
        my_links=my_links,
        following=following,
        notes_form=NotesForm(),
        consent_form=ConsentForm(),
        csrf_form=ConfirmForm(),
        can_archive=can(current_user, "journalist.archive"),
        can_pdp=can(current_user, "journalist.pdp"),
        consent_requests=journalist_self.latest_consent_requests(db.session, journalist),
        request_opds=_consent_request_opds(),
        erasure_request=journalist_self.open_erasure_request(db.session, journalist),
    )


def _consent_request_opds() -> list[Opd]:
    """OPDs a consent request may be sent for: the user's own; every active one for admins."""
    mine = _my_opds()
    if mine or not can(current_user, "admin.manage"):
        return mine
    return list(db.session.scalars(select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name)))


@bp.post("/<int:journalist_id>/permintaan-persetujuan")
@permission_required("journalist.edit")
def consent_request(journalist_id: int):
    """Send an opt-in message with a confirm link to a contact awaiting consent on a channel."""
    journalist = _load(journalist_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    channel = request.form.get("channel")
    opd = next((o for o in _consent_request_opds() if str(o.id) == request.form.get("opd_id")), None)
    if channel not in CHANNELS or opd is None:
        abort(400)
    try:
        journalist_self.send_consent_request(
            db.session, current_user, journalist, channel, opd, current_app.config
        )
    except ValidationError as exc:
        show_errors(exc)
    else:
        db.session.commit()
        flash(_l("Consent request sent by %(channel)s.", channel=CHANNEL_LABELS[channel]), "success")
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


def _opd_from_form() -> Opd:
    form = OpdChoiceForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in _my_opds())
    if not form.validate_on_submit():
        abort(400)
    opd = db.session.get(Opd, form.opd_id.data) or abort(400)
    if not can(current_user, "journalist.opd_link", opd):
        abort(403)
    return opd


@bp.post("/<int:journalist_id>/ikuti")
@permission_required("journalist.edit")
def follow(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    opd = _opd_from_form()
    journalists.follow(db.session, current_user, journalist, opd)
    db.session.commit()
    flash(_l("%(opd)s now follows this journalist.", opd=opd.short_name), "success")
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


@bp.post("/<int:journalist_id>/berhenti-ikuti")
@permission_required("journalist.edit")
def unfollow(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    opd = _opd_from_form()
    journalists.unfollow(db.session, current_user, journalist, opd)
    db.session.commit()
    flash(_l("%(opd)s no longer follows this journalist.", opd=opd.short_name), "success")
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


@bp.post("/<int:journalist_id>/catatan")
@permission_required("journalist.edit")
def notes(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    form = NotesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        opd = db.session.get(Opd, int(form.opd_id.data or 0)) or abort(400)
    except ValueError:
        abort(400)
    if not can(current_user, "journalist.opd_link", opd):
        abort(403)
    journalists.set_notes(db.session, current_user, journalist, opd, form.notes.data)
    db.session.commit()
    flash(_l("Notes saved."), "success")
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


@bp.post("/<int:journalist_id>/persetujuan")
@permission_required("journalist.edit")
def consent(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    form = ConsentForm()
    if not form.validate_on_submit() or form.channel.data not in CHANNELS:
        abort(400)
    try:
        if form.action.data == "withdraw":
            journalists.withdraw_consent(
                db.session,
                current_user,
                journalist,
                form.channel.data,
                how=form.method.data or _l("recorded by staff"),
            )
            flash(_l("Consent withdrawn: nothing more is sent on this channel."), "success")
        else:
            journalists.record_consent(
                db.session,
                current_user,
                journalist,
                form.channel.data,
                method=form.method.data,
                basis=form.basis.data,
            )
            flash(_l("Consent recorded."), "success")
        db.session.commit()
    except ValidationError as exc:
        show_errors(exc)
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


@bp.post("/<int:journalist_id>/arsip")
@permission_required("journalist.archive")
def archive(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        journalists.archive(db.session, current_user, journalist)
        db.session.commit()
        flash(_l("Archived: the record is kept but no longer listed or contacted."), "success")
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


@bp.post("/<int:journalist_id>/pulihkan")
@permission_required("journalist.archive")
def restore(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        journalists.restore(db.session, current_user, journalist)
        db.session.commit()
        flash(_l("Restored to the directory."), "success")
    return redirect(url_for("journalists.detail", journalist_id=journalist.id))


# Exports --------------------------------------------------------------------------------------
EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "export_csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "export_xlsx"),
    "vcf": ("text/vcard; charset=utf-8", "export_vcard"),
}


@bp.get("/ekspor.<fmt>")
@writes_on_get
@permission_required("journalist.export")
def export(fmt: str):
    from pressroom.services import directory_export

    if fmt not in EXPORT_TYPES:
        abort(404)
    mimetype, function = EXPORT_TYPES[fmt]
    filters = _filters()
    rows = (
        db.session.scalars(journalists.with_list_details(journalists.search_query(db.session, filters)))
        .unique()
        .all()
    )
    exporter = getattr(directory_export, function)
    body = exporter(rows) if fmt == "vcf" else exporter(rows, lang=str(get_locale()))
    audit.record(
        db.session,
        current_user,
        "journalist.exported",
        object_type="journalist",
        opd_id=filters.opd_id,
        details={
            "format": fmt,
            "count": len(rows),
            "opd": filters.opd_id,
            "beat": filters.beat_id,
            "region": filters.region_code,
            "searched": bool(filters.q),
        },
    )
    db.session.commit()
    stamp = clock.to_wib(clock.now()).strftime("%Y%m%d-%H%M")
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="wartawan-{stamp}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


# Personal data (UU 27/2022 PDP) ---------------------------------------------------------------
@bp.get("/<int:journalist_id>/data.json")
@writes_on_get
@permission_required("journalist.pdp")
def access_export(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    payload = journalists.subject_access_export(db.session, journalist)
    audit.record(db.session, current_user, "journalist.access_exported", journalist)
    db.session.commit()
    return Response(
        json.dumps(payload, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="wartawan-{journalist.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:journalist_id>/hapus", methods=["GET", "POST"])
@permission_required("journalist.pdp")
def erase(journalist_id: int):
    journalist = _load(journalist_id) or abort(404)
    form = EraseForm()
    form.reason.choices = choices((r, ERASURE_LABELS[r]) for r in journalists.ERASURE_REASONS)
    if form.validate_on_submit():
        journalists.erase(
            db.session, current_user, journalist, reason=form.reason.data, reference=form.reference.data
        )
        journalist_self.close_erasure_requests(db.session, current_user, journalist)
        db.session.commit()
        flash(
            _l("The journalist's personal data was erased. The audit log keeps that it happened."), "success"
        )
        return redirect(url_for("journalists.index"))
    return render_template("journalists/erase.html", j=journalist, form=form), (400 if form.errors else 200)


@bp.get("/permintaan-penghapusan")
@permission_required("journalist.pdp")
def erasure_requests():
    """Open erasure requests from journalists' own pages, the nearest deadline first."""
    from pressroom.web.press_self import time_left

    rows = journalist_self.open_erasure_requests(db.session)
    return render_template("journalists/erasure_requests.html", rows=rows, time_left=time_left)


# Outlets -----------------------------------------------------------------------------------
def _outlet_form(outlet: Outlet | None = None) -> OutletForm:
    form = OutletForm(obj=outlet)
    form.type.choices = choices((t, OUTLET_TYPE_LABELS[t]) for t in OUTLET_TYPES)
    form.dewan_pers.choices = choices((d, DEWAN_PERS_LABELS[d]) for d in DEWAN_PERS_STATES)
    form.region_code.choices = choices(
        [("", _l("National / whole province"))]
        + [(r.code, r.name) for r in db.session.scalars(select(Region).order_by(Region.code))]
    )
    return form


@bp.get("/media")
@permission_required("journalist.view")
def outlets():
    counts = dict(
        db.session.execute(
            select(Journalist.outlet_id, func.count())
            .where(Journalist.status == "active")
            .group_by(Journalist.outlet_id)
        ).all()
    )
    rows = db.session.scalars(select(Outlet).order_by(Outlet.name)).all()
    return render_template("journalists/outlets.html", outlets=rows, counts=counts)


@bp.route("/media/baru", methods=["GET", "POST"])
@permission_required("journalist.edit")
def outlet_new():
    form = _outlet_form()
    if form.validate_on_submit():
        try:
            outlet = _save_outlet(None, form)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Outlet %(name)s saved.", name=outlet.name), "success")
            return redirect(url_for("journalists.outlets"))
    return render_template("journalists/outlet_form.html", form=form, outlet=None), (
        400 if form.errors else 200
    )


@bp.route("/media/<int:outlet_id>", methods=["GET", "POST"])
@permission_required("journalist.edit")
def outlet_edit(outlet_id: int):
    outlet = db.session.get(Outlet, outlet_id) or abort(404)
    form = _outlet_form(outlet)
    if form.validate_on_submit():
        try:
            _save_outlet(outlet, form)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Outlet %(name)s saved.", name=outlet.name), "success")
            return redirect(url_for("journalists.outlets"))
    return render_template("journalists/outlet_form.html", form=form, outlet=outlet), (
        400 if form.errors else 200
    )


def _save_outlet(outlet: Outlet | None, form: OutletForm) -> Outlet:
    from pressroom.services import outlets as outlet_service

    values = {
        "name": form.name.data,
        "type": form.type.data,
        "dewan_pers": form.dewan_pers.data,
        "region_code": form.region_code.data or None,
    }
    if outlet is None:
        return outlet_service.create_outlet(db.session, current_user, **values)
    outlet_service.update_outlet(db.session, current_user, outlet, **values)
    return outlet


# Beats (managed vocabulary) ------------------------------------------------------------------
@bp.route("/pos-liputan", methods=["GET", "POST"])
@permission_required("vocabulary.manage")
def beats():
    from pressroom.services import outlets as vocabulary

    form = BeatForm()
    if form.validate_on_submit():
        try:
            vocabulary.create_beat(db.session, current_user, form.name.data)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Beat added."), "success")
            return redirect(url_for("journalists.beats"))
    rows = db.session.scalars(select(Beat).order_by(Beat.name)).all()
    return render_template("journalists/beats.html", beats=rows, form=form, csrf_form=ConfirmForm()), (
        400 if form.errors else 200
    )


@bp.post("/pos-liputan/<int:beat_id>")
@permission_required("vocabulary.manage")
def beat_edit(beat_id: int):
    from pressroom.services import outlets as vocabulary

    beat = db.session.get(Beat, beat_id) or abort(404)
    form = BeatForm()
    if form.validate_on_submit():
        try:
            vocabulary.update_beat(
                db.session, current_user, beat, name=form.name.data, is_active=form.is_active.data
            )
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            flash(_l("Changes saved."), "success")
    return redirect(url_for("journalists.beats"))

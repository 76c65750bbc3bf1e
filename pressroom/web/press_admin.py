"""An OPD's press set-up under /app/pers: its settings (release numbering, the public
contact card, which channels alerts go out on) and its saved audience lists."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import inspect, select
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import AudienceList, Journalist, Opd, Outlet
from pressroom.press import numbering
from pressroom.services import ValidationError, audience_lists, journalists, press_profiles
from pressroom.services.contact_points import display_phone
from pressroom.services.policy import can, working_opd_ids
from pressroom.web.forms import REQUIRED, ConfirmForm, choices, show_errors
from pressroom.web.security import permission_required

bp = Blueprint("press_admin", __name__, url_prefix="/app/pers")

#: How many directory matches the "add members" search shows.
SEARCH_LIMIT = 25

PROVIDER_LABELS = {
    "sandbox": _l("Sandbox (nothing is sent; the sandbox feed shows each message)"),
    "cloud": _l("WhatsApp Cloud API (official, Meta)"),
    "fonnte": _l("Fonnte (unofficial gateway)"),
    "wablas": _l("Wablas (unofficial gateway)"),
}


# Settings ------------------------------------------------------------------------------------
class PressSettingsForm(FlaskForm):
    number_pattern = StringField(_l("Numbering pattern"),
                                 validators=[Length(max=numbering.PATTERN_MAX_LENGTH)])
    classification = StringField(_l("Default classification code"), validators=[Length(max=20)],
                                 render_kw={"placeholder": "480"})
    contact_name = StringField(_l("Spokesperson's name"), validators=[Optional(), Length(max=150)])
    contact_position = StringField(_l("Position"), validators=[Optional(), Length(max=150)],
                                   render_kw={"placeholder": "Kepala Bidang Informasi dan Komunikasi Publik"})
    contact_phone = StringField(_l("Phone / WhatsApp"), validators=[Optional(), Length(max=40)],
                                render_kw={"inputmode": "tel", "placeholder": "0812-3456-7890"})
    contact_email = StringField(_l("Email"), validators=[Optional(), Length(max=254)],
                                render_kw={"inputmode": "email"})
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=300)], render_kw={"rows": 2})
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200)],
                          render_kw={"inputmode": "url", "placeholder": "https://"})
    action = HiddenField(default="save")


def _load_opd(opd_id: int) -> Opd | None:
    return db.session.get(Opd, opd_id)


@bp.route("/pengaturan/<int:opd_id>", methods=["GET", "POST"])
@permission_required("press.settings", _load_opd)
def settings(opd_id: int, obj: Opd):
    opd = obj
    profile = press_profiles.get_profile(db.session, opd.id)
    form = PressSettingsForm(obj=profile if request.method == "GET" else None)
    if request.method == "GET":
        form.contact_phone.data = display_phone(profile.contact_phone) if profile.contact_phone else ""
    pattern, classification = profile.number_pattern, profile.classification
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in press_profiles.FIELDS}
        pattern, classification = values["number_pattern"] or "", values["classification"] or ""
        try:
            if request.form.get("action") == "preview":
                # Show what the typed pattern gives, and save nothing.
                press_profiles.clean_profile(opd, values)
            else:
                changed = press_profiles.save_profile(db.session, current_user, opd, values)
                db.session.commit()
                flash(_l("Press settings saved.") if changed else _l("Nothing was changed."), "success")
                return redirect(url_for("press_admin.settings", opd_id=opd.id))
        except ValidationError as exc:
            show_errors(exc, form)
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "press_admin/settings.html", opd=opd, form=form, saved=inspect(profile).has_identity,
        example=press_profiles.example_number(pattern, opd, classification),
        example_day=clock.now(), tokens=numbering.TOKENS_HELP, sequence=press_profiles.EXAMPLE_SEQUENCE,
        setup=press_profiles.delivery_setup(current_app.config), provider_labels=PROVIDER_LABELS,
    ), status


# Audience lists --------------------------------------------------------------------------------
class NewListForm(FlaskForm):
    opd_id = SelectField(_l("OPD"), coerce=int)
    name = StringField(_l("Name of the list"), validators=[REQUIRED, Length(max=audience_lists.NAME_MAX)],
                       render_kw={"placeholder": "Media peliput pertanian"})


class RenameListForm(FlaskForm):
    name = StringField(_l("Name of the list"), validators=[REQUIRED, Length(max=audience_lists.NAME_MAX)])


def _my_opds() -> list[Opd]:
    ids = working_opd_ids(current_user)
    if not ids:
        return []
    return list(db.session.scalars(select(Opd).where(Opd.id.in_(ids)).order_by(Opd.short_name)))


@bp.route("/daftar", methods=["GET", "POST"])
@permission_required("journalist.view")
def lists():
    mine = _my_opds()
    form = NewListForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in mine)
    status = 200
    if request.method == "POST":
        status = 400
        if not mine:
            flash(_l("You need a membership in an OPD to keep audience lists."), "error")
        elif form.validate_on_submit():
            opd = db.session.get(Opd, form.opd_id.data) or abort(400)
            if not can(current_user, "opd.edit", opd):
                abort(403)
            try:
                audience = audience_lists.create_list(db.session, current_user, opd, form.name.data)
            except ValidationError as exc:
                show_errors(exc, form)
            else:
                db.session.commit()
                flash(_l("List “%(name)s” created. Add journalists to it below.", name=audience.name),
                      "success")
                return redirect(url_for("press_admin.list_detail", list_id=audience.id))
    summaries = audience_lists.lists_of(db.session, {o.id for o in mine})
    by_opd = {o.id: [s for s in summaries if s.opd_id == o.id] for o in mine}
    return render_template("press_admin/lists.html", opds=mine, by_opd=by_opd, form=form), status


def _load_list(list_id: int) -> AudienceList | None:
    return db.session.get(AudienceList, list_id)


@bp.route("/daftar/<int:list_id>", methods=["GET", "POST"])
@permission_required("opd.edit", _load_list)
def list_detail(list_id: int, obj: AudienceList):
    audience = obj
    rename_form = RenameListForm(prefix="rename")
    status = 200
    if request.method == "POST":
        outcome = _change_list(audience, rename_form)
        if outcome is not None:
            return outcome
        status = 400
    elif request.method == "GET":
        rename_form.name.data = audience.name
    q = (request.args.get("q") or "").strip()[:100]
    members = audience_lists.members(db.session, audience)
    on_list = {m.journalist_id for m in members}
    found: list = []
    if q:
        query = journalists.search_query(db.session, journalists.Filters(q=q)).limit(SEARCH_LIMIT)
        found = db.session.execute(query.with_only_columns(
            Journalist.id, Journalist.full_name, Journalist.position, Journalist.outlet_id)).all()
    outlets = dict(db.session.execute(select(Outlet.id, Outlet.name).where(
        Outlet.id.in_({row.outlet_id for row in found if row.outlet_id}))).all()) if found else {}
    return render_template(
        "press_admin/list_detail.html", audience=audience, opd=db.session.get(Opd, audience.opd_id),
        members=members, counted=sum(m.counts for m in members), rename_form=rename_form,
        csrf_form=ConfirmForm(), q=q, found=found, on_list=on_list, outlets=outlets,
        search_limit=SEARCH_LIMIT,
    ), status


def _ids(name: str) -> list[int]:
    try:
        return [int(value) for value in request.form.getlist(name) if value.strip()]
    except ValueError:
        abort(400)


def _change_list(audience: AudienceList, rename_form: RenameListForm):
    """Carry out the POSTed action; a redirect when done, None to show the page with errors."""
    action = request.form.get("action")
    if action == "rename":
        if not rename_form.validate_on_submit():
            return None
        try:
            renamed = audience_lists.rename_list(db.session, current_user, audience, rename_form.name.data)
        except ValidationError as exc:
            show_errors(exc, rename_form)
            return None
        db.session.commit()
        if renamed:
            flash(_l("The list is now called “%(name)s”.", name=audience.name), "success")
        return redirect(url_for("press_admin.list_detail", list_id=audience.id))
    if not ConfirmForm().validate_on_submit():
        flash(_l("This form has expired or did not come from Pressroom. Nothing was changed; "
                 "please go back, reload the page and try again."), "error")
        return None
    back = url_for("press_admin.list_detail", list_id=audience.id, q=request.form.get("q") or None)
    if action == "add":
        added = audience_lists.add_members(db.session, current_user, audience, _ids("journalist_id"))
        db.session.commit()
        flash(_l("%(count)s journalist(s) added to the list.", count=added) if added
              else _l("Nobody was added: choose journalists from the search results."),
              "success" if added else "warning")
        return redirect(back)
    if action == "remove":
        removed = audience_lists.remove_members(db.session, current_user, audience, _ids("journalist_id"))
        db.session.commit()
        flash(_l("%(count)s journalist(s) removed from the list.", count=removed), "success")
        return redirect(back)
    if action == "delete":
        name = audience.name
        try:
            audience_lists.delete_list(db.session, current_user, audience)
        except ValidationError as exc:
            show_errors(exc)
            return None
        db.session.commit()
        flash(_l("List “%(name)s” deleted.", name=name), "success")
        return redirect(url_for("press_admin.lists"))
    flash(_l("The request could not be understood. Nothing was changed."), "error")
    return None

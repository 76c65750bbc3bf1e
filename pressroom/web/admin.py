"""Diskominfo administration under /app/admin: OPDs, users, memberships, acting officials,
and the audit log. Every route asks the policy; every change is audited by its service."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import ActingAppointment, AuditEntry, Membership, Opd, User
from pressroom.models.user import ROLES
from pressroom.services import ValidationError, opds, users
from pressroom.services.auth import reset_two_factor
from pressroom.storage import get_storage
from pressroom.web.forms import (
    ActingForm,
    ConfirmForm,
    DeactivateForm,
    MembershipForm,
    OpdForm,
    UserEditForm,
    UserForm,
    choices,
    flash_form_errors,
    show_errors,
)
from pressroom.web.pagination import paginate
from pressroom.web.security import permission_required

bp = Blueprint("admin", __name__, url_prefix="/app/admin")


def _all_opds() -> list[Opd]:
    return db.session.scalars(select(Opd).order_by(Opd.short_name)).all()


def _load_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


# Overview ------------------------------------------------------------------------------
@bp.get("/")
@permission_required("admin.manage")
def index():
    counts = {
        "opds": db.session.scalar(select(func.count()).select_from(Opd)),
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.is_active.is_(True))),
        "acting": db.session.scalar(
            select(func.count()).select_from(ActingAppointment).where(
                ActingAppointment.revoked_at.is_(None), ActingAppointment.ends_at > clock.now()
            )
        ),
    }
    return render_template("admin/index.html", counts=counts)


# OPDs -----------------------------------------------------------------------------------
@bp.get("/opd")
@permission_required("admin.manage")
def opd_list():
    return render_template("admin/opd_list.html", opds=_all_opds())


@bp.route("/opd/new", methods=["GET", "POST"])
@permission_required("admin.manage")
def opd_new():
    form = OpdForm(data={"primary_color": "#1f4e79", "accent_color": "#f2a900", "is_active": True})
    if form.validate_on_submit():
        try:
            opd = opds.create_opd(db.session, current_user, get_storage(), **_opd_values(form))
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("The OPD %(name)s was created.", name=opd.short_name), "success")
            return redirect(url_for("admin.opd_list"))
    return render_template("admin/opd_form.html", form=form, opd=None), (400 if form.errors else 200)


def _opd_values(form: OpdForm) -> dict:
    return {f: form._fields[f].data for f in
            ("code", "name", "short_name", "kind", "primary_color", "accent_color", "is_active",
             "approval_steps")}


@bp.route("/opd/<int:opd_id>", methods=["GET", "POST"])
@permission_required("admin.manage")
def opd_edit(opd_id: int):
    opd = db.session.get(Opd, opd_id) or abort(404)
    form = OpdForm(obj=opd)
    if form.validate_on_submit():
        try:
            changed = opds.update_opd(db.session, current_user, get_storage(), opd, **_opd_values(form))
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            if changed:
                flash(_l("Changes saved."), "success")
            return redirect(url_for("admin.opd_list"))
    return render_template("admin/opd_form.html", form=form, opd=opd), (400 if form.errors else 200)


# Users ----------------------------------------------------------------------------------
@bp.get("/users")
@permission_required("admin.manage")
def user_list():
    q = (request.args.get("q") or "").strip()
    opd_id = request.args.get("opd", type=int)
    role = request.args.get("role") or ""
    status = request.args.get("status") or "active"
    query = select(User).options(selectinload(User.memberships)).order_by(User.full_name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(like), func.lower(User.email).like(like)))
    if opd_id or role in ROLES:
        member = select(Membership.user_id).where(Membership.ended_at.is_(None))
        if opd_id:
            member = member.where(Membership.opd_id == opd_id)
        if role in ROLES:
            member = member.where(Membership.role == role)
        query = query.where(User.id.in_(member))
    if status == "active":
        query = query.where(User.is_active.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active.is_(False))
    page = paginate(db.session, query)
    return render_template(
        "admin/user_list.html", page=page, opds=_all_opds(), roles=ROLES,
        filters={"q": q, "opd": opd_id, "role": role, "status": status},
    )


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required("admin.manage")
def user_new():
    form = UserForm()
    if form.validate_on_submit():
        password = users.temporary_password()
        try:
            user = users.create_user(
                db.session, current_user, email=form.email.data, full_name=form.full_name.data,
                nip=form.nip.data, password=password, must_change_password=True,
            )
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Account created. Give this temporary password to %(name)s in person; it is "
                     "shown only once and must be changed at first login: %(password)s",
                     name=user.full_name, password=password), "secret")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("admin.manage", _load_user)
def user_detail(user_id: int, obj: User):
    form = UserEditForm(obj=obj)
    if request.method == "POST" and form.validate_on_submit():
        try:
            users.update_user(db.session, current_user, obj, full_name=form.full_name.data, nip=form.nip.data)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Changes saved."), "success")
            return redirect(url_for("admin.user_detail", user_id=obj.id))
    membership_form = MembershipForm()
    membership_form.opd_id.choices = choices((o.id, o.short_name) for o in _all_opds())
    return render_template(
        "admin/user_detail.html", user=obj, form=form, membership_form=membership_form,
        csrf_form=ConfirmForm(), now=clock.now(),
    ), (400 if form.errors else 200)


@bp.post("/users/<int:user_id>/memberships")
@permission_required("admin.manage", _load_user)
def membership_add(user_id: int, obj: User):
    form = MembershipForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in _all_opds())
    if form.validate_on_submit():
        opd = db.session.get(Opd, form.opd_id.data) or abort(400)
        try:
            users.add_membership(
                db.session, current_user, obj, opd=opd, role=form.role.data,
                position_title=form.position_title.data, level=form.level.data,
            )
        except ValidationError as exc:
            show_errors(exc)
        else:
            db.session.commit()
            flash(_l("Membership added."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("admin.user_detail", user_id=obj.id))


@bp.post("/memberships/<int:membership_id>/end")
@permission_required("admin.manage")
def membership_end(membership_id: int):
    membership = db.session.get(Membership, membership_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        users.end_membership(db.session, current_user, membership)
        db.session.commit()
        flash(_l("Membership ended."), "success")
    return redirect(url_for("admin.user_detail", user_id=membership.user_id))


@bp.post("/users/<int:user_id>/reset-password")
@permission_required("admin.manage", _load_user)
def user_reset_password(user_id: int, obj: User):
    if ConfirmForm().validate_on_submit():
        password = users.reset_password(db.session, current_user, obj)
        db.session.commit()
        flash(_l("Password reset. Give this temporary password to %(name)s in person; it is shown "
                 "only once: %(password)s", name=obj.full_name, password=password), "secret")
    return redirect(url_for("admin.user_detail", user_id=obj.id))


@bp.post("/users/<int:user_id>/reset-2fa")
@permission_required("admin.manage", _load_user)
def user_reset_two_factor(user_id: int, obj: User):
    if ConfirmForm().validate_on_submit():
        reset_two_factor(db.session, current_user, obj)
        db.session.commit()
        flash(_l("Two-factor login was reset; %(name)s will set it up again at next login.",
                 name=obj.full_name), "success")
    return redirect(url_for("admin.user_detail", user_id=obj.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@permission_required("admin.manage", _load_user)
def user_deactivate(user_id: int, obj: User):
    form = DeactivateForm()
    if form.validate_on_submit():
        try:
            users.deactivate_user(db.session, current_user, obj, reason=form.reason.data)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("%(name)s was deactivated; memberships ended and acting appointments revoked.",
                     name=obj.full_name), "success")
            return redirect(url_for("admin.user_detail", user_id=obj.id))
    return render_template("admin/user_deactivate.html", form=form, user=obj), (400 if form.errors else 200)


@bp.post("/users/<int:user_id>/reactivate")
@permission_required("admin.manage", _load_user)
def user_reactivate(user_id: int, obj: User):
    if ConfirmForm().validate_on_submit():
        users.reactivate_user(db.session, current_user, obj)
        db.session.commit()
        flash(_l("%(name)s was reactivated. Add the memberships of the new position.",
                 name=obj.full_name), "success")
    return redirect(url_for("admin.user_detail", user_id=obj.id))


# Acting appointments (Plt./Plh.) --------------------------------------------------------
@bp.get("/acting")
@permission_required("admin.manage")
def acting_list():
    show = request.args.get("show", "current")
    now = clock.now()
    query = select(ActingAppointment).options(selectinload(ActingAppointment.user)).order_by(
        ActingAppointment.starts_at.desc()
    )
    if show == "current":
        query = query.where(ActingAppointment.revoked_at.is_(None), ActingAppointment.ends_at > now)
    page = paginate(db.session, query)
    return render_template("admin/acting_list.html", page=page, show=show, now=now, csrf_form=ConfirmForm())


@bp.route("/acting/new", methods=["GET", "POST"])
@permission_required("admin.manage")
def acting_new():
    form = ActingForm()
    active_users = db.session.scalars(
        select(User).where(User.is_active.is_(True)).order_by(User.full_name)
    ).all()
    form.user_id.choices = choices((u.id, f"{u.full_name} ({u.email})") for u in active_users)
    form.opd_id.choices = choices((o.id, o.short_name) for o in _all_opds() if o.is_active)
    if request.method == "GET":
        form.user_id.data = request.args.get("user_id", type=int)
        form.opd_id.data = request.args.get("opd_id", type=int)
        start = clock.to_wib(clock.now()).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        form.starts_at.data = start
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data) or abort(400)
        opd = db.session.get(Opd, form.opd_id.data) or abort(400)
        try:
            appointment = users.appoint_acting(
                db.session, current_user, user, opd=opd, kind=form.kind.data,
                position_title=form.position_title.data, level=form.level.data,
                sk_number=form.sk_number.data, starts_at=clock.from_wib(form.starts_at.data),
                ends_at=clock.from_wib(form.ends_at.data),
            )
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("%(name)s is appointed %(title)s.", name=user.full_name,
                     title=appointment.display_title), "success")
            return redirect(url_for("admin.acting_list"))
    return render_template("admin/acting_form.html", form=form), (400 if form.errors else 200)


@bp.post("/acting/<int:appointment_id>/revoke")
@permission_required("admin.manage")
def acting_revoke(appointment_id: int):
    appointment = db.session.get(ActingAppointment, appointment_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        users.revoke_acting(db.session, current_user, appointment)
        db.session.commit()
        flash(_l("The acting appointment was revoked."), "success")
    return redirect(url_for("admin.acting_list"))


# Audit log ------------------------------------------------------------------------------
def _parse_day(raw: str | None, end: bool = False) -> datetime | None:
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d")
    except ValueError:
        return None
    return clock.from_wib(datetime.combine(day.date(), time.max if end else time.min))


@bp.get("/audit")
@permission_required("audit.view")
def audit_log():
    args = request.args
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if args.get("action"):
        query = query.where(AuditEntry.action.like(args["action"].strip() + "%"))
    if args.get("object_type"):
        query = query.where(AuditEntry.object_type == args["object_type"])
    if args.get("object_id"):
        query = query.where(AuditEntry.object_id == args["object_id"].strip())
    if args.get("actor", type=int):
        query = query.where(AuditEntry.actor_id == args.get("actor", type=int))
    if args.get("opd", type=int):
        query = query.where(AuditEntry.opd_id == args.get("opd", type=int))
    since, until = _parse_day(args.get("from")), _parse_day(args.get("to"), end=True)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at <= until)
    page = paginate(db.session, query, per_page=100)
    actor_ids = {e.actor_id for e in page.items if e.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
    object_types = db.session.scalars(
        select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()
    return render_template(
        "admin/audit.html", page=page, actors=actors, opds={o.id: o for o in _all_opds()},
        object_types=object_types, filters=args,
    )


# Sending controls: accounts, pauses and blackout windows ----------------------------------------
@bp.route("/akun", methods=["GET", "POST"])
@permission_required("sending.control")
def accounts():
    from pressroom.models.post import PLATFORMS
    from pressroom.services import sending
    from pressroom.web.forms import AccountForm

    form = AccountForm()
    form.opd_id.choices = choices((o.id, o.short_name) for o in _all_opds())
    form.platform.choices = choices((p, p.capitalize() if p != "x" else "X") for p in PLATFORMS)
    if form.validate_on_submit():
        try:
            sending.create_account(db.session, current_user, current_app.extensions["crypto"],
                                   opd_id=form.opd_id.data, platform=form.platform.data, name=form.name.data,
                                   credentials=form.credentials.data or "")
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Account added. Its credentials are stored encrypted and will not be shown again."),
                  "success")
            return redirect(url_for("admin.accounts"))
    return _accounts_page(form)


def _accounts_page(form, reconnect_form=None, reconnect_id: int | None = None):
    from pressroom.models import SocialAccount
    from pressroom.services import sending
    from pressroom.web.forms import ReconnectForm

    rows = db.session.scalars(
        select(SocialAccount).order_by(SocialAccount.opd_id, SocialAccount.platform)).all()
    failed = bool(form.errors or (reconnect_form is not None and reconnect_form.errors))
    return render_template(
        "admin/accounts.html", form=form, accounts=rows, csrf_form=ConfirmForm(),
        reconnect_form=reconnect_form or ReconnectForm(), reconnect_id=reconnect_id,
        required=sending.REQUIRED_CREDENTIALS, warning_days=current_app.config["ACCOUNT_EXPIRY_WARNING_DAYS"],
    ), (400 if failed else 200)


@bp.post("/akun/<int:account_id>/kredensial")
@permission_required("sending.control")
def account_reconnect(account_id: int):
    """New credentials for an account (a token that expired or was revoked); never shown again."""
    from pressroom.models import SocialAccount
    from pressroom.services import sending
    from pressroom.web.forms import AccountForm, ReconnectForm

    account = db.session.get(SocialAccount, account_id) or abort(404)
    reconnect_form = ReconnectForm()
    if reconnect_form.validate_on_submit():
        try:
            sending.replace_credentials(db.session, current_user, current_app.extensions["crypto"], account,
                                        reconnect_form.credentials.data)
        except ValidationError as exc:
            show_errors(exc, reconnect_form)
        else:
            db.session.commit()
            flash(_l("New credentials saved for %(name)s. Check the account to see that they work.",
                     name=account.name), "success")
            return redirect(url_for("admin.accounts"))
    form = AccountForm(formdata=None)
    form.opd_id.choices = choices((o.id, o.short_name) for o in _all_opds())
    form.platform.choices = choices([])
    return _accounts_page(form, reconnect_form, account.id)


@bp.post("/akun/<int:account_id>/periksa")
@permission_required("sending.control")
def account_check(account_id: int):
    """Ask the platform now whether the account works (the daily check, for one account)."""
    from pressroom.models import SocialAccount
    from pressroom.services import sending

    account = db.session.get(SocialAccount, account_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.accounts"))
    if account.is_sandbox:
        flash(_l("A sandbox account has nothing to check."), "info")
        return redirect(url_for("admin.accounts"))
    name = account.name
    db.session.commit()  # no transaction (nor SQLite's write lock) is held while the platform answers
    database = current_app.extensions["db"]
    found = sending.run_account_checks(database.new_session, current_app.config,
                                       current_app.extensions["crypto"], account_ids=[account_id])
    status = found.get(account_id)
    messages = {
        "ok": (_l("%(name)s works.", name=name), "success"),
        "expiring": (_l("%(name)s works, but its token expires soon: reconnect it.", name=name), "warning"),
        "failing": (_l("%(name)s does not work: see the reason below and reconnect it.", name=name), "error"),
        "unreachable": (_l("%(name)s could not be checked now: see the reason below.", name=name), "warning"),
    }
    text, category = messages.get(status, messages["unreachable"])
    flash(text, category)
    return redirect(url_for("admin.accounts"))


@bp.post("/akun/<int:account_id>/nonaktif")
@permission_required("sending.control")
def account_deactivate(account_id: int):
    from pressroom.models import SocialAccount
    from pressroom.services import sending

    account = db.session.get(SocialAccount, account_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        sending.deactivate_account(db.session, current_user, account)
        db.session.commit()
    return redirect(url_for("admin.accounts"))


@bp.route("/jeda", methods=["GET", "POST"])
@permission_required("sending.control")
def stops():
    from pressroom.models import SendingStop
    from pressroom.services import sending
    from pressroom.web.forms import StopForm

    form = StopForm()
    form.kind.choices = choices([("pause", _l("Pause now (until lifted)")),
                                 ("blackout", _l("Blackout window (set ahead)"))])
    form.opd_id.choices = choices([(0, _l("All OPDs"))] + [(o.id, o.short_name) for o in _all_opds()])
    if form.validate_on_submit():
        try:
            sending.add_stop(db.session, current_user, kind=form.kind.data, opd_id=form.opd_id.data or None,
                             reason=form.reason.data,
                             starts_at=clock.from_wib(form.starts_at.data) if form.starts_at.data else None,
                             ends_at=clock.from_wib(form.ends_at.data) if form.ends_at.data else None)
        except ValidationError as exc:
            show_errors(exc, form)
        else:
            db.session.commit()
            flash(_l("Saved. Nothing is sent while it is in force; affected posts are held for re-approval."),
                  "success")
            return redirect(url_for("admin.stops"))
    rows = db.session.scalars(select(SendingStop).order_by(SendingStop.starts_at.desc()).limit(100)).all()
    return render_template("admin/stops.html", form=form, stops=rows, opds={o.id: o for o in _all_opds()},
                           now=clock.now(), csrf_form=ConfirmForm()), (400 if form.errors else 200)


@bp.post("/jeda/<int:stop_id>/cabut")
@permission_required("sending.control")
def stop_lift(stop_id: int):
    from pressroom.models import SendingStop
    from pressroom.services import sending

    stop = db.session.get(SendingStop, stop_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        sending.lift_stop(db.session, current_user, stop)
        db.session.commit()
        flash(_l("Lifted."), "success")
    return redirect(url_for("admin.stops"))

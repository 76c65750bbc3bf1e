"""The staff area under /app: dashboard, OPD workspaces and the user's own account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import ActingAppointment, Membership, Opd, User
from pressroom.services import ValidationError, users
from pressroom.services.auth import unused_recovery_codes, verify_password
from pressroom.services.policy import capacities, visible_opd_ids
from pressroom.web.forms import ChangePasswordForm
from pressroom.web.security import permission_required

bp = Blueprint("main", __name__, url_prefix="/app")


@bp.get("/")
@permission_required("app.enter")
def dashboard():
    ids = visible_opd_ids(current_user)
    query = select(Opd).where(Opd.is_active.is_(True)).order_by(Opd.short_name)
    if ids is not None:
        query = query.where(Opd.id.in_(ids))
    opds = db.session.scalars(query).all()
    now = clock.now()
    acting_now = db.session.scalars(
        select(ActingAppointment)
        .where(ActingAppointment.revoked_at.is_(None), ActingAppointment.starts_at <= now,
               ActingAppointment.ends_at > now)
        .where(ActingAppointment.opd_id.in_([o.id for o in opds]))
        .order_by(ActingAppointment.ends_at)
    ).all()
    return render_template(
        "main/dashboard.html", opds=opds, caps=capacities(current_user), acting_now=acting_now
    )


def _load_opd(opd_id: int) -> Opd | None:
    return db.session.get(Opd, opd_id)


@bp.get("/opd/<int:opd_id>")
@permission_required("opd.view", _load_opd)
def opd_page(opd_id: int, obj: Opd):
    members = db.session.scalars(
        select(Membership).join(User)
        .where(Membership.opd_id == obj.id, Membership.ended_at.is_(None), User.is_active.is_(True))
        .order_by(Membership.level.desc(), User.full_name)
    ).all()
    now = clock.now()
    acting = db.session.scalars(
        select(ActingAppointment)
        .where(ActingAppointment.opd_id == obj.id, ActingAppointment.revoked_at.is_(None),
               ActingAppointment.ends_at > now)
        .order_by(ActingAppointment.starts_at)
    ).all()
    return render_template("main/opd.html", opd=obj, members=members, acting=acting, now=now)


@bp.get("/account")
@login_required
def account():
    return render_template(
        "main/account.html",
        caps=capacities(current_user),
        recovery_left=unused_recovery_codes(db.session, current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(db.session, current_user, form.current_password.data):
            form.current_password.errors.append(_l("The current password is wrong."))
        elif form.new_password.data != form.confirm.data:
            form.confirm.errors.append(_l("The two new passwords differ."))
        else:
            try:
                users.change_password(db.session, current_user, form.new_password.data)
            except ValidationError as exc:
                db.session.rollback()
                form.new_password.errors.append(exc.errors["password"])
            else:
                db.session.commit()
                flash(_l("Your password has been changed."), "success")
                return redirect(url_for("main.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template("main/change_password.html", form=form), status

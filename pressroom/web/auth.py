"""Staff login at /login: password, then TOTP (enrolled on first login where required)."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import User
from pressroom.services import auth as auth_service
from pressroom.services.policy import requires_two_factor
from pressroom.web.forms import ConfirmForm, EnrolForm, LoginForm, SecondFactorForm
from pressroom.web.security import start_session

bp = Blueprint("auth", __name__)

#: Seconds a half-finished login (password given, second factor pending) stays valid.
PENDING_SECONDS = 600


def _throttle() -> auth_service.Throttle:
    from datetime import timedelta

    cfg = current_app.config
    return auth_service.Throttle(cfg["LOGIN_MAX_FAILURES"], timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]))


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.dashboard")


def _pending_user() -> User | None:
    pending = session.get("pending")
    if not pending or clock.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.scalar(
        select(User).where(User.id == pending["id"]).options(
            selectinload(User.memberships), selectinload(User.acting_appointments)
        )
    )
    if user is None or not user.is_active or user.session_version != pending["v"]:
        return None
    return user


def _too_many_attempts_message():
    return _l(
        "Too many failed attempts. For your security, logging in is paused for up to "
        "%(minutes)s minutes. Nothing was changed.",
        minutes=_throttle().minutes_left(),
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        throttle = _throttle()
        if throttle.blocked(db.session, email, request.remote_addr):
            db.session.rollback()
            flash(_too_many_attempts_message(), "error")
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == email).options(
                selectinload(User.memberships), selectinload(User.acting_appointments)
            )
        )
        if user is None:
            auth_service.dummy_verify()
        if user is None or not auth_service.verify_password(db.session, user, form.password.data):
            throttle.record_failure(db.session, email, request.remote_addr)
            db.session.commit()
            flash(_l("The email or password is wrong."), "error")
            return render_template("auth/login.html", form=form), 401
        if not user.is_active:
            db.session.commit()
            flash(_l("This account has been deactivated. Contact the Diskominfo administrator."), "error")
            return render_template("auth/login.html", form=form), 403
        db.session.commit()
        session.clear()
        session["pending"] = {"id": user.id, "v": user.session_version, "at": clock.now().timestamp(),
                              "next": form.next.data or ""}
        if user.totp_secret_encrypted:
            return redirect(url_for("auth.second_factor"))
        if requires_two_factor(user):
            return redirect(url_for("auth.enrol"))
        return _finish(user)
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


def _finish(user: User):
    target = _safe_next(session.get("pending", {}).get("next"))
    _throttle().clear(db.session, user.email)
    start_session(user)
    db.session.commit()
    return redirect(target)


@bp.route("/login/2fa", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if user is None or not user.totp_secret_encrypted:
        flash(_l("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        throttle = _throttle()
        if throttle.blocked(db.session, user.email, request.remote_addr):
            db.session.rollback()
            flash(_too_many_attempts_message(), "error")
            return render_template("auth/second_factor.html", form=form), 429
        crypto = current_app.extensions["crypto"]
        used = auth_service.verify_second_factor(db.session, user, form.code.data, crypto)
        if used is None:
            throttle.record_failure(db.session, user.email, request.remote_addr)
            db.session.commit()
            flash(_l("That code is not valid. Check the time on your phone and try the newest code."),
                  "error")
            return render_template("auth/second_factor.html", form=form), 401
        if used == "recovery":
            left = auth_service.unused_recovery_codes(db.session, user)
            flash(_l("You used a recovery code; %(left)s remain. Set up your authenticator again "
                     "from your account page if you lost your phone.", left=left), "warning")
        return _finish(user)
    return render_template("auth/second_factor.html", form=form), (400 if form.errors else 200)


@bp.route("/login/2fa/setup", methods=["GET", "POST"])
def enrol():
    user = _pending_user()
    if user is None:
        flash(_l("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    if user.totp_secret_encrypted:
        return redirect(url_for("auth.second_factor"))
    secret = session.get("enrol_secret") or auth_service.new_totp_secret()
    session["enrol_secret"] = secret
    uri = auth_service.provisioning_uri(secret, user.email, current_app.config["SITE_NAME"])
    form = EnrolForm()
    if form.validate_on_submit():
        codes = auth_service.enrol_totp(
            db.session, user, secret, form.code.data, current_app.extensions["crypto"]
        )
        if codes is None:
            db.session.rollback()
            flash(_l("That code does not match. Scan the QR code again and type the newest code."), "error")
        else:
            pending_next = session.get("pending", {}).get("next")
            start_session(user)
            db.session.commit()
            session["fresh_recovery_codes"] = codes
            session["after_codes"] = _safe_next(pending_next)
            return redirect(url_for("auth.recovery_codes"))
    qr = io.BytesIO()
    segno.make(uri, error="m").save(qr, kind="svg", scale=5, border=2, dark="#111", light="#fff",
                                    xmldecl=False, svgns=True, title=None, desc=None)
    return render_template("auth/enrol.html", form=form, secret=secret, qr_svg=qr.getvalue().decode()), (
        400 if form.errors else 200
    )


@bp.get("/login/recovery-codes")
def recovery_codes():
    """Show freshly made recovery codes once, right after enrolment."""
    codes = session.pop("fresh_recovery_codes", None)
    if not current_user.is_authenticated or not codes:
        return redirect(url_for("main.dashboard"))
    return render_template("auth/recovery_codes.html", codes=codes,
                           next_url=session.pop("after_codes", url_for("main.dashboard")))


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_l("You have logged out."), "info")
    return redirect(url_for("auth.login"))

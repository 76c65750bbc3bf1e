"""Web security in one place: headers (strict CSP), session expiry, the login loader,
permission checks for routes, and the one explicit CSRF exemption mechanism."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from pressroom import clock, db
from pressroom.i18n import _l
from pressroom.models import User
from pressroom.services.policy import can

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: Endpoints authenticated by a token or signature, never by cookies: exempt from CSRF.
TOKEN_AUTHENTICATED: set[str] = set()


def token_authenticated(view: Callable) -> Callable:
    """Mark a view as authenticated by a token/signature, not the session cookie.

    This is the only way to exempt a view from CSRF protection. Such a view must not look
    at ``current_user``: the marker also makes the session cookie invisible to it.
    """
    from pressroom.web import csrf

    view._pressroom_token_authenticated = True  # type: ignore[attr-defined]
    csrf.exempt(view)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        # The session cookie must never authenticate this request: whoever sent it, the
        # view sees an anonymous user (the session itself is left untouched).
        g._login_user = current_app.login_manager.anonymous_user()
        return view(*args, **kwargs)

    wrapper._pressroom_token_authenticated = True  # type: ignore[attr-defined]
    csrf.exempt(wrapper)
    return wrapper


def register_token_endpoints(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if getattr(view, "_pressroom_token_authenticated", False):
            TOKEN_AUTHENTICATED.add(endpoint)


def permission_required(action: str, load: Callable | None = None):
    """Require login and ``can(current_user, action, obj)``; ``load(**view_args)`` finds obj.

    The loaded object is passed to the view as ``obj``.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            obj = load(**kwargs) if load else None
            if load and obj is None:
                abort(404)
            if not can(current_user, action, obj):
                abort(403)
            if load:
                kwargs["obj"] = obj
            return view(*args, **kwargs)

        wrapper._pressroom_permission = action  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _load_user(user_id: str) -> User | None:
    try:
        raw_id, version = user_id.split(":", 1)
        uid, ver = int(raw_id), int(version)
    except ValueError:
        return None
    if not session.get("mfa_ok"):
        return None  # password alone never makes a session
    user = db.session.execute(
        select(User)
        .where(User.id == uid)
        # One round trip: memberships (with their OPD) and acting appointments joined in.
        .options(joinedload(User.memberships), joinedload(User.acting_appointments))
    ).unique().scalar_one_or_none()
    if user is None or not user.is_active or user.session_version != ver:
        return None
    return user


def _enforce_session_expiry():
    if not session.get("mfa_ok"):
        return None
    now = clock.now().timestamp()
    cfg = current_app.config
    started = session.get("auth_at", 0)
    last_seen = session.get("seen_at", 0)
    if now - started > cfg["SESSION_MAX_HOURS"] * 3600 or (
        now - last_seen > cfg["SESSION_IDLE_MINUTES"] * 60
    ):
        logout_user()
        session.clear()
        flash(_l("Your session has expired. Please log in again."), "info")
        if request.endpoint and not request.endpoint.startswith(("public.", "static", "auth.")):
            return redirect(url_for("auth.login", next=request.full_path))
        return None
    # Update at most once a minute so idle pages do not rewrite the cookie constantly.
    if now - last_seen > 60:
        session["seen_at"] = now
    return None


def _enforce_password_change():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint
        and request.endpoint not in {"main.change_password", "auth.logout", "static"}
        and not request.endpoint.startswith("public.")
    ):
        flash(_l("Please choose a new password before you continue."), "warning")
        return redirect(url_for("main.change_password"))
    return None


def _set_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint and not request.endpoint.startswith(("public.", "static")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def start_session(user: User) -> None:
    """Start a full session after password and (where needed) second factor."""
    from flask_login import login_user

    session.clear()
    now = clock.now().timestamp()
    session["mfa_ok"] = True
    session["auth_at"] = now
    session["seen_at"] = now
    session.permanent = False
    login_user(user)
    user.last_login_at = clock.now()


def init_app(app: Flask) -> None:
    from pressroom.web import login_manager

    login_manager.user_loader(_load_user)
    app.before_request(_enforce_session_expiry)
    app.before_request(_enforce_password_change)
    app.after_request(_set_headers)

"""Open pages: the public home, privacy notice, language switch, files and /healthz."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_file
from sqlalchemy import text

from pressroom import db
from pressroom.storage import InvalidKey, get_storage

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/privasi")
def privacy():
    return render_template("public/privacy.html", config=current_app.config)


@bp.get("/bahasa/<lang>")
def set_language(lang: str):
    """Switch the interface language (cookie) and go back where the visitor was."""
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    target = request.args.get("next") or "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        target = "/"  # only local redirects
    response = redirect(target)
    response.set_cookie(
        "lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/healthz")
def healthz():
    """For operators and load balancers: is the app up and the database reachable?"""
    try:
        db.session.execute(text("SELECT 1"))
        status, code = "ok", 200
    except Exception:  # noqa: BLE001 - report, never raise, from a health check
        status, code = "database unavailable", 503
    return jsonify(status=status, database=db.get_db().dialect), code


@bp.get("/media/<path:key>")
def media(key: str):
    """Public files (logos, published images), cacheable."""
    storage = get_storage()
    try:
        if not storage.exists(key, public=True):
            abort(404)
        path = storage.local_path(key, public=True)
    except InvalidKey:
        abort(404)
    return send_file(path, max_age=3600)


@bp.get("/files/<path:key>")
def signed_file(key: str):
    """Private files through an expiring signed URL."""
    storage = get_storage()
    try:
        valid = storage.verify_signature(key, request.args.get("expires"), request.args.get("signature"))
        if not valid:
            abort(403)
        if not storage.exists(key):
            abort(404)
        path = storage.local_path(key)
    except InvalidKey:
        abort(404)
    response = send_file(path, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response

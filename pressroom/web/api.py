"""The push API: an OPD's system sends a dataset update as JSON with its per-OPD token; and
/api/openapi.json, the OpenAPI 3.1 document of the push API and the public read API
(data_public), kept in static/openapi.json and checked against real calls by the tests.

``POST /api/v1/datasets/<slug>/versions`` is authenticated by ``Authorization: Bearer <token>``
only — never by the staff cookie, and so exempt from CSRF through security.token_authenticated.
Every update ends in services.datasets.ingest like an upload: 201 a new current version, 200
nothing new, 202 held for approval, 422 refused with errors by row and column (the current
version stays). Errors are ``{"error": {"code", "message", "details"}}`` with stable codes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from pressroom import clock, db
from pressroom.datasets import DatasetInputError, tables
from pressroom.i18n import _l
from pressroom.models import Dataset, DatasetVersion
from pressroom.services import ValidationError, datasets
from pressroom.web.security import token_authenticated

bp = Blueprint("api", __name__, url_prefix="/api")

#: The push API's own codes, besides the data codes of pressroom.datasets.errors.CODES
#: (the document lists both; a test keeps it so).
API_CODES: dict[str, str] = {
    "unauthorized": "no token, an unknown token, or a revoked one (send Authorization: Bearer <token>)",
    "not_found": "no dataset with this slug belongs to the token's OPD",
    "malformed_json": "the body is not JSON (or not UTF-8)",
    "malformed_body": "the JSON is not an object with a rows list, or a field has the wrong type",
    "update_refused": "the update cannot become a version: details.errors says where, by row and column",
    "correction_refused": "a correction_note was sent but there is no version to correct yet",
}
BODY_FIELDS = ("rows", "data_date", "correction_note")


def error(status: int, code: str, message: object, details: dict[str, Any] | None = None):
    """The one JSON error shape: ``{"error": {"code", "message", "details"}}``."""
    response = jsonify(error={"code": code, "message": str(message), "details": details or {}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pressroom"'
    return response


def _refused(errors: list[dict[str, Any]]):
    return error(422, "update_refused", _l("The update was refused; the current version stays as it was."),
                 {"errors": errors})


def _bearer() -> str | None:
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _version_body(version: DatasetVersion) -> dict[str, Any]:
    diff = version.diff or {}
    return {
        "number": version.number,
        "state": version.state,
        "row_count": version.row_count,
        "content_hash": version.content_hash,
        "created_at": version.created_at.isoformat(),
        "data_date": clock.to_wib(version.data_date).date().isoformat() if version.data_date else None,
        "correction_note": version.correction_note,
        "diff": {"added": len(diff.get("added", [])), "removed": len(diff.get("removed", [])),
                 "changed": len(diff.get("changed", [])), "unchanged": diff.get("unchanged", 0)},
        "url": current_app.config["PUBLIC_URL"].rstrip("/")
        + url_for("datasets.version", dataset_id=version.dataset_id, version_id=version.id),
    }


def _parse_body() -> tuple[dict[str, Any] | None, Any]:
    """The JSON object of the request, or (None, an error response)."""
    try:
        tables.check_size(request.content_length or 0, _max_bytes())
        raw = request.get_data(cache=False)
    except DatasetInputError as exc:
        return None, error(413, exc.code, exc.message, exc.details)
    except RequestEntityTooLarge:
        return None, _too_large()
    try:
        body = current_app.json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, error(400, "malformed_json", _l("The body is not valid JSON."))
    if not isinstance(body, dict) or "rows" not in body:
        return None, error(400, "malformed_body", _l(
            "The body must be a JSON object with “rows”: a list of objects, one per row."), {"field": "rows"})
    unknown = sorted(set(body) - set(BODY_FIELDS))
    if unknown:
        return None, error(400, "malformed_body", _l("Unknown field “%(field)s”; the body takes %(fields)s.",
                                                     field=unknown[0], fields=", ".join(BODY_FIELDS)),
                           {"field": unknown[0]})
    note = body.get("correction_note")
    if note is not None and not isinstance(note, str):
        return None, error(400, "malformed_body", _l("“correction_note” must be text."),
                           {"field": "correction_note"})
    if body.get("data_date") is not None:
        try:
            body["data_date"] = date.fromisoformat(str(body["data_date"]))
        except ValueError:
            return None, error(400, "malformed_body", _l(
                "“data_date” must be a date written as YYYY-MM-DD, e.g. 2025-06-30."), {"field": "data_date"})
    return body, None


def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def _too_large():
    limit = _max_bytes()
    return error(413, "too_large", _l("The body is larger than the limit of %(limit)s MB.",
                                      limit=current_app.config["MAX_UPLOAD_MB"]), {"limit": limit})


@bp.errorhandler(413)
def _body_too_large(_exc):
    return _too_large()


@bp.post("/v1/datasets/<slug>/versions")
@token_authenticated
def push_version(slug: str):
    token = datasets.token_for(db.session, _bearer())
    if token is None:
        return error(401, "unauthorized", _l("Send a valid API token: Authorization: Bearer <token>."))
    # A token sees only its own OPD's datasets: another OPD's answers like a missing one.
    dataset = db.session.scalar(select(Dataset).where(Dataset.slug == slug, Dataset.opd_id == token.opd_id))
    token_name = token.name
    # Record the token's use now, and end this transaction before the body is read and parsed
    # (on SQLite a POST's transaction holds the write lock from its first statement).
    db.session.commit()
    if dataset is None:
        return error(404, "not_found", _l("Your OPD has no dataset “%(slug)s”.", slug=slug[:120]))
    body, problem = _parse_body()
    if problem is not None:
        return problem
    try:
        records = tables.preview_records(body["rows"]).records()
    except DatasetInputError as exc:
        if exc.code == "malformed_records":
            return error(400, exc.code, exc.message, exc.details)
        return _refused([{"row": exc.details.get("row"), "column": exc.details.get("column"),
                          "code": exc.code, "message": str(exc.message)}])
    note = (body.get("correction_note") or "").strip()
    # The date the figures describe, kept as the start of that day in WIB.
    data_date = (clock.from_wib(datetime.combine(body["data_date"], datetime.min.time()))
                 if body.get("data_date") else None)
    origin = f"api:{token_name}"
    try:
        if note:
            result = datasets.correct(db.session, None, dataset, records, note=note, origin=origin,
                                      data_date=data_date)
        else:
            result = datasets.ingest(db.session, dataset, records, origin=origin, author=None,
                                     data_date=data_date)
    except datasets.UpdateRefused as exc:
        db.session.rollback()
        return _refused([e.as_dict() for e in exc.errors])
    except ValidationError as exc:
        db.session.rollback()
        code = "correction_refused" if note else "update_refused"
        return _refused([{"row": None, "column": None, "code": code, "message": str(m)}
                         for m in exc.errors.values()])
    db.session.commit()
    payload: dict[str, Any] = {"status": result.status, "dataset": dataset.slug,
                               "version": _version_body(result.version)}
    if result.status == "held":
        payload["held_for"] = result.version.state_reason
        payload["changes"] = [{"kind": c.kind, "column": c.column, "message": str(c.message)}
                              for c in result.changes]
    if result.flags:
        payload["personal_data"] = [f.as_dict() for f in result.flags]
    status = {"created": 201, "unchanged": 200, "held": 202}[result.status]
    response = jsonify(payload)
    response.status_code = status
    if status == 201:
        response.headers["Location"] = payload["version"]["url"]
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document (static/openapi.json), naming this deployment's public address."""
    document = json.loads((Path(current_app.static_folder) / "openapi.json").read_text("utf-8"))
    document["servers"] = [{"url": current_app.config["PUBLIC_URL"].rstrip("/")}]
    response = jsonify(document)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response

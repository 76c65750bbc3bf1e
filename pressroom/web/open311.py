"""Open311 GeoReport v2 at /open311/v2/: service discovery, the service list and definitions,
reading public requests, and posting a request with an API key — in JSON and in XML (the
specification's required format). Errors come in the specification's error format.

Reading needs no key and allows any origin (public, read-only, no cookies). Posting is
authenticated by ``api_key`` in the form, never by the session cookie (so no CSRF token):
``PRESSROOM_LAPOR_OPEN311_API_KEYS`` lists the keys; without any, posting is refused.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from pressroom import db
from pressroom.i18n import _l
from pressroom.services import open311
from pressroom.storage import get_storage
from pressroom.web.security import token_authenticated

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FORMAT = "<any(json, xml):ext>"
#: Seconds a client or proxy may reuse an answer: the lists change slowly, requests a bit faster.
LIST_MAX_AGE = 300
REQUEST_MAX_AGE = 60


def _answer(ext: str, root: str, value: Any, *, status: int = 200, max_age: int | None = None) -> Response:
    if ext == "xml":
        response = Response(open311.to_xml(root, value), status=status, content_type=open311.XML_TYPE)
    else:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        response = Response(body, status=status, content_type=open311.JSON_TYPE)
    if max_age is not None and status == 200:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(open311.Open311Error)
def _error(exc: open311.Open311Error) -> Response:
    ext = (request.view_args or {}).get("ext", "xml")
    return _answer(ext, "errors", exc.errors, status=exc.status)


def _endpoint_url() -> str:
    path = url_for("open311.services", ext="xml")
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    return current_app.config["PUBLIC_URL"].rstrip("/") + path.rsplit("/", 1)[0]


@bp.get(f"/discovery.{FORMAT}")
def discovery(ext: str):
    config = current_app.config
    document = open311.discovery(
        db.session, endpoint_url=_endpoint_url(),
        contact=config.get("LAPOR_OPEN311_CONTACT") or config["SITE_NAME"],
        key_service=str(_l("Reading needs no key. To post service requests, ask %(contact)s for an API key.",
                           contact=config.get("LAPOR_OPEN311_CONTACT") or config["SITE_NAME"])))
    return _answer(ext, "discovery", document, max_age=LIST_MAX_AGE)


@bp.get(f"/services.{FORMAT}")
def services(ext: str):
    group = current_app.config.get("LAPOR_NAME") or "Lapor Gub"
    return _answer(ext, "services", open311.services(db.session, group=group), max_age=LIST_MAX_AGE)


@bp.get(f"/services/<service_code>.{FORMAT}")
def service_definition(service_code: str, ext: str):
    return _answer(ext, "service_definition", open311.service_definition(db.session, service_code),
                   max_age=LIST_MAX_AGE)


@bp.get(f"/requests.{FORMAT}")
def requests(ext: str):
    query = open311.parse_query(request.args)
    found = open311.find_requests(db.session, get_storage(), query)
    return _answer(ext, "service_requests", found, max_age=REQUEST_MAX_AGE)


@bp.get(f"/requests/<service_request_id>.{FORMAT}")
def service_request(service_request_id: str, ext: str):
    found = open311.find_request(db.session, get_storage(), service_request_id)
    return _answer(ext, "service_requests", [found], max_age=REQUEST_MAX_AGE)


@bp.post(f"/requests.{FORMAT}")
@token_authenticated
def post_request(ext: str):
    """POST Service Request: the api_key decides, never a cookie."""
    open311.check_api_key(current_app.config, request.form.get("api_key"))
    answer = open311.create_request(db.session, request.form, config=current_app.config)
    db.session.commit()
    return _answer(ext, "service_requests", answer)

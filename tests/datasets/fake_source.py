"""A local data source for tests: a threaded werkzeug server on 127.0.0.1:<free port>.

It serves what dataset sources serve:

* ``/data.csv`` — a CSV with a strong ``ETag`` and ``Last-Modified``, answering a matching
  ``If-None-Match`` (or an ``If-Modified-Since`` not older than the content) with 304;
  ``set_csv(body)`` changes the content between polls;
* ``/plain.csv`` — the same content without validators (pollers fall back to a hash);
* ``/page`` — an HTML page (a portal's landing page instead of the file);
* ``/slow`` — answers after ``delay`` seconds; ``/trickle`` — sends a byte every ``delay``;
* ``/big`` — ``big_size`` bytes declared in Content-Length; ``/big-chunked`` — the same
  without a length (chunked);
* ``/redirect?to=<url>`` — a 302 to ``url``; ``/status/<code>`` — an empty answer with it;
* ``/api/3/action/datastore_search`` — CKAN's DataStore search (``resource_id``, ``limit``,
  ``offset``, ``sort``), answering with bodies shaped like CKAN 2.10's: ``{"help", "success":
  true, "result": {"fields", "records", "total", "total_was_estimated", "_links", …}}``, and
  errors as CKAN sends them (404 "Not Found Error", 409 "Validation Error", 403
  "Authorization Error" for a private resource without the token); ``ckan_maintenance``
  makes it answer with an HTML page instead.

Every request is recorded in ``requests``. It imports nothing from ``pressroom``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@dataclass
class CkanResource:
    fields: list[dict[str, str]]
    records: list[dict[str, Any]]
    private: bool = False
    #: Answer with total_was_estimated (CKAN 2.10 does for large tables).
    estimated: bool = False


@dataclass
class Seen:
    path: str
    args: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeSource:
    delay: float = 1.0
    big_size: int = 2 * 1024 * 1024
    token: str = "ckan-secret"
    #: The portal answers every API call with its HTML maintenance page (503).
    ckan_maintenance: bool = False
    requests: list[Seen] = field(default_factory=list)
    resources: dict[str, CkanResource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.set_csv(b"kode_bps,nilai\n3301,1\n")
        self._server = make_server(HOST, 0, self._app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # Control ---------------------------------------------------------------------------------
    def start(self) -> FakeSource:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str, host: str = HOST) -> str:
        return f"http://{host}:{self.port}{path}"

    def set_csv(self, body: bytes) -> None:
        self.csv = body
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        self.modified = time.time() - 60  # a minute ago, to whole seconds below
        self.modified = float(int(self.modified))

    def add_resource(self, resource_id: str, fields: list[dict[str, str]], records: list[dict[str, Any]],
                     **options) -> None:
        numbered = [{"_id": i, **r} for i, r in enumerate(records, 1)]
        self.resources[resource_id] = CkanResource([{"id": "_id", "type": "int"}, *fields], numbered,
                                                   **options)

    def paths(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    # The WSGI app ----------------------------------------------------------------------------
    @Request.application
    def _app(self, request: Request) -> Response:
        self.requests.append(Seen(request.path, dict(request.args), dict(request.headers)))
        path = request.path
        if path == "/data.csv":
            return self._conditional_csv(request)
        if path == "/plain.csv":
            return Response(self.csv, content_type="text/csv; charset=utf-8")
        if path == "/page":
            page = "<!DOCTYPE html><html><head><title>Portal Data</title></head><body>Unduh</body></html>"
            return Response(page, content_type="text/html; charset=utf-8")
        if path == "/slow":
            time.sleep(self.delay)
            return Response(self.csv, content_type="text/csv")
        if path == "/trickle":
            def drip():
                for byte in self.csv:
                    time.sleep(self.delay)
                    yield bytes([byte])
            return Response(drip(), content_type="text/csv")
        if path == "/big":
            return Response(b"a,b\n" + b"1,2\n" * (self.big_size // 4), content_type="text/csv")
        if path == "/big-chunked":
            def chunks():
                for _ in range(self.big_size // 65536 + 1):
                    yield b"1,2\n" * 16384
            return Response(chunks(), content_type="text/csv")
        if path == "/redirect":
            return Response("", status=302, headers={"Location": request.args["to"]})
        if path.startswith("/status/"):
            return Response("", status=int(path.rsplit("/", 1)[1]))
        if path == "/api/3/action/datastore_search":
            return self._datastore_search(request)
        return Response("not found", status=404)

    def _conditional_csv(self, request: Request) -> Response:
        headers = {"ETag": self.etag, "Last-Modified": formatdate(self.modified, usegmt=True),
                   "Cache-Control": "no-cache"}
        if request.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers=headers)
        since = request.headers.get("If-Modified-Since")
        if since and "If-None-Match" not in request.headers:
            if parsedate_to_datetime(since).timestamp() >= self.modified:
                return Response(status=304, headers=headers)
        return Response(self.csv, content_type="text/csv; charset=utf-8", headers=headers)

    def _ckan(self, status: int, body: dict[str, Any]) -> Response:
        body = {"help": f"http://{HOST}:{self.port}/api/3/action/help_show?name=datastore_search", **body}
        return Response(json.dumps(body), status=status, content_type="application/json;charset=utf-8")

    def _datastore_search(self, request: Request) -> Response:
        if self.ckan_maintenance:
            return Response("<!DOCTYPE html><html><body>Portal sedang dalam pemeliharaan</body></html>",
                            status=503, content_type="text/html")
        resource_id = request.args.get("resource_id", "")
        resource = self.resources.get(resource_id)
        if resource is None:
            return self._ckan(404, {"success": False, "error": {
                "message": f'Not found: Resource "{resource_id}" was not found.',
                "__type": "Not Found Error"}})
        if resource.private and request.headers.get("Authorization") != self.token:
            return self._ckan(403, {"success": False, "error": {
                "message": "Access denied: User  not authorized to read resource " + resource_id,
                "__type": "Authorization Error"}})
        try:
            limit = int(request.args.get("limit", "100"))
            offset = int(request.args.get("offset", "0"))
        except ValueError:
            return self._ckan(409, {"success": False, "error": {
                "limit": ["Invalid integer"], "__type": "Validation Error"}})
        page = resource.records[offset:offset + limit]
        query = f"resource_id={resource_id}&limit={limit}"
        return self._ckan(200, {"success": True, "result": {
            "include_total": True, "limit": limit, "offset": offset, "records_format": "objects",
            "resource_id": resource_id, "total_estimation_threshold": None,
            "fields": resource.fields, "records": page,
            "_links": {"start": f"/api/3/action/datastore_search?{query}",
                       "next": f"/api/3/action/datastore_search?{query}&offset={offset + limit}"},
            "total": len(resource.records) + (1000 if resource.estimated else 0),
            "total_was_estimated": resource.estimated,
        }})

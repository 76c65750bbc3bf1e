"""Fetching a dataset's source on a schedule: a CSV URL, or a CKAN ``datastore_search`` resource.

Both refuse to reach private networks. The host is resolved when the connection is made, and
every address it resolves to must be public (not private, loopback, link-local, shared,
reserved or multicast; IPv4-mapped IPv6 is judged by its IPv4); the socket then connects to
an address that was checked, so a DNS answer that changes between check and connect cannot
slip through. Redirects are followed (at most MAX_REDIRECTS) and every hop's connection is
checked the same way. Environment proxies are ignored (they would hide the target). A host
in ``allow_hosts`` (a name or an address, exactly as in the URL) skips the address check:
for an intranet portal an admin trusts, and for tests on 127.0.0.1.

Bodies are read in chunks up to ``max_bytes`` (``too_large``), within a read timeout per
chunk and a deadline for the whole fetch (``source_timeout``). A web page where data was
expected is ``source_html``. A CSV URL is polled with ``If-None-Match`` /
``If-Modified-Since``; a 304, or a 200 whose body hashes like the last one, is "unchanged".
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from pressroom.datasets.errors import DatasetInputError
from pressroom.datasets.tables import MAX_BYTES, MAX_ROWS, check_size, too_many_rows
from pressroom.i18n import _l

#: Seconds to connect, and to wait for each chunk of the answer.
TIMEOUT = 10.0
#: Seconds a whole fetch may take (all CKAN pages together).
DEADLINE = 120.0
MAX_REDIRECTS = 5
#: Rows asked per CKAN page (CKAN's default ckan.datastore.search.rows_max is 32000).
CKAN_PAGE = 1000
USER_AGENT = "Pressroom data centre (source poller)"
_CHUNK = 64 * 1024


class _PrivateAddress(Exception):
    """Raised inside a connection: the host resolved to an address Pressroom does not reach."""

    def __init__(self, host: str, address: str):
        super().__init__(host, address)
        self.host, self.address = host, address


def is_public_address(address: str) -> bool:
    """Whether Pressroom may connect to ``address`` (IPv4 or IPv6, as text)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _host_key(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _connect(conn: HTTPConnection, allowed: frozenset[str]):
    """Resolve, check every address, then connect to a checked one (urllib3's ``_new_conn``)."""
    host = conn._dns_host
    try:
        infos = socket.getaddrinfo(host.strip("[]"), conn.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    if _host_key(host) not in allowed:
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise _PrivateAddress(conn.host, address)
    error: Exception | None = None
    for info in infos:
        try:
            return urllib3_connection.create_connection(
                (str(info[4][0]), conn.port), conn.timeout, source_address=conn.source_address,
                socket_options=conn.socket_options)
        except TimeoutError as exc:
            error = ConnectTimeoutError(conn, f"Connection to {conn.host} timed out.")
            error.__cause__ = exc
        except OSError as exc:
            error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
    raise error or NewConnectionError(conn, "no address")


def _session(allow_hosts: Iterable[str]) -> requests.Session:
    """A requests session whose connections refuse private addresses (see the module docstring)."""
    allowed = frozenset(_host_key(h) for h in allow_hosts)

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self):
            return _connect(self, allowed)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self):
            return _connect(self, allowed)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}

    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: they would hide the target
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    session.mount("http://", GuardedAdapter())
    session.mount("https://", GuardedAdapter())
    return session


def check_url(url: str, allow_hosts: Iterable[str] = ()) -> str:
    """Check a source URL when a person saves it: http(s), a host, and (unless allowed) only
    public addresses. Return it stripped; raise DatasetInputError otherwise. (Fetching checks
    again, at every connection.)"""
    url = _checked_form(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _host_key(host) in {_host_key(h) for h in allow_hosts}:
        return url
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise _unreachable(host) from None
    for info in infos:
        if not is_public_address(str(info[4][0])):
            raise _private(host, str(info[4][0]))
    return url


def _checked_form(url: str) -> str:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        hostname = None
    if parts.scheme not in ("http", "https") or not hostname:
        raise DatasetInputError("source_bad_url", _l(
            "“%(url)s” is not a web address (it must start with http:// or https://).", url=url[:200]),
            {"url": url})
    return url


def _private(host: str, address: str) -> DatasetInputError:
    return DatasetInputError("source_private_address", _l(
        "The source %(host)s points to a private or local network address (%(address)s). Pressroom only "
        "fetches data from public addresses.", host=host, address=address),
        {"host": host, "address": address})


def _unreachable(host: str) -> DatasetInputError:
    return DatasetInputError("source_unreachable", _l(
        "The source %(host)s could not be reached. Check the address, or try again later.", host=host),
        {"host": host})


def _timeout(host: str, seconds: float) -> DatasetInputError:
    shown = format(seconds, "g")
    return DatasetInputError("source_timeout", _l(
        "The source %(host)s did not answer within %(seconds)s seconds.", host=host, seconds=shown),
        {"host": host, "seconds": seconds})


def _html(host: str) -> DatasetInputError:
    return DatasetInputError("source_html", _l(
        "The source %(host)s answered with a web page instead of data. Use the address of the CSV file "
        "itself (often behind a “Download” or “Unduh” button).", host=host), {"host": host})


def _looks_like_html(content_type: str, body: bytes) -> bool:
    if content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


def _get(session: requests.Session, url: str, *, host: str, headers: dict[str, str] | None, timeout: float,
         deadline: float, max_bytes: int) -> _Answer:
    """GET with the checks every fetch shares; the body is read whole, within the limits.

    The body is read with ``read1`` (whatever has arrived, up to a chunk), so a server that
    trickles a byte at a time still meets the deadline."""
    started = time.monotonic()
    try:
        with session.get(url, headers=headers or {}, timeout=(timeout, timeout), stream=True,
                         allow_redirects=True) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit():
                check_size(int(length), max_bytes)
            chunks, size = [], 0
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                size += len(chunk)
                check_size(size, max_bytes)
                chunks.append(chunk)
                if time.monotonic() - started > deadline:
                    raise _timeout(host, deadline)
            return _Answer(response.status_code, dict(response.headers), b"".join(chunks), response.url)
    except _PrivateAddress as exc:
        raise _private(exc.host, exc.address) from None
    except (requests.exceptions.Timeout, urllib3_exceptions.ReadTimeoutError):
        raise _timeout(host, timeout) from None
    except (requests.exceptions.RequestException, urllib3_exceptions.HTTPError):
        # refused, reset, DNS, TLS, too many redirects, a broken or undecodable body
        raise _unreachable(host) from None


# CSV URL --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FetchResult:
    """One poll of a CSV URL. Store etag, last_modified and content_hash for the next poll."""

    changed: bool
    content: bytes | None  # the body when changed, else None
    etag: str | None
    last_modified: str | None
    content_hash: str | None  # SHA-256 of the body (of the last one when unchanged by 304)
    content_type: str | None
    url: str  # after redirects
    status: int


def fetch_csv(url: str, *, etag: str | None = None, last_modified: str | None = None,
              previous_hash: str | None = None, allow_hosts: Iterable[str] = (), timeout: float = TIMEOUT,
              deadline: float = DEADLINE, max_bytes: int = MAX_BYTES) -> FetchResult:
    """Poll a CSV (or XLSX) URL; raise DatasetInputError when the source fails."""
    url = _checked_form(url)
    host = urlsplit(url).hostname or ""
    headers = {"Accept": "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.9, "
                         "*/*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with _session(allow_hosts) as session:
        answer = _get(session, url, host=host, headers=headers, timeout=timeout, deadline=deadline,
                      max_bytes=max_bytes)
    new_etag = answer.headers.get("ETag") or etag
    new_modified = answer.headers.get("Last-Modified") or last_modified
    if answer.status == 304:
        return FetchResult(False, None, new_etag, new_modified, previous_hash, None, answer.url, 304)
    if answer.status != 200:
        raise _http_error(host, answer.status)
    content_type = answer.headers.get("Content-Type", "")
    if _looks_like_html(content_type, answer.body):
        raise _html(host)
    digest = hashlib.sha256(answer.body).hexdigest()
    changed = digest != previous_hash
    return FetchResult(changed, answer.body if changed else None, answer.headers.get("ETag"),
                       answer.headers.get("Last-Modified"), digest, content_type or None, answer.url, 200)


def _http_error(host: str, status: int) -> DatasetInputError:
    return DatasetInputError("source_http_error", _l(
        "The source %(host)s answered with HTTP status %(status)s instead of the data.", host=host,
        status=status), {"host": host, "status": status})


# CKAN ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CkanResult:
    """All records of a CKAN DataStore resource (without CKAN's ``_id``)."""

    fields: list[tuple[str, str]]  # (name, CKAN type) in the resource's order
    records: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    #: SHA-256 of fields and records as fetched: equal means nothing changed at the source.
    content_hash: str = ""

    @property
    def columns(self) -> list[str]:
        return [name for name, _type in self.fields]


def parse_ckan_url(url: str) -> tuple[str, str]:
    """(site base URL, resource id) from a resource page (``…/dataset/x/resource/<id>``) or a
    ``datastore_search`` URL (``…/api/3/action/datastore_search?resource_id=<id>``)."""
    url = _checked_form(url)
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    base = f"{parts.scheme}://{parts.netloc}"
    if "/api/3/action/" in path:
        resource = (parse_qs(parts.query).get("resource_id") or [""])[0]
        prefix = path.split("/api/3/action/", 1)[0]
        if resource:
            return base + prefix, resource
    elif "/resource/" in path:
        resource = path.rsplit("/resource/", 1)[1].split("/", 1)[0]
        prefix = path.split("/dataset/", 1)[0] if "/dataset/" in path else path.rsplit("/resource/", 1)[0]
        if resource:
            return base + prefix, resource
    raise DatasetInputError("source_bad_url", _l(
        "“%(url)s” is not the address of a CKAN resource (…/dataset/…/resource/<id>).", url=url[:200]),
        {"url": url})


def _ckan_error(host: str, reason: str, details: dict[str, Any]) -> DatasetInputError:
    return DatasetInputError("ckan_error", _l(
        "The CKAN portal %(host)s refused the request: %(reason)s", host=host, reason=reason[:300]),
        {"host": host, **details})


def fetch_ckan(base_url: str, resource_id: str, *, allow_hosts: Iterable[str] = (),
               api_token: str | None = None, page_size: int = CKAN_PAGE, max_rows: int = MAX_ROWS,
               timeout: float = TIMEOUT, deadline: float = DEADLINE,
               max_bytes: int = MAX_BYTES) -> CkanResult:
    """Every record of a DataStore resource, page by page (``limit``/``offset``, sorted by
    ``_id`` so pages do not overlap) until ``total`` — or, when CKAN only estimated the total,
    until an empty page. ``max_bytes`` caps each page."""
    base = _checked_form(base_url).rstrip("/")
    host = urlsplit(base).hostname or ""
    endpoint = base + "/api/3/action/datastore_search"
    headers = {"Accept": "application/json"}
    if api_token:
        headers["Authorization"] = api_token
    started = time.monotonic()
    fields: list[tuple[str, str]] = []
    records: list[dict[str, Any]] = []
    total: int | None = None
    offset = 0
    with _session(allow_hosts) as session:
        while True:
            remaining = deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise _timeout(host, deadline)
            query = urlencode({"resource_id": resource_id, "limit": page_size, "offset": offset,
                               "sort": "_id"})
            answer = _get(session, f"{endpoint}?{query}", host=host, headers=headers, timeout=timeout,
                          deadline=remaining, max_bytes=max_bytes)
            result = _ckan_result(host, answer)
            if not fields:
                fields = [(str(f.get("id")), str(f.get("type", ""))) for f in result.get("fields") or []
                          if isinstance(f, dict) and f.get("id") != "_id"]
            page = result.get("records")
            if not isinstance(page, list):
                raise _ckan_error(host, "no records in the answer", {"status": answer.status})
            estimated = bool(result.get("total_was_estimated"))
            if total is None or not estimated:
                reported = result.get("total")
                total = reported if isinstance(reported, int) and reported >= 0 else None
            for record in page:
                if not isinstance(record, dict):
                    raise _ckan_error(host, "a record is not an object", {"status": answer.status})
                records.append({k: v for k, v in record.items() if k != "_id"})
            if len(records) > max_rows:
                raise too_many_rows(max_rows)
            offset += len(page)
            if not page or (total is not None and not estimated and offset >= total):
                break
    if total is not None and len(records) < total and not estimated:
        raise _ckan_error(host, f"the portal promised {total} records but sent {len(records)}",
                          {"total": total, "received": len(records)})
    digest = hashlib.sha256(json.dumps([fields, records], sort_keys=True, default=str,
                                       ensure_ascii=False).encode()).hexdigest()
    return CkanResult(fields, records, len(records), digest)


def _ckan_result(host: str, answer: _Answer) -> dict[str, Any]:
    """The ``result`` of a CKAN action answer; CKAN's error bodies become ckan_error."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        if _looks_like_html(answer.headers.get("Content-Type", ""), answer.body):
            raise _html(host) from None
        if answer.status != 200:
            raise _http_error(host, answer.status) from None
        raise _ckan_error(host, "the answer is not JSON", {"status": answer.status}) from None
    if not isinstance(body, dict) or "success" not in body:
        if answer.status != 200:
            raise _http_error(host, answer.status)
        raise _ckan_error(host, "the answer is not a CKAN API answer", {"status": answer.status})
    if body.get("success") is not True:
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        kind = str(error.get("__type", ""))
        message = error.get("message")
        if not isinstance(message, str):  # validation errors: {"resource_id": ["Not found: …"], …}
            message = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                for k, v in error.items() if k != "__type")
        reason = f"{kind}: {message}" if kind and message else (kind or message or "unknown error")
        raise _ckan_error(host, reason, {"status": answer.status, "type": kind, "error": message})
    result = body.get("result")
    if not isinstance(result, dict):
        raise _ckan_error(host, "the answer has no result", {"status": answer.status})
    return result

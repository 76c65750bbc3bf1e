"""A local Graph API for tests (Facebook Pages and Instagram content publishing): a threaded
werkzeug server on 127.0.0.1:<free port>, paths prefixed with the API version (``/v21.0/…``).

It knows one Page (``page_id``, ``page_token``) and one Instagram professional account
(``ig_user_id``, ``ig_token``), checks the ``access_token`` (query, form, or an
``Authorization: Bearer``/``OAuth`` header) of every call against the token the object
belongs to, and answers with bodies shaped like Graph's documentation:
``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``.

Facebook Page:

* ``GET /<page>?fields=id,name``, ``GET /me`` and ``GET /debug_token?input_token=…``
  (``expires_at``, ``data_access_expires_at``; 0 means never);
* ``POST /<page>/photos`` — multipart ``source`` (decoded with Pillow: it must be an
  image), ``message``, ``published`` (default true), ``temporary``, ``alt_text_custom``;
  published → a post in ``page_posts`` and ``{"id": <photo>, "post_id": <page>_<n>}``;
  unpublished → kept aside in ``unpublished_photos`` for ``attached_media``;
* ``POST /<page>/feed`` — ``message`` and ``attached_media[i]={"media_fbid": …}`` (each an
  unpublished photo of this Page, used once) → a post;
* ``DELETE /<post>`` — removes it from ``page_posts`` into ``deleted``; a post that is not
  there is Graph's code 100/subcode 33 "does not exist".

Instagram:

* ``GET /<ig-user>?fields=id,username`` and ``GET /<ig-user>/content_publishing_limit``
  (``quota_usage`` settable, ``config.quota_total`` 50 over 86,400 s);
* ``POST /<ig-user>/media`` — ``image_url`` is FETCHED over HTTP(S) like the real Instagram
  does (``fetch_verify`` is handed to requests for a test's own certificate); it must
  answer 200 with a JPEG whose aspect is between 4:5 and 1.91:1, else Graph-like errors
  (9004/2207052 download failed, 9004/2207083 not a JPEG, 36003/2207009 aspect ratio).
  ``is_carousel_item=true`` makes a child; ``media_type=CAROUSEL`` with ``children`` (2–10
  child ids of this account) makes a carousel, with the ``caption``;
* ``GET /<container>?fields=status_code,status`` — ``IN_PROGRESS`` for the first
  ``in_progress_polls`` reads, then ``final_status`` (``FINISHED``, or ``ERROR``/``EXPIRED``
  to test refusals); ``PUBLISHED`` once published. Children are ready at once;
* ``POST /<ig-user>/media_publish`` with ``creation_id`` — 9007/2207027 "not ready" while
  the container is in progress; at the quota 9/2207042; else a media in ``ig_media``
  (``quota_usage`` + 1);
* ``GET /<media>?fields=permalink`` — ``https://www.instagram.com/p/<code>/``.

``StaticFiles`` serves a folder over HTTP or HTTPS on loopback, for the image URLs
Instagram fetches (the stand-in for Pressroom's ``/media/<key>`` on its public address).

Every request is recorded (``requests``, ``requests_for(endpoint)``). ``fail_next(kind,
times=1, on=None, …)`` injects a fault into the next requests (``on`` limits it to one
endpoint name, such as ``"media_publish"``):

* ``"429"`` — throttled: Graph code ``code`` (4 by default; 32, 17 …) with
  ``is_transient``, ``X-Business-Use-Case-Usage`` when ``regain_minutes`` is given and
  ``Retry-After`` when ``retry_after`` is; nothing applied;
* ``"transient"`` — 500 with code 2 and ``is_transient: true``; nothing applied;
* ``"500"`` — 500 with code 1 "An unknown error has occurred"; nothing applied;
* ``"503"`` — an HTML page from the front proxy; nothing applied;
* ``"slow"`` — wait ``delay`` seconds, then apply and answer (the client gave up first);
* ``"apply_then_fail"`` — apply the request, then answer like ``"500"``;
* ``"190"`` — the token has expired (code 190, subcode 463); nothing applied.

Independent of Pressroom's adapters on purpose: it imports nothing from ``pressroom``.
"""

from __future__ import annotations

import io
import json
import mimetypes
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from PIL import Image, UnidentifiedImageError
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import HOST, LoopbackServer, QuietHandler

FAULT_KINDS = ("429", "transient", "500", "503", "slow", "apply_then_fail", "190")
IG_CAPTION_LIMIT = 2200
_ATTACHED = re.compile(r"^attached_media\[(\d+)\]$")


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and how it answered."""

    verb: str
    path: str
    endpoint: str
    token: str
    params: dict[str, str]
    files: dict[str, Upload]
    status: int = 0
    fault: str | None = None
    response: dict[str, Any] = field(default_factory=dict)


class GraphFault(Exception):
    """A Graph error answer: raise it from a handler."""

    def __init__(
        self,
        message: str,
        code: int,
        *,
        subcode: int | None = None,
        status: int = 400,
        user_message: str | None = None,
        error_type: str = "OAuthException",
        transient: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
        if subcode is not None:
            self.error["error_subcode"] = subcode
        if transient:
            self.error["is_transient"] = True
        if user_message:
            self.error["error_user_msg"] = user_message


def _missing(verb: str, object_id: str) -> GraphFault:
    return GraphFault(
        f"Unsupported {verb.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api",
        100, subcode=33, error_type="GraphMethodException",
    )


class FakeGraph(LoopbackServer):
    """A Graph API for one Facebook Page and one Instagram professional account."""

    def __init__(
        self,
        version: str = "v21.0",
        page_id: str = "1029384756",
        page_name: str = "Pemprov Jateng (uji)",
        page_token: str = "EAAG-fake-page-token",
        ig_user_id: str = "17841400000000001",
        ig_username: str = "jatengprov_uji",
        ig_token: str = "EAAG-fake-instagram-token",
        fetch_verify: bool | str = True,
    ):
        self.version = version
        self.page_id, self.page_name, self.page_token = page_id, page_name, page_token
        self.ig_user_id, self.ig_username, self.ig_token = ig_user_id, ig_username, ig_token
        #: What ``requests`` verifies HTTPS image URLs against (a CA file for a test's server).
        self.fetch_verify = fetch_verify
        #: debug_token's answers for both tokens (Unix seconds; 0 = never).
        self.expires_at = 0
        self.data_access_expires_at = int(time.time()) + 90 * 86400
        #: Instagram: posts published in the last 24 hours, and the allowance.
        self.quota_usage = 0
        self.quota_total = 50
        #: Instagram: status reads answered IN_PROGRESS before a container reaches final_status.
        self.in_progress_polls = 1
        self.final_status = "FINISHED"

        self.requests: list[RecordedRequest] = []
        self.page_posts: dict[str, dict[str, Any]] = {}
        self.unpublished_photos: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self.containers: dict[str, dict[str, Any]] = {}
        self.ig_media: dict[str, dict[str, Any]] = {}
        self.fetched_urls: list[str] = []
        self._next_id = 500_000_000_000
        self._faults: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._listen()

    # Lifecycle -----------------------------------------------------------------------------

    # Faults and inspection ----------------------------------------------------------------------
    def fail_next(
        self,
        kind: str,
        times: int = 1,
        *,
        on: str | None = None,
        code: int = 4,
        regain_minutes: int | None = None,
        retry_after: int | None = None,
        delay: float = 1.0,
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {FAULT_KINDS}")
        options = {"on": on, "code": code, "regain_minutes": regain_minutes, "retry_after": retry_after,
                   "delay": delay}
        with self._lock:
            self._faults.extend([(kind, options)] * times)

    def requests_for(self, endpoint: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def published_media(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.ig_media.values())

    # WSGI ----------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        finally:
            request.close()  # uploaded files live in spooled temporary files
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        verb = request.method
        params = {key: value for key, value in request.args.items()}
        params.update(request.form.items())
        files = {
            name: Upload(storage.filename or "", storage.mimetype or "", storage.read())
            for name, storage in request.files.items()
        }
        token = params.pop("access_token", "") or _bearer(request.headers.get("Authorization", ""))
        parts = [part for part in request.path.split("/") if part]
        endpoint, owner, handler = self._route(verb, parts[1:] if parts[:1] == [self.version] else None)
        record = RecordedRequest(verb=verb, path=request.path, endpoint=endpoint, token=token, params=params,
                                 files=files)
        with self._lock:
            self.requests.append(record)
            kind, options = self._take_fault(endpoint)
        record.fault = kind
        if kind == "slow":
            self._stopping.wait(options["delay"])
        elif kind is not None and kind != "apply_then_fail":
            return self._fault_answer(record, kind, options)
        try:
            if handler is None:
                raise GraphFault(f"Unknown path components: {request.path}", 2500)
            self._check_token(token, owner)
            body = handler(record, parts[1:])
        except GraphFault as fault:
            return self._error(record, fault)
        if kind == "apply_then_fail":
            return self._fault_answer(record, "500", options)
        return _answer(record, 200, body)

    def _take_fault(self, endpoint: str) -> tuple[str | None, dict[str, Any]]:
        for index, (kind, options) in enumerate(self._faults):
            if options["on"] in (None, endpoint):
                del self._faults[index]
                return kind, options
        return None, {}

    def _route(self, verb: str, rest: list[str] | None) -> tuple[str, str | None, Any]:
        """Name the endpoint, say whose token it needs ("page", "ig", "any"), and its handler."""
        if not rest or len(rest) > 2:
            return "unknown", None, None
        first = rest[0]
        with self._lock:
            is_post = first in self.page_posts or first in self.deleted
            is_container = first in self.containers
            is_media = first in self.ig_media
        if len(rest) == 2:
            edge = rest[1]
            table = {
                ("POST", self.page_id, "photos"): ("photos", "page", self._photos),
                ("POST", self.page_id, "feed"): ("feed", "page", self._feed),
                ("GET", self.ig_user_id, "content_publishing_limit"): ("content_publishing_limit", "ig",
                                                                       self._publishing_limit),
                ("POST", self.ig_user_id, "media"): ("media", "ig", self._create_container),
                ("POST", self.ig_user_id, "media_publish"): ("media_publish", "ig", self._media_publish),
            }
            found = table.get((verb, first, edge))
            if found:
                return found
            return f"{first}/{edge}", "any", lambda record, parts: _raise(_missing(verb, first))
        if verb == "GET" and first == "debug_token":
            return "debug_token", "any", self._debug_token
        if verb == "GET" and first == "me":
            return "me", "any", self._me
        if verb == "GET" and first == self.page_id:
            return "page", "page", self._page
        if verb == "GET" and first == self.ig_user_id:
            return "ig_user", "ig", self._ig_user
        if verb == "DELETE" and is_post:
            return "delete", "page", self._delete
        if verb == "GET" and is_container:
            return "container", "ig", self._container_status
        if verb == "GET" and is_media:
            return "ig_media", "ig", self._read_media
        return f"{verb.lower()} object", "any", lambda record, parts: _raise(_missing(verb, first))

    def _check_token(self, token: str, owner: str | None) -> None:
        if not token:
            raise GraphFault("An access token is required to request this resource.", 104)
        known = {"page": {self.page_token}, "ig": {self.ig_token}}.get(owner or "any",
                                                                    {self.page_token, self.ig_token})
        if token not in known:
            raise GraphFault("Invalid OAuth access token - Cannot parse access token", 190)

    # Answers -------------------------------------------------------------------------------
    def _error(self, record: RecordedRequest, fault: GraphFault,
               headers: dict[str, str] | None = None) -> Response:
        body = {"error": {**fault.error, "fbtrace_id": "A" + secrets.token_urlsafe(8)}}
        return _answer(record, fault.status, body, headers)

    def _fault_answer(self, record: RecordedRequest, kind: str, options: dict[str, Any]) -> Response:
        if kind == "503":
            record.status = 503
            html = "<html><head><title>503 Service Unavailable</title></head><body>Sorry, something went "
            return Response(html + "wrong.</body></html>", status=503, content_type="text/html")
        if kind == "429":
            code = options["code"]
            headers = {}
            if options["regain_minutes"] is not None:
                usage = {self.page_id: [{"type": "pages", "call_count": 100, "total_cputime": 40,
                                         "total_time": 60,
                                         "estimated_time_to_regain_access": options["regain_minutes"]}]}
                headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            if options["retry_after"] is not None:
                headers["Retry-After"] = str(options["retry_after"])
            fault = GraphFault(f"(#{code}) Application request limit reached", code, transient=True)
            return self._error(record, fault, headers)
        if kind == "transient":
            fault = GraphFault("An unexpected error has occurred. Please retry your request later.", 2,
                               status=500, transient=True)
            return self._error(record, fault)
        if kind == "190":
            fault = GraphFault("Error validating access token: Session has expired on Monday, 02-Mar-26 "
                               "01:00:00 PST. The current time is Monday, 02-Mar-26 02:00:00 PST.", 190,
                               subcode=463)
            return self._error(record, fault)
        return self._error(record, GraphFault("An unknown error has occurred.", 1, status=500))

    # Facebook Page -------------------------------------------------------------------------
    def _page(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        return _fields(record, {"id": self.page_id, "name": self.page_name}, default=("id", "name"))

    def _me(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        if record.token == self.page_token:
            return {"id": self.page_id, "name": self.page_name}
        return {"id": "10000000000001", "name": "Admin Medsos (uji)"}

    def _debug_token(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        token = record.params.get("input_token", "")
        if token not in (self.page_token, self.ig_token):
            error = {"code": 190, "message": "Invalid OAuth access token."}
            return {"data": {"is_valid": False, "error": error}}
        page = token == self.page_token
        return {"data": {
            "app_id": "4242424242", "type": "PAGE" if page else "USER", "application": "Pressroom (uji)",
            "is_valid": True, "expires_at": self.expires_at,
            "data_access_expires_at": self.data_access_expires_at,
            "scopes": ["pages_manage_posts", "pages_read_engagement", "instagram_basic",
                       "instagram_content_publish"],
            **({"profile_id": self.page_id} if page else {"user_id": "10000000000001"}),
        }}

    def _photos(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        upload = record.files.get("source")
        if upload is None:
            raise GraphFault("(#324) Requires upload file", 324)
        try:
            with Image.open(io.BytesIO(upload.data)) as image:
                width, height = image.size
        except (UnidentifiedImageError, OSError):
            raise GraphFault("(#324) Missing or invalid image file", 324) from None
        published = record.params.get("published", "true").lower() != "false"
        with self._lock:
            photo = {"id": self._new_id(), "width": width, "height": height, "size": len(upload.data),
                     "filename": upload.filename, "alt_text_custom": record.params.get("alt_text_custom", ""),
                     "temporary": record.params.get("temporary", "false").lower() == "true"}
            if not published:
                self.unpublished_photos[photo["id"]] = photo
                return {"id": photo["id"]}
            post = self._new_post(record.params.get("message", ""), [photo])
        return {"id": photo["id"], "post_id": post["id"]}

    def _feed(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        attached = sorted(
            (int(match.group(1)), value)
            for key, value in record.params.items()
            if (match := _ATTACHED.match(key))
        )
        message = record.params.get("message", "")
        with self._lock:
            photo_ids = []
            for _index, value in attached:
                try:
                    photo_id = str(json.loads(value)["media_fbid"])
                except (ValueError, KeyError, TypeError):
                    raise GraphFault(
                        "(#100) param attached_media must be an array of objects with media_fbid", 100
                    ) from None
                if photo_id not in self.unpublished_photos or photo_id in photo_ids:
                    raise GraphFault(f"(#100) Invalid media_fbid {photo_id}: not an unpublished photo of "
                                     "this Page", 100)
                photo_ids.append(photo_id)
            if not message.strip() and not photo_ids:
                raise GraphFault("(#100) The status you are trying to publish is empty", 100)
            photos = [self.unpublished_photos.pop(photo_id) for photo_id in photo_ids]
            post = self._new_post(message, photos)
        return {"id": post["id"]}

    def _delete(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        with self._lock:
            if self.page_posts.pop(parts[0], None) is None:
                raise _missing("DELETE", parts[0])
            self.deleted.append(parts[0])
        return {"success": True}

    def _new_post(self, message: str, photos: list[dict[str, Any]]) -> dict[str, Any]:
        post = {"id": f"{self.page_id}_{self._new_id()}", "message": message, "photos": photos,
                "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())}
        self.page_posts[post["id"]] = post
        return post

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    # Instagram -------------------------------------------------------------------------------
    def _ig_user(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        return _fields(record, {"id": self.ig_user_id, "username": self.ig_username}, default=("id",))

    def _publishing_limit(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"quota_usage": self.quota_usage}
        if "config" in record.params.get("fields", ""):
            entry["config"] = {"quota_total": self.quota_total, "quota_duration": 86400}
        return {"data": [entry]}

    def _create_container(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        params = record.params
        caption = params.get("caption", "")
        if len(caption) > IG_CAPTION_LIMIT:
            raise GraphFault("The caption is too long.", 100, subcode=2207010)
        if params.get("media_type", "").upper() == "CAROUSEL":
            children = [child.strip() for child in params.get("children", "").split(",") if child.strip()]
            with self._lock:
                valid = all(self.containers.get(child, {}).get("is_carousel_item") for child in children)
                if not 2 <= len(children) <= 10 or not valid or len(set(children)) != len(children):
                    raise GraphFault("(#100) The children must be 2 to 10 carousel item containers of this "
                                     "account", 100, subcode=2207036)
                container = self._new_container("CAROUSEL", caption=caption, children=children)
            return {"id": container["id"]}
        if params.get("media_type") not in (None, "", "IMAGE"):
            raise GraphFault("(#100) Pressroom's fake only takes images and carousels", 100)
        url = params.get("image_url", "")
        if not url:
            raise GraphFault("(#100) The parameter image_url is required", 100)
        width, height = self._fetch_image(url)
        carousel_item = params.get("is_carousel_item", "false").lower() == "true"
        with self._lock:
            container = self._new_container(
                "IMAGE", caption="" if carousel_item else caption, image_url=url,
                alt_text=params.get("alt_text", ""), width=width, height=height,
                is_carousel_item=carousel_item,
            )
        return {"id": container["id"]}

    def _fetch_image(self, url: str) -> tuple[int, int]:
        """Download ``image_url`` as Instagram would, and check it is a JPEG of a fitting shape."""
        with self._lock:
            self.fetched_urls.append(url)
        try:
            with requests.get(url, timeout=5, verify=self.fetch_verify) as response:
                ok, data = response.status_code == 200, response.content
        except requests.RequestException:
            ok, data = False, b""
        if not ok:
            raise GraphFault("Media download has failed. The media URI doesn't meet our requirements.", 9004,
                             subcode=2207052, user_message="The media could not be fetched from this URI: "
                             f"{url}. Please check the URI and try again.")
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
        except (UnidentifiedImageError, OSError):
            kind, width, height = None, 0, 0
        if kind != "JPEG":
            raise GraphFault("Only photo or video can be accepted as media type.", 9004, subcode=2207083,
                             user_message="The image format is not supported. Only JPEG images can be "
                             "published.")
        ratio = width / height
        if ratio < 0.8 - 1e-3 or ratio > 1.91 + 1e-3:
            raise GraphFault("The aspect ratio is not supported.", 36003, subcode=2207009,
                             user_message=f"The submitted image with aspect ratio ('{width}/{height}') "
                             "cannot be published. Please submit an image with a valid aspect ratio.")
        return width, height

    def _new_container(self, kind: str, **values: Any) -> dict[str, Any]:
        item = values.get("is_carousel_item", False)
        container = {"id": "179" + self._new_id(), "kind": kind, "is_carousel_item": item,
                     "polls_left": 0 if item else self.in_progress_polls,
                     "final_status": "FINISHED" if item else self.final_status, "published": False, **values}
        self.containers[container["id"]] = container
        return container

    def _container_status(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        with self._lock:
            container = self.containers[parts[0]]
            if container["published"]:
                status = "PUBLISHED"
            elif container["polls_left"] > 0:
                container["polls_left"] -= 1
                status = "IN_PROGRESS"
            else:
                status = container["final_status"]
        detail = {"ERROR": "Error: Media upload has failed with error code 2207001",
                  "EXPIRED": "Expired: the container was not published within 24 hours"}.get(status, status)
        return _fields(record, {"id": parts[0], "status_code": status, "status": detail}, default=("id",))

    def _media_publish(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        creation_id = record.params.get("creation_id", "")
        with self._lock:
            container = self.containers.get(creation_id)
            if container is None or container["is_carousel_item"]:
                raise GraphFault(f"(#100) Invalid creation_id {creation_id}", 100, subcode=2207006)
            if container["published"]:
                raise GraphFault("(#100) This media has already been published", 100, subcode=2207008)
            if container["polls_left"] > 0:
                raise GraphFault("Media ID is not available", 9007, subcode=2207027,
                                 user_message="The media is not ready for publishing, please wait for a "
                                 "moment")
            if container["final_status"] != "FINISHED":
                raise GraphFault("(#100) The media could not be published", 100, subcode=2207001)
            if self.quota_usage >= self.quota_total:
                raise GraphFault("Application request limit reached", 9, subcode=2207042,
                                 user_message="You have reached the maximum number of posts that is allowed "
                                 "to be published through the API in 24 hours.")
            children = [self.containers[child] for child in container.get("children", [])]
            media_id = "178" + self._new_id()
            self.ig_media[media_id] = {
                "id": media_id,
                "media_type": "CAROUSEL_ALBUM" if children else "IMAGE",
                "caption": container.get("caption", ""),
                "container_id": creation_id,
                "images": [
                    {key: item[key] for key in ("image_url", "alt_text", "width", "height")}
                    for item in (children or [container])
                ],
                "permalink": f"https://www.instagram.com/p/{secrets.token_urlsafe(8)}/",
            }
            container["published"] = True
            self.quota_usage += 1
        return {"id": media_id}

    def _read_media(self, record: RecordedRequest, parts: list[str]) -> dict[str, Any]:
        with self._lock:
            media = dict(self.ig_media[parts[0]])
        return _fields(record, media, default=("id",))


def _bearer(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "oauth") else ""


def _fields(record: RecordedRequest, obj: dict[str, Any], default: tuple[str, ...]) -> dict[str, Any]:
    """Return the requested ``fields`` of an object (and always its id), as Graph does."""
    wanted = [name.strip() for name in record.params.get("fields", "").split(",") if name.strip()]
    unknown = [name for name in wanted if name not in obj]
    if unknown:
        raise GraphFault(f"(#100) Tried accessing nonexisting field ({unknown[0]})", 100)
    return {name: obj[name] for name in ["id", *(wanted or default)] if name in obj}


def _raise(fault: GraphFault) -> dict[str, Any]:
    raise fault


def _answer(record: RecordedRequest, status: int, body: dict[str, Any],
            headers: dict[str, str] | None = None) -> Response:
    record.status, record.response = status, body
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


class StaticFiles:
    """Serve the files under ``root`` at ``<base_url><prefix><relative path>`` (GET only),
    over HTTPS when given an ``ssl_context``; ``served`` lists the paths asked for."""

    def __init__(self, root: str | Path, prefix: str = "/media/", ssl_context: ssl.SSLContext | None = None):
        self.root = Path(root).resolve()
        self.prefix = "/" + prefix.strip("/") + "/"
        self.scheme = "https" if ssl_context is not None else "http"
        self.served: list[str] = []
        self._server = make_server(HOST, 0, self._wsgi, threaded=True, request_handler=QuietHandler,
                                   ssl_context=ssl_context)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{HOST}:{self._server.server_port}"

    def url_for(self, relative: str) -> str:
        return f"{self.base_url}{self.prefix}{relative.lstrip('/')}"

    def __enter__(self) -> StaticFiles:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="static-files", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.served.append(request.path)
        response = Response("Not Found", status=404, content_type="text/plain")
        if request.method == "GET" and request.path.startswith(self.prefix):
            path = (self.root / request.path[len(self.prefix):]).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                response = Response(path.read_bytes(), content_type=kind)
        return response(environ, start_response)

"""A local X API v2 for tests: a threaded werkzeug server on 127.0.0.1:<free port>.

It serves one developer app and one user, and checks what the real API checks:

* every request's OAuth 1.0a signature (HMAC-SHA1, Authorization header), verified with
  oauthlib's server side (``ResourceEndpoint``): consumer key and secret, access token and
  secret, timestamp within 10 minutes, no nonce used twice. As RFC 5849 says, a
  form-urlencoded body is part of the signature, a multipart or JSON body is not. A wrong
  signature is answered 401 like X's v2 (``{"title": "Unauthorized", …}``);
* ``POST /2/media/upload`` — multipart field ``media`` (must decode as an image),
  ``media_category`` ``tweet_image``; answers ``{"data": {"id", "media_key", "size",
  "expires_after_secs", "image": …}}``;
* ``POST /2/media/metadata`` — JSON ``{"id", "metadata": {"alt_text": {"text"}}}`` for an
  uploaded id, alt text at most 1,000 characters;
* ``POST /2/tweets`` — JSON text of at most 280 weighted characters (URLs count 23,
  characters outside X's light ranges count 2), ``media.media_ids`` of uploaded ids (at
  most 4, each used once); the same text as a live post is refused 403 "duplicate
  content"; answers 201 ``{"data": {"id", "text", "edit_history_tweet_ids"}}``;
* ``DELETE /2/tweets/<id>`` — ``{"data": {"deleted": true}}``, 404 when no such live post;
* ``GET /2/users/me`` — ``{"data": {"id", "name", "username"}}``.

``can_write = False`` makes the app read-only: writes are refused 403 like X's
"oauth1-permissions" problem.

Every request is recorded (``requests``); live posts are in ``tweets``, uploads (with
their alt text) in ``media``, deleted post ids in ``deleted``. ``fail_next(kind,
times=1, path=None, …)`` injects a fault into the next authenticated requests (to
``path`` only, when given):

* ``"429"`` — Too Many Requests with ``x-rate-limit-limit/remaining/reset`` headers;
* ``"402"`` — Payment Required, X's "CreditsDepleted" problem;
* ``"500"``/``"503"`` — an error, nothing applied;
* ``"slow"`` — wait ``delay`` seconds, then apply and answer (the client gave up first);
* ``"apply_then_fail"`` — apply the request (the post is live) but answer 500.

Independent of Pressroom's adapters on purpose: it imports nothing from ``pressroom``.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint
from PIL import Image, UnidentifiedImageError
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import HOST, LoopbackServer, QuietHandler

TEXT_LIMIT = 280
ALT_TEXT_LIMIT = 1000
MAX_MEDIA = 4
FAULT_KINDS = ("429", "402", "500", "503", "slow", "apply_then_fail")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
#: twitter-text v3: code points in these ranges weigh 1, every other weighs 2.
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class Media:
    """An uploaded image, as X keeps it."""

    id: str
    media_key: str
    upload: Upload
    width: int
    height: int
    alt_text: str | None = None
    used: bool = False


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and how it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(repr=False)
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)
    #: Whether the OAuth 1.0a signature checked out.
    signed: bool = False
    status: int = 0
    fault: str | None = None
    response: dict[str, Any] = field(default_factory=dict)


class _Problem(Exception):
    """An error answer in X's v2 shape (RFC 7807 problem details)."""

    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any):
        super().__init__(detail)
        self.status = status
        self.body = {"title": title, "detail": detail, "type": type_, "status": status, **extra}


class _Validator(RequestValidator):
    """oauthlib's server side, knowing one app (consumer) and one user's access token."""

    def __init__(self, fake: FakeX):
        super().__init__()
        self.fake = fake
        self._nonces: set[tuple[str, str, str, str]] = set()
        self._lock = threading.Lock()

    # What a key, token or nonce may look like (X's tokens carry "-" and are 25–50 long).
    safe_characters = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    client_key_length = (10, 64)
    access_token_length = (10, 64)
    nonce_length = (8, 64)
    enforce_ssl = False
    dummy_client = "dummy-client-key-000"
    dummy_access_token = "0000000000-dummy-access-token"

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.fake.api_key

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.fake.api_secret if client_key == self.fake.api_key else "dummy-client-secret"

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return client_key == self.fake.api_key and token == self.fake.access_token

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        if token == self.fake.access_token:
            return self.fake.access_token_secret
        return "dummy-access-token-secret"

    def validate_timestamp_and_nonce(
        self, client_key: str, timestamp: str, nonce: str, request: Any, request_token: Any = None,
        access_token: Any = None,
    ) -> bool:
        key = (client_key, timestamp, nonce, str(access_token or request_token or ""))
        with self._lock:
            if key in self._nonces:
                return False
            self._nonces.add(key)
        return True

    def validate_realms(self, client_key: str, token: str, request: Any, uri: Any = None,
                        realms: Any = None) -> bool:
        return True


class FakeX(LoopbackServer):
    """An X API v2 for one app and one user account."""

    def __init__(
        self,
        api_key: str = "xfakeConsumerKey0123456789",
        api_secret: str = "xfakeConsumerSecret-abcdefghijklmnopqrstuvwxyz0123",
        access_token: str = "1790000000000000001-xfakeAccessTokenForPressroomTests",
        access_token_secret: str = "xfakeAccessTokenSecret-abcdefghijklmnopqrstuv",
        user_id: str = "1790000000000000001",
        username: str = "jatengprov_fake",
        name: str = "Pemprov Jateng (uji)",
    ):
        self.api_key, self.api_secret = api_key, api_secret
        self.access_token, self.access_token_secret = access_token, access_token_secret
        self.user = {"id": user_id, "name": name, "username": username}
        #: False: the app has "Read" permission only; writes are refused 403.
        self.can_write = True
        self.requests: list[RecordedRequest] = []
        #: post id → post object, for what is live on the account.
        self.tweets: dict[str, dict[str, Any]] = {}
        #: media id → upload (with its alt text once set).
        self.media: dict[str, Media] = {}
        self.deleted: list[str] = []
        self._next_tweet = 1_850_000_000_000_000_000
        self._next_media = 1_860_000_000_000_000_000
        self._faults: list[tuple[str, str | None, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._endpoint = ResourceEndpoint(_Validator(self))
        self._server = make_server(HOST, 0, self._wsgi, threaded=True, request_handler=QuietHandler)
        self._thread: threading.Thread | None = None

    # Lifecycle -----------------------------------------------------------------------------
    @property
    def credentials(self) -> dict[str, str]:
        """The four OAuth 1.0a values a Pressroom X account holds."""
        return {
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
        }


    # Faults and inspection -----------------------------------------------------------------
    def fail_next(
        self,
        kind: str,
        times: int = 1,
        path: str | None = None,
        reset_in: int = 30,
        delay: float = 1.0,
    ) -> None:
        """Fault the next ``times`` authenticated requests (to ``path`` only, if given).

        ``reset_in``: seconds until ``x-rate-limit-reset`` for "429"; ``delay``: for "slow".
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {FAULT_KINDS}")
        with self._lock:
            self._faults.extend([(kind, path, {"reset_in": reset_in, "delay": delay})] * times)

    def requests_for(self, method: str, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def _take_fault(self, path: str) -> tuple[str | None, dict[str, Any]]:
        with self._lock:
            for index, (kind, only, options) in enumerate(self._faults):
                if only is None or only == path:
                    del self._faults[index]
                    return kind, options
        return None, {}

    # WSGI ----------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        finally:
            request.close()  # uploaded files live in spooled temporary files
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        body = request.get_data()  # cached: form and files are parsed from it below
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers.items()),
            body=body,
            json=request.get_json(silent=True) if request.is_json else None,
            form=dict(request.form.items()),
            files={
                name: Upload(storage.filename or "", storage.mimetype or "", storage.read())
                for name, storage in request.files.items()
            },
        )
        with self._lock:
            self.requests.append(record)

        record.signed = self._verify(request, body)
        if not record.signed:
            return _record(record, 401, {
                "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized",
            })

        kind, options = self._take_fault(request.path)
        record.fault = kind
        if kind == "slow":
            self._stopping.wait(options["delay"])
        if kind == "429":
            reset = int(time.time()) + int(options["reset_in"])
            headers = {
                "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset),
            }
            problem = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                       "status": 429}
            return _record(record, 429, problem, headers)
        if kind == "402":
            return _record(record, 402, {
                "title": "CreditsDepleted",
                "detail": f"Your enrolled account [{self.user['id']}] does not have any credits to fulfill "
                          "this request.",
                "type": "https://api.twitter.com/2/problems/credits",
            })
        if kind in ("500", "503"):
            title = "Internal Server Error" if kind == "500" else "Service Unavailable"
            return _record(record, int(kind), {"title": title, "detail": title, "type": "about:blank",
                                               "status": int(kind)})

        try:
            status, answer = self._route(request, record)
        except _Problem as problem:
            return _record(record, problem.status, problem.body)
        if kind == "apply_then_fail":
            return _record(record, 500, {"title": "Internal Server Error", "detail": "Internal Server Error",
                                         "type": "about:blank", "status": 500})
        return _record(record, status, answer)

    def _verify(self, request: Request, body: bytes) -> bool:
        """Check the OAuth 1.0a signature over the URI as the client addressed it."""
        uri = f"{request.scheme}://{request.host}{request.environ.get('RAW_URI') or request.full_path}"
        form_encoded = request.mimetype == "application/x-www-form-urlencoded"
        valid, _ = self._endpoint.validate_protected_resource_request(
            uri,
            http_method=request.method,
            body=body.decode("utf-8", "replace") if form_encoded else None,
            headers=dict(request.headers.items()),
        )
        return bool(valid)

    def _route(self, request: Request, record: RecordedRequest) -> tuple[int, dict[str, Any]]:
        method, path = request.method, request.path.rstrip("/")
        if method in ("POST", "DELETE") and not self.can_write:
            raise _Problem(
                403, "Forbidden",
                "Your client app is not configured with the appropriate oauth1 app permissions for this "
                "endpoint.",
                "https://api.twitter.com/2/problems/oauth1-permissions",
            )
        if method == "POST" and path == "/2/media/upload":
            return self._upload(record)
        if method == "POST" and path == "/2/media/metadata":
            return self._metadata(record)
        if method == "POST" and path == "/2/tweets":
            return self._create(record)
        if method == "DELETE" and path.startswith("/2/tweets/"):
            return self._delete(path[len("/2/tweets/"):])
        if method == "GET" and path == "/2/users/me":
            return 200, {"data": dict(self.user)}
        raise _Problem(404, "Not Found Error", f"Sorry, that page does not exist: {method} {path}",
                       "https://api.twitter.com/2/problems/resource-not-found")

    # Endpoints -----------------------------------------------------------------------------
    def _upload(self, record: RecordedRequest) -> tuple[int, dict[str, Any]]:
        upload = record.files.get("media")
        if upload is None or not upload.data:
            raise _invalid("media: a media file is required (multipart field 'media')")
        category = record.form.get("media_category", "tweet_image")
        if category != "tweet_image":
            raise _invalid(f"media_category: {category!r} is not tweet_image")
        try:
            with Image.open(io.BytesIO(upload.data)) as image:
                width, height = image.size
                image_type = Image.MIME.get(image.format or "", "application/octet-stream")
        except (UnidentifiedImageError, OSError):
            raise _invalid("media: the uploaded file is not an image X can read") from None
        with self._lock:
            self._next_media += 1
            media_id = str(self._next_media)
            self.media[media_id] = Media(media_id, f"3_{media_id}", upload, width, height)
        data = {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "size": len(upload.data),
            "expires_after_secs": 86400,
            "image": {"image_type": image_type, "w": width, "h": height},
        }
        return 200, {"data": data}

    def _metadata(self, record: RecordedRequest) -> tuple[int, dict[str, Any]]:
        body = record.json if isinstance(record.json, dict) else None
        if body is None:
            raise _invalid("the body must be a JSON object")
        media_id = str(body.get("id") or "")
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if not isinstance(alt, str):
            raise _invalid("metadata.alt_text.text: a string is required")
        if len(alt) > ALT_TEXT_LIMIT:
            raise _invalid(f"metadata.alt_text.text: at most {ALT_TEXT_LIMIT} characters")
        with self._lock:
            media = self.media.get(media_id)
            if media is None:
                raise _invalid(f"id: no uploaded media with id {media_id!r}")
            media.alt_text = alt
        return 200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}}

    def _create(self, record: RecordedRequest) -> tuple[int, dict[str, Any]]:
        body = record.json if isinstance(record.json, dict) else None
        if body is None:
            raise _invalid("the body must be a JSON object")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise _invalid("text: a string is required")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not isinstance(media_ids, list) or not all(isinstance(m, str) for m in media_ids):
            raise _invalid("media.media_ids: a list of id strings is required")
        if not text and not media_ids:
            raise _invalid("text or media is required")
        if len(media_ids) > MAX_MEDIA:
            raise _invalid(f"media.media_ids: at most {MAX_MEDIA} items")
        if text and weighted_length(text) > TEXT_LIMIT:
            raise _Problem(
                400, "Invalid Request",
                "Your Tweet text is too long. For more information on how X determines text length see "
                "https://github.com/twitter/twitter-text.",
            )
        with self._lock:
            for media_id in media_ids:
                media = self.media.get(media_id)
                if media is None or media.used:
                    raise _invalid(f"media.media_ids: {media_id} is not an uploaded media id")
            if text and any(tweet["text"] == text for tweet in self.tweets.values()):
                raise _Problem(
                    403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
                )
            for media_id in media_ids:
                self.media[media_id].used = True
            self._next_tweet += 1
            tweet_id = str(self._next_tweet)
            tweet = {
                "id": tweet_id,
                "text": text or "",
                "edit_history_tweet_ids": [tweet_id],
                "author_id": self.user["id"],
                "media_ids": list(media_ids),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
            self.tweets[tweet_id] = tweet
        return 201, {"data": {"id": tweet_id, "text": tweet["text"], "edit_history_tweet_ids": [tweet_id]}}

    def _delete(self, tweet_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.tweets.pop(tweet_id, None) is None:
                raise _Problem(
                    404, "Not Found Error", f"Could not find tweet with id: [{tweet_id}].",
                    "https://api.twitter.com/2/problems/resource-not-found",
                )
            self.deleted.append(tweet_id)
        return 200, {"data": {"deleted": True}}


def weighted_length(text: str) -> int:
    """The length X counts (twitter-text v3, simplified): URLs 23, heavy characters 2."""
    length = 0
    rest = _URL.sub("", text)
    length += 23 * len(_URL.findall(text))
    for char in rest:
        code = ord(char)
        length += 1 if any(low <= code <= high for low, high in _LIGHT) else 2
    return length


def _invalid(message: str) -> _Problem:
    return _Problem(
        400, "Invalid Request", "One or more parameters to your request was invalid.",
        "https://api.twitter.com/2/problems/invalid-request", errors=[{"message": message}],
    )


def _record(record: RecordedRequest, status: int, body: dict[str, Any],
            headers: dict[str, str] | None = None) -> Response:
    record.status, record.response = status, body
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")

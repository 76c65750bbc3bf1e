"""A local Telegram Bot API for tests: a threaded werkzeug server on 127.0.0.1:<free port>.

It implements ``/bot<token>/sendMessage``, ``sendPhoto``, ``sendMediaGroup``,
``deleteMessage``, ``getMe`` and ``getChatMember`` for one bot in one channel, checks what
the real API checks (the token, the chat,
the ``photo`` upload, ``attach://`` references, caption and text lengths, 2–10 album items,
that uploads are images), and answers with bodies shaped like the Bot API documentation's
(``{"ok": true, "result": Message}`` with ``message_id``, ``date``, ``chat``, ``photo`` sizes;
``{"ok": false, "error_code": …, "description": …, "parameters": {"retry_after": …}}``).

Every request is recorded (``requests``); what is live in the channel is in ``posted``.
``fail_next(kind, times=1, …)`` injects a fault into the next requests:

* ``"429"`` — Too Many Requests with ``parameters.retry_after``;
* ``"500"``/``"503"`` — a JSON error, nothing applied;
* ``"502"`` — an HTML page from the front proxy, nothing applied;
* ``"slow"`` — wait ``delay`` seconds, then apply and answer (the client gave up first);
* ``"apply_then_fail"`` — apply the request (the post is live) but answer 500.

``FakeTelegram(latency=0.02)`` answers every request after that many seconds, like a real
API across a network (benchmarks); the default, 0, answers at once. ``keep_alive=True``
serves HTTP/1.1 persistent connections, as the real API does, so a client's connection pool
is reused (werkzeug's development server, the default, closes every connection).

Independent of Pressroom's adapters on purpose: it imports nothing from ``pressroom``.
"""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import HOST, LoopbackServer

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
FAULT_KINDS = ("429", "500", "502", "503", "slow", "apply_then_fail")


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and how it answered."""

    method: str
    token: str
    params: dict[str, str]
    files: dict[str, Upload]
    status: int = 0
    fault: str | None = None
    response: dict[str, Any] = field(default_factory=dict)


class _BadRequest(Exception):
    def __init__(self, description: str, code: int = 400):
        super().__init__(description)
        self.description, self.code = description, code


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with persistent connections: each request is handed to the WSGI app, and the
    connection stays open for the next one (closed after ``timeout`` seconds idle)."""

    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True  # the body follows the headers at once, not after an ACK

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._serve()

    do_POST = do_GET  # noqa: N815

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        environ = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": HOST, "SERVER_PORT": str(self.server.server_port), "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.client_address[0], "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers.items()},
        }
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = status, headers

        data = b"".join(self.server.app(environ, start_response))
        code, _, reason = answer["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in answer["headers"]:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:  # the client gave up first (a "slow" fault)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


class _KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: Any):
        super().__init__((HOST, 0), _KeepAliveHandler)
        self.app = app


class FakeTelegram(LoopbackServer):
    """A Bot API for one bot and one public channel."""

    def __init__(
        self,
        token: str = "123456789:AAH-fake-token-for-tests",
        channel_username: str = "jatengprov_fake",
        channel_id: int = -1001234567890,
        channel_title: str = "Pemprov Jateng (uji)",
        latency: float = 0.0,
        keep_alive: bool = False,
    ):
        self.token = token
        #: Seconds every request waits before it is answered (a network round trip's worth).
        self.latency = latency
        self.chat = {
            "id": channel_id,
            "title": channel_title,
            "username": channel_username,
            "type": "channel",
        }
        self.requests: list[RecordedRequest] = []
        #: message_id → Message object, for what is live in the channel.
        self.posted: dict[int, dict[str, Any]] = {}
        self.deleted: list[int] = []
        self._next_id = 100
        self._next_group = 13_000_000
        self._faults: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._listen(_KeepAliveServer(self._wsgi) if keep_alive else None)

    # Lifecycle -----------------------------------------------------------------------------

    # Faults --------------------------------------------------------------------------------
    def fail_next(self, kind: str, times: int = 1, retry_after: int = 7, delay: float = 1.0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {FAULT_KINDS}")
        with self._lock:
            self._faults.extend([(kind, {"retry_after": retry_after, "delay": delay})] * times)

    def requests_for(self, method: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    # WSGI ----------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        finally:
            request.close()  # uploaded files live in spooled temporary files
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = parts[0][3:], parts[1]
        params = _params(request)
        files = {
            name: Upload(storage.filename or "", storage.mimetype or "", storage.read())
            for name, storage in request.files.items()
        }
        record = RecordedRequest(method=method, token=token, params=params, files=files)
        with self._lock:
            self.requests.append(record)
            kind, options = self._faults.pop(0) if self._faults else (None, {})
        record.fault = kind

        if self.latency > 0:
            self._stopping.wait(self.latency)
        if kind == "slow":
            self._stopping.wait(options["delay"])
        if kind == "429":
            after = options["retry_after"]
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {after}",
                "parameters": {"retry_after": after},
            }
            return _record(record, 429, body)
        if kind in ("500", "503"):
            text = "Internal Server Error" if kind == "500" else "Service Unavailable"
            return _error(record, int(kind), text)
        if kind == "502":
            record.status = 502
            html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
            html += "</h1></center><hr><center>nginx</center></body></html>"
            return Response(html, status=502, content_type="text/html")

        if token != self.token:
            return _error(record, 401, "Unauthorized")
        handler = {
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "deleteMessage": self._delete_message,
            "getMe": self._get_me,
            "getChatMember": self._get_chat_member,
        }.get(method)
        if handler is None:
            return _error(record, 404, "Not Found")
        try:
            result = handler(params, files)
        except _BadRequest as exc:
            return _error(record, exc.code, exc.description)
        if kind == "apply_then_fail":
            return _error(record, 500, "Internal Server Error")
        return _record(record, 200, {"ok": True, "result": result})

    # Methods -------------------------------------------------------------------------------
    def _check_chat(self, params: dict[str, str]) -> None:
        chat_id = params.get("chat_id", "").strip()
        if not chat_id:
            raise _BadRequest("Bad Request: chat_id is empty")
        if chat_id not in (str(self.chat["id"]), "@" + self.chat["username"]):
            raise _BadRequest("Bad Request: chat not found")

    def _send_message(self, params: dict[str, str], files: dict[str, Upload]) -> dict[str, Any]:
        self._check_chat(params)
        text = params.get("text", "")
        if not text.strip():
            raise _BadRequest("Bad Request: message text is empty")
        if len(text) > TEXT_LIMIT:
            raise _BadRequest("Bad Request: message is too long")
        return self._post({"text": text})

    def _send_photo(self, params: dict[str, str], files: dict[str, Upload]) -> dict[str, Any]:
        self._check_chat(params)
        if "photo" not in files:
            # Pressroom always uploads; a file_id or URL string is not what it should send.
            raise _BadRequest("Bad Request: there is no photo in the request")
        caption = _caption(params.get("caption"))
        message = {"photo": _photo_sizes(files["photo"])}
        if caption:
            message["caption"] = caption
        return self._post(message)

    def _send_media_group(self, params: dict[str, str], files: dict[str, Upload]) -> list[dict[str, Any]]:
        self._check_chat(params)
        try:
            media = json.loads(params.get("media", ""))
        except ValueError:
            raise _BadRequest("Bad Request: can't parse media JSON object") from None
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _BadRequest("Bad Request: wrong number of media items (an album takes 2 to 10)")
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") != "photo":
                raise _BadRequest("Bad Request: unsupported media type in the album")
            reference = str(item.get("media", ""))
            if not reference.startswith("attach://") or reference[len("attach://") :] not in files:
                raise _BadRequest("Bad Request: wrong file identifier/HTTP URL specified")
            entry = {"photo": _photo_sizes(files[reference[len("attach://") :]])}
            caption = _caption(item.get("caption"))
            if caption:
                entry["caption"] = caption
            prepared.append(entry)
        with self._lock:
            self._next_group += 1
            group = str(self._next_group)
        return [self._post({**entry, "media_group_id": group}) for entry in prepared]

    #: The bot as getMe describes it, and its membership of the channel (an administrator that
    #: may post, unless a test changes it).
    bot = {"id": 123456789, "is_bot": True, "first_name": "Pressroom Uji", "username": "pressroom_uji_bot"}
    bot_member = {"status": "administrator", "can_post_messages": True}

    def _get_me(self, params: dict[str, str], files: dict[str, Upload]) -> dict[str, Any]:
        return dict(self.bot)

    def _get_chat_member(self, params: dict[str, str], files: dict[str, Upload]) -> dict[str, Any]:
        self._check_chat(params)
        if params.get("user_id") != str(self.bot["id"]):
            raise _BadRequest("Bad Request: user not found")
        return {"user": dict(self.bot), **self.bot_member}

    def _delete_message(self, params: dict[str, str], files: dict[str, Upload]) -> bool:
        self._check_chat(params)
        try:
            message_id = int(params.get("message_id", ""))
        except ValueError:
            raise _BadRequest("Bad Request: message identifier is not specified") from None
        with self._lock:
            if self.posted.pop(message_id, None) is None:
                raise _BadRequest("Bad Request: message to delete not found")
            self.deleted.append(message_id)
        return True

    def _post(self, content: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            message = {
                "message_id": self._next_id,
                "sender_chat": dict(self.chat),
                "chat": dict(self.chat),
                "date": int(time.time()),
                **content,
            }
            self.posted[message["message_id"]] = message
        return message


def _params(request: Request) -> dict[str, str]:
    """Read parameters the ways the Bot API accepts: query string, form, or JSON body."""
    params = {key: value for key, value in request.args.items()}
    if request.is_json:
        body = request.get_json(silent=True) or {}
        for key, value in body.items():
            params[key] = value if isinstance(value, str) else json.dumps(value)
    else:
        params.update(request.form.items())
    return params


def _caption(caption: Any) -> str:
    caption = "" if caption is None else str(caption)
    if len(caption) > CAPTION_LIMIT:
        raise _BadRequest("Bad Request: message caption is too long")
    return caption


def _photo_sizes(upload: Upload) -> list[dict[str, Any]]:
    """Return PhotoSize objects as Telegram would after decoding the upload."""
    try:
        with Image.open(io.BytesIO(upload.data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        raise _BadRequest("Bad Request: IMAGE_PROCESS_FAILED") from None
    sizes = []
    for index, bound in enumerate((90, 320, 800, 1280)):
        scale = min(1.0, bound / max(width, height))
        sizes.append(
            {
                "file_id": f"AgACAgUAAxk-fake-{len(upload.data)}-{index}",
                "file_unique_id": f"AQAD-fake-{index}",
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": max(1, round(len(upload.data) * scale * scale)),
            }
        )
        if scale == 1.0:
            break
    return sizes


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _record(record: RecordedRequest, status: int, body: dict[str, Any]) -> Response:
    record.status, record.response = status, body
    return _json(status, body)


def _error(record: RecordedRequest, code: int, description: str) -> Response:
    return _record(record, code, {"ok": False, "error_code": code, "description": description})

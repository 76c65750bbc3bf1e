"""Local WhatsApp providers for tests — the Cloud API, Fonnte and Wablas — and a webhook
receiver: threaded werkzeug servers on 127.0.0.1:<free port>.

``FakeWhatsAppCloud`` is Meta's Cloud API for one business number (``phone_number_id``):

* ``POST /<version>/<phone_number_id>/messages`` — checks ``Authorization: Bearer <token>``
  (else 401, code 190) and the JSON body as Meta does: ``messaging_product``, ``to``, and
  ``text`` (``body``, at most 4,096 characters), ``image`` (a ``link``, caption at most
  1,024) or ``template`` (a known ``name`` in one of its languages, else 132001; an
  image-header template needs ``{"type": "header", "parameters": [{"type": "image",
  "image": {"link": …}}]}``, else 132012; exactly its number of body and URL-button text
  parameters, else 132000). Accepted messages answer ``{"messaging_product": "whatsapp",
  "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`` and queue their
  statuses for the webhook: ``sent`` then ``delivered`` — or, like Meta, ``failed`` with
  131026 for a number in ``not_on_whatsapp`` and with 131047 for a free-form message to
  someone whose 24-hour window is not open (``open_windows``; an inbound message opens it);
* ``GET /<version>/<phone_number_id>?fields=…`` — ``display_phone_number``,
  ``verified_name``, ``quality_rating``; ``GET /<version>/debug_token`` — ``expires_at``;
* errors are shaped ``{"error": {"message", "type", "code", "error_data":
  {"messaging_product", "details"}, "fbtrace_id"}}``.

Webhooks: ``take_status_webhook()`` returns the queued statuses as one webhook body (and
clears them), ``inbound_webhook(…)`` a citizen's message; ``post_webhook(url, body,
signature="valid" | "forged" | "missing")`` posts a body with ``X-Hub-Signature-256`` made
with ``app_secret`` (or a wrong secret, or none). ``sign(body)`` gives the header value.

``fail_next(kind, times=1, …)`` injects a fault into the next ``/messages`` requests:
``"429"`` (HTTP 429, code 130429, ``Retry-After`` when ``retry_after`` is given),
``"131056"`` (pair rate limit), ``"80007"`` (account rate limit), ``"131047"`` and
``"131026"`` (answered at once instead of on the webhook), ``"190"`` (token expired),
``"500"`` (code 131000, nothing applied), ``"503"`` (an HTML page from the front proxy,
nothing applied), ``"slow"`` (wait ``delay`` seconds, then apply and answer) and
``"apply_then_fail"`` (the message is accepted, the answer is a 500).

``FakeFonnte`` (``POST /send``, ``POST /device``) and ``FakeWablas`` (``POST
/api/send-message``, ``POST /api/send-image``, ``GET /api/device/info``) answer HTTP 200 with
``"status": true`` or ``"status": false`` and a ``reason`` (Fonnte) / ``message`` (Wablas)
like the real gateways: a wrong token, a ``disconnected`` device, a number in ``refused``.
Fonnte applies ``countryCode`` as documented (a leading 0 becomes the code, ``0`` turns that
off). Both take ``fail_next("429" | "500" | "502" | "slow" | "apply_then_fail")`` and build
their incoming-message webhook bodies (``inbound(…)``).

``WebhookSink`` records what is posted to it (and answers with ``handler`` when given one).

``FakeWhatsAppCloud(latency=0.05)`` answers every request after that many seconds, like the
real API across a network (benchmarks); the default, 0, answers at once.

Every request is recorded (``requests``). Independent of Pressroom on purpose: it imports
nothing from ``pressroom``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import LoopbackServer

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CLOUD_FAULTS = ("429", "131056", "80007", "131047", "131026", "190", "500", "503", "slow", "apply_then_fail")
GATEWAY_FAULTS = ("429", "500", "502", "slow", "apply_then_fail")
PARAMS_MISMATCH = "(#132000) Number of parameters does not match the expected number of params"
FORMAT_MISMATCH = "(#132012) Parameter format does not match format in the created template"
ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
_PROXY_PAGE = ("<html><head><title>{code}</title></head><body><center><h1>{code}</h1></center><hr>"
               "<center>nginx</center></body></html>")


@dataclass
class RecordedRequest:
    """One request as a fake saw it, and how it answered."""

    verb: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]
    body: Any
    status: int = 0
    fault: str | None = None
    response: Any = None


class _LocalServer(LoopbackServer):
    """What the WhatsApp fakes share besides the lifecycle: recorded requests and queued faults."""

    thread_name = "fake-server"

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._faults: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._listen()

    def _queue_faults(self, kinds: tuple[str, ...], kind: str, times: int, options: dict[str, Any]) -> None:
        if kind not in kinds:
            raise ValueError(f"unknown fault {kind!r}; use one of {kinds}")
        with self._lock:
            self._faults.extend([(kind, options)] * times)

    def _take_fault(self) -> tuple[str | None, dict[str, Any]]:
        with self._lock:
            return self._faults.pop(0) if self._faults else (None, {})

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        finally:
            request.close()
        return response(environ, start_response)

    def _record(self, request: Request, body: Any) -> RecordedRequest:
        record = RecordedRequest(
            verb=request.method,
            path=request.path,
            headers={key: value for key, value in request.headers.items()},
            params=dict(request.args.items()),
            body=body,
        )
        with self._lock:
            self.requests.append(record)
        return record

    def _handle(self, request: Request) -> Response:
        raise NotImplementedError


def _json(record: RecordedRequest, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    record.status, record.response = status, body
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


def _page(record: RecordedRequest, status: int) -> Response:
    record.status = status
    text = {500: "500 Internal Server Error", 502: "502 Bad Gateway",
            503: "503 Service Temporarily Unavailable"}
    return Response(_PROXY_PAGE.format(code=text[status]), status=status, content_type="text/html")


# The Cloud API ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    """An approved message template: its languages, header, and parameter counts."""

    languages: tuple[str, ...] = ("id",)
    header: str | None = None  # "image" or None
    body_params: int = 0
    url_buttons: int = 0


DEFAULT_TEMPLATES = {
    # A press alert: the infographic, the title, the OPD, the time (WIB); "Baca selengkapnya" links
    # to https://…/pers/{{1}}.
    "siaran_pers": Template(languages=("id",), header="image", body_params=3, url_buttons=1),
    # A reply to a complaint after the 24-hour window: the ticket number and the new status.
    "balasan_aduan": Template(languages=("id", "en"), header=None, body_params=2),
}


class CloudFault(Exception):
    """A Cloud API error answer: raise it from a handler."""

    def __init__(
        self, code: int, message: str, details: str = "", status: int = 400, subcode: int | None = None
    ):
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
        if subcode is not None:
            self.error["error_subcode"] = subcode
        if details:
            self.error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        self.error["fbtrace_id"] = "A" + secrets.token_hex(10)


def _cloud_fault(kind: str) -> CloudFault:
    faults = {
        "429": CloudFault(130429, "(#130429) Rate limit hit",
                          "Cloud API message throughput has been reached.", status=429),
        "131056": CloudFault(131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                             "Message failed to send because there were too many messages sent from this "
                             "phone number to the same phone number in a short period of time."),
        "80007": CloudFault(80007, "(#80007) Rate limit issues",
                            "The WhatsApp Business Account has reached its rate limit."),
        "131047": CloudFault(131047, "(#131047) Re-engagement message",
                             "Message failed to send because more than 24 hours have passed since the "
                             "customer last replied to this number."),
        "131026": CloudFault(131026, "(#131026) Message Undeliverable", "Message Undeliverable."),
        "190": CloudFault(190, "Error validating access token: Session has expired on Friday, 07-Mar-25 "
                          "10:00:00 PST.", status=401, subcode=463),
        "500": CloudFault(131000, "(#131000) Something went wrong", "Something went wrong.", status=500),
    }
    return faults[kind]


class FakeWhatsAppCloud(_LocalServer):
    """The WhatsApp Cloud API for one business phone number."""

    thread_name = "fake-whatsapp-cloud"

    def __init__(
        self,
        version: str = "v21.0",
        phone_number_id: str = "106540352242922",
        waba_id: str = "102290129340398",
        access_token: str = "EAAG-fake-whatsapp-token",
        app_secret: str = "fake-app-secret",
        display_phone_number: str = "+62 24-8310000",
        verified_name: str = "Diskominfo Jateng (uji)",
        quality_rating: str = "GREEN",
        templates: dict[str, Template] | None = None,
        latency: float = 0.0,
    ):
        self.version = version
        #: Seconds every request waits before it is answered (a network round trip's worth).
        self.latency = latency
        self.phone_number_id, self.waba_id = phone_number_id, waba_id
        self.access_token, self.app_secret = access_token, app_secret
        self.display_phone_number, self.verified_name = display_phone_number, verified_name
        self.quality_rating = quality_rating
        self.templates = dict(DEFAULT_TEMPLATES if templates is None else templates)
        #: WhatsApp ids (digits) that have no WhatsApp account: accepted, then failed with 131026.
        self.not_on_whatsapp: set[str] = set()
        #: WhatsApp ids that wrote within 24 hours: free-form messages to others fail with 131047.
        self.open_windows: set[str] = set()
        #: debug_token's answer (Unix seconds; 0 = never).
        self.expires_at = 0
        #: wamid → the accepted message body.
        self.accepted: dict[str, dict[str, Any]] = {}
        self._pending_statuses: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        super().__init__()

    # Faults, webhooks, inspection ----------------------------------------------------------------
    def fail_next(
        self, kind: str, times: int = 1, *, retry_after: int | None = None, delay: float = 1.0
    ) -> None:
        self._queue_faults(CLOUD_FAULTS, kind, times, {"retry_after": retry_after, "delay": delay})

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for body in self.accepted.values() if body.get("to") == wa_id]

    def sign(self, body: bytes, secret: str | None = None) -> str:
        key = (secret if secret is not None else self.app_secret).encode("utf-8")
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def webhook_body(self, value: dict[str, Any]) -> bytes:
        """One ``messages`` webhook around ``value`` (statuses or messages), as Meta posts it."""
        envelope = {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": _digits(self.display_phone_number),
                             "phone_number_id": self.phone_number_id},
                **value,
            }}]}],
        }
        return json.dumps(envelope).encode("utf-8")

    def take_status_webhook(self) -> bytes | None:
        """The statuses queued since the last call, as one webhook body (None if there are none)."""
        with self._lock:
            statuses, self._pending_statuses = self._pending_statuses, []
        return self.webhook_body({"statuses": statuses}) if statuses else None

    def inbound_webhook(
        self, wa_id: str, text: str = "", *, name: str = "Budi Santoso", image_id: str | None = None,
        mime_type: str = "image/jpeg", reply_to: str | None = None, at: int | None = None,
    ) -> bytes:
        """A person's message to the business number (it opens their 24-hour window)."""
        with self._lock:
            self.open_windows.add(wa_id)
        stamp = str(at or int(time.time()))
        message: dict[str, Any] = {"from": wa_id, "id": self._wamid(wa_id), "timestamp": stamp}
        if image_id:
            message["type"] = "image"
            digest = hashlib.sha256(image_id.encode()).hexdigest()
            message["image"] = {"mime_type": mime_type, "sha256": digest, "id": image_id}
            if text:
                message["image"]["caption"] = text
        else:
            message["type"] = "text"
            message["text"] = {"body": text}
        if reply_to:
            message["context"] = {"from": _digits(self.display_phone_number), "id": reply_to}
        contacts = [{"profile": {"name": name}, "wa_id": wa_id}]
        return self.webhook_body({"contacts": contacts, "messages": [message]})

    def post_webhook(self, url: str, body: bytes, signature: str = "valid") -> requests.Response:
        """POST a webhook body to ``url`` signed with the app secret (``"valid"``), a wrong
        secret (``"forged"``), or not at all (``"missing"``)."""
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = self.sign(body)
        elif signature == "forged":
            headers["X-Hub-Signature-256"] = self.sign(body, secret="not-" + self.app_secret)
        elif signature != "missing":
            raise ValueError("signature is 'valid', 'forged' or 'missing'")
        with requests.Session() as http:
            response = http.post(url, data=body, headers=headers, timeout=5)
            response.close()
        return response

    # WSGI ----------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.method == "POST" else None
        record = self._record(request, body)
        parts = [part for part in request.path.split("/") if part]
        token = _bearer(request.headers.get("Authorization", "")) or request.args.get("access_token", "")
        is_send = request.method == "POST" and parts == [self.version, self.phone_number_id, "messages"]
        kind, options = self._take_fault() if is_send else (None, {})
        record.fault = kind
        if self.latency > 0:
            self._stopping.wait(self.latency)
        if kind == "slow":
            self._stopping.wait(options["delay"])
        elif kind == "503":
            return _page(record, 503)
        elif kind is not None and kind != "apply_then_fail":
            fault = _cloud_fault(kind)
            headers = {"Retry-After": str(options["retry_after"])} if options.get("retry_after") else None
            return _json(record, fault.status, {"error": fault.error}, headers)
        try:
            if token != self.access_token:
                raise CloudFault(190, "Invalid OAuth access token - Cannot parse access token", status=401)
            if is_send:
                answer = self._send(body)
            elif request.method == "GET" and parts == [self.version, self.phone_number_id]:
                answer = self._phone_number(request.args.get("fields", ""))
            elif request.method == "GET" and parts == [self.version, "debug_token"]:
                answer = {"data": {"is_valid": True, "expires_at": self.expires_at,
                                   "data_access_expires_at": 0, "type": "SYSTEM_USER"}}
            else:
                object_id = parts[1] if len(parts) > 1 else ""
                raise CloudFault(100, f"Unsupported {request.method.lower()} request. Object with ID "
                                 f"'{object_id}' does not exist, cannot be loaded due to missing "
                                 "permissions, or does not support this operation.", subcode=33)
        except CloudFault as fault:
            return _json(record, fault.status, {"error": fault.error})
        if kind == "apply_then_fail":
            return _json(record, 500, {"error": _cloud_fault("500").error})
        return _json(record, 200, answer)

    def _phone_number(self, fields: str) -> dict[str, Any]:
        known = {"display_phone_number": self.display_phone_number, "verified_name": self.verified_name,
                 "quality_rating": self.quality_rating}
        wanted = [name.strip() for name in fields.split(",") if name.strip()] or list(known)
        return {**{name: known[name] for name in wanted if name in known}, "id": self.phone_number_id}

    def _send(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise CloudFault(100, "(#100) The parameter messaging_product is required.")
        if body.get("messaging_product") != "whatsapp":
            raise CloudFault(100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to") or "")
        recipient = _digits(to)
        if not recipient or not 8 <= len(recipient) <= 15:
            raise CloudFault(131009, "(#131009) Parameter value is not valid",
                             "Recipient phone number is not valid")
        kind = body.get("type", "text")
        if kind == "text":
            self._check_text(body.get("text"))
        elif kind == "image":
            self._check_image(body.get("image"))
        elif kind == "template":
            self._check_template(body.get("template"))
        else:
            raise CloudFault(131051, "(#131051) Unsupported message type",
                             f"Message type {kind} is not supported.")
        wamid = self._wamid(recipient)
        with self._lock:
            self.accepted[wamid] = body
            if recipient in self.not_on_whatsapp:
                self._pending_statuses.append(self._status(
                    wamid, recipient, "failed", 131026, "Message undeliverable", "Message Undeliverable."))
            elif kind != "template" and recipient not in self.open_windows:
                self._pending_statuses.append(self._status(
                    wamid, recipient, "failed", 131047, "Re-engagement message",
                    "Message failed to send because more than 24 hours have passed since the customer last "
                    "replied to this number."))
            else:
                self._pending_statuses.append(self._status(wamid, recipient, "sent"))
                self._pending_statuses.append(self._status(wamid, recipient, "delivered"))
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": recipient}],
                  "messages": [{"id": wamid}]}
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return answer

    def _check_text(self, text: Any) -> None:
        body = text.get("body") if isinstance(text, dict) else None
        if not isinstance(body, str) or not body.strip():
            raise CloudFault(100, "(#100) The parameter text['body'] is required.")
        if len(body) > TEXT_LIMIT:
            raise CloudFault(100, "(#100) Param text['body'] must be at most 4096 characters long.")

    def _check_image(self, image: Any) -> None:
        if not isinstance(image, dict) or not str(image.get("link") or "").startswith(("http://", "https://")):
            raise CloudFault(100, "(#100) The parameter image['link'] is required.")
        if len(str(image.get("caption") or "")) > CAPTION_LIMIT:
            raise CloudFault(100, "(#100) Param image['caption'] must be at most 1024 characters long.")

    def _check_template(self, template: Any) -> None:
        if not isinstance(template, dict):
            raise CloudFault(100, "(#100) The parameter template is required.")
        name = template.get("name")
        language = template.get("language")
        language = language.get("code") if isinstance(language, dict) else None
        spec = self.templates.get(name)
        if spec is None or language not in spec.languages:
            raise CloudFault(132001, "(#132001) Template name does not exist in the translation",
                             f"template name ({name}) does not exist in {language}")
        header, body, buttons = None, [], []
        for component in template.get("components") or []:
            if not isinstance(component, dict):
                raise CloudFault(100, "(#100) Invalid parameter")
            kind, parameters = component.get("type"), component.get("parameters") or []
            if kind == "header":
                header = parameters
            elif kind == "body":
                body = parameters
            elif kind == "button" and component.get("sub_type") == "url":
                buttons.append((component.get("index"), parameters))
            else:
                raise CloudFault(100, "(#100) Invalid parameter", f"unsupported component {kind!r}")
        if spec.header == "image":
            link = None
            if header and isinstance(header[0], dict) and header[0].get("type") == "image":
                link = (header[0].get("image") or {}).get("link")
            if not str(link or "").startswith(("http://", "https://")):
                raise CloudFault(132012, FORMAT_MISMATCH,
                                 "header: Format mismatch, expected IMAGE, received UNKNOWN")
        elif header:
            raise CloudFault(132000, PARAMS_MISMATCH, "header: this template has no header parameters")
        texts = [p.get("text") for p in body if isinstance(p, dict) and p.get("type") == "text"]
        if len(body) != spec.body_params or len(texts) != len(body):
            raise CloudFault(132000, PARAMS_MISMATCH,
                             f"body: number of localizable_params ({len(body)}) does not match the expected "
                             f"number of params ({spec.body_params})")
        if any(not isinstance(text, str) or not text.strip() for text in texts):
            raise CloudFault(131008, "(#131008) Required parameter is missing", "body: a parameter is empty")
        if len(buttons) != spec.url_buttons or [index for index, _ in buttons] != [
            str(n) for n in range(spec.url_buttons)
        ]:
            raise CloudFault(132000, PARAMS_MISMATCH,
                             f"buttons: expected {spec.url_buttons} URL button parameters")

    def _status(self, wamid: str, recipient: str, status: str, code: int | None = None, title: str = "",
                details: str = "") -> dict[str, Any]:
        entry: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(time.time())),
                                 "recipient_id": recipient}
        if status in ("sent", "delivered"):
            entry["conversation"] = {"id": secrets.token_hex(16), "origin": {"type": "utility"}}
            entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
        if code is not None:
            entry["errors"] = [{"code": code, "title": title, "message": title,
                                "error_data": {"details": details}, "href": ERROR_CODES_URL}]
        return entry

    def _wamid(self, wa_id: str) -> str:
        return f"wamid.HBgN{wa_id}FQIAERgS{next(self._ids):06d}{secrets.token_hex(6).upper()}AA=="


# Gateways ------------------------------------------------------------------------------------
class _FakeGateway(_LocalServer):
    """What the fake Fonnte and Wablas share: token check, faults, refusals, a queue."""

    def __init__(self, token: str, device: str, name: str):
        self.token, self.device, self.device_name = token, device, name
        #: False: every send answers "status": false (the phone is not linked).
        self.connected = True
        #: Numbers (digits, after the gateway's own rewriting) refused with a reason.
        self.refused: dict[str, str] = {}
        #: What the gateway queued: dicts of the fields it took.
        self.queued: list[dict[str, str]] = []
        self._ids = itertools.count(80_367_170)
        super().__init__()

    def fail_next(
        self, kind: str, times: int = 1, *, retry_after: int | None = None, delay: float = 1.0
    ) -> None:
        self._queue_faults(GATEWAY_FAULTS, kind, times, {"retry_after": retry_after, "delay": delay})

    def _handle(self, request: Request) -> Response:
        fields = dict(request.args.items())
        fields.update(request.form.items())
        if request.is_json:
            fields.update({key: str(value) for key, value in (request.get_json(silent=True) or {}).items()})
        record = self._record(request, fields)
        handler, sends = self._route(request.method, request.path)
        kind, options = self._take_fault() if sends else (None, {})
        record.fault = kind
        if kind == "slow":
            self._stopping.wait(options["delay"])
        elif kind == "429":
            headers = {"Retry-After": str(options["retry_after"])} if options.get("retry_after") else None
            return _json(record, 429, self._false("too many requests"), headers)
        elif kind == "500":
            return _json(record, 500, self._false("internal server error"))
        elif kind == "502":
            return _page(record, 502)
        if handler is None:
            return _json(record, 404, self._false("not found"))
        status, answer = handler(request, fields)
        if kind == "apply_then_fail":
            return _page(record, 500)
        return _json(record, status, answer)

    def _route(self, verb: str, path: str) -> tuple[Callable[..., tuple[int, dict[str, Any]]] | None, bool]:
        raise NotImplementedError

    def _false(self, reason: str) -> dict[str, Any]:
        raise NotImplementedError

    def _queue(self, entry: dict[str, str]) -> str:
        with self._lock:
            message_id = str(next(self._ids))
            self.queued.append({**entry, "id": message_id})
        return message_id


class FakeFonnte(_FakeGateway):
    """Fonnte's API for one device (``Authorization: <token>``)."""

    thread_name = "fake-fonnte"

    def __init__(self, token: str = "fonnte-fake-token", device: str = "6281390000001",
                 name: str = "Humas Jateng (uji)"):
        super().__init__(token, device, name)

    def _route(self, verb: str, path: str) -> tuple[Any, bool]:
        if verb == "POST" and path.rstrip("/") == "/send":
            return self._send, True
        if verb == "POST" and path.rstrip("/") == "/device":
            return self._device, False
        return None, False

    def _false(self, reason: str) -> dict[str, Any]:
        return {"reason": reason, "status": False}

    def _send(self, request: Request, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization", "") != self.token:
            return 200, self._false("invalid token")
        if not self.connected:
            return 200, self._false("disconnected device")
        target = fields.get("target", "").strip()
        country = fields.get("countryCode", "62").strip() or "62"
        if country != "0" and target.startswith("0"):
            target = country + target[1:]
        if not target.isdigit() or not 8 <= len(target) <= 15:
            return 200, self._false("target invalid")
        if target in self.refused:
            return 200, self._false(self.refused[target])
        if not fields.get("message", "").strip() and not fields.get("url"):
            return 200, self._false("message or url is required")
        message_id = self._queue({"target": target, "message": fields.get("message", ""),
                                  "url": fields.get("url", "")})
        return 200, {"detail": "success! message in queue", "id": [int(message_id)], "process": "pending",
                     "requestid": int(message_id) * 3, "status": True, "target": [target]}

    def _device(self, request: Request, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization", "") != self.token:
            return 200, self._false("token invalid")
        return 200, {"device": self.device, "device_status": "connect" if self.connected else "disconnect",
                     "expired": "18 November 2029", "messages": len(self.queued), "name": self.device_name,
                     "package": "Reguler", "quota": "978", "status": True}

    def inbound(self, sender: str, message: str, *, name: str = "Budi Santoso", kind: str = "text",
                url: str = "", extension: str = "", group: bool = False) -> dict[str, Any]:
        """Fonnte's incoming-message webhook body (JSON fields as Fonnte sends them)."""
        return {"quick": False, "device": self.device, "pesan": message,
                "pengirim": "120363400835772540@g.us" if group else sender, "member": sender if group else "",
                "message": message, "text": "non-button message",
                "sender": "120363400835772540@g.us" if group else sender, "name": name, "location": "",
                "url": url, "type": kind, "extension": extension, "filename": "", "pollname": "",
                "choices": [], "inboxid": 0, "isgroup": group, "isforwarded": False}


class FakeWablas(_FakeGateway):
    """A Wablas server for one device (``Authorization: <token>.<secret_key>``)."""

    thread_name = "fake-wablas"

    def __init__(self, token: str = "wablas-fake-token", secret_key: str = "wablas-fake-secret",
                 device: str = "6281390000002", name: str = "Humas Jateng (uji)", device_id: str = "A5DOYJ"):
        self.secret_key, self.device_id = secret_key, device_id
        super().__init__(token, device, name)

    def _route(self, verb: str, path: str) -> tuple[Any, bool]:
        path = path.rstrip("/")
        if verb == "POST" and path == "/api/send-message":
            return self._send_message, True
        if verb == "POST" and path == "/api/send-image":
            return self._send_image, True
        if verb == "GET" and path == "/api/device/info":
            return self._device_info, False
        return None, False

    def _false(self, reason: str) -> dict[str, Any]:
        return {"status": False, "message": reason}

    def _authorised(self, request: Request) -> bool:
        expected = f"{self.token}.{self.secret_key}" if self.secret_key else self.token
        return request.headers.get("Authorization", "") == expected

    def _check(self, request: Request, fields: dict[str, str]) -> dict[str, Any] | None:
        if not self._authorised(request):
            return self._false("token invalid")
        if not self.connected:
            return self._false("device disconnected, please scan qr code")
        phone = fields.get("phone", "").strip()
        if not phone.isdigit() or not 8 <= len(phone) <= 15:
            return self._false("phone number invalid")
        if phone in self.refused:
            return self._false(self.refused[phone])
        return None

    def _send_message(self, request: Request, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        refusal = self._check(request, fields)
        if refusal:
            return 200, refusal
        if not fields.get("message", "").strip():
            return 200, self._false("message is required")
        message_id = self._queue({"phone": fields["phone"], "message": fields["message"]})
        return 200, {"status": True, "message": "Message is pending and waiting to be processed", "data": {
            "device_id": self.device_id, "quota": 94, "messages": [{
                "id": _uuid(message_id), "phone": fields["phone"], "message": fields["message"],
                "status": "pending"}]}}

    def _send_image(self, request: Request, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        refusal = self._check(request, fields)
        if refusal:
            return 200, refusal
        if not fields.get("image", "").startswith(("http://", "https://")):
            return 200, self._false("image url is required")
        message_id = self._queue({"phone": fields["phone"], "image": fields["image"],
                                  "caption": fields.get("caption", "")})
        return 200, {"status": True, "message": "Message is pending and waiting to be processed", "data": {
            "device_id": self.device_id, "quota": 93, "messages": [{
                "id": _uuid(message_id), "phone": fields["phone"], "message": None,
                "caption": fields.get("caption", ""), "image": fields["image"].rsplit("/", 1)[-1],
                "status": "pending"}]}}

    def _device_info(self, request: Request, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if fields.get("token") != self.token:
            return 200, self._false("token invalid")
        return 200, {"status": True, "data": {
            "name": self.device_name, "serial": self.device_id, "sender": self.device, "quota": 91,
            "expired_date": "2027-04-08", "active": True,
            "status": "connected" if self.connected else "disconnected"}}

    def inbound(self, phone: str, message: str, *, name: str = "Budi Santoso", kind: str = "text",
                url: str = "", mime_type: str = "", group: bool = False, from_me: bool = False,
                timestamp: str = "2025-03-31T02:15:45Z") -> dict[str, Any]:
        """Wablas's incoming-message webhook body."""
        return {"id": secrets.token_hex(16).upper(), "pushName": name, "isGroup": group,
                "group": {"sender": phone if group else "", "subject": "Grup Uji" if group else "",
                          "owner": "", "desc": "", "participants": None},
                "message": message, "phone": "120363064449269001" if group else phone, "messageType": kind,
                "file": url.rsplit("/", 1)[-1] if url else "", "url": url, "mimeType": mime_type,
                "deviceId": self.device_id, "sender": self.device, "isFromMe": from_me,
                "timestamp": timestamp, "profileImage": ""}


# A webhook receiver ----------------------------------------------------------------------------
@dataclass
class WebhookDelivery:
    """One POST the sink received."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 200


class WebhookSink(_LocalServer):
    """Receives webhook POSTs and records them; ``handler(body, headers) -> status`` decides the
    answer (200 by default), so a test can stand in for the web layer."""

    thread_name = "webhook-sink"

    def __init__(self, handler: Callable[[bytes, dict[str, str]], int] | None = None):
        self.handler = handler
        self.deliveries: list[WebhookDelivery] = []
        super().__init__()

    def url(self, path: str = "/webhooks/whatsapp") -> str:
        return self.base_url + path

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        headers = {key: value for key, value in request.headers.items()}
        status = self.handler(body, headers) if self.handler else 200
        with self._lock:
            self.deliveries.append(WebhookDelivery(request.path, headers, body, status))
        text = "EVENT_RECEIVED" if status < 300 else "refused"
        return Response(text, status=status, content_type="text/plain")


def _bearer(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "oauth") else ""


def _digits(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isdigit())


def _uuid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

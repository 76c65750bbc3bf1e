"""WhatsApp through an Indonesian gateway — Fonnte or Wablas — for an office that cannot use
the WhatsApp Cloud API (whatsapp.py) yet.

**Read this before turning a gateway on.** These gateways are *unofficial*: they drive an
ordinary WhatsApp account through a phone the office links to the gateway by scanning a QR
code (the gateway's "device"), which WhatsApp's terms do not allow for automated sending.
WhatsApp can ban the sending number at any time and without notice — bulk press alerts make
that likelier — and nothing Pressroom does can prevent it. The gateway company also receives
every number and every message sent or received through it: under UU No. 27 Tahun 2022
tentang Pelindungan Data Pribadi it processes personal data on the province's behalf (a
*prosesor data pribadi*), so a written data-processing agreement (*perjanjian pemrosesan
data*) with it must be signed before any journalist's or citizen's number goes through it.
The settings page and the README say the same. The Cloud API is the supported route.

Settings (constructor; the registry fills them from configuration): the gateway's base URL
(Fonnte: ``https://api.fonnte.com``; Wablas: the account's own server, such as
``https://solo.wablas.com``), the device ``token`` (Wablas: plus the device's ``secret_key``)
and ``delay_seconds`` between two messages. An account's credentials, when the outbox
passes any (``{"token": …, "secret_key": …}``), take precedence.

What is sent: one message per ``Message`` — the full text, ready to copy (a press alert
carries the link to its photos in the text, which the caller composes), and the first image
by its public link when the message has images (gateways send one file per message; the
link in the text leads to the rest). An image without a public URL is ``failed``: the
gateway fetches it, it cannot be uploaded from here.

* Fonnte — ``POST <base>/send``, header ``Authorization: <token>``, form fields ``target``,
  ``message``, ``countryCode`` and, for an image, ``url``;
* Wablas — ``POST <base>/api/send-message`` with ``phone`` and ``message``, or
  ``POST <base>/api/send-image`` with ``phone``, ``image`` (the URL) and ``caption``; header
  ``Authorization: <token>.<secret_key>`` (just ``<token>`` when no secret key is set).

Numbers go out as international digits without the plus, made from the stored E.164 with
``phonenumbers`` (``+6281234567890`` → ``6281234567890``): Wablas takes them as they are, and
Fonnte is told ``countryCode=0`` so that it does not rewrite them (by default it replaces a
leading 0 with 62; the digits have none, and a foreign number stays foreign).

How answers map to results:

* HTTP 200 with ``"status": true`` — ``sent``; ``external_id`` is the gateway's message id.
  The gateway has *queued* the message, nothing more;
* HTTP 200 (or 4xx) with ``"status": false`` — ``failed`` with the gateway's ``reason`` /
  ``message`` (a wrong token, a disconnected device, a refused number);
* 429 — ``retry`` after ``Retry-After`` (else a minute);
* 5xx, an answer that is not the gateway's JSON, a read timeout, a connection lost after the
  request was written — ``unknown``: the message may be queued, a person checks;
* no connection at all — ``retry``.

Pacing: the configured delay becomes the channel's rate limit (``per_second = 1 / delay``),
so the outbox spaces messages out; unlike a burst, a steady pace looks less like spam.

Inbound: ``parse_fonnte_inbound`` and ``parse_wablas_inbound`` read the gateways' webhooks
into the same ``InboundMessage`` the Cloud API webhook gives (group messages and the
device's own messages are skipped). The gateways sign nothing: give each webhook an
unguessable URL (``/webhooks/fonnte/<secret>``) and check it with ``verify_shared_secret``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import mimetypes
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import requests

from pressroom.channels.base import AccountCheck, Message, RateLimit, Result
from pressroom.channels.http import never_connected, short
from pressroom.channels.whatsapp import InboundMessage, e164_from_wa_id, wa_id
from pressroom.clock import WIB

FONNTE_API_BASE = "https://api.fonnte.com"
#: Fonnte's own default pause between two messages of a broadcast.
DEFAULT_DELAY_SECONDS = 5.0
#: How long to keep away after a 429 that does not say.
DEFAULT_429_DELAY = 60.0


def gateway_number(e164: str | None) -> str:
    """The stored E.164 number as the gateways take it: international digits, no plus.

    Raise ValueError when it is not a valid number."""
    return wa_id(e164)


def verify_shared_secret(expected: str | None, given: str | None) -> bool:
    """Constant-time check of the secret in a gateway webhook's URL (False if none is set)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


@dataclass
class GatewaySession:
    """One batch: the device token (and Wablas secret key) and a pooled HTTP connection."""

    http: requests.Session
    token: str
    secret_key: str = ""


class _Gateway:
    """What Fonnte and Wablas share: pacing, sessions, answers read the same way."""

    name = "whatsapp"
    provider = "gateway"
    #: The gateway's name in reasons.
    label = "the gateway"

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
        timeout: float = 15,
        connect_timeout: float | None = None,
        secret_key: str | None = None,
    ):
        if not base_url:
            raise ValueError(f"{self.label} needs a base URL")
        delay = float(delay_seconds)
        if delay <= 0:
            raise ValueError("the delay between WhatsApp gateway messages must be more than 0 seconds")
        self.base_url = base_url.rstrip("/")
        self.token = token or ""
        self.secret_key = secret_key or ""
        self.delay_seconds = delay
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else min(timeout, 5)
        self.rate_limit = RateLimit(per_second=1 / delay)

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any] | None = None) -> Iterator[GatewaySession]:
        credentials = credentials or {}
        http = requests.Session()
        try:
            yield GatewaySession(
                http=http,
                token=str(credentials.get("token") or self.token),
                secret_key=str(credentials.get("secret_key") or self.secret_key),
            )
        finally:
            http.close()

    def send(self, session: GatewaySession, message: Message) -> Result:
        if not session.token:
            return Result.failed(f"{self.label} is not set up: no device token")
        try:
            number = gateway_number(message.recipient)
        except ValueError as exc:
            return Result.failed(f"cannot send on WhatsApp: {exc}")
        image = message.images[0] if message.images else None
        if image is not None and not image.public_url:
            return Result.failed(
                f"{self.label} fetches images by link, and this image has no public URL "
                "(is PRESSROOM_PUBLIC_URL set?)"
            )
        if image is None and not (message.text or "").strip():
            return Result.failed("the WhatsApp message has no text or image")
        path, fields = self._request(number, message.text or "", image.public_url if image else None)
        outcome = self._call(session.http, "POST", path, headers=self._auth(session), data=fields, sends=True)
        if isinstance(outcome, Result):
            return outcome
        message_id = self._message_id(outcome)
        return Result.sent(external_id=message_id)

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        return Result.failed(f"Pressroom does not delete messages sent through {self.label}")

    # What differs ----------------------------------------------------------------------------
    def _request(self, number: str, text: str, image_url: str | None) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def _auth(self, session: GatewaySession) -> dict[str, str]:
        return {"Authorization": session.token}

    def _message_id(self, answer: dict[str, Any]) -> str | None:
        raise NotImplementedError

    # HTTP ----------------------------------------------------------------------------------
    def _call(
        self,
        http: requests.Session,
        verb: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        sends: bool,
    ) -> dict[str, Any] | Result:
        """Make one call; return the gateway's JSON answer (``status`` true) or the Result."""
        try:
            response = http.request(
                verb, f"{self.base_url}/{path.lstrip('/')}", data=data, params=params, headers=headers,
                timeout=(self.connect_timeout, self.timeout),
            )
        except requests.RequestException as exc:
            return self._transport_failure(exc, sends)
        with response:
            status = response.status_code
            try:
                answer = response.json()
            except ValueError:
                answer = None
            said = _reason(answer) or f"HTTP {status} {response.reason}".strip()
            if status == 429:
                return Result.retry(f"{self.label} asked to slow down: {said}",
                                    after=_retry_after(response) or DEFAULT_429_DELAY)
            if status >= 500:
                return self._doubt(f"{self.label} answered with a server error ({said})", sends)
            flag = _flag(answer.get("status")) if isinstance(answer, dict) else None
            if flag is False or (status >= 400 and isinstance(answer, dict)):
                return Result.failed(self._refused(said, sends))
            if status >= 300:
                return Result.failed(f"{self.label} refused the request: {said}")
            if flag is not True:
                return self._doubt(f"{self.label} gave an answer Pressroom cannot read", sends)
            return answer

    def _refused(self, said: str, sends: bool) -> str:
        what = "the message" if sends else "the request"
        words = f"{self.label} refused {what}: {said}"
        if "disconnect" in said.lower() or "not connected" in said.lower():
            words += f" — the sending phone is not linked to {self.label}: scan its QR code, then send again"
        return words

    def _doubt(self, what_happened: str, sends: bool) -> Result:
        if sends:
            return Result.unknown(f"{what_happened}; the message may be queued — check before sending again")
        return Result.retry(f"{what_happened}; nothing was sent")

    def _transport_failure(self, exc: requests.RequestException, sends: bool) -> Result:
        if isinstance(exc, requests.ConnectTimeout) or never_connected(exc):
            return Result.retry(f"could not connect to {self.label}: {short(exc)}")
        if isinstance(exc, requests.exceptions.SSLError):
            return Result.retry(f"could not set up a secure connection to {self.label}: {short(exc)}")
        if isinstance(exc, requests.ReadTimeout):
            return self._doubt(f"{self.label} did not answer in time", sends)
        return self._doubt(f"the connection to {self.label} failed ({short(exc)})", sends)

    def _check_failure(self, outcome: Result) -> AccountCheck:
        return AccountCheck(ok=False, reachable=outcome.status == "failed", reason=outcome.reason)


class FonnteChannel(_Gateway):
    """Send WhatsApp messages through Fonnte (unofficial: see the module docstring)."""

    provider = "fonnte"
    label = "Fonnte"

    def __init__(
        self,
        base_url: str = FONNTE_API_BASE,
        token: str | None = None,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
        timeout: float = 15,
        connect_timeout: float | None = None,
    ):
        super().__init__(base_url, token, delay_seconds, timeout, connect_timeout)

    def _request(self, number: str, text: str, image_url: str | None) -> tuple[str, dict[str, str]]:
        # countryCode 0: the target is already international; Fonnte must not rewrite it.
        fields = {"target": number, "message": text, "countryCode": "0"}
        if image_url:
            fields["url"] = image_url
        return "send", fields

    def _message_id(self, answer: dict[str, Any]) -> str | None:
        ids = answer.get("id")
        first = ids[0] if isinstance(ids, list) and ids else ids
        return str(first) if first not in (None, "") else None

    def check_account(self, credentials: dict[str, Any] | None = None) -> AccountCheck:
        """``POST /device``: the token works and the phone is linked (``device_status``)."""
        with self.session(credentials) as session:
            if not session.token:
                return AccountCheck(ok=False, reason="Fonnte has no device token")
            outcome = self._call(session.http, "POST", "device", headers=self._auth(session), sends=False)
        if isinstance(outcome, Result):
            return self._check_failure(outcome)
        name = _display(outcome.get("name"), outcome.get("device"))
        expires = _date(outcome.get("expired"), "%d %B %Y")
        if str(outcome.get("device_status") or "").lower() != "connect":
            return AccountCheck(ok=False, display_name=name, expires_at=expires,
                                reason="the phone is not linked to Fonnte: scan the QR code in its dashboard")
        return AccountCheck(ok=True, display_name=name, expires_at=expires)


class WablasChannel(_Gateway):
    """Send WhatsApp messages through Wablas (unofficial: see the module docstring)."""

    provider = "wablas"
    label = "Wablas"

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        secret_key: str | None = None,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
        timeout: float = 15,
        connect_timeout: float | None = None,
    ):
        super().__init__(base_url, token, delay_seconds, timeout, connect_timeout, secret_key=secret_key)

    def _auth(self, session: GatewaySession) -> dict[str, str]:
        value = f"{session.token}.{session.secret_key}" if session.secret_key else session.token
        return {"Authorization": value}

    def _request(self, number: str, text: str, image_url: str | None) -> tuple[str, dict[str, str]]:
        if image_url:
            return "api/send-image", {"phone": number, "image": image_url, "caption": text}
        return "api/send-message", {"phone": number, "message": text}

    def _message_id(self, answer: dict[str, Any]) -> str | None:
        data = answer.get("data")
        entries = data if isinstance(data, list) else [data]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            messages = entry.get("messages", entry.get("message"))
            first = messages[0] if isinstance(messages, list) and messages else messages
            if isinstance(first, dict) and first.get("id"):
                return str(first["id"])
        return None

    def check_account(self, credentials: dict[str, Any] | None = None) -> AccountCheck:
        """``GET /api/device/info?token=…``: the token works, the device is active and linked."""
        with self.session(credentials) as session:
            if not session.token:
                return AccountCheck(ok=False, reason="Wablas has no device token")
            outcome = self._call(session.http, "GET", "api/device/info", params={"token": session.token},
                                 sends=False)
        if isinstance(outcome, Result):
            return self._check_failure(outcome)
        data = outcome.get("data") if isinstance(outcome.get("data"), dict) else {}
        name = _display(data.get("name"), data.get("sender"))
        expires = _date(data.get("expired_date"), "%Y-%m-%d")
        if _flag(data.get("active")) is False:
            return AccountCheck(ok=False, display_name=name, expires_at=expires,
                                reason="the Wablas device is not active (has its subscription ended?)")
        if str(data.get("status") or "").lower() != "connected":
            return AccountCheck(ok=False, display_name=name, expires_at=expires,
                                reason="the phone is not linked to Wablas: scan the QR code in its dashboard")
        return AccountCheck(ok=True, display_name=name, expires_at=expires)


# Inbound webhooks --------------------------------------------------------------------------
def parse_fonnte_inbound(data: Mapping[str, Any] | bytes | str) -> InboundMessage | None:
    """Read Fonnte's incoming-message webhook (JSON, or the same fields as a form).

    Fonnte sends ``device`` (the linked number), ``sender``, ``name``, ``message``, ``type``,
    ``url``/``filename``/``extension`` for media, ``isgroup`` and ``member``; it sends no
    time, so ``timestamp`` is None (the caller uses the time of receipt). Group messages
    and anything without a sender give None."""
    fields = _mapping(data)
    sender = str(fields.get("sender") or fields.get("pengirim") or "").strip()
    if not sender or _flag(fields.get("isgroup")) is True or sender.endswith("@g.us"):
        return None
    url = str(fields.get("url") or "").strip() or None
    kind = str(fields.get("type") or "").strip().lower() or ("image" if url else "text")
    extension = str(fields.get("extension") or "").strip().lstrip(".").lower()
    media_type = mimetypes.types_map.get(f".{extension}") if extension else None
    name = str(fields.get("name") or "").strip()
    inbox = str(fields.get("inboxid") or "").strip()
    return InboundMessage(
        provider="fonnte",
        wa_id=sender,
        phone=e164_from_wa_id(sender),
        name=name or None,
        text=str(fields.get("message") or fields.get("pesan") or ""),
        kind=kind,
        timestamp=None,
        message_id=inbox if inbox not in ("", "0") else None,
        media_url=url,
        media_type=media_type,
        business_number=str(fields.get("device") or "") or None,
    )


def parse_wablas_inbound(data: Mapping[str, Any] | bytes | str) -> InboundMessage | None:
    """Read Wablas's incoming-message webhook (JSON, or the same fields as a form).

    Wablas sends ``id``, ``phone`` (the person), ``pushName``, ``message``, ``messageType``,
    ``url``/``mimeType`` for media, ``timestamp``, ``isGroup``, ``isFromMe``, ``deviceId``
    and ``sender`` (the linked number). Group messages, the device's own messages and
    anything without a sender give None."""
    fields = _mapping(data)
    sender = str(fields.get("phone") or "").strip()
    if not sender or _flag(fields.get("isGroup")) is True or _flag(fields.get("isFromMe")) is True:
        return None
    url = str(fields.get("url") or "").strip() or None
    name = str(fields.get("pushName") or "").strip()
    return InboundMessage(
        provider="wablas",
        wa_id=sender,
        phone=e164_from_wa_id(sender),
        name=name or None,
        text=str(fields.get("message") or ""),
        kind=str(fields.get("messageType") or "").strip().lower() or "text",
        timestamp=_when(fields.get("timestamp")),
        message_id=str(fields.get("id") or "") or None,
        media_url=url,
        media_type=str(fields.get("mimeType") or "") or None,
        business_number=str(fields.get("sender") or fields.get("deviceId") or "") or None,
    )


# Small readers ---------------------------------------------------------------------------
def _mapping(data: Mapping[str, Any] | bytes | str) -> Mapping[str, Any]:
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValueError("the webhook body is not JSON") from None
    if not isinstance(data, Mapping):
        raise ValueError("the webhook body is not a JSON object")
    return data


def _flag(value: Any) -> bool | None:
    """True/False from a JSON boolean or a form's "true"/"1"/"false"/"0"; None otherwise."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in ("true", "1", "yes", "success"):
        return True
    if text in ("false", "0", "no"):
        return False
    return None


def _reason(answer: Any) -> str:
    if not isinstance(answer, dict):
        return ""
    for key in ("reason", "message", "detail"):
        value = answer.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _display(name: Any, number: Any) -> str | None:
    """A device as the admin page shows it: "Humas Jateng (6281…)"."""
    name, number = str(name or "").strip(), str(number or "").strip()
    return f"{name} ({number})" if name and number else (name or number or None)


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After") or ""))
    except ValueError:
        return None


def _when(value: Any) -> datetime | None:
    """A gateway's timestamp: Unix seconds, or ISO 8601 (UTC when it names no zone)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _date(value: Any, pattern: str) -> datetime | None:
    """A device's expiry date (a WIB calendar day) as the UTC moment it starts."""
    try:
        day: date = datetime.strptime(str(value or "").strip(), pattern).date()
    except ValueError:
        return None
    return datetime.combine(day, time(0, 0), tzinfo=WIB).astimezone(UTC)

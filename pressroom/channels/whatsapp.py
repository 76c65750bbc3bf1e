"""The WhatsApp channel through Meta's WhatsApp Cloud API (the recommended provider), and the
webhook helpers the web layer uses for it: signature and subscription checks, and reading
delivery statuses and inbound messages. Nothing here touches the database.

Settings: ``phone_number_id`` and ``access_token`` (a system-user token with
``whatsapp_business_messaging``) come from the constructor, which the registry fills from
configuration; an account's credentials, when the outbox passes any
(``{"phone_number_id": …, "access_token": …}``), take precedence. The API base and version
are configuration too (``https://graph.facebook.com``, ``v21.0``), so tests talk to a local
fake. Calls are ``POST <base>/<version>/<phone_number_id>/messages`` with a JSON body and
``Authorization: Bearer <token>``.

Numbers: ``Message.recipient`` is the stored E.164 form (``+6281234567890``); the Cloud API
wants the digits without the plus (``6281234567890``). ``wa_id`` converts (with
``phonenumbers``, never by hand) and ``e164_from_wa_id`` goes back.

What is sent — one message per ``Message``:

* an approved **template** when ``Message.headers["whatsapp-template"]`` names one (press
  alerts; a reply to a complaint more than 24 hours after the person last wrote). Its
  language is ``headers["whatsapp-language"]`` (default ``id``); its body parameters are a
  JSON list of strings in ``headers["whatsapp-body-params"]`` ({{1}}, {{2}} … in order);
  ``headers["whatsapp-button-params"]``, a JSON list, fills the dynamic suffix of the
  template's URL buttons in order (e.g. the release's slug, for "Baca selengkapnya"). The
  first image, if any, becomes the template's image header by its public link
  (``Image.public_url``: WhatsApp fetches it). ``Message.text`` does not travel with a
  template: Meta sends the approved wording. ``template_headers()`` builds these headers;
  base.Message has no template field, hence the headers convention;
* otherwise a **free-form** message: the text (with link previews), or the first image by
  its link with the text as caption. Meta accepts free-form messages only within 24 hours
  of the person's last message (the customer-service window); the caller decides which to
  send, and an answer of 131047 tells when it got it wrong.

WhatsApp limits (caption 1,024 characters, body parameter formats) are Meta's to enforce:
its refusal becomes ``failed`` with Meta's words — the adapter never shortens a text.

How answers map to results. Meta's error body is ``{"error": {"message", "type", "code",
"error_data": {"details"}, "error_subcode", "fbtrace_id"}}``; the ``code`` decides:

* 200 with ``messages[0].id`` — ``sent``, ``external_id`` the ``wamid…``. "Accepted" is not
  "delivered": delivery comes later on the webhook (``parse_webhook``);
* 429, 130429 (throughput), 4 and 80007 (app and account rate limits) — ``retry`` after
  ``Retry-After`` (or the business-use-case header), else after 60 s (throughput) or 5 min;
* 131056 (pair rate limit: too many messages to this one person) — ``retry`` after 60 s;
* 131026 (message undeliverable: the number is not on WhatsApp, or cannot receive from
  businesses) and 1013 (the On-Premises API's "user is not valid") — ``failed`` with a
  reason starting ``not_on_whatsapp:`` so the caller can mark the number in the directory
  (``failure_marker(reason)``). Meta usually reports this one asynchronously, as a
  ``failed`` status on the webhook: ``StatusEvent.not_on_whatsapp`` says the same;
* 131047 (re-engagement: more than 24 hours since the person last wrote) — ``failed``,
  reason starting ``outside_24h_window:``: send an approved template instead;
* 190 (token expired or revoked), 10 and 200–299 (permissions), 131048 (spam rate limit),
  131031 and 368 (account locked or blocked) and any other 4xx — ``failed`` with Meta's
  message and details;
* a 5xx, a read timeout or a connection lost after the request was written — ``unknown``:
  the message may have gone out, a person checks before sending again;
* no connection at all (refused, DNS, connect timeout, TLS handshake) — ``retry``.

Rate limit: the Cloud API's default throughput is 80 messages a second per business number
(``RateLimit(per_second=80)``); what is above it is answered with 130429 and retried.

Webhooks (DB-free; the web layer routes them): ``verify_subscription`` answers Meta's
``hub.challenge`` handshake, ``verify_signature`` checks ``X-Hub-Signature-256`` (an
HMAC-SHA256 of the raw body with the app secret, compared in constant time) and
``parse_webhook`` turns a verified payload into ``StatusEvent`` (sent, delivered, read,
failed with Meta's error) and ``InboundMessage`` (text or image from a citizen) items.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import requests
from phonenumbers import NumberParseException

from pressroom.channels.base import AccountCheck, Message, RateLimit, Result
from pressroom.channels.graph import throttle_delay
from pressroom.channels.http import never_connected, short

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
#: The Cloud API's default throughput per business phone number.
DEFAULT_RATE_LIMIT = RateLimit(per_second=80)

#: The ``Message.headers`` convention for templates (see the module docstring).
TEMPLATE_HEADER = "whatsapp-template"
LANGUAGE_HEADER = "whatsapp-language"
BODY_PARAMS_HEADER = "whatsapp-body-params"
BUTTON_PARAMS_HEADER = "whatsapp-button-params"
DEFAULT_LANGUAGE = "id"

#: Reason prefixes a caller can act on (``failure_marker``).
NOT_ON_WHATSAPP = "not_on_whatsapp"
OUTSIDE_WINDOW = "outside_24h_window"
_MARKERS = (NOT_ON_WHATSAPP, OUTSIDE_WINDOW)

#: Meta's error codes, by what they mean for a send.
NOT_ON_WHATSAPP_CODES = frozenset({131026, 1013})
REENGAGEMENT = 131047
THROUGHPUT = 130429
PAIR_RATE_LIMIT = 131056
ACCOUNT_RATE_LIMIT_CODES = frozenset({4, 80007})
TOKEN_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
SPAM_RATE_LIMIT = 131048
BLOCKED_CODES = frozenset({368, 131031})
#: How long to keep away when Meta does not say (seconds).
THROUGHPUT_DELAY = 60.0
PAIR_DELAY = 60.0
ACCOUNT_THROTTLE_DELAY = 300.0


# Numbers -----------------------------------------------------------------------------------
def wa_id(e164: str | None) -> str:
    """The Cloud API's form of a stored E.164 number: digits without the plus.

    Raise ValueError for anything that is not a valid number in international form."""
    text = (e164 or "").strip()
    if not text.startswith("+"):
        raise ValueError(f"{text!r} is not a number in E.164 form (+62…)")
    try:
        number = phonenumbers.parse(text, None)
    except NumberParseException:
        raise ValueError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def e164_from_wa_id(digits: str | None, region: str = "ID") -> str | None:
    """The E.164 form of a number as WhatsApp or a gateway writes it (``6281…``; a national
    ``0812…`` is read in ``region``); None when it is not a phone number (a group id)."""
    text = str(digits or "").strip()
    if not text:
        return None
    try:
        if text.startswith("0"):
            number = phonenumbers.parse(text, region)
        else:
            number = phonenumbers.parse(text if text.startswith("+") else "+" + text, None)
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Templates and markers -----------------------------------------------------------------------
def template_headers(
    name: str, body: Iterable[str] = (), *, language: str = DEFAULT_LANGUAGE, url_buttons: Iterable[str] = ()
) -> dict[str, str]:
    """The ``Message.headers`` that make a message an approved template.

    ``body`` fills {{1}}, {{2}} … of the template's body; ``url_buttons`` the dynamic suffix of
    its URL buttons, in order. The image header is the message's first image."""
    headers = {TEMPLATE_HEADER: name, LANGUAGE_HEADER: language}
    body = [str(value) for value in body]
    buttons = [str(value) for value in url_buttons]
    if body:
        headers[BODY_PARAMS_HEADER] = json.dumps(body, ensure_ascii=False)
    if buttons:
        headers[BUTTON_PARAMS_HEADER] = json.dumps(buttons, ensure_ascii=False)
    return headers


def failure_marker(reason: str | None) -> str | None:
    """``not_on_whatsapp`` or ``outside_24h_window`` when a failure reason starts with one."""
    head = (reason or "").split(":", 1)[0].strip()
    return head if head in _MARKERS else None


def describe_error(
    code: int | None, message: str, details: str, recipient: str | None = None, trace_id: str | None = None
) -> str:
    """A failure in plain words, starting with its marker where one applies."""
    said = _said(message, details, code, trace_id)
    who = recipient or "this number"
    if code in NOT_ON_WHATSAPP_CODES:
        return (
            f"{NOT_ON_WHATSAPP}: WhatsApp cannot deliver to {who}: the number is not on WhatsApp or "
            f"cannot receive messages from businesses ({said})"
        )
    if code == REENGAGEMENT:
        return (
            f"{OUTSIDE_WINDOW}: more than 24 hours have passed since {who} last wrote; only an "
            f"approved template may be sent now ({said})"
        )
    return f"WhatsApp could not deliver the message: {said}"


# Results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CloudError:
    """An error answer from the Cloud API, read from its body (or the HTTP status)."""

    status: int
    code: int | None = None
    subcode: int | None = None
    message: str = ""
    details: str = ""
    trace_id: str | None = None

    def describe(self) -> str:
        """Meta's own words, with the code and trace id a support request needs."""
        return _said(self.message or f"HTTP {self.status}", self.details, self.code, self.trace_id)


def read_error(response: requests.Response) -> CloudError:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        status = response.status_code
        return CloudError(status=status, message=f"HTTP {status} {response.reason}")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else data
    return CloudError(
        status=response.status_code,
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        message=str(error.get("message") or ""),
        details=str(details or ""),
        trace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
    )


@dataclass
class WhatsAppSession:
    """One batch: the business number, its token and a pooled HTTP connection."""

    http: requests.Session
    phone_number_id: str
    access_token: str


class WhatsAppCloudChannel:
    """Send WhatsApp messages from one business number through the Cloud API at ``base_url``."""

    name = "whatsapp"
    provider = "cloud"

    def __init__(
        self,
        base_url: str = DEFAULT_API_BASE,
        version: str = DEFAULT_VERSION,
        phone_number_id: str | None = None,
        access_token: str | None = None,
        timeout: float = 15,
        connect_timeout: float | None = None,
        rate_limit: RateLimit | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.phone_number_id = phone_number_id or ""
        self.access_token = access_token or ""
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else min(timeout, 5)
        self.rate_limit = rate_limit or DEFAULT_RATE_LIMIT

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}/{path.lstrip('/')}"

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any] | None = None) -> Iterator[WhatsAppSession]:
        """Keep one HTTP connection pool for the batch; an account's credentials win over the
        configured ones."""
        credentials = credentials or {}
        http = requests.Session()
        try:
            yield WhatsAppSession(
                http=http,
                phone_number_id=str(credentials.get("phone_number_id") or self.phone_number_id),
                access_token=str(credentials.get("access_token") or self.access_token),
            )
        finally:
            http.close()

    def send(self, session: WhatsAppSession, message: Message) -> Result:
        """Send ``message`` to ``message.recipient`` as a template or a free-form message."""
        if not session.phone_number_id or not session.access_token:
            return Result.failed("WhatsApp is not set up: no business phone number id or access token")
        try:
            to = wa_id(message.recipient)
        except ValueError as exc:
            return Result.failed(f"cannot send on WhatsApp: {exc}")
        payload = build_payload(to, message)
        if isinstance(payload, Result):
            return payload
        outcome = self._call(
            session.http, "POST", f"{session.phone_number_id}/messages", session.access_token,
            body=payload, sends=True, recipient=message.recipient,
        )
        if isinstance(outcome, Result):
            return outcome
        sent = outcome.get("messages")
        first = sent[0] if isinstance(sent, list) and sent and isinstance(sent[0], dict) else {}
        if not first.get("id"):
            return Result.unknown(
                "WhatsApp accepted the request but returned no message id; check the delivery status "
                "before sending again"
            )
        return Result.sent(external_id=str(first["id"]))

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """The Cloud API cannot delete a message a business sent."""
        return Result.failed("WhatsApp does not let a business delete a message it has sent")

    def check_account(self, credentials: dict[str, Any] | None = None) -> AccountCheck:
        """Read the business number (``display_phone_number``, ``verified_name``,
        ``quality_rating``) and ask ``debug_token`` when the token ends (if it can).

        A RED (low) quality rating is reported with ``ok`` True and a warning in ``reason``:
        the number still sends, but Meta may soon limit it."""
        with self.session(credentials) as session:
            if not session.phone_number_id or not session.access_token:
                return AccountCheck(ok=False, reason="WhatsApp has no business phone number id or token")
            outcome = self._call(
                session.http, "GET", session.phone_number_id, session.access_token,
                params={"fields": "display_phone_number,verified_name,quality_rating"}, sends=False,
            )
            if isinstance(outcome, Result):
                # A refusal says the credentials are wrong; anything else says nothing about them.
                refused = outcome.status == "failed"
                return AccountCheck(ok=False, reachable=refused, reason=outcome.reason)
            expires_at = self._token_expiry(session)
        name = str(outcome.get("verified_name") or "").strip()
        number = str(outcome.get("display_phone_number") or "").strip()
        display = f"{name} ({number})" if name and number else (name or number or None)
        quality = str(outcome.get("quality_rating") or "").upper()
        reason = None
        if quality == "RED":
            reason = ("the number's quality rating is RED (low): recipients have blocked or reported "
                      "messages, and Meta may limit how many it can send")
        return AccountCheck(ok=True, reason=reason, expires_at=expires_at, display_name=display)

    # HTTP ----------------------------------------------------------------------------------
    def _token_expiry(self, session: WhatsAppSession) -> datetime | None:
        outcome = self._call(
            session.http, "GET", "debug_token", session.access_token,
            params={"input_token": session.access_token}, sends=False,
        )
        data = outcome.get("data") if isinstance(outcome, dict) else None
        if not isinstance(data, dict):
            return None
        stamps = [
            stamp for stamp in (_int(data.get("expires_at")), _int(data.get("data_access_expires_at")))
            if stamp and stamp > 0
        ]
        return datetime.fromtimestamp(min(stamps), UTC) if stamps else None

    def _call(
        self,
        http: requests.Session,
        verb: str,
        path: str,
        token: str,
        *,
        sends: bool,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        recipient: str | None = None,
    ) -> dict[str, Any] | Result:
        """Make one call; return the JSON object, or the Result to record.

        ``sends`` says whether the call sends a message, which decides what doubt means."""
        try:
            response = http.request(
                verb, self.url(path), json=body, params=params,
                headers={"Authorization": f"Bearer {token}"},
                timeout=(self.connect_timeout, self.timeout),
            )
        except requests.RequestException as exc:
            return _transport_failure(exc, sends)
        with response:
            if response.status_code < 300:
                try:
                    answer = response.json()
                except ValueError:
                    answer = None
                if isinstance(answer, dict) and "error" not in answer:
                    return answer
                return _doubt("WhatsApp gave an unreadable answer", sends)
            return _refusal(read_error(response), response, sends, recipient)


def build_payload(to: str, message: Message) -> dict[str, Any] | Result:
    """The JSON body of ``POST /<phone_number_id>/messages`` for ``message`` (``to`` in digits)."""
    base: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    headers = message.headers or {}
    image = message.images[0] if message.images else None
    if image is not None and not image.public_url:
        return Result.failed(
            "WhatsApp fetches images by link, and this image has no public URL (is PRESSROOM_PUBLIC_URL set?)"
        )
    name = (headers.get(TEMPLATE_HEADER) or "").strip()
    if name:
        body = _string_list(headers.get(BODY_PARAMS_HEADER), BODY_PARAMS_HEADER)
        buttons = _string_list(headers.get(BUTTON_PARAMS_HEADER), BUTTON_PARAMS_HEADER)
        for outcome in (body, buttons):
            if isinstance(outcome, Result):
                return outcome
        components: list[dict[str, Any]] = []
        if image is not None:
            components.append(
                {"type": "header", "parameters": [{"type": "image", "image": {"link": image.public_url}}]}
            )
        if body:
            components.append({"type": "body", "parameters": [{"type": "text", "text": v} for v in body]})
        for index, value in enumerate(buttons):
            components.append({"type": "button", "sub_type": "url", "index": str(index),
                               "parameters": [{"type": "text", "text": value}]})
        template: dict[str, Any] = {
            "name": name,
            "language": {"code": (headers.get(LANGUAGE_HEADER) or DEFAULT_LANGUAGE).strip()},
        }
        if components:
            template["components"] = components
        return {**base, "type": "template", "template": template}
    if image is not None:
        media: dict[str, Any] = {"link": image.public_url}
        if message.text:
            media["caption"] = message.text
        return {**base, "type": "image", "image": media}
    if not (message.text or "").strip():
        return Result.failed("the WhatsApp message has no text, image or template")
    return {**base, "type": "text", "text": {"preview_url": True, "body": message.text}}


def _string_list(raw: str | None, header: str) -> list[str] | Result:
    if not raw:
        return []
    try:
        values = json.loads(raw)
    except ValueError:
        values = None
    if not isinstance(values, list) or not all(isinstance(v, str | int | float) for v in values):
        return Result.failed(f"the {header} header must be a JSON list of strings")
    return [str(v) for v in values]


def _refusal(error: CloudError, response: requests.Response, sends: bool, recipient: str | None) -> Result:
    said = error.describe()
    code = error.code
    if code in NOT_ON_WHATSAPP_CODES or code == REENGAGEMENT:
        return Result.failed(describe_error(code, error.message, error.details, recipient, error.trace_id))
    throttled = _throttle(code, error.status, recipient)
    if throttled is not None:
        what, default_delay = throttled
        after = throttle_delay(response)
        return Result.retry(f"{what}: {said}", after=after if after is not None else default_delay)
    if code in TOKEN_CODES:
        return Result.failed(
            f"WhatsApp says the access token has expired or was revoked: set a new one ({said})"
        )
    if code in PERMISSION_CODES:
        return Result.failed(f"the WhatsApp access token lacks a permission ({said})")
    if code == SPAM_RATE_LIMIT:
        return Result.failed(
            "WhatsApp is limiting this number because earlier messages were blocked or reported; check its "
            f"quality rating in WhatsApp Manager before sending more ({said})"
        )
    if code in BLOCKED_CODES:
        return Result.failed(f"WhatsApp has locked or restricted this business account; someone must look at "
                             f"it in WhatsApp Manager ({said})")
    if error.status >= 500:
        return _doubt(f"WhatsApp answered with a server error ({said})", sends)
    return Result.failed(f"WhatsApp refused the {'message' if sends else 'request'}: {said}")


def _throttle(code: int | None, status: int, recipient: str | None) -> tuple[str, float] | None:
    """What a rate-limit answer means, and how long to wait when Meta does not say."""
    if code == PAIR_RATE_LIMIT:
        return f"too many messages to {recipient or 'this person'} in a short time", PAIR_DELAY
    if code in ACCOUNT_RATE_LIMIT_CODES:
        return "WhatsApp's rate limit for this app or account was reached", ACCOUNT_THROTTLE_DELAY
    if code == THROUGHPUT or status == 429:
        return "WhatsApp asked to slow down", THROUGHPUT_DELAY
    return None


def _doubt(what_happened: str, sends: bool) -> Result:
    if sends:
        return Result.unknown(
            f"{what_happened}; the message may have gone out — check before sending again"
        )
    return Result.retry(f"{what_happened}; nothing was sent")


def _transport_failure(exc: requests.RequestException, sends: bool) -> Result:
    """Tell "never reached Meta" (retry) from "may have been sent" (unknown)."""
    if isinstance(exc, requests.ConnectTimeout) or never_connected(exc):
        return Result.retry(f"could not connect to WhatsApp: {short(exc)}")
    if isinstance(exc, requests.exceptions.SSLError):
        return Result.retry(f"could not set up a secure connection to WhatsApp: {short(exc)}")
    if isinstance(exc, requests.ReadTimeout):
        return _doubt("WhatsApp did not answer in time", sends)
    return _doubt(f"the connection to WhatsApp failed ({short(exc)})", sends)


# Webhooks ----------------------------------------------------------------------------------
def verify_signature(app_secret: str | None, body: bytes, header: str | None) -> bool:
    """Whether ``X-Hub-Signature-256`` (``sha256=<hex>``) is the HMAC-SHA256 of the raw
    ``body`` with the app secret. A missing header, another scheme, or no secret is False."""
    if not app_secret or not header or not isinstance(body, bytes | bytearray):
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.strip().lower() != "sha256" or not given.strip():
        return False
    expected = hmac.new(app_secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))


def verify_subscription(params: Mapping[str, str], verify_token: str | None) -> str | None:
    """Meta's webhook handshake: the ``hub.challenge`` to echo back when ``hub.mode`` is
    ``subscribe`` and ``hub.verify_token`` is ours; None (answer 403) otherwise."""
    if not verify_token:
        return None
    mode = params.get("hub.mode") or ""
    given = params.get("hub.verify_token") or ""
    challenge = params.get("hub.challenge")
    if mode != "subscribe" or challenge is None:
        return None
    if not hmac.compare_digest(given.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return str(challenge)


@dataclass(frozen=True)
class StatusEvent:
    """What became of a message sent from the business number (``sent``, ``delivered``,
    ``read`` or ``failed``), from the Cloud API webhook."""

    message_id: str
    status: str
    wa_id: str
    #: The recipient in E.164, as the directory stores it (None if WhatsApp's id is not a number).
    phone: str | None
    timestamp: datetime | None
    error_code: int | None = None
    error_title: str = ""
    error_details: str = ""
    phone_number_id: str | None = None
    provider: str = "cloud"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def not_on_whatsapp(self) -> bool:
        """The number cannot get WhatsApp messages: mark it in the directory."""
        return self.failed and self.error_code in NOT_ON_WHATSAPP_CODES

    @property
    def outside_window(self) -> bool:
        return self.failed and self.error_code == REENGAGEMENT

    @property
    def reason(self) -> str | None:
        """For a failure, the reason to record (with its marker, like ``Result.reason``)."""
        if not self.failed:
            return None
        return describe_error(self.error_code, self.error_title or "failed", self.error_details, self.phone)


@dataclass(frozen=True)
class InboundMessage:
    """A message a person sent to the business number (Cloud API webhook, Fonnte or Wablas)."""

    provider: str
    #: The sender as the provider wrote it (digits) and in E.164 (None if not a number).
    wa_id: str
    phone: str | None
    name: str | None
    #: The text, or an image's caption ("" when there is none).
    text: str
    #: ``text``, ``image``, or the provider's word for anything else (``audio``, ``location`` …).
    kind: str
    timestamp: datetime | None
    message_id: str | None = None
    #: Cloud API media are fetched by id (``GET /<media id>``); gateways give a URL.
    media_id: str | None = None
    media_url: str | None = None
    media_type: str | None = None
    #: The message this one replies to (Cloud API ``context.id``), when it says.
    reply_to: str | None = None
    #: Which business number received it (Cloud ``phone_number_id``; a gateway's device).
    business_number: str | None = None


def parse_webhook(payload: Mapping[str, Any] | bytes | str) -> list[StatusEvent | InboundMessage]:
    """Read a (verified) Cloud API webhook: statuses and inbound messages, in order.

    Raise ValueError for a body that is not JSON; anything else that is not a status or a
    message (template updates, account alerts) is skipped."""
    data = _json_object(payload)
    events: list[StatusEvent | InboundMessage] = []
    for entry in _dicts(data.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            number_id = str(metadata.get("phone_number_id") or "") or None
            names = {
                str(contact.get("wa_id")): (contact.get("profile") or {}).get("name")
                for contact in _dicts(value.get("contacts"))
                if isinstance(contact.get("profile") or {}, dict)
            }
            for status in _dicts(value.get("statuses")):
                event = _status_event(status, number_id)
                if event is not None:
                    events.append(event)
            for message in _dicts(value.get("messages")):
                event = _inbound_event(message, names, number_id)
                if event is not None:
                    events.append(event)
    return events


def _status_event(status: dict[str, Any], number_id: str | None) -> StatusEvent | None:
    message_id, state = status.get("id"), status.get("status")
    if not message_id or not state:
        return None
    recipient = str(status.get("recipient_id") or "")
    errors = list(_dicts(status.get("errors")))
    error = errors[0] if errors else {}
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else data
    return StatusEvent(
        message_id=str(message_id),
        status=str(state),
        wa_id=recipient,
        phone=e164_from_wa_id(recipient),
        timestamp=_unix(status.get("timestamp")),
        error_code=_int(error.get("code")),
        error_title=str(error.get("title") or error.get("message") or ""),
        error_details=str(details or ""),
        phone_number_id=number_id,
    )


def _inbound_event(
    message: dict[str, Any], names: dict[str, Any], number_id: str | None
) -> InboundMessage | None:
    sender = str(message.get("from") or "")
    if not sender:
        return None
    kind = str(message.get("type") or "unknown")
    content = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        text = content.get("body")
    elif kind == "button":
        text = content.get("text")
    elif kind == "interactive":
        reply = content.get("button_reply") or content.get("list_reply") or {}
        text = reply.get("title") if isinstance(reply, dict) else ""
    else:
        text = content.get("caption")
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    name = names.get(sender)
    return InboundMessage(
        provider="cloud",
        wa_id=sender,
        phone=e164_from_wa_id(sender),
        name=str(name) if name else None,
        text=str(text or ""),
        kind=kind,
        timestamp=_unix(message.get("timestamp")),
        message_id=str(message["id"]) if message.get("id") else None,
        media_id=str(content["id"]) if kind in ("image", "document", "video", "audio", "sticker")
        and content.get("id") else None,
        media_type=str(content["mime_type"]) if content.get("mime_type") else None,
        reply_to=str(context["id"]) if context.get("id") else None,
        business_number=number_id,
    )


# Small readers ---------------------------------------------------------------------------
def _json_object(payload: Mapping[str, Any] | bytes | str) -> Mapping[str, Any]:
    if isinstance(payload, bytes | bytearray | str):
        try:
            payload = json.loads(payload)
        except ValueError:
            raise ValueError("the webhook body is not JSON") from None
    if not isinstance(payload, Mapping):
        raise ValueError("the webhook body is not a JSON object")
    return payload


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _unix(value: Any) -> datetime | None:
    stamp = _int(value)
    return datetime.fromtimestamp(stamp, UTC) if stamp is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _said(message: str, details: str, code: int | None, trace_id: str | None = None) -> str:
    words = message.strip() or "no message"
    details = details.strip()
    if details and details.rstrip(".").lower() != words.rstrip(".").lower():
        words = f"{words}: {details}"
    tags = ([f"code {code}"] if code is not None else []) + ([f"trace {trace_id}"] if trace_id else [])
    return f"{words} ({', '.join(tags)})" if tags else words

"""What WhatsApp providers report after accepting a message — delivered, read, failed —
recorded on the press recipient it belongs to, and "not on WhatsApp" marked on the number
in the directory.

The Cloud API's webhook is read by ``channels.whatsapp.parse_webhook`` into
``StatusEvent`` items; the gateways' status callbacks (Fonnte, Wablas) are read here
(``parse_gateway_status``) into the same items, so one function applies them all
(``apply_status_events``). A status finds its message by the provider's message id, which
the outbox stored as ``Delivery.external_id`` when the message was accepted.

Providers send statuses more than once and in any order (a "delivered" may arrive after
the "read"), so every update only ever moves forward: a time already known is kept unless
an earlier one is reported, and nothing is cleared. Statuses of messages that are not
press deliveries (one-time codes, notices) change nothing — except that a number WhatsApp
cannot reach is marked on the journalist it belongs to, whatever the message was. Unknown
message ids are ignored: a webhook may carry statuses of messages sent by another system
on the same business number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.channels.whatsapp import StatusEvent, e164_from_wa_id
from pressroom.models import Delivery, JournalistPhone, ReleaseRecipient
from pressroom.services import audit

log = logging.getLogger(__name__)

#: Gateways whose status callbacks are understood.
GATEWAYS = ("fonnte", "wablas")
#: A gateway's words for a message that reached the phone, was opened, or will never arrive.
#: Everything else (sent, pending, processing, waiting, queued …) says nothing new: the outbox
#: already knows the gateway accepted the message.
DELIVERED_WORDS = frozenset({"delivered", "received", "delivery_ack", "server_ack_delivered"})
READ_WORDS = frozenset({"read", "read_ack", "played", "viewed", "opened"})
FAILED_WORDS = frozenset({"failed", "fail", "error", "invalid", "expired", "cancel", "canceled",
                          "cancelled", "reject", "rejected", "url unreachable", "undelivered"})
#: Where a Fonnte status that names only its ``stateid`` finds its message (see apply_gateway_statuses).
STATE_ID_KEY = "gateway_state_id"
#: How far back a Fonnte ``stateid`` is looked up (statuses come within days of sending).
STATE_ID_WINDOW = timedelta(days=30)
PROVIDER_FAILURE_MAX = 500


@dataclass
class FeedbackResult:
    """What one batch of statuses did."""

    #: Statuses that changed a press recipient.
    applied: int = 0
    #: Statuses of known messages that changed nothing (repeats, "sent", notices, codes).
    unchanged: int = 0
    #: Statuses whose message id Pressroom does not know.
    unknown: int = 0
    #: Numbers marked "not on WhatsApp" in the directory.
    phones_marked: int = 0

    def __str__(self) -> str:
        return (f"{self.applied} applied, {self.unchanged} unchanged, {self.unknown} unknown, "
                f"{self.phones_marked} number(s) marked not on WhatsApp")


# Applying statuses ---------------------------------------------------------------------------
def apply_status_events(session: Session, events: Iterable[StatusEvent]) -> FeedbackResult:
    """Record ``events`` on the press recipients their messages were sent to (flush only).

    Idempotent and order-tolerant: applying the same events again, or in another order,
    gives the same rows."""
    result = FeedbackResult()
    events = [event for event in events if event.message_id]
    if not events:
        return result
    deliveries = _deliveries_by_external_id(session, {event.message_id for event in events})
    recipient_ids = {d.subject_id for d in deliveries.values() if _is_press(d)}
    # Locked in id order, so that two webhooks about the same recipients wait for each other
    # (PostgreSQL) instead of one overwriting what the other just wrote.
    recipients = {
        r.id: r for r in session.scalars(
            select(ReleaseRecipient).where(ReleaseRecipient.id.in_(recipient_ids))
            .order_by(ReleaseRecipient.id).with_for_update())
    } if recipient_ids else {}
    for event in events:
        delivery = deliveries.get(event.message_id)
        if delivery is None:
            result.unknown += 1
            continue
        recipient = recipients.get(delivery.subject_id) if _is_press(delivery) else None
        changed = _apply(recipient, event) if recipient is not None else False
        if event.not_on_whatsapp and _mark_not_on_whatsapp(session, delivery, recipient, event):
            result.phones_marked += 1
            changed = True
        if changed:
            result.applied += 1
        else:
            result.unchanged += 1
    session.flush()
    return result


def _deliveries_by_external_id(session: Session, message_ids: set[str]) -> dict[str, Delivery]:
    found: dict[str, Delivery] = {}
    for delivery in session.scalars(
            select(Delivery).where(Delivery.channel == "whatsapp", Delivery.external_id.in_(message_ids))
            .order_by(Delivery.id)):
        # A message id is the provider's: it names one message (the first row if ever two).
        found.setdefault(delivery.external_id, delivery)
    return found


def _is_press(delivery: Delivery) -> bool:
    return delivery.kind == "press" and delivery.subject_type == "press_recipient"


def _apply(recipient: ReleaseRecipient, event: StatusEvent) -> bool:
    """Move ``recipient`` forward by ``event``; return whether anything changed."""
    at = event.timestamp or clock.now()
    before = (recipient.delivered_at, recipient.read_at, recipient.provider_failure)
    if event.status in ("delivered", "read"):
        # Read implies delivered; the earliest time reported wins, whatever the order.
        recipient.delivered_at = _earliest(recipient.delivered_at, at)
    if event.status == "read":
        recipient.read_at = _earliest(recipient.read_at, at)
    if event.status == "failed":
        reason = (event.reason or "failed")[:PROVIDER_FAILURE_MAX]
        if recipient.provider_failure != reason:
            recipient.provider_failure = reason
    return (recipient.delivered_at, recipient.read_at, recipient.provider_failure) != before


def _earliest(known: datetime | None, reported: datetime) -> datetime:
    return reported if known is None or reported < known else known


def _mark_not_on_whatsapp(session: Session, delivery: Delivery, recipient: ReleaseRecipient | None,
                          event: StatusEvent) -> bool:
    """Mark the number the message went to as not on WhatsApp, on the journalist it was for."""
    if recipient is not None:
        journalist_id = recipient.journalist_id
    elif delivery.subject_type == "journalist":
        journalist_id = delivery.subject_id
    else:
        return False  # a notice to staff: not the directory's number
    number = delivery.recipient or (recipient.address if recipient is not None else None) or event.phone
    if not number:
        return False
    phones = session.scalars(select(JournalistPhone).where(
        JournalistPhone.journalist_id == journalist_id, JournalistPhone.e164 == number,
        JournalistPhone.not_on_whatsapp_at.is_(None))).all()
    for phone in phones:
        phone.not_on_whatsapp_at = clock.now()
    if phones:
        audit.record(session, None, "journalist.phone_not_on_whatsapp", object_type="journalist",
                     object_id=journalist_id, fields=["not_on_whatsapp_at"],
                     details={"delivery": delivery.id, "provider": event.provider},
                     acting_as=f"whatsapp:{event.provider}")
    return bool(phones)


# Gateways ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GatewayStatus:
    """One status word a gateway reported about a message it sent."""

    provider: str
    #: The gateway's message id, as its send answer gave it (``Delivery.external_id``).
    message_id: str | None
    #: The provider's word, lower-case: "delivered", "read", "invalid", "reject" …
    word: str
    #: Fonnte's id of the message's realtime state, sent alone in later callbacks.
    state_id: str | None = None
    #: The recipient as the gateway wrote it (digits), when it says.
    number: str | None = None
    #: The gateway's own explanation, when it gives one (Wablas ``note``).
    note: str = ""

    @property
    def status(self) -> str | None:
        """The Cloud API's word for it (delivered, read, failed), or None when it says nothing new."""
        if self.word in DELIVERED_WORDS:
            return "delivered"
        if self.word in READ_WORDS:
            return "read"
        if self.word in FAILED_WORDS:
            return "failed"
        return None


def parse_gateway_status(provider: str, data: Mapping[str, Any] | list[Any] | bytes | str
                         ) -> list[GatewayStatus]:
    """Read a gateway's status callback: a JSON object (or list of them), or form fields.

    Fonnte posts ``device``, ``id`` (the message id from its send answer), ``stateid``,
    ``status`` (the sending status: sent, pending, invalid, expired …) and ``state`` (what
    WhatsApp says: delivered, read …); later callbacks about the same message may carry only
    ``stateid`` and ``state``. Wablas posts ``id``, ``phone``, ``status`` (pending, sent,
    received, read, cancel, reject, failed …), ``note`` and ``deviceId``/``device_id``.
    Raise ValueError for a body that is neither JSON nor fields, or an unknown provider."""
    if provider not in GATEWAYS:
        raise ValueError(f"unknown gateway {provider!r}")
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValueError("the callback body is not JSON") from None
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, Mapping) for item in items):
        raise ValueError("the callback body is not a JSON object")
    found: list[GatewayStatus] = []
    for item in items:
        message_id = _text(item.get("id") if "id" in item else item.get("message_id"))
        state_id = _text(item.get("stateid")) if provider == "fonnte" else None
        number = _text(item.get("phone") or item.get("target") or item.get("number"))
        note = _text(item.get("note") or item.get("reason") or item.get("message")) or ""
        keys = ("status", "state") if provider == "fonnte" else ("status",)
        words = []
        for key in keys:
            word = (_text(item.get(key)) or "").lower()
            if word and word not in words:
                words.append(word)
        for word in words:
            found.append(GatewayStatus(provider=provider, message_id=message_id, word=word, state_id=state_id,
                                       number=number, note=note[:300]))
    return found


def apply_gateway_statuses(session: Session, statuses: Iterable[GatewayStatus]) -> FeedbackResult:
    """Apply what a gateway reported, like the Cloud API's statuses (flush only).

    Fonnte's later callbacks name a message only by ``stateid``: the first callback that
    names both is remembered on the delivery (``step_data["gateway_state_id"]``, unused once
    a message is sent) so that the later ones find it."""
    statuses = list(statuses)
    _remember_state_ids(session, statuses)
    lone_states = {s.state_id for s in statuses if s.state_id and not s.message_id}
    by_state = _message_ids_by_state(session, lone_states)
    events: list[StatusEvent] = []
    result = FeedbackResult()
    for status in statuses:
        message_id = status.message_id or by_state.get(status.state_id or "")
        if not message_id:
            result.unknown += 1
            continue
        if status.status is None:
            result.unchanged += 1
            continue
        said = f"{status.provider.title()} reported “{status.word}”"
        if status.note:
            said += f": {status.note}"
        digits = "".join(ch for ch in status.number or "" if ch.isdigit())
        events.append(StatusEvent(
            message_id=message_id, status=status.status, wa_id=digits, phone=e164_from_wa_id(digits),
            timestamp=None, error_title=said if status.status == "failed" else "", provider=status.provider))
    applied = apply_status_events(session, events)
    result.applied += applied.applied
    result.unchanged += applied.unchanged
    result.unknown += applied.unknown
    result.phones_marked += applied.phones_marked
    return result


def _remember_state_ids(session: Session, statuses: list[GatewayStatus]) -> None:
    pairs = {s.message_id: s.state_id for s in statuses if s.message_id and s.state_id}
    if not pairs:
        return
    for delivery in session.scalars(select(Delivery).where(
            Delivery.channel == "whatsapp", Delivery.external_id.in_(list(pairs)))):
        state_id = pairs[delivery.external_id]
        if (delivery.step_data or {}).get(STATE_ID_KEY) != state_id:
            # A JSON column: assign a new dict so that the change is seen.
            delivery.step_data = {**(delivery.step_data or {}), STATE_ID_KEY: state_id}
    session.flush()


def _message_ids_by_state(session: Session, state_ids: set[str]) -> dict[str, str]:
    if not state_ids:
        return {}
    state = Delivery.step_data[STATE_ID_KEY].as_string()
    rows = session.execute(select(state, Delivery.external_id).where(
        Delivery.channel == "whatsapp", Delivery.external_id.is_not(None),
        Delivery.sent_at >= clock.now() - STATE_ID_WINDOW, state.in_(list(state_ids))))
    return {row[0]: row[1] for row in rows}


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict | bool):
        return None
    text = str(value).strip()
    return text or None

"""Lapor Gub against abuse: flood limits on new web reports (per contact, per client address)
and throttled guessing of tracking IDs and PINs.

No client address is ever stored: a report keeps ``complaint.client_hash`` (an HMAC of the
address with the app secret), and failed guesses are counted in the login throttle's table
(``LoginAttempt``) under keys that are HMACs too (``lapor-pin:…`` per tracking ID,
``lapor-client:…`` per client address). Those rows are purged by the login-throttle tick.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import Complaint, LoginAttempt
from pressroom.services.contact_points import ContactError, normalise_email, normalise_phone

CONTACT_WINDOW = timedelta(hours=24)
CLIENT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    """How much is allowed before a client is told to wait (config ``LAPOR_*``)."""

    per_contact: int = 5
    per_client: int = 10
    pin_failures: int = 10
    lookup_failures: int = 30
    guess_window: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(
            per_contact=int(config.get("LAPOR_MAX_PER_CONTACT_DAY", cls.per_contact)),
            per_client=int(config.get("LAPOR_MAX_PER_CLIENT_HOUR", cls.per_client)),
            pin_failures=int(config.get("LAPOR_MAX_PIN_FAILURES", cls.pin_failures)),
            lookup_failures=int(config.get("LAPOR_MAX_LOOKUP_FAILURES", cls.lookup_failures)),
            guess_window=timedelta(minutes=int(config.get("LAPOR_GUESS_WINDOW_MINUTES", 60))),
        )


class Throttled(Exception):
    """Too many reports or guesses: ``message`` for the person, ``retry_after`` in seconds."""

    def __init__(self, message: object, retry_after: int):
        super().__init__(str(message))
        self.message = message
        self.retry_after = retry_after


def _digest(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def client_hash(secret: str, address: str | None) -> str | None:
    """The HMAC of a client address (what a report keeps), or None when there is none."""
    return _digest(secret, "lapor-client", address) if address else None


# Flood limits on new reports -----------------------------------------------------------------
def _contact_columns(contact: str) -> tuple[str | None, str | None]:
    """The contact as ``submit`` stores it: (email, phone); (None, None) if it is unusable
    (``submit`` then refuses it with its own message)."""
    text = (contact or "").strip()
    try:
        if "@" in text:
            return normalise_email(text).address, None
        return (None, normalise_phone(text).e164) if text else (None, None)
    except ContactError:
        return None, None


def check_flood(session: Session, limits: Limits, *, contact: str, client: str | None) -> None:
    """Raise Throttled when this contact sent too many reports in 24 hours, or this client
    address in the last hour."""
    now = clock.now()
    if client is not None:
        recent = session.scalar(
            select(func.count()).select_from(Complaint).where(
                Complaint.client_hash == client, Complaint.received_at > now - CLIENT_WINDOW)
        ) or 0
        if recent >= limits.per_client:
            raise Throttled(_l("Many reports were sent from this connection in the last hour. Nothing was "
                               "saved; please try again in an hour, or send your report by WhatsApp."),
                            int(CLIENT_WINDOW.total_seconds()))
    email, phone = _contact_columns(contact)
    if email or phone:
        same = Complaint.reporter_email == email if email else Complaint.reporter_phone == phone
        recent = session.scalar(
            select(func.count()).select_from(Complaint).where(
                same, Complaint.received_at > now - CONTACT_WINDOW, Complaint.source != "import")
        ) or 0
        if recent >= limits.per_contact:
            raise Throttled(_l("You have already sent %(n)s reports in the last 24 hours. Nothing was saved; "
                               "please follow them up with their tracking IDs, or try again tomorrow.",
                               n=limits.per_contact),
                            int(CONTACT_WINDOW.total_seconds()))


# Guessing tracking IDs and PINs -----------------------------------------------------------------
def _pin_key(secret: str, tracking_id: str) -> str:
    return "lapor-pin:" + _digest(secret, "lapor-pin", tracking_id)[:40]


def _client_key(client: str | None) -> str:
    # ``client`` is already an HMAC (client_hash); shortened to fit the key column.
    return "lapor-client:" + (client or "unknown")[:40]


def _failures(session: Session, key: str, window: timedelta) -> int:
    return session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.key == key, LoginAttempt.at > clock.now() - window)
    ) or 0


def check_guessing(
    session: Session, limits: Limits, secret: str, *, client: str | None, tracking_id: str | None = None
) -> None:
    """Raise Throttled when this client failed too many lookups, or this tracking ID too
    many PINs, within the window. Checked before the ID or PIN is looked at, so a right
    guess during a block is refused too."""
    window = limits.guess_window
    wait = int(window.total_seconds())
    if _failures(session, _client_key(client), window) >= limits.lookup_failures:
        raise Throttled(_l("Too many tracking IDs or PINs that did not match were tried from this "
                           "connection. Please wait %(minutes)s minutes and try again.",
                           minutes=wait // 60), wait)
    if tracking_id and _failures(session, _pin_key(secret, tracking_id), window) >= limits.pin_failures:
        raise Throttled(_l("Too many wrong PINs were tried for this report. Please wait %(minutes)s minutes "
                           "and try again; the PIN is in the first message we sent you.",
                           minutes=wait // 60), wait)


def record_failed_lookup(session: Session, *, client: str | None) -> None:
    """A tracking ID that does not exist was tried."""
    session.add(LoginAttempt(key=_client_key(client), at=clock.now()))
    session.flush()


def record_failed_pin(session: Session, secret: str, *, client: str | None, tracking_id: str) -> None:
    """A wrong PIN for an existing report: counts for the report and for the client."""
    now = clock.now()
    session.add_all([LoginAttempt(key=_pin_key(secret, tracking_id), at=now),
                     LoginAttempt(key=_client_key(client), at=now)])
    session.flush()

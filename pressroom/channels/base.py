"""The channel contract shared by every adapter (sandbox, email, Telegram, X, Facebook,
Instagram, WhatsApp).

The outbox builds a ``Message`` from a delivery row, opens one ``session`` per batch on the
channel (one SMTP connection, one HTTP connection pool), calls ``send`` for each message
and records the ``Result``. Adapters never touch the database and never sleep for long:
a platform asking to wait is answered with ``retry`` and a delay, a multi-step send
(Instagram: container → poll → publish) returns ``continue`` with the step reached and its
ids, and the next step runs in a later tick.

The result rules (ARCHITECTURE.md, "The outbox"):
* ``sent``: the platform confirmed; ``external_id`` (and ``external_url``) recorded.
* ``retry``: it certainly did not happen (connection refused, 429/503 with reset time,
  an error the platform marks transient, SMTP 4xx); ``retry_after`` seconds if known.
* ``failed``: a definite refusal (4xx, SMTP 5xx) with the ``reason`` in plain words.
* ``unknown``: it may have happened (timeout after the request was sent, another 5xx from
  a platform that publishes irreversibly): never re-sent automatically; a person checks.
* ``continue``: a step of a multi-step send succeeded; ``step``/``step_data`` say where.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

SENT, RETRY, FAILED, UNKNOWN, CONTINUE = "sent", "retry", "failed", "unknown", "continue"


@dataclass(frozen=True)
class Image:
    """An image attached to a message (JPEG bytes; a public URL when the platform fetches it)."""

    data: bytes
    content_type: str = "image/jpeg"
    filename: str = "image.jpg"
    alt_text: str = ""
    public_url: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message (an invitation's ``.ics``); email carries it, others ignore it."""

    data: bytes
    content_type: str
    filename: str


@dataclass
class Message:
    """One thing to send to one destination."""

    delivery_id: int
    #: ``publish`` (a post to an account), ``notice`` (to staff), ``press``, ``transactional``.
    kind: str
    text: str
    #: Email address, phone number (E.164), chat/channel id … ; None for an account's own feed.
    recipient: str | None = None
    subject: str | None = None
    html: str | None = None
    images: list[Image] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    #: Multi-step sends: the step reached and the ids it produced (stored on the delivery row).
    step: str | None = None
    step_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    status: str
    external_id: str | None = None
    external_url: str | None = None
    retry_after: float | None = None
    reason: str | None = None
    step: str | None = None
    step_data: dict[str, Any] | None = None

    @classmethod
    def sent(cls, external_id: str | None = None, external_url: str | None = None) -> Result:
        return cls(SENT, external_id=external_id, external_url=external_url)

    @classmethod
    def retry(cls, reason: str, after: float | None = None) -> Result:
        return cls(RETRY, reason=reason, retry_after=after)

    @classmethod
    def failed(cls, reason: str) -> Result:
        return cls(FAILED, reason=reason)

    @classmethod
    def unknown(cls, reason: str) -> Result:
        return cls(UNKNOWN, reason=reason)

    @classmethod
    def next_step(cls, step: str, data: dict[str, Any], after: float | None = None) -> Result:
        return cls(CONTINUE, step=step, step_data=data, retry_after=after)


@dataclass(frozen=True)
class RateLimit:
    """How fast one provider account may be sent to."""

    per_second: float | None = None
    per_day: int | None = None


@dataclass(frozen=True)
class AccountCheck:
    """What a daily check of an account's credentials found (``Channel.check_account``).

    ``ok`` False means the platform refused the credentials or the account cannot post
    (``reason`` in plain words); ``reachable`` False means the platform could not be asked
    (network, 5xx) and says nothing about the credentials. ``expires_at`` is when the token
    stops working, where the platform tells (Graph API tokens), else None.
    """

    ok: bool
    reason: str | None = None
    expires_at: datetime | None = None
    reachable: bool = True
    #: What the platform calls the account (e.g. "@diskominfojateng"), for the admin page.
    display_name: str | None = None


class Channel(Protocol):
    #: Registry name: ``sandbox``, ``email``, ``telegram``, ``x``, ``facebook``, ``instagram`` …
    name: str
    rate_limit: RateLimit

    def session(self, credentials: dict[str, Any]) -> contextlib.AbstractContextManager[Any]:
        """Open what a batch reuses (a connection); closed when the batch ends."""

    def send(self, session: Any, message: Message) -> Result:
        """Send one message; never raise for an outside failure — return a Result."""

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        """Delete a published item where the platform allows it (``failed`` with why if not)."""

    def check_account(self, credentials: dict[str, Any]) -> AccountCheck:
        """Ask the platform whether these credentials still work (one cheap read call)."""


class NoSession:
    """For channels that need nothing per batch."""

    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield credentials

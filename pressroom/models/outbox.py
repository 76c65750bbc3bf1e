"""The outbox: one row per thing that leaves Pressroom (post × account, alert × journalist ×
channel, notices). The database is the source of truth; the scheduler only ticks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pressroom import clock
from pressroom.db import Base

#: publish: a post to an account; notice: to staff; press: to a journalist (consent checked
#: at claim); transactional: one-time codes, confirmations (no consent check).
DELIVERY_KINDS = ("publish", "notice", "press", "transactional")
DELIVERY_STATES = ("due", "claimed", "sent", "failed", "unknown", "cancelled")


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_due", "status", "due_at"),
        Index("ix_delivery_subject", "subject_type", "subject_id"),
        Index("ix_delivery_lease", "status", "lease_expires_at"),
        # Providers' status webhooks find a delivery by the id they gave it.
        Index("ix_delivery_external", "channel", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(15))
    #: Registry name of the channel: sandbox, email, telegram, x, facebook, instagram …
    channel: Mapped[str] = mapped_column(String(15))
    #: What it belongs to, e.g. ("post", 12) or ("user", 3) for a notice.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("social_account.id"))
    #: An email address / number / chat id; None when the account is the destination.
    recipient: Mapped[str | None] = mapped_column(String(254))
    #: What to send when it is not rebuilt from the subject (notices): subject, text, html.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="due")
    due_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: The latest moment it may still go out (a post's missed window); None = no limit.
    not_after: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    #: Committed before the request leaves: tells "never sent" from "maybe sent" after a crash.
    attempt_started_at: Mapped[datetime | None]
    #: Multi-step sends (Instagram): the step reached and its ids.
    step: Mapped[str | None] = mapped_column(String(30))
    step_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    external_id: Mapped[str | None] = mapped_column(String(200))
    external_url: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class SendPace(Base):
    """When a provider account may next be sent to, shared by every worker process: a rate
    limit belongs to the account, not to a process. ``next_at`` is wall-clock epoch seconds
    (``clock.epoch``); each send takes the next slot (``outbox.reserve_slot``)."""

    __tablename__ = "send_pace"

    #: ``channel:account id`` (``email:``, ``whatsapp:``, ``telegram:3`` …).
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    next_at: Mapped[float]

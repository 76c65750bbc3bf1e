"""The one approval mechanism's records: each decision on a subject (a post, later a press
release, a dataset publication, a schema change), and in-app notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pressroom import clock
from pressroom.db import Base


class ApprovalDecision(Base):
    """A person's yes or no on one step of a subject's approval chain."""

    __tablename__ = "approval_decision"
    __table_args__ = (Index("ix_approval_decision_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What was decided on: ``post`` (later ``release``, ``dataset`` …) and its id.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    #: 1 for the only or first step (Kabid in a two-step chain), 2 for the Kepala.
    step: Mapped[int] = mapped_column(default=1)
    decision: Mapped[str] = mapped_column(String(10))  # approved / rejected
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The capacity, e.g. "Plh. Kepala Dinas Kesehatan (SK 800/45/2026)".
    acting_as: Mapped[str] = mapped_column(String(300))
    comment: Mapped[str | None] = mapped_column(Text)
    #: SHA-256 of exactly what was approved (text, images, targets, schedule).
    content_hash: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: Set when an edit or a hold cleared this decision.
    cleared_at: Mapped[datetime | None]


class Notification(Base):
    """An in-app notice to one staff member (the email copy goes through the outbox)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]

"""The append-only audit log: who did what to which object, never personal values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pressroom import clock
from pressroom.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    #: The user who acted; None for the system (jobs, CLI).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: The capacity acted in, e.g. "admin", "Plh. Kepala Dinas Kesehatan" (no personal data).
    acting_as: Mapped[str | None] = mapped_column(String(250))
    #: Dotted verb, e.g. ``user.created``, ``acting.appointed``.
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"), index=True)
    #: Names of the fields that changed, never their values.
    fields: Mapped[list[str]] = mapped_column(default=list)
    #: Non-personal details: ids, codes, counts, reasons chosen from a list.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

"""Lapor Gub: the public complaint and aspiration channel. Reports (pengaduan, aspirasi,
permintaan informasi) with their photos and a trail of events (status changes, public
answers, internal notes, dispositions); categories and answer templates; the working-day
calendar the SLA clocks count on; and the per-month rollups the public statistics read."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressroom import clock
from pressroom.db import Base
from pressroom.models.opd import Opd

COMPLAINT_TYPES = ("pengaduan", "aspirasi", "informasi")
#: Internal workflow states. What the citizen sees is derived (services/complaints.py).
COMPLAINT_STATES = ("received", "verified", "dispositioned", "in_progress", "answered", "resolved",
                    "rejected", "duplicate", "handed_off", "closed")
SOURCES = ("web", "whatsapp", "counter", "phone", "import")


class ComplaintCategory(Base):
    """What a report is about; also an Open311 service (``code`` is its service_code)."""

    __tablename__ = "complaint_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    #: The OPD a verifier is offered first when disposing a report of this category.
    default_opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"))
    is_active: Mapped[bool] = mapped_column(default=True)


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_state", "state"),
        Index("ix_complaint_opd_state", "opd_id", "state"),
        Index("ix_complaint_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short, readable over the phone (no 0/O, 1/I/L): e.g. "LG-7K3M-9Q2P".
    tracking_id: Mapped[str] = mapped_column(String(20), unique=True)
    #: An imported report keeps its original id here (and, when free, as its tracking id).
    original_id: Mapped[str | None] = mapped_column(String(60), unique=True)
    #: Hash of the PIN (HMAC with the app secret); the ID alone shows the status, ID + PIN the answers.
    pin_hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(12), default="pengaduan")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_category.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    #: What the public may read after a verifier's review (redacted spans replaced).
    public_description: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    kecamatan: Mapped[str] = mapped_column(String(100), default="")
    #: The address as given (never public: the public sees kecamatan at most).
    address: Mapped[str] = mapped_column(String(300), default="")
    #: The phone's location, if shared (never public, never in Open311).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    reporter_name: Mapped[str] = mapped_column(String(150), default="")
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    #: Identity hidden from the public and the OPD (only verifiers see it).
    anonymous: Mapped[bool] = mapped_column(default=True)
    #: The whole report never appears on a public page.
    confidential: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(10), default="web")
    state: Mapped[str] = mapped_column(String(15), default="received")
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"))
    pic_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    #: "bukan wewenang": where it went (kabupaten/kota, SP4N-LAPOR!) and its reference there.
    handoff_to: Mapped[str | None] = mapped_column(String(150))
    handoff_reference: Mapped[str | None] = mapped_column(String(100))
    #: Why it is not eligible (tidak layak), shown to the reporter.
    state_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: When the working-day clocks start (the next working morning for after-hours receipt).
    clock_start_at: Mapped[datetime] = mapped_column(default=clock.now)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    first_response_at: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: The reporter's answer to "sudah tuntas?": True/False, and a 1–5 rating.
    confirmed_resolved: Mapped[bool | None]
    rating: Mapped[int | None]
    reopened_count: Mapped[int] = mapped_column(default=0)
    #: Information requests (UU KIP): the 7-working-day extension was taken.
    extended: Mapped[bool] = mapped_column(default=False)
    #: When the reporter last wrote on WhatsApp (free-form replies within 24 hours, else a template).
    last_inbound_at: Mapped[datetime | None]
    #: Reminders and escalations already sent: {"first_response": "2026-..", ...}.
    reminders: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: HMAC of the client address (behind the proxy) that sent a web report: flood limits
    #: count by it; the address itself is never stored.
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    category: Mapped[ComplaintCategory | None] = relationship(lazy="joined")
    opd: Mapped[Opd | None] = relationship(lazy="joined")
    photos: Mapped[list[ComplaintPhoto]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", order_by="ComplaintPhoto.id")

    @property
    def is_public(self) -> bool:
        """Shown on public pages: reviewed by a verifier and not confidential."""
        return self.reviewed_at is not None and not self.confidential and self.state not in (
            "received", "rejected", "duplicate")


class ComplaintPhoto(Base):
    __tablename__ = "complaint_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    #: Private storage key of the re-encoded JPEG (EXIF orientation applied, metadata stripped).
    storage_key: Mapped[str] = mapped_column(String(200))
    #: Public key of the redacted copy (areas blacked out), once a verifier reviewed it.
    public_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    #: Areas blacked out in the public copy: [{"x", "y", "w", "h"}, …] in pixels of the stored image.
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    #: Hidden from the public altogether.
    hidden: Mapped[bool] = mapped_column(default=False)

    complaint: Mapped[Complaint] = relationship(back_populates="photos")


class ComplaintEvent(Base):
    """A step in a report's life: a status change, a public answer, an internal note, a
    disposition, an assignment, a reminder. ``public`` events are what the reporter (with
    the PIN) reads."""

    __tablename__ = "complaint_event"
    __table_args__ = (Index("ix_complaint_event_complaint", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    public: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    #: Attachment storage keys (answers) and other details.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: "Plh. Kepala …", "Verifikator Diskominfo" or "pelapor".
    acting_as: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AnswerTemplate(Base):
    __tablename__ = "complaint_answer_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_category.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    text: Mapped[str] = mapped_column(Text)


class Holiday(Base):
    """A day off on the working-day calendar: a national holiday or cuti bersama."""

    __tablename__ = "holiday"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    #: "libur" (libur nasional) or "cuti_bersama".
    kind: Mapped[str] = mapped_column(String(15), default="libur")


class WorkingHoursPeriod(Base):
    """Different office hours for a period (Ramadan): from ``starts_on`` to ``ends_on``."""

    __tablename__ = "working_hours_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    day_start: Mapped[time]
    day_end: Mapped[time]


class ComplaintRollup(Base):
    """Counts per (WIB) month along one dimension — everything (``all``), per OPD, per
    category, per region — kept in the same transaction as every change of a report, so the
    public statistics read a few hundred rows and are never stale."""

    __tablename__ = "complaint_rollup"
    __table_args__ = (UniqueConstraint("month", "dimension", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: First day of the month the report was received (WIB).
    month: Mapped[date] = mapped_column(index=True)
    #: all / opd / category / region.
    dimension: Mapped[str] = mapped_column(String(10))
    #: The OPD id, category id or region code as text; "" for ``all`` and for "none yet".
    key: Mapped[str] = mapped_column(String(10), default="")
    received: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    responded: Mapped[int] = mapped_column(default=0)
    responded_24h: Mapped[int] = mapped_column(default=0)
    #: Reports by whole hours to first response: {"0": n, "1": n, …}; 720 and more in "720".
    response_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)

"""Press alerts: releases (siaran pers), coverage invitations (undangan liputan) and
corrections (ralat); their photos, attachments and infographics; the audience frozen at
approval (one recipient row per journalist × channel); per-OPD numbering and press
profile; saved audience lists; and what a journalist does through their own link
(one-time codes, consent requests, erasure requests, "hadir" replies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressroom import clock
from pressroom.db import Base
from pressroom.models.dataset import DatasetImage
from pressroom.models.journalist import Beat
from pressroom.models.opd import Opd

#: siaran_pers (press release), undangan (coverage invitation), ralat (correction).
RELEASE_KINDS = ("siaran_pers", "undangan", "ralat")
#: Workflow states, as posts. A release withdrawn after it got its number keeps the number
#: and is listed "dibatalkan" in the register.
RELEASE_STATES = ("draft", "submitted", "approved", "rejected", "withdrawn", "held")
AUDIENCE_CHANNELS = ("email", "whatsapp")


class PressProfile(Base):
    """An OPD's press settings: the numbering pattern and its public contact card (vCard)."""

    __tablename__ = "press_profile"

    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), primary_key=True)
    #: tata naskah dinas pattern, e.g. "{class}/{seq}/{opd}/{month_roman}/{year}".
    number_pattern: Mapped[str] = mapped_column(String(100),
                                                default="{class}/{seq}/{opd}/{month_roman}/{year}")
    #: Default classification code (kode klasifikasi arsip), e.g. "480".
    classification: Mapped[str] = mapped_column(String(20), default="480")
    #: The spokesperson / public relations contact shown on the newsroom and in the vCard.
    contact_name: Mapped[str] = mapped_column(String(150), default="")
    contact_position: Mapped[str] = mapped_column(String(150), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")  # E.164
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class PressNumberSequence(Base):
    """The last sequence number an OPD used in a year (allocated under a row lock)."""

    __tablename__ = "press_number_sequence"

    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class AudienceList(Base):
    """A saved list of journalists an OPD sends to (e.g. "Media peliput pertanian")."""

    __tablename__ = "audience_list"
    __table_args__ = (UniqueConstraint("opd_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AudienceListMember(Base):
    __tablename__ = "audience_list_member"

    list_id: Mapped[int] = mapped_column(ForeignKey("audience_list.id", ondelete="CASCADE"), primary_key=True)
    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalist.id", ondelete="CASCADE"), primary_key=True, index=True)


class PressRelease(Base):
    __tablename__ = "press_release"
    __table_args__ = (
        Index("ix_press_release_opd_state", "opd_id", "state"),
        Index("ix_press_release_public", "state", "public_from"),
        UniqueConstraint("opd_id", "number_year", "number_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(12), default="siaran_pers")
    #: The number as printed; assigned at the first final approval and kept for good.
    number: Mapped[str | None] = mapped_column(String(100))
    #: For a pattern number: the sequence and the (WIB) year it belongs to.
    number_seq: Mapped[int | None]
    number_year: Mapped[int | None]
    #: A number typed by hand (from the office's letter register) instead of the pattern.
    manual_number: Mapped[str | None] = mapped_column(String(100))
    classification: Mapped[str | None] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(120), default="")
    headline: Mapped[str] = mapped_column(String(250), default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    #: Markdown; rendered and sanitised (press/markdown.py).
    body: Mapped[str] = mapped_column(Text, default="")
    #: The optional English version.
    headline_en: Mapped[str] = mapped_column(String(250), default="")
    lead_en: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(100), default="Semarang")
    #: Narasumber: [{"name": ..., "position": ...}] ("Plt."/"Plh." included in the position).
    sources: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    contact_name: Mapped[str] = mapped_column(String(150), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")  # E.164
    contact_position: Mapped[str] = mapped_column(String(150), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    #: Coverage invitation: what, where, when (UTC; shown in WIB).
    agenda: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    event_starts_at: Mapped[datetime | None]
    event_ends_at: Mapped[datetime | None]
    #: Embargo: hidden on the newsroom until then; sent before it only if ``send_before_embargo``.
    embargo_until: Mapped[datetime | None]
    send_before_embargo: Mapped[bool] = mapped_column(default=False)
    #: Embargoed items go by email only unless the OPD chooses WhatsApp too.
    embargo_whatsapp: Mapped[bool] = mapped_column(default=False)
    #: When to send; None = as soon as it is approved.
    send_at: Mapped[datetime | None]
    #: Who receives it: {"following": bool, "beats": [ids], "regions": [codes], "outlet_types": [...],
    #: "dewan_pers": [...], "list_id": id | None, "channels": ["email", "whatsapp"]}.
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: An optional social post announcing it.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    #: A correction points at what it corrects, and says what changed.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("press_release.id"), index=True)
    correction_note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="draft")
    approval_step: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approval_hash: Mapped[str | None] = mapped_column(String(64))
    state_reason: Mapped[str | None] = mapped_column(String(300))
    #: When it appears on the public newsroom (set at approval: the later of sending and embargo).
    public_from: Mapped[datetime | None]
    #: When recipients were frozen (first final approval with nothing sent yet).
    frozen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    opd: Mapped[Opd] = relationship(lazy="joined")
    photos: Mapped[list[ReleasePhoto]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleasePhoto.position")
    attachments: Mapped[list[ReleaseAttachment]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseAttachment.id")
    infographics: Mapped[list[ReleaseInfographic]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseInfographic.position")
    topics: Mapped[list[Beat]] = relationship(secondary="press_release_topic", order_by="Beat.name")

    @property
    def is_cancelled(self) -> bool:
        """Withdrawn after its number was given: "dibatalkan" in the register."""
        return self.state == "withdrawn" and self.number is not None


class ReleaseTopic(Base):
    __tablename__ = "press_release_topic"

    release_id: Mapped[int] = mapped_column(ForeignKey("press_release.id", ondelete="CASCADE"),
                                            primary_key=True)
    beat_id: Mapped[int] = mapped_column(ForeignKey("beat.id"), primary_key=True, index=True)


class ReleasePhoto(Base):
    __tablename__ = "press_release_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("press_release.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Public storage key of the re-encoded full-size JPEG (downloadable).
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(String(500), default="")
    credit: Mapped[str] = mapped_column(String(150), default="")
    alt_text: Mapped[str] = mapped_column(String(1000), default="")

    release: Mapped[PressRelease] = relationship(back_populates="photos")


class ReleaseAttachment(Base):
    """A PDF attached to a release (a report, a letter)."""

    __tablename__ = "press_release_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("press_release.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))

    release: Mapped[PressRelease] = relationship(back_populates="attachments")


class ReleaseInfographic(Base):
    """A chart from the data centre attached to a release."""

    __tablename__ = "press_release_infographic"
    __table_args__ = (UniqueConstraint("release_id", "dataset_image_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("press_release.id", ondelete="CASCADE"), index=True)
    dataset_image_id: Mapped[int] = mapped_column(ForeignKey("dataset_image.id"))
    position: Mapped[int] = mapped_column(default=0)

    release: Mapped[PressRelease] = relationship(back_populates="infographics")
    image: Mapped[DatasetImage] = relationship(lazy="joined")


class ReleaseRecipient(Base):
    """One journalist × channel frozen at approval. The delivery (outbox) sends it; what
    the provider says afterwards (delivered, read, failed) is kept here."""

    __tablename__ = "press_recipient"
    __table_args__ = (UniqueConstraint("release_id", "journalist_id", "channel"),
                      Index("ix_press_recipient_journalist", "journalist_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("press_release.id", ondelete="CASCADE"))
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    #: The address or E.164 number at freezing time (cleared on erasure).
    address: Mapped[str | None] = mapped_column(String(254))
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    #: A failure the provider reported after accepting the message (webhook).
    provider_failure: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class JournalistCode(Base):
    """A one-time code guarding a journalist's own page (hashed; a few tries; minutes long)."""

    __tablename__ = "journalist_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ConsentRequest(Base):
    """An opt-in message sent to a contact awaiting consent, and the answer."""

    __tablename__ = "consent_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: "given" or "declined", and when.
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None]


class ErasureRequest(Base):
    """A journalist asked (through their own link) to be erased: an admin carries it out
    within 3 × 24 hours."""

    __tablename__ = "erasure_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int | None] = mapped_column(ForeignKey("journalist.id", ondelete="SET NULL"),
                                                      index=True)
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class InvitationReply(Base):
    """A journalist's "hadir" to a coverage invitation."""

    __tablename__ = "invitation_reply"
    __table_args__ = (UniqueConstraint("release_id", "journalist_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("press_release.id", ondelete="CASCADE"), index=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"))
    attending: Mapped[bool] = mapped_column(default=True)
    replied_at: Mapped[datetime] = mapped_column(default=clock.now)

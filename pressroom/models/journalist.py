"""The province's journalist directory: one person record, outlets, beats, regions,
per-OPD links (following, subscription, that OPD's notes) and consent per channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressroom import clock
from pressroom.db import Base
from pressroom.models.opd import Opd

OUTLET_TYPES = ("cetak", "online", "tv", "radio", "kantor_berita")
#: Dewan Pers verification of a press company.
DEWAN_PERS_STATES = ("faktual", "administratif", "belum")
#: Uji Kompetensi Wartawan levels.
UKW_LEVELS = ("muda", "madya", "utama")
CHANNELS = ("email", "whatsapp")
CONSENT_STATES = ("awaiting", "given", "withdrawn")
JOURNALIST_STATES = ("active", "archived", "erased")


class Region(Base):
    """A kabupaten/kota of Central Java, keyed by its BPS code (reference data)."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))  # Kabupaten / Kota


class Beat(Base):
    """A "pos liputan": the managed vocabulary of what a journalist covers."""

    __tablename__ = "beat"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class Outlet(Base):
    """A press company: newspaper, online medium, TV or radio station, news agency."""

    __tablename__ = "outlet"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    type: Mapped[str] = mapped_column(String(15), index=True)
    dewan_pers: Mapped[str] = mapped_column(String(15), default="belum", index=True)
    #: Home region (BPS code) of a local outlet; None for national or province-wide ones.
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Journalist(Base):
    __tablename__ = "journalist"
    __table_args__ = (Index("ix_journalist_status_sort", "status", "sort_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    #: Lower-case, accent- and space-normalised name for search and sorting.
    sort_name: Mapped[str] = mapped_column(String(200), default="")
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlet.id"), index=True)
    #: Job title at the outlet, e.g. "Reporter", "Redaktur", "Kontributor".
    position: Mapped[str | None] = mapped_column(String(100))
    ukw_level: Mapped[str | None] = mapped_column(String(10))
    press_card_issuer: Mapped[str | None] = mapped_column(String(100))
    #: Covers the whole province (in addition to, or instead of, listed regions).
    province_wide: Mapped[bool] = mapped_column(default=False)
    #: Ordered list of channels the journalist prefers, e.g. ["whatsapp", "email"].
    preferred_channels: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    archived_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    outlet: Mapped[Outlet | None] = relationship(lazy="joined")
    emails: Mapped[list[JournalistEmail]] = relationship(
        back_populates="journalist", cascade="all, delete-orphan", order_by="JournalistEmail.id"
    )
    phones: Mapped[list[JournalistPhone]] = relationship(
        back_populates="journalist", cascade="all, delete-orphan", order_by="JournalistPhone.id"
    )
    beats: Mapped[list[Beat]] = relationship(secondary="journalist_beat", order_by="Beat.name")
    regions: Mapped[list[Region]] = relationship(secondary="journalist_region", order_by="Region.code")
    links: Mapped[list[JournalistOpd]] = relationship(
        back_populates="journalist", cascade="all, delete-orphan"
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="journalist", cascade="all, delete-orphan", order_by="Consent.channel"
    )

    def consent_for(self, channel: str) -> Consent | None:
        return next((c for c in self.consents if c.channel == channel), None)

    def link_for(self, opd_id: int) -> JournalistOpd | None:
        return next((link for link in self.links if link.opd_id == opd_id), None)


class JournalistEmail(Base):
    __tablename__ = "journalist_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"), index=True)
    #: Normalised (lower-case) address.
    address: Mapped[str] = mapped_column(String(254), index=True)
    #: A desk address (redaksi@, newsroom@ …): flagged, never used to merge people.
    is_shared: Mapped[bool] = mapped_column(default=False)
    #: The mail server refused this address for good (a 5xx on RCPT): not used until fixed.
    bouncing_at: Mapped[datetime | None]
    bounce_reason: Mapped[str | None] = mapped_column(String(300))

    journalist: Mapped[Journalist] = relationship(back_populates="emails")


class JournalistPhone(Base):
    __tablename__ = "journalist_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"), index=True)
    #: E.164, e.g. +6281234567890.
    e164: Mapped[str] = mapped_column(String(20), index=True)
    #: ``mobile`` (WhatsApp-capable) or ``landline``.
    kind: Mapped[str] = mapped_column(String(10), default="mobile")
    #: A shared desk number: flagged, never used to merge people.
    is_shared: Mapped[bool] = mapped_column(default=False)
    #: WhatsApp said this number is not on WhatsApp (or cannot receive): not used for WhatsApp.
    not_on_whatsapp_at: Mapped[datetime | None]

    journalist: Mapped[Journalist] = relationship(back_populates="phones")

    @property
    def whatsapp_capable(self) -> bool:
        return self.kind == "mobile" and self.not_on_whatsapp_at is None


class JournalistBeat(Base):
    __tablename__ = "journalist_beat"

    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalist.id", ondelete="CASCADE"), primary_key=True
    )
    beat_id: Mapped[int] = mapped_column(ForeignKey("beat.id"), primary_key=True, index=True)


class JournalistRegion(Base):
    __tablename__ = "journalist_region"

    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalist.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True, index=True)


class JournalistOpd(Base):
    """One OPD's relation to a journalist: following, alert subscription, private notes."""

    __tablename__ = "journalist_opd"
    __table_args__ = (UniqueConstraint("journalist_id", "opd_id"),
                      Index("ix_journalist_opd_opd_following", "opd_id", "following"))

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"))
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    following: Mapped[bool] = mapped_column(default=True)
    #: Receives this OPD's press alerts (when consent allows).
    subscribed: Mapped[bool] = mapped_column(default=True)
    #: This OPD's notes; never shown to another OPD. The journalist may ask to see them.
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    journalist: Mapped[Journalist] = relationship(back_populates="links")
    opd: Mapped[Opd] = relationship(lazy="joined")


class Consent(Base):
    """Consent for one channel: given when, how and on what basis; withdrawn when."""

    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("journalist_id", "channel"),
                      Index("ix_consent_channel_state", "channel", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalist.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="awaiting")
    given_at: Mapped[datetime | None]
    #: How it was given: "formulir", "email", "lisan", "impor" … (free text, short).
    method: Mapped[str | None] = mapped_column(String(100))
    #: The lawful basis / evidence, e.g. "formulir persetujuan 12/3/2026".
    basis: Mapped[str | None] = mapped_column(String(300))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_how: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    journalist: Mapped[Journalist] = relationship(back_populates="consents")


class ImportBatch(Base):
    """An uploaded contacts file between preview and commit."""

    __tablename__ = "journalist_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: Private storage key of the uploaded file.
    file_key: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    row_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default="preview")  # preview/committed/cancelled
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    committed_at: Mapped[datetime | None]

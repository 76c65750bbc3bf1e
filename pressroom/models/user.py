"""Staff users, their memberships in OPDs, acting appointments and login security rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressroom import clock
from pressroom.db import Base
from pressroom.models.opd import Opd

#: Roles a membership can carry. ``admin``, ``walidata`` and ``viewer`` reach across OPDs;
#: ``editor`` and ``approver`` work inside the membership's OPD. Lapor Gub: a ``verifier`` (Diskominfo)
#: checks every report and sees reporters' identities; an ``officer`` answers the reports of its OPD.
ROLES = ("admin", "walidata", "viewer", "editor", "approver", "verifier", "officer")
PROVINCE_WIDE_ROLES = frozenset({"admin", "walidata", "viewer"})
#: Position levels (eselon in plain words): staff, head of division, head of agency.
LEVELS = ("staf", "kabid", "kepala")
#: Acting appointment kinds: Pelaksana Tugas (vacant post) and Pelaksana Harian (absence).
ACTING_KINDS = ("plt", "plh")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: Nomor Induk Pegawai, optional.
    nip: Mapped[str | None] = mapped_column(String(18))
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Set by an admin reset: the user must choose a new password at next login.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: Fernet-encrypted base32 TOTP secret; None until two-factor is enrolled.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(500))
    totp_enabled_at: Mapped[datetime | None]
    #: The last TOTP time step accepted, so a code cannot be replayed.
    totp_last_step: Mapped[int | None]
    #: Bumped on password reset or deactivation: logs out every live session.
    session_version: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None]
    #: Why the account was closed, e.g. "mutasi ke Dinas X" (free text, internal).
    deactivation_reason: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str | None] = mapped_column(String(5))
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )
    acting_appointments: Mapped[list[ActingAppointment]] = relationship(
        back_populates="user",
        foreign_keys="ActingAppointment.user_id",
        order_by="ActingAppointment.starts_at",
    )

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The session version makes old sessions invalid after a reset or deactivation.
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Membership(Base):
    """A user's role in one OPD, with the position (jabatan) held there."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "opd_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    #: Jabatan as written on the SK, e.g. "Kepala Bidang Informasi dan Komunikasi Publik".
    position_title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10), default="staf")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: Set when the membership ends (mutasi, new position); ended rows stay for history.
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="memberships")
    opd: Mapped[Opd] = relationship(lazy="joined")

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class ActingAppointment(Base):
    """Plt./Plh.: a user acts in a position of an OPD for a period, by an SK number."""

    __tablename__ = "acting_appointment"
    __table_args__ = (Index("ix_acting_appointment_opd_period", "opd_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    kind: Mapped[str] = mapped_column(String(3))
    #: The position acted in, e.g. "Kepala Dinas Kesehatan".
    position_title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10), default="kepala")
    #: The SK / surat perintah number that makes the appointment.
    sk_number: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="acting_appointments", foreign_keys=[user_id])
    opd: Mapped[Opd] = relationship(lazy="joined")

    @property
    def prefix(self) -> str:
        return "Plt." if self.kind == "plt" else "Plh."

    @property
    def display_title(self) -> str:
        """How the acting capacity is written, e.g. "Plh. Kepala Dinas Kesehatan"."""
        return f"{self.prefix} {self.position_title}"

    def is_active_at(self, at: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= at < self.ends_at


class RecoveryCode(Base):
    """A one-use two-factor recovery code, stored hashed."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """A failed login or two-factor attempt, counted for throttling and purged later."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What is being throttled: ``account:<sha256 of email>`` or ``ip:<address>``.
    key: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=clock.now)

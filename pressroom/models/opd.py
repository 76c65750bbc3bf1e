"""OPD (Organisasi Perangkat Daerah): the provincial agencies that use Pressroom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pressroom import clock
from pressroom.db import Base

OPD_KINDS = ("dinas", "badan", "biro", "sekretariat", "inspektorat", "satpol")


class Opd(Base):
    __tablename__ = "opd"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short code used in numbers and URLs, e.g. ``DISKOMINFO``.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: Full official name, e.g. "Dinas Komunikasi dan Informatika".
    name: Mapped[str] = mapped_column(String(200))
    #: The short name people say, e.g. "Diskominfo".
    short_name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="dinas")
    #: Branding: hex colours "#RRGGBB" used by the logo and later by the chart frame.
    primary_color: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    accent_color: Mapped[str] = mapped_column(String(7), default="#f2a900")
    #: Storage key of the logo image (a neutral generated one by default).
    logo_key: Mapped[str | None] = mapped_column(String(200))
    #: Approval chain length: 1 (the head) or 2 (Kabid, then Kepala); set by an admin.
    approval_steps: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    def __repr__(self) -> str:
        return f"<Opd {self.code}>"

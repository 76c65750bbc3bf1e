"""Social posts of an OPD, their images and target accounts; accounts; pauses and
blackout windows that stop sending."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressroom import clock
from pressroom.db import Base
from pressroom.models.opd import Opd

PLATFORMS = ("x", "facebook", "instagram", "telegram")
#: Stored workflow states; the sending outcome is derived from the deliveries.
POST_STATES = ("draft", "submitted", "approved", "rejected", "withdrawn", "held", "missed")


class SocialAccount(Base):
    """An OPD's account on a platform; credentials encrypted at rest, never shown again."""

    __tablename__ = "social_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"), index=True)
    platform: Mapped[str] = mapped_column(String(12))
    #: What people see, e.g. "@diskominfojateng" or "Diskominfo Jateng (Page)".
    name: Mapped[str] = mapped_column(String(120))
    #: Fernet-encrypted JSON of the platform's credentials; None means "sandbox".
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    #: The daily credential check (jobs/ticks.check_accounts): when, what it found, why.
    checked_at: Mapped[datetime | None]
    #: ok, expiring (works, token ends soon), failing (refused), unreachable (platform not asked).
    check_status: Mapped[str | None] = mapped_column(String(12))
    check_reason: Mapped[str | None] = mapped_column(String(300))
    #: When the platform says the token stops working (Graph API tokens); None if it never says.
    token_expires_at: Mapped[datetime | None]
    #: The status last warned about and when, so admins are told once per change, not every day.
    warned_status: Mapped[str | None] = mapped_column(String(12))
    warned_at: Mapped[datetime | None]

    opd: Mapped[Opd] = relationship(lazy="joined")

    @property
    def is_sandbox(self) -> bool:
        return not self.credentials_encrypted


class Post(Base):
    __tablename__ = "post"
    __table_args__ = (Index("ix_post_opd_state", "opd_id", "state"),
                      Index("ix_post_scheduled", "scheduled_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    opd_id: Mapped[int] = mapped_column(ForeignKey("opd.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    caption: Mapped[str] = mapped_column(Text, default="")
    #: Per-platform caption variants: {"x": "...", "instagram": "..."}; missing → caption.
    caption_variants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scheduled_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(10), default="draft")
    #: Where it came from: "manual", later "dataset:<id>" …
    origin: Mapped[str] = mapped_column(String(40), default="manual")
    #: 0 before submission; the step waiting for a decision (1 or 2) while submitted.
    approval_step: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    #: SHA-256 of exactly what was approved; cleared by any edit.
    approval_hash: Mapped[str | None] = mapped_column(String(64))
    #: Why the post is held or missed, in plain words.
    state_reason: Mapped[str | None] = mapped_column(String(300))
    #: A correction (ralat) points at the post it corrects.
    corrects_post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    retracted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    opd: Mapped[Opd] = relationship(lazy="joined")
    images: Mapped[list[PostImage]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostImage.position"
    )
    targets: Mapped[list[PostTarget]] = relationship(back_populates="post", cascade="all, delete-orphan")

    def caption_for(self, platform: str) -> str:
        return (self.caption_variants or {}).get(platform) or self.caption


class PostImage(Base):
    __tablename__ = "post_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Public storage key of the re-encoded JPEG (platforms like Instagram fetch it).
    storage_key: Mapped[str] = mapped_column(String(200))
    #: A small JPEG preview for phone screens.
    thumb_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    #: SHA-256 of the stored JPEG (part of the approval hash).
    sha256: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str] = mapped_column(String(1000), default="")

    post: Mapped[Post] = relationship(back_populates="images")


class PostTarget(Base):
    __tablename__ = "post_target"
    __table_args__ = (UniqueConstraint("post_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"))

    post: Mapped[Post] = relationship(back_populates="targets")
    account: Mapped[SocialAccount] = relationship(lazy="joined")


class PostComment(Base):
    """Conversation between author and reviewers on a post."""

    __tablename__ = "post_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting_as: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SendingStop(Base):
    """A pause (open-ended, until lifted) or a blackout window (set ahead) for one OPD
    or, with ``opd_id`` None, for all. Nothing is sent while one is in force."""

    __tablename__ = "sending_stop"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # pause / blackout
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opd.id"))
    starts_at: Mapped[datetime]
    #: None for a pause until lifted.
    ends_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    lifted_at: Mapped[datetime | None]

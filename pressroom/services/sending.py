"""Controls over what leaves Pressroom: social accounts (credentials encrypted at rest),
pauses and blackout windows."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.crypto import Crypto
from pressroom.i18n import _l
from pressroom.models import Post, SendingStop, SocialAccount, User
from pressroom.models.post import PLATFORMS
from pressroom.services import ValidationError, audit, posts

#: The credential fields each platform's adapter reads (see pressroom/channels/<platform>.py).
REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "telegram": ("bot_token", "chat_id"),
    "x": ("api_key", "api_secret", "access_token", "access_token_secret"),
    "facebook": ("page_id", "page_access_token"),
    "instagram": ("ig_user_id", "access_token"),
}
#: Platforms with a real adapter; any other could only be a sandbox account (never a fake success).
REAL_ADAPTERS = frozenset(REQUIRED_CREDENTIALS)


def create_account(
    session: Session, admin: User, crypto: Crypto, *, opd_id: int, platform: str, name: str, credentials: str
) -> SocialAccount:
    if platform not in PLATFORMS:
        raise ValidationError.one("platform", _l("Choose a platform from the list."))
    clean_name = " ".join((name or "").split())[:120]
    if not clean_name:
        raise ValidationError.one("name", _l("The name is required."))
    encrypted = None
    if (credentials or "").strip() and platform not in REAL_ADAPTERS:
        raise ValidationError.one("credentials", _l(
            "Pressroom cannot publish to %(platform)s yet: leave the credentials empty to use the sandbox.",
            platform=platform))
    if (credentials or "").strip():
        try:
            parsed = json.loads(credentials)
        except ValueError:
            raise ValidationError.one(
                "credentials",
                _l('The credentials must be JSON, e.g. {"bot_token": "…", "chat_id": "@channel"}.'),
            ) from None
        if not isinstance(parsed, dict) or not parsed:
            raise ValidationError.one("credentials", _l("The credentials must be a JSON object."))
        missing = [key for key in REQUIRED_CREDENTIALS[platform] if not str(parsed.get(key) or "").strip()]
        if missing:
            raise ValidationError.one("credentials", _l(
                "These credential fields are missing for %(platform)s: %(fields)s.",
                platform=platform, fields=", ".join(missing)))
        encrypted = crypto.encrypt(json.dumps(parsed))
    account = SocialAccount(
        opd_id=opd_id, platform=platform, name=clean_name, credentials_encrypted=encrypted
    )
    session.add(account)
    session.flush()
    # Field names only: the credentials themselves never reach the log.
    audit.record(
        session,
        admin,
        "account.created",
        account,
        fields=["platform", "name", "credentials"],
        details={"platform": platform, "sandbox": encrypted is None},
    )
    return account


def deactivate_account(session: Session, admin: User, account: SocialAccount) -> None:
    if account.is_active:
        account.is_active = False
        audit.record(session, admin, "account.deactivated", account, fields=["is_active"])


def add_stop(
    session: Session,
    admin: User,
    *,
    kind: str,
    opd_id: int | None,
    reason: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> SendingStop:
    """A pause starts now and lasts until lifted; a blackout window is set ahead with an end.
    Approved posts scheduled inside a blackout window are held at once (re-approval needed)."""
    now = clock.now()
    text = " ".join((reason or "").split())[:300]
    if not text:
        raise ValidationError.one("reason", _l("Say why (it is shown on held posts)."))
    if kind == "pause":
        starts_at, ends_at = now, None
    elif kind == "blackout":
        if starts_at is None or ends_at is None:
            raise ValidationError.one("ends_at", _l("A blackout window needs a start and an end."))
        if ends_at <= starts_at:
            raise ValidationError.one("ends_at", _l("The end must be after the start."))
        if ends_at <= now:
            raise ValidationError.one("ends_at", _l("The period has already ended."))
    else:
        raise ValidationError.one("kind", _l("Choose a pause or a blackout window."))
    stop = SendingStop(
        kind=kind, opd_id=opd_id, starts_at=starts_at, ends_at=ends_at, reason=text, created_by_id=admin.id
    )
    session.add(stop)
    session.flush()
    audit.record(
        session,
        admin,
        f"sending.{kind}_added",
        stop,
        opd_id=opd_id,
        fields=["starts_at", "ends_at", "reason"],
    )
    if kind == "blackout":
        affected = session.scalars(
            select(Post).where(
                Post.state == "approved",
                Post.scheduled_at >= starts_at,
                Post.scheduled_at < ends_at,
                or_(Post.opd_id == opd_id, opd_id is None),
            )
        )
        for post in affected:
            posts.hold(session, post, text)
    return stop


def lift_stop(session: Session, admin: User, stop: SendingStop) -> None:
    if stop.lifted_at is None:
        stop.lifted_at = clock.now()
        audit.record(
            session, admin, f"sending.{stop.kind}_lifted", stop, opd_id=stop.opd_id, fields=["lifted_at"]
        )

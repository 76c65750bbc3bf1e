"""Controls over what leaves Pressroom: social accounts (credentials encrypted at rest),
pauses and blackout windows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.channels.base import AccountCheck
from pressroom.crypto import Crypto
from pressroom.i18n import _l
from pressroom.models import Membership, Post, SendingStop, SocialAccount, User
from pressroom.models.post import PLATFORMS
from pressroom.services import ValidationError, audit, notifications, posts

#: The credential fields each platform's adapter reads (see pressroom/channels/<platform>.py).
REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "telegram": ("bot_token", "chat_id"),
    "x": ("api_key", "api_secret", "access_token", "access_token_secret"),
    "facebook": ("page_id", "page_access_token"),
    "instagram": ("ig_user_id", "access_token"),
}
#: Platforms with a real adapter; any other could only be a sandbox account (never a fake success).
REAL_ADAPTERS = frozenset(REQUIRED_CREDENTIALS)


def _encrypt_credentials(crypto: Crypto, platform: str, credentials: str) -> str:
    """Check the JSON an admin pasted has what the platform's adapter reads; return it encrypted."""
    if platform not in REAL_ADAPTERS:
        raise ValidationError.one("credentials", _l(
            "Pressroom cannot publish to %(platform)s yet: leave the credentials empty to use the sandbox.",
            platform=platform))
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
    return crypto.encrypt(json.dumps(parsed))


def create_account(
    session: Session, admin: User, crypto: Crypto, *, opd_id: int, platform: str, name: str, credentials: str
) -> SocialAccount:
    if platform not in PLATFORMS:
        raise ValidationError.one("platform", _l("Choose a platform from the list."))
    clean_name = " ".join((name or "").split())[:120]
    if not clean_name:
        raise ValidationError.one("name", _l("The name is required."))
    encrypted = _encrypt_credentials(crypto, platform, credentials) if (credentials or "").strip() else None
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


def replace_credentials(session: Session, admin: User, crypto: Crypto, account: SocialAccount,
                        credentials: str) -> None:
    """Reconnect an account (a new token after expiry or revocation); the old one is gone for good."""
    if not (credentials or "").strip():
        raise ValidationError.one("credentials", _l("Paste the new credentials."))
    account.credentials_encrypted = _encrypt_credentials(crypto, account.platform, credentials)
    account.checked_at = account.check_status = account.check_reason = account.token_expires_at = None
    account.warned_status = account.warned_at = None
    audit.record(session, admin, "account.credentials_replaced", account, opd_id=account.opd_id,
                 fields=["credentials"])


# The daily credential check ---------------------------------------------------------------------
#: A warning about an unchanged problem is repeated after this long (an expiring token, a refusal).
REWARN_AFTER = timedelta(days=3)


def check_status(check: AccountCheck, now: datetime, warning_days: int) -> str:
    """ok, expiring (works but the token ends within ``warning_days``), failing, or unreachable."""
    if not check.reachable:
        return "unreachable"
    if not check.ok:
        return "failing"
    if check.expires_at is not None and check.expires_at - now <= timedelta(days=warning_days):
        return "expiring"
    return "ok"


def account_keepers(session: Session, account: SocialAccount) -> list[User]:
    """Who hears about an account in trouble: the admins and the OPD's approvers."""
    keepers = select(Membership.user_id).where(
        Membership.ended_at.is_(None),
        or_(Membership.role == "admin",
            (Membership.role == "approver") & (Membership.opd_id == account.opd_id)))
    return list(session.scalars(select(User).where(User.is_active.is_(True), User.id.in_(keepers))
                                .order_by(User.id)))


def record_check(session: Session, account: SocialAccount, check: AccountCheck, *, warning_days: int,
                 link: str) -> str:
    """Store what the daily check found; warn the account's keepers (in the app and by email)
    when it turns bad or its token soon ends — once per change, repeated every ``REWARN_AFTER``
    while it stays so."""
    now = clock.now()
    status = check_status(check, now, warning_days)
    account.checked_at, account.check_status = now, status
    account.check_reason = (check.reason or "")[:300] or None
    if check.reachable:
        account.token_expires_at = check.expires_at
    if status == "ok":
        account.warned_status = account.warned_at = None
        return status
    if status == "unreachable":
        # A platform outage says nothing about the credentials and is not the admin's to fix;
        # the accounts page shows it, and a post that cannot go out says so on its own page.
        return status
    repeat = account.warned_at is None or now - account.warned_at >= REWARN_AFTER
    if account.warned_status == status and not repeat:
        return status
    if status == "expiring":
        text = _l("The %(platform)s account %(name)s (%(opd)s) stops working on %(date)s: reconnect it with "
                  "a new token before then.", platform=account.platform, name=account.name,
                  opd=account.opd.short_name, date=_wib_date(account.token_expires_at))
    else:  # failing
        text = _l("The %(platform)s account %(name)s (%(opd)s) no longer works: %(reason)s. Posts to it will "
                  "fail until it is reconnected.", platform=account.platform, name=account.name,
                  opd=account.opd.short_name, reason=account.check_reason or "")
    notifications.notify(session, account_keepers(session, account), text, link)
    account.warned_status, account.warned_at = status, now
    return status


ACCOUNTS_LINK = "/app/admin/akun"


def run_account_checks(new_session: Callable[[], Session], config: Mapping[str, Any], crypto: Crypto, *,
                       account_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Check the credentials of active accounts (all, or ``account_ids``) on their platforms.

    The platform is asked outside any transaction (a slow platform never holds a database
    lock); each answer is recorded in a short transaction of its own. Returns id → status."""
    from pressroom.channels import registry

    session = new_session()
    try:
        query = select(SocialAccount.id, SocialAccount.platform, SocialAccount.credentials_encrypted).where(
            SocialAccount.is_active.is_(True), SocialAccount.credentials_encrypted.is_not(None))
        if account_ids is not None:
            query = query.where(SocialAccount.id.in_(list(account_ids)))
        rows = session.execute(query.order_by(SocialAccount.id)).all()
    finally:
        session.close()
    found: dict[int, str] = {}
    for account_id, platform, encrypted in rows:
        check = _ask_platform(registry.build_channel(platform, config), platform, crypto, encrypted)
        session = new_session()
        try:
            # Locked, so two workers checking at the same moment warn once (warned_status).
            account = session.scalars(select(SocialAccount).where(SocialAccount.id == account_id)
                                      .with_for_update(of=SocialAccount.__table__)).one()
            found[account_id] = record_check(
                session, account, check, warning_days=int(config.get("ACCOUNT_EXPIRY_WARNING_DAYS") or 14),
                link=ACCOUNTS_LINK)
            session.commit()
        finally:
            session.close()
    return found


def _ask_platform(channel: Any, platform: str, crypto: Crypto, encrypted: str) -> AccountCheck:
    if getattr(channel, "stands_for", None) or not hasattr(channel, "check_account"):
        return AccountCheck(ok=False, reachable=False,
                            reason=f"no {platform} adapter is configured on this server; nothing can be sent")
    try:
        credentials = json.loads(crypto.decrypt(encrypted))
    except ValueError:
        return AccountCheck(ok=False,
                            reason="the stored credentials cannot be decrypted with the current keys")
    try:
        return channel.check_account(credentials)
    except Exception as exc:  # noqa: BLE001 - one broken adapter must not stop the other checks
        return AccountCheck(ok=False, reachable=False,
                            reason=f"internal error in the {platform} adapter: {exc}")


def _wib_date(value: datetime | None) -> str:
    from pressroom.formatting import wib

    return wib(value) if value else "?"


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
        from pressroom.models import PressRelease
        from pressroom.services import releases

        waiting = session.scalars(select(PressRelease).where(
            PressRelease.state == "approved", PressRelease.public_from >= starts_at,
            PressRelease.public_from < ends_at, or_(PressRelease.opd_id == opd_id, opd_id is None)))
        for release in waiting:
            if not releases.sending_started(session, release):
                releases.hold(session, release, text)
    return stop


def lift_stop(session: Session, admin: User, stop: SendingStop) -> None:
    if stop.lifted_at is None:
        stop.lifted_at = clock.now()
        audit.record(
            session, admin, f"sending.{stop.kind}_lifted", stop, opd_id=stop.opd_id, fields=["lifted_at"]
        )

"""Authentication rules: passwords, throttled logins, TOTP two-factor and recovery codes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.crypto import Crypto
from pressroom.models import LoginAttempt, RecoveryCode, User
from pressroom.services import audit

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the password hasher (tests use cheap parameters; production never calls this)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = _hasher.hash("pressroom-dummy-password")

MIN_PASSWORD_LENGTH = 10
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Pressroom"


class PasswordRejected(ValueError):
    """A new password that does not meet the rules; ``code`` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, *, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected("too_short")
    if email and password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
        raise PasswordRejected("like_email")


def verify_password(session: Session, user: User, password: str) -> bool:
    """Check ``password``; upgrade the stored hash when the parameters have moved on."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.flush()
    return True


def dummy_verify() -> None:
    """Spend the time a real check would, so unknown emails are not told apart by timing."""
    try:
        _hasher.verify(_DUMMY_HASH, "not the password")
    except VerifyMismatchError:
        pass


_DUMMY_HASH = _hasher.hash("pressroom-dummy-password")


# Throttling --------------------------------------------------------------------------
@dataclass(frozen=True)
class Throttle:
    max_failures: int
    window: timedelta

    @staticmethod
    def account_key(email: str) -> str:
        # Hashed: the throttle table must not become a list of who tried to log in.
        return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]

    @staticmethod
    def ip_key(address: str | None) -> str:
        return f"ip:{address or 'unknown'}"

    def _failures(self, session: Session, key: str) -> int:
        since = clock.now() - self.window
        return session.scalar(
            select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.key == key, LoginAttempt.at > since
            )
        ) or 0

    def blocked(self, session: Session, email: str, address: str | None) -> bool:
        """True when the account or the client address has failed too often lately."""
        return (
            self._failures(session, self.account_key(email)) >= self.max_failures
            or self._failures(session, self.ip_key(address)) >= self.max_failures * 4
        )

    def record_failure(self, session: Session, email: str, address: str | None) -> None:
        now = clock.now()
        session.add(LoginAttempt(key=self.account_key(email), at=now))
        session.add(LoginAttempt(key=self.ip_key(address), at=now))
        session.flush()

    def clear(self, session: Session, email: str) -> None:
        session.execute(delete(LoginAttempt).where(LoginAttempt.key == self.account_key(email)))

    def minutes_left(self) -> int:
        return int(self.window.total_seconds() // 60)


def purge_login_attempts(session: Session, older_than: timedelta) -> int:
    """Delete throttle rows that can no longer block anyone; return how many."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < clock.now() - older_than))
    return result.rowcount or 0


# Two-factor --------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str = TOTP_ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def _matching_step(secret: str, code: str) -> int | None:
    """The TOTP time step ``code`` belongs to (±1 step of drift), or None."""
    code = _normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = clock.now()
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=drift * totp.interval)
        if secrets.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def enrol_totp(
    session: Session, user: User, secret: str, code: str, crypto: Crypto
) -> list[str] | None:
    """Confirm a new authenticator with its first code; return fresh recovery codes."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret_encrypted = crypto.encrypt(secret)
    user.totp_enabled_at = clock.now()
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    audit.record(session, user, "user.two_factor_enrolled", user, fields=["totp_secret"])
    return codes


def verify_second_factor(session: Session, user: User, code: str, crypto: Crypto) -> str | None:
    """Accept a current TOTP code (once) or an unused recovery code.

    Returns ``"totp"`` or ``"recovery"`` on success, None on failure.
    """
    if not user.totp_secret_encrypted:
        return None
    step = _matching_step(crypto.decrypt(user.totp_secret_encrypted), code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None  # a replayed code
        user.totp_last_step = step
        session.flush()
        return "totp"
    digest = _hash_recovery(code)
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return None
    row.used_at = clock.now()
    audit.record(session, user, "user.recovery_code_used", user)
    return "recovery"


def reset_two_factor(session: Session, admin: User, user: User) -> None:
    """Remove a user's authenticator (lost phone); they enrol again at next login."""
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.session_version += 1
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, admin, "user.two_factor_reset", user, fields=["totp_secret"])


def unused_recovery_codes(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ) or 0


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 10 hex characters, 40 bits each
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw)))
    session.flush()
    return codes

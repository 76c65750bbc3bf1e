"""Encryption-key rotation for values encrypted at rest (channel credentials, TOTP secrets).

Rotation, as the README describes it: put a new key first in ``PRESSROOM_ENCRYPTION_KEY``
(``new,old``) and restart — new values are encrypted with it, old ones still decrypt —
then run ``pressroom rotate-keys``, which re-encrypts every stored value under the newest
key in one transaction; when it reports nothing left under an old key, drop that key.
``pressroom rotate-keys --check`` only reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom.crypto import Crypto
from pressroom.models import SocialAccount, User
from pressroom.services import audit

#: (model, column) pairs holding Fernet tokens. A new encrypted column is added here.
ENCRYPTED_COLUMNS = ((SocialAccount, "credentials_encrypted"), (User, "totp_secret_encrypted"))


@dataclass
class KeyReport:
    """Per column: values found, already under the newest key, re-encrypted, unreadable."""

    total: int = 0
    current: int = 0
    rotated: int = 0
    #: "<table>.<id>" of values no configured key can decrypt (a key was dropped too early).
    unreadable: list[str] = field(default_factory=list)


def _is_current(crypto: Crypto, token: str) -> bool:
    try:
        Fernet(crypto.primary_key).decrypt(token.encode())
    except Exception:  # noqa: BLE001 - InvalidToken or a malformed value: not under the newest key
        return False
    return True


def rotate(session: Session, crypto: Crypto, *, dry_run: bool = False) -> dict[str, KeyReport]:
    """Re-encrypt every stored value under the newest key (or only count, with ``dry_run``).

    Nothing is changed when any value is unreadable: a half-rotated database is never left."""
    reports: dict[str, KeyReport] = {}
    pending: list[tuple[object, str, str]] = []
    for model, column in ENCRYPTED_COLUMNS:
        report = reports.setdefault(f"{model.__tablename__}.{column}", KeyReport())
        attribute = getattr(model, column)
        for row in session.scalars(select(model).where(attribute.is_not(None)).order_by(model.id)):
            token = getattr(row, column)
            report.total += 1
            if _is_current(crypto, token):
                report.current += 1
                continue
            try:
                crypto.decrypt(token)
            except ValueError:
                report.unreadable.append(f"{model.__tablename__}.{row.id}")
                continue
            pending.append((row, column, token))
            report.rotated += 1
    if dry_run or any(r.unreadable for r in reports.values()):
        return reports
    for row, column, token in pending:
        setattr(row, column, crypto.rotate(token))
    if pending:
        audit.record(session, None, "keys.rotated", object_type="encryption_key", fields=sorted(reports),
                     details={name: r.rotated for name, r in reports.items()})
    session.flush()
    return reports

"""Encryption-key rotation: `pressroom rotate-keys` moves every stored secret to the newest
key in one go, and refuses (changing nothing) when a value cannot be decrypted."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet
from sqlalchemy import select

from pressroom.models import AuditEntry, SocialAccount, User
from pressroom.services import sending
from tests.conftest import TEST_ENCRYPTION_KEY, Factory, open_test_session

NEW_KEY = Fernet.generate_key().decode()


def _arrange(app):
    session = open_test_session(app)
    factory = Factory(app, session)
    opd = factory.opd("DISKOMINFO")
    admin = factory.user("admin", opd)  # has an encrypted TOTP secret
    sending.create_account(session, admin, app.extensions["crypto"], opd_id=opd.id, platform="telegram",
                           name="Kanal", credentials=json.dumps({"bot_token": "1:A", "chat_id": "@k"}))
    session.commit()
    session.close()


def _values(app):
    session = open_test_session(app)
    try:
        return (session.scalar(select(SocialAccount.credentials_encrypted)),
                session.scalar(select(User.totp_secret_encrypted).where(User.totp_secret_encrypted.is_not(None))))
    finally:
        session.close()


def test_rotation_moves_every_secret_to_the_newest_key(app, app_factory):
    # The second app first: building an app on PostgreSQL empties the test database.
    rotating = app_factory(DATABASE_URL=app.config["DATABASE_URL"],
                           ENCRYPTION_KEYS=f"{NEW_KEY},{TEST_ENCRYPTION_KEY}")
    _arrange(app)
    before = _values(app)
    runner = rotating.test_cli_runner()

    check = runner.invoke(args=["rotate-keys", "--check"])
    assert check.exit_code == 0, check.output
    assert ("social_account.credentials_encrypted: 1 values, 0 under the newest key, 1 to re-encrypt"
            in check.output)
    assert _values(app) == before  # --check changes nothing

    done = runner.invoke(args=["rotate-keys"])
    assert done.exit_code == 0, done.output
    assert "older keys can now be removed" in done.output
    after = _values(app)
    assert all(a != b for a, b in zip(after, before, strict=True))
    # Only the new key is needed now: the old one can go.
    new_only = Fernet(NEW_KEY.encode())
    assert json.loads(new_only.decrypt(after[0].encode())) == {"bot_token": "1:A", "chat_id": "@k"}
    assert new_only.decrypt(after[1].encode())
    session = open_test_session(app)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "keys.rotated")) is not None
    session.close()
    # A second run has nothing left to do.
    again = runner.invoke(args=["rotate-keys"])
    assert "1 under the newest key, 0 re-encrypted" in again.output


def test_a_dropped_key_stops_rotation_and_changes_nothing(app, app_factory):
    too_early = app_factory(DATABASE_URL=app.config["DATABASE_URL"], ENCRYPTION_KEYS=NEW_KEY)
    _arrange(app)
    before = _values(app)
    result = too_early.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 1
    assert "cannot decrypt social_account." in result.output and "Nothing was changed" in result.output
    assert _values(app) == before

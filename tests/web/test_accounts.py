"""The social accounts page: the daily check's findings, "check now" against the platform's
fake, and reconnecting an account with new credentials (refused input changes nothing)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pressroom.models import AuditEntry, SocialAccount
from pressroom.services import sending
from tests.conftest import Factory, csrf_token, login, open_test_session, reload
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
def telegram():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def sessions():
    """Test sessions opened by _desk, closed at the end (PostgreSQL's TRUNCATE waits for them)."""
    opened = []
    yield opened
    for session in opened:
        session.close()


def _desk(app, telegram, sessions, token=None):
    session = open_test_session(app)
    sessions.append(session)
    factory = Factory(app, session)
    opd = factory.opd("DISKOMINFO", short_name="Kominfo")
    admin = factory.user("admin", opd)
    account = sending.create_account(
        session, admin, app.extensions["crypto"], opd_id=opd.id, platform="telegram", name="Kanal Kominfo",
        credentials=json.dumps({"bot_token": token or telegram.token,
                                "chat_id": "@" + telegram.chat["username"]}))
    sandbox = sending.create_account(session, admin, app.extensions["crypto"], opd_id=opd.id, platform="x",
                                     name="@kominfo_uji", credentials="")
    session.commit()
    client = app.test_client()
    login(client, admin, factory)
    return session, client, account, sandbox


def test_check_now_asks_telegram_and_shows_what_it_found(app_factory, telegram, sessions):
    app = app_factory(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=2)
    session, client, account, _ = _desk(app, telegram, sessions)
    response = client.post(f"/app/admin/akun/{account.id}/periksa",
                           data={"csrf_token": csrf_token(client, "/app/admin/akun")}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Kanal Kominfo" in page and "check-ok" in page
    assert [r.method for r in telegram.requests] == ["getMe", "getChatMember"]
    reload(session)
    assert session.get(SocialAccount, account.id).check_status == "ok"


def test_a_revoked_bot_token_shows_as_not_working(app_factory, telegram, sessions):
    app = app_factory(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=2)
    session, client, account, _ = _desk(app, telegram, sessions, token="999:revoked")
    client.post(f"/app/admin/akun/{account.id}/periksa",
                data={"csrf_token": csrf_token(client, "/app/admin/akun")})
    reload(session)
    checked = session.get(SocialAccount, account.id)
    assert checked.check_status == "failing" and "Unauthorized" in checked.check_reason
    page = client.get("/app/admin/akun").get_data(as_text=True)
    assert "check-failing" in page and "Unauthorized" in page


def test_reconnect_refuses_incomplete_credentials_and_changes_nothing(app, telegram, sessions):
    session, client, account, _ = _desk(app, telegram, sessions)
    before = account.credentials_encrypted
    response = client.post(f"/app/admin/akun/{account.id}/kredensial", data={
        "csrf_token": csrf_token(client, "/app/admin/akun"),
        "credentials": json.dumps({"bot_token": "1:new"})})
    assert response.status_code == 400
    assert "chat_id" in response.get_data(as_text=True)
    reload(session)
    assert session.get(SocialAccount, account.id).credentials_encrypted == before

    response = client.post(f"/app/admin/akun/{account.id}/kredensial", data={
        "csrf_token": csrf_token(client, "/app/admin/akun"),
        "credentials": json.dumps({"bot_token": "1:new", "chat_id": "@baru"})})
    assert response.status_code == 302
    reload(session)
    fresh = session.get(SocialAccount, account.id)
    assert fresh.credentials_encrypted != before
    assert json.loads(app.extensions["crypto"].decrypt(fresh.credentials_encrypted))["chat_id"] == "@baru"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "account.credentials_replaced"))
    # Never shown again: not on the page, not in the audit details.
    assert "1:new" not in client.get("/app/admin/akun").get_data(as_text=True)


def test_a_sandbox_account_has_nothing_to_check(app, telegram, sessions):
    _, client, _, sandbox = _desk(app, telegram, sessions)
    response = client.post(f"/app/admin/akun/{sandbox.id}/periksa",
                           data={"csrf_token": csrf_token(client, "/app/admin/akun")}, follow_redirects=True)
    assert response.status_code == 200

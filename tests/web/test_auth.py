"""Login: passwords, TOTP enrolment and use, recovery codes, throttling, expiry, CSRF."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import func, select

from pressroom import clock
from pressroom.models import AuditEntry, LoginAttempt, User
from pressroom.services import users
from tests.conftest import TEST_PASSWORD, csrf_token, login, reload


def _post_login(client, email, password):
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": email,
                                       "password": password})


def test_editor_logs_in_with_password_only(client, factory):
    editor = factory.user("editor", factory.opd())
    response = login(client, editor)
    assert response.headers["Location"].endswith("/app/")
    page = client.get("/app/")
    assert page.status_code == 200
    assert editor.full_name in page.get_data(as_text=True)


def test_wrong_password_gets_a_clear_indonesian_message(client, factory):
    editor = factory.user("editor", factory.opd())
    response = _post_login(client, editor.email, "not the password")
    assert response.status_code == 401
    assert "Email atau kata sandi salah" in response.get_data(as_text=True)
    assert client.get("/app/").status_code == 302


def test_approver_must_enrol_totp_then_gets_recovery_codes(client, factory, session):
    approver = factory.user("approver", factory.opd(), level="kepala", totp=False)
    response = _post_login(client, approver.email, TEST_PASSWORD)
    assert response.headers["Location"].endswith("/login/2fa/setup")
    assert client.get("/app/").status_code == 302  # password alone is not a session
    page = client.get("/login/2fa/setup").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.post("/login/2fa/setup", data={"csrf_token": csrf_token(client, "/login/2fa/setup"),
                                                  "code": "000000"})
    assert wrong.status_code == 200 and client.get("/app/").status_code == 302
    response = client.post("/login/2fa/setup", data={"csrf_token": csrf_token(client, "/login/2fa/setup"),
                                                     "code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"].endswith("/login/recovery-codes")
    codes_page = client.get("/login/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", codes_page)
    assert len(codes) == 10
    assert client.get("/app/").status_code == 200
    # Shown once only.
    assert client.get("/login/recovery-codes").status_code == 302
    session.expire_all()
    stored = session.get(User, approver.id)
    assert stored.totp_secret_encrypted and secret not in stored.totp_secret_encrypted
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.two_factor_enrolled")) == 1


def test_totp_login_rejects_replay_and_accepts_recovery_code(app, factory, session):
    approver = factory.user("approver", factory.opd(), level="kepala")
    first = app.test_client()
    login(first, approver, factory)
    assert first.get("/app/").status_code == 200
    # The same code again (same time step) is refused.
    second = app.test_client()
    response = _post_login(second, approver.email, TEST_PASSWORD)
    assert response.headers["Location"].endswith("/login/2fa")
    session.refresh(approver)
    replay = second.post("/login/2fa", data={"csrf_token": csrf_token(second, "/login/2fa"),
                                             "code": factory.totp_code(approver)})
    assert replay.status_code == 401
    # A recovery code works once.
    from pressroom.services.auth import _replace_recovery_codes

    reload(session)
    codes = _replace_recovery_codes(session, approver)
    session.commit()
    ok = second.post("/login/2fa", data={"csrf_token": csrf_token(second, "/login/2fa"),
                                         "code": codes[0].upper()})
    assert ok.status_code == 302 and second.get("/app/").status_code == 200
    third = app.test_client()
    _post_login(third, approver.email, TEST_PASSWORD)
    again = third.post("/login/2fa", data={"csrf_token": csrf_token(third, "/login/2fa"),
                                           "code": codes[0]})
    assert again.status_code == 401


def test_repeated_failures_are_throttled_in_the_database(client, factory, session, app):
    editor = factory.user("editor", factory.opd())
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(client, editor.email, "wrong password!").status_code == 401
    blocked = _post_login(client, editor.email, TEST_PASSWORD)
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan gagal" in blocked.get_data(as_text=True)
    assert client.get("/app/").status_code == 302
    rows = session.scalar(select(func.count()).select_from(LoginAttempt))
    assert rows == 2 * app.config["LOGIN_MAX_FAILURES"]  # per account and per address
    # No email address is stored in the throttle table.
    keys = session.scalars(select(LoginAttempt.key)).all()
    assert all(editor.email not in k for k in keys)


def test_wrong_totp_codes_are_throttled_too(client, factory, app):
    approver = factory.user("approver", factory.opd(), level="kepala")
    _post_login(client, approver.email, TEST_PASSWORD)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        r = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"), "code": "123456"})
        assert r.status_code == 401
    r = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"),
                                        "code": factory.totp_code(approver)})
    assert r.status_code == 429


def test_forged_csrf_token_is_refused_and_changes_nothing(client, factory, session):
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    login(client, admin, factory)
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.post("/app/admin/opd/new", data={"csrf_token": "forged", "code": "EVIL",
                                                        "name": "Evil", "short_name": "Evil",
                                                        "kind": "dinas", "primary_color": "#000000",
                                                        "accent_color": "#ffffff"})
    assert response.status_code == 400
    assert "Tidak ada yang diubah" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_idle_session_expires(client, factory):
    editor = factory.user("editor", factory.opd())
    with clock.frozen(datetime.now(UTC)):
        login(client, editor)
        assert client.get("/app/").status_code == 200
        clock.advance(timedelta(minutes=31))
        response = client.get("/app/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert client.get("/app/").status_code == 302


def test_deactivation_ends_live_sessions(app, client, factory, session):
    opd = factory.opd()
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    editor = factory.user("editor", opd)
    login(client, editor)
    assert client.get("/app/").status_code == 200
    users.deactivate_user(session, admin, editor, reason="mutasi ke kabupaten")
    session.commit()
    assert client.get("/app/").status_code == 302
    response = _post_login(app.test_client(), editor.email, TEST_PASSWORD)
    assert response.status_code == 403 and "dinonaktifkan" in response.get_data(as_text=True)


def test_admin_reset_forces_a_new_password(app, factory, session):
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    editor = factory.user("editor", factory.opd())
    temporary = users.reset_password(session, admin, editor)
    session.commit()
    client = app.test_client()
    login(client, editor, password=temporary)
    response = client.get("/app/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/account/password")
    token = csrf_token(client, "/app/account/password")
    short = client.post("/app/account/password", data={"csrf_token": token, "current_password": temporary,
                                                       "new_password": "short", "confirm": "short"})
    assert short.status_code == 400 and "minimal 10 karakter" in short.get_data(as_text=True)
    done = client.post("/app/account/password", data={"csrf_token": token, "current_password": temporary,
                                                      "new_password": "a brand new secret",
                                                      "confirm": "a brand new secret"})
    assert done.status_code == 302
    assert client.get("/app/").status_code == 200


def test_logout_needs_post_with_csrf(client, factory):
    editor = factory.user("editor", factory.opd())
    login(client, editor)
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client, "/app/")})
    assert client.get("/app/").status_code == 302


def test_open_redirects_are_refused(client, factory):
    editor = factory.user("editor", factory.opd())
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": editor.email,
                                           "password": TEST_PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/app/")
    assert client.get("/bahasa/en?next=//evil.example").headers["Location"] == "/"

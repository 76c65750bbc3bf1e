"""The daily account check: what it records and whom it warns, when (frozen clock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from pressroom import clock
from pressroom.channels.base import AccountCheck
from pressroom.models import Delivery, Notification
from pressroom.services import sending

T0 = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


def _account(app, session, factory):
    opd = factory.opd("DISHUB")
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    head = factory.user("approver", opd, level="kepala")
    factory.user("editor", opd)  # editors are not told
    account = sending.create_account(
        session, admin, app.extensions["crypto"], opd_id=opd.id, platform="facebook", name="Dishub Jateng",
        credentials=json.dumps({"page_id": "1", "page_access_token": "t"}))
    session.commit()
    return account, {admin.id, head.id}


def _told(session) -> set[int]:
    return set(session.scalars(select(Notification.user_id)))


def _record(session, account, check, at):
    with clock.frozen(at):
        status = sending.record_check(session, account, check, warning_days=14, link="/app/admin/akun")
    session.commit()
    return status


def test_an_expiring_token_warns_admins_and_approvers_once_then_every_three_days(app, session, factory):
    account, keepers = _account(app, session, factory)
    expiring = AccountCheck(ok=True, expires_at=T0 + timedelta(days=10))
    assert _record(session, account, AccountCheck(ok=True, expires_at=T0 + timedelta(days=40)), T0) == "ok"
    assert _told(session) == set()

    assert _record(session, account, expiring, T0) == "expiring"
    assert _told(session) == keepers
    text = session.scalar(select(Notification.text).limit(1))
    assert "Dishub Jateng" in text and "8 Desember 2026 06.00 WIB" in text  # the expiry, in WIB
    # One email copy each, through the outbox.
    assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "notice")) == 2

    _record(session, account, expiring, T0 + timedelta(days=1))
    assert session.scalar(select(func.count()).select_from(Notification)) == 2  # not again the next day
    _record(session, account, expiring, T0 + timedelta(days=3))
    assert session.scalar(select(func.count()).select_from(Notification)) == 4  # reminded after 3 days
    assert account.token_expires_at == T0 + timedelta(days=10)


def test_a_refused_account_warns_at_once_and_recovery_clears(app, session, factory):
    account, keepers = _account(app, session, factory)
    refused = AccountCheck(ok=False, reason="token expired or revoked")
    assert _record(session, account, refused, T0) == "failing"
    assert _told(session) == keepers
    assert "token expired or revoked" in session.scalar(select(Notification.text).limit(1))
    assert account.check_reason == "token expired or revoked"
    assert _record(session, account, AccountCheck(ok=True), T0 + timedelta(days=1)) == "ok"
    assert account.warned_status is None
    _record(session, account, refused, T0 + timedelta(days=2))  # broken again: told again
    assert session.scalar(select(func.count()).select_from(Notification)) == 4


def test_an_unreachable_platform_is_recorded_but_nobody_is_woken(app, session, factory):
    account, _ = _account(app, session, factory)
    down = AccountCheck(ok=False, reachable=False, reason="Graph API answered 503")
    for day in range(5):
        assert _record(session, account, down, T0 + timedelta(days=day)) == "unreachable"
    assert _told(session) == set()
    assert account.check_status == "unreachable" and account.check_reason == "Graph API answered 503"


def test_replacing_credentials_resets_the_check(app, session, factory):
    account, _ = _account(app, session, factory)
    _record(session, account, AccountCheck(ok=False, reason="revoked"), T0)
    admin = factory.user("admin", factory.opd("BAPPEDA"))
    before = account.credentials_encrypted
    sending.replace_credentials(session, admin, app.extensions["crypto"], account,
                                json.dumps({"page_id": "1", "page_access_token": "new"}))
    session.commit()
    assert account.credentials_encrypted != before and account.check_status is None
    stored = json.loads(app.extensions["crypto"].decrypt(account.credentials_encrypted))
    assert stored["page_access_token"] == "new"

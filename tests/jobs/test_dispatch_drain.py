"""The dispatcher drains: one tick sends batch after batch while work is due, claims the
next batch while sends are in flight, stops claiming at its time budget (the queued sends
carry on and the next tick counts them), keeps each account's rate limit across batches,
skips a row that is no longer its own, and leaves no sending thread behind once nothing is
due. Real Telegram adapter against the fake, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from jobs import dispatch
from pressroom import clock
from pressroom.models import AuditEntry, Delivery
from pressroom.services import outbox, posts, sending
from tests.conftest import Factory, open_test_session, reload
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
def telegram():
    with FakeTelegram(latency=0.005, keep_alive=True) as server:
        yield server


def _publish_due(app, telegram, count: int, *, accounts: int = 3) -> list[str]:
    """``count`` approved posts spread over ``accounts`` Telegram accounts, all due now; return
    their captions. (Their notices to staff go to the sandbox and are not counted.)"""
    session = open_test_session(app)
    factory = Factory(app, session)
    opd = factory.opd("DISKOMINFO")
    creds = json.dumps({"bot_token": telegram.token, "chat_id": "@" + telegram.chat["username"]})
    account_ids = [
        sending.create_account(session, None, app.extensions["crypto"], opd_id=opd.id, platform="telegram",
                               name=f"Kanal {i}", credentials=creds).id
        for i in range(accounts)
    ]
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    captions = []
    for i in range(count):
        caption = f"Kabar pembangunan #{i:03d}"
        post = posts.create_post(session, editor, opd.id, caption=caption, variants={},
                                 scheduled_at=clock.now() + timedelta(hours=1),
                                 account_ids=[account_ids[i % accounts]])
        posts.submit_post(session, editor, post)
        posts.approve_post(session, head, post, comment="", public_url=app.config["PUBLIC_URL"])
        captions.append(caption)
    session.commit()
    # Due now, and before the staff notices the submissions queued (they go first).
    session.execute(update(Delivery).where(Delivery.kind == "publish")
                    .values(due_at=clock.now() - timedelta(minutes=1)))
    session.commit()
    session.close()
    return captions


def _publish_states(app) -> dict[str, int]:
    session = open_test_session(app)
    try:
        return dict(session.execute(select(Delivery.status, func.count()).where(Delivery.kind == "publish")
                                    .group_by(Delivery.status)).all())
    finally:
        session.close()


def _sent_texts(telegram) -> list[str]:
    return [r.params.get("text") for r in telegram.requests_for("sendMessage") if r.status == 200]


def _dispatch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("dispatch")]


@pytest.fixture
def tg_app(app_factory, telegram):
    return app_factory(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=5,
                       TELEGRAM_RATE_PER_MINUTE=60000)


def test_one_tick_sends_batch_after_batch_until_nothing_is_due(tg_app, telegram, monkeypatch):
    captions = _publish_due(tg_app, telegram, 45)
    claims = []
    real_claim = dispatch.claim

    def counting_claim(*args, **kwargs):
        claimed = real_claim(*args, **kwargs)
        claims.append(len(claimed.ids))
        return claimed

    monkeypatch.setattr(dispatch, "claim", counting_claim)
    attempted = dispatch.dispatch_due(tg_app, owner="drainer", batch=10, threads=4)
    # All the publish deliveries and the staff notices, in one tick: several batches.
    assert attempted >= 45 and len([c for c in claims if c]) >= 5
    assert _publish_states(tg_app) == {"sent": 45}
    assert sorted(_sent_texts(telegram)) == sorted(captions)
    session = open_test_session(tg_app)
    published = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "post.published"))
    session.close()
    assert published == 45  # every post's audit entry, though they are checked a few at a time
    assert _dispatch_threads() == []  # nothing was due any more: no sending thread is left


def test_the_next_batch_is_claimed_while_sends_are_in_flight(tg_app, telegram, monkeypatch):
    _publish_due(tg_app, telegram, 24, accounts=6)
    telegram.latency = 0.05
    sending_now, overlapped = [0], []
    lock = threading.Lock()
    real_send, real_claim = dispatch._send_group, dispatch.claim

    def timed_send(app, owner, ids):
        with lock:
            sending_now[0] += 1
        try:
            return real_send(app, owner, ids)
        finally:
            with lock:
                sending_now[0] -= 1

    def watching_claim(*args, **kwargs):
        with lock:
            overlapped.append(sending_now[0] > 0)
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(dispatch, "_send_group", timed_send)
    monkeypatch.setattr(dispatch, "claim", watching_claim)
    dispatch.dispatch_due(tg_app, owner="pipeliner", batch=4, threads=2)
    assert _publish_states(tg_app) == {"sent": 24}
    assert any(overlapped[1:]), "every claim waited for the sends to stop"


def test_a_tick_stops_claiming_at_its_budget_and_the_next_one_carries_on(tg_app, telegram):
    captions = _publish_due(tg_app, telegram, 40, accounts=4)
    telegram.latency = 0.05
    started = time.monotonic()
    first = dispatch.dispatch_due(tg_app, owner="budgeted", batch=5, threads=2, budget=0.3)
    took = time.monotonic() - started
    assert took < 1.0 and _publish_states(tg_app).get("sent", 0) < 40  # back at its budget, not when done
    total, deadline = first, time.monotonic() + 60
    while _publish_states(tg_app) != {"sent": 40} and time.monotonic() < deadline:
        total += dispatch.dispatch_due(tg_app, owner="budgeted", batch=5, threads=2, budget=0.3)
    total += dispatch.dispatch_due(tg_app, owner="budgeted", batch=5, threads=2, budget=0.3)
    assert _publish_states(tg_app) == {"sent": 40}
    assert sorted(_sent_texts(telegram)) == sorted(captions)  # each exactly once
    assert total >= 40  # the ticks counted every attempt, those that carried over too
    assert _dispatch_threads() == []


def test_an_accounts_rate_limit_holds_across_batches(app_factory, telegram, monkeypatch):
    app = app_factory(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=5,
                      TELEGRAM_RATE_PER_MINUTE=300)  # one message every 0.2 s into a channel
    _publish_due(app, telegram, 4, accounts=1)
    stamps = []
    real_handle = telegram._handle

    def stamping(request):
        stamps.append(time.monotonic())
        return real_handle(request)

    monkeypatch.setattr(telegram, "_handle", stamping)
    dispatch.dispatch_due(app, owner="paced", batch=1, threads=4)  # one row a batch
    assert _publish_states(app) == {"sent": 4}
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(stamps) == 4 and min(gaps) >= 0.15, gaps  # 0.2 s apart, give or take scheduling


def test_a_row_taken_back_while_its_group_is_sent_is_skipped(tg_app, telegram, monkeypatch):
    _publish_due(tg_app, telegram, 2, accounts=1)
    real_record = outbox.record_result
    taken_back = []

    def record_then_reap_the_other(session, delivery, result):
        real_record(session, delivery, result)
        if delivery.kind == "publish" and not taken_back:
            # As the reaper would after an expired lease: the other row is due again, unowned.
            with tg_app.extensions["db"].engine.begin() as conn:
                taken_back.append(conn.execute(
                    update(Delivery).where(Delivery.kind == "publish", Delivery.id != delivery.id)
                    .values(status="due", lease_owner=None, lease_expires_at=None, due_at=clock.now()
                            + timedelta(hours=1))).rowcount)

    monkeypatch.setattr(outbox, "record_result", record_then_reap_the_other)
    dispatch.dispatch_due(tg_app, owner="slowpoke", batch=10, threads=1)
    assert taken_back == [1]
    assert len(_sent_texts(telegram)) == 1  # the other one was not sent by a worker that lost it
    session = open_test_session(tg_app)
    reload(session)
    other = session.scalar(select(Delivery).where(Delivery.kind == "publish", Delivery.status == "due"))
    assert other is not None and other.attempts == 0 and other.attempt_started_at is None
    session.close()

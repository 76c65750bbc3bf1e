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
from pressroom import clock, create_app
from pressroom.models import AuditEntry, Delivery
from pressroom.services import outbox, posts, sending
from tests.conftest import Factory, open_test_session, reload, stop_dispatcher
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


def _queue_whatsapp_notices(app, count: int, prefix: str) -> None:
    """``count`` WhatsApp notices ("Pesan 0" …) to ``prefix`` + two digits, due now (no account)."""
    session = open_test_session(app)
    for n in range(count):
        outbox.enqueue(session, kind="notice", channel="whatsapp", subject_type="test", subject_id=n,
                       recipient=f"{prefix}{n:02d}", payload={"text": f"Pesan {n}"})
    session.commit()


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
    # Slots 0.2 s apart: a send that left a little late (scheduling) may be followed sooner,
    # never by two at once, and the four take about 0.6 s.
    assert len(stamps) == 4 and min(gaps) >= 0.08 and stamps[-1] - stamps[0] >= 0.5, gaps


def test_two_workers_share_an_accounts_rate_limit(app_factory, telegram, monkeypatch):
    """Two workers (apps of their own: no memory shared, as two processes) drain one account
    at once: the database paces them together, one message every 0.2 s in all."""
    app = app_factory(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=5,
                      TELEGRAM_RATE_PER_MINUTE=300)
    other = create_app({key: app.config[key] for key in (
        "DATABASE_URL", "STORAGE_PATH", "INSTANCE_PATH", "ENCRYPTION_KEYS", "TELEGRAM_API_BASE",
        "TELEGRAM_TIMEOUT", "TELEGRAM_RATE_PER_MINUTE")})
    _publish_due(app, telegram, 6, accounts=1)
    stamps = []
    real_handle = telegram._handle

    def stamping(request):
        if request.path.endswith("/sendMessage"):
            stamps.append(time.monotonic())
        return real_handle(request)

    monkeypatch.setattr(telegram, "_handle", stamping)
    go = threading.Barrier(2)

    def drain(worker_app, owner):
        go.wait()
        dispatch.dispatch_due(worker_app, owner=owner, batch=1, threads=2)

    workers = [threading.Thread(target=drain, args=(a, f"worker-{i}")) for i, a in enumerate((app, other))]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    finally:
        stop_dispatcher(other)
        other.extensions["db"].dispose()
    assert _publish_states(app) == {"sent": 6}
    assert sorted(_sent_texts(telegram)) == sorted(f"Kabar pembangunan #{i:03d}" for i in range(6))
    stamps.sort()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    # One slot every 0.2 s whichever worker sent: never two at once, the six take about 1 s
    # (two workers pacing on their own would send side by side, done in about 0.4 s).
    assert len(stamps) == 6 and min(gaps) >= 0.08 and stamps[-1] - stamps[0] >= 0.85, gaps


def test_a_channel_without_an_account_is_sent_over_several_sessions_at_once(app_factory, monkeypatch):
    """Email and WhatsApp rows have no account: a worker sends them over up to
    DISPATCH_SESSIONS_PER_CHANNEL sessions at once (here 3), never more."""
    from tests.fakes.whatsapp_server import FakeWhatsAppCloud

    with FakeWhatsAppCloud(latency=0.1) as cloud:
        app = app_factory(WHATSAPP_PROVIDER="cloud", WHATSAPP_API_BASE=cloud.base_url,
                          WHATSAPP_PHONE_NUMBER_ID=cloud.phone_number_id,
                          WHATSAPP_ACCESS_TOKEN=cloud.access_token, WHATSAPP_RATE_PER_SECOND=1000,
                          DISPATCH_SESSIONS_PER_CHANNEL=3)
        _queue_whatsapp_notices(app, 12, "+62812000000")
        in_flight, most = [0], [0]
        lock = threading.Lock()
        real_handle = cloud._handle

        def counting(request):
            with lock:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            try:
                return real_handle(request)
            finally:
                with lock:
                    in_flight[0] -= 1

        monkeypatch.setattr(cloud, "_handle", counting)
        dispatch.dispatch_due(app, owner="fan", batch=50, threads=8)
        sent = sorted(body.get("to") for body in cloud.accepted.values())
    assert sent == sorted(f"62812000000{n:02d}" for n in range(12))  # each once
    assert most[0] == 3, most


def test_a_sender_waiting_for_a_slot_far_ahead_keeps_its_lease(app_factory, monkeypatch):
    """A gateway paced one message a second, three sessions: the third waits two seconds for
    its slot and renews its lease meanwhile (here a lease of 1.5 s), and the gateway still
    gets one message a second."""
    from tests.fakes.whatsapp_server import FakeFonnte

    with FakeFonnte() as fonnte:
        app = app_factory(WHATSAPP_PROVIDER="fonnte", FONNTE_API_BASE=fonnte.base_url,
                          FONNTE_TOKEN=fonnte.token, WHATSAPP_GATEWAY_DELAY_SECONDS=1,
                          DISPATCH_SESSIONS_PER_CHANNEL=3)
        _queue_whatsapp_notices(app, 3, "+62812000001")
        stamps, renewed = [], []
        real_handle, real_renew = fonnte._handle, dispatch.renew

        def stamping(request):
            if request.path.rstrip("/").endswith("/send"):
                stamps.append(time.monotonic())
            return real_handle(request)

        def spy(connection, table, ids, *, owner, lease):
            renewed.append(list(ids))
            return real_renew(connection, table, ids, owner=owner, lease=lease)

        monkeypatch.setattr(fonnte, "_handle", stamping)
        monkeypatch.setattr(dispatch, "renew", spy)
        monkeypatch.setattr(dispatch, "LEASE", timedelta(seconds=1.5))
        dispatch.dispatch_due(app, owner="patient", batch=10, threads=4)
        texts = sorted(message["message"] for message in fonnte.queued)
    assert texts == ["Pesan 0", "Pesan 1", "Pesan 2"]  # each once, none reaped and skipped
    assert renewed, "nobody renewed a lease while waiting for a slot"
    gaps = [b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)]
    assert len(stamps) == 3 and min(gaps) >= 0.8, gaps


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

"""A fault-injected run: the fake Telegram answers 30 % of requests with 429, 503 or 500.
Every delivery ends sent, failed with a reason, or unknown for a person, by the plan's rules
(429 → retried after its delay; a 5xx from a platform that publishes irreversibly → unknown,
never re-sent); none stays claimed or due; nothing is live twice."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jobs import dispatch
from pressroom import clock
from pressroom.models import Delivery, Post
from pressroom.services import posts, sending
from tests.conftest import Factory, open_test_session, reload
from tests.fakes.telegram_server import FakeTelegram

POSTS = 60
FAULT_RATE = 0.30


class FlakyTelegram(FakeTelegram):
    """The fake Telegram, failing a random 30 % of requests (seeded: the run is repeatable)."""

    def __init__(self, rate: float, seed: int):
        super().__init__()
        self.rate, self.rng = rate, random.Random(seed)

    def _handle(self, request):
        with self._lock:
            if self.rng.random() < self.rate:
                self._faults.append((self.rng.choice(["429", "503", "500"]), {"retry_after": 2, "delay": 0}))
        return super()._handle(request)


@pytest.fixture
def flaky():
    with FlakyTelegram(FAULT_RATE, seed=20261127) as server:
        yield server


def test_a_run_with_30_percent_faults_ends_every_delivery_by_the_rules(app_factory, flaky):
    app = app_factory(TELEGRAM_API_BASE=flaky.base_url, TELEGRAM_TIMEOUT=3, TELEGRAM_RATE_PER_MINUTE=60000)
    session = open_test_session(app)
    factory = Factory(app, session)
    opd = factory.opd("DISKOMINFO")
    account = sending.create_account(
        session, None, app.extensions["crypto"], opd_id=opd.id, platform="telegram", name="Kanal",
        credentials=json.dumps({"bot_token": flaky.token, "chat_id": "@" + flaky.chat["username"]}))
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    start = clock.now() + timedelta(minutes=5)
    for i in range(POSTS):
        post = posts.create_post(session, editor, opd.id, caption=f"Info layanan #{i:02d}", variants={},
                                 scheduled_at=start, account_ids=[account.id])
        posts.submit_post(session, editor, post)
        posts.approve_post(session, head, post, comment="", public_url=app.config["PUBLIC_URL"])
    session.commit()

    # Ticks a few seconds apart (frozen clock): retries come due inside the post's missed window.
    at = start
    for _ in range(200):
        with clock.frozen(at):
            dispatch.dispatch_due(app, owner="flaky-worker", batch=20, threads=4)
            dispatch.reap(app)
        reload(session)
        pending = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.kind == "publish", Delivery.status.in_(("due", "claimed"))))
        if not pending:
            break
        at += timedelta(seconds=5)

    reload(session)
    deliveries = list(session.scalars(select(Delivery).where(Delivery.kind == "publish")))
    statuses = Counter(d.status for d in deliveries)
    assert set(statuses) <= {"sent", "failed", "unknown"}, statuses  # none claimed, none due
    faults = Counter(r.fault for r in flaky.requests)
    assert faults["429"] and (faults["503"] + faults["500"]), faults  # the faults did happen
    live = Counter(m.get("text") for m in flaky.posted.values())
    asked = Counter(r.params.get("text") for r in flaky.requests_for("sendMessage"))
    for delivery in deliveries:
        caption = session.get(Post, delivery.subject_id).caption
        # Every attempt reached the fake once; nothing was asked after the delivery ended.
        assert asked[caption] == delivery.attempts
        if delivery.status == "sent":
            assert live[caption] == 1 and delivery.external_id
        elif delivery.status == "unknown":
            # Telegram answered 5xx: it may be live; a person checks, it is never asked again.
            assert live[caption] == 0 and "check the channel" in delivery.last_error
        else:  # failed: only after the retries ran out, with the reason
            assert delivery.attempts >= 8 and delivery.last_error
    assert all(count == 1 for count in live.values())
    # 429s were retried, not given up: some post needed more than one attempt and got through.
    assert any(d.status == "sent" and d.attempts > 1 for d in deliveries)
    assert statuses["sent"] >= POSTS // 2 and statuses["unknown"] >= 1, statuses
    session.close()

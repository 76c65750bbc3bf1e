"""A worker killed with SIGKILL at named points of a send (tests/jobs/crash_worker.py).

After the reaper returns its expired leases and a healthy worker runs: nothing confirmed is
sent again, nothing due is lost, and the in-flight delivery is ``unknown`` (it may have left)
or sent again only when it certainly never left. Counted at the fake Telegram server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from jobs import dispatch
from pressroom import clock
from pressroom.models import Delivery
from pressroom.services import posts, sending
from tests.conftest import ROOT, reload
from tests.fakes.telegram_server import FakeTelegram

POSTS = 8


@pytest.fixture
def telegram():
    with FakeTelegram() as server:
        yield server


def _due_posts(app, session, factory, telegram) -> None:
    opd = factory.opd("DISKOMINFO")
    account = sending.create_account(
        session, None, app.extensions["crypto"], opd_id=opd.id, platform="telegram", name="Kanal",
        credentials=json.dumps({"bot_token": telegram.token, "chat_id": "@" + telegram.chat["username"]}))
    editor = factory.user("editor", opd)
    head = factory.user("approver", opd, level="kepala")
    for i in range(POSTS):
        post = posts.create_post(session, editor, opd.id, caption=f"Kabar pembangunan #{i}", variants={},
                                 scheduled_at=clock.now() + timedelta(minutes=5), account_ids=[account.id])
        posts.submit_post(session, editor, post)
        posts.approve_post(session, head, post, comment="", public_url=app.config["PUBLIC_URL"])
    session.commit()
    session.execute(update(Delivery).where(Delivery.kind == "publish").values(due_at=clock.now()))
    session.commit()


def _worker(app, telegram, point: str) -> subprocess.CompletedProcess:
    keys = ("DATABASE_URL", "STORAGE_PATH", "INSTANCE_PATH", "ENCRYPTION_KEYS")
    config = {key: app.config[key] for key in keys}
    config.update(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=5, TELEGRAM_RATE_PER_MINUTE=60000)
    return subprocess.run([sys.executable, "-m", "tests.jobs.crash_worker", json.dumps(config), point],
                          cwd=ROOT, capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("point", ["after_claim", "during_request", "after_response"])
def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(app, session, factory, telegram, point):
    _due_posts(app, session, factory, telegram)
    if point == "during_request":
        telegram.fail_next("slow", delay=1.5)  # still on the wire when the worker dies at 0.3 s

    crashed = _worker(app, telegram, point)
    assert crashed.returncode == -9, (crashed.returncode, crashed.stdout, crashed.stderr[-2000:])
    reload(session)
    publish = select(Delivery).where(Delivery.kind == "publish")
    in_flight = [d for d in session.scalars(publish) if d.status == "claimed"]
    assert in_flight, "the dead worker's claims are still leased to it"
    if point == "during_request":
        time.sleep(1.6)  # the fake finishes the slow request: that post is live

    # The lease runs out; the reaper (any live worker's tick) sorts the dead worker's rows.
    with clock.frozen(clock.now() + dispatch.LEASE + timedelta(seconds=1)):
        returned, unknown = dispatch.reap(app)
    restarted = _worker(app, telegram, "none")
    assert restarted.returncode == 0, restarted.stderr[-2000:]

    reload(session)
    statuses = Counter(d.status for d in session.scalars(publish))
    answered = [r for r in telegram.requests_for("sendMessage") if r.status == 200]
    sent_texts = Counter(r.params.get("text") for r in answered)
    live = Counter(m.get("text") for m in telegram.posted.values())
    # Every post is live exactly once; nothing is left due or claimed.
    assert len(live) == POSTS and set(live.values()) == {1}, live
    assert set(statuses) <= {"sent", "unknown"} and sum(statuses.values()) == POSTS
    if point == "after_claim":
        # Nothing had started: every claim went back to due and was sent once.
        assert unknown == 0 and returned >= POSTS
        assert statuses == {"sent": POSTS}
    else:
        # The one in flight may have left: it waits for a person, never re-sent.
        assert unknown == 1 and statuses == {"sent": POSTS - 1, "unknown": 1}
        doubtful = session.scalar(publish.where(Delivery.status == "unknown"))
        assert doubtful.attempts == 1 and "check the platform" in doubtful.last_error
    assert all(count == 1 for count in sent_texts.values())

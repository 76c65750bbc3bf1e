"""The outbox end to end through real adapters against local fakes: Telegram publishing
(album, faults, unknown), email notices over STARTTLS, and two worker processes that never
post anything twice (PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from jobs import dispatch
from pressroom import clock
from pressroom.models import Delivery, Post
from pressroom.services import outbox, posts, sending
from tests.conftest import ROOT, open_test_session, reload
from tests.fakes.smtp_server import FakeSMTPServer, make_certificate
from tests.fakes.telegram_server import FakeTelegram
from tests.jobs import publishing


@pytest.fixture
def telegram():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg_app(app_factory, telegram):
    return app_factory(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=2, TELEGRAM_RATE_PER_MINUTE=6000)


def _approved_post(app, session, factory, telegram, *, images=1, caption="Panen raya padi di Grobogan"):
    credentials = {"bot_token": telegram.token, "chat_id": "@" + telegram.chat["username"]}
    post, _head = publishing.approved_post(app, session, factory, platform="telegram",
                                           credentials=credentials, images=images, caption=caption)
    return post


_run_until_idle = publishing.run_until_idle


def test_album_is_published_once_through_the_real_adapter(tg_app, telegram):
    from tests.conftest import Factory

    session = open_test_session(tg_app)
    factory = Factory(tg_app, session)
    post = _approved_post(tg_app, session, factory, telegram, images=3)
    _run_until_idle(tg_app, post.scheduled_at + timedelta(seconds=1))
    reload(session)
    delivery = session.scalar(select(Delivery).where(Delivery.kind == "publish"))
    assert delivery.status == "sent" and delivery.external_url.startswith("https://t.me/jatengprov_fake/")
    groups = telegram.requests_for("sendMediaGroup")
    assert len(groups) == 1 and len(telegram.posted) == 3
    assert session.get(Post, post.id).state == "approved"
    assert outbox.outcome(posts.deliveries_of(session, session.get(Post, post.id))) == "published"
    session.close()


def test_rate_limit_is_retried_later_and_sent_once(tg_app, telegram):
    from tests.conftest import Factory

    session = open_test_session(tg_app)
    post = _approved_post(tg_app, session, Factory(tg_app, session), telegram)
    telegram.fail_next("429", retry_after=30)
    at = post.scheduled_at + timedelta(seconds=1)
    _run_until_idle(tg_app, at)
    reload(session)
    delivery = session.scalar(select(Delivery).where(Delivery.kind == "publish"))
    assert delivery.status == "due" and delivery.due_at >= at + timedelta(seconds=30)
    _run_until_idle(tg_app, at + timedelta(seconds=40))
    reload(session)
    assert delivery.status == "sent" and delivery.attempts == 2 and len(telegram.posted) == 1
    session.close()


def test_maybe_published_is_unknown_and_never_resent(tg_app, telegram):
    from tests.conftest import Factory

    session = open_test_session(tg_app)
    post = _approved_post(tg_app, session, Factory(tg_app, session), telegram)
    telegram.fail_next("apply_then_fail")
    at = post.scheduled_at + timedelta(seconds=1)
    _run_until_idle(tg_app, at)
    _run_until_idle(tg_app, at + timedelta(hours=1))
    reload(session)
    delivery = session.scalar(select(Delivery).where(Delivery.kind == "publish"))
    assert delivery.status == "unknown" and delivery.attempts == 1
    assert len(telegram.posted) == 1  # it did go out once; nothing sent it again
    assert outbox.outcome([delivery]) == "needs_check"
    session.close()


def test_approver_notice_goes_out_by_email_over_starttls(app_factory, tmp_path):
    make_certificate(tmp_path)
    with FakeSMTPServer(tmp_path) as smtp:
        app = app_factory(
            SMTP_HOST=smtp.host,
            SMTP_PORT=smtp.port,
            SMTP_SECURITY="starttls",
            MAIL_SENDER="Pressroom <noreply@pressroom.example.com>",
            SMTP_CA_FILE=str(smtp.cert_file),
        )
        from tests.conftest import Factory

        session = open_test_session(app)
        factory = Factory(app, session)
        opd = factory.opd("DINKES")
        account = sending.create_account(
            session,
            None,
            app.extensions["crypto"],
            opd_id=opd.id,
            platform="telegram",
            name="Kanal",
            credentials="",
        )
        editor = factory.user("editor", opd)
        factory.user("approver", opd, level="kepala", email="kepala@pressroom.example.com")
        post = posts.create_post(
            session,
            editor,
            opd.id,
            caption="Siaran",
            variants={},
            scheduled_at=clock.now() + timedelta(hours=1),
            account_ids=[account.id],
        )
        posts.submit_post(session, editor, post)
        session.commit()
        dispatch.dispatch_due(app, owner="mail-worker")
        reload(session)
        notice = session.scalar(select(Delivery).where(Delivery.kind == "notice"))
        assert notice.status == "sent", notice.last_error
        [mail] = smtp.messages
        assert mail.rcpt_tos == ["kepala@pressroom.example.com"] and mail.tls
        body = mail.message.get_body(("plain",)).get_content()
        assert f"http://pressroom.test/app/posts/{post.id}" in body
        session.close()


POSTS = 1000


@pytest.mark.postgres_only
def test_two_worker_processes_publish_every_post_exactly_once(app, session, factory, telegram, tmp_path):
    """1,000 due publish deliveries, two worker processes, a fake answering with latency so their
    sends overlap: every post arrives exactly once at the fake, and both workers sent a real share."""
    opd = factory.opd("DISKOMINFO")
    creds = json.dumps({"bot_token": telegram.token, "chat_id": "@" + telegram.chat["username"]})
    account = sending.create_account(
        session,
        None,
        app.extensions["crypto"],
        opd_id=opd.id,
        platform="telegram",
        name="Kanal",
        credentials=creds,
    )
    editor = factory.user("editor", opd)
    head = factory.user("approver", opd, level="kepala")
    due = clock.now() + timedelta(hours=1)
    for i in range(POSTS):
        post = posts.create_post(
            session,
            editor,
            opd.id,
            caption=f"Kabar #{i:04d}",
            variants={},
            scheduled_at=due,
            account_ids=[account.id],
        )
        posts.submit_post(session, editor, post)
        posts.approve_post(session, head, post, comment="", public_url=app.config["PUBLIC_URL"])
    session.commit()
    # Their time has come (without waiting an hour): every publish delivery is due now.
    session.execute(update(Delivery).where(Delivery.kind == "publish").values(due_at=clock.now()))
    session.commit()
    config = {
        key: app.config[key] for key in ("DATABASE_URL", "STORAGE_PATH", "INSTANCE_PATH", "ENCRYPTION_KEYS")
    }
    config.update(TELEGRAM_API_BASE=telegram.base_url, TELEGRAM_TIMEOUT=5, TELEGRAM_RATE_PER_MINUTE=60000)
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.dispatch_worker", json.dumps(config), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.0)  # both interpreters reach the start line
    go.touch()
    outputs = [w.communicate(timeout=180)[0].strip().splitlines()[-1].split() for w in workers]
    counts = [int(total) for total, _ in outputs]
    shares = [int(telegram_sends) for _, telegram_sends in outputs]
    texts = [r.params.get("text") for r in telegram.requests_for("sendMessage")]
    if len(texts) != POSTS:  # say what happened before failing
        reload(session)
        rows = session.execute(select(Delivery.kind, Delivery.status, func.min(Delivery.due_at), func.count())
                               .group_by(Delivery.kind, Delivery.status)).all()
        print("workers:", counts, "deliveries:", rows, "requests:", [r.method for r in telegram.requests][:5])
    assert len(texts) == POSTS and len(set(texts)) == POSTS, "a post was sent twice or lost"
    # The posts plus two notices each (to the approver on submission, to the author on approval).
    assert sum(counts) == 3 * POSTS, counts
    # Both workers sent a real share of the posts (not one doing all while the other idled).
    assert sum(shares) == POSTS and min(shares) >= POSTS // 5, shares
    reload(session)
    assert (
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.kind == "publish", Delivery.status == "sent")
        )
        == POSTS
    )


def test_retraction_deletes_the_album_on_telegram(tg_app, telegram):
    from tests.conftest import Factory, csrf_token, login

    session = open_test_session(tg_app)
    factory = Factory(tg_app, session)
    post = _approved_post(tg_app, session, factory, telegram, images=2)
    _run_until_idle(tg_app, post.scheduled_at + timedelta(seconds=1))
    from pressroom.models import Opd

    head = factory.user("approver", session.get(Opd, post.opd_id), level="kepala")
    client = tg_app.test_client()
    login(client, head, factory)
    response = client.post(f"/app/posts/{post.id}/cabut",
                           data={"csrf_token": csrf_token(client, f"/app/posts/{post.id}")})
    assert response.status_code == 302
    assert sorted(telegram.deleted) == sorted(telegram.posted) or len(telegram.deleted) == 2
    reload(session)
    assert session.get(Post, post.id).retracted_at is not None
    session.close()


def test_a_slow_batch_renews_its_lease(tg_app, telegram, monkeypatch):
    """A sender that has used up a third of its lease renews the rest of its batch."""
    from tests.conftest import Factory

    session = open_test_session(tg_app)
    post = _approved_post(tg_app, session, Factory(tg_app, session), telegram)
    first = session.scalar(select(Delivery).where(Delivery.kind == "publish"))
    outbox.enqueue(session, kind="publish", channel="telegram", subject_type="post", subject_id=post.id,
                   opd_id=post.opd_id, account_id=first.account_id, due_at=first.due_at)
    session.commit()
    renewed = []
    real_renew = dispatch.renew
    monkeypatch.setattr(dispatch, "LEASE", timedelta(0))  # every send outlives a third of it

    def spy(engine, table, ids, *, owner, lease):
        renewed.append(list(ids))
        return real_renew(engine, table, ids, owner=owner, lease=lease)

    monkeypatch.setattr(dispatch, "renew", spy)
    _run_until_idle(tg_app, post.scheduled_at + timedelta(seconds=1))
    reload(session)
    assert {d.status for d in session.scalars(select(Delivery).where(Delivery.kind == "publish"))} == {"sent"}
    assert renewed and all(len(ids) >= 1 for ids in renewed)
    session.close()

"""The outbox end to end through the real X adapter against the local fake X API (every
request's OAuth 1.0a signature verified): a post with two images and alt text published
once, retracted through the web route, a 429 retried later, and a maybe-published post
never sent again."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from jobs import dispatch
from pressroom import clock
from pressroom.models import Delivery, Opd, Post
from pressroom.services import outbox, posts, sending
from tests.conftest import Factory, csrf_token, login, open_test_session, reload
from tests.fakes.x_server import FakeX

CAPTION = "Panen raya padi di Grobogan: 9,08 juta ton gabah kering giling tahun ini. #DataJateng"


def _png(color=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 800), color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def fake_x():
    with FakeX() as server:
        yield server


@pytest.fixture
def x_app(app_factory, fake_x):
    # X's documented 100 posts per 15 minutes paces sends 9 s apart; the tests lift it.
    return app_factory(X_API_BASE=fake_x.base_url, X_TIMEOUT=2, X_RATE_PER_15_MIN=900_000)


def _approved_post(app, session, factory, fake, *, images=2, caption=CAPTION):
    opd = factory.opd("DISTANBUN")
    account = sending.create_account(
        session,
        None,
        app.extensions["crypto"],
        opd_id=opd.id,
        platform="x",
        name="X Distanbun",
        credentials=json.dumps(fake.credentials),
    )
    editor = factory.user("editor", opd)
    head = factory.user("approver", opd, level="kepala")
    post = posts.create_post(
        session,
        editor,
        opd.id,
        caption=caption,
        variants={},
        scheduled_at=clock.now() + timedelta(minutes=5),
        account_ids=[account.id],
    )
    for i in range(images):
        posts.add_image(
            session,
            editor,
            app.extensions["storage"],
            post,
            _png((20 * i, 100, 150)),
            alt_text=f"Foto panen {i + 1}: petani memanen padi di sawah",
        )
    posts.submit_post(session, editor, post)
    posts.approve_post(session, head, post, comment="", public_url=app.config["PUBLIC_URL"])
    session.commit()
    return post


def _run_until_idle(app, at):
    with clock.frozen(at):
        while dispatch.dispatch_due(app, owner="test-worker"):
            pass


def _publish_delivery(session):
    return session.scalar(select(Delivery).where(Delivery.kind == "publish"))


def test_post_with_two_images_is_published_once(x_app, fake_x):
    session = open_test_session(x_app)
    post = _approved_post(x_app, session, Factory(x_app, session), fake_x)

    _run_until_idle(x_app, post.scheduled_at + timedelta(seconds=1))

    reload(session)
    delivery = _publish_delivery(session)
    assert delivery.status == "sent", delivery.last_error
    [tweet] = fake_x.tweets.values()
    assert tweet["text"] == CAPTION and len(tweet["media_ids"]) == 2
    assert delivery.external_id == tweet["id"]
    assert delivery.external_url == f"https://x.com/i/web/status/{tweet['id']}"
    assert [fake_x.media[m].alt_text for m in tweet["media_ids"]] == [
        "Foto panen 1: petani memanen padi di sawah",
        "Foto panen 2: petani memanen padi di sawah",
    ]
    assert {fake_x.media[m].upload.content_type for m in tweet["media_ids"]} == {"image/jpeg"}
    assert all(request.signed for request in fake_x.requests)
    assert len(fake_x.requests_for("POST", "/2/tweets")) == 1
    assert outbox.outcome(posts.deliveries_of(session, session.get(Post, post.id))) == "published"
    session.close()


def test_retraction_through_the_web_route_deletes_the_post_on_x(x_app, fake_x):
    session = open_test_session(x_app)
    factory = Factory(x_app, session)
    post = _approved_post(x_app, session, factory, fake_x)
    _run_until_idle(x_app, post.scheduled_at + timedelta(seconds=1))
    [tweet_id] = fake_x.tweets

    head = factory.user("approver", session.get(Opd, post.opd_id), level="kepala")
    client = x_app.test_client()
    login(client, head, factory)
    response = client.post(
        f"/app/posts/{post.id}/cabut", data={"csrf_token": csrf_token(client, f"/app/posts/{post.id}")}
    )

    assert response.status_code == 302
    assert fake_x.deleted == [tweet_id] and fake_x.tweets == {}
    [delete] = [r for r in fake_x.requests if r.method == "DELETE"]
    assert delete.path == f"/2/tweets/{tweet_id}" and delete.signed
    reload(session)
    assert session.get(Post, post.id).retracted_at is not None
    session.close()


def test_rate_limit_is_retried_after_the_reset_and_sent_once(x_app, fake_x):
    session = open_test_session(x_app)
    post = _approved_post(x_app, session, Factory(x_app, session), fake_x)
    fake_x.fail_next("429", path="/2/tweets", reset_in=30)
    at = post.scheduled_at + timedelta(seconds=1)

    _run_until_idle(x_app, at)

    reload(session)
    delivery = _publish_delivery(session)
    assert delivery.status == "due" and "slow down" in delivery.last_error
    assert delivery.due_at >= at + timedelta(seconds=28)
    assert fake_x.tweets == {}

    _run_until_idle(x_app, at + timedelta(seconds=40))

    reload(session)
    assert delivery.status == "sent" and delivery.attempts == 2
    assert len(fake_x.tweets) == 1
    # The images went up again on the second attempt; the first uploads were never posted.
    assert len(fake_x.requests_for("POST", "/2/media/upload")) == 4
    session.close()


def test_maybe_published_is_unknown_and_never_resent(x_app, fake_x):
    session = open_test_session(x_app)
    post = _approved_post(x_app, session, Factory(x_app, session), fake_x, images=0)
    fake_x.fail_next("apply_then_fail", path="/2/tweets")
    at = post.scheduled_at + timedelta(seconds=1)

    _run_until_idle(x_app, at)
    _run_until_idle(x_app, at + timedelta(hours=1))

    reload(session)
    delivery = _publish_delivery(session)
    assert delivery.status == "unknown" and delivery.attempts == 1
    assert len(fake_x.tweets) == 1  # it did go out once; nothing sent it again
    assert outbox.outcome([delivery]) == "needs_check"
    session.close()

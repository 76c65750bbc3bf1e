"""The outbox end to end through the real X adapter against the local fake X API (every
request's OAuth 1.0a signature verified): a post with two images and alt text published
once, retracted through the web route, a 429 retried later, and a maybe-published post
never sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pressroom.models import Opd, Post
from pressroom.services import outbox, posts
from tests.conftest import Factory, csrf_token, login, open_test_session, reload
from tests.fakes.x_server import FakeX
from tests.jobs import publishing

CAPTION = "Panen raya padi di Grobogan: 9,08 juta ton gabah kering giling tahun ini. #DataJateng"


@pytest.fixture
def fake_x():
    with FakeX() as server:
        yield server


@pytest.fixture
def x_app(app_factory, fake_x):
    # X's documented 100 posts per 15 minutes paces sends 9 s apart; the tests lift it.
    return app_factory(X_API_BASE=fake_x.base_url, X_TIMEOUT=2, X_RATE_PER_15_MIN=900_000)


def _approved_post(app, session, factory, fake, *, images=2, caption=CAPTION):
    post, _head = publishing.approved_post(app, session, factory, platform="x", credentials=fake.credentials,
                                           images=images, caption=caption,
                                           alt="Foto panen {n}: petani memanen padi di sawah")
    return post


_run_until_idle = publishing.run_until_idle
_publish_delivery = publishing.publish_delivery


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

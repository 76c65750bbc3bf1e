"""The outbox end to end through the real Facebook and Instagram adapters against the fake
Graph API: a Facebook post with two photos published once and retracted through the web
route; an Instagram carousel published across several ticks (container, polls, publish)
with its alt texts; an Instagram retraction that says it cannot be done.

Instagram fetches images from Pressroom's public address, and approval accepts only an
https ``PUBLIC_URL`` (an allow-listed host is let off being public, not being https). So
the storage's public folder is served here over HTTPS on loopback with a self-signed
certificate, ``PUBLIC_URL`` points at it, its host is in ``INSTAGRAM_URL_ALLOW``, and the
fake Graph verifies that certificate when it fetches.
"""

from __future__ import annotations

import ssl
from datetime import timedelta

import pytest

from pressroom.models import Post
from pressroom.services import outbox, posts
from tests.conftest import Factory, csrf_token, login, open_test_session, reload
from tests.fakes.graph_server import FakeGraph, StaticFiles
from tests.fakes.smtp_server import make_certificate
from tests.jobs import publishing


@pytest.fixture
def certificate(tmp_path):
    directory = tmp_path / "cert"
    directory.mkdir()
    return make_certificate(directory)


@pytest.fixture
def public_files(tmp_path, certificate):
    """Pressroom's /media/<key> on an https loopback address: the storage's public folder."""
    cert_file, key_file = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    root = tmp_path / "storage" / "public"  # app_factory's STORAGE_PATH is tmp_path / "storage"
    root.mkdir(parents=True)
    with StaticFiles(root, prefix="/media/", ssl_context=context) as server:
        yield server


@pytest.fixture
def graph(certificate):
    with FakeGraph(fetch_verify=str(certificate[0])) as server:
        yield server


@pytest.fixture
def graph_app(app_factory, graph, public_files):
    return app_factory(
        GRAPH_API_BASE=graph.base_url,
        GRAPH_TIMEOUT=2,
        PUBLIC_URL=public_files.base_url,
        INSTAGRAM_URL_ALLOW="127.0.0.1",
    )


def _allow_hosts(app) -> frozenset[str]:
    return frozenset(h.strip() for h in app.config["INSTAGRAM_URL_ALLOW"].split(",") if h.strip())


def _approved_post(app, session, factory, *, platform, credentials, images, caption):
    return publishing.approved_post(app, session, factory, platform=platform, credentials=credentials,
                                    images=images, caption=caption, opd_code="DISKOMINFO",
                                    allow_hosts=_allow_hosts(app))


_run_until_idle = publishing.run_until_idle
_publish_delivery = publishing.publish_delivery


def _retract_through_the_web(app, factory, post, head):
    client = app.test_client()
    login(client, head, factory)
    response = client.post(f"/app/posts/{post.id}/cabut",
                           data={"csrf_token": csrf_token(client, f"/app/posts/{post.id}")})
    assert response.status_code == 302
    return client


def test_facebook_post_with_two_photos_is_published_once_and_retracted(graph_app, graph):
    session = open_test_session(graph_app)
    factory = Factory(graph_app, session)
    post, head = _approved_post(
        graph_app, session, factory, platform="facebook",
        credentials={"page_id": graph.page_id, "page_access_token": graph.page_token},
        images=2, caption="Panen raya padi di Grobogan",
    )

    _run_until_idle(graph_app, post.scheduled_at + timedelta(seconds=1))
    _run_until_idle(graph_app, post.scheduled_at + timedelta(hours=1))  # nothing goes out twice

    reload(session)
    delivery = _publish_delivery(session)
    assert delivery.status == "sent", delivery.last_error
    [live] = graph.page_posts.values()
    assert live["message"] == "Panen raya padi di Grobogan"
    assert [p["alt_text_custom"] for p in live["photos"]] == ["Foto panen 1", "Foto panen 2"]
    assert len(graph.requests_for("photos")) == 2 and len(graph.requests_for("feed")) == 1
    assert delivery.external_id == live["id"]
    assert delivery.external_url == f"https://www.facebook.com/{live['id']}"
    assert outbox.outcome(posts.deliveries_of(session, session.get(Post, post.id))) == "published"

    _retract_through_the_web(graph_app, factory, session.get(Post, post.id), session.merge(head))

    reload(session)
    assert graph.page_posts == {} and graph.deleted == [live["id"]]
    assert session.get(Post, post.id).retracted_at is not None
    assert _publish_delivery(session).status == "sent"  # it was published; the note says it is deleted
    session.close()


def test_instagram_carousel_is_published_across_several_ticks(graph_app, graph, public_files):
    graph.in_progress_polls = 2
    session = open_test_session(graph_app)
    factory = Factory(graph_app, session)
    post, _head = _approved_post(
        graph_app, session, factory, platform="instagram",
        credentials={"ig_user_id": graph.ig_user_id, "access_token": graph.ig_token},
        images=3, caption="Panen raya padi di Grobogan #PanenRaya",
    )
    allow = _allow_hosts(graph_app)
    http_url = graph_app.config["PUBLIC_URL"].replace("https://", "http://")
    problems = posts.platform_problems(post, public_url=http_url, allow_hosts=allow)
    assert any("https" in str(problem) for problem in problems)  # hence the https file server

    at = post.scheduled_at + timedelta(seconds=1)
    _run_until_idle(graph_app, at)
    reload(session)
    delivery = _publish_delivery(session)
    assert (delivery.status, delivery.step) == ("due", "poll"), delivery.last_error
    assert delivery.due_at > at  # the next step runs in a later tick
    assert graph.ig_media == {}
    ticks = 1
    while delivery.status == "due" and ticks < 20:
        at = delivery.due_at + timedelta(seconds=1)  # the frozen clock moves on to when it is due
        _run_until_idle(graph_app, at)
        reload(session)
        delivery = _publish_delivery(session)
        ticks += 1

    assert delivery.status == "sent", delivery.last_error
    assert ticks == 4  # containers, two polls still in progress, then finished and published
    [media] = graph.published_media()  # exactly one published media
    assert media["media_type"] == "CAROUSEL_ALBUM"
    assert media["caption"] == "Panen raya padi di Grobogan #PanenRaya"
    assert [i["alt_text"] for i in media["images"]] == ["Foto panen 1", "Foto panen 2", "Foto panen 3"]
    stored = [image.storage_key for image in session.get(Post, post.id).images]
    assert [i["image_url"] for i in media["images"]] == [public_files.url_for(key) for key in stored]
    assert all(url.startswith("https://127.0.0.1:") for url in graph.fetched_urls)
    assert delivery.external_id == media["id"] and delivery.external_url == media["permalink"]
    assert len(graph.requests_for("media_publish")) == 1
    assert outbox.outcome(posts.deliveries_of(session, session.get(Post, post.id))) == "published"

    _run_until_idle(graph_app, at + timedelta(hours=1))
    assert len(graph.published_media()) == 1
    session.close()


def test_instagram_retraction_says_it_is_not_possible(graph_app, graph):
    graph.in_progress_polls = 0
    session = open_test_session(graph_app)
    factory = Factory(graph_app, session)
    post, head = _approved_post(
        graph_app, session, factory, platform="instagram",
        credentials={"ig_user_id": graph.ig_user_id, "access_token": graph.ig_token},
        images=1, caption="Jadwal layanan SIM keliling",
    )
    at = post.scheduled_at + timedelta(seconds=1)
    _run_until_idle(graph_app, at)
    _run_until_idle(graph_app, at + timedelta(minutes=1))
    reload(session)
    assert _publish_delivery(session).status == "sent"
    before = len(graph.requests)

    _retract_through_the_web(graph_app, factory, session.get(Post, post.id), session.merge(head))

    reload(session)
    delivery = _publish_delivery(session)
    # The note is in the reader's language (Indonesian here): Instagram's API cannot delete.
    assert delivery.last_error.startswith("Instagram") and "API" in delivery.last_error
    assert session.get(Post, post.id).retracted_at is None
    assert len(graph.published_media()) == 1
    assert len(graph.requests) == before  # Pressroom did not even try
    session.close()

"""The Facebook Page adapter end to end against a local fake Graph API (multipart parsed by
werkzeug, photos decoded by Pillow)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pressroom.channels.base import Message
from pressroom.channels.facebook import FacebookChannel
from pressroom.channels.registry import build_channel
from tests.channels.conftest import jpeg
from tests.fakes.graph_server import FakeGraph

CAPTION = "Produksi padi Jawa Tengah 2024 mencapai 9,08 juta ton. #DataJateng"


@pytest.fixture
def graph():
    with FakeGraph() as server:
        yield server


@pytest.fixture
def channel(graph):
    return FacebookChannel(base_url=graph.base_url, version=graph.version, timeout=3, connect_timeout=1)


@pytest.fixture
def credentials(graph):
    return {"page_id": graph.page_id, "page_access_token": graph.page_token}


def _post(images=(), text=CAPTION) -> Message:
    return Message(delivery_id=1, kind="publish", text=text, images=list(images))


def _send(channel, credentials, message):
    with channel.session(credentials) as batch:
        return channel.send(batch, message)


def _photos(count):
    colors = ("red", "green", "blue", "orange", "purple")
    return [
        jpeg(640, 480, color=colors[n % len(colors)], name=f"grafik-{n + 1}.jpg", alt=f"Grafik panen {n + 1}")
        for n in range(count)
    ]


# Publishing -----------------------------------------------------------------------------------
def test_one_photo_is_one_published_photo_post_with_its_alt_text(graph, channel, credentials):
    [image] = _photos(1)

    result = _send(channel, credentials, _post([image]))

    assert result.status == "sent", result.reason
    [request] = graph.requests
    assert (request.verb, request.path) == ("POST", f"/v21.0/{graph.page_id}/photos")
    assert request.token == graph.page_token
    assert request.params["message"] == CAPTION
    assert request.params["published"] == "true"
    assert request.params["alt_text_custom"] == "Grafik panen 1"
    assert request.files["source"].data == image.data
    [post] = graph.page_posts.values()
    assert post["message"] == CAPTION
    [photo] = post["photos"]
    assert (photo["width"], photo["height"], photo["alt_text_custom"]) == (640, 480, "Grafik panen 1")
    assert result.external_id == post["id"] and result.external_id.startswith(f"{graph.page_id}_")
    assert result.external_url == f"https://www.facebook.com/{post['id']}"


def test_several_photos_become_one_post_through_attached_media(graph, channel, credentials):
    images = _photos(3)

    result = _send(channel, credentials, _post(images))

    assert result.status == "sent", result.reason
    uploads = graph.requests_for("photos")
    assert len(uploads) == 3
    assert all(u.params["published"] == "false" and u.params["temporary"] == "true" for u in uploads)
    assert all("message" not in u.params for u in uploads)
    alt_texts = ["Grafik panen 1", "Grafik panen 2", "Grafik panen 3"]
    assert [u.params["alt_text_custom"] for u in uploads] == alt_texts
    [feed] = graph.requests_for("feed")
    photo_ids = [u.response["id"] for u in uploads]
    attached = [json.loads(feed.params[f"attached_media[{i}]"]) for i in range(3)]
    assert attached == [{"media_fbid": photo_id} for photo_id in photo_ids]
    assert feed.params["message"] == CAPTION
    [post] = graph.page_posts.values()  # one post, not three
    assert [p["id"] for p in post["photos"]] == photo_ids
    assert [p["alt_text_custom"] for p in post["photos"]] == alt_texts
    assert graph.unpublished_photos == {}
    assert result.external_id == post["id"]
    assert result.external_url == f"https://www.facebook.com/{post['id']}"


def test_text_only_goes_to_the_feed(graph, channel, credentials):
    result = _send(channel, credentials, _post(text="Pengumuman: layanan tutup 17 Agustus."))

    assert result.status == "sent", result.reason
    [request] = graph.requests
    assert request.endpoint == "feed"
    assert request.params["message"] == "Pengumuman: layanan tutup 17 Agustus."
    assert [p["message"] for p in graph.page_posts.values()] == ["Pengumuman: layanan tutup 17 Agustus."]


def test_nothing_to_post_is_failed_without_calling_facebook(graph, channel, credentials):
    result = _send(channel, credentials, _post(text="  "))

    assert result.status == "failed" and "nothing to post" in result.reason
    assert graph.requests == []


# Refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"page_access_token": "EAAG-someone-elses"}, "expired or was revoked: reconnect the account"),
        ({"page_access_token": ""}, "no Page id or Page access token"),
        ({"page_id": "999"}, "does not exist"),
    ],
)
def test_refusals_are_failed_in_plain_words(graph, channel, credentials, change, expected):
    result = _send(channel, {**credentials, **change}, _post(_photos(1)))

    assert result.status == "failed"
    assert expected in result.reason
    assert graph.page_posts == {}


def test_an_expired_token_says_to_reconnect(graph, channel, credentials):
    graph.fail_next("190")

    result = _send(channel, credentials, _post(_photos(2)))

    assert result.status == "failed"
    assert "expired or was revoked: reconnect the account" in result.reason
    assert "code 190/463" in result.reason  # Graph's code and a trace id, for a support request
    assert graph.page_posts == {} and len(graph.requests) == 1


def test_a_photo_that_is_not_an_image_is_refused(graph, channel, credentials):
    [image] = _photos(1)
    broken = type(image)(data=b"not a jpeg", filename="x.jpg", alt_text="x")

    result = _send(channel, credentials, _post([broken]))

    assert result.status == "failed" and "invalid image file" in result.reason


# Throttling and server trouble ---------------------------------------------------------------------
def test_a_throttle_is_retried_after_the_time_graph_gives(graph, channel, credentials):
    graph.fail_next("429", code=32, regain_minutes=3)

    with channel.session(credentials) as batch:
        slowed = channel.send(batch, _post(_photos(1)))
        later = channel.send(batch, _post(_photos(1)))

    assert slowed.status == "retry"
    assert slowed.retry_after == 180  # estimated_time_to_regain_access is in minutes
    assert "asked to slow down" in slowed.reason
    assert later.status == "sent"
    assert len(graph.page_posts) == 1


def test_a_throttle_without_a_time_waits_a_while_or_honours_retry_after(graph, channel, credentials):
    graph.fail_next("429")
    graph.fail_next("429", code=4, retry_after=42)

    first = _send(channel, credentials, _post(_photos(1)))
    second = _send(channel, credentials, _post(_photos(1)))

    assert first.status == second.status == "retry"
    assert first.retry_after == 300 and second.retry_after == 42
    assert graph.page_posts == {}


def test_an_error_graph_marks_transient_is_retried(graph, channel, credentials):
    graph.fail_next("transient")

    result = _send(channel, credentials, _post(_photos(1)))

    assert result.status == "retry" and "temporary problem" in result.reason
    assert graph.page_posts == {}


@pytest.mark.parametrize("fault", ["500", "503"])
def test_a_server_error_while_publishing_is_unknown(graph, channel, credentials, fault):
    graph.fail_next(fault)

    result = _send(channel, credentials, _post(_photos(1)))

    assert result.status == "unknown"
    assert "may have been published" in result.reason and "check the Page" in result.reason


def test_a_server_error_on_an_unpublished_photo_is_retried(graph, channel, credentials):
    """Nothing is public until the feed post: a 5xx while uploading photos is safe to retry."""
    graph.fail_next("500", on="photos")
    images = _photos(2)

    first = _send(channel, credentials, _post(images))
    second = _send(channel, credentials, _post(images))

    assert first.status == "retry", first.reason
    assert "nothing was published" in first.reason
    assert second.status == "sent"
    assert len(graph.page_posts) == 1 and len(graph.requests_for("feed")) == 1


def test_applied_then_failed_is_unknown_and_the_post_is_live_once(graph, channel, credentials):
    graph.fail_next("apply_then_fail", on="feed")

    result = _send(channel, credentials, _post(_photos(3)))

    assert result.status == "unknown"
    assert "may have been published" in result.reason
    assert len(graph.page_posts) == 1  # it did go out, exactly once
    [post] = graph.page_posts.values()
    assert len(post["photos"]) == 3


def test_no_answer_in_time_while_publishing_is_unknown(graph, credentials):
    graph.fail_next("slow", delay=1.5)
    impatient = FacebookChannel(base_url=graph.base_url, timeout=0.3, connect_timeout=1)

    result = _send(impatient, credentials, _post(_photos(1)))

    assert result.status == "unknown" and "did not answer" in result.reason


def test_no_connection_is_retried(unused_port, credentials):
    channel = FacebookChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=1, connect_timeout=1)

    result = _send(channel, credentials, _post(_photos(1)))

    assert result.status == "retry" and "could not connect to Facebook" in result.reason


# Retraction -----------------------------------------------------------------------------------------
def test_retraction_deletes_the_post_and_a_missing_post_counts_as_gone(graph, channel, credentials):
    published = _send(channel, credentials, _post(_photos(2)))

    retracted = channel.retract(credentials, published.external_id)
    again = channel.retract(credentials, published.external_id)

    assert retracted.status == "sent", retracted.reason
    assert graph.page_posts == {} and graph.deleted == [published.external_id]
    [delete, *_] = graph.requests_for("delete")
    assert delete.verb == "DELETE" and delete.path == f"/v21.0/{published.external_id}"
    assert again.status == "sent"  # Graph says it does not exist: it is gone either way


def test_retraction_with_a_revoked_token_is_failed(graph, channel, credentials):
    published = _send(channel, credentials, _post(_photos(1)))

    result = channel.retract({**credentials, "page_access_token": "EAAG-revoked"}, published.external_id)

    assert result.status == "failed" and "reconnect the account" in result.reason
    assert len(graph.page_posts) == 1


# The account check ---------------------------------------------------------------------------------
def test_check_account_reads_the_page_and_the_token_expiry(graph, channel, credentials):
    check = channel.check_account(credentials)

    assert check.ok and check.reachable
    assert check.display_name == graph.page_name
    assert check.expires_at == datetime.fromtimestamp(graph.data_access_expires_at, UTC)
    assert [r.endpoint for r in graph.requests] == ["page", "debug_token"]
    assert graph.requests[1].params["input_token"] == graph.page_token


def test_check_account_reports_the_earlier_expiry(graph, channel, credentials):
    graph.expires_at = graph.data_access_expires_at - 86400 * 30

    check = channel.check_account(credentials)

    assert check.ok and check.expires_at == datetime.fromtimestamp(graph.expires_at, UTC)


def test_check_account_with_a_dead_token_is_not_ok(graph, channel, credentials):
    check = channel.check_account({**credentials, "page_access_token": "EAAG-revoked"})

    assert not check.ok and check.reachable
    assert "reconnect the account" in check.reason


@pytest.mark.parametrize("fault", ["500", "503", "transient"])
def test_check_account_when_facebook_is_in_trouble_is_unreachable(graph, channel, credentials, fault):
    graph.fail_next(fault)

    check = channel.check_account(credentials)

    assert not check.reachable and check.reason


def test_check_account_when_nothing_answers_is_unreachable(unused_port, credentials):
    channel = FacebookChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=1, connect_timeout=1)

    check = channel.check_account(credentials)

    assert not check.reachable and "could not connect" in check.reason


# Registry ---------------------------------------------------------------------------------------
def test_registry_builds_the_facebook_adapter_from_configuration(graph):
    channel = build_channel("facebook", {"GRAPH_API_BASE": graph.base_url, "GRAPH_API_VERSION": "v21.0",
                                         "GRAPH_TIMEOUT": 2})

    assert isinstance(channel, FacebookChannel)
    assert channel.graph.url("me") == f"{graph.base_url}/v21.0/me"
    assert channel.graph.timeout == 2

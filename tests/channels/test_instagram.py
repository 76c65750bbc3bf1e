"""The Instagram adapter end to end against a local fake Graph API that fetches the images
from a loopback static file server, as Instagram fetches them from Pressroom's public URL.
Each ``send`` is one step; the tests feed ``step``/``step_data`` back as the outbox does."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime

import pytest
from PIL import Image as PILImage

from pressroom.channels.base import Image, Message
from pressroom.channels.instagram import MAX_POLLS, InstagramChannel
from pressroom.channels.registry import build_channel
from tests.fakes.graph_server import FakeGraph, StaticFiles

CAPTION = "Panen raya padi di Grobogan. #DataJateng #PanenRaya"


@pytest.fixture
def graph():
    with FakeGraph() as server:
        yield server


@pytest.fixture
def files(tmp_path):
    """The images' public address: a loopback server the fake Graph fetches from."""
    root = tmp_path / "public"
    root.mkdir()
    with StaticFiles(root) as server:
        yield server


@pytest.fixture
def channel(graph):
    return InstagramChannel(base_url=graph.base_url, version=graph.version, timeout=5, connect_timeout=1)


@pytest.fixture
def credentials(graph):
    return {"ig_user_id": graph.ig_user_id, "access_token": graph.ig_token}


def _image(files, name, size=(1080, 1080), color="seagreen", fmt="JPEG", alt=None, url=None) -> Image:
    """Write an image under the static server's root and return it with its public URL
    (``url``: another name under the server, to point at a file that is not there)."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, fmt)
    (files.root / name).write_bytes(buffer.getvalue())
    return Image(data=buffer.getvalue(), filename=name, alt_text=alt if alt is not None else f"Foto {name}",
                 public_url=files.url_for(url or name))


def _images(files, count):
    colors = ("seagreen", "gold", "tomato", "navy", "orchid")
    return [_image(files, f"panen-{n + 1}.jpg", color=colors[n % len(colors)]) for n in range(count)]


def _post(images, text=CAPTION) -> Message:
    return Message(delivery_id=7, kind="publish", text=text, images=list(images))


def _send(channel, credentials, message):
    with channel.session(credentials) as batch:
        return channel.send(batch, message)


def _run(channel, credentials, message, limit=30):
    """Send step after step, as the outbox would in later ticks; return every result."""
    results = []
    for _ in range(limit):
        result = _send(channel, credentials, message)
        results.append(result)
        if result.status != "continue":
            return results
        message = dataclasses.replace(message, step=result.step, step_data=dict(result.step_data))
    raise AssertionError(f"still continuing after {limit} steps: {results[-1]}")


# Publishing -----------------------------------------------------------------------------------
def test_one_image_takes_a_container_a_poll_and_a_publish(graph, files, channel, credentials):
    [image] = _images(files, 1)

    first = _send(channel, credentials, _post([image]))

    assert first.status == "continue" and first.step == "poll"
    assert first.retry_after == 5  # the next step runs in a later tick, never a sleep here
    assert [r.endpoint for r in graph.requests] == ["content_publishing_limit", "media"]
    assert graph.requests[0].params["fields"] == "quota_usage,config"
    create = graph.requests[1]
    assert create.params == {"image_url": image.public_url, "caption": CAPTION, "alt_text": image.alt_text}
    assert graph.fetched_urls == [image.public_url] and files.served == ["/media/panen-1.jpg"]
    assert first.step_data == {"container_id": create.response["id"], "children": [], "polls": 0}
    assert graph.ig_media == {}

    message = dataclasses.replace(_post([image]), step=first.step, step_data=first.step_data)
    still = _send(channel, credentials, message)  # the fake answers IN_PROGRESS once
    assert still.status == "continue" and still.step_data["polls"] == 1

    message = dataclasses.replace(message, step=still.step, step_data=still.step_data)
    done = _send(channel, credentials, message)

    assert done.status == "sent", done.reason
    [media] = graph.ig_media.values()
    assert done.external_id == media["id"]
    assert done.external_url == media["permalink"] and done.external_url.startswith("https://www.instagram.com/p/")
    assert media["caption"] == CAPTION
    assert media["images"] == [{"image_url": image.public_url, "alt_text": image.alt_text, "width": 1080,
                                "height": 1080}]
    publish = graph.requests_for("media_publish")[0]
    assert publish.params == {"creation_id": first.step_data["container_id"]}
    assert graph.quota_usage == 1


def test_a_carousel_is_published_once_across_several_sends(graph, files, channel, credentials):
    graph.in_progress_polls = 3
    images = _images(files, 3)

    results = _run(channel, credentials, _post(images))

    assert [r.status for r in results] == ["continue"] * 4 + ["sent"]
    assert [r.step_data["polls"] for r in results[:-1]] == [0, 1, 2, 3]
    children = graph.requests_for("media")[:3]
    assert [c.params for c in children] == [
        {"image_url": image.public_url, "is_carousel_item": "true", "alt_text": image.alt_text}
        for image in images
    ]
    carousel = graph.requests_for("media")[3]
    child_ids = [c.response["id"] for c in children]
    assert carousel.params == {"media_type": "CAROUSEL", "children": ",".join(child_ids), "caption": CAPTION}
    first_step = {"container_id": carousel.response["id"], "children": child_ids, "polls": 0}
    assert results[0].step_data == first_step
    [media] = graph.ig_media.values()  # exactly one published media
    assert media["media_type"] == "CAROUSEL_ALBUM" and media["caption"] == CAPTION
    assert [i["alt_text"] for i in media["images"]] == [image.alt_text for image in images]
    assert results[-1].external_id == media["id"] and results[-1].external_url == media["permalink"]
    assert len(graph.requests_for("media_publish")) == 1
    assert len(graph.requests_for("content_publishing_limit")) == 1


def test_polls_grow_further_apart_and_stop_after_a_bound(graph, files, channel, credentials):
    graph.in_progress_polls = 1000

    results = _run(channel, credentials, _post(_images(files, 1)))

    assert results[-1].status == "failed"
    assert "still processing" in results[-1].reason and "nothing was published" in results[-1].reason
    delays = [r.retry_after for r in results[1:-1]]
    assert len(delays) == MAX_POLLS and delays == sorted(delays)
    assert graph.ig_media == {} and graph.requests_for("media_publish") == []


@pytest.mark.parametrize(("status", "words"), [("ERROR", "could not process"), ("EXPIRED", "expired")])
def test_a_container_in_error_is_failed_with_its_status(graph, files, channel, credentials, status, words):
    graph.final_status = status

    results = _run(channel, credentials, _post(_images(files, 2)))

    assert results[-1].status == "failed"
    assert words in results[-1].reason
    assert ("2207001" in results[-1].reason) == (status == "ERROR")
    assert graph.ig_media == {}


def test_a_permalink_that_cannot_be_read_still_leaves_the_post_sent(graph, files, channel, credentials):
    graph.in_progress_polls = 0
    graph.fail_next("500", on="ig_media")

    results = _run(channel, credentials, _post(_images(files, 1)))

    assert results[-1].status == "sent"
    assert results[-1].external_id in graph.ig_media and results[-1].external_url is None


def test_a_step_replayed_after_publishing_never_publishes_twice(graph, files, channel, credentials):
    graph.in_progress_polls = 0
    message = _post(_images(files, 1))
    first = _send(channel, credentials, message)
    replay = dataclasses.replace(message, step=first.step, step_data=first.step_data)
    assert _send(channel, credentials, replay).status == "sent"

    again = _send(channel, credentials, replay)

    assert again.status == "unknown" and "already published" in again.reason
    assert len(graph.ig_media) == 1


# Refusals before anything is made -------------------------------------------------------------------
def test_an_image_without_a_public_url_is_failed(graph, files, channel, credentials):
    image = dataclasses.replace(_images(files, 1)[0], public_url=None)

    result = _send(channel, credentials, _post([image]))

    assert result.status == "failed" and "Instagram needs a public image URL" in result.reason
    assert graph.requests == []


def test_a_post_without_images_is_failed(graph, channel, credentials):
    result = _send(channel, credentials, _post([]))

    assert result.status == "failed" and "at least one image" in result.reason
    assert graph.requests == []


def test_the_daily_quota_reached_waits_an_hour_and_makes_nothing(graph, files, channel, credentials):
    graph.quota_usage = 50

    result = _send(channel, credentials, _post(_images(files, 2)))

    assert result.status == "retry" and result.retry_after == 3600
    assert "50 posts" in result.reason and "in the last 24 hours" in result.reason
    assert graph.requests_for("media") == [] and graph.fetched_urls == []


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda files: _image(files, "tall.jpg", size=(1080, 1920)), "aspect ratio ('1080/1920')"),
        (lambda files: _image(files, "chart.png", fmt="PNG"), "Only JPEG"),
        (lambda files: _image(files, "gone.jpg", url="missing.jpg"), "could not be fetched"),
    ],
)
def test_an_image_instagram_cannot_take_is_failed(graph, files, channel, credentials, make, words):
    result = _send(channel, credentials, _post([make(files)]))

    assert result.status == "failed"
    assert words in result.reason
    assert graph.ig_media == {}


def test_a_wrong_token_is_failed_and_says_to_reconnect(graph, files, channel, credentials):
    result = _send(channel, {**credentials, "access_token": graph.page_token}, _post(_images(files, 1)))

    assert result.status == "failed" and "reconnect the account" in result.reason
    assert graph.requests_for("media") == []


def test_an_expired_token_during_polling_is_failed(graph, files, channel, credentials):
    first = _send(channel, credentials, _post(_images(files, 1)))
    graph.fail_next("190")

    result = _send(channel, credentials, dataclasses.replace(_post([]), step=first.step,
                                                              step_data=first.step_data))

    assert result.status == "failed" and "expired or was revoked" in result.reason


# Trouble on the way ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["500", "503", "transient"])
def test_trouble_while_making_containers_is_retried(graph, files, channel, credentials, fault):
    graph.fail_next(fault, on="media")

    result = _send(channel, credentials, _post(_images(files, 3)))

    assert result.status == "retry", result.reason
    assert graph.ig_media == {}


def test_a_throttled_quota_check_is_retried_after_the_time_given(graph, files, channel, credentials):
    graph.fail_next("429", code=4, regain_minutes=10)

    result = _send(channel, credentials, _post(_images(files, 1)))

    assert result.status == "retry" and result.retry_after == 600


def test_trouble_while_polling_keeps_the_step_for_a_retry(graph, files, channel, credentials):
    graph.in_progress_polls = 0
    message = _post(_images(files, 1))
    first = _send(channel, credentials, message)
    graph.fail_next("500", on="container")
    polling = dataclasses.replace(message, step=first.step, step_data=first.step_data)

    troubled = _send(channel, credentials, polling)
    done = _send(channel, credentials, polling)  # the outbox keeps step and step_data on a retry

    assert troubled.status == "retry" and "nothing was published" in troubled.reason
    assert done.status == "sent" and len(graph.ig_media) == 1


def test_a_throttled_publish_is_retried_and_published_once(graph, files, channel, credentials):
    graph.in_progress_polls = 0
    graph.fail_next("429", on="media_publish", code=32)
    message = _post(_images(files, 2))
    first = _send(channel, credentials, message)
    polling = dataclasses.replace(message, step=first.step, step_data=first.step_data)

    throttled = _send(channel, credentials, polling)
    done = _send(channel, credentials, polling)

    assert throttled.status == "retry" and throttled.retry_after == 300
    assert done.status == "sent" and len(graph.ig_media) == 1


@pytest.mark.parametrize("fault", ["apply_then_fail", "500"])
def test_a_server_error_on_publish_is_unknown(graph, files, channel, credentials, fault):
    graph.in_progress_polls = 0
    graph.fail_next(fault, on="media_publish")

    results = _run(channel, credentials, _post(_images(files, 2)))

    assert results[-1].status == "unknown"
    assert "may have been published" in results[-1].reason
    assert "check the Instagram account" in results[-1].reason
    assert len(graph.ig_media) == (1 if fault == "apply_then_fail" else 0)


def test_no_answer_to_publish_in_time_is_unknown(graph, files, credentials):
    graph.in_progress_polls = 0
    impatient = InstagramChannel(base_url=graph.base_url, timeout=0.5, connect_timeout=1)
    message = _post(_images(files, 1))
    first = _send(impatient, credentials, message)
    graph.fail_next("slow", on="media_publish", delay=1.5)

    result = _send(impatient, credentials, dataclasses.replace(message, step=first.step,
                                                                step_data=first.step_data))

    assert result.status == "unknown" and "did not answer publishing in time" in result.reason


def test_no_connection_is_retried(unused_port, files, credentials):
    channel = InstagramChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=1, connect_timeout=1)

    result = _send(channel, credentials, _post(_images(files, 1)))

    assert result.status == "retry" and "could not connect to Instagram" in result.reason


# Retraction and the account check ---------------------------------------------------------------------
def test_retraction_says_plainly_that_instagram_cannot_delete(graph, channel, credentials):
    result = channel.retract(credentials, "17900000000000001")

    assert result.status == "failed"
    assert "Instagram's API does not allow deleting posts" in result.reason
    assert "Instagram app" in result.reason
    assert graph.requests == []


def test_check_account_reads_the_username_and_the_token_expiry(graph, channel, credentials):
    graph.expires_at = int(datetime(2026, 5, 1, tzinfo=UTC).timestamp())

    check = channel.check_account(credentials)

    assert check.ok and check.reachable
    assert check.display_name == "@jatengprov_uji"
    assert check.expires_at == datetime(2026, 5, 1, tzinfo=UTC)
    [read, debug] = graph.requests
    assert read.endpoint == "ig_user" and read.params["fields"] == "id,username"
    assert debug.endpoint == "debug_token"


def test_check_account_when_debug_token_fails_still_says_ok(graph, channel, credentials):
    graph.fail_next("500", on="debug_token")

    check = channel.check_account(credentials)

    assert check.ok and check.expires_at is None


def test_check_account_with_a_dead_token_is_not_ok(graph, channel, credentials):
    graph.fail_next("190")

    check = channel.check_account(credentials)

    assert not check.ok and check.reachable and "reconnect the account" in check.reason


def test_check_account_when_instagram_is_in_trouble_is_unreachable(graph, channel, credentials):
    graph.fail_next("503")

    check = channel.check_account(credentials)

    assert not check.reachable


def test_registry_builds_the_instagram_adapter_from_configuration(graph):
    channel = build_channel("instagram", {"GRAPH_API_BASE": graph.base_url, "GRAPH_TIMEOUT": 3})

    assert isinstance(channel, InstagramChannel)
    assert channel.graph.url("me") == f"{graph.base_url}/v21.0/me"
    assert build_channel("instagram", {"GRAPH_API_BASE": ""}).name == "sandbox"

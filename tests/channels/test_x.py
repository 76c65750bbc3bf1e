"""The X adapter end to end against a local fake X API v2 that verifies every OAuth 1.0a
signature (oauthlib's server side) and parses multipart uploads with werkzeug."""

from __future__ import annotations

import time

import pytest
import requests
from requests_oauthlib import OAuth1

from pressroom.channels.base import Message
from pressroom.channels.registry import build_channel
from pressroom.channels.sandbox import SandboxChannel
from pressroom.channels.x import XChannel
from tests.channels.conftest import jpeg
from tests.fakes.x_server import FakeX

TEXT = "Produksi padi Jawa Tengah 2024 mencapai 9,08 juta ton. #DataJateng"


@pytest.fixture
def x_server():
    with FakeX() as server:
        yield server


@pytest.fixture
def x_channel(x_server):
    # Generous for a loaded CI machine; the timeout tests build their own impatient channel.
    return XChannel(base_url=x_server.base_url, timeout=3, connect_timeout=1)


@pytest.fixture
def x_credentials(x_server):
    return dict(x_server.credentials)


def _post(images=(), text=TEXT, delivery_id=1) -> Message:
    return Message(delivery_id=delivery_id, kind="publish", text=text, images=list(images))


def _send(channel, credentials, message):
    with channel.session(credentials) as batch:
        return channel.send(batch, message)


def _wait_until(condition, seconds=2.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _charts(count):
    colors = ("red", "green", "blue", "orange")
    return [
        jpeg(name=f"grafik-{n}.jpg", color=colors[n], alt=f"Grafik {n + 1}: produksi padi per kabupaten")
        for n in range(count)
    ]


# Publishing -----------------------------------------------------------------------------------
def test_text_only_post(x_server, x_channel, x_credentials):
    result = _send(x_channel, x_credentials, _post())

    assert result.status == "sent", result.reason
    [request] = x_server.requests
    assert (request.method, request.path, request.status) == ("POST", "/2/tweets", 201)
    assert request.signed
    assert request.headers["Authorization"].startswith("OAuth ")
    assert 'oauth_signature_method="HMAC-SHA1"' in request.headers["Authorization"]
    assert request.json == {"text": TEXT}
    [tweet] = x_server.tweets.values()
    assert tweet["text"] == TEXT and tweet["media_ids"] == []
    assert result.external_id == tweet["id"]
    assert result.external_url == f"https://x.com/i/web/status/{tweet['id']}"


def test_a_known_username_gives_the_usual_link(x_server, x_channel, x_credentials):
    result = _send(x_channel, {**x_credentials, "username": "@jatengprov_fake"}, _post())

    assert result.external_url == f"https://x.com/jatengprov_fake/status/{result.external_id}"


@pytest.mark.parametrize("count", [2, 4])
def test_images_go_through_v2_upload_with_alt_text(x_server, x_channel, x_credentials, count):
    images = _charts(count)

    result = _send(x_channel, x_credentials, _post(images))

    assert result.status == "sent", result.reason
    paths = [request.path for request in x_server.requests]
    assert paths == ["/2/media/upload", "/2/media/metadata"] * count + ["/2/tweets"]
    assert all(request.signed for request in x_server.requests)
    uploads = x_server.requests_for("POST", "/2/media/upload")
    assert [u.files["media"].data for u in uploads] == [image.data for image in images]
    assert [u.files["media"].filename for u in uploads] == [image.filename for image in images]
    assert {u.form["media_category"] for u in uploads} == {"tweet_image"}
    assert all(u.headers["Content-Type"].startswith("multipart/form-data") for u in uploads)
    media_ids = [u.response["data"]["id"] for u in uploads]
    metadata = x_server.requests_for("POST", "/2/media/metadata")
    assert [m.json for m in metadata] == [
        {"id": media_id, "metadata": {"alt_text": {"text": image.alt_text}}}
        for media_id, image in zip(media_ids, images, strict=True)
    ]
    assert [x_server.media[media_id].alt_text for media_id in media_ids] == [i.alt_text for i in images]
    [create] = x_server.requests_for("POST", "/2/tweets")
    assert create.json == {"text": TEXT, "media": {"media_ids": media_ids}}
    [tweet] = x_server.tweets.values()
    assert tweet["media_ids"] == media_ids and result.external_id == tweet["id"]


def test_an_image_without_alt_text_gets_no_metadata_call(x_server, x_channel, x_credentials):
    result = _send(x_channel, x_credentials, _post([jpeg(alt="")]))

    assert result.status == "sent", result.reason
    assert [r.path for r in x_server.requests] == ["/2/media/upload", "/2/tweets"]


def test_more_than_four_images_is_failed_before_anything_is_sent(x_server, x_channel, x_credentials):
    result = _send(x_channel, x_credentials, _post(_charts(4) + [jpeg()]))

    assert result.status == "failed" and "at most 4 images" in result.reason
    assert x_server.requests == []


def test_one_session_serves_the_whole_batch(x_server, x_channel, x_credentials, monkeypatch):
    used = []
    real_send = requests.Session.send

    def spy(self, request, **kwargs):
        used.append(self)
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    with x_channel.session(x_credentials) as batch:
        results = [
            x_channel.send(batch, _post(_charts(1) if n == 1 else [], text=f"Kabar {n}", delivery_id=n))
            for n in range(3)
        ]

    assert [r.status for r in results] == ["sent"] * 3
    assert len(x_server.requests) == 5 and len(used) == 5
    # tweepy's calls and the media uploads alike went through the batch's one session (one pool;
    # the werkzeug fake closes every connection, a real server keeps it alive).
    assert all(session is batch.http for session in used)


# Refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("wrong", ["api_secret", "access_token_secret", "access_token", "api_key"])
def test_wrong_credentials_are_refused_401_and_failed(x_server, x_channel, x_credentials, wrong):
    credentials = {**x_credentials, wrong: x_credentials[wrong][:-4] + "XXXX"}

    result = _send(x_channel, credentials, _post([jpeg(alt="Grafik")]))

    assert result.status == "failed"
    assert "401" in result.reason and "wrong or were revoked" in result.reason
    [request] = x_server.requests  # refused at the first upload; nothing else was tried
    assert request.status == 401 and not request.signed
    assert x_server.tweets == {} and x_server.media == {}


def test_missing_credentials_are_failed_without_a_request(x_server, x_channel, x_credentials):
    result = _send(x_channel, {**x_credentials, "access_token_secret": " "}, _post())

    assert result.status == "failed" and "access_token_secret" in result.reason
    assert x_server.requests == []


def test_429_is_retried_after_the_reset_x_gives(x_server, x_channel, x_credentials):
    x_server.fail_next("429", path="/2/tweets", reset_in=42)

    with x_channel.session(x_credentials) as batch:
        slowed = x_channel.send(batch, _post([jpeg(alt="Grafik")]))
        later = x_channel.send(batch, _post([jpeg(alt="Grafik")]))

    assert slowed.status == "retry"
    assert 38 <= slowed.retry_after <= 42
    assert "slow down" in slowed.reason
    assert later.status == "sent"
    assert len(x_server.tweets) == 1


def test_429_with_a_reset_already_past_waits_at_least_a_second(x_server, x_channel, x_credentials):
    x_server.fail_next("429", reset_in=-5)

    result = _send(x_channel, x_credentials, _post())

    assert result.status == "retry" and result.retry_after == 1


def test_402_payment_required_is_failed_in_plain_words(x_server, x_channel, x_credentials):
    x_server.fail_next("402", path="/2/tweets")

    result = _send(x_channel, x_credentials, _post())

    assert result.status == "failed"
    assert "Payment Required" in result.reason and "credits" in result.reason
    assert "plan or credits" in result.reason
    assert x_server.tweets == {}


def test_duplicate_text_is_failed(x_server, x_channel, x_credentials):
    first = _send(x_channel, x_credentials, _post())

    again = _send(x_channel, x_credentials, _post())

    assert first.status == "sent"
    assert again.status == "failed" and "duplicate" in again.reason
    assert x_server.requests[-1].status == 403
    assert len(x_server.tweets) == 1


def test_an_app_without_write_permission_is_failed(x_server, x_channel, x_credentials):
    x_server.can_write = False

    result = _send(x_channel, x_credentials, _post())

    assert result.status == "failed"
    assert "403" in result.reason and "Read and write" in result.reason
    assert "oauth1 app permissions" in result.reason  # X's own words come along


def test_text_too_long_is_failed_with_x_detail(x_server, x_channel, x_credentials):
    result = _send(x_channel, x_credentials, _post(text="a" * 281))

    assert result.status == "failed"
    assert "400" in result.reason and "Your Tweet text is too long" in result.reason
    assert x_server.tweets == {}


def test_a_url_counts_23_so_a_long_link_fits(x_server, x_channel, x_credentials):
    text = "b" * 250 + " https://jatengprov.go.id/" + "sangat-panjang/" * 10

    result = _send(x_channel, x_credentials, _post(text=text))

    assert result.status == "sent", result.reason


# Doubt: the post may be live ------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["500", "503"])
def test_a_server_error_on_create_is_unknown(x_server, x_channel, x_credentials, fault):
    x_server.fail_next(fault, path="/2/tweets")

    result = _send(x_channel, x_credentials, _post([jpeg(alt="Grafik")]))

    assert result.status == "unknown"
    assert fault in result.reason and "check the account" in result.reason
    assert x_server.requests_for("POST", "/2/tweets")[0].status == int(fault)


def test_applied_then_failed_is_unknown_and_was_really_posted(x_server, x_channel, x_credentials):
    x_server.fail_next("apply_then_fail", path="/2/tweets")

    result = _send(x_channel, x_credentials, _post(_charts(2)))

    assert result.status == "unknown"
    assert len(x_server.tweets) == 1  # live although the answer said 500


def test_timeout_after_sending_the_post_is_unknown(x_server, x_credentials):
    impatient = XChannel(base_url=x_server.base_url, timeout=0.3)
    x_server.fail_next("slow", path="/2/tweets", delay=1.0)

    started = time.monotonic()
    result = _send(impatient, x_credentials, _post())

    assert result.status == "unknown"
    assert "did not answer the post in time" in result.reason
    assert time.monotonic() - started < 0.9  # gave up before the server answered
    assert _wait_until(lambda: len(x_server.tweets) == 1), "the slow post was applied after all"


# Nothing public yet: media failures are retried --------------------------------------------
@pytest.mark.parametrize(("fault", "path"), [("500", "/2/media/upload"), ("503", "/2/media/upload"),
                                             ("503", "/2/media/metadata")])
def test_a_server_error_on_media_is_retried_and_nothing_posted(
    x_server, x_channel, x_credentials, fault, path
):
    x_server.fail_next(fault, path=path)

    result = _send(x_channel, x_credentials, _post(_charts(2)))

    assert result.status == "retry"
    assert fault in result.reason and "nothing was posted" in result.reason
    assert x_server.requests_for("POST", "/2/tweets") == []
    assert x_server.tweets == {}


def test_a_429_on_media_upload_is_retried_after_the_reset(x_server, x_channel, x_credentials):
    x_server.fail_next("429", path="/2/media/upload", reset_in=60)

    result = _send(x_channel, x_credentials, _post(_charts(1)))

    assert result.status == "retry" and 55 <= result.retry_after <= 60
    assert x_server.tweets == {}


def test_a_media_upload_timeout_is_retried_and_nothing_posted(x_server, x_credentials):
    impatient = XChannel(base_url=x_server.base_url, timeout=0.3)
    x_server.fail_next("slow", path="/2/media/upload", delay=1.0)

    result = _send(impatient, x_credentials, _post(_charts(1)))

    assert result.status == "retry" and "nothing was posted" in result.reason
    assert x_server.requests_for("POST", "/2/tweets") == []


def test_a_file_that_is_not_an_image_is_failed(x_server, x_channel, x_credentials):
    broken = jpeg(alt="Grafik")
    broken = type(broken)(data=b"not a jpeg at all", alt_text="Grafik")

    result = _send(x_channel, x_credentials, _post([broken]))

    assert result.status == "failed" and "not an image" in result.reason


def test_nobody_listening_is_retried(unused_port, x_credentials):
    channel = XChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=0.5)

    for message in (_post(), _post(_charts(1))):
        result = _send(channel, x_credentials, message)
        assert result.status == "retry"
        assert "could not connect" in result.reason and "refused" in result.reason.lower()


# Retraction ------------------------------------------------------------------------------------
def test_retraction_deletes_the_post_and_again_is_fine(x_server, x_channel, x_credentials):
    post = _send(x_channel, x_credentials, _post(_charts(2)))
    other = _send(x_channel, x_credentials, _post(text="Tetap tayang"))

    first = x_channel.retract(x_credentials, post.external_id)
    second = x_channel.retract(x_credentials, post.external_id)

    assert first.status == "sent", first.reason
    assert second.status == "sent", second.reason  # already gone counts as gone
    deletes = [r for r in x_server.requests if r.method == "DELETE"]
    assert [(r.path, r.status) for r in deletes] == [(f"/2/tweets/{post.external_id}", 200),
                                                     (f"/2/tweets/{post.external_id}", 404)]
    assert all(r.signed for r in deletes)
    assert x_server.deleted == [post.external_id]
    assert list(x_server.tweets) == [other.external_id]


def test_retraction_refused_is_failed(x_server, x_channel, x_credentials):
    post = _send(x_channel, x_credentials, _post())

    wrong = {**x_credentials, "access_token_secret": "wrong-secret-1234"}
    result = x_channel.retract(wrong, post.external_id)

    assert result.status == "failed" and "401" in result.reason
    assert len(x_server.tweets) == 1


def test_retraction_of_something_not_an_x_id_is_failed(x_server, x_channel, x_credentials):
    result = x_channel.retract(x_credentials, "-1001234:55")

    assert result.status == "failed" and x_server.requests == []


# Account check ---------------------------------------------------------------------------------
def test_check_account_names_the_account(x_server, x_channel, x_credentials):
    check = x_channel.check_account(x_credentials)

    assert check.ok and check.reachable and check.display_name == "@jatengprov_fake"
    [request] = x_server.requests
    assert (request.method, request.path, request.signed) == ("GET", "/2/users/me", True)


def test_check_account_with_bad_credentials_is_not_ok(x_server, x_channel, x_credentials):
    check = x_channel.check_account({**x_credentials, "api_secret": "not-the-secret-0000"})

    assert not check.ok and check.reachable
    assert "401" in check.reason


def test_check_account_without_credits_is_not_ok(x_server, x_channel, x_credentials):
    x_server.fail_next("402")

    check = x_channel.check_account(x_credentials)

    assert not check.ok and check.reachable and "credits" in check.reason


@pytest.mark.parametrize("where", ["nobody listening", "503"])
def test_check_account_when_x_cannot_be_asked(x_server, x_credentials, unused_port, where):
    if where == "503":
        x_server.fail_next("503")
        channel = XChannel(base_url=x_server.base_url, timeout=2)
    else:
        channel = XChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=0.5)

    check = channel.check_account(x_credentials)

    assert not check.ok and not check.reachable and check.reason


# The fake and the registry ---------------------------------------------------------------------
def test_the_fake_really_verifies_signatures(x_server, x_credentials):
    """A tampered or replayed request is refused: a pass above means the signature was right."""
    auth = OAuth1(
        x_credentials["api_key"],
        client_secret=x_credentials["api_secret"],
        resource_owner_key=x_credentials["access_token"],
        resource_owner_secret=x_credentials["access_token_secret"],
    )
    tweets = f"{x_server.base_url}/2/tweets"
    with requests.Session() as http:
        signed = requests.Request("POST", tweets, data={"text": "form-signed"}, auth=auth).prepare()
        assert http.send(signed).status_code == 400  # signature fine (X wants JSON, not a form)
        assert http.send(signed).status_code == 401  # the same nonce twice
        tampered = requests.Request("POST", tweets, data={"text": "form-signed"}, auth=auth).prepare()
        tampered.body = "text=changed"
        tampered.headers["Content-Length"] = str(len(tampered.body))
        assert http.send(tampered).status_code == 401  # the form body is part of the signature
        moved = requests.Request("GET", f"{x_server.base_url}/2/users/me", auth=auth).prepare()
        moved.url = moved.url.replace("/users/me", "/users/me?x=1")
        assert http.send(moved).status_code == 401  # the query is part of the signature
        json_body = requests.Request("POST", tweets, json={"text": "json"}, auth=auth).prepare()
        json_body.body = b'{"text": "json, changed"}'
        json_body.headers["Content-Length"] = str(len(json_body.body))
        assert http.send(json_body).status_code == 201  # a JSON body is not signed (RFC 5849)


def test_registry_builds_x_from_configuration(x_server, x_credentials, tmp_path):
    config = {"X_API_BASE": x_server.base_url, "X_TIMEOUT": "2", "STORAGE_PATH": str(tmp_path)}

    channel = build_channel("x", config)
    result = _send(channel, x_credentials, _post(text="Dari registri"))

    assert isinstance(channel, XChannel)
    assert channel.timeout == 2
    assert result.status == "sent"
    assert channel.rate_limit.per_second == pytest.approx(100 / 900)
    for sandboxed in ({**config, "X_API_BASE": ""}, {**config, "SANDBOX_CHANNELS": "x"}):
        stand_in = build_channel("x", sandboxed)
        assert isinstance(stand_in, SandboxChannel) and stand_in.stands_for == "x"

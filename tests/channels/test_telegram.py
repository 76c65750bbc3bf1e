"""The Telegram adapter end to end against a local fake Bot API (multipart parsed by werkzeug)."""

from __future__ import annotations

import json
import time

import pytest

from pressroom.channels.base import Message
from pressroom.channels.registry import build_channel
from pressroom.channels.sandbox import SandboxChannel
from pressroom.channels.telegram import TelegramChannel
from tests.channels.conftest import jpeg

CAPTION = "Produksi padi Jawa Tengah 2024 mencapai 9,08 juta ton. #DataJateng"


def _post(images=(), text=CAPTION, delivery_id=1, recipient=None) -> Message:
    return Message(
        delivery_id=delivery_id, kind="publish", text=text, images=list(images), recipient=recipient
    )


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


def test_single_photo_with_caption(telegram_server, telegram_channel, telegram_credentials):
    image = jpeg(1080, 1350, name="padi.jpg")

    result = _send(telegram_channel, telegram_credentials, _post([image]))

    assert result.status == "sent", result.reason
    [request] = telegram_server.requests
    assert request.method == "sendPhoto"
    assert request.params["chat_id"] == "@jatengprov_fake"
    assert request.params["caption"] == CAPTION
    assert "parse_mode" not in request.params
    assert request.files["photo"].filename == "padi.jpg"
    assert request.files["photo"].data == image.data
    [posted] = telegram_server.posted.values()
    assert posted["caption"] == CAPTION
    assert posted["photo"][-1]["width"] == 1024  # Telegram's largest size for a 1080×1350 upload
    message_id = posted["message_id"]
    assert result.external_id == f"-1001234567890:{message_id}"
    assert result.external_url == f"https://t.me/jatengprov_fake/{message_id}"


def test_album_of_three_with_the_caption_on_the_first(
    telegram_server, telegram_channel, telegram_credentials
):
    images = [jpeg(name=f"grafik-{n}.jpg", color=color) for n, color in enumerate(("red", "green", "blue"))]

    result = _send(telegram_channel, telegram_credentials, _post(images))

    assert result.status == "sent", result.reason
    [request] = telegram_server.requests
    assert request.method == "sendMediaGroup"
    media = json.loads(request.params["media"])
    assert [item["media"] for item in media] == ["attach://photo0", "attach://photo1", "attach://photo2"]
    assert media[0]["caption"] == CAPTION
    assert all("caption" not in item for item in media[1:])
    assert [request.files[f"photo{n}"].data for n in range(3)] == [image.data for image in images]
    posted = sorted(telegram_server.posted.values(), key=lambda message: message["message_id"])
    assert len(posted) == 3
    assert len({message["media_group_id"] for message in posted}) == 1
    ids = [str(message["message_id"]) for message in posted]
    assert result.external_id == "-1001234567890:" + ",".join(ids)
    assert result.external_url == f"https://t.me/jatengprov_fake/{ids[0]}"


def test_text_only_post(telegram_server, telegram_channel, telegram_credentials):
    result = _send(
        telegram_channel, telegram_credentials, _post(text="Pengumuman: layanan tutup 17 Agustus.")
    )

    assert result.status == "sent"
    [request] = telegram_server.requests
    assert request.method == "sendMessage"
    assert request.params["text"] == "Pengumuman: layanan tutup 17 Agustus."
    assert [m["text"] for m in telegram_server.posted.values()] == ["Pengumuman: layanan tutup 17 Agustus."]


def test_numeric_chat_id_still_gives_a_public_link(telegram_server, telegram_channel):
    credentials = {"bot_token": telegram_server.token, "chat_id": str(telegram_server.chat["id"])}

    result = _send(telegram_channel, credentials, _post(text="Halo"))

    assert result.status == "sent"
    assert result.external_url.startswith("https://t.me/jatengprov_fake/")


def test_caption_too_long_is_failed_and_nothing_posted(
    telegram_server, telegram_channel, telegram_credentials
):
    result = _send(telegram_channel, telegram_credentials, _post([jpeg()], text="a" * 1025))

    assert result.status == "failed"
    assert "message caption is too long" in result.reason
    assert telegram_server.posted == {}


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"bot_token": "123456789:wrong", "chat_id": "@jatengprov_fake"}, "Unauthorized"),
        ({"bot_token": None, "chat_id": "@elsewhere"}, "no bot token"),
        ("fake-token", "chat not found"),
    ],
)
def test_refusals_are_failed(telegram_server, telegram_channel, credentials, expected):
    if credentials == "fake-token":
        credentials = {"bot_token": telegram_server.token, "chat_id": "@elsewhere"}

    result = _send(telegram_channel, credentials, _post([jpeg()]))

    assert result.status == "failed"
    assert expected in result.reason
    assert telegram_server.posted == {}


def test_429_is_retried_after_the_time_telegram_asks(telegram_server, telegram_channel, telegram_credentials):
    telegram_server.fail_next("429", retry_after=11)

    with telegram_channel.session(telegram_credentials) as batch:
        slowed = telegram_channel.send(batch, _post([jpeg()]))
        later = telegram_channel.send(batch, _post([jpeg()]))

    assert slowed.status == "retry"
    assert slowed.retry_after == 11
    assert "Too Many Requests" in slowed.reason
    assert later.status == "sent"
    assert len(telegram_server.posted) == 1


@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_a_server_error_is_unknown_because_telegram_may_have_posted(
    telegram_server, telegram_channel, telegram_credentials, fault
):
    telegram_server.fail_next(fault)

    result = _send(telegram_channel, telegram_credentials, _post([jpeg()]))

    assert result.status == "unknown"
    assert "check the channel" in result.reason
    assert telegram_server.requests[0].status == int(fault)


def test_applied_then_failed_is_unknown_and_was_really_posted(
    telegram_server, telegram_channel, telegram_credentials
):
    telegram_server.fail_next("apply_then_fail")

    result = _send(telegram_channel, telegram_credentials, _post([jpeg(), jpeg(color="red")]))

    assert result.status == "unknown"
    assert len(telegram_server.posted) == 2  # the album is live although the answer said 500


def test_timeout_after_sending_is_unknown(telegram_server, telegram_credentials):
    impatient = TelegramChannel(base_url=telegram_server.base_url, timeout=0.3)
    telegram_server.fail_next("slow", delay=1.0)

    started = time.monotonic()
    result = _send(impatient, telegram_credentials, _post([jpeg()]))

    assert result.status == "unknown"
    assert "did not answer" in result.reason
    assert time.monotonic() - started < 0.9  # gave up before the server answered
    assert _wait_until(lambda: len(telegram_server.posted) == 1), "the slow request was applied after all"


def test_nobody_listening_is_retried(unused_port, telegram_credentials):
    channel = TelegramChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=0.5)

    result = _send(channel, telegram_credentials, _post([jpeg()]))

    assert result.status == "retry"
    assert "could not connect" in result.reason and "refused" in result.reason.lower()


def test_retraction_deletes_every_message_of_an_album(
    telegram_server, telegram_channel, telegram_credentials
):
    album = _send(
        telegram_channel, telegram_credentials, _post([jpeg(), jpeg(color="red"), jpeg(color="blue")])
    )
    other = _send(telegram_channel, telegram_credentials, _post(text="Tetap tayang"))

    result = telegram_channel.retract(telegram_credentials, album.external_id)

    assert result.status == "sent", result.reason
    deletes = telegram_server.requests_for("deleteMessage")
    album_ids = album.external_id.split(":")[1].split(",")
    assert [request.params["message_id"] for request in deletes] == album_ids
    assert [request.params["chat_id"] for request in deletes] == ["-1001234567890"] * 3
    assert list(telegram_server.posted) == [int(other.external_id.split(":")[1])]


def test_retraction_counts_an_already_deleted_message_as_done(
    telegram_server, telegram_channel, telegram_credentials
):
    album = _send(telegram_channel, telegram_credentials, _post([jpeg(), jpeg(color="red")]))
    first_id = album.external_id.split(":")[1].split(",")[0]
    telegram_channel.retract(telegram_credentials, f"-1001234567890:{first_id}")

    result = telegram_channel.retract(telegram_credentials, album.external_id)

    assert result.status == "sent"
    assert telegram_server.posted == {}


def test_retraction_refused_is_failed_with_the_description(
    telegram_server, telegram_channel, telegram_credentials
):
    post = _send(telegram_channel, telegram_credentials, _post(text="Halo"))

    result = telegram_channel.retract({"bot_token": "123456789:wrong"}, post.external_id)

    assert result.status == "failed"
    assert "Unauthorized" in result.reason
    assert len(telegram_server.posted) == 1


def test_registry_builds_telegram_from_configuration(telegram_server, telegram_credentials, tmp_path):
    config = {
        "TELEGRAM_API_BASE": telegram_server.base_url,
        "TELEGRAM_TIMEOUT": "1",
        "STORAGE_PATH": str(tmp_path),
    }

    channel = build_channel("telegram", config)
    result = _send(channel, telegram_credentials, _post(text="Dari registri"))

    assert isinstance(channel, TelegramChannel)
    assert result.status == "sent"
    assert channel.rate_limit.per_second == pytest.approx(1 / 3)
    for sandboxed in ({**config, "TELEGRAM_API_BASE": ""}, {**config, "SANDBOX_CHANNELS": "*"}):
        stand_in = build_channel("telegram", sandboxed)
        assert isinstance(stand_in, SandboxChannel) and stand_in.stands_for == "telegram"


def test_check_account_asks_getme_and_the_bots_membership(telegram_channel, telegram_server,
                                                          telegram_credentials, unused_port):
    from pressroom.channels.telegram import TelegramChannel

    works = telegram_channel.check_account(telegram_credentials)
    assert works.ok and works.display_name == "@pressroom_uji_bot" and works.expires_at is None

    telegram_server.bot_member = {"status": "administrator", "can_post_messages": False}
    muted = telegram_channel.check_account(telegram_credentials)
    assert not muted.ok and muted.reachable and "may not post" in muted.reason

    telegram_server.bot_member = {"status": "left"}
    assert "not in" in telegram_channel.check_account(telegram_credentials).reason

    refused = telegram_channel.check_account({**telegram_credentials, "bot_token": "1:revoked"})
    assert not refused.ok and refused.reachable and "Unauthorized" in refused.reason

    down = TelegramChannel(base_url=f"http://127.0.0.1:{unused_port}", timeout=1).check_account(
        telegram_credentials)
    assert not down.ok and not down.reachable

"""The Indonesian WhatsApp gateways (Fonnte, Wablas) end to end against local fakes: request
formats, numbers, "status": false, 429, doubt, pacing, the account check, and their
incoming-message webhooks."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

import pressroom.channels.wa_gateway as wa_gateway
from pressroom.channels.base import Image, Message
from pressroom.channels.wa_gateway import (
    FonnteChannel,
    WablasChannel,
    gateway_number,
    parse_fonnte_inbound,
    parse_wablas_inbound,
    verify_shared_secret,
)
from pressroom.channels.whatsapp import InboundMessage
from tests.fakes.whatsapp_server import FakeFonnte, FakeWablas

ALERT = (
    "SIARAN PERS — Produksi padi Jawa Tengah 2024 capai 9,08 juta ton.\n\n"
    "Teks lengkap: https://pressroom.jatengprov.go.id/pers/produksi-padi-2024\n"
    "Foto: https://pressroom.jatengprov.go.id/pers/produksi-padi-2024/foto"
)
PHOTO_URL = "https://pressroom.jatengprov.go.id/media/infografis-padi-2024.jpg"


@pytest.fixture
def fonnte():
    with FakeFonnte() as server:
        yield server


@pytest.fixture
def wablas():
    with FakeWablas() as server:
        yield server


@pytest.fixture
def fonnte_channel(fonnte):
    return FonnteChannel(base_url=fonnte.base_url, token=fonnte.token, delay_seconds=6, timeout=3,
                         connect_timeout=1)


@pytest.fixture
def wablas_channel(wablas):
    return WablasChannel(base_url=wablas.base_url, token=wablas.token, secret_key=wablas.secret_key,
                         delay_seconds=10, timeout=3, connect_timeout=1)


def _alert(recipient="+6281234567890", images=(), text=ALERT) -> Message:
    return Message(delivery_id=1, kind="press", text=text, recipient=recipient, images=list(images))


def _send(channel, message, credentials=None):
    with channel.session(credentials) as batch:
        return channel.send(batch, message)


def test_the_module_says_plainly_what_a_gateway_risks():
    words = " ".join(wa_gateway.__doc__.split())

    assert "unofficial" in words
    assert "WhatsApp can ban the sending number" in words
    assert "UU No. 27 Tahun 2022" in words and "perjanjian pemrosesan data" in words


# Fonnte ------------------------------------------------------------------------------------
def test_fonnte_gets_the_full_text_and_international_digits(fonnte, fonnte_channel):
    result = _send(fonnte_channel, _alert())

    assert result.status == "sent", result.reason
    [request] = fonnte.requests
    assert (request.verb, request.path) == ("POST", "/send")
    assert request.headers["Authorization"] == fonnte.token
    assert request.body == {"target": "6281234567890", "message": ALERT, "countryCode": "0"}
    assert fonnte.queued == [
        {"target": "6281234567890", "message": ALERT, "url": "", "id": result.external_id}
    ]
    assert result.external_id == "80367170"


def test_fonnte_sends_the_first_image_by_its_link(fonnte, fonnte_channel):
    images = [Image(data=b"", public_url=PHOTO_URL), Image(data=b"", public_url=PHOTO_URL + "?2")]

    result = _send(fonnte_channel, _alert(images=images))

    assert result.status == "sent"
    assert fonnte.requests[0].body["url"] == PHOTO_URL
    assert fonnte.queued[0]["message"] == ALERT


def test_a_foreign_number_stays_foreign_at_fonnte(fonnte, fonnte_channel):
    # Fonnte would turn a leading 0 into 62; countryCode=0 keeps a Singapore number as it is.
    result = _send(fonnte_channel, _alert(recipient="+6591234567"))

    assert result.status == "sent"
    assert fonnte.queued[0]["target"] == "6591234567"


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("refused", "Fonnte refused the message: target not registered on whatsapp"),
        ("disconnected", "disconnected device — the sending phone is not linked to Fonnte: scan its QR code"),
        ("token", "Fonnte refused the message: invalid token"),
    ],
)
def test_fonnte_status_false_is_failed_with_its_reason(fonnte, fonnte_channel, setup, expected):
    credentials = None
    if setup == "refused":
        fonnte.refused["6281234567890"] = "target not registered on whatsapp"
    elif setup == "disconnected":
        fonnte.connected = False
    else:
        credentials = {"token": "someone-elses-token"}

    result = _send(fonnte_channel, _alert(), credentials)

    assert result.status == "failed"
    assert expected in result.reason
    assert fonnte.requests[0].status == 200  # HTTP 200, and still a failure
    assert fonnte.queued == []


# Wablas ------------------------------------------------------------------------------------
def test_wablas_text_with_token_and_secret_key(wablas, wablas_channel):
    result = _send(wablas_channel, _alert())

    assert result.status == "sent", result.reason
    [request] = wablas.requests
    assert (request.verb, request.path) == ("POST", "/api/send-message")
    assert request.headers["Authorization"] == f"{wablas.token}.{wablas.secret_key}"
    assert request.body == {"phone": "6281234567890", "message": ALERT}
    assert result.external_id == request.response["data"]["messages"][0]["id"]


def test_wablas_image_goes_to_send_image_with_the_text_as_caption(wablas, wablas_channel):
    result = _send(wablas_channel, _alert(images=[Image(data=b"", public_url=PHOTO_URL)]))

    assert result.status == "sent", result.reason
    [request] = wablas.requests
    assert request.path == "/api/send-image"
    assert request.body == {"phone": "6281234567890", "image": PHOTO_URL, "caption": ALERT}


def test_wablas_without_a_secret_key_sends_the_token_alone():
    with FakeWablas(secret_key="") as server:
        channel = WablasChannel(base_url=server.base_url, token=server.token, timeout=3)
        result = _send(channel, _alert())

        assert result.status == "sent", result.reason
        assert server.requests[0].headers["Authorization"] == server.token


@pytest.mark.parametrize(
    ("setup", "expected"),
    [("token", "token invalid"), ("disconnected", "scan its QR code"),
     ("refused", "phone number not active")],
)
def test_wablas_status_false_is_failed_with_its_message(wablas, wablas_channel, setup, expected):
    credentials = None
    if setup == "token":
        credentials = {"token": wablas.token, "secret_key": "wrong-secret"}
    elif setup == "disconnected":
        wablas.connected = False
    else:
        wablas.refused["6281234567890"] = "phone number not active"

    result = _send(wablas_channel, _alert(), credentials)

    assert result.status == "failed"
    assert result.reason.startswith("Wablas refused the message:")
    assert expected in result.reason
    assert wablas.queued == []


# Both --------------------------------------------------------------------------------------
@pytest.fixture(params=["fonnte", "wablas"])
def gateway(request, fonnte, wablas, fonnte_channel, wablas_channel):
    return (fonnte, fonnte_channel) if request.param == "fonnte" else (wablas, wablas_channel)


@pytest.mark.parametrize(("retry_after", "expected"), [(30, 30.0), (None, 60.0)])
def test_429_is_retried_after_a_delay(gateway, retry_after, expected):
    server, channel = gateway
    server.fail_next("429", retry_after=retry_after)

    with channel.session() as batch:
        slowed = channel.send(batch, _alert())
        later = channel.send(batch, _alert())

    assert slowed.status == "retry"
    assert slowed.retry_after == expected
    assert "asked to slow down" in slowed.reason
    assert later.status == "sent"
    assert len(server.queued) == 1


@pytest.mark.parametrize("fault", ["500", "502", "apply_then_fail"])
def test_a_server_error_is_unknown(gateway, fault):
    server, channel = gateway
    server.fail_next(fault)

    result = _send(channel, _alert())

    assert result.status == "unknown"
    assert "may be queued" in result.reason
    assert len(server.queued) == (1 if fault == "apply_then_fail" else 0)


def test_a_timeout_after_sending_is_unknown(gateway):
    server, channel = gateway
    if isinstance(channel, WablasChannel):
        impatient = WablasChannel(base_url=server.base_url, token=server.token, secret_key=server.secret_key,
                                  timeout=0.3)
    else:
        impatient = FonnteChannel(base_url=server.base_url, token=server.token, timeout=0.3)
    server.fail_next("slow", delay=1.0)

    started = time.monotonic()
    result = _send(impatient, _alert())

    assert result.status == "unknown"
    assert "did not answer in time" in result.reason
    assert time.monotonic() - started < 0.9
    deadline = time.monotonic() + 2
    while not server.queued and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(server.queued) == 1  # the gateway queued it after all


def test_nobody_listening_is_retried(unused_port):
    for channel in (FonnteChannel(base_url=f"http://127.0.0.1:{unused_port}", token="t", timeout=0.5),
                    WablasChannel(base_url=f"http://127.0.0.1:{unused_port}", token="t", timeout=0.5)):
        result = _send(channel, _alert())

        assert result.status == "retry"
        assert "could not connect" in result.reason and "refused" in result.reason.lower()


def test_what_cannot_be_sent_is_failed_without_asking_the_gateway(gateway):
    server, channel = gateway

    not_e164 = _send(channel, _alert(recipient="081234567890"))
    no_link = _send(channel, _alert(images=[Image(data=b"\xff\xd8")]))
    empty = _send(channel, _alert(text="  "))
    no_token = _send(type(channel)(base_url=server.base_url), _alert())

    assert [r.status for r in (not_e164, no_link, empty, no_token)] == ["failed"] * 4
    assert "E.164" in not_e164.reason
    assert "public URL" in no_link.reason
    assert "no device token" in no_token.reason
    assert server.requests == []


def test_the_configured_delay_becomes_the_rate_limit(fonnte_channel, wablas_channel):
    assert fonnte_channel.rate_limit.per_second == pytest.approx(1 / 6)
    assert wablas_channel.rate_limit.per_second == pytest.approx(1 / 10)
    assert FonnteChannel(token="t").rate_limit.per_second == pytest.approx(1 / 5)  # Fonnte's own default
    assert FonnteChannel(token="t", delay_seconds=2.5).delay_seconds == 2.5
    with pytest.raises(ValueError):
        FonnteChannel(token="t", delay_seconds=0)
    with pytest.raises(ValueError):
        WablasChannel(base_url="", token="t")


def test_gateways_cannot_retract(fonnte_channel, wablas_channel):
    assert fonnte_channel.retract({}, "80367170").status == "failed"
    assert wablas_channel.retract({}, "uuid").status == "failed"


def test_gateway_numbers_come_from_e164():
    assert gateway_number("+6281234567890") == "6281234567890"
    assert gateway_number("+62 24 3546789") == "62243546789"
    with pytest.raises(ValueError):
        gateway_number("0812-3456-7890")


# The account check ---------------------------------------------------------------------------
def test_fonnte_account_check(fonnte, fonnte_channel):
    linked = fonnte_channel.check_account()
    fonnte.connected = False
    unlinked = fonnte_channel.check_account()
    wrong = fonnte_channel.check_account({"token": "nope"})

    assert (linked.ok, linked.display_name) == (True, "Humas Jateng (uji) (6281390000001)")
    assert linked.expires_at == datetime(2029, 11, 17, 17, 0, tzinfo=UTC)  # 18 November 2029, 00.00 WIB
    assert (unlinked.ok, unlinked.reachable) == (False, True) and "scan the QR code" in unlinked.reason
    assert (wrong.ok, wrong.reachable) == (False, True) and "token invalid" in wrong.reason
    assert fonnte.requests[0].path == "/device"


def test_wablas_account_check(wablas, wablas_channel, unused_port):
    linked = wablas_channel.check_account()
    wablas.connected = False
    unlinked = wablas_channel.check_account()
    away = WablasChannel(base_url=f"http://127.0.0.1:{unused_port}", token="t", timeout=0.5).check_account()

    assert (linked.ok, linked.display_name) == (True, "Humas Jateng (uji) (6281390000002)")
    assert linked.expires_at == datetime(2027, 4, 7, 17, 0, tzinfo=UTC)
    assert wablas.requests[0].params == {"token": wablas.token}
    assert (unlinked.ok, unlinked.reachable) == (False, True) and "scan the QR code" in unlinked.reason
    assert (away.ok, away.reachable) == (False, False)


# Incoming messages -------------------------------------------------------------------------
def test_fonnte_inbound_text_and_image(fonnte):
    text = parse_fonnte_inbound(fonnte.inbound("6281234567890", "Lampu jalan di Jl. Pandanaran mati",
                                               name="Sri Wahyuni"))
    image = parse_fonnte_inbound(json.dumps(fonnte.inbound(
        "6289512345678", "ini fotonya", kind="image", url="https://server.fonnte.com/image.php?x=1",
        extension="jpg")).encode())

    assert isinstance(text, InboundMessage)
    assert (text.provider, text.wa_id, text.phone, text.name, text.kind) == (
        "fonnte", "6281234567890", "+6281234567890", "Sri Wahyuni", "text")
    assert text.text == "Lampu jalan di Jl. Pandanaran mati"
    assert text.timestamp is None and text.message_id is None  # Fonnte sends neither
    assert text.business_number == fonnte.device
    assert (image.kind, image.media_url, image.media_type, image.phone) == (
        "image", "https://server.fonnte.com/image.php?x=1", "image/jpeg", "+6289512345678")


def test_fonnte_inbound_skips_groups_and_empty_posts(fonnte):
    assert parse_fonnte_inbound(fonnte.inbound("6281234567890", "rapat jam 9", group=True)) is None
    assert parse_fonnte_inbound({"device": fonnte.device, "message": "?"}) is None
    form = {key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in fonnte.inbound("6281234567890", "halo").items()}
    assert parse_fonnte_inbound(form).text == "halo"  # the same fields posted as a form
    with pytest.raises(ValueError):
        parse_fonnte_inbound(b"sender=62812&message=halo")


def test_wablas_inbound_text_and_image(wablas):
    text = parse_wablas_inbound(wablas.inbound("6281234567890", "Sampah menumpuk di pasar", name="Agus"))
    image = parse_wablas_inbound(wablas.inbound("6289512345678", "", kind="image",
                                                url="https://bdg.wablas.com/uploads/abc.jpeg",
                                                mime_type="image/jpeg", timestamp="1741000000"))

    assert (text.provider, text.phone, text.name, text.text, text.kind) == (
        "wablas", "+6281234567890", "Agus", "Sampah menumpuk di pasar", "text")
    assert text.timestamp == datetime(2025, 3, 31, 2, 15, 45, tzinfo=UTC)
    assert text.message_id and text.business_number == wablas.device
    assert (image.kind, image.text, image.media_url, image.media_type) == (
        "image", "", "https://bdg.wablas.com/uploads/abc.jpeg", "image/jpeg")
    assert image.timestamp == datetime.fromtimestamp(1741000000, UTC)


def test_wablas_inbound_skips_groups_and_the_devices_own_messages(wablas):
    assert parse_wablas_inbound(wablas.inbound("6281234567890", "halo grup", group=True)) is None
    assert parse_wablas_inbound(wablas.inbound("6281234567890", "balasan kami", from_me=True)) is None
    as_strings = {**wablas.inbound("6281234567890", "halo"), "isFromMe": "false", "isGroup": "false"}
    assert parse_wablas_inbound(as_strings).text == "halo"


def test_gateway_webhook_secret_in_the_url():
    assert verify_shared_secret("s3cr3t-jateng", "s3cr3t-jateng")
    assert not verify_shared_secret("s3cr3t-jateng", "s3cr3t-jatenG")
    assert not verify_shared_secret("s3cr3t-jateng", None)
    assert not verify_shared_secret("", "")  # no secret configured: nothing is trusted

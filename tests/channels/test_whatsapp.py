"""The WhatsApp Cloud API adapter end to end against a local fake Cloud API, and the webhook
helpers (signature, subscription handshake, statuses and inbound messages) against webhooks
the fake posts to a local receiver."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from pressroom.channels.base import Image, Message
from pressroom.channels.whatsapp import (
    NOT_ON_WHATSAPP,
    OUTSIDE_WINDOW,
    InboundMessage,
    StatusEvent,
    WhatsAppCloudChannel,
    e164_from_wa_id,
    failure_marker,
    parse_webhook,
    template_headers,
    verify_signature,
    verify_subscription,
    wa_id,
)
from tests.fakes.whatsapp_server import FakeWhatsAppCloud, WebhookSink

PHOTO_URL = "https://pressroom.jatengprov.go.id/media/infografis-padi-2024.jpg"
JOURNALIST = "+6281234567890"
RELEASE = ["Produksi padi Jawa Tengah 2024 capai 9,08 juta ton", "Dinas Pertanian",
           "Senin, 3 Maret 2025, 10.00 WIB"]


@pytest.fixture
def cloud():
    with FakeWhatsAppCloud() as server:
        yield server


@pytest.fixture
def channel(cloud):
    return WhatsAppCloudChannel(base_url=cloud.base_url, version=cloud.version,
                                phone_number_id=cloud.phone_number_id, access_token=cloud.access_token,
                                timeout=3, connect_timeout=1)


def _alert(recipient=JOURNALIST, images=None, **headers) -> Message:
    if images is None:
        images = [Image(data=b"", public_url=PHOTO_URL)]
    return Message(
        delivery_id=1, kind="press", text="(teks lengkap di tautan)", recipient=recipient, images=images,
        headers=template_headers("siaran_pers", RELEASE, url_buttons=["produksi-padi-2024"]) | headers,
    )


def _text(text="Terima kasih, aduan Anda kami terima.", recipient=JOURNALIST, images=()) -> Message:
    return Message(delivery_id=2, kind="transactional", text=text, recipient=recipient, images=list(images))


def _send(channel, message, credentials=None):
    with channel.session(credentials or {}) as batch:
        return channel.send(batch, message)


def _sends(cloud):
    return [r for r in cloud.requests if r.path.endswith("/messages")]


# What is sent ------------------------------------------------------------------------------
def test_template_with_image_header_parameters_and_link_arrives_as_meta_documents(cloud, channel):
    result = _send(channel, _alert())

    assert result.status == "sent", result.reason
    [request] = _sends(cloud)
    assert request.path == f"/v21.0/{cloud.phone_number_id}/messages"
    assert request.headers["Authorization"] == f"Bearer {cloud.access_token}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "template",
        "template": {
            "name": "siaran_pers",
            "language": {"code": "id"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": PHOTO_URL}}]},
                {"type": "body", "parameters": [{"type": "text", "text": value} for value in RELEASE]},
                {"type": "button", "sub_type": "url", "index": "0",
                 "parameters": [{"type": "text", "text": "produksi-padi-2024"}]},
            ],
        },
    }
    assert result.external_id.startswith("wamid.")
    assert cloud.accepted[result.external_id]["template"]["name"] == "siaran_pers"
    assert request.response["contacts"] == [{"input": "6281234567890", "wa_id": "6281234567890"}]


def test_template_without_header_in_another_language(cloud, channel):
    message = Message(delivery_id=3, kind="transactional", text="", recipient="+6289512345678",
                      headers=template_headers("balasan_aduan", ["LG-2025-00042", "selesai"], language="en"))

    result = _send(channel, message)

    assert result.status == "sent", result.reason
    template = _sends(cloud)[0].body["template"]
    assert template["language"] == {"code": "en"}
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "LG-2025-00042"},
                                        {"type": "text", "text": "selesai"}]}
    ]


def test_free_form_text_and_image_inside_the_window(cloud, channel):
    cloud.inbound_webhook("6281234567890", "Jalan di depan rumah saya berlubang")  # opens the 24-hour window

    text = _send(channel, _text())
    photo = _send(channel, _text("Foto perbaikan jalan", images=[Image(data=b"", public_url=PHOTO_URL)]))

    assert (text.status, photo.status) == ("sent", "sent")
    first, second = (request.body for request in _sends(cloud))
    assert first["type"] == "text"
    assert first["text"] == {"preview_url": True, "body": "Terima kasih, aduan Anda kami terima."}
    assert second["type"] == "image"
    assert second["image"] == {"link": PHOTO_URL, "caption": "Foto perbaikan jalan"}
    statuses = parse_webhook(cloud.take_status_webhook())
    assert [(event.status, event.failed) for event in statuses] == [("sent", False), ("delivered", False)] * 2


@pytest.mark.parametrize(
    ("e164", "digits"),
    [("+6281234567890", "6281234567890"), ("+62 812-3456-7890", "6281234567890"),
     ("+6591234567", "6591234567"), ("+622476543210", "622476543210")],
)
def test_stored_e164_goes_out_as_digits_without_the_plus(cloud, channel, e164, digits):
    assert wa_id(e164) == digits
    result = _send(channel, _alert(recipient=e164))

    assert result.status == "sent", result.reason
    assert _sends(cloud)[0].body["to"] == digits
    assert e164_from_wa_id(digits) == "+" + digits


def test_numbers_read_back_from_whatsapp_or_a_gateway():
    assert e164_from_wa_id("6281234567890") == "+6281234567890"
    assert e164_from_wa_id("081234567890") == "+6281234567890"  # a national number, read in Indonesia
    assert e164_from_wa_id("120363400835772540@g.us") is None  # a group, not a person
    assert e164_from_wa_id("") is None


@pytest.mark.parametrize("recipient", [None, "081234567890", "+62123", "+62 nomor"])
def test_a_recipient_that_is_not_e164_is_failed_without_asking_meta(cloud, channel, recipient):
    result = _send(channel, _alert(recipient=recipient))

    assert result.status == "failed"
    assert "cannot send on WhatsApp" in result.reason
    assert cloud.requests == []


def test_an_image_without_a_public_url_is_failed_without_asking_meta(cloud, channel):
    result = _send(channel, _alert(images=[Image(data=b"\xff\xd8")]))

    assert result.status == "failed"
    assert "public URL" in result.reason
    assert cloud.requests == []


def test_parameters_that_are_not_a_json_list_are_failed(cloud, channel):
    result = _send(channel, _alert(**{"whatsapp-body-params": "Judul, OPD, jam"}))

    assert result.status == "failed"
    assert "JSON list" in result.reason
    assert cloud.requests == []


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (_alert(images=[]), "132012"),  # the approved template has an image header
        (_alert(**{"whatsapp-template": "siaran_pers_lama"}), "132001"),
        (_alert(**{"whatsapp-body-params": json.dumps(RELEASE[:2])}), "132000"),
    ],
)
def test_template_refusals_are_failed_with_metas_words(cloud, channel, message, code):
    result = _send(channel, message)

    assert result.status == "failed"
    assert f"code {code}" in result.reason and "trace A" in result.reason
    assert failure_marker(result.reason) is None
    assert cloud.accepted == {}


# Not on WhatsApp, the 24-hour window ------------------------------------------------------------
def test_not_on_whatsapp_answered_at_once_is_failed_with_the_marker(cloud, channel):
    cloud.fail_next("131026")

    result = _send(channel, _alert(recipient="+6281299990000"))

    assert result.status == "failed"
    assert result.reason.startswith(f"{NOT_ON_WHATSAPP}:")
    assert failure_marker(result.reason) == NOT_ON_WHATSAPP
    assert "+6281299990000" in result.reason and "code 131026" in result.reason


def test_not_on_whatsapp_reported_on_the_webhook_marks_the_number(cloud, channel):
    cloud.not_on_whatsapp.add("6281299990000")

    accepted = _send(channel, _alert(recipient="+6281299990000"))
    [event] = parse_webhook(cloud.take_status_webhook())

    assert accepted.status == "sent"  # Meta accepts first, then says it could not deliver
    assert isinstance(event, StatusEvent)
    assert event.message_id == accepted.external_id
    assert (event.status, event.error_code, event.phone) == ("failed", 131026, "+6281299990000")
    assert event.not_on_whatsapp and not event.outside_window
    assert failure_marker(event.reason) == NOT_ON_WHATSAPP


def test_more_than_24_hours_answered_at_once_is_failed_with_a_clear_reason(cloud, channel):
    cloud.fail_next("131047")

    result = _send(channel, _text())

    assert result.status == "failed"
    assert failure_marker(result.reason) == OUTSIDE_WINDOW
    assert "more than 24 hours" in result.reason and "approved template" in result.reason


def test_free_form_outside_the_window_fails_on_the_webhook_and_a_template_goes_through(cloud, channel):
    free_form = _send(channel, _text(recipient="+6289512345678"))
    headers = template_headers("balasan_aduan", ["LG-2025-00042", "diproses"])
    reply = Message(delivery_id=4, kind="transactional", text="", recipient="+6289512345678", headers=headers)
    template = _send(channel, reply)
    events = parse_webhook(cloud.take_status_webhook())

    assert (free_form.status, template.status) == ("sent", "sent")
    failed = [event for event in events if event.failed]
    assert [event.message_id for event in failed] == [free_form.external_id]
    assert failed[0].outside_window and failure_marker(failed[0].reason) == OUTSIDE_WINDOW
    later = {event.status for event in events if event.message_id == template.external_id}
    assert later == {"sent", "delivered"}


# Slow down, doubt, no connection ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "retry_after", "expected"),
    [("429", 17, 17.0), ("429", None, 60.0), ("131056", None, 60.0), ("80007", None, 300.0)],
)
def test_rate_limits_are_retried_after_a_delay(cloud, channel, fault, retry_after, expected):
    cloud.fail_next(fault, retry_after=retry_after)

    with channel.session({}) as batch:
        slowed = channel.send(batch, _alert())
        later = channel.send(batch, _alert())

    assert slowed.status == "retry"
    assert slowed.retry_after == expected
    assert f"code {fault if fault != '429' else '130429'}" in slowed.reason
    assert later.status == "sent"
    assert len(cloud.accepted) == 1


@pytest.mark.parametrize("fault", ["500", "503"])
def test_a_server_error_is_unknown_because_the_message_may_have_gone_out(cloud, channel, fault):
    cloud.fail_next(fault)

    result = _send(channel, _alert())

    assert result.status == "unknown"
    assert "may have gone out" in result.reason
    assert cloud.accepted == {}


def test_accepted_then_failed_is_unknown_and_was_really_sent(cloud, channel):
    cloud.fail_next("apply_then_fail")

    result = _send(channel, _alert())

    assert result.status == "unknown"
    assert len(cloud.accepted) == 1


def test_a_timeout_after_sending_is_unknown(cloud):
    impatient = WhatsAppCloudChannel(base_url=cloud.base_url, phone_number_id=cloud.phone_number_id,
                                     access_token=cloud.access_token, timeout=0.3)
    cloud.fail_next("slow", delay=1.0)

    started = time.monotonic()
    result = _send(impatient, _alert())

    assert result.status == "unknown"
    assert "did not answer in time" in result.reason
    assert time.monotonic() - started < 0.9
    deadline = time.monotonic() + 2
    while not cloud.accepted and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(cloud.accepted) == 1  # the slow request went out after all


def test_nobody_listening_is_retried(unused_port, cloud):
    channel = WhatsAppCloudChannel(base_url=f"http://127.0.0.1:{unused_port}", phone_number_id="1",
                                   access_token="t", timeout=0.5)

    result = _send(channel, _alert())

    assert result.status == "retry"
    assert "could not connect" in result.reason and "refused" in result.reason.lower()


@pytest.mark.parametrize("how", ["expired", "wrong"])
def test_a_bad_token_is_failed(cloud, channel, how):
    if how == "expired":
        cloud.fail_next("190")
        credentials = {}
    else:
        credentials = {"access_token": "EAAG-someone-elses-token"}

    result = _send(channel, _alert(), credentials)

    assert result.status == "failed"
    assert "access token has expired or was revoked" in result.reason and "code 190" in result.reason
    assert cloud.accepted == {}


def test_account_credentials_win_over_the_configured_ones(cloud):
    unconfigured = WhatsAppCloudChannel(base_url=cloud.base_url, timeout=3)

    missing = _send(unconfigured, _alert())
    result = _send(unconfigured, _alert(), {"phone_number_id": cloud.phone_number_id,
                                            "access_token": cloud.access_token})

    assert missing.status == "failed" and "not set up" in missing.reason
    assert result.status == "sent"


def test_a_sent_message_cannot_be_retracted(channel):
    result = channel.retract({}, "wamid.HBgN123")

    assert result.status == "failed"
    assert "does not let a business delete" in result.reason


# The account check ---------------------------------------------------------------------------
def test_account_check_reads_the_business_number(cloud, channel):
    cloud.expires_at = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())

    check = channel.check_account({})

    assert check.ok and check.reachable and check.reason is None
    assert check.display_name == "Diskominfo Jateng (uji) (+62 24-8310000)"
    assert check.expires_at == datetime(2026, 6, 1, tzinfo=UTC)
    [read, _debug] = cloud.requests
    assert read.params["fields"] == "display_phone_number,verified_name,quality_rating"
    assert read.headers["Authorization"] == f"Bearer {cloud.access_token}"


def test_account_check_warns_about_a_red_quality_rating(cloud, channel):
    cloud.quality_rating = "RED"

    check = channel.check_account({})

    assert check.ok
    assert "quality rating is RED" in check.reason


def test_account_check_tells_refused_from_unreachable(cloud, channel, unused_port):
    refused = channel.check_account({"access_token": "EAAG-revoked"})
    away = WhatsAppCloudChannel(base_url=f"http://127.0.0.1:{unused_port}", phone_number_id="1",
                                access_token="t", timeout=0.5).check_account({})

    assert (refused.ok, refused.reachable) == (False, True)
    assert "code 190" in refused.reason
    assert (away.ok, away.reachable) == (False, False)


# Webhooks ----------------------------------------------------------------------------------
def _web_layer(app_secret, received):
    """What the web layer will do: check the signature, then read the events."""

    def handle(body: bytes, headers: dict[str, str]) -> int:
        if not verify_signature(app_secret, body, headers.get("X-Hub-Signature-256")):
            return 403
        received.extend(parse_webhook(body))
        return 200

    return handle


@pytest.mark.parametrize(("signature", "status"), [("valid", 200), ("forged", 403), ("missing", 403)])
def test_webhook_signature_valid_forged_or_missing(cloud, channel, signature, status):
    received: list = []
    _send(channel, _alert())
    body = cloud.take_status_webhook()

    with WebhookSink(_web_layer(cloud.app_secret, received)) as sink:
        answer = cloud.post_webhook(sink.url(), body, signature=signature)

    assert answer.status_code == status
    [delivery] = sink.deliveries
    assert delivery.body == body
    assert ("X-Hub-Signature-256" in delivery.headers) == (signature != "missing")
    assert [event.status for event in received] == (["sent", "delivered"] if status == 200 else [])


def test_signature_checks_the_exact_bytes_and_the_scheme(cloud):
    body = cloud.inbound_webhook("6281234567890", "Lampu jalan mati")
    header = cloud.sign(body)

    assert verify_signature(cloud.app_secret, body, header)
    assert verify_signature(cloud.app_secret, body, header.upper().replace("SHA256=", "sha256="))
    assert not verify_signature(cloud.app_secret, body.replace(b"mati", b"nyala"), header)  # tampered
    assert not verify_signature(cloud.app_secret, body, header.replace("sha256=", "sha1="))
    assert not verify_signature(cloud.app_secret, body, "sha256=")
    assert not verify_signature(cloud.app_secret, body, "sha256=zz\u00e9")
    assert not verify_signature("", body, header)  # no secret configured: nothing is trusted
    assert not verify_signature(cloud.app_secret, body, None)


def test_subscription_handshake():
    params = {"hub.mode": "subscribe", "hub.verify_token": "jateng-rahasia", "hub.challenge": "1158201444"}

    assert verify_subscription(params, "jateng-rahasia") == "1158201444"
    assert verify_subscription({**params, "hub.verify_token": "tebakan"}, "jateng-rahasia") is None
    assert verify_subscription({**params, "hub.mode": "unsubscribe"}, "jateng-rahasia") is None
    no_challenge = {key: value for key, value in params.items() if key != "hub.challenge"}
    assert verify_subscription(no_challenge, "jateng-rahasia") is None
    assert verify_subscription(params, "") is None


def test_inbound_text_and_image_messages_are_read(cloud):
    sent_at = int(datetime(2025, 3, 3, 3, 15, tzinfo=UTC).timestamp())
    text = parse_webhook(cloud.inbound_webhook("6281234567890", "Jalan di Jl. Pemuda rusak",
                                               name="Sri Wahyuni", at=sent_at))
    image = parse_webhook(cloud.inbound_webhook("6289512345678", "Ini fotonya", image_id="1479537139650973",
                                                reply_to="wamid.HBgNpriorAA=="))

    [first] = text
    assert isinstance(first, InboundMessage)
    assert (first.provider, first.wa_id, first.phone, first.name) == (
        "cloud", "6281234567890", "+6281234567890", "Sri Wahyuni")
    assert (first.kind, first.text, first.timestamp) == ("text", "Jalan di Jl. Pemuda rusak",
                                                         datetime(2025, 3, 3, 3, 15, tzinfo=UTC))
    assert first.message_id.startswith("wamid.") and first.business_number == cloud.phone_number_id
    [second] = image
    assert (second.kind, second.text, second.media_id, second.media_type) == (
        "image", "Ini fotonya", "1479537139650973", "image/jpeg")
    assert second.reply_to == "wamid.HBgNpriorAA=="
    assert second.phone == "+6289512345678"


def test_parse_webhook_skips_other_fields_and_refuses_what_is_not_json(cloud):
    update = {"event": "APPROVED", "message_template_name": "siaran_pers"}
    template_update = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": update}
    ]}]})
    mixed = json.loads(cloud.inbound_webhook("6281234567890", "Halo"))
    mixed["entry"][0]["changes"][0]["value"]["statuses"] = [
        {"id": "wamid.A", "status": "read", "timestamp": "1741000000", "recipient_id": "6281234567890"},
        {"status": "read"},  # no id: skipped
    ]

    assert parse_webhook(template_update) == []
    events = parse_webhook(mixed)
    assert [type(event).__name__ for event in events] == ["StatusEvent", "InboundMessage"]
    assert events[0].status == "read" and events[0].reason is None
    with pytest.raises(ValueError):
        parse_webhook(b"<html>not json</html>")
    with pytest.raises(ValueError):
        parse_webhook("[1, 2]")


def test_the_registry_builds_the_configured_provider_or_the_sandbox(tmp_path):
    from pressroom.channels.registry import build_channel
    from pressroom.channels.sandbox import SandboxChannel
    from pressroom.channels.wa_gateway import FonnteChannel, WablasChannel
    from pressroom.channels.whatsapp import WhatsAppCloudChannel

    base = {"STORAGE_PATH": str(tmp_path)}
    assert isinstance(build_channel("whatsapp", base), SandboxChannel)
    assert isinstance(build_channel("whatsapp", {**base, "WHATSAPP_PROVIDER": "cloud"}), WhatsAppCloudChannel)
    assert isinstance(build_channel("whatsapp", {**base, "WHATSAPP_PROVIDER": "fonnte"}), FonnteChannel)
    wablas = {**base, "WHATSAPP_PROVIDER": "wablas", "WABLAS_API_BASE": "https://solo.wablas.com"}
    assert isinstance(build_channel("whatsapp", wablas), WablasChannel)
    with pytest.raises(ValueError):
        build_channel("whatsapp", {**base, "WHATSAPP_PROVIDER": "wablas"})  # which server?

"""WhatsApp provider webhooks: the Cloud API's subscription handshake and signed delivery
statuses, and the gateways' (Fonnte, Wablas) status callbacks with their shared secret —
what each does to the press recipient and to the number in the directory, and that
nothing unauthenticated changes anything."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from pressroom import clock
from pressroom.models import (
    AuditEntry,
    Delivery,
    Journalist,
    JournalistPhone,
    PressRelease,
    ReleaseRecipient,
)
from tests.conftest import login, reload

APP_SECRET = "uji-app-secret-0123456789"
VERIFY_TOKEN = "uji-verify-token"
GATEWAY_SECRET = "uji-gateway-secret-9f8e7d"
NUMBER = "+6281234567890"
WA_ID = "6281234567890"
WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
T_SENT, T_DELIVERED, T_READ = 1_772_413_200, 1_772_413_260, 1_772_413_500  # 2026-03-02, WIB morning


@pytest.fixture
def app(app_factory):
    return app_factory(WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
                       WHATSAPP_GATEWAY_WEBHOOK_SECRET=GATEWAY_SECRET)


# Arranging ------------------------------------------------------------------------------------
@dataclass
class Sent:
    """A press release sent to one journalist on WhatsApp, as the outbox leaves it."""

    journalist_id: int
    phone_id: int
    recipient_id: int
    delivery_id: int
    message_id: str


def _release(session, factory):
    opd = factory.opd()
    author = factory.user("editor", opd)
    release = PressRelease(opd_id=opd.id, author_id=author.id, headline="Produksi padi naik",
                           state="approved")
    session.add(release)
    session.flush()
    return release


def _sent(session, release, message_id: str, *, number: str = NUMBER, name: str = "Budi Santoso") -> Sent:
    journalist = Journalist(full_name=name, sort_name=name.lower(), status="active")
    phone = JournalistPhone(e164=number, kind="mobile")
    journalist.phones.append(phone)
    session.add(journalist)
    session.flush()
    recipient = ReleaseRecipient(release_id=release.id, journalist_id=journalist.id, channel="whatsapp",
                                 address=number)
    session.add(recipient)
    session.flush()
    delivery = Delivery(kind="press", channel="whatsapp", subject_type="press_recipient",
                        subject_id=recipient.id, opd_id=release.opd_id, recipient=number, status="sent",
                        external_id=message_id, sent_at=clock.now(), attempts=1)
    session.add(delivery)
    session.commit()
    return Sent(journalist.id, phone.id, recipient.id, delivery.id, message_id)


@pytest.fixture
def sent(session, factory):
    return _sent(session, _release(session, factory), "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjAwMDAwMUFBAA==")


def _recipient(session, sent: Sent) -> ReleaseRecipient:
    reload(session)
    return session.get(ReleaseRecipient, sent.recipient_id)


def _phone(session, sent: Sent) -> JournalistPhone:
    reload(session)
    return session.get(JournalistPhone, sent.phone_id)


# Meta's webhook, as documented --------------------------------------------------------------------
def _status(message_id: str, status: str, at: int, *, recipient: str = WA_ID, error: int | None = None,
            title: str = "") -> dict:
    entry = {"id": message_id, "status": status, "timestamp": str(at), "recipient_id": recipient}
    if status in ("sent", "delivered"):
        entry["conversation"] = {"id": "0d2c1b9f6f1e4f1f8f0f", "origin": {"type": "utility"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
    if error is not None:
        entry["errors"] = [{"code": error, "title": title, "message": title,
                            "error_data": {"details": title},
                            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
    return entry


def _body(statuses=(), messages=(), contacts=()) -> bytes:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "62248310000", "phone_number_id": PHONE_NUMBER_ID}}
    if contacts:
        value["contacts"] = list(contacts)
    if statuses:
        value["statuses"] = list(statuses)
    if messages:
        value["messages"] = list(messages)
    envelope = {"object": "whatsapp_business_account",
                "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}
    return json.dumps(envelope).encode("utf-8")


def _sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(client, body: bytes, signature: str | None = "valid"):
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature == "valid":
        headers["X-Hub-Signature-256"] = _sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks/whatsapp", data=body, headers=headers)


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


# The subscription handshake -------------------------------------------------------------------
def test_subscription_handshake_echoes_the_challenge_for_our_verify_token(client):
    response = client.get("/webhooks/whatsapp", query_string={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1158201444"


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "not-ours", "hub.challenge": "1158201444"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
    {},
])
def test_subscription_handshake_refuses_anything_else(client, params):
    response = client.get("/webhooks/whatsapp", query_string=params)

    assert response.status_code == 403
    assert "1158201444" not in response.get_data(as_text=True)


def test_subscription_handshake_is_refused_without_a_configured_token(app_factory):
    client = app_factory(WHATSAPP_VERIFY_TOKEN="").test_client()

    response = client.get("/webhooks/whatsapp", query_string={
        "hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"})

    assert response.status_code == 403


# Signed statuses ------------------------------------------------------------------------------
def test_signed_statuses_record_delivery_and_reading_on_the_recipient(client, session, sent):
    response = _post(client, _body([_status(sent.message_id, "sent", T_SENT),
                                    _status(sent.message_id, "delivered", T_DELIVERED)]))

    assert response.status_code == 200
    recipient = _recipient(session, sent)
    assert recipient.delivered_at == _at(T_DELIVERED)
    assert recipient.read_at is None and recipient.provider_failure is None

    assert _post(client, _body([_status(sent.message_id, "read", T_READ)])).status_code == 200
    recipient = _recipient(session, sent)
    assert (recipient.delivered_at, recipient.read_at) == (_at(T_DELIVERED), _at(T_READ))


@pytest.mark.parametrize("signature", [
    _sign(b"something else"),                 # a signature of another body
    "sha256=" + "0" * 64,                     # made up
    None,                                     # missing
    "sha1=" + hashlib.sha1(b"x").hexdigest(),  # another scheme
])
def test_a_forged_or_missing_signature_is_refused_and_changes_nothing(client, session, sent, signature):
    body = _body([_status(sent.message_id, "read", T_READ)])
    forged = _sign(body, secret="not-" + APP_SECRET) if signature is None else signature

    for attempt in (forged, None):
        response = _post(client, body, signature=attempt)
        assert response.status_code == 403

    recipient = _recipient(session, sent)
    assert recipient.delivered_at is None and recipient.read_at is None


def test_a_body_changed_after_signing_is_refused(client, session, sent):
    body = _body([_status(sent.message_id, "delivered", T_DELIVERED)])
    signature = _sign(body)
    tampered = body.replace(b"delivered", b"read")

    response = _post(client, tampered, signature=signature)

    assert response.status_code == 403
    assert _recipient(session, sent).read_at is None


def test_without_an_app_secret_every_status_is_refused_and_logged(app_factory, caplog):
    app = app_factory(WHATSAPP_APP_SECRET="")
    body = _body([_status("wamid.X", "delivered", T_DELIVERED)])

    with caplog.at_level(logging.ERROR, logger="pressroom.web.webhooks"):
        response = _post(app.test_client(), body, signature=_sign(body, secret=""))

    assert response.status_code == 403
    assert any("WHATSAPP_APP_SECRET" in record.getMessage() for record in caplog.records)


def test_the_staff_cookie_neither_helps_nor_is_needed(client, factory, session, sent):
    # A logged-in staff member's browser cannot post a status: the signature alone counts,
    # and no CSRF token is asked of Meta.
    login(client, factory.user("editor", factory.opd()))
    body = _body([_status(sent.message_id, "delivered", T_DELIVERED)])

    assert _post(client, body, signature=None).status_code == 403
    assert _post(client, body).status_code == 200
    assert _recipient(session, sent).delivered_at == _at(T_DELIVERED)


def test_webhook_endpoints_are_token_authenticated(app):
    from pressroom.web import security

    assert {"webhooks.whatsapp_subscribe", "webhooks.whatsapp_events", "webhooks.fonnte_status",
            "webhooks.wablas_status"} <= security.TOKEN_AUTHENTICATED


def test_a_signed_body_that_is_not_json_is_a_bad_request(client):
    body = b"not json at all"
    assert _post(client, body).status_code == 400


# Order and repetition ---------------------------------------------------------------------------
def test_a_late_delivered_never_clears_read_and_repeats_change_nothing(client, session, sent):
    read = _body([_status(sent.message_id, "read", T_READ)])
    delivered = _body([_status(sent.message_id, "delivered", T_DELIVERED)])

    assert _post(client, read).status_code == 200
    recipient = _recipient(session, sent)
    # Read implies delivered: known from the read until the delivered status says when.
    assert (recipient.delivered_at, recipient.read_at) == (_at(T_READ), _at(T_READ))

    assert _post(client, delivered).status_code == 200
    recipient = _recipient(session, sent)
    assert (recipient.delivered_at, recipient.read_at) == (_at(T_DELIVERED), _at(T_READ))

    for body in (read, delivered, read):  # Meta retries; nothing moves
        assert _post(client, body).status_code == 200
    recipient = _recipient(session, sent)
    assert (recipient.delivered_at, recipient.read_at) == (_at(T_DELIVERED), _at(T_READ))


def test_statuses_in_one_webhook_apply_to_each_of_their_recipients(client, session, factory):
    release = _release(session, factory)
    first = _sent(session, release, "wamid.first", number="+6281234567801", name="Ani")
    second = _sent(session, release, "wamid.second", number="+6281234567802", name="Budi")

    response = _post(client, _body([
        _status("wamid.second", "read", T_READ, recipient="6281234567802"),
        _status("wamid.first", "delivered", T_DELIVERED, recipient="6281234567801")]))

    assert response.status_code == 200
    assert _recipient(session, first).delivered_at == _at(T_DELIVERED)
    assert _recipient(session, first).read_at is None
    assert _recipient(session, second).read_at == _at(T_READ)


# Failures and "not on WhatsApp" -----------------------------------------------------------------
def test_not_on_whatsapp_records_the_failure_and_marks_the_number(client, session, factory, sent):
    # Another journalist shares the number (a desk line): only this journalist's entry is marked.
    other = Journalist(full_name="Citra", sort_name="citra", status="active")
    other.phones.append(JournalistPhone(e164=NUMBER, kind="mobile"))
    session.add(other)
    session.commit()

    response = _post(client, _body([_status(sent.message_id, "failed", T_DELIVERED, error=131026,
                                            title="Message undeliverable")]))

    assert response.status_code == 200
    recipient = _recipient(session, sent)
    assert recipient.provider_failure.startswith("not_on_whatsapp:")
    assert "131026" in recipient.provider_failure
    assert recipient.delivered_at is None
    phone = _phone(session, sent)
    assert phone.not_on_whatsapp_at is not None and not phone.whatsapp_capable
    other_phone = session.scalar(select(JournalistPhone).where(JournalistPhone.journalist_id == other.id))
    assert other_phone.not_on_whatsapp_at is None
    [entry] = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "journalist.phone_not_on_whatsapp"))
    assert entry.object_id == str(sent.journalist_id) and entry.fields == ["not_on_whatsapp_at"]
    assert NUMBER not in json.dumps(entry.details)  # ids and field names, never the number

    marked_at = phone.not_on_whatsapp_at
    assert _post(client, _body([_status(sent.message_id, "failed", T_DELIVERED, error=131026,
                                        title="Message undeliverable")])).status_code == 200
    assert _phone(session, sent).not_on_whatsapp_at == marked_at
    assert len(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "journalist.phone_not_on_whatsapp")).all()) == 1


def test_another_failure_is_recorded_without_marking_the_number(client, session, sent):
    response = _post(client, _body([_status(sent.message_id, "failed", T_DELIVERED, error=131049,
                                            title="This message was not delivered to maintain healthy "
                                                  "ecosystem engagement.")]))

    assert response.status_code == 200
    recipient = _recipient(session, sent)
    assert "healthy ecosystem engagement" in recipient.provider_failure
    assert _phone(session, sent).not_on_whatsapp_at is None


def test_transactional_and_unknown_statuses_are_ignored_gracefully(client, session, factory, sent):
    code = Delivery(kind="transactional", channel="whatsapp", subject_type="journalist",
                    subject_id=sent.journalist_id, recipient=NUMBER, status="sent", external_id="wamid.code",
                    sent_at=clock.now())
    session.add(code)
    session.commit()

    response = _post(client, _body([_status("wamid.code", "read", T_READ),
                                    _status("wamid.someone-else", "delivered", T_DELIVERED),
                                    _status(sent.message_id, "delivered", T_DELIVERED)]))

    assert response.status_code == 200
    recipient = _recipient(session, sent)
    assert recipient.delivered_at == _at(T_DELIVERED) and recipient.read_at is None
    reload(session)
    assert session.get(Delivery, code.id).status == "sent"


def test_a_one_time_code_that_cannot_be_delivered_still_marks_the_number(client, session, sent):
    code = Delivery(kind="transactional", channel="whatsapp", subject_type="journalist",
                    subject_id=sent.journalist_id, recipient=NUMBER, status="sent", external_id="wamid.code",
                    sent_at=clock.now())
    session.add(code)
    session.commit()

    response = _post(client, _body([_status("wamid.code", "failed", T_DELIVERED, error=131026,
                                            title="Message undeliverable")]))

    assert response.status_code == 200
    assert _phone(session, sent).not_on_whatsapp_at is not None
    assert _recipient(session, sent).provider_failure is None  # the release was not that message


def test_inbound_messages_are_accepted_and_left_alone(client, session, sent):
    message = {"from": WA_ID, "id": "wamid.inbound", "timestamp": str(T_READ), "type": "text",
               "text": {"body": "Terima kasih, sudah kami terima."}}
    body = _body(messages=[message], contacts=[{"profile": {"name": "Budi Santoso"}, "wa_id": WA_ID}])

    response = _post(client, body)

    assert response.status_code == 200
    recipient = _recipient(session, sent)
    assert (recipient.delivered_at, recipient.read_at, recipient.provider_failure) == (None, None, None)


# Against the fake Cloud API -----------------------------------------------------------------------
def test_statuses_from_the_fake_cloud_api_reach_the_recipient(client, session, factory):
    from pressroom.channels.base import Image, Message
    from pressroom.channels.whatsapp import WhatsAppCloudChannel, template_headers
    from tests.fakes.whatsapp_server import FakeWhatsAppCloud

    with FakeWhatsAppCloud(app_secret=APP_SECRET) as cloud:
        cloud.not_on_whatsapp.add("6281299990000")
        channel = WhatsAppCloudChannel(base_url=cloud.base_url, version=cloud.version,
                                       phone_number_id=cloud.phone_number_id, access_token=cloud.access_token,
                                       timeout=3, connect_timeout=1)
        release = _release(session, factory)
        results = {}
        for number in (NUMBER, "+6281299990000"):
            message = Message(delivery_id=1, kind="press", text="", recipient=number,
                              images=[Image(data=b"", public_url="https://pressroom.test/media/padi.jpg")],
                              headers=template_headers("siaran_pers", ["Padi", "Dinas Pertanian", "Senin"],
                                                       url_buttons=["padi"]))
            with channel.session({}) as batch:
                result = channel.send(batch, message)
            assert result.status == "sent", result.reason
            results[number] = _sent(session, release, result.external_id, number=number)
        body = cloud.take_status_webhook()

    response = client.post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": cloud.sign(body)})

    assert response.status_code == 200
    reached = _recipient(session, results[NUMBER])
    assert reached.delivered_at is not None and reached.provider_failure is None
    unreachable = _recipient(session, results["+6281299990000"])
    assert unreachable.provider_failure.startswith("not_on_whatsapp:")
    assert _phone(session, results["+6281299990000"]).not_on_whatsapp_at is not None


# Gateways -----------------------------------------------------------------------------------------
def _gateway(client, provider: str, *, secret: str | None = GATEWAY_SECRET, header: bool = False,
             json_body=None, form=None):
    url = f"/webhooks/whatsapp/{provider}"
    headers = {}
    query = {}
    if secret is not None and header:
        headers["X-Webhook-Secret"] = secret
    elif secret is not None:
        query["secret"] = secret
    if json_body is not None:
        return client.post(url, query_string=query, headers=headers, json=json_body)
    return client.post(url, query_string=query, headers=headers, data=form or {})


@pytest.fixture
def fonnte_sent(session, factory):
    return _sent(session, _release(session, factory), "80367170")


@pytest.fixture
def wablas_sent(session, factory):
    return _sent(session, _release(session, factory), "0f5d54b6-4f0b-2a35-3c2f-9d7d0f1b3a11")


@pytest.mark.parametrize("provider", ["fonnte", "wablas"])
@pytest.mark.parametrize("secret", [None, "", "wrong-secret", GATEWAY_SECRET[:-1]])
def test_gateway_callbacks_without_the_secret_are_refused(client, session, fonnte_sent, provider, secret):
    response = _gateway(client, provider, secret=secret,
                        json_body={"id": fonnte_sent.message_id, "status": "read", "state": "read"})

    assert response.status_code == 403
    assert _recipient(session, fonnte_sent).read_at is None


def test_gateway_callbacks_are_refused_when_no_secret_is_configured(app_factory, session):
    client = app_factory(WHATSAPP_GATEWAY_WEBHOOK_SECRET="").test_client()

    assert _gateway(client, "fonnte", secret="", json_body={"id": "1", "status": "read"}).status_code == 403
    refused = _gateway(client, "wablas", secret="anything", form={"id": "1", "status": "read"})
    assert refused.status_code == 403


def test_fonnte_status_and_later_state_callbacks(client, session, fonnte_sent):
    first = {"device": "6281390000001", "id": fonnte_sent.message_id, "stateid": "ST-3EB0C767D097",
             "status": "sent", "state": "delivered"}

    assert _gateway(client, "fonnte", json_body=first).status_code == 200
    recipient = _recipient(session, fonnte_sent)
    assert recipient.delivered_at is not None and recipient.read_at is None

    # Later callbacks name the message by its state id only.
    later = {"device": "6281390000001", "stateid": "ST-3EB0C767D097", "state": "read"}
    assert _gateway(client, "fonnte", header=True, json_body=later).status_code == 200
    recipient = _recipient(session, fonnte_sent)
    assert recipient.read_at is not None and recipient.delivered_at <= recipient.read_at

    # A stale "delivered" changes nothing.
    read_at = recipient.read_at
    assert _gateway(client, "fonnte", json_body=first).status_code == 200
    assert _recipient(session, fonnte_sent).read_at == read_at


def test_fonnte_invalid_is_a_provider_failure(client, session, fonnte_sent):
    response = _gateway(client, "fonnte", json_body={"device": "6281390000001", "id": fonnte_sent.message_id,
                                                      "status": "invalid"})

    assert response.status_code == 200
    recipient = _recipient(session, fonnte_sent)
    assert "Fonnte reported “invalid”" in recipient.provider_failure
    assert _phone(session, fonnte_sent).not_on_whatsapp_at is None  # a gateway's word is not Meta's


def test_wablas_tracking_as_form_fields(client, session, wablas_sent):
    fields = {"id": wablas_sent.message_id, "phone": WA_ID, "status": "received", "deviceId": "A5DOYJ"}

    assert _gateway(client, "wablas", form=fields).status_code == 200
    assert _recipient(session, wablas_sent).delivered_at is not None

    assert _gateway(client, "wablas", form={**fields, "status": "read"}).status_code == 200
    recipient = _recipient(session, wablas_sent)
    assert recipient.read_at is not None and recipient.provider_failure is None


def test_wablas_reject_is_a_provider_failure_with_its_note(client, session, wablas_sent):
    response = _gateway(client, "wablas", json_body={"id": wablas_sent.message_id, "phone": WA_ID,
                                                      "status": "reject", "note": "number not registered",
                                                      "deviceId": "A5DOYJ"})

    assert response.status_code == 200
    failure = _recipient(session, wablas_sent).provider_failure
    assert "Wablas reported “reject”" in failure and "number not registered" in failure


def test_gateway_pending_unknown_ids_and_inbound_messages_change_nothing(client, session, wablas_sent):
    from tests.fakes.whatsapp_server import FakeWablas

    with FakeWablas() as wablas:
        inbound = wablas.inbound(WA_ID, "Siap, terima kasih")
    for body in ({"id": wablas_sent.message_id, "status": "pending"},
                 {"id": "no-such-message", "status": "read"},
                 inbound):
        assert _gateway(client, "wablas", json_body=body).status_code == 200
    recipient = _recipient(session, wablas_sent)
    assert (recipient.delivered_at, recipient.read_at, recipient.provider_failure) == (None, None, None)


def test_gateway_callback_without_a_body_is_a_bad_request(client):
    assert _gateway(client, "fonnte", form={}).status_code == 400
    assert _gateway(client, "wablas", json_body=["not", "objects"]).status_code == 400

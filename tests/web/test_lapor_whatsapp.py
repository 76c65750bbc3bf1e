"""Lapor Gub over WhatsApp, on each provider's fake: an inbound message on the Cloud API
webhook (signed), on Fonnte's and on Wablas's incoming-message webhooks (shared secret)
becomes a new report — answered with its tracking ID and PIN on the same number — or a
follow-up on the sender's open report; a webhook delivered twice stores nothing twice; a
forged or missing signature or secret changes nothing; and, through the real dispatcher to
the fake Cloud API, the reporter gets free-form replies within 24 hours of writing and the
approved template after."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from pressroom import clock
from pressroom.channels.whatsapp import InboundMessage
from pressroom.models import AuditEntry, Complaint, ComplaintEvent, Delivery
from pressroom.services import complaint_whatsapp, complaints
from tests.conftest import open_test_session, reload
from tests.fakes.loopback import LoopbackServer
from tests.fakes.whatsapp_server import FakeFonnte, FakeWablas, FakeWhatsAppCloud
from tests.jobs.publishing import run_until_idle

GATEWAY_SECRET = "uji-gateway-secret-lapor-7"
WA = "6281234567890"
NUMBER = "+6281234567890"
OTHER_WA = "6285712345678"
OTHER_NUMBER = "+6285712345678"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
TRACKING_RE = re.compile(r"LG-[2-9A-Z]{4}-[2-9A-Z]{4}")


# Arranging ----------------------------------------------------------------------------------
@pytest.fixture
def cloud():
    with FakeWhatsAppCloud() as fake:
        yield fake


@pytest.fixture
def fonnte():
    with FakeFonnte() as fake:
        yield fake


@pytest.fixture
def wablas():
    with FakeWablas() as fake:
        yield fake


class FileHost(LoopbackServer):
    """Where a gateway keeps a received photo: GET <path> answers its bytes."""

    thread_name = "fake-file-host"

    def __init__(self):
        self.files: dict[str, tuple[bytes, str]] = {}
        self._listen()

    def add(self, path: str, data: bytes, mimetype: str = "image/jpeg") -> str:
        self.files[path] = (data, mimetype)
        return self.base_url + path

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        found = self.files.get(request.path)
        response = Response(found[0], mimetype=found[1]) if found else Response("not found", status=404)
        return response(environ, start_response)


@pytest.fixture
def files():
    with FileHost() as host:
        yield host


def jpeg(color=(200, 30, 30), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def cloud_config(cloud: FakeWhatsAppCloud) -> dict:
    return dict(
        WHATSAPP_PROVIDER="cloud",
        WHATSAPP_API_BASE=cloud.base_url,
        WHATSAPP_API_VERSION=cloud.version,
        WHATSAPP_PHONE_NUMBER_ID=cloud.phone_number_id,
        WHATSAPP_ACCESS_TOKEN=cloud.access_token,
        WHATSAPP_RATE_PER_SECOND=1000,
        WHATSAPP_APP_SECRET=cloud.app_secret,
        WHATSAPP_MEDIA_ALLOW="127.0.0.1",  # the local file server standing in for the gateway's CDN
        WHATSAPP_GATEWAY_WEBHOOK_SECRET=GATEWAY_SECRET,
    )


@pytest.fixture
def app(app_factory, cloud):
    return app_factory(**cloud_config(cloud))


def post_cloud(client, cloud, body: bytes, signature: str = "valid"):
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature == "valid":
        headers["X-Hub-Signature-256"] = cloud.sign(body)
    elif signature == "forged":
        headers["X-Hub-Signature-256"] = cloud.sign(body, secret="not-" + cloud.app_secret)
    return client.post("/webhooks/whatsapp", data=body, headers=headers)


def post_gateway(client, provider: str, body, secret: str | None = GATEWAY_SECRET, *, header=False):
    url = f"/webhooks/whatsapp/{provider}/masuk"
    headers = {}
    if secret is not None and header:
        headers["X-Webhook-Secret"] = secret
    elif secret is not None:
        url += f"?secret={secret}"
    return client.post(url, data=json.dumps(body), headers=headers, content_type="application/json")


def reports(session) -> list[Complaint]:
    reload(session)
    return list(session.scalars(select(Complaint).order_by(Complaint.id)))


def replies(session, recipient: str | None = None) -> list[Delivery]:
    query = select(Delivery).where(Delivery.subject_type == "complaint").order_by(Delivery.id)
    if recipient:
        query = query.where(Delivery.recipient == recipient)
    return list(session.scalars(query))


def events(session, complaint: Complaint, kind: str | None = None) -> list[ComplaintEvent]:
    query = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    if kind:
        query = query.where(ComplaintEvent.kind == kind)
    return list(session.scalars(query.order_by(ComplaintEvent.id)))


def counts(session) -> tuple[int, int, int]:
    reload(session)
    return (session.scalar(select(func.count(Complaint.id))),
            session.scalar(select(func.count(ComplaintEvent.id))),
            session.scalar(select(func.count(Delivery.id))))


def web_report(app, session, contact: str = NUMBER, text: str = "Jembatan retak di Desa Kalikajar.",
               at: datetime | None = None) -> Complaint:
    """A report filed on the web form with a WhatsApp number as the contact."""
    with clock.frozen(at or T0 - timedelta(days=1)):
        complaint, _pin = complaints.submit(
            session, complaints.ReportInput(description=text, contact=contact), config=app.config,
            need_details=False)
        session.commit()
    return complaint


def assert_new_report(app, session, number: str, text: str, provider: str) -> Complaint:
    [complaint] = [c for c in reports(session) if c.reporter_phone == number]
    assert complaint.source == "whatsapp" and complaint.state == "received"
    assert complaint.type == "pengaduan" and complaint.description == text
    assert complaint.category_id is None and complaint.region_code is None
    assert complaint.anonymous is True and complaint.reporter_email is None
    assert complaint.last_inbound_at is not None
    [received] = events(session, complaint, "received")
    assert received.details["provider"] == provider
    assert received.details["wa_message_id"].startswith(f"{provider}:")
    # The reply: on WhatsApp, to the sender, free-form (they just wrote), with the ID and the PIN.
    [reply] = replies(session, number)
    assert (reply.kind, reply.channel, reply.status) == ("transactional", "whatsapp", "due")
    assert "headers" not in reply.payload
    assert complaint.tracking_id in reply.payload["text"]
    pins = re.findall(r"\b\d{6}\b", reply.payload["text"])
    assert pins and complaints.check_pin(app.config["SECRET_KEY"], complaint, pins[0])
    return complaint


# New reports on each provider -------------------------------------------------------------------
def test_cloud_api_message_becomes_a_report_answered_with_its_tracking_id_and_pin(client, session, cloud):
    text = "Jalan Pemuda depan SMA 3 berlubang besar, sudah dua motor jatuh."
    response = post_cloud(client, cloud, cloud.inbound_webhook(WA, text, name="Siti Aminah"))

    assert response.status_code == 200
    complaint = assert_new_report(client.application, session, NUMBER, text, "cloud")
    assert complaint.reporter_name == "Siti Aminah"  # only verifiers see it: anonymous by default
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.received",
                                                   AuditEntry.object_id == str(complaint.id))) is not None


def test_fonnte_message_becomes_a_report_answered_on_the_same_number(client, session, fonnte):
    text = "Lampu PJU di Jl. Slamet Riyadi mati sejak seminggu."
    response = post_gateway(client, "fonnte", fonnte.inbound(OTHER_WA, text, name="Joko"))

    assert response.status_code == 200
    assert_new_report(client.application, session, OTHER_NUMBER, text, "fonnte")
    assert replies(session, NUMBER) == []


def test_wablas_message_with_a_photo_becomes_a_report_with_the_photo(client, session, wablas, files):
    url = files.add("/image/IMG-20260302-WA0001.jpg", jpeg())
    body = wablas.inbound(WA, "Sampah menumpuk di pasar", kind="image", url=url, mime_type="image/jpeg")
    response = post_gateway(client, "wablas", body, header=True)

    assert response.status_code == 200
    complaint = assert_new_report(client.application, session, NUMBER, "Sampah menumpuk di pasar", "wablas")
    assert len(complaint.photos) == 1 and complaint.photos[0].width == 640
    # Kept privately, re-encoded: it is not on any public page before a verifier's review.
    assert complaint.photos[0].public_key is None
    assert events(session, complaint, "received")[0].details["media_stored"] is True


def test_cloud_api_photo_keeps_its_media_id_when_the_api_cannot_give_it(client, session, cloud):
    # The fake Cloud API has no media endpoint (GET /<media id> answers "does not exist"): the
    # report is kept without the photo, and its media id is recorded for the verifier.
    body = cloud.inbound_webhook(WA, "Banjir setinggi lutut", image_id="917364")
    response = post_cloud(client, cloud, body)

    assert response.status_code == 200
    [complaint] = reports(session)
    assert complaint.description == "Banjir setinggi lutut" and complaint.photos == []
    details = events(session, complaint, "received")[0].details
    assert details["media_id"] == "917364" and details["media_stored"] is False
    assert details["media_note"].startswith("not fetched")
    assert any(r.path == f"/{cloud.version}/917364" for r in cloud.requests)


# Follow-ups ---------------------------------------------------------------------------------------
def test_a_message_from_a_number_with_an_open_report_is_a_follow_up(app, client, session, cloud):
    complaint = web_report(app, session)
    before = len(replies(session, NUMBER))

    with clock.frozen(T0):
        response = post_cloud(client, cloud, cloud.inbound_webhook(WA, "Retaknya makin lebar hari ini."))

    assert response.status_code == 200
    assert [c.id for c in reports(session)] == [complaint.id]  # nothing new
    [follow_up] = events(session, complaint, "reporter")
    assert follow_up.public and follow_up.acting_as == "pelapor"
    assert follow_up.text == "Retaknya makin lebar hari ini."
    assert follow_up.details["wa_message_id"].startswith("cloud:wamid.")
    assert session.get(Complaint, complaint.id).last_inbound_at == T0
    new = replies(session, NUMBER)[before:]
    assert len(new) == 1 and complaint.tracking_id in new[0].payload["text"]
    assert "headers" not in new[0].payload  # free-form: the reporter just wrote
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.follow_up")) is not None


def test_a_photo_after_a_report_is_added_to_it_and_answered_once(app, client, session, wablas, files):
    complaint = web_report(app, session)
    url = files.add("/image/IMG-2.jpg", jpeg((20, 120, 40)))
    with clock.frozen(T0):
        first = post_gateway(client, "wablas", wablas.inbound(WA, "", kind="image", url=url,
                                                              mime_type="image/jpeg"))
        second = post_gateway(client, "wablas", wablas.inbound(WA, "Ini fotonya dari sisi lain."))

    assert first.status_code == second.status_code == 200
    assert [c.id for c in reports(session)] == [complaint.id]
    assert len(session.get(Complaint, complaint.id).photos) == 1
    assert len(events(session, complaint, "reporter")) == 2
    # One "received, added to …" for messages sent in a row, not one per message.
    acks = [d for d in replies(session, NUMBER) if d.created_at >= T0]
    assert len(acks) == 1


def test_a_photo_right_after_a_new_whatsapp_report_is_not_answered_again(client, session, cloud):
    with clock.frozen(T0):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Got mampet di Jl. Kartini."))
    with clock.frozen(T0 + timedelta(minutes=2)):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Ini fotonya", image_id="55501"))

    [complaint] = reports(session)
    assert len(events(session, complaint, "reporter")) == 1
    assert len(replies(session, NUMBER)) == 1  # the receipt with the ID and PIN, nothing more


def test_a_message_right_after_an_officers_update_is_answered(app, client, session, factory, cloud):
    complaint = web_report(app, session)
    verifier = factory.user("verifier", factory.opd("DISKOMINFO"))
    with clock.frozen(T0):
        complaints.verify(session, verifier, session.get(Complaint, complaint.id), config=app.config)
        session.commit()
    before = len(replies(session, NUMBER))
    with clock.frozen(T0 + timedelta(minutes=1)):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Terima kasih, kapan diperbaiki?"))

    reload(session)
    new = replies(session, NUMBER)[before:]
    assert len(new) == 1 and complaint.tracking_id in new[0].payload["text"]


def test_baru_starts_a_new_report_beside_an_open_one(app, client, session, cloud):
    complaint = web_report(app, session)
    with clock.frozen(T0):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Ada tambahan: retaknya melebar."))
        ack = replies(session, NUMBER)[-1]
        assert "BARU" in ack.payload["text"]  # the answer says how to start a separate report
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "baru: Lampu merah Simpang Lima mati."))

    found = reports(session)
    assert len(found) == 2 and found[1].description == "Lampu merah Simpang Lima mati."
    assert [e.text for e in events(session, complaint, "reporter")] == ["Ada tambahan: retaknya melebar."]


def test_the_flood_limit_per_number_applies_to_whatsapp(app_factory, cloud):
    app = app_factory(**cloud_config(cloud), LAPOR_MAX_PER_CONTACT_DAY=1)
    client = app.test_client()
    session = open_test_session(app)
    first = web_report(app, session, at=T0 - timedelta(hours=1))
    with clock.frozen(T0):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "BARU Laporan kedua hari ini."))
    # Over the limit: kept as a follow-up on the open report, not lost, not a new report.
    assert [c.id for c in reports(session)] == [first.id]
    assert [e.text for e in events(session, first, "reporter")] == ["Laporan kedua hari ini."]

    first = session.get(Complaint, first.id)
    first.state = "closed"
    session.commit()
    with clock.frozen(T0 + timedelta(minutes=5)):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Laporan ketiga hari ini."))
    assert len(reports(session)) == 1  # nowhere to put it: ignored
    session.close()


def test_naming_a_tracking_id_chooses_the_report_and_only_the_senders_own(app, client, session, fonnte):
    closed = web_report(app, session, at=T0 - timedelta(days=20))
    closed.state = "closed"
    open_report = web_report(app, session, text="Saluran air tersumbat.", at=T0 - timedelta(days=2))
    someone_elses = web_report(app, session, contact=OTHER_NUMBER, text="Pohon tumbang.")
    session.commit()
    spoken = closed.tracking_id.lower().replace("-", " ")

    with clock.frozen(T0):
        post_gateway(client, "fonnte", fonnte.inbound(WA, f"Soal laporan {spoken}: belum beres."))
        post_gateway(client, "fonnte", fonnte.inbound(WA, f"Tambahan untuk {someone_elses.tracking_id}"))

    assert len(reports(session)) == 3
    assert [e.text for e in events(session, closed, "reporter")] == [f"Soal laporan {spoken}: belum beres."]
    # Another number's ID does not open that report to this sender: it goes to their own open one.
    assert events(session, someone_elses, "reporter") == []
    assert [e.text for e in events(session, open_report, "reporter")] == [
        f"Tambahan untuk {someone_elses.tracking_id}"]


def test_a_closed_report_does_not_take_messages_a_new_one_is_made(app, client, session, cloud):
    old = web_report(app, session)
    old.state = "closed"
    session.commit()

    with clock.frozen(T0):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Ada masalah baru: drainase mampet."))

    found = reports(session)
    assert len(found) == 2 and found[1].source == "whatsapp" and events(session, old, "reporter") == []


# Once per message -----------------------------------------------------------------------------------
def test_a_webhook_delivered_twice_stores_and_answers_once_on_every_provider(client, session, cloud, fonnte,
                                                                             wablas):
    cloud_body = cloud.inbound_webhook(WA, "Jalan rusak di Bawen.")
    fonnte_body = fonnte.inbound(OTHER_WA, "Lampu jalan mati.")
    wablas_body = wablas.inbound("6281390001234", "Trotoar dipakai parkir.")
    post_cloud(client, cloud, cloud_body)
    post_gateway(client, "fonnte", fonnte_body)
    post_gateway(client, "wablas", wablas_body)
    first = counts(session)
    assert first[0] == 3

    assert post_cloud(client, cloud, cloud_body).status_code == 200
    assert post_gateway(client, "fonnte", fonnte_body).status_code == 200
    assert post_gateway(client, "wablas", wablas_body).status_code == 200

    assert counts(session) == first


def test_the_same_words_are_a_new_message_when_the_provider_says_so(client, session, cloud):
    post_cloud(client, cloud, cloud.inbound_webhook(WA, "Halo"))
    post_cloud(client, cloud, cloud.inbound_webhook(WA, "Halo"))  # another wamid: a second message

    [complaint] = reports(session)
    assert [e.text for e in events(session, complaint, "reporter")] == ["Halo"]


# Refused and ignored ----------------------------------------------------------------------------------
@pytest.mark.parametrize("signature", ["forged", "missing"])
def test_a_forged_or_missing_cloud_signature_changes_nothing(client, session, cloud, signature):
    response = post_cloud(client, cloud, cloud.inbound_webhook(WA, "Laporan palsu"), signature=signature)

    assert response.status_code == 403
    assert counts(session) == (0, 0, 0)


@pytest.mark.parametrize("provider", ["fonnte", "wablas"])
@pytest.mark.parametrize("secret", [None, "tebakan", GATEWAY_SECRET + "x"])
def test_a_gateway_message_without_the_secret_changes_nothing(client, session, fonnte, wablas, provider,
                                                              secret):
    fake = fonnte if provider == "fonnte" else wablas
    response = post_gateway(client, provider, fake.inbound(WA, "Laporan palsu"), secret=secret)

    assert response.status_code == 403
    assert counts(session) == (0, 0, 0)


def test_gateway_inbound_is_refused_when_no_secret_is_configured(app_factory, fonnte):
    client = app_factory(WHATSAPP_GATEWAY_WEBHOOK_SECRET="").test_client()

    response = post_gateway(client, "fonnte", fonnte.inbound(WA, "Halo"), secret="")

    assert response.status_code == 403


def test_group_own_and_empty_messages_are_ignored(client, session, fonnte, wablas):
    bodies = [
        ("fonnte", fonnte.inbound(WA, "Pesan di grup", group=True)),
        ("fonnte", fonnte.inbound(fonnte.device, "Pesan dari perangkat sendiri")),
        ("fonnte", fonnte.inbound(WA, "   ")),
        ("wablas", wablas.inbound(WA, "Pesan di grup", group=True)),
        ("wablas", wablas.inbound(WA, "Balasan kita sendiri", from_me=True)),
        ("wablas", wablas.inbound(WA, "", kind="sticker")),
    ]
    for provider, body in bodies:
        assert post_gateway(client, provider, body).status_code == 200, body

    assert counts(session) == (0, 0, 0)


def test_our_own_cloud_number_and_another_business_number_are_ignored(app_factory, session, cloud):
    client = app_factory(**{**cloud_config(cloud), "WHATSAPP_OWN_NUMBERS": "+62 24 8310000, 6281234567890"}
                         ).test_client()
    assert post_cloud(client, cloud, cloud.inbound_webhook(WA, "Dari nomor kita")).status_code == 200
    elsewhere = cloud.inbound_webhook(OTHER_WA, "Ke nomor lain").replace(
        cloud.phone_number_id.encode(), b"999999999999999")
    assert post_cloud(client, cloud, elsewhere).status_code == 200

    assert counts(session) == (0, 0, 0)


def test_absurd_and_overlong_texts(client, session, fonnte):
    post_gateway(client, "fonnte", fonnte.inbound(WA, "x" * (complaint_whatsapp.MAX_INBOUND_CHARS + 1)))
    assert counts(session) == (0, 0, 0)

    long_text = "Keluhan panjang. " * 300  # 5,100 characters: more than a description takes
    assert post_gateway(client, "fonnte", fonnte.inbound(WA, long_text)).status_code == 200

    [complaint] = reports(session)
    assert len(complaint.description) == complaints.MAX_DESCRIPTION
    assert long_text.startswith(complaint.description)
    assert events(session, complaint, "received")[0].details["truncated_from"] == len(long_text.strip())


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_unreadable_gateway_bodies_are_a_bad_request(client, session, body):
    response = client.post(f"/webhooks/whatsapp/wablas/masuk?secret={GATEWAY_SECRET}", data=body,
                           content_type="application/json")

    assert response.status_code == 400
    assert counts(session) == (0, 0, 0)


def test_a_photo_that_is_not_an_image_keeps_the_text_and_says_why(app, session, storage):
    message = InboundMessage(provider="wablas", wa_id=WA, phone=NUMBER, name=None, text="Lihat foto ini",
                             kind="image", timestamp=None, message_id="ABC123", media_url="http://x/y.jpg")
    outcome = complaint_whatsapp.receive(session, message, config=app.config, storage=storage,
                                         media=complaint_whatsapp.Media(data=b"%PDF-1.7 not an image"))
    session.commit()

    assert outcome.action == "created" and not outcome.photo_stored
    details = events(session, outcome.complaint, "received")[0].details
    assert details["media_stored"] is False and details["media_note"].startswith("not stored")
    assert details["media_url"] == "http://x/y.jpg"


def test_tracking_ids_are_read_as_people_write_them():
    assert complaint_whatsapp.mentioned_ids("cek lg 7k3m 9q2p dan LG-AB23-CD45, lg7k3m9q2p") == [
        "LG-7K3M-9Q2P", "LG-AB23-CD45"]
    assert complaint_whatsapp.mentioned_ids("LG-0000-1111 bukan ID") == []


# Through the dispatcher to the fake Cloud API ------------------------------------------------------------
def test_replies_reach_the_fake_free_form_within_24_hours_then_as_the_template(app, session, factory, cloud):
    client = app.test_client()
    with clock.frozen(T0):
        response = post_cloud(client, cloud, cloud.inbound_webhook(WA, "Pasar Johar becek dan gelap."))
        assert response.status_code == 200
    run_until_idle(app, T0 + timedelta(minutes=1))
    [complaint] = reports(session)
    [first] = cloud.sent_to(WA)
    assert first["type"] == "text" and complaint.tracking_id in first["text"]["body"]

    verifier = factory.user("verifier", factory.opd("DISKOMINFO"))
    opd = factory.opd("DISDAGPERIN", name="Dinas Perdagangan")
    with clock.frozen(T0 + timedelta(hours=2)):  # still within the 24-hour window
        complaints.verify(session, verifier, session.get(Complaint, complaint.id), config=app.config)
        session.commit()
    run_until_idle(app, T0 + timedelta(hours=2, minutes=1))
    second = cloud.sent_to(WA)[1]
    assert second["type"] == "text" and complaint.tracking_id in second["text"]["body"]

    with clock.frozen(T0 + timedelta(hours=30)):  # the window has closed: only a template may go
        complaints.dispose(session, verifier, session.get(Complaint, complaint.id), opd, config=app.config)
        session.commit()
    run_until_idle(app, T0 + timedelta(hours=30, minutes=1))
    sent = cloud.sent_to(WA)
    assert len(sent) == 3
    template = sent[2]
    assert template["type"] == "template" and template["template"]["name"] == "balasan_aduan"
    params = [p["text"] for c in template["template"]["components"] if c["type"] == "body"
              for p in c["parameters"]]
    assert params == [complaint.tracking_id, "Diverifikasi"]
    reload(session)
    assert [d.status for d in replies(session, NUMBER)] == ["sent", "sent", "sent"]

    # The reporter writes again: the window reopens and the answer is free-form once more.
    with clock.frozen(T0 + timedelta(hours=31)):
        post_cloud(client, cloud, cloud.inbound_webhook(WA, "Terima kasih, ditunggu."))
    run_until_idle(app, T0 + timedelta(hours=31, minutes=1))
    last = cloud.sent_to(WA)[3]
    assert last["type"] == "text" and complaint.tracking_id in last["text"]["body"]

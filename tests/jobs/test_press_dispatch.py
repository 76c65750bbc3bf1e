"""Press alerts through the real pipeline (approval → outbox → claim → channel → record):
email to a real SMTP server on loopback (aiosmtpd with STARTTLS), WhatsApp to the fake Cloud
API and the fake Fonnte gateway, and the sandbox feed in the demo's configuration."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
import vobject
from PIL import Image
from sqlalchemy import select

from pressroom import clock
from pressroom.models import Delivery, JournalistEmail, JournalistPhone, ReleaseRecipient
from pressroom.services import journalists, releases
from tests.conftest import Factory, open_test_session, reload
from tests.fakes.smtp_server import FakeSMTPServer, make_certificate
from tests.fakes.whatsapp_server import FakeFonnte, FakeWhatsAppCloud
from tests.jobs.publishing import run_until_idle
from tests.press.helpers import journalist, release_input


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


def press_mails(smtp):
    """What the SMTP server took for journalists (staff notices of the approval go there too)."""
    return [m for m in smtp.messages if not m.rcpt_tos[0].endswith("@pressroom.example.com")]


def press(session, kind="press"):
    return session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)).all()


@pytest.fixture
def smtp(tmp_path):
    make_certificate(tmp_path)
    with FakeSMTPServer(tmp_path) as server:
        yield server


def smtp_app(app_factory, smtp, **extra):
    return app_factory(
        SMTP_HOST=smtp.host,
        SMTP_PORT=smtp.port,
        SMTP_SECURITY="starttls",
        MAIL_SENDER="Humas Jateng <humas@jatengprov.go.id>",
        SMTP_CA_FILE=str(smtp.cert_file),
        **extra,
    )


def compose(app, session, factory, *, editor, head, opd, **values):
    release = releases.create_release(session, editor, opd.id, release_input(**values))
    releases.add_photo(
        session,
        editor,
        app.extensions["storage"],
        release,
        photo(),
        caption="Panen raya di Grobogan",
        credit="Humas Distanbun",
        alt_text="Petani memanen padi",
    )
    releases.submit_release(session, editor, release)
    releases.approve_release(session, head, release)
    session.commit()
    return release


def test_press_email_over_starttls_headers_parts_unsubscribe_and_a_refused_recipient(app_factory, smtp):
    app = smtp_app(app_factory, smtp)
    session = open_test_session(app)
    factory = Factory(app, session)
    opd = factory.opd("DISTANBUN")
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    journalist(
        session, editor, opd, name="Ani Wartawati", email="ani@suaramerdeka.example", consent=("email",)
    )
    refused = journalist(session, editor, opd, name="Budi", email="budi@nowhere.example", consent=("email",))
    quits = journalist(session, editor, opd, name="Citra", email="citra@tribun.example", consent=("email",))
    smtp.refuse("budi@nowhere.example")
    session.commit()
    release = compose(app, session, factory, editor=editor, head=head, opd=opd)
    # Citra unsubscribes after approval, while her alert is queued: it must not go.
    journalists.withdraw_consent(session, None, quits, "email", how="tautan berhenti berlangganan")
    session.commit()

    run_until_idle(app, clock.now())
    reload(session)
    by_recipient = {d.recipient: d for d in press(session)}
    assert by_recipient["ani@suaramerdeka.example"].status == "sent"
    failed = by_recipient["budi@nowhere.example"]
    assert (
        failed.status == "failed"
        and "550" in failed.last_error
        and "refused the recipient" in failed.last_error
    )
    assert by_recipient["citra@tribun.example"].status == "cancelled"
    # The hard refusal marks the address bouncing in the directory.
    bounced = session.scalar(select(JournalistEmail).where(JournalistEmail.journalist_id == refused.id))
    assert bounced.bouncing_at is not None and "550" in bounced.bounce_reason

    mails = press_mails(smtp)
    assert [m.rcpt_tos for m in mails] == [["ani@suaramerdeka.example"]] and mails[0].tls
    mail = BytesParser(policy=policy.default).parsebytes(mails[0].raw)
    assert mail["Message-ID"].endswith("@jatengprov.go.id>")
    assert mail["Subject"] == f"[Siaran Pers] {release.headline}"
    assert mail["Reply-To"] == "humas@jatengprov.go.id"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(app.config["PUBLIC_URL"] + "/pers/berhenti/")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert release.number in text and release.headline.upper() in text and "WIB" not in text.split("\n")[0]
    assert app.config["PUBLIC_URL"] + releases.public_path(release) in text
    assert "Yth. Ani," in text and unsubscribe in text
    assert "<strong>siaran pers</strong>" in html and 'src="cid:foto-1.jpg"' in html
    inline = [part for part in mail.walk() if part.get("Content-ID") == "<foto-1.jpg>"]
    assert inline and inline[0].get_content_type() == "image/jpeg"
    assert "Ir. Budi Santoso" in text and "Narahubung: Humas Uji" in text
    # The alert page's view: sent, failed with the server's words, unsubscribed.
    _rows, totals = releases.recipient_rows(session, release)
    assert (totals.get("sent"), totals.get("failed"), totals.get("unsubscribed")) == (1, 1, 1)
    session.close()


def test_invitation_carries_an_ics_in_wib_and_a_hadir_link(app_factory, smtp):
    app = smtp_app(app_factory, smtp)
    session = open_test_session(app)
    factory = Factory(app, session)
    opd = factory.opd("DISKOMINFO")
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    journalist(session, editor, opd, email="dewi@kompas.example", consent=("email",))
    session.commit()
    starts = clock.now().replace(microsecond=0) + timedelta(days=2)
    release = releases.create_release(
        session,
        editor,
        opd.id,
        release_input(
            kind="undangan",
            headline="Peluncuran Satu Data Jawa Tengah",
            agenda="Peluncuran portal",
            venue="Gradhika Bhakti Praja, Semarang",
            event_starts_at=starts,
        ),
    )
    releases.submit_release(session, editor, release)
    releases.approve_release(session, head, release)
    session.commit()
    run_until_idle(app, clock.now())
    mail = BytesParser(policy=policy.default).parsebytes(press_mails(smtp)[0].raw)
    assert mail["Subject"].startswith("[Undangan Liputan]")
    ics = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    event = vobject.readOne(ics.get_content()).vevent
    assert event.dtstart.value.utcoffset() == timedelta(hours=7)
    assert event.dtstart.value == starts
    text = mail.get_body(("plain",)).get_content()
    assert app.config["PUBLIC_URL"] + "/pers/hadir/" in text and "WIB" in text
    session.close()


def test_whatsapp_cloud_template_429_and_not_on_whatsapp(app_factory):
    with FakeWhatsAppCloud() as cloud:
        app = app_factory(
            WHATSAPP_PROVIDER="cloud",
            WHATSAPP_API_BASE=cloud.base_url,
            WHATSAPP_PHONE_NUMBER_ID=cloud.phone_number_id,
            WHATSAPP_ACCESS_TOKEN=cloud.access_token,
            WHATSAPP_RATE_PER_SECOND=1000,
        )
        session = open_test_session(app)
        factory = Factory(app, session)
        opd = factory.opd("DINKES")
        editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
        on_wa = journalist(session, editor, opd, email=None, phone="+6281234500001", consent=("whatsapp",))
        absent = journalist(session, editor, opd, email=None, phone="+6281234500002", consent=("whatsapp",))
        cloud.not_on_whatsapp.add("6281234500002")
        session.commit()
        cloud.fail_next("429", retry_after=1)
        release = compose(app, session, factory, editor=editor, head=head, opd=opd)
        run_until_idle(app, clock.now())
        run_until_idle(app, clock.now() + timedelta(minutes=2))  # the 429'd one, after its wait
        reload(session)
        rows = {d.recipient: d for d in press(session)}
        assert rows["+6281234500001"].status == "sent" and rows["+6281234500001"].external_id.startswith(
            "wamid."
        )
        assert rows["+6281234500001"].attempts >= 1
        sent = cloud.sent_to("6281234500001")
        assert len(sent) == 1 and sent[0]["type"] == "template"
        template = sent[0]["template"]
        assert template["name"] == "siaran_pers" and template["language"]["code"] == "id"
        components = {c["type"]: c for c in template["components"]}
        assert components["header"]["parameters"][0]["image"]["link"].startswith(app.config["PUBLIC_URL"])
        assert components["body"]["parameters"][0]["text"] == release.headline
        assert components["button"]["parameters"][0]["text"] == releases.public_path(release).removeprefix(
            "/pers/"
        )
        # Meta accepts, then reports "not on WhatsApp" later (webhook); a synchronous 131026
        # marks the number at once.
        assert rows["+6281234500002"].status in ("sent", "failed")
        assert any(r.fault == "429" for r in cloud.requests)
        assert on_wa.id and absent.id
        session.close()


def test_gateway_status_false_is_a_failure_and_the_text_is_whole(app_factory):
    with FakeFonnte() as fonnte:
        app = app_factory(
            WHATSAPP_PROVIDER="fonnte",
            FONNTE_API_BASE=fonnte.base_url,
            FONNTE_TOKEN=fonnte.token,
            WHATSAPP_GATEWAY_DELAY_SECONDS=0,
        )
        session = open_test_session(app)
        factory = Factory(app, session)
        opd = factory.opd("DISHUB")
        editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
        journalist(session, editor, opd, email=None, phone="+6281234500011", consent=("whatsapp",))
        journalist(session, editor, opd, email=None, phone="+6281234500012", consent=("whatsapp",))
        fonnte.refused["6281234500012"] = "number not registered"
        session.commit()
        release = compose(app, session, factory, editor=editor, head=head, opd=opd)
        run_until_idle(app, clock.now())
        reload(session)
        rows = {d.recipient: d for d in press(session)}
        assert rows["+6281234500011"].status == "sent"
        assert rows["+6281234500012"].status == "failed"
        assert "number not registered" in rows["+6281234500012"].last_error
        queued = fonnte.queued[0]
        assert queued["target"] == "6281234500011"
        assert release.headline in queued["message"] and "paragraf kedua" in queued["message"].lower()
        assert "/pers/saya/" in queued["message"] and queued["url"].startswith(app.config["PUBLIC_URL"])
        session.close()


def test_sandbox_shows_what_each_journalist_receives_on_each_channel(app, session, factory):
    from pressroom.channels.registry import sandbox_path
    from pressroom.channels.sandbox import read_entries

    opd = factory.opd("BAPPEDA")
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    person = journalist(session, editor, opd, name="Eka Putri")
    session.commit()
    release = compose(app, session, factory, editor=editor, head=head, opd=opd)
    run_until_idle(app, clock.now())
    entries = [e for e in read_entries(sandbox_path(app.config), limit=None) if e["kind"] == "press"]
    assert {e["channel"] for e in entries} == {"email", "whatsapp"}
    by_channel = {e["channel"]: e for e in entries}
    assert by_channel["email"]["recipient"] == person.emails[0].address
    assert by_channel["whatsapp"]["recipient"] == person.phones[0].e164
    assert release.headline in by_channel["whatsapp"]["text"]
    assert "List-Unsubscribe" in by_channel["email"]["headers"]
    recipients = session.scalars(select(ReleaseRecipient)).all()
    assert {r.channel for r in recipients} == {"email", "whatsapp"}
    assert json.dumps(entries)  # entries are plain JSON


def test_not_on_whatsapp_marks_the_number(app, session, factory):
    from pressroom.channels.base import Result

    opd = factory.opd("DISPORA")
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    person = journalist(session, editor, opd, email=None, consent=("whatsapp",))
    session.commit()
    compose(app, session, factory, editor=editor, head=head, opd=opd)
    delivery = press(session)[0]
    assert delivery.channel == "whatsapp", (
        delivery.channel,
        delivery.recipient,
        [p.e164 for p in person.phones],
    )
    releases.after_result(session, delivery, "failed", "not_on_whatsapp: (#131026) Message Undeliverable")
    session.commit()
    phone = session.scalar(select(JournalistPhone).where(JournalistPhone.journalist_id == person.id))
    session.refresh(phone)
    assert phone.not_on_whatsapp_at is not None and not phone.whatsapp_capable
    assert Result  # the adapter's reason prefix is the contract


def test_gate_unsubscribe_from_opd_erasure_and_pause_at_claim(app, session, factory):
    from pressroom.services import sending

    opd = factory.opd("DISPERKIM")
    editor, head = factory.user("editor", opd), factory.user("approver", opd, level="kepala")
    admin = factory.user("admin", factory.opd("DISKOMINFO"))
    stays = journalist(session, editor, opd, consent=("email",))
    leaves_opd = journalist(session, editor, opd, consent=("email",))
    erased = journalist(session, editor, opd, consent=("email",))
    session.commit()
    release = compose(app, session, factory, editor=editor, head=head, opd=opd)
    leaves_opd.link_for(opd.id).subscribed = False
    erased.status = "erased"
    session.commit()
    run_until_idle(app, clock.now())
    reload(session)
    rows = {d.recipient: d for d in press(session)}
    assert rows[stays.emails[0].address].status == "sent"
    assert rows[leaves_opd.emails[0].address].status == "cancelled"
    assert "unsubscribed" in rows[leaves_opd.emails[0].address].last_error
    assert rows[erased.emails[0].address].status == "cancelled"

    # A pause before anything went out holds the whole alert: approve again later.
    second = compose(app, session, factory, editor=editor, head=head, opd=opd)
    sending.add_stop(
        session, admin, kind="pause", opd_id=opd.id, reason="Masa tenang", starts_at=None, ends_at=None
    )
    session.commit()
    run_until_idle(app, clock.now())
    reload(session)
    held = session.get(type(second), second.id)
    assert held.state == "held" and held.number  # the number stays
    assert {d.status for d in session.scalars(releases.deliveries_query(second.id))} == {"cancelled"}
    assert release.id != second.id

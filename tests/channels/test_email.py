"""The email adapter end to end against a local aiosmtpd server speaking real SMTP."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest

from pressroom.channels.base import Message
from pressroom.channels.email import EmailChannel
from pressroom.channels.registry import build_channel
from pressroom.channels.sandbox import SandboxChannel
from tests.channels.conftest import SENDER, jpeg
from tests.fakes.smtp_server import FakeSMTPServer

UNSUBSCRIBE = "<https://pressroom.test/berhenti/abc123>, <mailto:berhenti@jatengprov.go.id?subject=abc123>"


def _notice(recipient: str, delivery_id: int = 1, **overrides) -> Message:
    values = {
        "delivery_id": delivery_id,
        "kind": "notice",
        "text": "Ada unggahan baru yang menunggu persetujuan Anda.",
        "recipient": recipient,
        "subject": "Menunggu persetujuan: Produksi padi 2024",
    }
    values.update(overrides)
    return Message(**values)


def _channel(server: FakeSMTPServer, **options) -> EmailChannel:
    settings = {
        "security": "starttls",
        "sender": SENDER,
        "timeout": 3,
        "ssl_context": server.client_ssl_context(),
    }
    settings.update(options)
    return EmailChannel(server.host, server.port, **settings)


def test_press_email_over_starttls_keeps_headers_parts_and_inline_image(smtp_server, email_channel):
    chart = jpeg(name="chart-padi.jpg", alt="Grafik produksi padi 2020–2024")
    annex = jpeg(name="lampiran.jpg", color="orange")
    message = _notice(
        "wartawan@koran.example",
        kind="press",
        text="Siaran pers: produksi padi naik 3,2 %.\n.baris yang diawali titik\n",
        html='<p>Produksi padi naik.</p><img src="cid:chart-padi.jpg" alt="Grafik produksi padi">',
        subject="Siaran Pers — Produksi Padi Jawa Tengah",
        images=[chart, annex],
        headers={"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )

    with email_channel.session({}) as batch:
        result = email_channel.send(batch, message)

    assert result.status == "sent", result.reason
    [mail] = smtp_server.messages
    assert mail.tls is True
    assert mail.mail_from == "noreply@jatengprov.go.id"
    assert mail.rcpt_tos == ["wartawan@koran.example"]
    received = mail.message
    assert received["From"] == SENDER
    assert received["To"] == "wartawan@koran.example"
    assert received["Subject"] == "Siaran Pers — Produksi Padi Jawa Tengah"
    assert received["Message-ID"] == result.external_id
    assert result.external_id.endswith("@jatengprov.go.id>")
    assert parsedate_to_datetime(received["Date"]).tzinfo is not None
    assert received["List-Unsubscribe"] == UNSUBSCRIBE
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert received.get_content_type() == "multipart/mixed"
    assert received.get_body(("plain",)).get_content() == message.text.replace("\n", "\r\n")
    html = received.get_body(("html",))
    assert "cid:chart-padi.jpg" in html.get_content()
    related = next(part for part in received.walk() if part.get_content_type() == "multipart/related")
    inline = related.get_payload()[1]
    assert inline["Content-ID"] == "<chart-padi.jpg>"
    assert inline.get_content_disposition() == "inline"
    assert inline.get_content() == chart.data
    assert inline["Content-Description"] == "Grafik produksi padi 2020–2024"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "lampiran.jpg"
    assert attachment.get_content() == annex.data


def test_plain_notice_is_a_single_text_part(smtp_server, email_channel):
    result = email_channel.send(None, _notice("kabid@jatengprov.go.id"))

    assert result.status == "sent"
    received = smtp_server.messages[0].message
    assert received.get_content_type() == "text/plain"
    assert received.get_content().strip() == "Ada unggahan baru yang menunggu persetujuan Anda."


def test_a_batch_uses_one_connection_and_a_refused_recipient_does_not_stop_it(smtp_server, email_channel):
    smtp_server.refuse("hilang@koran.example")
    recipients = ["a@koran.example", "hilang@koran.example", "b@koran.example", "c@koran.example"]

    with email_channel.session({}) as batch:
        results = [email_channel.send(batch, _notice(to, n)) for n, to in enumerate(recipients)]

    assert [r.status for r in results] == ["sent", "failed", "sent", "sent"]
    assert "550" in results[1].reason
    assert "Recipient address rejected: User unknown" in results[1].reason
    assert [mail.rcpt_tos for mail in smtp_server.messages] == [
        ["a@koran.example"],
        ["b@koran.example"],
        ["c@koran.example"],
    ]
    assert smtp_server.connections == 1


def test_temporary_refusal_451_is_retried(smtp_server, email_channel):
    smtp_server.defer("antre@koran.example")

    with email_channel.session({}) as batch:
        deferred = email_channel.send(batch, _notice("antre@koran.example"))
        after = email_channel.send(batch, _notice("lancar@koran.example"))

    assert deferred.status == "retry"
    assert "451" in deferred.reason and "Greylisted" in deferred.reason
    assert after.status == "sent"
    assert [mail.rcpt_tos for mail in smtp_server.messages] == [["lancar@koran.example"]]


def test_nobody_listening_is_retried(unused_port):
    channel = EmailChannel("127.0.0.1", unused_port, security="starttls", sender=SENDER, timeout=1)

    with channel.session({}) as batch:
        result = channel.send(batch, _notice("a@koran.example"))

    assert result.status == "retry"
    assert "could not connect" in result.reason and "refused" in result.reason.lower()


def test_a_connection_dropped_between_messages_is_reopened_once(smtp_server, email_channel):
    smtp_server.drop_after_next_message()

    with email_channel.session({}) as batch:
        first = email_channel.send(batch, _notice("a@koran.example", 1))
        second = email_channel.send(batch, _notice("b@koran.example", 2))
        third = email_channel.send(batch, _notice("c@koran.example", 3))

    assert [first.status, second.status, third.status] == ["sent", "sent", "sent"]
    assert len(smtp_server.messages) == 3
    assert smtp_server.connections == 2
    assert batch.connections_opened == 2


def test_a_connection_lost_before_data_is_retried(smtp_server, email_channel):
    smtp_server.hang_up_at_rcpt("putus@koran.example")

    with email_channel.session({}) as batch:
        lost = email_channel.send(batch, _notice("putus@koran.example"))
        next_one = email_channel.send(batch, _notice("b@koran.example"))

    assert lost.status == "retry"
    assert "RCPT" in lost.reason and "nothing was delivered" in lost.reason
    assert next_one.status == "sent"
    assert [mail.rcpt_tos for mail in smtp_server.messages] == [["b@koran.example"]]


def test_no_answer_after_the_message_was_handed_over_is_unknown(smtp_server):
    channel = _channel(smtp_server, timeout=0.3)
    smtp_server.slow_data(1.5)

    started = time.monotonic()
    with channel.session({}) as batch:
        result = channel.send(batch, _notice("lambat@koran.example"))

    assert result.status == "unknown"
    assert "may or may not have been accepted" in result.reason
    assert [mail.rcpt_tos for mail in smtp_server.messages] == [["lambat@koran.example"]]
    assert time.monotonic() - started < 1.2


def test_login_over_starttls(smtp_cert_dir):
    with FakeSMTPServer(smtp_cert_dir, users={"pressroom": "rahasia"}) as server:
        good = _channel(server, username="pressroom", password="rahasia")
        wrong = _channel(server, username="pressroom", password="salah")

        sent = good.send(None, _notice("a@koran.example"))
        refused = wrong.send(None, _notice("b@koran.example"))

        assert sent.status == "sent"
        assert server.messages[0].login == "pressroom"
        assert refused.status == "failed"
        assert "refused the login" in refused.reason and "535" in refused.reason
        assert len(server.messages) == 1


def test_implicit_tls(smtp_cert_dir):
    with FakeSMTPServer(smtp_cert_dir, implicit_tls=True) as server:
        result = _channel(server, security="tls").send(None, _notice("a@koran.example"))

        assert result.status == "sent"
        assert server.messages[0].tls is True


def test_an_untrusted_certificate_fails_with_a_clear_reason(smtp_server):
    channel = EmailChannel(smtp_server.host, smtp_server.port, security="starttls", sender=SENDER, timeout=3)

    result = channel.send(None, _notice("a@koran.example"))

    assert result.status == "failed"
    assert "certificate" in result.reason
    assert smtp_server.messages == []


def test_email_cannot_be_recalled_and_needs_an_address(email_channel):
    assert email_channel.retract({}, "<x@jatengprov.go.id>") == email_channel.retract({}, "<y@x>")
    assert email_channel.retract({}, "<x@jatengprov.go.id>").reason == "email cannot be recalled"
    assert email_channel.send(None, _notice(None)).status == "failed"


def test_a_header_that_would_break_the_mime_structure_is_refused(email_channel, smtp_server):
    result = email_channel.send(None, _notice("a@koran.example", headers={"Content-Type": "text/html"}))

    assert result.status == "failed"
    assert "could not be composed" in result.reason
    assert smtp_server.messages == []


def test_names_and_files_that_are_not_ascii_arrive_whole_and_a_line_break_cannot_add_a_header(smtp_server):
    sender = "Humas Dinas Pertanian dan Perkebunan — Sénior <humas@jatengprov.go.id>"
    channel = _channel(smtp_server, sender=sender)
    annex = jpeg(name="grafik-curah-hujan-“2024”.jpg")
    message = _notice("wartawan@koran.example", images=[annex],
                      subject="Bantuan benih padi — 35 kabupaten/kota, disalurkan mulai pekan depan",
                      headers={"Reply-To": "Mbak Ñoman Pratiwi <humas.distanbun@jatengprov.go.id>"})

    assert channel.send(None, message).status == "sent"
    received = smtp_server.messages[0].message
    assert " ".join(received["From"].split()) == sender  # long names go as several encoded words
    assert received["Subject"] == message.subject
    assert received["Reply-To"].addresses[0].display_name == "Mbak Ñoman Pratiwi"
    assert received["Reply-To"].addresses[0].addr_spec == "humas.distanbun@jatengprov.go.id"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == annex.filename and attachment.get_content() == annex.data
    assert all(len(line) <= 998 for line in smtp_server.messages[0].raw.split(b"\r\n"))

    injected = channel.send(None, _notice("a@koran.example", subject="Halo\r\nBcc: semua@koran.example"))
    assert injected.status == "failed" and "line break" in injected.reason
    assert len(smtp_server.messages) == 1


def test_registry_builds_email_from_configuration(smtp_server, tmp_path):
    config = {
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_SECURITY": "starttls",
        "SMTP_CA_FILE": str(smtp_server.cert_file),
        "SMTP_TIMEOUT": "1",
        "MAIL_SENDER": SENDER,
        "STORAGE_PATH": str(tmp_path),
    }

    channel = build_channel("email", config)
    result = channel.send(None, _notice("a@koran.example"))

    assert isinstance(channel, EmailChannel)
    assert result.status == "sent"
    assert len(smtp_server.messages) == 1
    sandboxed = build_channel("email", {**config, "SANDBOX_CHANNELS": "email"})
    assert isinstance(sandboxed, SandboxChannel)
    with pytest.raises(ValueError, match="MAIL_SENDER"):
        build_channel("email", {**config, "MAIL_SENDER": ""})

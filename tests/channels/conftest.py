"""Fixtures for channel tests: local fake servers (SMTP, Telegram Bot API) and the real
adapters pointed at them. Nothing here reaches beyond 127.0.0.1."""

from __future__ import annotations

import io
import socket

import pytest
from PIL import Image as PILImage

from pressroom.channels.base import Image
from pressroom.channels.email import EmailChannel
from pressroom.channels.telegram import TelegramChannel
from tests.fakes.smtp_server import FakeSMTPServer, make_certificate
from tests.fakes.telegram_server import FakeTelegram

SENDER = "Pressroom Jateng <noreply@jatengprov.go.id>"


@pytest.fixture(scope="session")
def smtp_cert_dir(tmp_path_factory):
    """One self-signed certificate for every fake SMTP server of the run."""
    directory = tmp_path_factory.mktemp("smtp-cert")
    make_certificate(directory)
    return directory


@pytest.fixture
def smtp_server(smtp_cert_dir):
    with FakeSMTPServer(smtp_cert_dir) as server:
        yield server


@pytest.fixture
def email_channel(smtp_server):
    return EmailChannel(
        smtp_server.host,
        smtp_server.port,
        security="starttls",
        sender=SENDER,
        timeout=3,
        ssl_context=smtp_server.client_ssl_context(),
    )


@pytest.fixture
def telegram_server():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def telegram_channel(telegram_server):
    # Generous for a loaded CI machine; the timeout test builds its own impatient channel.
    return TelegramChannel(base_url=telegram_server.base_url, timeout=3, connect_timeout=1)


@pytest.fixture
def telegram_credentials(telegram_server):
    return {"bot_token": telegram_server.token, "chat_id": "@" + telegram_server.chat["username"]}


@pytest.fixture
def unused_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def jpeg(
    width: int = 64, height: int = 48, color: str = "steelblue", name: str = "chart.jpg", alt: str = ""
) -> Image:
    """Return a real (tiny) JPEG as a channel Image."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, "JPEG", quality=80)
    return Image(data=buffer.getvalue(), filename=name, alt_text=alt)

"""A local SMTP server for tests: aiosmtpd on 127.0.0.1 with STARTTLS (or implicit TLS),
optional AUTH, every received message recorded, and faults on demand.

The certificate is self-signed (CN=localhost, SAN localhost + 127.0.0.1), made at run time
with ``cryptography`` and written to a temporary folder; ``client_ssl_context()`` trusts it,
so clients verify the server exactly as they would a real one.

Faults, each for the addresses or messages named:

* ``refuse(address)`` — answer RCPT with 550 (a mailbox that does not exist);
* ``defer(address)`` — answer RCPT with 451 (greylisting, try later);
* ``hang_up_at_rcpt(address)`` — close the connection instead of answering RCPT;
* ``drop_after_next_message()`` — accept the next message, then close the connection
  (an idle timeout or restart between two messages of a batch);
* ``slow_data(seconds)`` — take the message, then wait before answering the final "."
  (the client's timeout fires after it handed the message over).
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import ssl
import tempfile
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"

# aiosmtpd itself sets the deprecated Session.login_data after every successful AUTH and
# logs a warning about it each time; it says nothing about this server.
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


@dataclass
class ReceivedMail:
    """One message as the server took it: envelope, raw bytes and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    tls: bool
    login: str | None


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for localhost/127.0.0.1 and its key; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to listen on port 0 (a free port)."""

    def _trigger_server(self):
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    def __init__(self, fake: FakeSMTPServer):
        self.fake = fake

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.fake._count_connection(server)
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        self.fake._count_connection(server)
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fake = self.fake
        with fake._lock:
            hang_up = address in fake._hang_up_at_rcpt
            answer = fake._refused.get(address)
        if hang_up:
            await _hang_up(server)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        fake = self.fake
        raw = envelope.original_content or b""
        received = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
            message=BytesParser(policy=policy.default).parsebytes(raw),
            tls=session.ssl is not None or fake.implicit_tls,
            login=_login_name(session),
        )
        with fake._lock:
            fake.messages.append(received)
            queue_id = f"Q{len(fake.messages):05d}"
            delay, fake._slow_data = fake._slow_data, 0.0
            drop, fake._drop_after_next = fake._drop_after_next, False
        if delay:
            await asyncio.sleep(delay)
        if drop:
            # Runs after aiosmtpd has written the 250 below: the client gets its answer,
            # then finds the connection closed when it starts the next message.
            server.loop.call_soon(server.transport.close)
        return f"250 2.0.0 OK: queued as {queue_id}"


async def _hang_up(server) -> None:
    server.transport.close()
    await asyncio.sleep(30)  # cancelled by aiosmtpd as soon as the connection is lost


def _login_name(session) -> str | None:
    return session.auth_data if isinstance(session.auth_data, str) else None


class FakeSMTPServer:
    """An SMTP server on 127.0.0.1:<free port>; use as a context manager or start()/stop()."""

    def __init__(
        self,
        cert_dir: Path | None = None,
        *,
        implicit_tls: bool = False,
        require_starttls: bool = True,
        users: dict[str, str] | None = None,
    ):
        self._tempdir = None
        if cert_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="fake-smtp-")
            cert_dir = Path(self._tempdir.name)
        cert_file, key_file = cert_dir / "smtp-cert.pem", cert_dir / "smtp-key.pem"
        if not cert_file.exists():
            cert_file, key_file = make_certificate(cert_dir)
        self.cert_file = cert_file
        self.implicit_tls = implicit_tls
        self.users = dict(users or {})
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert_file, key_file)

        self.messages: list[ReceivedMail] = []
        #: TCP connections on which a client greeted (EHLO/HELO); STARTTLS does not count again.
        self.connections = 0
        self._lock = threading.Lock()
        self._refused: dict[str, str] = {}
        self._hang_up_at_rcpt: set[str] = set()
        self._drop_after_next = False
        self._slow_data = 0.0

        options = {
            "hostname": HOST,
            "port": 0,
            "server_hostname": "mx.fake.test",
            "ready_timeout": 5,
        }
        if implicit_tls:
            options["ssl_context"] = server_context
        else:
            options["tls_context"] = server_context
            options["require_starttls"] = require_starttls
        if self.users:
            options["auth_required"] = True
            options["authenticator"] = self._authenticate
        self._controller = _Controller(_Handler(self), **options)

    # Lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeSMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> FakeSMTPServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._controller.port

    def client_ssl_context(self) -> ssl.SSLContext:
        """Return a verifying client context that trusts this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cert_file))

    # Faults --------------------------------------------------------------------------------
    def refuse(self, address: str, code: int = 550, reply: str | None = None) -> None:
        """Answer RCPT for ``address`` with a permanent error."""
        reply = reply or f"5.1.1 <{address}>: Recipient address rejected: User unknown in local table"
        with self._lock:
            self._refused[address] = f"{code} {reply}"

    def defer(self, address: str, code: int = 451, reply: str | None = None) -> None:
        """Answer RCPT for ``address`` with a temporary error."""
        reply = reply or f"4.7.1 <{address}>: Recipient address rejected: Greylisted, try again later"
        with self._lock:
            self._refused[address] = f"{code} {reply}"

    def hang_up_at_rcpt(self, address: str) -> None:
        with self._lock:
            self._hang_up_at_rcpt.add(address)

    def drop_after_next_message(self) -> None:
        with self._lock:
            self._drop_after_next = True

    def slow_data(self, seconds: float) -> None:
        with self._lock:
            self._slow_data = seconds

    def clear_faults(self) -> None:
        with self._lock:
            self._refused.clear()
            self._hang_up_at_rcpt.clear()
            self._drop_after_next = False
            self._slow_data = 0.0

    # Internals -----------------------------------------------------------------------------
    def _count_connection(self, server) -> None:
        if not getattr(server, "_fake_counted", False):
            server._fake_counted = True
            with self._lock:
                self.connections += 1

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

"""The email channel: SMTP with STARTTLS, implicit TLS or none, one connection per batch.

``session()`` gives a batch one SMTP connection, opened lazily on the first message so that
a server that is down shows up as a ``retry`` result rather than an exception. If the
server dropped a reused connection between two messages (an idle timeout), the next send
reconnects once and goes on.

Each message is one SMTP transaction to one recipient, driven step by step (MAIL, RCPT,
DATA, body) rather than through ``sendmail`` so that the adapter knows how far it got:

* refused before the body was sent — 4xx, a dropped connection, a timeout, no connection
  at all — nothing was delivered: ``retry``;
* a 5xx reply at any step: ``failed`` with the server's words;
* the body was sent and then the connection died or timed out before the server's
  answer: the server may have queued it, so ``unknown`` (never re-sent automatically).

Configuration problems that no retry will cure (the server refuses the login with 535,
offers no STARTTLS, or its certificate cannot be verified) are ``failed`` with a reason
that says what to fix.

Message layout: plain text, with an HTML alternative when given. Images the HTML refers
to as ``cid:<filename>`` travel as inline parts (``Content-ID: <filename>``) of a
multipart/related next to the HTML; the others are attachments. Each image's alt text is
also put in its ``Content-Description``. ``Message.headers`` (``List-Unsubscribe``,
``List-Unsubscribe-Post``, ``Reply-To`` …) are added as given; they may replace
From/To/Subject but not the MIME structure.
"""

from __future__ import annotations

import contextlib
import email.charset
import email.message
import email.policy
import re
import smtplib
import ssl
from collections.abc import Iterator
from email.encoders import encode_base64
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from typing import Any

from pressroom import clock
from pressroom.channels.base import Message, RateLimit, Result

SECURITY_MODES = ("starttls", "tls", "none")

#: 7-bit-clean bodies (quoted-printable text, base64 files) go through any server, whether
#: or not it announces 8BITMIME; CRLF line ends as SMTP wants them.
_POLICY = email.policy.compat32.clone(linesep="\r\n", max_line_length=None)
_UTF8_QP = email.charset.Charset("utf-8")
_UTF8_QP.body_encoding = email.charset.QP
#: Headers holding addresses: only their display names are encoded.
_ADDRESS_HEADERS = ("from", "to", "cc", "reply-to", "sender")

#: Headers that define the MIME structure; ``Message.headers`` may not touch them.
_STRUCTURAL = ("content-", "mime-version")

_LEADING_DOT = re.compile(rb"(?m)^\.")


class _Refused(Exception):
    """The server answered a step with an error reply (used inside one transaction)."""

    def __init__(self, step: str, code: int, reply: bytes | str):
        self.step, self.code = step, code
        self.reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        super().__init__(f"{code} {self.reply}")


class _Dropped(Exception):
    """The connection failed before the body was sent: nothing was delivered."""

    def __init__(self, step: str, error: BaseException):
        self.step, self.error = step, error
        super().__init__(f"{step}: {error}")


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    # smtplib reports a read timeout as "Connection unexpectedly closed: … timed out".
    if isinstance(error, TimeoutError) or "timed out" in text:
        return "no answer in time"
    return text


def _server_says(code: int, reply: str) -> str:
    return f"{code} {' '.join(reply.split())}"


class EmailSession:
    """One batch's SMTP connection, opened on first use and reopened once if it was dropped.

    Like the smtplib connection inside it, a session belongs to one thread: a worker
    sending from a thread pool opens one session per thread.
    """

    def __init__(self, channel: EmailChannel):
        self.channel = channel
        self.connection: smtplib.SMTP | None = None
        #: Connections opened in this batch (1 unless the server dropped one).
        self.connections_opened = 0
        #: Whether a transaction already ran on the current connection (so it may be stale).
        self.used = False

    def connect(self) -> smtplib.SMTP:
        self.close()
        self.connection = self.channel._open_connection()
        self.connections_opened += 1
        self.used = False
        return self.connection

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            connection.close()


class EmailChannel:
    """Send email through one SMTP server taken from configuration."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int = 587,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str = "Pressroom <noreply@localhost>",
        timeout: float = 10,
        ssl_context: ssl.SSLContext | None = None,
        rate_limit: RateLimit | None = None,
    ):
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {SECURITY_MODES}, not {security!r}")
        envelope_sender = parseaddr(sender)[1]
        if "@" not in envelope_sender:
            raise ValueError(f"the mail sender {sender!r} has no address with a domain")
        self.host = host
        self.port = int(port)
        self.security = security
        self.username = username or None
        self.password = password or ""
        self.sender = sender
        self.envelope_sender = envelope_sender
        #: Message-IDs end in the sender's domain, so replies and bounces can be matched.
        self.domain = envelope_sender.rpartition("@")[2]
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.rate_limit = rate_limit or RateLimit(per_second=None)

    # Channel protocol ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, credentials: dict[str, Any] | None = None) -> Iterator[EmailSession]:
        """Keep one SMTP connection for the batch (server and login come from configuration)."""
        batch = EmailSession(self)
        try:
            yield batch
        finally:
            batch.close()

    def send(self, session: EmailSession | None, message: Message) -> Result:
        """Send ``message`` to its one recipient over the batch's connection."""
        if not message.recipient or "@" not in message.recipient:
            return Result.failed("the message has no email address to send to")
        try:
            email_message = self.build(message)
            payload = email_message.as_bytes(policy=_POLICY)
        except (ValueError, TypeError, UnicodeError) as exc:
            return Result.failed(f"the email could not be composed: {exc}")
        recipient = parseaddr(message.recipient)[1] or message.recipient
        if session is None:
            with self.session() as own:
                return self._deliver(own, recipient, payload, email_message["Message-ID"])
        return self._deliver(session, recipient, payload, email_message["Message-ID"])

    def retract(self, credentials: dict[str, Any], external_id: str) -> Result:
        return Result.failed("email cannot be recalled")

    # Composing -----------------------------------------------------------------------------
    def build(self, message: Message) -> email.message.Message:
        """Return the complete email for ``message`` (headers, text, HTML, images).

        Built with the classic ``email.mime`` classes: a press alert builds one message per
        journalist, and these cost a third of ``EmailMessage``'s header parsing. Bodies are
        UTF-8 quoted-printable (7-bit clean), headers RFC 2047-encoded where they are not
        ASCII, attachment names RFC 2231-encoded."""
        body: email.message.Message = _text_part(message.text or "", "plain")
        inline, attached = [], []
        for image in message.images:
            referenced = message.html is not None and f"cid:{image.filename}" in message.html
            (inline if referenced else attached).append(image)
        if message.html is not None:
            html: email.message.Message = _text_part(message.html, "html")
            if inline:
                html = _multipart("related", html, *(
                    _binary_part(image.data, image.content_type, image.filename, "inline",
                                 cid=image.filename, description=image.alt_text) for image in inline))
            body = _multipart("alternative", body, html)
        extra = [_binary_part(image.data, image.content_type, image.filename, "attachment",
                              description=image.alt_text) for image in attached]
        for attachment in message.attachments:
            if attachment.content_type.startswith("text/"):
                part = _text_part(attachment.data.decode("utf-8"), attachment.content_type.partition("/")[2])
                _disposition(part, "attachment", attachment.filename)
                extra.append(part)
            else:
                extra.append(_binary_part(attachment.data, attachment.content_type, attachment.filename,
                                          "attachment"))
        msg = _multipart("mixed", body, *extra) if extra else body
        msg["MIME-Version"] = "1.0"
        headers = {"From": self.sender, "To": message.recipient or "", "Subject": message.subject or "",
                   "Date": format_datetime(clock.now()),
                   "Message-ID": make_msgid(idstring=f"d{message.delivery_id}", domain=self.domain)}
        for name, value in message.headers.items():
            if name.lower().startswith(_STRUCTURAL):
                raise ValueError(f"header {name!r} is set by the channel, not by the message")
            for known in [k for k in headers if k.lower() == name.lower()]:
                del headers[known]
            headers[name] = value
        for name, value in headers.items():
            msg[name] = _header_value(name, value)
        return msg

    # Sending -------------------------------------------------------------------------------
    def _open_connection(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _deliver(self, session: EmailSession, recipient: str, payload: bytes, message_id: str) -> Result:
        where = f"{self.host}:{self.port}"
        for attempt in (1, 2):
            reused = session.connection is not None and session.used
            try:
                connection = session.connection or session.connect()
            except smtplib.SMTPAuthenticationError as exc:
                return _login_refused(exc, where)
            except smtplib.SMTPNotSupportedError:
                return Result.failed(f"the mail server {where} does not offer STARTTLS; check SMTP_SECURITY")
            except ssl.SSLCertVerificationError as exc:
                return Result.failed(
                    f"the mail server {where} presented a certificate that could not be verified: "
                    f"{exc.verify_message or exc}"
                )
            except smtplib.SMTPResponseException as exc:
                return _refusal(_Refused("greeting", exc.smtp_code, exc.smtp_error))
            except (smtplib.SMTPException, OSError) as exc:
                return Result.retry(f"could not connect to the mail server {where}: {_describe(exc)}")
            session.used = True
            try:
                self._transaction(connection, recipient, payload)
            except _Dropped as exc:
                session.connection = None
                connection.close()
                if exc.step == "MAIL" and reused and attempt == 1:
                    continue  # the server closed an idle connection between messages
                return Result.retry(
                    f"the connection to the mail server {where} was lost at {exc.step} "
                    f"({_describe(exc.error)}); nothing was delivered"
                )
            except _Refused as exc:
                if exc.step != "DATA-END":
                    _reset(session)
                return _refusal(exc)
            except (smtplib.SMTPException, OSError) as exc:
                session.connection = None
                connection.close()
                return Result.unknown(
                    f"the email was handed to {where} but the answer was lost ({_describe(exc)}); "
                    "it may or may not have been accepted"
                )
            return Result.sent(external_id=message_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(self, connection: smtplib.SMTP, recipient: str, payload: bytes) -> None:
        """Run MAIL, RCPT, DATA and the body; raise _Refused/_Dropped, or OSError after the body."""
        step = "MAIL"
        try:
            _expect(step, connection.mail(self.envelope_sender), 250)
            step = "RCPT"
            _expect(step, connection.rcpt(recipient), 250, 251)
            step = "DATA"
            _expect(step, connection.docmd("DATA"), 354)
            # A body that could not be written whole lacks its final "." line, so the
            # server cannot have accepted it: still safe to retry.
            step = "body"
            connection.send(_dot_stuffed(payload))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Dropped(step, exc) from exc
        # The server has the whole message now: a lost answer from here on means "unknown".
        code, reply = connection.getreply()
        if code != 250:
            raise _Refused("DATA-END", code, reply)


def _expect(step: str, answer: tuple[int, bytes], *good: int) -> None:
    code, reply = answer
    if code == 421:
        # "Service not available, closing transmission channel": often an idle timeout
        # announced just before the server hung up; treat it as the drop it is.
        raise smtplib.SMTPServerDisconnected(_server_says(code, reply.decode("utf-8", "replace")))
    if code not in good:
        raise _Refused(step, code, reply)


def _dot_stuffed(payload: bytes) -> bytes:
    """Return the DATA body: leading dots doubled, ended by the lone "." line (RFC 5321 4.5.2)."""
    body = _LEADING_DOT.sub(b"..", payload)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _header_value(name: str, value: str) -> str:
    """A header value as it goes on the wire: refused if it would start another header,
    RFC 2047-encoded where it is not ASCII (in address headers, the display names only)."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name!r} contains a line break")
    if value.isascii():
        return value
    if name.lower() in _ADDRESS_HEADERS:
        return ", ".join(_address(display, address) for display, address in getaddresses([value]))
    return Header(value, "utf-8").encode()


def _address(display: str, address: str) -> str:
    if not display or display.isascii():
        return formataddr((display, address))
    return f"{Header(display, 'utf-8').encode()} <{address}>"  # encoded words of at most 75


def _text_part(text: str, subtype: str) -> MIMEText:
    part = MIMEText(text, subtype, _UTF8_QP)
    del part["MIME-Version"]  # once, on the whole message
    return part


def _binary_part(data: bytes, content_type: str, filename: str, disposition: str, *,
                 cid: str | None = None, description: str = "") -> MIMENonMultipart:
    maintype, _, subtype = content_type.partition("/")
    part = MIMENonMultipart(maintype, subtype)
    del part["MIME-Version"]
    part.set_payload(data)
    encode_base64(part)
    if cid:
        part["Content-ID"] = f"<{cid}>"
    _disposition(part, disposition, filename)
    if description:
        part["Content-Description"] = _header_value("Content-Description", description)
    return part


def _disposition(part: email.message.Message, disposition: str, filename: str) -> None:
    name = filename if filename.isascii() else ("utf-8", "", filename)
    part.add_header("Content-Disposition", disposition, filename=name)


def _multipart(subtype: str, *parts: email.message.Message) -> MIMEMultipart:
    container = MIMEMultipart(subtype, _subparts=list(parts))
    del container["MIME-Version"]
    return container


def _reset(session: EmailSession) -> None:
    """Clear a refused transaction so the next message can use the same connection."""
    if session.connection is None:
        return
    try:
        session.connection.rset()
    except (smtplib.SMTPException, OSError):
        session.close()


def _refusal(exc: _Refused) -> Result:
    said = _server_says(exc.code, exc.reply)
    if 400 <= exc.code < 500:
        return Result.retry(f"the mail server asked to try again later at {exc.step}: {said}")
    if exc.step == "RCPT":
        return Result.failed(f"the mail server refused the recipient: {said}")
    return Result.failed(f"the mail server refused the message: {said}")


def _login_refused(exc: smtplib.SMTPAuthenticationError, where: str) -> Result:
    said = _server_says(exc.smtp_code, exc.smtp_error.decode("utf-8", "replace"))
    if 400 <= exc.smtp_code < 500:
        return Result.retry(f"the mail server {where} could not check the login now: {said}")
    return Result.failed(f"the mail server {where} refused the login (check SMTP_USERNAME/PASSWORD): {said}")

"""What a journalist does through their own signed link (no login): one-click unsubscribe,
one-time codes guarding their personal page, preferences, access to what Pressroom holds
(UU 27/2022), erasure requests; and the answers to what Pressroom asks them: consent
requests and "hadir" replies to coverage invitations. Also the transactional messages to a
journalist (codes, confirmations, consent requests) and the admin side of erasure requests.

The links themselves are ``services/press_links.py``. A link opens the unsubscribe buttons
at once; everything else first asks for a one-time code sent to the journalist's own stored
email or WhatsApp number, because alerts get forwarded into groups.

Actions taken by the journalist are audited with no actor and ``acting_as`` set to
``ACTING_AS`` (``audit.record`` would otherwise say "system").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom import clock, formatting
from pressroom.i18n import _l
from pressroom.models import (
    Beat,
    Consent,
    ConsentRequest,
    Delivery,
    ErasureRequest,
    InvitationReply,
    Journalist,
    JournalistCode,
    JournalistOpd,
    Membership,
    Opd,
    PressRelease,
    User,
)
from pressroom.models.journalist import CHANNELS
from pressroom.services import ValidationError, audit, journalists, notifications, outbox, policy, press_links
from pressroom.services.press_links import LinkClaims

#: ``acting_as`` of audit rows written for what a journalist did themselves.
ACTING_AS = "journalist (own link)"
#: One-time codes: lifetime, how many a journalist may ask for per window, tries per code.
CODE_LIFETIME = timedelta(minutes=10)
CODE_WINDOW = timedelta(minutes=15)
CODES_PER_WINDOW = 3
CODE_ATTEMPTS = 5
#: How long a verified code opens the personal page in that browser.
VERIFIED_FOR = timedelta(minutes=30)
#: UU 27/2022: erasure carried out within 3 × 24 hours of the request.
ERASURE_DEADLINE = timedelta(hours=72)
#: An unanswered consent request is not sent again on the same channel within this time.
CONSENT_REQUEST_INTERVAL = timedelta(hours=24)
#: The staff page listing open erasure requests (admins are notified with this link).
ERASURE_REQUESTS_LINK = "/app/wartawan/permintaan-penghapusan"
#: Defaults of the approved WhatsApp template that carries a notice outside the 24-hour window.
DEFAULT_NOTICE_TEMPLATE = "pressroom_pemberitahuan"
DEFAULT_NOTICE_LANGUAGE = "id"
#: How consents given or refused through a link are recorded.
CONSENT_METHOD_LINK = "tautan konfirmasi"
CONSENT_METHOD_PAGE = "halaman pribadi"
UNSUBSCRIBE_HOW = "tautan berhenti berlangganan"
PROVINCE = "Pemerintah Provinsi Jawa Tengah"

CHANNEL_NAMES = {"email": _l("email"), "whatsapp": _l("WhatsApp")}


def _in_locale(text, lang: str) -> str:
    """Render a (lazy) message in ``lang``, whatever the request's language."""
    return notifications._in_locale(text, lang or "id")


class _Deferred:
    """A message rendered only when it is read (``notifications.notify`` renders it in each
    recipient's language, and the times in it must follow)."""

    def __init__(self, render):
        self._render = render

    def __str__(self) -> str:
        return self._render()


def _current_lang() -> str:
    try:
        from flask_babel import get_locale

        return str(get_locale() or "id")
    except RuntimeError:
        return "id"


# Who and where ------------------------------------------------------------------------------
def first_name(journalist: Journalist) -> str:
    """The only personal value a link shows before the one-time code."""
    words = (journalist.full_name or "").split()
    return words[0] if words else ""


def address_for(journalist: Journalist, channel: str, *, personal_only: bool = False) -> str | None:
    """The stored address to write to on ``channel``: the first non-bouncing email (personal
    before shared desk addresses), or the first WhatsApp-capable number in E.164.

    ``personal_only`` leaves out shared desk addresses and numbers (one-time codes: a desk
    inbox is read by many)."""
    if channel == "email":
        points = [(e.is_shared, e.address) for e in journalist.emails if e.bouncing_at is None]
    elif channel == "whatsapp":
        points = [(p.is_shared, p.e164) for p in journalist.phones if p.whatsapp_capable]
    else:
        return None
    if personal_only:
        points = [p for p in points if not p[0]]
    points.sort(key=lambda p: p[0])  # stable: personal first, then in stored order
    return points[0][1] if points else None


def _ordered_channels(journalist: Journalist) -> list[str]:
    preferred = [c for c in (journalist.preferred_channels or []) if c in CHANNELS]
    return preferred + [c for c in CHANNELS if c not in preferred]


def code_channels(journalist: Journalist) -> list[str]:
    """Channels a one-time code can go to (the journalist's own contacts), preferred first."""
    return [c for c in _ordered_channels(journalist) if address_for(journalist, c, personal_only=True)]


def reachable_channels(journalist: Journalist) -> list[str]:
    """Channels with a usable address, preferred first."""
    return [c for c in _ordered_channels(journalist) if address_for(journalist, c)]


def _lock(session: Session, journalist: Journalist) -> None:
    """Serialise one journalist's self-service writes (PostgreSQL row lock; SQLite's write
    requests already run one at a time), so double clicks make one change and one message.

    On PostgreSQL the record is read again under the lock: what a concurrent request
    committed meanwhile is seen. Call it before changing anything."""
    if session.get_bind().dialect.name == "postgresql":
        # Lock the bare row (FOR UPDATE refuses the outer join that loads the outlet), then reload.
        session.execute(select(Journalist.id).where(Journalist.id == journalist.id).with_for_update())
        session.refresh(journalist)


def _require_not_erased(journalist: Journalist) -> None:
    if journalist.status == "erased":
        raise ValidationError.one("", _l("This contact was erased; nothing is kept to change."))


def _link(config: Mapping[str, Any], purpose: str, claims: LinkClaims) -> str:
    return press_links.absolute(config["PUBLIC_URL"], config["SECRET_KEY"], purpose, claims)


# Sending to a journalist ----------------------------------------------------------------------
def notify_journalist(
    session: Session,
    journalist: Journalist,
    channel: str,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    config: Mapping[str, Any],
    link: str | None = None,
    opd_id: int | None = None,
    purpose: str | None = None,
    recipient: str | None = None,
) -> Delivery | None:
    """Queue a transactional message (a code, a confirmation, a consent request) to the
    journalist's stored address on ``channel``.

    Returns None, queueing nothing, for an erased journalist or when there is no usable
    address on that channel (the dispatcher checks erasure again when it claims the row).
    On WhatsApp the message names the approved notice template (``WHATSAPP_NOTICE_TEMPLATE``,
    the text as its one parameter) so the Cloud API delivers it outside the 24-hour window;
    gateways and the sandbox send the text. ``purpose`` (``code``, ``unsubscribe``,
    ``consent_request`` …) is kept in the payload so the dispatcher can tell them apart.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown journalist channel {channel!r}")
    if journalist.status == "erased":
        return None
    recipient = recipient or address_for(journalist, channel)
    if recipient is None:
        return None
    payload: dict[str, Any] = {"subject": subject, "text": text}
    if html is not None:
        payload["html"] = html
    if link:
        payload["link"] = link
    if purpose:
        payload["purpose"] = purpose
    if channel == "whatsapp":
        from pressroom.channels.whatsapp import template_headers

        # Meta refuses template parameters with line breaks, tabs or long runs of spaces.
        param = " ".join(text.split())
        payload["headers"] = template_headers(
            config.get("WHATSAPP_NOTICE_TEMPLATE") or DEFAULT_NOTICE_TEMPLATE, [param],
            language=config.get("WHATSAPP_NOTICE_LANGUAGE") or DEFAULT_NOTICE_LANGUAGE)
    return outbox.enqueue(session, kind="transactional", channel=channel, subject_type="journalist",
                          subject_id=journalist.id, opd_id=opd_id, recipient=recipient, payload=payload)


def _site(config: Mapping[str, Any]) -> str:
    return config.get("SITE_NAME") or "Pressroom"


# One-click unsubscribe ------------------------------------------------------------------------
def unsubscribe(
    session: Session,
    journalist: Journalist,
    *,
    scope: str,
    opd: Opd | None,
    channel: str | None,
    config: Mapping[str, Any],
    lang: str = "id",
) -> bool:
    """Stop press alerts from one OPD (``scope="opd"``) or from all (withdraw consent on
    every channel); confirm once on ``channel``. Return whether anything changed (a second
    click changes nothing and sends nothing). An erased journalist: nothing, False."""
    if journalist.status == "erased":
        return False
    if scope not in ("opd", "all") or (scope == "opd" and opd is None):
        raise ValueError("unsubscribe needs scope 'all', or 'opd' with an OPD")
    _lock(session, journalist)
    now = clock.now()
    if scope == "opd":
        link = journalist.link_for(opd.id)
        if link is None:
            journalist.links.append(JournalistOpd(opd_id=opd.id, following=False, subscribed=False))
        elif link.subscribed:
            link.subscribed = False
        else:
            return False
        audit.record(session, None, "journalist.unsubscribed", journalist, opd_id=opd.id,
                     fields=["subscribed"], details={"scope": "opd", "channel": channel}, acting_as=ACTING_AS)
        text = _l("You will no longer receive press alerts from %(opd)s through %(site)s. Alerts from other "
                  "OPDs of the Central Java Provincial Government are not affected.",
                  opd=opd.name, site=_site(config))
    else:
        changed = []
        for name in CHANNELS:
            row = journalist.consent_for(name)
            if row is None:
                row = Consent(channel=name, state="awaiting")
                journalist.consents.append(row)
            if row.state != "withdrawn":
                row.state, row.withdrawn_at, row.withdrawn_how = "withdrawn", now, UNSUBSCRIBE_HOW
                changed.append(name)
        if not changed:
            return False
        for name in changed:
            audit.record(session, None, "consent.withdrawn", journalist, fields=[f"consent.{name}"],
                         details={"channel": name, "via": "unsubscribe_link"}, acting_as=ACTING_AS)
        text = _l("You will no longer receive press alerts from any OPD of the Central Java Provincial "
                  "Government through %(site)s. This is the last message about it.", site=_site(config))
    session.flush()
    reachable = reachable_channels(journalist)
    channel = channel if channel in reachable else next(iter(reachable), None)
    if channel is not None:
        notify_journalist(session, journalist, channel, subject=_in_locale(_l("You are unsubscribed"), lang),
                          text=_in_locale(text, lang), config=config, purpose="unsubscribe",
                          opd_id=opd.id if opd is not None else None)
    return True


def unsubscribe_token(secret: str, claims: LinkClaims) -> str:
    """The unsubscribe token for the journalist (and OPD, channel) a personal link is for."""
    return press_links.make_token(secret, "unsubscribe", LinkClaims(
        journalist_id=claims.journalist_id, opd_id=claims.opd_id, channel=claims.channel))


# One-time codes -------------------------------------------------------------------------------
def _code_hash(secret: str, journalist_id: int, code: str) -> str:
    message = f"pressroom.press.code:{journalist_id}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_code(
    session: Session, journalist: Journalist, channel: str, *, config: Mapping[str, Any], lang: str = "id"
) -> JournalistCode:
    """Send a 6-digit code to the journalist's own address on ``channel``; keep only its hash.

    At most ``CODES_PER_WINDOW`` codes per ``CODE_WINDOW`` per journalist."""
    _require_not_erased(journalist)
    recipient = address_for(journalist, channel, personal_only=True) if channel in CHANNELS else None
    if recipient is None:
        raise ValidationError.one("channel", _l("Choose one of the ways offered to receive the code."))
    _lock(session, journalist)
    now = clock.now()
    recent = list(session.scalars(select(JournalistCode.created_at).where(
        JournalistCode.journalist_id == journalist.id, JournalistCode.created_at > now - CODE_WINDOW)
        .order_by(JournalistCode.created_at)))
    if len(recent) >= CODES_PER_WINDOW:
        raise ValidationError.one("", _l(
            "Three codes were already sent in the last 15 minutes. Use the latest one, or ask again after "
            "%(when)s.", when=formatting.wib(recent[0] + CODE_WINDOW, lang, with_date=False)))
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = JournalistCode(journalist_id=journalist.id, channel=channel, expires_at=now + CODE_LIFETIME,
                         code_hash=_code_hash(config["SECRET_KEY"], journalist.id, code), created_at=now)
    session.add(row)
    session.flush()
    text = _l("Your %(site)s code is %(code)s. It is valid for 10 minutes. Do not share it with anyone; "
              "if you did not ask for it, ignore this message.", site=_site(config), code=code)
    subject = _l("Your code: %(code)s", code=code)
    notify_journalist(session, journalist, channel, subject=_in_locale(subject, lang),
                      text=_in_locale(text, lang), config=config, purpose="code", recipient=recipient)
    audit.record(session, None, "journalist.code_sent", journalist, details={"channel": channel},
                 acting_as=ACTING_AS)
    return row


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code typed in: ``ok``, ``wrong`` (tries left), ``locked``, ``expired``, ``none``."""

    outcome: str
    channel: str | None = None
    tries_left: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def verify_code(session: Session, journalist: Journalist, typed: str, *, secret: str) -> CodeCheck:
    """Check a typed code against the journalist's latest code: one use, ``CODE_ATTEMPTS``
    tries, compared in constant time. The caller commits whatever the outcome (tries count)."""
    if journalist.status == "erased":
        return CodeCheck("none")
    _lock(session, journalist)
    row = session.scalar(select(JournalistCode).where(JournalistCode.journalist_id == journalist.id,
                                                      JournalistCode.used_at.is_(None))
                         .order_by(JournalistCode.created_at.desc(), JournalistCode.id.desc()).limit(1))
    if row is None:
        return CodeCheck("none")
    if row.attempts >= CODE_ATTEMPTS:
        return CodeCheck("locked")
    if clock.now() >= row.expires_at:
        return CodeCheck("expired")
    row.attempts += 1
    cleaned = "".join(ch for ch in (typed or "") if not ch.isspace())[:12]
    if not hmac.compare_digest(_code_hash(secret, journalist.id, cleaned), row.code_hash):
        left = CODE_ATTEMPTS - row.attempts
        if left <= 0:
            audit.record(session, None, "journalist.code_locked", journalist, acting_as=ACTING_AS)
            return CodeCheck("locked")
        return CodeCheck("wrong", tries_left=left)
    row.used_at = clock.now()
    audit.record(session, None, "journalist.code_verified", journalist, details={"channel": row.channel},
                 acting_as=ACTING_AS)
    return CodeCheck("ok", channel=row.channel)


def active_code(session: Session, journalist: Journalist) -> JournalistCode | None:
    """The latest unused code still worth typing (not expired, not locked)."""
    row = session.scalar(select(JournalistCode).where(JournalistCode.journalist_id == journalist.id,
                                                      JournalistCode.used_at.is_(None))
                         .order_by(JournalistCode.created_at.desc(), JournalistCode.id.desc()).limit(1))
    if row is None or row.attempts >= CODE_ATTEMPTS or clock.now() >= row.expires_at:
        return None
    return row


# Preferences (after the code) -----------------------------------------------------------------
def receiving_opd_ids(journalist: Journalist) -> set[int]:
    """OPDs whose alerts the journalist receives (the link follows and is subscribed)."""
    return {link.opd_id for link in journalist.links if link.following and link.subscribed}


def update_preferences(
    session: Session,
    journalist: Journalist,
    *,
    preferred_channels: list[str],
    beat_ids: Iterable[int],
    opd_ids: Iterable[int],
    consent_channels: Iterable[str],
    verified_by: str | None,
) -> list[str]:
    """Apply what the journalist chose on their page; return the names of what changed.

    Channels are an ordered set; beats come from the active vocabulary (inactive ones they
    already have are kept); OPDs are chosen among active ones (unticking stops that OPD's
    alerts and its following); consent changes only on channels with an address."""
    _require_not_erased(journalist)
    errors: dict[str, object] = {}
    channels: list[str] = []
    for channel in preferred_channels:
        if channel not in CHANNELS:
            errors["channels"] = _l("Choose channels from the list.")
        elif channel not in channels:
            channels.append(channel)
    wanted_beats = {int(b) for b in beat_ids}
    active_beats = {b.id: b for b in session.scalars(select(Beat).where(Beat.is_active.is_(True)))}
    if wanted_beats - set(active_beats):
        errors["beats"] = _l("Choose beats from the list.")
    wanted_opds = {int(o) for o in opd_ids}
    active_opds = set(session.scalars(select(Opd.id).where(Opd.is_active.is_(True))))
    if wanted_opds - active_opds:
        errors["opds"] = _l("Choose OPDs from the list.")
    wanted_consent = set(consent_channels)
    if wanted_consent - set(CHANNELS):
        errors["consent"] = _l("Choose channels from the list.")
    if errors:
        raise ValidationError(errors)
    _lock(session, journalist)
    changed: list[str] = []
    if channels != list(journalist.preferred_channels or []):
        journalist.preferred_channels = channels
        changed.append("preferred_channels")
    kept = [b for b in journalist.beats if not b.is_active]
    if {b.id for b in journalist.beats if b.is_active} != wanted_beats:
        journalist.beats = kept + [active_beats[b] for b in sorted(wanted_beats)]
        changed.append("beats")
    opd_changes = []
    for opd_id in sorted(active_opds):
        link = journalist.link_for(opd_id)
        receiving = link is not None and link.following and link.subscribed
        if opd_id in wanted_opds and not receiving:
            if link is None:
                journalist.links.append(JournalistOpd(opd_id=opd_id, following=True, subscribed=True))
            else:
                link.following = link.subscribed = True
            opd_changes.append(opd_id)
        elif opd_id not in wanted_opds and receiving:
            link.following = link.subscribed = False
            opd_changes.append(opd_id)
    if changed:
        journalist.updated_at = clock.now()
        audit.record(session, None, "journalist.updated", journalist, fields=changed,
                     details={"via": "own_page"}, acting_as=ACTING_AS)
    for opd_id in opd_changes:
        audit.record(session, None, "journalist.opd_preference", journalist, opd_id=opd_id,
                     fields=["following", "subscribed"], details={"receiving": opd_id in wanted_opds},
                     acting_as=ACTING_AS)
    if opd_changes:
        changed.append("opds")
    now = clock.now()
    for channel in CHANNELS:
        if address_for(journalist, channel) is None:
            continue  # not offered on the page: left as it is
        row = journalist.consent_for(channel)
        if row is None:
            row = Consent(channel=channel, state="awaiting")
            journalist.consents.append(row)
        if channel in wanted_consent and row.state != "given":
            row.state, row.given_at, row.method = "given", now, CONSENT_METHOD_PAGE
            row.basis = ("diberikan sendiri di halaman pribadi setelah verifikasi kode via "
                         f"{verified_by or '-'}")
            row.withdrawn_at = row.withdrawn_how = None
            audit.record(session, None, "consent.given", journalist, fields=[f"consent.{channel}"],
                         details={"channel": channel, "via": "own_page"}, acting_as=ACTING_AS)
            changed.append(f"consent.{channel}")
        elif channel not in wanted_consent and row.state == "given":
            row.state, row.withdrawn_at, row.withdrawn_how = "withdrawn", now, CONSENT_METHOD_PAGE
            audit.record(session, None, "consent.withdrawn", journalist, fields=[f"consent.{channel}"],
                         details={"channel": channel, "via": "own_page"}, acting_as=ACTING_AS)
            changed.append(f"consent.{channel}")
    session.flush()
    return changed


# Access (UU 27/2022) --------------------------------------------------------------------------
def access_export(session: Session, journalist: Journalist, *, fmt: str = "page") -> dict[str, Any]:
    """Everything Pressroom holds about the journalist (``journalists.subject_access_export``:
    every OPD's notes about them included), audited as seen by the journalist."""
    _require_not_erased(journalist)
    audit.record(session, None, "journalist.access_viewed", journalist, details={"format": fmt},
                 acting_as=ACTING_AS)
    session.flush()
    return journalists.subject_access_export(session, journalist)


# Erasure requests -----------------------------------------------------------------------------
def open_erasure_request(session: Session, journalist: Journalist) -> ErasureRequest | None:
    return session.scalar(select(ErasureRequest).where(ErasureRequest.journalist_id == journalist.id,
                                                       ErasureRequest.done_at.is_(None))
                          .order_by(ErasureRequest.id).limit(1))


def _admins(session: Session) -> list[User]:
    ids = select(Membership.user_id).where(Membership.role == "admin", Membership.ended_at.is_(None))
    return list(session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))
                                .order_by(User.id)))


def request_erasure(session: Session, journalist: Journalist) -> tuple[ErasureRequest, bool]:
    """Record the journalist's request to be erased, due in 72 hours, and tell the admins
    (in the app and by email). Return the open request and whether it is new (asking twice
    keeps the first request and its deadline)."""
    _require_not_erased(journalist)
    _lock(session, journalist)
    existing = open_erasure_request(session, journalist)
    if existing is not None:
        return existing, False
    now = clock.now()
    request = ErasureRequest(journalist_id=journalist.id, requested_at=now, due_at=now + ERASURE_DEADLINE)
    session.add(request)
    session.flush()
    audit.record(session, None, "journalist.erasure_requested", journalist,
                 details={"request": request.id, "due_at": request.due_at.isoformat()}, acting_as=ACTING_AS)
    due = request.due_at
    text = _Deferred(lambda: str(_l(
        "Erasure request #%(id)s: a journalist asked for their personal data to be erased. Carry it out by "
        "%(due)s.", id=request.id, due=formatting.wib(due, _current_lang()))))
    notifications.notify(session, _admins(session), text, ERASURE_REQUESTS_LINK)
    return request, True


@dataclass
class ErasureRow:
    request: ErasureRequest
    journalist: Journalist | None
    time_left: timedelta

    @property
    def overdue(self) -> bool:
        return self.time_left <= timedelta(0)


def open_erasure_requests(session: Session) -> list[ErasureRow]:
    """Open requests, the earliest deadline first, with the time left (negative: overdue)."""
    now = clock.now()
    rows = session.execute(select(ErasureRequest, Journalist)
                           .outerjoin(Journalist, Journalist.id == ErasureRequest.journalist_id)
                           .where(ErasureRequest.done_at.is_(None))
                           .order_by(ErasureRequest.due_at, ErasureRequest.id)).all()
    return [ErasureRow(request, journalist, request.due_at - now) for request, journalist in rows]


def close_erasure_requests(session: Session, admin: User, journalist: Journalist) -> int:
    """Mark the journalist's open erasure requests done (call after ``journalists.erase``)."""
    if journalist.status != "erased":
        return 0
    now = clock.now()
    rows = list(session.scalars(select(ErasureRequest).where(ErasureRequest.journalist_id == journalist.id,
                                                             ErasureRequest.done_at.is_(None))))
    for request in rows:
        request.done_at, request.done_by_id = now, admin.id
        audit.record(session, admin, "journalist.erasure_request_done", journalist,
                     details={"request": request.id, "late": now > request.due_at})
    return len(rows)


# Consent requests -----------------------------------------------------------------------------
def latest_consent_requests(session: Session, journalist: Journalist) -> dict[str, ConsentRequest]:
    """The latest consent request per channel (for the directory page)."""
    found: dict[str, ConsentRequest] = {}
    for request in session.scalars(select(ConsentRequest).where(ConsentRequest.journalist_id == journalist.id)
                                   .order_by(ConsentRequest.created_at, ConsentRequest.id)):
        found[request.channel] = request
    return found


def send_consent_request(
    session: Session, actor: User, journalist: Journalist, channel: str, opd: Opd, config: Mapping[str, Any]
) -> ConsentRequest:
    """Ask a contact awaiting consent on ``channel`` whether they agree to press alerts there:
    a transactional message with a confirm link. Refused for consent already given or
    withdrawn (a withdrawn contact is never asked again), archived and erased contacts, a
    channel without an address, and while an earlier request waits for its answer."""
    policy.require(actor, "journalist.edit")
    if journalist.status == "erased":
        raise ValidationError.one("", _l("This contact was erased; nothing is sent to it."))
    if journalist.status == "archived":
        raise ValidationError.one("", _l("This contact is archived: restore it before asking for consent."))
    if channel not in CHANNELS:
        raise ValidationError.one("channel", _l("Unknown channel."))
    row = journalist.consent_for(channel)
    state = row.state if row is not None else "awaiting"
    if state == "given":
        raise ValidationError.one("channel", _l(
            "Consent for %(channel)s is already given: there is nothing to ask.",
            channel=CHANNEL_NAMES[channel]))
    if state == "withdrawn":
        raise ValidationError.one("channel", _l(
            "This journalist withdrew consent for %(channel)s. Pressroom does not ask again; only the "
            "journalist can give it again (through their personal page).", channel=CHANNEL_NAMES[channel]))
    if address_for(journalist, channel) is None:
        raise ValidationError.one("channel", _l("There is no usable %(channel)s address for this journalist.",
                                                channel=CHANNEL_NAMES[channel]))
    _lock(session, journalist)
    now = clock.now()
    pending = session.scalar(select(ConsentRequest).where(
        ConsentRequest.journalist_id == journalist.id, ConsentRequest.channel == channel,
        ConsentRequest.answer.is_(None), ConsentRequest.created_at > now - CONSENT_REQUEST_INTERVAL)
        .order_by(ConsentRequest.created_at.desc()).limit(1))
    if pending is not None:
        raise ValidationError.one("", _l("A consent request was sent on %(when)s and is still unanswered. "
                                         "Wait for the answer before asking again.",
                                         when=formatting.wib(pending.created_at, _current_lang())))
    request = ConsentRequest(journalist_id=journalist.id, channel=channel, opd_id=opd.id,
                             requested_by_id=actor.id, created_at=now)
    session.add(request)
    session.flush()
    link = _link(config, "consent", LinkClaims(journalist_id=journalist.id, opd_id=opd.id, channel=channel,
                                               request_id=request.id))
    text = _l("Hello %(name)s. %(opd)s (Central Java Provincial Government) would like to send you press "
              "releases and coverage invitations by %(channel)s. Do you agree? Answer here: %(link)s. You "
              "can withdraw at any time through the link in each message.",
              name=first_name(journalist), opd=opd.name, channel=CHANNEL_NAMES[channel], link=link)
    notify_journalist(session, journalist, channel,
                      subject=_in_locale(_l("Press alerts from %(opd)s: do you agree?", opd=opd.name), "id"),
                      text=_in_locale(text, "id"), config=config, link=link, opd_id=opd.id,
                      purpose="consent_request")
    audit.record(session, actor, "consent.requested", journalist, opd_id=opd.id,
                 details={"channel": channel, "request": request.id})
    return request


def load_consent_request(session: Session, claims: LinkClaims) -> ConsentRequest | None:
    """The request a consent link points at, if the link's claims match it."""
    if claims.request_id is None:
        return None
    request = session.get(ConsentRequest, claims.request_id)
    if request is None or request.journalist_id != claims.journalist_id or request.channel != claims.channel:
        return None
    return request


def answer_consent_request(session: Session, journalist: Journalist, request: ConsentRequest, *,
                           agree: bool) -> bool:
    """Record the journalist's answer: "Setuju" gives consent on the request's channel with
    its basis and time; "Tidak" withdraws it. Return False (changing nothing) when the
    request was already answered or the contact erased."""
    if journalist.status == "erased" or request.journalist_id != journalist.id:
        return False
    _lock(session, journalist)
    session.refresh(request)
    if request.answer is not None:
        return False
    now = clock.now()
    request.answer, request.answered_at = ("given" if agree else "declined"), now
    row = journalist.consent_for(request.channel)
    if row is None:
        row = Consent(channel=request.channel, state="awaiting")
        journalist.consents.append(row)
    if agree:
        row.state, row.given_at, row.method = "given", now, CONSENT_METHOD_LINK
        row.basis = f"konfirmasi atas permintaan persetujuan #{request.id} via {request.channel}"
        row.withdrawn_at = row.withdrawn_how = None
        action = "consent.given"
    else:
        row.state, row.withdrawn_at = "withdrawn", now
        row.withdrawn_how = f"menolak permintaan persetujuan #{request.id}"
        action = "consent.withdrawn"
    audit.record(session, None, action, journalist, opd_id=request.opd_id,
                 fields=[f"consent.{request.channel}"], acting_as=ACTING_AS,
                 details={"channel": request.channel, "request": request.id, "answer": request.answer})
    session.flush()
    return True


# "Hadir" replies ------------------------------------------------------------------------------
def invitation_reply(session: Session, release: PressRelease,
                     journalist: Journalist) -> InvitationReply | None:
    return session.scalar(select(InvitationReply).where(InvitationReply.release_id == release.id,
                                                        InvitationReply.journalist_id == journalist.id))


def invitation_open(release: PressRelease, at: datetime | None = None) -> bool:
    """Replies are taken until the event starts, unless the invitation was withdrawn."""
    at = at or clock.now()
    if release.kind != "undangan" or release.state == "withdrawn":
        return False
    return release.event_starts_at is None or at < release.event_starts_at


def reply_to_invitation(session: Session, journalist: Journalist, release: PressRelease, *,
                        attending: bool) -> InvitationReply:
    """Record (or change) the journalist's "hadir" / "tidak hadir" for a coverage invitation."""
    _require_not_erased(journalist)
    if release.kind != "undangan":
        raise ValidationError.one("", _l("This is not an invitation."))
    if release.state == "withdrawn":
        raise ValidationError.one("", _l("This invitation was cancelled."))
    if not invitation_open(release):
        raise ValidationError.one("", _l("The event has already started; replies are closed."))
    _lock(session, journalist)
    reply = invitation_reply(session, release, journalist)
    if reply is None:
        reply = InvitationReply(release_id=release.id, journalist_id=journalist.id, attending=attending,
                                replied_at=clock.now())
        session.add(reply)
    elif reply.attending == attending:
        return reply
    else:
        reply.attending, reply.replied_at = attending, clock.now()
    audit.record(session, None, "invitation.replied", journalist, opd_id=release.opd_id, fields=["attending"],
                 details={"release": release.id, "attending": attending}, acting_as=ACTING_AS)
    session.flush()
    return reply


def invitation_reply_counts(session: Session, release_id: int) -> dict[str, int]:
    """How many said they attend, and how many said they do not (for the staff alert page)."""
    counts = dict(session.execute(select(InvitationReply.attending, func.count())
                                  .where(InvitationReply.release_id == release_id)
                                  .group_by(InvitationReply.attending)).all())
    return {"attending": counts.get(True, 0), "not_attending": counts.get(False, 0)}

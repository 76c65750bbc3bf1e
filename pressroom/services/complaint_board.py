"""Lapor Gub for officers: the queues with their SLA clocks, the leadership board (first
response within 24 hours per OPD, this week and this month), the urgent flag, counter and
phone intake, and answer attachments. The workflow rules stay in services/complaints.py."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.i18n import _l
from pressroom.models import Complaint, ComplaintEvent, Membership, Opd, User
from pressroom.services import ValidationError, audit, complaints, workcal
from pressroom.services.policy import acting_as, can, capacities

#: The queues a person can open; which ones they are offered depends on their role.
VERIFIER_QUEUES = ("verify", "dispose", "open", "mine", "all")
OPD_QUEUES = ("opd", "mine", "all")
#: States in which a report still needs someone's work.
OPEN_STATES = ("received", "verified", "dispositioned", "in_progress", "answered", "resolved")
#: The roles inside an OPD that see and answer the reports disposed to it.
OPD_ROLES = ("officer", "approver")
QUEUE_LIMIT = 300
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
HANDOFF_NATIONAL = "SP4N-LAPOR!"


# Who sees what --------------------------------------------------------------------------------
def sees_every_report(user: User | None) -> bool:
    """Verifiers and admins see every report; others only those disposed to their OPDs."""
    return can(user, "complaint.verify")


def opd_scope(user: User | None) -> set[int] | None:
    """The OPDs whose disposed reports ``user`` sees; None means every report."""
    if sees_every_report(user):
        return None
    return {c.opd_id for c in capacities(user) if c.role in OPD_ROLES}


def shows_identity(user: User | None, complaint: Complaint) -> bool:
    """The reporter's name, contact and address: verifiers always; the OPD's staff only when
    the reporter did not ask to stay anonymous."""
    if can(user, "complaint.identity"):
        return True
    return not complaint.anonymous and can(user, "complaint.view", complaint)


def shows_exact_location(user: User | None) -> bool:
    """The phone's coordinates and the private photo originals: verifiers only."""
    return can(user, "complaint.identity")


def queues_for(user: User | None) -> tuple[str, ...]:
    return VERIFIER_QUEUES if sees_every_report(user) else OPD_QUEUES


# Queues ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueRow:
    complaint: Complaint
    #: The running clock that runs out first (None when every clock has stopped).
    next_clock: complaints.Clock | None

    @property
    def overdue(self) -> bool:
        return self.next_clock is not None and self.next_clock.overdue


def next_clock(complaint: Complaint, calendar: workcal.Calendar) -> complaints.Clock | None:
    if complaint.state not in OPEN_STATES:
        return None
    running = [c for c in complaints.clocks(complaint, calendar) if c.running]
    return min(running, key=lambda c: c.due_at) if running else None


@dataclass
class Queue:
    rows: list[QueueRow]
    total: int
    limit: int = QUEUE_LIMIT

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def queue(
    session: Session,
    user: User,
    calendar: workcal.Calendar,
    *,
    name: str,
    state: str | None = None,
    category_id: int | None = None,
    opd_id: int | None = None,
    limit: int = QUEUE_LIMIT,
) -> Queue:
    """One queue for ``user``: urgent first, then overdue, then by the next deadline."""
    query = select(Complaint)
    scope = opd_scope(user)
    if scope is not None:
        query = query.where(Complaint.opd_id.in_(scope or {0}))
    if state:
        query = query.where(Complaint.state == state)
    elif name == "verify":
        query = query.where(Complaint.state == "received")
    elif name == "dispose":
        query = query.where(Complaint.state == "verified")
    elif name != "all":
        query = query.where(Complaint.state.in_(OPEN_STATES))
    if name == "mine":
        query = query.where(Complaint.pic_user_id == user.id)
    if category_id:
        query = query.where(Complaint.category_id == category_id)
    if opd_id:
        query = query.where(Complaint.opd_id == opd_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # Open work oldest first (the clocks run out in that order); the archive newest first.
    closed = name == "all" or (state and state not in OPEN_STATES)
    order = Complaint.received_at.desc() if closed else Complaint.received_at
    found = session.scalars(query.order_by(order, Complaint.id).limit(limit)).unique().all()
    rows = [QueueRow(c, next_clock(c, calendar)) for c in found]
    if not closed:
        far = clock.now() + timedelta(days=36500)
        rows.sort(key=lambda r: (not r.complaint.urgent, not r.overdue,
                                 r.next_clock.due_at if r.next_clock else far, r.complaint.received_at))
    return Queue(rows, total, limit)


def officers_of(session: Session, opd_id: int | None) -> list[User]:
    """The people who may be named PIC of a report disposed to ``opd_id``: its officers and
    approvers (current memberships)."""
    if opd_id is None:
        return []
    return list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.opd_id == opd_id, Membership.role.in_(OPD_ROLES), Membership.ended_at.is_(None),
               User.is_active.is_(True))
        .order_by(User.full_name).distinct()))


# The urgent flag ------------------------------------------------------------------------------
def set_urgent(session: Session, actor: User, complaint: Complaint, urgent: bool) -> bool:
    """Mark a report urgent (reminders then go out of office hours too) or not; return
    whether anything changed."""
    urgent = bool(urgent)
    if complaint.urgent == urgent:
        return False
    complaint.urgent = urgent
    session.add(ComplaintEvent(
        complaint_id=complaint.id, kind="urgent", public=False, author_id=actor.id,
        acting_as=acting_as(actor, complaint.opd_id)[:300], details={"urgent": urgent},
        text=str(_l("Marked urgent.") if urgent else _l("No longer urgent.")),
    ))
    audit.record(session, actor, "complaint.urgent_set", complaint, fields=["urgent"],
                 details={"urgent": urgent})
    session.flush()
    return True


# Counter and phone intake ---------------------------------------------------------------------
def receive_in_person(
    session: Session,
    data: complaints.ReportInput,
    *,
    config: Mapping[str, Any],
    source: str,
    officer: User,
) -> tuple[Complaint, str]:
    """A report taken at the counter or by phone on a citizen's behalf. The citizen may have
    no email or WhatsApp: the officer reads the tracking ID and PIN out to them."""
    if source not in ("counter", "phone"):
        raise ValidationError.one("source", _l("Say whether it was received at the counter or by phone."))
    return complaints.submit(session, data, config=config, source=source, officer=officer,
                             need_contact=False)


# Answer attachments ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Attachment:
    #: Public storage key: ``complaints-answers/<complaint id>/<random>-<file name>``.
    key: str
    data: bytes

    @property
    def filename(self) -> str:
        return attachment_name(self.key)


def attachment_name(key: str) -> str:
    """The file name shown for an attachment key (the part after the random prefix)."""
    return key.rsplit("/", 1)[-1].split("-", 1)[-1]


def prepare_attachment(complaint: Complaint, data: bytes, filename: str) -> Attachment:
    """Check one attachment to an answer: a PDF, or an image (re-encoded, metadata stripped)."""
    from pressroom.services.posts import reencode

    if not data:
        raise ValidationError.one("attachments", _l("The file is empty."))
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError.one("attachments", _l("An attachment is at most 20 MB."))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (filename or "lampiran").rsplit("/", 1)[-1]).strip(".-")
    stem = (stem.rsplit(".", 1)[0] if "." in stem else stem)[:60].strip(".-") or "lampiran"
    if data.startswith(b"%PDF-"):
        name = f"{stem}.pdf"
    else:
        try:
            data = reencode(data)[0]
        except ValidationError:
            raise ValidationError.one("attachments",
                                      _l("Attach PDF files or photos (JPEG or PNG).")) from None
        name = f"{stem}.jpg"
    return Attachment(f"complaints-answers/{complaint.id}/{secrets.token_hex(6)}-{name}", data)


# The leadership board -------------------------------------------------------------------------
def first_response_outcome(received_at: datetime, first_response_at: datetime | None, now: datetime) -> str:
    """"within" 24 hours (wall-clock), "missed", or still "waiting" inside the 24 hours."""
    if first_response_at is not None:
        return "within" if first_response_at - received_at <= complaints.FIRST_RESPONSE else "missed"
    # No response and the 24 hours are gone: missed already, whatever comes later.
    return "missed" if now - received_at > complaints.FIRST_RESPONSE else "waiting"


@dataclass
class Tally:
    within: int = 0
    missed: int = 0

    def add(self, outcome: str) -> None:
        if outcome == "within":
            self.within += 1
        elif outcome == "missed":
            self.missed += 1


@dataclass
class BoardRow:
    #: None: reports not yet disposed to an OPD (the verifiers' desk).
    opd: Opd | None
    week: Tally = field(default_factory=Tally)
    month: Tally = field(default_factory=Tally)
    #: Received less than 24 hours ago and not yet responded to.
    waiting: int = 0
    overdue: int = 0


@dataclass
class Board:
    rows: list[BoardRow]
    total: BoardRow
    week_start: date
    month_start: date
    today: date


def periods(now: datetime) -> tuple[date, date, date]:
    """Today (WIB), the Monday its week starts on, and the first of its month."""
    today = clock.to_wib(now).date()
    return today, today - timedelta(days=today.weekday()), today.replace(day=1)


def _wib_midnight(day: date) -> datetime:
    return clock.from_wib(datetime.combine(day, datetime.min.time()))


def board(session: Session, calendar: workcal.Calendar) -> Board:
    """Per OPD: reports received this week (Monday–Sunday, WIB) and this month that got a
    first response within 24 hours (wall-clock) or missed it, and reports overdue now."""
    now = clock.now()
    today, week_start, month_start = periods(now)
    since = min(_wib_midnight(min(week_start, month_start)), now - complaints.FIRST_RESPONSE)
    week_from, month_from = _wib_midnight(week_start), _wib_midnight(month_start)
    rows: dict[int | None, BoardRow] = {}
    total = BoardRow(None)
    received = session.execute(
        select(Complaint.opd_id, Complaint.received_at, Complaint.first_response_at)
        .where(Complaint.received_at >= since)
    )
    for opd_id, received_at, first_response_at in received:
        outcome = first_response_outcome(received_at, first_response_at, now)
        row = rows.setdefault(opd_id, BoardRow(None))
        for target in (row, total):
            if received_at >= week_from:
                target.week.add(outcome)
            if received_at >= month_from:
                target.month.add(outcome)
            target.waiting += outcome == "waiting"
    for complaint in session.scalars(select(Complaint).where(Complaint.state.in_(OPEN_STATES))):
        if complaints.overdue(complaint, calendar):
            rows.setdefault(complaint.opd_id, BoardRow(None)).overdue += 1
            total.overdue += 1
    opds = {o.id: o for o in session.scalars(select(Opd).where(Opd.id.in_([k for k in rows if k])))}
    for opd_id, row in rows.items():
        row.opd = opds.get(opd_id) if opd_id else None
    ordered = sorted(rows.values(), key=lambda r: (r.opd is None, r.opd.short_name.lower() if r.opd else ""))
    return Board(ordered, total, week_start, month_start, today)

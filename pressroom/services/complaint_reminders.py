"""Lapor Gub SLA reminders and escalations, and closing reports the reporter left silent.

For every open report, the clocks a person still has to act on (``ACTIVE``: the 24-hour
first response while it waits for a verifier, forwarding while it has no OPD, the answer
while the OPD works on it) are looked at:

* **reminder** — when the clock is due within ``LAPOR_REMIND_BEFORE_HOURS`` or already
  overdue: to the officer in charge (PIC), else the OPD's officers; the verifiers while the
  report is not yet verified or passed to an OPD (admins when there is no one else);
* **escalation** — ``LAPOR_ESCALATE_AFTER_HOURS`` after both the deadline and the reminder,
  with the clock still running: to the OPD head (its Kepala, acting ones included; any
  approver of the OPD when it has no Kepala) and the admins.

Each goes once per report and clock (``Complaint.reminders``, via
``complaints.mark_reminded``), as an in-app notification with an email copy
(``notifications.notify``), only in office hours (``workcal.Calendar.in_office_hours``,
Ramadan periods included) unless the report is marked urgent. A report resolved and not
answered by the reporter for 10 working days is closed (``complaints.close_silent``).

Workers: ``find_work`` reads without locks; ``remind`` and ``close_if_silent`` then take the
report's row lock (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's write lock, taken at the
start of the job's transaction) and decide again on the fresh row, so two workers never send
the same reminder twice. The caller commits each report on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock, formatting
from pressroom.i18n import _l
from pressroom.models import Complaint, ComplaintEvent, Membership, User
from pressroom.services import complaints, notifications, workcal

#: Clock -> the states in which someone still has to act on it.
ACTIVE = {
    "first_response": ("received",),
    "forward": ("received", "verified"),
    "answer": ("verified", "dispositioned", "in_progress"),
}
#: States looked at by the tick: the active ones, and resolved (closed when the reporter is silent).
OPEN_STATES = ("received", "verified", "dispositioned", "in_progress", "resolved")
CLOCK_LABELS = {
    "first_response": _l("the first response (1×24 hours)"),
    "forward": _l("forwarding to the OPD in charge (3 working days)"),
    "answer": _l("the answer (5 working days)"),
    "answer_information": _l("the answer to the information request (10 working days, +7 when extended)"),
}
#: The columns ``complaints.clocks`` and the decisions here read (the scan loads only these).
_COLUMNS = (Complaint.id, Complaint.state, Complaint.type, Complaint.extended, Complaint.urgent,
            Complaint.received_at, Complaint.clock_start_at, Complaint.first_response_at,
            Complaint.forwarded_at, Complaint.answered_at, Complaint.resolved_at, Complaint.closed_at,
            Complaint.reminders)


@dataclass(frozen=True)
class Settings:
    remind_before: timedelta = timedelta(hours=4)
    escalate_after: timedelta = timedelta(hours=4)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(remind_before=timedelta(hours=float(config.get("LAPOR_REMIND_BEFORE_HOURS", 4))),
                   escalate_after=timedelta(hours=float(config.get("LAPOR_ESCALATE_AFTER_HOURS", 4))))


@dataclass(frozen=True)
class Step:
    """One reminder or escalation owed on a report's clock."""

    clock: str
    kind: str  # "remind" or "escalate"
    due_at: datetime

    @property
    def key(self) -> str:
        return f"{self.clock}:{self.kind}"


def owed(complaint, calendar: workcal.Calendar, settings: Settings, now: datetime) -> list[Step]:
    """What is owed on ``complaint`` (a Complaint or a row with its columns) at ``now``,
    office hours aside."""
    done = complaint.reminders or {}
    steps = []
    for item in complaints.clocks(complaint, calendar):
        if complaint.state not in ACTIVE.get(item.name, ()) or not item.running:
            continue
        remind, escalate = f"{item.name}:remind", f"{item.name}:escalate"
        if remind not in done:
            if now >= item.due_at - settings.remind_before:
                steps.append(Step(item.name, "remind", item.due_at))
        elif escalate not in done:
            reminded_at = datetime.fromisoformat(done[remind])
            if now >= max(item.due_at, reminded_at) + settings.escalate_after:
                steps.append(Step(item.name, "escalate", item.due_at))
    return steps


def silent_since(complaint, calendar: workcal.Calendar, now: datetime) -> bool:
    """Resolved, and the reporter said nothing for 10 working days."""
    if complaint.state != "resolved" or complaint.resolved_at is None:
        return False
    return now >= calendar.add_working_days(complaint.resolved_at, complaints.CLOSE_SILENT_DAYS)


@dataclass
class Work:
    remind: list[int]
    close: list[int]


def find_work(session: Session, config: Mapping[str, Any], now: datetime | None = None) -> Work:
    """Reports with a reminder or escalation to send now (office hours or urgent), and resolved
    reports to close. Reads only; the decisions are taken again under the row lock."""
    now = now or clock.now()
    calendar = workcal.load(session, config)
    settings = Settings.from_config(config)
    office = calendar.in_office_hours(now)
    work = Work([], [])
    rows = session.execute(select(*_COLUMNS).where(Complaint.state.in_(OPEN_STATES)).order_by(Complaint.id))
    for row in rows:
        if silent_since(row, calendar, now):
            work.close.append(row.id)
        elif (office or row.urgent) and owed(row, calendar, settings, now):
            work.remind.append(row.id)
    return work


def _lock(session: Session, complaint_id: int) -> Complaint | None:
    """The report, fresh from the database and locked for this transaction; None when another
    worker holds it (PostgreSQL) or it is gone."""
    query = select(Complaint).where(Complaint.id == complaint_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Complaint)
    return session.scalar(query)


# Who hears ---------------------------------------------------------------------------------------
def _members(session: Session, role: str, opd_id: int | None = None) -> list[User]:
    ids = select(Membership.user_id).where(Membership.role == role, Membership.ended_at.is_(None))
    if opd_id is not None:
        ids = ids.where(Membership.opd_id == opd_id)
    return list(session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))
                                .order_by(User.id)))


def reminder_recipients(session: Session, complaint: Complaint) -> list[User]:
    """The PIC, else the OPD's officers; the verifiers before the report reaches an OPD."""
    from pressroom.services.policy import can

    people: list[User] = []
    if complaint.opd_id is not None and complaint.state not in ("received", "verified"):
        pic = session.get(User, complaint.pic_user_id) if complaint.pic_user_id else None
        if pic is not None and pic.is_active and can(pic, "complaint.answer", complaint):
            people = [pic]
        else:
            people = _members(session, "officer", complaint.opd_id)
    else:
        people = _members(session, "verifier")
    return people or _members(session, "admin")


def escalation_recipients(session: Session, complaint: Complaint) -> list[User]:
    """The OPD head (acting ones included) and the admins."""
    from pressroom.services.approvals import approvers_for

    heads: list[User] = []
    if complaint.opd_id is not None:
        heads = (approvers_for(session, complaint.opd_id, 1, 1)
                 or _members(session, "approver", complaint.opd_id))
    people = {u.id: u for u in heads}
    for admin in _members(session, "admin"):
        people.setdefault(admin.id, admin)
    return list(people.values())


# Sending -----------------------------------------------------------------------------------------
def _render(parts: list, lang: str) -> str:
    try:
        from flask_babel import force_locale

        with force_locale(lang):
            return " ".join(str(p) for p in parts)
    except RuntimeError:  # no application context
        return " ".join(str(p) for p in parts)


def _message(config: Mapping[str, Any], complaint: Complaint, steps: list[Step], kind: str, lang: str,
             now: datetime) -> str:
    name = config.get("LAPOR_NAME") or "Lapor Gub"
    where = complaint.category.name if complaint.category else ""
    if complaint.opd is not None:
        where = f"{where}, {complaint.opd.short_name}" if where else complaint.opd.short_name
    head = f"{name} {complaint.tracking_id}" + (f" ({where})" if where else "") + ":"
    parts: list = [_l("Escalation.") if kind == "escalate" else _l("Reminder."), head]
    for step in steps:
        label = CLOCK_LABELS["answer_information" if step.clock == "answer" and complaint.type == "informasi"
                             else step.clock]
        due = formatting.wib(step.due_at, lang)
        if kind == "escalate":
            parts.append(_l("%(what)s was due %(due)s and is still not done after a reminder.", what=label,
                            due=due))
        elif now > step.due_at:
            parts.append(_l("%(what)s was due %(due)s and is overdue.", what=label, due=due))
        else:
            parts.append(_l("%(what)s is due %(due)s.", what=label, due=due))
    if complaint.urgent:
        parts.append(_l("The report is marked urgent."))
    text = _render(parts, lang)
    return text[:1].upper() + text[1:]


def link_for(complaint: Complaint) -> str:
    """The staff page of a report (blueprint "complaints")."""
    return f"/app/lapor/{complaint.id}"


@dataclass
class Sent:
    reminders: int = 0
    escalations: int = 0


def remind(session: Session, complaint_id: int, config: Mapping[str, Any], *, now: datetime | None = None,
           calendar: workcal.Calendar | None = None) -> Sent:
    """Send what is owed on one report now, under its row lock; mark each step sent. Flushes."""
    now = now or clock.now()
    sent = Sent()
    complaint = _lock(session, complaint_id)
    if complaint is None or complaint.state not in OPEN_STATES:
        return sent
    calendar = calendar or workcal.load(session, config)
    if not (complaint.urgent or calendar.in_office_hours(now)):
        return sent
    steps = owed(complaint, calendar, Settings.from_config(config), now)
    for kind in ("remind", "escalate"):
        chosen = [s for s in steps if s.kind == kind]
        if not chosen:
            continue
        people = (reminder_recipients if kind == "remind" else escalation_recipients)(session, complaint)
        for person in people:
            text = _message(config, complaint, chosen, kind, person.locale or "id", now)
            notifications.notify(session, [person], text, link_for(complaint))
        for step in chosen:
            complaints.mark_reminded(complaint, step.key)
        session.add(ComplaintEvent(
            complaint_id=complaint.id, kind="escalation" if kind == "escalate" else "reminder", public=False,
            details={"clocks": [s.clock for s in chosen], "recipients": [p.id for p in people]}))
        if kind == "remind":
            sent.reminders += len(chosen)
        else:
            sent.escalations += len(chosen)
    session.flush()
    return sent


def close_if_silent(session: Session, complaint_id: int, config: Mapping[str, Any], *,
                    now: datetime | None = None, calendar: workcal.Calendar | None = None) -> bool:
    """Close one resolved report whose reporter stayed silent 10 working days (under its lock)."""
    now = now or clock.now()
    complaint = _lock(session, complaint_id)
    if complaint is None or not silent_since(complaint, calendar or workcal.load(session, config), now):
        return False
    complaints.close_silent(session, complaint, config=config)
    session.flush()
    return True

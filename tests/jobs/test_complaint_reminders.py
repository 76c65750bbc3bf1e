"""Lapor Gub SLA reminders with a frozen clock: sent only in office hours (days off and Ramadan
hours included) unless the report is urgent; each once; to the right people (the verifiers
before disposition, the PIC or the OPD's officers after); escalated to the OPD head and the
admins a period after the deadline and the reminder; resolved reports closed after 10 silent
working days; and two workers at once never send a reminder twice."""

from __future__ import annotations

import threading
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from jobs import ticks
from jobs.scheduler import build_scheduler
from pressroom import clock
from pressroom.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Delivery,
    Holiday,
    Notification,
    WorkingHoursPeriod,
)
from pressroom.services import complaint_reminders, complaints
from tests.conftest import reload


def wib(day: str, at: str) -> datetime:
    return clock.from_wib(datetime.fromisoformat(f"{day} {at}"))


#: Monday 1 June 2026, 10.00 WIB.
MONDAY = wib("2026-06-01", "10:00")


@pytest.fixture
def desk(app, session, factory):
    with clock.frozen(MONDAY):
        home, roads = factory.opd("DISKOMINFO"), factory.opd("DPUBMCK", short_name="DPU BMCK")
        people = {
            "verifier": factory.user("verifier", home),
            "verifier2": factory.user("verifier", home),
            "admin": factory.user("admin", home),
            "pic": factory.user("officer", roads),
            "officer": factory.user("officer", roads),
            "head": factory.user("approver", roads, level="kepala"),
            "kabid": factory.user("approver", roads, level="kabid"),
        }
        for user in people.values():
            user.locale = "en"  # notifications are written in each recipient's language
        category = ComplaintCategory(code="jalan", name="Jalan rusak", default_opd_id=roads.id)
        session.add(category)
        session.commit()
    return {"people": people, "roads": roads, "category": category}


def new_report(app, session, desk, at: datetime = MONDAY, **flags) -> Complaint:
    with clock.frozen(at):
        complaint, _pin = complaints.submit(session, complaints.ReportInput(
            category_id=desk["category"].id, description="Jalan berlubang di depan pasar.",
            region_code="3374", reporter_name="Siti Rahayu", contact="siti@example.com"), config=app.config)
        for name, value in flags.items():
            setattr(complaint, name, value)
        session.commit()
    return complaint


def tick(app, at: datetime) -> dict[str, int]:
    with clock.frozen(at):
        return ticks.remind_complaints(app)


def inbox(session, user) -> list[Notification]:
    reload(session)
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id)))


def counts(session, desk) -> dict[str, int]:
    reload(session)
    return {name: session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.user_id == user.id))
            for name, user in desk["people"].items()}


def test_the_tick_is_scheduled(app):
    assert "remind_complaints" in {job.id for job in build_scheduler(app).get_jobs()}


def test_a_reminder_goes_in_office_hours_once_then_an_escalation(app, session, desk):
    people = desk["people"]
    complaint = new_report(app, session, desk)  # first response due Tuesday 10.00
    assert tick(app, wib("2026-06-02", "05:59")) == {"reminders": 0, "escalations": 0, "closed": 0}
    # Close to due, but before office hours: nothing yet.
    assert tick(app, wib("2026-06-02", "07:30"))["reminders"] == 0
    assert tick(app, wib("2026-06-02", "08:00"))["reminders"] == 1
    assert tick(app, wib("2026-06-02", "08:05"))["reminders"] == 0  # once
    # Not verified yet: the verifiers are reminded (in the app and by email), nobody else.
    assert counts(session, desk) == {"verifier": 1, "verifier2": 1, "admin": 0, "pic": 0, "officer": 0,
                                     "head": 0, "kabid": 0}
    note = inbox(session, people["verifier"])[0]
    assert complaint.tracking_id in note.text and "10:00 WIB" in note.text and "Siti" not in note.text
    assert note.link == f"/app/lapor/{complaint.id}"
    assert session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.kind == "notice", Delivery.recipient == people["verifier"].email)) == 1
    # Overdue at 10.00; escalated 4 hours after both the deadline and the reminder: 14.00.
    assert tick(app, wib("2026-06-02", "13:59"))["escalations"] == 0
    assert tick(app, wib("2026-06-02", "14:00"))["escalations"] == 1
    assert tick(app, wib("2026-06-02", "14:30"))["escalations"] == 0
    # No OPD yet: the admins hear of it.
    assert counts(session, desk)["admin"] == 1
    reload(session)
    stored = session.get(Complaint, complaint.id)
    assert set(stored.reminders) == {"first_response:remind", "first_response:escalate"}
    kinds = session.scalars(select(ComplaintEvent.kind).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind.in_(["reminder", "escalation"])))
    assert sorted(kinds) == ["escalation", "reminder"]
    # Nothing of this goes to the reporter.
    assert session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.recipient == "siti@example.com")) == 1  # the receipt only


def test_days_off_and_ramadan_hours_hold_reminders_back(app, session, desk):
    session.add_all([
        Holiday(day=date(2026, 6, 2), name="Libur Uji", kind="cuti_bersama"),
        WorkingHoursPeriod(name="Ramadan Uji", starts_on=date(2026, 6, 3), ends_on=date(2026, 6, 5),
                           day_start=time(8), day_end=time(15)),
    ])
    session.commit()
    new_report(app, session, desk)  # first response due Tuesday 10.00, a day off
    assert tick(app, wib("2026-06-02", "09:00"))["reminders"] == 0
    assert tick(app, wib("2026-06-02", "12:00"))["reminders"] == 0
    # Wednesday is in the Ramadan period: offices open 08.00–15.00.
    assert tick(app, wib("2026-06-03", "07:59"))["reminders"] == 0
    assert tick(app, wib("2026-06-03", "08:00"))["reminders"] == 1
    # The escalation would be due at 12.00; at 15.30 a normal day is open, a Ramadan day is not.
    later = new_report(app, session, desk, at=wib("2026-06-03", "08:30"))
    assert tick(app, wib("2026-06-04", "15:30")) == {"reminders": 0, "escalations": 0, "closed": 0}
    # Friday: the first report's escalation and forwarding reminder, the later one's reminder.
    assert tick(app, wib("2026-06-05", "08:00")) == {"reminders": 2, "escalations": 1, "closed": 0}
    reload(session)
    assert "first_response:remind" in session.get(Complaint, later.id).reminders


def test_an_urgent_report_is_reminded_at_any_hour(app, session, desk):
    friday = wib("2026-06-05", "19:00")
    urgent = new_report(app, session, desk, at=friday, urgent=True)
    calm = new_report(app, session, desk, at=friday)
    # Saturday afternoon: the first response is due at 19.00.
    assert tick(app, wib("2026-06-06", "15:00"))["reminders"] == 1
    reload(session)
    assert session.get(Complaint, urgent.id).reminders and not session.get(Complaint, calm.id).reminders
    note = inbox(session, desk["people"]["verifier"])[0]
    assert urgent.tracking_id in note.text and "urgent" in note.text
    # Monday morning: the calm one's reminder, the urgent one's escalation.
    assert tick(app, wib("2026-06-08", "08:00")) == {"reminders": 1, "escalations": 1, "closed": 0}


def test_after_disposition_the_pic_is_reminded_and_the_opd_head_gets_the_escalation(app, session, desk):
    people = desk["people"]
    complaint = new_report(app, session, desk)
    with clock.frozen(wib("2026-06-01", "11:00")):
        verifier = people["verifier"]
        complaints.verify(session, verifier, complaint, config=app.config)
        complaints.dispose(session, verifier, complaint, desk["roads"], config=app.config)
        complaints.assign(session, verifier, complaint, people["pic"])
        session.commit()
    # The answer is due in 5 working days: Monday 8 June 10.00.
    assert tick(app, wib("2026-06-05", "15:00"))["reminders"] == 0
    assert tick(app, wib("2026-06-08", "08:00"))["reminders"] == 1
    after_reminder = counts(session, desk)
    assert (after_reminder["pic"], after_reminder["officer"], after_reminder["verifier"]) == (1, 0, 0)
    assert "the answer (5 working days) is due 8 June 2026 10:00 WIB" in inbox(session, people["pic"])[0].text
    assert tick(app, wib("2026-06-08", "14:00"))["escalations"] == 1
    after = counts(session, desk)
    # The OPD head (Kepala, not the Kabid) and the admins; not the PIC again.
    assert (after["head"], after["admin"], after["kabid"], after["pic"], after["officer"]) == (1, 1, 0, 1, 0)


def test_without_a_pic_the_opds_officers_are_reminded(app, session, desk):
    people = desk["people"]
    complaint = new_report(app, session, desk)
    with clock.frozen(wib("2026-06-01", "11:00")):
        verifier = people["verifier"]
        complaints.verify(session, verifier, complaint, config=app.config)
        complaints.dispose(session, verifier, complaint, desk["roads"], config=app.config)
        session.commit()
    assert tick(app, wib("2026-06-08", "09:00"))["reminders"] == 1
    after = counts(session, desk)
    assert (after["pic"], after["officer"], after["verifier"], after["head"]) == (1, 1, 0, 0)


def test_an_answered_or_closed_report_is_not_reminded(app, session, desk):
    people = desk["people"]
    complaint = new_report(app, session, desk)
    with clock.frozen(wib("2026-06-01", "11:00")):
        verifier = people["verifier"]
        complaints.verify(session, verifier, complaint, config=app.config)
        complaints.dispose(session, verifier, complaint, desk["roads"], config=app.config)
        complaints.answer(session, verifier, complaint, "Sudah dijadwalkan.", config=app.config)
        session.commit()
    assert tick(app, wib("2026-06-10", "09:00")) == {"reminders": 0, "escalations": 0, "closed": 0}
    assert sum(counts(session, desk).values()) == 0


def test_a_resolved_report_closes_after_ten_silent_working_days(app, session, desk):
    people = desk["people"]
    complaint = new_report(app, session, desk)
    with clock.frozen(wib("2026-06-01", "11:00")):
        verifier = people["verifier"]
        complaints.verify(session, verifier, complaint, config=app.config)
        complaints.dispose(session, verifier, complaint, desk["roads"], config=app.config)
        complaints.answer(session, verifier, complaint, "Sudah ditambal.", config=app.config, resolved=True)
        session.commit()
    assert tick(app, wib("2026-06-15", "10:59"))["closed"] == 0
    assert tick(app, wib("2026-06-15", "11:00"))["closed"] == 1
    reload(session)
    closed = session.get(Complaint, complaint.id)
    assert closed.state == "closed" and complaints.citizen_status(closed) == "Tuntas"
    assert tick(app, wib("2026-06-16", "11:00"))["closed"] == 0


def test_two_workers_at_once_send_each_reminder_once(app, session, desk):
    reports = [new_report(app, session, desk) for _ in range(25)]
    at = wib("2026-06-02", "08:30")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(ticks.remind_complaints(app))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # The clock is process-wide: freeze it once here, not in each thread (two threads each
    # entering and leaving clock.frozen would restore each other's value and leave it frozen).
    with clock.frozen(at):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors and len(results) == 2
    assert sum(r["reminders"] for r in results) == 25
    reload(session)
    per_report = dict(session.execute(
        select(Notification.link, func.count()).where(Notification.user_id == desk["people"]["verifier"].id)
        .group_by(Notification.link)).all())
    assert per_report == {f"/app/lapor/{r.id}": 1 for r in reports}
    assert session.scalar(select(func.count()).select_from(ComplaintEvent)
                          .where(ComplaintEvent.kind == "reminder")) == 25


def test_what_is_owed_is_decided_from_the_clocks(app, session, desk):
    """The service's decision, without the tick: nothing before the window, a reminder in it."""
    complaint = new_report(app, session, desk)
    calendar = complaint_reminders.workcal.load(session, app.config)
    settings = complaint_reminders.Settings.from_config(app.config)
    assert complaint_reminders.owed(complaint, calendar, settings, wib("2026-06-02", "05:00")) == []
    steps = complaint_reminders.owed(complaint, calendar, settings, wib("2026-06-02", "06:00"))
    assert [(s.clock, s.kind) for s in steps] == [("first_response", "remind")]

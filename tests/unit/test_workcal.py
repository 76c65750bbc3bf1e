"""SLA arithmetic on the working-day calendar, with a frozen clock: weekends, days off
(national holidays and cuti bersama), reports received after hours, Ramadan hours, the
wall-clock 24-hour first response, the SP4N-LAPOR! and UU KIP clocks, and overdue marks.

The days off here are test-only (named "Libur Uji …"), not the official calendar.
All times are written in WIB and compared in WIB."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from pressroom import clock
from pressroom.models import Complaint, Holiday, WorkingHoursPeriod
from pressroom.services import complaints, workcal


def wib(day: str, at: str = "10:00") -> datetime:
    """A moment typed in WIB, as the aware UTC value Pressroom stores."""
    return clock.from_wib(datetime.fromisoformat(f"{day} {at}"))


def shown(value: datetime) -> str:
    return clock.to_wib(value).strftime("%a %Y-%m-%d %H:%M")


# Week of Monday 1 June 2026: Wed 3 and Thu 4 June are test days off in the calendars below.
PLAIN = workcal.Calendar()
WITH_DAYS_OFF = workcal.Calendar(holidays=frozenset({date(2026, 6, 3), date(2026, 6, 4)}))
RAMADAN = workcal.Period(date(2026, 6, 8), date(2026, 6, 12), (time(8, 0), time(15, 0)))
WITH_RAMADAN = workcal.Calendar(periods=(RAMADAN,))


def report(received: datetime, calendar: workcal.Calendar, **values) -> Complaint:
    """An unsaved report received at ``received`` (clocks need no database)."""
    fields = {"state": "received", "type": "pengaduan", "extended": False, "first_response_at": None,
              "forwarded_at": None, "answered_at": None, "resolved_at": None, "closed_at": None}
    fields.update(values)
    return Complaint(received_at=received, clock_start_at=calendar.clock_start(received), **fields)


def due(complaint: Complaint, calendar: workcal.Calendar) -> dict[str, str]:
    return {c.name: shown(c.due_at) for c in complaints.clocks(complaint, calendar)}


# Working days ----------------------------------------------------------------------------------
def test_working_days_keep_the_time_of_day_and_skip_weekends():
    assert shown(PLAIN.add_working_days(wib("2026-06-01"), 3)) == "Thu 2026-06-04 10:00"
    assert shown(PLAIN.add_working_days(wib("2026-06-04"), 3)) == "Tue 2026-06-09 10:00"
    assert shown(PLAIN.add_working_days(wib("2026-06-05", "15:30"), 1)) == "Mon 2026-06-08 15:30"
    assert shown(PLAIN.add_working_days(wib("2026-06-01"), 10)) == "Mon 2026-06-15 10:00"


def test_national_holidays_and_cuti_bersama_are_not_working_days():
    assert not WITH_DAYS_OFF.is_working_day(date(2026, 6, 3))
    assert not WITH_DAYS_OFF.is_working_day(date(2026, 6, 6))  # a Saturday
    assert WITH_DAYS_OFF.is_working_day(date(2026, 6, 5))
    # Monday + 3: Tuesday, (Wednesday and Thursday off), Friday, Monday.
    assert shown(WITH_DAYS_OFF.add_working_days(wib("2026-06-01"), 3)) == "Mon 2026-06-08 10:00"
    assert WITH_DAYS_OFF.working_days_between(wib("2026-06-01"), wib("2026-06-08")) == 3
    assert PLAIN.working_days_between(wib("2026-06-01"), wib("2026-06-08")) == 5
    assert PLAIN.working_days_between(wib("2026-06-08"), wib("2026-06-01")) == 0


# After-hours receipt ---------------------------------------------------------------------------
@pytest.mark.parametrize(("received", "starts"), [
    (("2026-06-01", "10:00"), "Mon 2026-06-01 10:00"),   # within office hours: at once
    (("2026-06-01", "06:30"), "Mon 2026-06-01 08:00"),   # before opening: that morning's opening
    (("2026-06-01", "16:00"), "Tue 2026-06-02 08:00"),   # at closing: the next working morning
    (("2026-06-01", "19:45"), "Tue 2026-06-02 08:00"),   # evening
    (("2026-06-01", "23:59"), "Tue 2026-06-02 08:00"),
    (("2026-06-05", "18:00"), "Mon 2026-06-08 08:00"),   # Friday evening: Monday
    (("2026-06-06", "11:00"), "Mon 2026-06-08 08:00"),   # Saturday
    (("2026-06-07", "07:00"), "Mon 2026-06-08 08:00"),   # Sunday
])
def test_reports_received_outside_office_hours_count_from_the_next_working_morning(received, starts):
    assert shown(PLAIN.clock_start(wib(*received))) == starts


def test_the_evening_before_days_off_counts_from_the_morning_after_them():
    assert shown(WITH_DAYS_OFF.clock_start(wib("2026-06-02", "17:00"))) == "Fri 2026-06-05 08:00"
    assert shown(WITH_DAYS_OFF.clock_start(wib("2026-06-03", "10:00"))) == "Fri 2026-06-05 08:00"


def test_a_report_at_friday_evening_is_due_in_working_days_from_monday_morning():
    complaint = report(wib("2026-06-05", "19:00"), PLAIN)
    assert due(complaint, PLAIN) == {
        "first_response": "Sat 2026-06-06 19:00",  # 1×24 hours on the wall clock, weekend or not
        "forward": "Thu 2026-06-11 08:00",
        "answer": "Mon 2026-06-15 08:00",
    }


# Office hours and Ramadan ------------------------------------------------------------------------
def test_office_hours_and_a_ramadan_period():
    assert PLAIN.in_office_hours(wib("2026-06-08", "15:30"))
    assert not WITH_RAMADAN.in_office_hours(wib("2026-06-08", "15:30"))
    assert WITH_RAMADAN.in_office_hours(wib("2026-06-08", "14:59"))
    assert WITH_RAMADAN.in_office_hours(wib("2026-06-05", "15:30"))  # the day before the period
    assert not WITH_RAMADAN.in_office_hours(wib("2026-06-06", "10:00"))  # a Saturday
    # Received after Ramadan closing: counts from the next morning.
    assert shown(WITH_RAMADAN.clock_start(wib("2026-06-08", "15:10"))) == "Tue 2026-06-09 08:00"
    # A deadline landing in the period cannot be later than its closing time.
    assert shown(WITH_RAMADAN.add_working_days(wib("2026-06-05", "15:45"), 1)) == "Mon 2026-06-08 15:00"
    # Reminders wait for the next opening.
    assert shown(WITH_RAMADAN.next_office_moment(wib("2026-06-08", "15:10"))) == "Tue 2026-06-09 08:00"
    assert shown(WITH_RAMADAN.next_office_moment(wib("2026-06-08", "09:10"))) == "Mon 2026-06-08 09:10"


def test_office_hours_come_from_configuration_and_days_off_from_the_database(session):
    session.add_all([
        Holiday(day=date(2026, 6, 3), name="Libur Uji A", kind="libur"),
        Holiday(day=date(2026, 6, 4), name="Libur Uji B", kind="cuti_bersama"),
        WorkingHoursPeriod(name="Ramadan Uji", starts_on=date(2026, 6, 8), ends_on=date(2026, 6, 12),
                           day_start=time(7, 30), day_end=time(14, 30)),
    ])
    session.commit()
    calendar = workcal.load(session, {"LAPOR_OFFICE_HOURS": "07:00-15:30"})
    assert calendar.holidays == {date(2026, 6, 3), date(2026, 6, 4)}
    assert calendar.office_hours(date(2026, 6, 1)) == (time(7, 0), time(15, 30))
    assert calendar.office_hours(date(2026, 6, 9)) == (time(7, 30), time(14, 30))
    assert shown(calendar.clock_start(wib("2026-06-02", "15:45"))) == "Fri 2026-06-05 07:00"
    assert shown(calendar.clock_start(wib("2026-06-08", "06:00"))) == "Mon 2026-06-08 07:30"
    assert workcal.load(session, {}).hours == (time(8, 0), time(16, 0))


@pytest.mark.parametrize("text", ["", None, "8-16", "16:00-08:00", "pagi-sore", "08:00"])
def test_malformed_office_hours_fall_back_to_the_default(text):
    assert workcal.parse_hours(text) == workcal.DEFAULT_HOURS
    assert workcal.parse_hours("07:30-15:00") == (time(7, 30), time(15, 0))


# The clocks --------------------------------------------------------------------------------------
def test_three_five_and_ten_working_days_across_days_off():
    complaint = report(wib("2026-06-01", "10:00"), WITH_DAYS_OFF)
    assert due(complaint, WITH_DAYS_OFF) == {
        "first_response": "Tue 2026-06-02 10:00",
        "forward": "Mon 2026-06-08 10:00",
        "answer": "Wed 2026-06-10 10:00",
    }
    complaint.state, complaint.resolved_at = "resolved", wib("2026-06-02", "11:00")
    # Closed when the reporter stays silent 10 working days after the resolution.
    assert due(complaint, WITH_DAYS_OFF)["close"] == "Thu 2026-06-18 11:00"


def test_information_requests_have_ten_working_days_and_seven_more_when_extended():
    complaint = report(wib("2026-06-01", "10:00"), PLAIN, type="informasi")
    assert due(complaint, PLAIN)["answer"] == "Mon 2026-06-15 10:00"
    complaint.extended = True
    assert due(complaint, PLAIN)["answer"] == "Wed 2026-06-24 10:00"


def test_rejected_duplicate_and_handed_off_reports_keep_only_the_first_response_clock():
    for state in ("rejected", "duplicate", "handed_off"):
        complaint = report(wib("2026-06-01"), PLAIN, state=state)
        assert [c.name for c in complaints.clocks(complaint, PLAIN)] == ["first_response"]


def test_overdue_detection_with_a_frozen_clock():
    complaint = report(wib("2026-06-01", "10:00"), PLAIN)
    with clock.frozen(wib("2026-06-02", "09:59")):
        assert complaints.overdue(complaint, PLAIN) == []
    with clock.frozen(wib("2026-06-02", "10:01")):
        assert [c.name for c in complaints.overdue(complaint, PLAIN)] == ["first_response"]
    with clock.frozen(wib("2026-06-08", "10:01")):
        names = [c.name for c in complaints.overdue(complaint, PLAIN)]
        assert names == ["first_response", "forward", "answer"]
        # Done in time: no longer overdue, and never counted as late.
        complaint.first_response_at = wib("2026-06-01", "15:00")
        complaint.forwarded_at = wib("2026-06-03", "09:00")
        assert [c.name for c in complaints.overdue(complaint, PLAIN)] == ["answer"]
        first = complaints.clocks(complaint, PLAIN)[0]
        assert not first.running and not first.overdue
    # Done late: not running (no reminder), but the clock still says it was late.
    complaint.first_response_at = wib("2026-06-02", "11:00")
    late = complaints.clocks(complaint, PLAIN)[0]
    assert not late.running and late.overdue


def test_the_first_response_counts_wall_clock_hours_not_working_hours():
    received = wib("2026-06-05", "15:00")  # Friday afternoon
    complaint = report(received, WITH_DAYS_OFF)
    first = complaints.clocks(complaint, WITH_DAYS_OFF)[0]
    assert first.due_at - received == timedelta(hours=24)
    assert shown(first.due_at) == "Sat 2026-06-06 15:00"

"""The Indonesian working-day calendar the Lapor Gub clocks count on.

Working days are Monday to Friday except national holidays and cuti bersama (the ``holiday``
table, kept by admins); office hours come from ``LAPOR_OFFICE_HOURS`` (``"08:00-16:00"``
WIB) unless a period such as Ramadan sets its own (``working_hours_period``). A report
received outside office hours counts from the next working morning.

Deadlines in working days keep the time of day: a clock that starts on Monday 10.00 WIB
with 3 working days runs out on Thursday 10.00 WIB, and one that starts at a working
morning's opening runs out at the opening n working days later. All values in and out are
aware UTC datetimes; the arithmetic happens in WIB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.models import Holiday, WorkingHoursPeriod

DEFAULT_HOURS = (time(8, 0), time(16, 0))


def parse_hours(text: str | None) -> tuple[time, time]:
    """``"07:30-16:00"`` → (07:30, 16:00); the default when empty or malformed."""
    try:
        start, end = (part.strip() for part in (text or "").split("-", 1))
        opening, closing = time.fromisoformat(start), time.fromisoformat(end)
    except ValueError:
        return DEFAULT_HOURS
    return (opening, closing) if opening < closing else DEFAULT_HOURS


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date
    hours: tuple[time, time]


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = frozenset()
    hours: tuple[time, time] = DEFAULT_HOURS
    periods: tuple[Period, ...] = field(default_factory=tuple)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def office_hours(self, day: date) -> tuple[time, time]:
        for period in self.periods:
            if period.starts_on <= day <= period.ends_on:
                return period.hours
        return self.hours

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _at(self, day: date, moment: time) -> datetime:
        return clock.from_wib(datetime.combine(day, moment))

    def in_office_hours(self, at: datetime) -> bool:
        local = clock.to_wib(at)
        opening, closing = self.office_hours(local.date())
        return self.is_working_day(local.date()) and opening <= local.time() < closing

    def clock_start(self, received_at: datetime) -> datetime:
        """When working-day clocks start for a report received at ``received_at``."""
        local = clock.to_wib(received_at)
        day = local.date()
        opening, closing = self.office_hours(day)
        if self.is_working_day(day) and local.time() < opening:
            return self._at(day, opening)
        if self.is_working_day(day) and local.time() < closing:
            return received_at
        following = self.next_working_day(day)
        return self._at(following, self.office_hours(following)[0])

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` working days after ``start`` (a clock start), same time of day."""
        local = clock.to_wib(start)
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        opening, closing = self.office_hours(day)
        moment = min(max(local.time().replace(tzinfo=None), opening), closing)
        return self._at(day, moment)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days from ``start`` to ``end`` (0 if ``end`` is not later)."""
        if end <= start:
            return 0
        count, day, last = 0, clock.to_wib(start).date(), clock.to_wib(end).date()
        while day < last:
            day = self.next_working_day(day)
            if day <= last:
                count += 1
        return count

    def next_office_moment(self, at: datetime) -> datetime:
        """``at`` if within office hours, else the next opening (for reminders)."""
        if self.in_office_hours(at):
            return at
        return self.clock_start(at)


def load(session: Session, config=None) -> Calendar:
    """The calendar from the database (holidays, periods) and configuration (office hours)."""
    hours = parse_hours((config or {}).get("LAPOR_OFFICE_HOURS"))
    holidays = frozenset(session.scalars(select(Holiday.day)))
    periods = tuple(Period(p.starts_on, p.ends_on, (p.day_start, p.day_end))
                    for p in session.scalars(select(WorkingHoursPeriod)))
    return Calendar(holidays=holidays, hours=hours, periods=periods)

"""The post calendar: what is scheduled and what was published in a WIB month or ISO week,
by WIB day and hour, and the "crowded hours" in which two or more OPDs post at once."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pressroom import clock
from pressroom.models import Delivery, Post
from pressroom.services import outbox
from pressroom.services.posts import SUBJECT

#: Workflow states that put a post on the calendar: waiting for approval, approved (its
#: outcome then comes from the deliveries), held, and missed. Drafts are not plans yet;
#: returned and withdrawn posts will not go out.
SHOWN_STATES = ("submitted", "approved", "held", "missed")
#: Statuses of posts that will not (or did not) go out: they never make an hour crowded.
NOT_GOING_OUT = frozenset({"missed", "failed"})
#: Years a calendar may show; a query parameter outside them is refused, not overflowed.
FIRST_YEAR, LAST_YEAR = 2000, 2099

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


def _start_of(day: date) -> datetime:
    """The UTC moment a WIB day begins."""
    return clock.from_wib(datetime.combine(day, time()))


@dataclass(frozen=True)
class Period:
    """A WIB month or an ISO week (Monday to Sunday): ``start`` inclusive, ``end`` exclusive."""

    kind: str  # "month" or "week"
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
            raise ValueError(f"no such month: {year}-{month}")
        start = date(year, month, 1)
        return cls("month", start, (start + timedelta(days=31)).replace(day=1))

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"no such week: {year}-W{week}")
        start = date.fromisocalendar(year, week, 1)  # ValueError for week 0, 54, or 53 of a 52-week year
        return cls("week", start, start + timedelta(days=7))

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == "week":
            year, week, _weekday = day.isocalendar()
            return cls.week(year, week)
        return cls.month(day.year, day.month)

    @classmethod
    def parse(cls, kind: str, text: str) -> Period:
        """Read ``2026-11`` (month) or ``2026-W48`` (week); raise ValueError otherwise."""
        match = (_WEEK if kind == "week" else _MONTH).fullmatch((text or "").strip())
        if not match:
            raise ValueError(f"not a {kind}: {text!r}")
        year, number = int(match.group(1)), int(match.group(2))
        return cls.week(year, number) if kind == "week" else cls.month(year, number)

    @property
    def key(self) -> str:
        """The query-parameter value naming this period."""
        if self.kind == "week":
            year, week, _weekday = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    @property
    def middle(self) -> date:
        """A day that certainly belongs to the period (a week's Thursday names its ISO year)."""
        return self.start + timedelta(days=3) if self.kind == "week" else self.start

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC moments: [start, end)."""
        return _start_of(self.start), _start_of(self.end)

    def previous(self) -> Period | None:
        try:
            return Period.containing(self.kind, self.start - timedelta(days=1))
        except ValueError:
            return None

    def following(self) -> Period | None:
        try:
            return Period.containing(self.kind, self.end)
        except ValueError:
            return None

    def weeks(self) -> list[list[date]]:
        """Monday-to-Sunday rows covering the period (a month grid shows its neighbours' days)."""
        first = self.start - timedelta(days=self.start.weekday())
        last = self.end - timedelta(days=1)
        rows = ((last - first).days // 7) + 1
        return [[first + timedelta(days=7 * r + d) for d in range(7)] for r in range(rows)]


@dataclass(frozen=True)
class Entry:
    """One post on the calendar at its scheduled WIB time."""

    post: Post
    at: datetime  # WIB
    #: submitted, held, missed, approved (nothing queued), or the sending outcome of an
    #: approved post: scheduled, sending, published, partially_published, failed, needs_check.
    status: str
    platforms: tuple[str, ...]

    @property
    def goes_out(self) -> bool:
        return self.status not in NOT_GOING_OUT


@dataclass(frozen=True)
class Slot:
    """One WIB hour of one day: its entries and how many OPDs post in it."""

    start: datetime  # WIB, on the hour
    entries: list[Entry]
    opd_count: int

    @property
    def crowded(self) -> bool:
        return self.opd_count >= 2


@dataclass
class Calendar:
    period: Period
    #: Every day of the period, in order, with its entries by time.
    days: dict[date, list[Entry]]
    #: (WIB day, hour) → the OPDs posting then, for the hours where two or more do.
    crowded: dict[tuple[date, int], frozenset[int]]

    def slots(self, day: date) -> list[Slot]:
        """The day's entries grouped by WIB hour (only hours that have entries)."""
        by_hour: dict[int, list[Entry]] = defaultdict(list)
        for entry in self.days.get(day, []):
            by_hour[entry.at.hour].append(entry)
        slots = []
        for hour, entries in sorted(by_hour.items()):
            opds = self.crowded.get((day, hour)) or {e.post.opd_id for e in entries if e.goes_out}
            slots.append(Slot(entries[0].at.replace(minute=0, second=0, microsecond=0), entries, len(opds)))
        return slots

    def crowded_slots(self, day: date) -> list[Slot]:
        return [slot for slot in self.slots(day) if slot.crowded]

    def is_crowded(self, entry: Entry) -> bool:
        return entry.goes_out and (entry.at.date(), entry.at.hour) in self.crowded

    @property
    def count(self) -> int:
        return sum(len(entries) for entries in self.days.values())


def _status(post: Post, deliveries: list[Delivery]) -> str:
    if post.state != "approved":
        return post.state
    result = outbox.outcome(deliveries)
    return "approved" if result == "none" else result


def build_calendar(session: Session, period: Period, visible_opd_ids: set[int] | None, *,
                   opd_id: int | None = None) -> Calendar:
    """The posts of ``period`` in the OPDs ``visible_opd_ids`` (None: every OPD), optionally
    only ``opd_id``'s. Crowded hours are counted over everything visible, so one OPD's view
    still shows where it shares an hour with another visible OPD — never with one it cannot see."""
    start, end = period.bounds()
    posts_query = select(Post).where(Post.state.in_(SHOWN_STATES), Post.scheduled_at >= start,
                                     Post.scheduled_at < end)
    if visible_opd_ids is not None:
        posts_query = posts_query.where(Post.opd_id.in_(visible_opd_ids or {0}))
    found = session.scalars(
        posts_query.options(selectinload(Post.targets)).order_by(Post.scheduled_at, Post.id)
    ).all()
    # Every delivery of those posts in one query (no query per post).
    deliveries: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in session.scalars(select(Delivery).where(
            Delivery.subject_type == SUBJECT,
            Delivery.subject_id.in_(posts_query.with_only_columns(Post.id)))):
        deliveries[delivery.subject_id].append(delivery)

    entries = [
        Entry(post, clock.to_wib(post.scheduled_at), _status(post, deliveries[post.id]),
              tuple(sorted({t.account.platform for t in post.targets})))
        for post in found
    ]
    opds_in_hour: dict[tuple[date, int], set[int]] = defaultdict(set)
    for entry in entries:
        if entry.goes_out:
            opds_in_hour[(entry.at.date(), entry.at.hour)].add(entry.post.opd_id)
    shown = [e for e in entries if opd_id is None or e.post.opd_id == opd_id]
    days: dict[date, list[Entry]] = {day: [] for day in period.days}
    for entry in shown:
        days[entry.at.date()].append(entry)
    wanted = {(e.at.date(), e.at.hour) for e in shown}
    crowded = {key: frozenset(ids) for key, ids in opds_in_hour.items() if len(ids) >= 2 and key in wanted}
    return Calendar(period, days, crowded)

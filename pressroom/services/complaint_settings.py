"""Lapor Gub settings that admins keep: categories (each also an Open311 service, its code
the ``service_code``), answer templates per category, the working-day calendar's days off
(libur nasional and cuti bersama) and working-hours periods such as Ramadan.

The calendar is not invented here: the demo and the tests enter the days they need, and a
deployment enters the official SKB list each year (pasting it line by line). Changing it
moves the due dates of running clocks, which are computed from it on every reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pressroom.i18n import _l
from pressroom.models import (
    AnswerTemplate,
    Complaint,
    ComplaintCategory,
    Holiday,
    Opd,
    User,
    WorkingHoursPeriod,
)
from pressroom.services import ValidationError, audit

#: An Open311 service_code: short, URL-safe, lower case.
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
HOLIDAY_KINDS = ("libur", "cuti_bersama")
HOLIDAY_KIND_LABELS = {"libur": _l("National holiday (libur nasional)"), "cuti_bersama": _l("Cuti bersama")}
#: Most lines one paste may hold (a year's list is about 25).
MAX_HOLIDAY_LINES = 400
_KIND_WORDS = {
    "": "libur", "libur": "libur", "libur nasional": "libur", "nasional": "libur", "hari libur": "libur",
    "hari libur nasional": "libur", "holiday": "libur", "national holiday": "libur",
    "cuti bersama": "cuti_bersama", "cuti_bersama": "cuti_bersama", "cuti": "cuti_bersama",
    "collective leave": "cuti_bersama",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y")


# Categories ---------------------------------------------------------------------------------
@dataclass
class CategoryInput:
    code: str = ""
    name: str = ""
    name_en: str = ""
    description: str = ""
    default_opd_id: int | None = None
    is_active: bool = True


def categories(session: Session) -> list[ComplaintCategory]:
    return list(session.scalars(select(ComplaintCategory).order_by(ComplaintCategory.is_active.desc(),
                                                                   ComplaintCategory.name)))


def reports_per_category(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Complaint.category_id, func.count()).where(
        Complaint.category_id.is_not(None)).group_by(Complaint.category_id)).all())


def save_category(session: Session, actor: User, category: ComplaintCategory | None,
                  data: CategoryInput) -> ComplaintCategory:
    """Create a category (``category`` None) or change one; return it."""
    errors: dict[str, object] = {}
    code = (data.code or "").strip().lower()
    if not CODE_RE.match(code):
        errors["code"] = _l("Use 1–40 lower-case letters, digits, “-”, “_” or “.”, starting with a letter or "
                            "digit (e.g. jalan-rusak): it is the Open311 service_code.")
    else:
        clash = session.scalar(select(ComplaintCategory.id).where(ComplaintCategory.code == code))
        if clash is not None and (category is None or clash != category.id):
            errors["code"] = _l("Another category already has the code “%(code)s”.", code=code)
        elif category is not None and code != category.code and session.scalar(
                select(Complaint.id).where(Complaint.category_id == category.id).limit(1)) is not None:
            errors["code"] = _l("Reports already use this category, and Open311 clients know it by its code: "
                                "the code can no longer change.")
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = _l("Give the category a name.")
    elif len(name) > 120:
        errors["name"] = _l("At most %(n)s characters.", n=120)
    name_en = " ".join((data.name_en or "").split())
    if len(name_en) > 120:
        errors["name_en"] = _l("At most %(n)s characters.", n=120)
    description = (data.description or "").strip()
    if len(description) > 500:
        errors["description"] = _l("At most %(n)s characters.", n=500)
    opd = session.get(Opd, data.default_opd_id) if data.default_opd_id else None
    if data.default_opd_id and (opd is None or not opd.is_active):
        errors["default_opd_id"] = _l("Choose an active OPD, or none.")
    if errors:
        raise ValidationError(errors)
    values = {"code": code, "name": name, "name_en": name_en, "description": description,
              "default_opd_id": opd.id if opd else None, "is_active": bool(data.is_active)}
    if category is None:
        category = ComplaintCategory(**values)
        session.add(category)
        session.flush()
        audit.record(session, actor, "complaint_category.created", category, fields=sorted(values))
        return category
    changed = [k for k, v in values.items() if getattr(category, k) != v]
    for key in changed:
        setattr(category, key, values[key])
    if changed:
        session.flush()
        audit.record(session, actor, "complaint_category.updated", category, fields=changed)
    return category


# Answer templates ----------------------------------------------------------------------------
def templates(session: Session) -> list[AnswerTemplate]:
    return list(session.scalars(select(AnswerTemplate).order_by(AnswerTemplate.category_id.is_(None).desc(),
                                                                AnswerTemplate.category_id,
                                                                AnswerTemplate.title)))


def save_template(session: Session, actor: User, template: AnswerTemplate | None, *,
                  category_id: int | None, title: str, text: str) -> AnswerTemplate:
    """Create (``template`` None) or change an answer template; no category means every category."""
    errors: dict[str, object] = {}
    category = session.get(ComplaintCategory, category_id) if category_id else None
    if category_id and category is None:
        errors["category_id"] = _l("Choose a category, or none for every category.")
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = _l("Give the template a title officers recognise.")
    elif len(title) > 150:
        errors["title"] = _l("At most %(n)s characters.", n=150)
    body = (text or "").strip()
    if not body:
        errors["text"] = _l("Write the answer text.")
    elif len(body) > 4000:
        errors["text"] = _l("At most %(n)s characters.", n=4000)
    if errors:
        raise ValidationError(errors)
    values = {"category_id": category.id if category else None, "title": title, "text": body}
    if template is None:
        template = AnswerTemplate(**values)
        session.add(template)
        session.flush()
        audit.record(session, actor, "complaint_template.created", template, fields=sorted(values))
        return template
    changed = [k for k, v in values.items() if getattr(template, k) != v]
    for key in changed:
        setattr(template, key, values[key])
    if changed:
        session.flush()
        audit.record(session, actor, "complaint_template.updated", template, fields=changed)
    return template


def delete_template(session: Session, actor: User, template: AnswerTemplate) -> None:
    audit.record(session, actor, "complaint_template.deleted", template)
    session.delete(template)
    session.flush()


# Holidays ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HolidayInput:
    day: date
    name: str
    kind: str = "libur"


class LineErrors(ValidationError):
    """Pasted lines that could not be read: ``lines`` lists (line number, message)."""

    def __init__(self, lines: list[tuple[int, object]]):
        super().__init__({"lines": _l("Nothing was saved: %(n)s line(s) could not be read. Correct them and "
                                      "save again.", n=len(lines))})
        self.lines = lines


def parse_date(text: str) -> date:
    """A date typed as 2026-03-20, 20-03-2026, 20/03/2026 or 20.03.2026; ValueError otherwise."""
    text = (text or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def holiday_kind(text: str) -> str | None:
    return _KIND_WORDS.get(" ".join((text or "").replace("_", " ").lower().split()))


def check_holiday(day: date | None, name: str, kind: str) -> HolidayInput:
    """One day off from a form; raise ValidationError naming the fields."""
    errors: dict[str, object] = {}
    if day is None:
        errors["day"] = _l("Enter the date, e.g. 2026-03-20.")
    clean = " ".join((name or "").split())
    if not clean:
        errors["name"] = _l("Name the day off (e.g. Hari Raya Nyepi).")
    elif len(clean) > 150:
        errors["name"] = _l("At most %(n)s characters.", n=150)
    if kind not in HOLIDAY_KINDS:
        errors["kind"] = _l("Choose national holiday or cuti bersama.")
    if errors:
        raise ValidationError(errors)
    return HolidayInput(day, clean, kind)  # type: ignore[arg-type]


def parse_holiday_lines(text: str) -> list[HolidayInput]:
    """Lines ``date;name;kind`` (kind: libur or cuti bersama, libur when left out); a tab or, when
    there is neither, a comma separates too. Blank lines and lines starting with # are skipped.
    Raise LineErrors listing every line that could not be read."""
    found: list[HolidayInput] = []
    problems: list[tuple[int, object]] = []
    seen: dict[date, int] = {}
    lines = (text or "").splitlines()
    if len(lines) > MAX_HOLIDAY_LINES:
        raise ValidationError.one("lines", _l("At most %(n)s lines at once.", n=MAX_HOLIDAY_LINES))
    for number, line in enumerate(lines, start=1):
        raw = line.strip()
        if not raw or raw.startswith("#"):
            continue
        separator = ";" if ";" in raw else "\t" if "\t" in raw else ","
        parts = [p.strip() for p in raw.split(separator)]
        if len(parts) < 2:
            problems.append((number, _l("Write the date and the name, separated by “;” (e.g. "
                                        "2026-03-20;Hari Raya Nyepi;libur).")))
            continue
        rest, kind_text = parts[1:], ""
        # The last part is the kind, unless a comma-separated line's name had a comma of its own.
        if len(rest) > 1 and (separator != "," or holiday_kind(rest[-1]) is not None):
            rest, kind_text = rest[:-1], rest[-1]
        name = " ".join((", " if separator == "," else separator).join(rest).split())
        try:
            day = parse_date(parts[0])
        except ValueError:
            problems.append((number, _l("“%(value)s” is not a date: write it as 2026-03-20 or 20-03-2026.",
                                        value=parts[0][:40])))
            continue
        kind = holiday_kind(kind_text)
        if kind is None:
            problems.append((number, _l("“%(value)s” is not a kind of day off: write libur or cuti bersama.",
                                        value=kind_text[:40])))
            continue
        if not name:
            problems.append((number, _l("The name is missing.")))
            continue
        if len(name) > 150:
            problems.append((number, _l("The name is longer than %(n)s characters.", n=150)))
            continue
        if day in seen:
            problems.append((number, _l("%(day)s is already on line %(line)s.", day=day.isoformat(),
                                        line=seen[day])))
            continue
        seen[day] = number
        found.append(HolidayInput(day, name, kind))
    if problems:
        raise LineErrors(problems)
    if not found:
        raise ValidationError.one("lines", _l("Paste at least one line: date;name;kind."))
    return found


def holidays(session: Session, year: int | None = None) -> list[Holiday]:
    query = select(Holiday).order_by(Holiday.day)
    if year is not None:
        query = query.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list(session.scalars(query))


def holiday_years(session: Session) -> list[int]:
    return sorted({d.year for d in session.scalars(select(Holiday.day))})


def add_holidays(session: Session, actor: User, items: list[HolidayInput]) -> tuple[int, int]:
    """Add days off; a day already on the calendar takes the new name and kind. Return
    (added, updated)."""
    days = [i.day for i in items]
    existing = {h.day: h for h in session.scalars(select(Holiday).where(Holiday.day.in_(days)))}
    added = updated = 0
    for item in items:
        holiday = existing.get(item.day)
        if holiday is None:
            session.add(Holiday(day=item.day, name=item.name, kind=item.kind))
            added += 1
        elif (holiday.name, holiday.kind) != (item.name, item.kind):
            holiday.name, holiday.kind = item.name, item.kind
            updated += 1
    session.flush()
    if added or updated:
        first, last = min(days).isoformat(), max(days).isoformat()
        audit.record(session, actor, "holiday.saved", object_type="holiday",
                     object_id=first if first == last else f"{first}..{last}", fields=["day", "name", "kind"],
                     details={"added": added, "updated": updated,
                              "days": sorted(d.isoformat() for d in days)})
    return added, updated


def delete_holiday(session: Session, actor: User, holiday: Holiday) -> None:
    audit.record(session, actor, "holiday.deleted", object_type="holiday", object_id=holiday.day.isoformat())
    session.delete(holiday)
    session.flush()


# Working-hours periods ------------------------------------------------------------------------------
def periods(session: Session) -> list[WorkingHoursPeriod]:
    return list(session.scalars(select(WorkingHoursPeriod).order_by(WorkingHoursPeriod.starts_on.desc())))


def save_period(session: Session, actor: User, period: WorkingHoursPeriod | None, *, name: str,
                starts_on: date | None, ends_on: date | None, day_start: time | None,
                day_end: time | None) -> WorkingHoursPeriod:
    """Create (``period`` None) or change a period with its own office hours (Ramadan)."""
    errors: dict[str, object] = {}
    clean = " ".join((name or "").split())
    if not clean:
        errors["name"] = _l("Name the period (e.g. Ramadan 1447 H).")
    elif len(clean) > 100:
        errors["name"] = _l("At most %(n)s characters.", n=100)
    if starts_on is None:
        errors["starts_on"] = _l("Enter the first day.")
    if ends_on is None:
        errors["ends_on"] = _l("Enter the last day.")
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = _l("The last day comes before the first.")
    elif starts_on is not None and (ends_on - starts_on).days > 366:
        errors["ends_on"] = _l("A period lasts at most a year.")
    if day_start is None:
        errors["day_start"] = _l("Enter when offices open, e.g. 08:00.")
    if day_end is None:
        errors["day_end"] = _l("Enter when offices close, e.g. 15:00.")
    elif day_start is not None and day_end <= day_start:
        errors["day_end"] = _l("Offices close after they open.")
    if not errors:
        overlap = session.scalar(select(WorkingHoursPeriod).where(
            WorkingHoursPeriod.starts_on <= ends_on, WorkingHoursPeriod.ends_on >= starts_on,
            WorkingHoursPeriod.id != (period.id if period is not None else -1)).limit(1))
        if overlap is not None:
            errors["starts_on"] = _l("It overlaps “%(name)s” (%(start)s – %(end)s): one day has one set of "
                                     "office hours.", name=overlap.name, start=overlap.starts_on.isoformat(),
                                     end=overlap.ends_on.isoformat())
    if errors:
        raise ValidationError(errors)
    values = {"name": clean, "starts_on": starts_on, "ends_on": ends_on,
              "day_start": day_start.replace(second=0, microsecond=0),
              "day_end": day_end.replace(second=0, microsecond=0)}
    if period is None:
        period = WorkingHoursPeriod(**values)
        session.add(period)
        session.flush()
        audit.record(session, actor, "working_hours.created", period, fields=sorted(values))
        return period
    changed = [k for k, v in values.items() if getattr(period, k) != v]
    for key in changed:
        setattr(period, key, values[key])
    if changed:
        session.flush()
        audit.record(session, actor, "working_hours.updated", period, fields=changed)
    return period


def delete_period(session: Session, actor: User, period: WorkingHoursPeriod) -> None:
    audit.record(session, actor, "working_hours.deleted", period)
    session.delete(period)
    session.flush()

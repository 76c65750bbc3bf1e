"""An invitation (press conference, liputan) as an iCalendar file journalists can add to their calendar.

Times are written as WIB wall-clock times with ``TZID=Asia/Jakarta`` and a VTIMEZONE of
its own (UTC+07:00, no daylight saving), so a calendar shows "09.00" whatever zone
database it has. An update or a cancellation is the same UID with a higher SEQUENCE
(the caller keeps the counter); a cancellation is ``STATUS:CANCELLED``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import vobject
from dateutil import tz

from pressroom import clock

PRODID = "-//Pemerintah Provinsi Jawa Tengah//Pressroom//ID"
TZID = "Asia/Jakarta"


class _WIB(tzinfo):
    """Asia/Jakarta as vobject wants it: ``tzid`` names the VTIMEZONE the times refer to."""

    tzid = TZID

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=7)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "WIB"


_WIB_TZ = _WIB()
# vobject recognises UTC by dateutil's tzutc (the stdlib's UTC has no TZID it can guess).
_UTC = tz.tzutc()


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), not naive")
    return value


def invitation_ics(*, uid: str, title: str, description: str, location: str, starts_at: datetime,
                   ends_at: datetime, organizer_name: str, organizer_email: str, url: str | None,
                   sequence: int = 0, cancelled: bool = False, stamp: datetime | None = None) -> bytes:
    """The invitation as a UTF-8 ``.ics`` (``text/calendar; method=PUBLISH``).

    ``starts_at``/``ends_at`` are aware datetimes (stored UTC); ``stamp`` (DTSTAMP) defaults
    to ``clock.now()`` — pass the same value to give every recipient identical bytes.
    """
    starts_at, ends_at = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ValueError("an invitation must end after it starts")
    if not uid or not uid.strip():
        raise ValueError("an invitation needs a UID")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
        raise ValueError(f"SEQUENCE must be a whole number ≥ 0, not {sequence!r}")
    if not organizer_email or any(char.isspace() or char in '"<>' for char in organizer_email):
        raise ValueError(f"not an organizer email address: {organizer_email!r}")
    stamp = _aware(stamp or clock.now(), "stamp")

    calendar = vobject.iCalendar()
    calendar.add("prodid").value = PRODID
    calendar.add("method").value = "PUBLISH"
    # Our own VTIMEZONE, added before serialising, so vobject does not derive one (with a
    # needless yearly rule) from whatever tzinfo is registered under the same TZID.
    zone = calendar.add("vtimezone")
    zone.add("tzid").value = TZID
    standard = zone.add("standard")
    standard.add("dtstart").value = datetime(1970, 1, 1)
    standard.add("tzoffsetfrom").value = "+0700"
    standard.add("tzoffsetto").value = "+0700"
    standard.add("tzname").value = "WIB"

    event = calendar.add("vevent")
    event.add("uid").value = uid.strip()
    event.add("dtstamp").value = stamp.astimezone(_UTC)
    event.add("dtstart").value = starts_at.astimezone(_WIB_TZ)
    event.add("dtend").value = ends_at.astimezone(_WIB_TZ)
    event.add("sequence").value = str(sequence)
    event.add("status").value = "CANCELLED" if cancelled else "CONFIRMED"
    event.add("summary").value = title
    if description:
        event.add("description").value = description
    if location:
        event.add("location").value = location
    if url:
        event.add("url").value = url
    organizer = event.add("organizer")
    organizer.value = f"mailto:{organizer_email}"
    if organizer_name:
        # A parameter value cannot hold a double quote or a line break (RFC 5545 3.1).
        organizer.params["CN"] = [" ".join(organizer_name.replace('"', "'").split())]
    return calendar.serialize().encode("utf-8")

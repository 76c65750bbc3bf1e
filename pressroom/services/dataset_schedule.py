"""When a dataset's source is polled next and when its recurring series drafts its next post.

A series is ``{"every": "week", "weekday": 0-6, "hour", "minute"}`` (0 is Monday) or
``{"every": "month", "day": 1-28, "hour", "minute"}``, always in WIB wall-clock time: "every
Monday 09.00 WIB", "every month on the 5th, 08.00 WIB". Days stop at 28 so that every month has
them. Times are computed in WIB and returned in UTC, like every stored time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pressroom import clock
from pressroom.datasets import sources
from pressroom.datasets.errors import DatasetInputError
from pressroom.i18n import _l
from pressroom.models import Dataset, User
from pressroom.models.dataset import SOURCE_KINDS
from pressroom.services import ValidationError, audit
from pressroom.services.policy import Forbidden, can

EVERY = ("week", "month")
#: Shortest and longest polling interval, in minutes (15 minutes … 31 days).
POLL_MINUTES = (15, 31 * 24 * 60)
LAST_DAY = 28


def clean_series(raw: Mapping[str, Any] | None) -> dict[str, int | str] | None:
    """A series as stored (ints, only the keys its kind uses), or None for no series; raise
    ValidationError naming the field a person must correct."""
    if not raw or not raw.get("every"):
        return None
    every = raw.get("every")
    if every not in EVERY:
        raise ValidationError.one("series_every", _l("Choose every week or every month."))

    def whole(name: str, low: int, high: int, message: object) -> int:
        try:
            value = int(raw.get(name))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationError.one(f"series_{name}", message) from None
        if not low <= value <= high:
            raise ValidationError.one(f"series_{name}", message)
        return value

    series: dict[str, int | str] = {"every": every}
    if every == "week":
        series["weekday"] = whole("weekday", 0, 6, _l("Choose a day of the week."))
    else:
        series["day"] = whole("day", 1, LAST_DAY, _l(
            "Choose a day of the month from 1 to %(last)s (every month has it).", last=LAST_DAY))
    series["hour"] = whole("hour", 0, 23, _l("Enter a time like 09:00 (WIB)."))
    series["minute"] = whole("minute", 0, 59, _l("Enter a time like 09:00 (WIB)."))
    return series


def next_series_time(series: Mapping[str, Any], after: datetime) -> datetime:
    """The first moment of ``series`` strictly after ``after`` (aware), in UTC."""
    series = clean_series(series)
    if series is None:
        raise ValueError("no series")
    local = clock.to_wib(after)
    at = {"hour": series["hour"], "minute": series["minute"], "second": 0, "microsecond": 0}
    if series["every"] == "week":
        candidate = local.replace(**at) + timedelta(days=(int(series["weekday"]) - local.weekday()) % 7)
        if candidate <= local:
            candidate += timedelta(days=7)
    else:
        candidate = local.replace(day=int(series["day"]), **at)
        if candidate <= local:
            year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            candidate = candidate.replace(year=year, month=month)
    return candidate.astimezone(UTC)


def next_poll_time(dataset: Dataset, after: datetime) -> datetime | None:
    """When the source is fetched next: ``poll_minutes`` after the last poll, never before
    ``after``; right away when it was never polled; None without a source."""
    if dataset.source_kind in (None, "none"):
        return None
    if dataset.last_poll_at is None:
        return after
    return max(dataset.last_poll_at + timedelta(minutes=dataset.poll_minutes), after)


def update_schedule(session: Session, user: User, dataset: Dataset, *, source_kind: str,
                    source_url: str | None = None, source_resource: str | None = None,
                    poll_minutes: int | None = None, series: Mapping[str, Any] | None = None,
                    allow_hosts: Iterable[str] = ()) -> list[str]:
    """Set where updates come from and the recurring series; return the fields that changed.

    A new source address forgets what the last poll remembered (ETag, hash, error), so the
    next poll fetches it whole. The next poll and series times are computed from now."""
    if not can(user, "dataset.edit", dataset):
        raise Forbidden("dataset.edit")
    if source_kind not in SOURCE_KINDS:
        raise ValidationError.one("source_kind", _l("Choose where updates come from."))
    url = (source_url or "").strip() or None
    resource = (source_resource or "").strip() or None
    minutes = dataset.poll_minutes if poll_minutes is None else poll_minutes
    if source_kind == "none":
        url = resource = None
    else:
        if not url:
            raise ValidationError.one("source_url", _l("Enter the address to fetch the data from."))
        try:
            if source_kind == "ckan" and not resource:
                url, resource = sources.parse_ckan_url(url)
            url = sources.check_url(url, allow_hosts)
        except DatasetInputError as exc:
            raise ValidationError.one("source_url", exc.message) from None
        if not POLL_MINUTES[0] <= minutes <= POLL_MINUTES[1]:
            raise ValidationError.one("poll_minutes", _l(
                "Fetch at most every %(low)s minutes and at least every %(days)s days.",
                low=POLL_MINUTES[0], days=POLL_MINUTES[1] // 1440))
    if resource is not None and len(resource) > 120:
        raise ValidationError.one("source_resource", _l("A CKAN resource id is at most 120 characters."))
    if url is not None and len(url) > 500:
        raise ValidationError.one("source_url", _l("The address is longer than 500 characters."))
    cleaned = clean_series(series)
    now = clock.now()
    changed = []
    for name, value in (("source_kind", source_kind), ("source_url", url), ("source_resource", resource),
                        ("poll_minutes", minutes), ("series", cleaned)):
        if getattr(dataset, name) != value:
            setattr(dataset, name, value)
            changed.append(name)
    if {"source_kind", "source_url", "source_resource"} & set(changed):
        dataset.source_etag = dataset.source_last_modified = dataset.source_hash = None
        dataset.last_poll_error = None
        dataset.last_poll_at = None
    if {"source_kind", "source_url", "source_resource", "poll_minutes"} & set(changed):
        dataset.next_poll_at = next_poll_time(dataset, now)
    if "series" in changed or (cleaned and dataset.series_next_at is None):
        dataset.series_next_at = next_series_time(cleaned, now) if cleaned else None
    if changed:
        audit.record(session, user, "dataset.schedule_updated", dataset, fields=changed)
    return changed

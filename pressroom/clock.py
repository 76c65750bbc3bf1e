"""The one clock: every "now" in Pressroom comes from here, so tests can freeze it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")

_frozen: datetime | None = None


def now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def epoch() -> float:
    """Real wall-clock seconds since the epoch, never frozen: for pacing sends that really
    happen (a provider's rate limit shared by several worker processes)."""
    return time.time()


def to_wib(value: datetime) -> datetime:
    """Convert an aware datetime to Western Indonesia Time (Asia/Jakarta, UTC+7)."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; store and pass UTC-aware values")
    return value.astimezone(WIB)


def from_wib(value: datetime) -> datetime:
    """Read a naive wall-clock time typed by a person in WIB and return it in UTC."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=WIB).astimezone(UTC)


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze the clock at ``at`` (aware) for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze the clock with an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward (tests only)."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("the clock is not frozen")
    _frozen = _frozen + delta

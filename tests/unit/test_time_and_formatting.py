"""One clock, WIB display, Indonesian formatting, and UTC datetimes that round-trip."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from pressroom import clock, formatting
from pressroom.models import AuditEntry


def test_formatting_follows_indonesian_conventions():
    assert formatting.number(1234567.89) == "1.234.567,89"
    assert formatting.rupiah(15500) == "Rp15.500"
    assert formatting.compact(9_080_000) == "9,08 juta"
    assert formatting.day(date(2025, 3, 1)) == "1 Maret 2025"


def test_times_for_people_are_wib_with_label():
    moment = datetime(2025, 2, 28, 17, 30, tzinfo=UTC)  # already 1 March in Jakarta
    assert formatting.wib(moment) == "1 Maret 2025 00.30 WIB"
    assert formatting.wib(moment, "en") == "1 March 2025 00:30 WIB"
    assert formatting.wib(moment, with_date=False) == "00.30 WIB"


def test_clock_can_be_frozen_and_advanced():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with clock.frozen(at):
        assert clock.now() == at
        clock.advance(timedelta(minutes=5))
        assert clock.now() == at + timedelta(minutes=5)
    assert clock.now() != at


def test_wib_input_is_converted_to_utc():
    assert clock.from_wib(datetime(2026, 1, 1, 7, 0)) == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(session):
    session.add(AuditEntry(action="x.y", object_type="test", at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive"):
        session.flush()


def test_aware_datetimes_round_trip_in_utc(session):
    jakarta_noon = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=7)))
    session.add(AuditEntry(action="x.y", object_type="test", at=jakarta_noon))
    session.commit()
    session.expunge_all()
    stored = session.scalar(select(AuditEntry).where(AuditEntry.action == "x.y"))
    assert stored.at == jakarta_noon
    assert stored.at.tzinfo is not None and stored.at.utcoffset() == timedelta(0)
    assert stored.at.hour == 5

"""When a dataset's series runs next and when its source is polled: WIB wall-clock times,
stored in UTC, across a month end, a year end and a WIB date that is not the UTC date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from pressroom import clock
from pressroom.services import ValidationError, datasets
from pressroom.services.dataset_schedule import (
    clean_series,
    next_poll_time,
    next_series_time,
    update_schedule,
)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=clock.WIB)


def test_monthly_series_crosses_the_month_end_in_wib():
    # 31 January 2026, 20.00 WIB: the 28th at 09.00 has passed this month, so it is February's.
    after = wib(2026, 1, 31, 20, 0)
    got = next_series_time({"every": "month", "day": 28, "hour": 9, "minute": 0}, after)
    assert got == wib(2026, 2, 28, 9, 0) and got.tzinfo == UTC
    assert got == datetime(2026, 2, 28, 2, 0, tzinfo=UTC)


def test_the_wib_date_counts_not_the_utc_date():
    # 28 February 18.00 UTC is already 1 March 01.00 WIB: the 1st at 08.00 is today, in WIB.
    after = datetime(2026, 2, 28, 18, 0, tzinfo=UTC)
    got = next_series_time({"every": "month", "day": 1, "hour": 8, "minute": 0}, after)
    assert got == wib(2026, 3, 1, 8, 0)
    # Weekly on Sunday (6) 07.30: 1 March 2026 is a Sunday in WIB (still Saturday in UTC).
    got = next_series_time({"every": "week", "weekday": 6, "hour": 7, "minute": 30}, after)
    assert got == wib(2026, 3, 1, 7, 30)


def test_weekly_series_is_strictly_after_and_wraps_a_week():
    monday_nine = {"every": "week", "weekday": 0, "hour": 9, "minute": 0}
    assert next_series_time(monday_nine, wib(2026, 3, 2, 9, 0)) == wib(2026, 3, 9, 9, 0)
    assert next_series_time(monday_nine, wib(2026, 3, 2, 8, 59)) == wib(2026, 3, 2, 9, 0)
    # Saturday 31 January → Monday 2 February: across the month end.
    assert next_series_time(monday_nine, wib(2026, 1, 31, 12, 0)) == wib(2026, 2, 2, 9, 0)


def test_year_end():
    got = next_series_time({"every": "month", "day": 5, "hour": 8, "minute": 15}, wib(2026, 12, 31, 23, 0))
    assert got == wib(2027, 1, 5, 8, 15)


@pytest.mark.parametrize("raw, field", [
    ({"every": "day"}, "series_every"),
    ({"every": "month", "day": 31, "hour": 9, "minute": 0}, "series_day"),
    ({"every": "week", "weekday": 7, "hour": 9, "minute": 0}, "series_weekday"),
    ({"every": "week", "weekday": 1, "hour": 24, "minute": 0}, "series_hour"),
    ({"every": "week", "weekday": 1, "hour": "x", "minute": 0}, "series_hour"),
])
def test_a_bad_series_names_the_field(raw, field):
    with pytest.raises(ValidationError) as refused:
        clean_series(raw)
    assert field in refused.value.errors


def test_no_series():
    assert clean_series(None) is None and clean_series({"every": ""}) is None


def test_next_poll_time():
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    none = SimpleNamespace(source_kind="none", poll_minutes=60, last_poll_at=None)
    assert next_poll_time(none, now) is None
    never = SimpleNamespace(source_kind="csv_url", poll_minutes=60, last_poll_at=None)
    assert next_poll_time(never, now) == now
    recent = SimpleNamespace(source_kind="ckan", poll_minutes=60, last_poll_at=now - timedelta(minutes=20))
    assert next_poll_time(recent, now) == now + timedelta(minutes=40)
    late = SimpleNamespace(source_kind="csv_url", poll_minutes=60, last_poll_at=now - timedelta(days=2))
    assert next_poll_time(late, now) == now


def test_update_schedule_with_a_frozen_clock_across_a_month_end(session, factory):
    opd = factory.opd("DINA")
    editor = factory.user("editor", opd)
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Harga beras", key_column="kode")
    session.commit()
    # 31 January 2026, 21.00 WIB (14.00 UTC).
    with clock.frozen(wib(2026, 1, 31, 21, 0)):
        changed = update_schedule(
            session, editor, dataset, source_kind="csv_url", source_url="http://127.0.0.1/harga.csv",
            poll_minutes=120, series={"every": "month", "day": 1, "hour": 7, "minute": 0},
            allow_hosts=["127.0.0.1"])
        session.commit()
        assert set(changed) == {"source_kind", "source_url", "poll_minutes", "series"}
        assert dataset.series == {"every": "month", "day": 1, "hour": 7, "minute": 0}
        assert dataset.series_next_at == wib(2026, 2, 1, 7, 0)
        assert dataset.next_poll_at == clock.now()  # never polled: right away
        # The same values again change nothing.
        assert update_schedule(session, editor, dataset, source_kind="csv_url",
                               source_url="http://127.0.0.1/harga.csv", poll_minutes=120,
                               series=dataset.series, allow_hosts=["127.0.0.1"]) == []


def test_update_schedule_refuses_private_addresses_and_bad_intervals(session, factory):
    opd = factory.opd("DINA")
    editor = factory.user("editor", opd)
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Harga beras", key_column="kode")
    with pytest.raises(ValidationError) as refused:
        update_schedule(session, editor, dataset, source_kind="csv_url", source_url="http://127.0.0.1/x.csv")
    assert "source_url" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        update_schedule(session, editor, dataset, source_kind="csv_url", source_url="ftp://example.org/x")
    assert "source_url" in refused.value.errors
    with pytest.raises(ValidationError) as refused:
        update_schedule(session, editor, dataset, source_kind="csv_url", source_url="http://127.0.0.1/x.csv",
                        poll_minutes=5, allow_hosts=["127.0.0.1"])
    assert "poll_minutes" in refused.value.errors
    # A CKAN resource page gives its site and resource id.
    update_schedule(session, editor, dataset, source_kind="ckan",
                    source_url="http://127.0.0.1/dataset/beras/resource/abc-123", allow_hosts=["127.0.0.1"])
    assert (dataset.source_url, dataset.source_resource) == ("http://127.0.0.1", "abc-123")

"""The data centre's worker ticks with a frozen clock: a CSV URL served locally that changes
between polls becomes a new version (and an unchanged one makes nothing new, a broken one
changes nothing); a recurring series drafts and submits its post on time, never approving it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jobs import ticks
from pressroom import clock
from pressroom.models import Dataset, DatasetVersion, Post
from pressroom.services import dataset_schedule, datasets
from tests.conftest import Factory, open_test_session, reload
from tests.datasets.fake_source import FakeSource

FIXTURE = Path(__file__).parents[1] / "datasets" / "fixtures" / "bps_penduduk_luas_2025.csv"
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 08.00 WIB


@pytest.fixture
def session_for():
    """A test session and factory on an app built with its own configuration."""
    opened = []

    def open_for(app):
        session = open_test_session(app)
        opened.append(session)
        return session, Factory(app, session)

    yield open_for
    for session in opened:
        session.close()


@pytest.fixture
def source():
    server = FakeSource().start()
    yield server
    server.stop()


def _dataset(session, factory, **schedule):
    opd = factory.opd("DISDUKCAPIL")
    editor = factory.user("editor", opd)
    chart = {"template": "ranked_bar", "label": "Kabupaten/Kota", "value": "Jumlah", "mode": "top"}
    dataset = datasets.create_dataset(session, editor, opd_id=opd.id, title="Penduduk 2025",
                                      key_column="Kode", unit="jiwa", chart=chart)
    if schedule:
        dataset_schedule.update_schedule(session, editor, dataset, **schedule)
    session.commit()
    return dataset, editor


def _versions(session) -> int:
    return session.scalar(select(func.count()).select_from(DatasetVersion))


def test_a_polled_csv_that_changes_becomes_a_new_version(app_factory, source, session_for):
    app = app_factory(DATASET_SOURCE_ALLOW="127.0.0.1")
    session, factory = session_for(app)
    source.set_csv(FIXTURE.read_bytes())
    with clock.frozen(T0):
        dataset, _ = _dataset(session, factory, source_kind="csv_url", source_url=source.url("/data.csv"),
                              poll_minutes=60, allow_hosts=["127.0.0.1"])
        assert ticks.poll_sources(app, owner="w1") == 1
    reload(session)
    dataset = session.get(Dataset, dataset.id)
    assert _versions(session) == 1 and dataset.last_poll_error is None and dataset.source_etag
    assert dataset.next_poll_at == T0 + timedelta(minutes=60)

    # Not due yet: nothing fetched. Due and unchanged: a 304, nothing new.
    with clock.frozen(T0 + timedelta(minutes=30)):
        assert ticks.poll_sources(app, owner="w1") == 0
    with clock.frozen(T0 + timedelta(minutes=61)):
        assert ticks.poll_sources(app, owner="w1") == 1
    reload(session)
    assert _versions(session) == 1
    # Asked conditionally (the fake answers a matching If-None-Match with 304).
    assert source.paths("/data.csv")[-1].headers.get("If-None-Match") == dataset.source_etag

    # The publisher fixes a figure: the next poll makes version 2 with the change in its diff.
    source.set_csv(FIXTURE.read_bytes().replace(b"2.059.748", b"2.060.000"))
    with clock.frozen(T0 + timedelta(minutes=122)):
        ticks.poll_sources(app, owner="w1")
    reload(session)
    latest = session.scalar(select(DatasetVersion).order_by(DatasetVersion.number.desc()))
    assert latest.number == 2 and latest.origin == "poll:csv" and latest.diff["changed"][0]["key"] == "3301"

    # A broken table: refused, said on the dataset, the current version stays.
    source.set_csv(FIXTURE.read_bytes().replace(b"3302;", b"3399;"))
    with clock.frozen(T0 + timedelta(minutes=183)):
        ticks.poll_sources(app, owner="w1")
    reload(session)
    dataset = session.get(Dataset, dataset.id)
    assert _versions(session) == 2 and dataset.current_version_id == latest.id
    assert "3399" in dataset.last_poll_error


def test_a_source_on_a_private_address_is_refused_without_the_allow_list(app_factory, source, session_for):
    app = app_factory()  # 127.0.0.1 not allowed
    session, factory = session_for(app)
    with clock.frozen(T0):
        dataset, editor = _dataset(session, factory)
        with pytest.raises(datasets.ValidationError):
            dataset_schedule.update_schedule(session, editor, dataset, source_kind="csv_url",
                                             source_url=source.url("/data.csv"), poll_minutes=60)
    assert source.requests == []


def test_a_series_drafts_and_submits_its_post_on_time_and_never_approves_it(app, session, factory):
    monday_9 = T0 + timedelta(hours=1)  # Monday 09.00 WIB
    with clock.frozen(T0 - timedelta(days=1)):
        dataset, editor = _dataset(session, factory, source_kind="none",
                                   series={"every": "week", "weekday": 0, "hour": 9, "minute": 0})
        from pressroom.datasets import tables

        preview = tables.preview(tables.read_table(FIXTURE.read_bytes(), "p.csv"))
        datasets.ingest(session, dataset, preview.records(), origin="upload:p.csv", author=editor,
                        row_numbers=preview.row_numbers, number_formats=preview.number_formats)
        session.commit()
        ticks.render_versions(app, owner="w1")
    reload(session)
    assert session.get(Dataset, dataset.id).series_next_at == monday_9

    with clock.frozen(monday_9 - timedelta(hours=4)):  # too early: nothing yet
        assert ticks.draft_series_posts(app, owner="w1") == 0
    with clock.frozen(monday_9 - timedelta(hours=3)):  # the lead before 09.00 WIB
        assert ticks.draft_series_posts(app, owner="w1") == 1
        assert ticks.draft_series_posts(app, owner="w1") == 0  # once per issue
    reload(session)
    post = session.scalar(select(Post))
    assert post.state == "submitted" and post.scheduled_at == monday_9
    assert post.origin == f"series:{dataset.id}"
    assert post.approved_at is None and post.images
    assert session.get(Dataset, dataset.id).series_next_at == monday_9 + timedelta(days=7)

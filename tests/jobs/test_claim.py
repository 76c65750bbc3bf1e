"""The claim helper: leases, renewals, and two processes never taking the same row."""

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from jobs.claim import claim, expired, release, renew
from pressroom import clock
from tests.conftest import ROOT
from tests.jobs.claim_probe import log, metadata, probe


@pytest.fixture
def probe_tables(app):
    """Create the probe tables for one test and drop them after (they are not the schema)."""
    engine = app.extensions["db"].engine
    metadata.drop_all(engine)
    metadata.create_all(engine)

    def fill(rows: int):
        with engine.begin() as conn:
            conn.execute(insert(probe), [{"status": "due"} for _ in range(rows)])
        return engine

    yield fill
    metadata.drop_all(engine)


def test_claim_takes_due_rows_under_a_lease(probe_tables):
    engine = probe_tables(5)
    first = claim(engine, probe, due=probe.c.status == "due", owner="w1", lease=timedelta(seconds=30),
                  limit=3, values={"status": "claimed"})
    assert first.ids == [1, 2, 3]
    second = claim(engine, probe, due=probe.c.status == "due", owner="w2", lease=timedelta(seconds=30),
                   limit=10, values={"status": "claimed"})
    assert second.ids == [4, 5]
    with engine.connect() as conn:
        owners = dict(conn.execute(select(probe.c.id, probe.c.lease_owner)).all())
    assert owners == {1: "w1", 2: "w1", 3: "w1", 4: "w2", 5: "w2"}


def test_leases_renew_expire_and_release(probe_tables):
    engine = probe_tables(2)
    claimed = claim(engine, probe, due=probe.c.status == "due", owner="w1", lease=timedelta(seconds=30),
                    values={"status": "claimed"})
    assert renew(engine, probe, claimed.ids, owner="someone-else", lease=timedelta(minutes=5)) == 0
    assert renew(engine, probe, claimed.ids, owner="w1", lease=timedelta(minutes=5)) == 2
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(expired(probe))) == 0
        later = clock.now() + timedelta(minutes=6)
        assert conn.scalar(select(func.count()).where(expired(probe, later))) == 2
    assert release(engine, probe, claimed.ids, owner="w1", values={"status": "done"}) == 2
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(probe.c.lease_owner.is_(None),
                                                       probe.c.status == "done")) == 2


def test_two_processes_never_claim_the_same_row(app, probe_tables, tmp_path):
    rows = 1500
    engine = probe_tables(rows)
    url = app.config["DATABASE_URL"]
    go = tmp_path / "go"
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.jobs.claim_probe", url, f"proc{i}", str(go)],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    import time

    time.sleep(1.0)  # let both interpreters import and reach the barrier
    go.touch()
    counts = [int(w.communicate(timeout=120)[0].strip()) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(log))
        distinct = conn.scalar(select(func.count(func.distinct(log.c.row_id))))
        left = conn.scalar(select(func.count()).where(probe.c.status == "due"))
    assert total == distinct == rows, "a row was claimed twice or lost"
    assert left == 0
    assert sum(counts) == rows
    if engine.dialect.name == "postgresql":
        # SKIP LOCKED lets both work at once. (SQLite serialises claimers on its write lock,
        # so there one process may take everything; correctness is what it must show.)
        assert all(c > 0 for c in counts), counts

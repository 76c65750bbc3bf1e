"""A probe table for the claim helper, and a worker loop run in separate processes."""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

from jobs.claim import claim
from pressroom.db import make_engine

metadata = MetaData()
probe = Table(
    "claim_probe", metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(10), nullable=False, default="due"),
    Column("lease_owner", String(100)),
    Column("lease_expires_at", DateTime(timezone=True)),
)
log = Table(
    "claim_probe_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("row_id", Integer, nullable=False),
    Column("owner", String(100), nullable=False),
)


def work(url: str, owner: str, batch: int = 7) -> int:
    """Claim until nothing is due; log every row taken. Return how many were taken."""
    engine = make_engine(url)
    taken = 0
    try:
        while True:
            claimed = claim(engine, probe, due=probe.c.status == "due", owner=owner,
                            lease=timedelta(minutes=5), limit=batch, values={"status": "claimed"})
            if not claimed.ids:
                return taken
            with engine.begin() as conn:
                conn.execute(insert(log), [{"row_id": i, "owner": owner} for i in claimed.ids])
            taken += len(claimed.ids)
    finally:
        engine.dispose()


if __name__ == "__main__":
    # Wait for the go signal so both processes start claiming at the same moment.
    import os
    import time

    go = sys.argv[3]
    deadline = time.monotonic() + 60
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.01)
    print(work(sys.argv[1], sys.argv[2]))

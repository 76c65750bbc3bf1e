"""What the benchmarks share: the PostgreSQL server they use (``PRESSROOM_BENCH_DATABASE_URL``,
default the local one), a database of their own on it, and percentiles.

Not a benchmark itself: ``make bench`` runs ``bench/[!_]*.py``.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pressroom.db import normalise_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_unavailable(server_url: str) -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    engine = create_engine(make_url(normalise_url(server_url)), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - whatever the reason, say it
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create ``pressroom_bench_<pid>`` on the server; drop it afterwards."""
    server = make_url(normalise_url(server_url))
    name = f"pressroom_bench_{os.getpid()}"
    admin = create_engine(server.set(database=server.database or "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]

"""The claim helper every tick uses: take due rows under a lease, safely across processes.

A claim is a short transaction committed before any network call:

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows no other worker holds, and
  the same transaction marks them claimed;
* SQLite: ``BEGIN IMMEDIATE`` takes the write lock up front, and every row is marked with a
  compare-and-set ``UPDATE … WHERE <still due>`` whose row count proves the claim.

The claimed rows get ``lease_owner`` and ``lease_expires_at``; a live worker renews the
lease, and a reaper returns rows whose lease expired.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, ColumnElement, Connection, Engine, Table, and_, select, update

from pressroom import clock


def worker_identity() -> str:
    """A name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claimed:
    ids: list
    owner: str
    lease_expires_at: datetime


def claim(
    engine: Engine,
    table: Table,
    *,
    due: ColumnElement[bool],
    owner: str,
    lease: timedelta,
    limit: int = 10,
    order_by: Sequence[Column | ColumnElement] = (),
    values: dict | None = None,
) -> Claimed:
    """Claim up to ``limit`` rows of ``table`` matching ``due``; return their ids.

    ``table`` needs ``id``, ``lease_owner`` and ``lease_expires_at`` columns; ``values``
    are further columns set on claim (e.g. ``{"status": "claimed"}``). ``due`` must stop
    matching a claimed row (through ``values`` or the lease columns), or it would be
    claimed again.
    """
    now = clock.now()
    expires = now + lease
    stamp = {"lease_owner": owner, "lease_expires_at": expires, **(values or {})}
    pick = select(table.c.id).where(due).order_by(*order_by, table.c.id).limit(limit)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            ids = list(conn.scalars(pick.with_for_update(skip_locked=True)))
            if ids:
                conn.execute(update(table).where(table.c.id.in_(ids)).values(**stamp))
        return Claimed(ids, owner, expires)
    taken = []
    with engine.connect() as raw:
        conn = raw.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            for row_id in conn.scalars(pick):
                result = conn.execute(
                    update(table).where(and_(table.c.id == row_id, due)).values(**stamp)
                )
                if result.rowcount == 1:
                    taken.append(row_id)
    return Claimed(taken, owner, expires)


def renew(engine: Engine | Connection, table: Table, ids: Sequence, *, owner: str, lease: timedelta) -> int:
    """Extend the lease on rows still held by ``owner``; return how many were renewed.

    ``engine`` may also be a connection the caller holds, outside any transaction (a
    sender renews on its own connection instead of waiting for another from the pool)."""
    if not ids:
        return 0
    with _transaction(engine) as conn:
        result = conn.execute(
            update(table)
            .where(table.c.id.in_(list(ids)), table.c.lease_owner == owner)
            .values(lease_expires_at=clock.now() + lease)
        )
    return result.rowcount


def release(engine: Engine, table: Table, ids: Sequence, *, owner: str, values: dict | None = None) -> int:
    """Drop ``owner``'s lease on rows (and set ``values``), e.g. after recording results."""
    if not ids:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            update(table)
            .where(table.c.id.in_(list(ids)), table.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None, **(values or {}))
        )
    return result.rowcount


@contextlib.contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """One transaction on an engine (a pooled connection) or on a connection already held."""
    if isinstance(bind, Connection):
        with bind.begin():
            yield bind
    else:
        with bind.begin() as conn:
            yield conn


def expired(table: Table, at: datetime | None = None) -> ColumnElement[bool]:
    """A condition matching rows whose lease has run out (for reapers)."""
    return and_(table.c.lease_owner.is_not(None), table.c.lease_expires_at < (at or clock.now()))

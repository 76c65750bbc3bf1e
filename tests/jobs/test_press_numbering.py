"""Release numbers under concurrent approvals: every approval in its own session and thread,
all at once — the numbers are 1…n with no gap and no reuse (the sequence row is locked)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from pressroom.models import PressRelease, User
from pressroom.services import releases
from tests.press.helpers import journalist, release_input

CONCURRENT = 8


def test_concurrent_approvals_take_distinct_consecutive_numbers(app, session, factory):
    opd = factory.opd("DISKOMINFO")
    editor = factory.user("editor", opd)
    heads = [factory.user("approver", opd, level="kepala") for _ in range(2)]
    journalist(session, editor, opd)
    ids = []
    for _ in range(CONCURRENT):
        release = releases.create_release(session, editor, opd.id, release_input())
        releases.submit_release(session, editor, release)
        ids.append(release.id)
    session.commit()
    session.close()

    database = app.extensions["db"]
    barrier = threading.Barrier(CONCURRENT)
    errors: list[BaseException] = []

    def approve(index: int) -> None:
        own = database.new_session()
        try:
            barrier.wait(30)  # all start together (nothing read yet: SQLite would hold its lock)
            release = own.get(PressRelease, ids[index])
            head = own.get(User, heads[index % 2].id)
            for attempt in range(20):
                try:
                    releases.approve_release(own, head, release)
                    own.commit()
                    return
                except Exception as exc:  # SQLite: "database is locked" under contention → try again
                    own.rollback()
                    if "locked" not in str(exc) or attempt == 19:
                        raise
                    release = own.get(PressRelease, ids[index])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    check = database.new_session()
    try:
        seqs = sorted(check.scalars(select(PressRelease.number_seq).where(PressRelease.id.in_(ids))))
        numbers = set(check.scalars(select(PressRelease.number).where(PressRelease.id.in_(ids))))
    finally:
        check.close()
    assert seqs == list(range(1, CONCURRENT + 1))
    assert len(numbers) == CONCURRENT

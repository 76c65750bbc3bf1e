"""The scheduler's ticks. Each opens its own session and commits once."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from pressroom.services.auth import purge_login_attempts

log = logging.getLogger("pressroom.jobs")


def purge_login_throttle(app: Flask) -> int:
    """Delete failed-login rows older than the throttle window: they can block no one."""
    window = timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"])
    session = app.extensions["db"].new_session()
    try:
        removed = purge_login_attempts(session, older_than=window)
        session.commit()
    finally:
        session.close()
    if removed:
        log.info("purged %d expired login-throttle rows", removed)
    return removed


def sweep_missed_posts(app: Flask) -> int:
    """Posts still waiting for approval when their time came are missed, never published late."""
    from sqlalchemy import select

    from pressroom import clock
    from pressroom.models import Post
    from pressroom.services import posts

    session = app.extensions["db"].new_session()
    try:
        late = session.scalars(select(Post).where(Post.state == "submitted",
                                                  Post.scheduled_at <= clock.now()))
        count = 0
        for post in late:
            posts.mark_missed(session, post, "Its time passed before it was approved.")
            count += 1
        session.commit()
    finally:
        session.close()
    return count


def optimize_sqlite_engine(engine) -> None:
    """Refresh SQLite's planner statistics (``ANALYZE`` via ``PRAGMA optimize``), as SQLite
    recommends doing periodically; PostgreSQL's autovacuum does the same on its own."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA optimize=0x10002")
        conn.commit()


def maintain_database(app: Flask) -> None:
    engine = app.extensions["db"].engine
    if engine.dialect.name == "sqlite":
        optimize_sqlite_engine(engine)


def check_accounts(app: Flask) -> dict[int, str]:
    """Daily: ask each platform whether each account's credentials still work; warn before a
    token expires or when an account stops working (services/sending.run_account_checks)."""
    from pressroom.services import sending

    found = sending.run_account_checks(app.extensions["db"].new_session, app.config, app.extensions["crypto"])
    bad = {k: v for k, v in found.items() if v != "ok"}
    if bad:
        log.warning("account check: %d of %d accounts need attention: %s", len(bad), len(found), bad)
    return found

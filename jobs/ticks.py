"""The scheduler's ticks. Each opens its own session and commits once."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from pressroom.services.auth import purge_login_attempts

log = logging.getLogger("pressroom.jobs")


def purge_login_throttle(app: Flask) -> int:
    """Delete throttle rows older than the longest window that reads them (failed logins;
    Lapor Gub's wrong PINs and unknown tracking IDs): they can block no one."""
    window = timedelta(minutes=max(app.config["LOGIN_WINDOW_MINUTES"],
                                   app.config.get("LAPOR_GUESS_WINDOW_MINUTES") or 0))
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


def render_versions(app: Flask, *, owner: str, limit: int = 4) -> int:
    """Render the images of new versions (claimed like deliveries, so two workers never draw
    the same one), then draft a post where the dataset asks for one. Returns versions done."""
    from jobs.claim import claim
    from pressroom import clock
    from pressroom.models import Dataset, DatasetVersion, User
    from pressroom.services import renders

    database = app.extensions["db"]
    table = DatasetVersion.__table__
    claimed = claim(database.engine, table, owner=owner, lease=timedelta(minutes=10), limit=limit,
                    due=(table.c.render_status == "due") & (table.c.render_due_at <= clock.now()),
                    order_by=[table.c.render_due_at], values={"render_status": "claimed"})
    done = 0
    for version_id in claimed.ids:
        session = database.new_session()
        try:
            version = session.get(DatasetVersion, version_id)
            dataset = session.get(Dataset, version.dataset_id)
            storage, public_url = app.extensions["storage"], app.config["PUBLIC_URL"]
            renders.render_version(session, storage, public_url, version)
            version.render_status, version.render_error = "done", None
            version.lease_owner = version.lease_expires_at = None
            if dataset.draft_post_on_update and version.post_id is None and version.state == "current":
                author = session.get(User, version.author_id or dataset.author_id)
                renders.draft_post(session, storage, public_url, version, author)
            session.commit()
            done += 1
        except Exception as exc:  # noqa: BLE001 - one bad dataset must not stop the others
            session.rollback()
            log.exception("rendering version %s failed", version_id)
            failed = session.get(DatasetVersion, version_id)
            failed.render_status, failed.render_error = "failed", str(exc)[:500]
            failed.lease_owner = failed.lease_expires_at = None
            session.commit()
        finally:
            session.close()
    return done


def poll_sources(app: Flask, *, owner: str, limit: int = 5) -> int:
    """Fetch datasets whose source is due (outside any transaction), ingest what changed, and
    schedule the next poll. A source that fails or sends a bad table changes no version."""
    from jobs.claim import claim
    from pressroom import clock
    from pressroom.datasets import sources
    from pressroom.datasets.errors import DatasetInputError
    from pressroom.models import Dataset
    from pressroom.services import datasets
    from pressroom.services.dataset_schedule import next_poll_time

    database = app.extensions["db"]
    table = Dataset.__table__
    now = clock.now()
    claimed = claim(database.engine, table, owner=owner, lease=timedelta(minutes=10), limit=limit,
                    due=(table.c.source_kind != "none") & (table.c.next_poll_at <= now)
                    & (table.c.lease_owner.is_(None) | (table.c.lease_expires_at < now)),
                    order_by=[table.c.next_poll_at])
    allow = [h.strip() for h in str(app.config.get("DATASET_SOURCE_ALLOW") or "").split(",") if h.strip()]
    timeout = float(app.config.get("DATASET_SOURCE_TIMEOUT") or 20)
    polled = 0
    for dataset_id in claimed.ids:
        session = database.new_session()
        try:
            dataset = session.get(Dataset, dataset_id)
            kind, url, resource = dataset.source_kind, dataset.source_url, dataset.source_resource
            etag, modified, previous = dataset.source_etag, dataset.source_last_modified, dataset.source_hash
            session.commit()  # no transaction is held while the source answers
            try:
                if kind == "ckan":
                    fetched = sources.fetch_ckan(url, resource, allow_hosts=allow, timeout=timeout)
                else:
                    fetched = sources.fetch_csv(url, etag=etag, last_modified=modified,
                                                previous_hash=previous, allow_hosts=allow, timeout=timeout)
                error = None
            except DatasetInputError as exc:
                fetched, error = None, str(exc.message)
            dataset = session.get(Dataset, dataset_id)
            now = clock.now()
            if fetched is not None:
                try:
                    datasets.poll_source(session, dataset, fetched, now=now)
                except (DatasetInputError, datasets.UpdateRefused) as exc:
                    session.rollback()
                    dataset = session.get(Dataset, dataset_id)
                    error = _refusal_text(exc)
            if error is not None:
                datasets.poll_failed(dataset, error, now=now)
            dataset.next_poll_at = next_poll_time(dataset, now)
            dataset.lease_owner = dataset.lease_expires_at = None
            session.commit()
            polled += 1
        except Exception:  # noqa: BLE001 - one broken source must not stop the others
            session.rollback()
            log.exception("polling dataset %s failed", dataset_id)
        finally:
            session.close()
    return polled


def _refusal_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        where = f" (row {first.row}, {first.column})" if first.row else ""
        return f"{first.message}{where}" + (f" … and {len(errors) - 1} more" if len(errors) > 1 else "")
    return str(getattr(exc, "message", exc))


#: A series' post is drafted and submitted this long before its time, for the approver.
SERIES_LEAD = timedelta(hours=3)


def draft_series_posts(app: Flask, *, owner: str, limit: int = 5) -> int:
    """Recurring series: when a dataset's series is due, draft a post from its latest version
    and submit it for approval. Never approved here: an official account posts nothing no
    person saw."""
    from jobs.claim import claim
    from pressroom import clock
    from pressroom.models import Dataset, User
    from pressroom.services import datasets, posts, renders
    from pressroom.services.dataset_schedule import next_series_time

    database = app.extensions["db"]
    table = Dataset.__table__
    now = clock.now()
    claimed = claim(database.engine, table, owner=owner, lease=timedelta(minutes=10), limit=limit,
                    due=(table.c.series_next_at <= now + SERIES_LEAD)
                    & (table.c.lease_owner.is_(None) | (table.c.lease_expires_at < now)),
                    order_by=[table.c.series_next_at])
    drafted = 0
    for dataset_id in claimed.ids:
        session = database.new_session()
        try:
            dataset = session.get(Dataset, dataset_id)
            version = datasets.current_version(session, dataset)
            due_at = dataset.series_next_at
            ready = version is not None and version.render_status == "done"
            if ready and due_at > now:
                # Drafted ahead and scheduled at the series' time: the approver has the lead to decide.
                author = session.get(User, dataset.author_id)
                post = renders.draft_post(session, app.extensions["storage"], app.config["PUBLIC_URL"],
                                          version, author, scheduled_at=due_at)
                post.origin = f"series:{dataset.id}"
                posts.submit_post(session, author, post)
                drafted += 1
            if version is not None and not ready and due_at > now:
                # Its images are not drawn yet: look again shortly rather than skip this issue.
                dataset.lease_owner = dataset.lease_expires_at = None
                session.commit()
                continue
            # Next issue (a series whose time passed while the worker was down is skipped, not late).
            dataset.series_next_at = next_series_time(dataset.series or {}, max(now, due_at))
            dataset.lease_owner = dataset.lease_expires_at = None
            session.commit()
        except Exception:  # noqa: BLE001
            session.rollback()
            log.exception("series of dataset %s failed", dataset_id)
        finally:
            session.close()
    return drafted


def remind_complaints(app: Flask) -> dict[str, int]:
    """Lapor Gub: SLA reminders and escalations (in office hours unless a report is urgent), and
    closing resolved reports whose reporter stayed silent for 10 working days. Each report is
    decided again and committed on its own under its row lock, so several workers never send the
    same reminder twice (services/complaint_reminders.py)."""
    from pressroom.services import complaint_reminders as reminders
    from pressroom.services import workcal

    database = app.extensions["db"]
    counts = {"reminders": 0, "escalations": 0, "closed": 0}
    with app.app_context():  # notifications are rendered in each recipient's language
        reader = database.session_factory(bind=database.engine.execution_options(sqlite_begin="DEFERRED"))
        try:
            work = reminders.find_work(reader, app.config)
            calendar = workcal.load(reader, app.config)
        finally:
            reader.close()
        closing = set(work.close)
        for complaint_id in work.close + work.remind:
            session = database.new_session()
            try:
                if complaint_id in closing:
                    counts["closed"] += reminders.close_if_silent(session, complaint_id, app.config,
                                                                  calendar=calendar)
                else:
                    sent = reminders.remind(session, complaint_id, app.config, calendar=calendar)
                    counts["reminders"] += sent.reminders
                    counts["escalations"] += sent.escalations
                session.commit()
            except Exception:  # noqa: BLE001 - one broken report must not stop the others
                session.rollback()
                log.exception("Lapor Gub reminders for report %s failed", complaint_id)
            finally:
                session.close()
    if any(counts.values()):
        log.info("Lapor Gub: %(reminders)d reminders, %(escalations)d escalations, %(closed)d closed", counts)
    return counts


def publish_complaint_statistics(app: Flask) -> int | None:
    """Lapor Gub: once a month, last month's statistics become a version of the data centre's
    "Statistik Lapor Gub" dataset (then the render tick draws it and drafts the post for
    approval). Runs daily; a month already ingested is never ingested again, so the first run
    after the month turns does it and a worker that was down catches up. Returns the new
    version's number, or None when there was nothing to do."""
    from pressroom.services import complaint_stats

    session = app.extensions["db"].new_session()
    try:
        result = complaint_stats.publish_month(session, app.config)
        session.commit()
    finally:
        session.close()
    if result is None or result.version is None:
        return None
    log.info("Lapor Gub statistics: dataset version %s (%s)", result.version.number, result.status)
    return result.version.number

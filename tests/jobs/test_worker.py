"""The worker: its scheduler and the login-throttle purge tick."""

from datetime import timedelta

from sqlalchemy import func, select

from jobs import ticks
from jobs.scheduler import build_scheduler
from pressroom import clock
from pressroom.models import LoginAttempt
from tests.conftest import reload


def test_scheduler_is_utc_with_the_purge_tick(app):
    scheduler = build_scheduler(app)
    assert str(scheduler.timezone) == "UTC"
    assert {job.id for job in scheduler.get_jobs()} >= {
        "purge_login_throttle", "dispatch", "reap_leases", "sweep_missed_posts", "check_accounts",
        "render_versions", "poll_sources", "draft_series_posts"}
    assert not scheduler.running


def test_purge_tick_removes_only_expired_throttle_rows(app, session):
    # The longest window any throttle reads (logins; Lapor Gub's PIN and tracking-ID guesses).
    window = timedelta(minutes=max(app.config["LOGIN_WINDOW_MINUTES"],
                                   app.config["LAPOR_GUESS_WINDOW_MINUTES"]))
    now = clock.now()
    session.add_all([
        LoginAttempt(key="ip:1", at=now - window - timedelta(minutes=1)),
        LoginAttempt(key="ip:1", at=now - window - timedelta(hours=5)),
        LoginAttempt(key="ip:1", at=now - timedelta(minutes=1)),
    ])
    session.commit()
    assert ticks.purge_login_throttle(app) == 2
    reload(session)
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1

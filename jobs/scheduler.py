"""The worker process: one APScheduler BlockingScheduler (in-memory job store, UTC).

The database is the source of truth; the scheduler only ticks. Several workers may run
against PostgreSQL: every tick that takes work uses ``jobs.claim``.
"""

from __future__ import annotations

import logging
import signal

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from jobs import ticks
from pressroom import clock

log = logging.getLogger("pressroom.jobs")


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        ticks.purge_login_throttle, "interval", args=[app], id="purge_login_throttle",
        seconds=app.config["PURGE_INTERVAL_SECONDS"],
        next_run_time=clock.now(),  # run once at start so a restarted worker catches up
    )
    from jobs import dispatch
    from jobs.claim import worker_identity

    owner = worker_identity()
    scheduler.add_job(dispatch.dispatch_due, "interval", args=[app], kwargs={"owner": owner},
                      id="dispatch", seconds=app.config["DISPATCH_INTERVAL_SECONDS"],
                      next_run_time=clock.now())
    scheduler.add_job(dispatch.reap, "interval", args=[app], id="reap_leases", seconds=60,
                      next_run_time=clock.now())
    scheduler.add_job(ticks.sweep_missed_posts, "interval", args=[app], id="sweep_missed_posts", seconds=60,
                      next_run_time=clock.now())
    # The data centre: images of new versions, polled sources, recurring series.
    scheduler.add_job(ticks.render_versions, "interval", args=[app], kwargs={"owner": owner},
                      id="render_versions", seconds=10, next_run_time=clock.now())
    scheduler.add_job(ticks.poll_sources, "interval", args=[app], kwargs={"owner": owner},
                      id="poll_sources", seconds=60, next_run_time=clock.now())
    scheduler.add_job(ticks.draft_series_posts, "interval", args=[app], kwargs={"owner": owner},
                      id="draft_series_posts", seconds=60, next_run_time=clock.now())
    # Lapor Gub: SLA reminders and escalations; closing reports the reporter left silent.
    scheduler.add_job(ticks.remind_complaints, "interval", args=[app], id="remind_complaints",
                      seconds=app.config["LAPOR_REMINDER_INTERVAL_SECONDS"], next_run_time=clock.now())
    # Lapor Gub's monthly statistics to the data centre: daily at 06:30 WIB, so on the 1st (once a month).
    scheduler.add_job(ticks.publish_complaint_statistics, "cron", args=[app],
                      id="publish_complaint_statistics", hour=23, minute=30)
    # 06:00 WIB, before the working day: admins read the warnings with their morning messages.
    scheduler.add_job(ticks.check_accounts, "cron", args=[app], id="check_accounts", hour=23, minute=0)
    scheduler.add_job(ticks.maintain_database, "interval", args=[app], id="maintain_database", hours=6,
                      next_run_time=clock.now())
    return scheduler


def run_worker(app: Flask) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Ticks run every few seconds: log what they do (our loggers), not that they ran.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = build_scheduler(app)

    def _stop(_signum, _frame):
        log.info("worker stopping")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, _stop)
    log.info("worker started with %d ticks", len(scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass

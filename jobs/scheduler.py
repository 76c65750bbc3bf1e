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
    return scheduler


def run_worker(app: Flask) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
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

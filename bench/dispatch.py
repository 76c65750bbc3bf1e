"""Benchmark: the dispatcher publishing to Telegram from worker processes, on PostgreSQL.

The real worker (``jobs.scheduler.run_worker``: APScheduler, the dispatch tick every
``DISPATCH_INTERVAL_SECONDS``, fixed here at 1 s) runs in separate processes and publishes
through the real Telegram adapter to the test fake (``tests/fakes/telegram_server.py``),
which answers every request after 20 ms, like an API across a network, and keeps HTTP/1.1
connections open as the real one does. PostgreSQL at ``PRESSROOM_BENCH_DATABASE_URL``
(default the local server); a database ``pressroom_bench_<pid>`` is created and dropped.

What is sent: ``publish`` deliveries of approved posts, the path every post takes. Each
post (with a unique caption) targets one of 40 Telegram accounts, one per OPD; its rows
(``post`` in state approved with a valid approval hash, ``post_target``, ``delivery``) are
bulk-inserted with SQLAlchemy Core, as if that many approvals had queued them. So every
tick runs the real gate (approval still valid, pauses and blackout windows, missed window),
builds the caption, records the result and writes the ``post.published`` audit entry. The
40 accounts share the fake's one bot token and channel (the fake models one bot); grouping,
channel sessions and pacing per account are the dispatcher's own. The Bot API allows 20
messages a minute into a channel, so with the production ``TELEGRAM_RATE_PER_MINUTE`` 40
accounts could never publish more than 13 posts a second, whatever the dispatcher does; the
bench raises it to 60,000 per account, so the fake's latency and the dispatcher's own work
are what is measured.

* Baseline, same run: one process sends a 500-delivery sample one after another through the
  same adapter with a fresh HTTP connection per request (the adapter's ``http`` is the
  ``requests`` module itself: ``requests.post`` without a Session), recording each result
  the simple way (read the row, send, ``outbox.record_result``, commit); no claims, leases
  or gates.
* Throughput: a backlog of 5,000 deliveries made due at once, drained by 1, then 2, then 4
  worker processes (workers are added between runs); deliveries per second from the moment
  they became due to the last ``sent_at``.
* Lateness: with the 4 workers running, deliveries come due steadily (each scheduled
  1/rate s after the last, as approved posts do) at half the measured 4-worker rate for
  15 s; lateness = ``sent_at - due_at``, p50 and p99.
* Duplicates: counted at the fake, where every ``sendMessage`` text is a unique caption.

Goals: 4 workers >= 8x the baseline's throughput; p99 lateness <= 2 s; zero duplicates.

    python bench/dispatch.py [--backlog 5000] [--sample 500] [--workers 1,2,4]
                             [--lateness-seconds 15] [--accounts 40] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from _common import (  # noqa: E402
    DEFAULT_PG,
    WorkerProcesses,
    percentile,
    postgres_database,
    postgres_unavailable,
)
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pressroom import clock, create_app  # noqa: E402
from pressroom.channels import registry  # noqa: E402
from pressroom.channels.base import Message  # noqa: E402
from pressroom.channels.telegram import TelegramSession  # noqa: E402
from pressroom.db import make_engine, normalise_url  # noqa: E402
from pressroom.migrate import upgrade  # noqa: E402
from pressroom.models import Delivery, Opd, Post, SocialAccount, User  # noqa: E402
from pressroom.models.post import PostTarget  # noqa: E402
from pressroom.services import approvals, outbox, posts  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram  # noqa: E402

TARGET_SPEEDUP = 8.0
TARGET_P99_SECONDS = 2.0
TICK_SECONDS = 1
RATE_PER_MINUTE = 60_000
MISSED_WINDOW = timedelta(minutes=30)
#: How long a run may take to send everything before the bench calls itself broken.
DRAIN_TIMEOUT = 90.0
PLACES = ("Banyumas Blora Boyolali Brebes Cilacap Demak Grobogan Jepara Karanganyar Kebumen Kendal Klaten "
          "Kudus Magelang Pati Pekalongan Pemalang Purbalingga Purworejo Rembang Semarang Sragen Sukoharjo "
          "Tegal Temanggung Wonogiri Wonosobo").split()


# Data -----------------------------------------------------------------------------------------
class Bench:
    """The bench database: OPDs, accounts and an author, then approved posts queued in bulk."""

    def __init__(self, url: str, accounts: int, key: str):
        self.engine = make_engine(normalise_url(url))
        self.fernet = Fernet(key.encode())
        self.accounts = accounts
        self.rng = random.Random(2026)
        self._next_post = 0

    def seed(self, telegram: FakeTelegram) -> None:
        now = clock.now()
        credentials = json.dumps({"bot_token": telegram.token, "chat_id": "@" + telegram.chat["username"]})
        numbers = range(1, self.accounts + 1)
        with self.engine.begin() as conn:
            conn.execute(insert(Opd.__table__), [
                {"id": i, "code": f"BENCH{i:02d}", "name": f"Dinas Uji Beban {i:02d}",
                 "short_name": f"Uji {i:02d}", "kind": "dinas", "primary_color": "#1f4e79",
                 "accent_color": "#f2a900", "is_active": True, "created_at": now} for i in numbers])
            conn.execute(insert(SocialAccount.__table__), [  # account i belongs to OPD i
                {"id": i, "opd_id": i, "platform": "telegram", "name": f"Kanal Uji {i:02d}",
                 "credentials_encrypted": self.fernet.encrypt(credentials.encode()).decode(),
                 "is_active": True, "created_at": now} for i in numbers])
            conn.execute(insert(User.__table__), [{
                "id": 1, "email": "author@bench.example", "full_name": "Penulis Uji Beban",
                "password_hash": "!bench: no login", "created_at": now}])
            for table in ("opd", "social_account", "user_account"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))

    def queue(self, label: str, due: list[datetime]) -> list[int]:
        """Queue one approved post per due time, each to a random account; return the
        delivery ids (consecutive)."""
        now = clock.now()
        post_rows, target_rows, delivery_rows = [], [], []
        for due_at in due:
            self._next_post += 1
            post_id, account = self._next_post, self.rng.randint(1, self.accounts)
            caption = (f"[{label}] Kabar #{post_id:06d}: Pemprov Jawa Tengah menyalurkan bantuan ke "
                       f"Kabupaten {self.rng.choice(PLACES)}.")
            # What the approver approved, hashed by the service's own rule.
            approved = SimpleNamespace(caption=caption, caption_variants={}, images=[], opd_id=account,
                                       targets=[SimpleNamespace(account_id=account)], scheduled_at=due_at)
            approved.approval_content = lambda subject=approved: posts.approval_content(subject)
            post_rows.append({
                "id": post_id, "opd_id": account, "author_id": 1, "caption": caption, "caption_variants": {},
                "scheduled_at": due_at, "state": "approved", "origin": "bench", "approval_step": 0,
                "submitted_at": now, "approved_at": now, "approval_hash": approvals.content_hash(approved),
                "created_at": now, "updated_at": now})
            target_rows.append({"post_id": post_id, "account_id": account})
            delivery_rows.append({
                "kind": "publish", "channel": "telegram", "subject_type": "post", "subject_id": post_id,
                "opd_id": account, "account_id": account, "payload": {}, "status": "due", "due_at": due_at,
                "not_after": due_at + MISSED_WINDOW, "attempts": 0, "step_data": {}, "created_at": now,
                "updated_at": now})
        with self.engine.begin() as conn:
            conn.execute(insert(Post.__table__), post_rows)
            conn.execute(insert(PostTarget.__table__), target_rows)
            ids = sorted(conn.scalars(insert(Delivery.__table__).returning(Delivery.id), delivery_rows))
        if ids != list(range(ids[0], ids[0] + len(ids))):
            raise SystemExit("the queued deliveries' ids are not consecutive; the bench cannot count them")
        return ids

    def make_due(self, ids: list[int]) -> datetime:
        """Make queued deliveries due now; return that moment."""
        at = clock.now()
        with self.engine.begin() as conn:
            conn.execute(update(Delivery).where(Delivery.id.between(ids[0], ids[-1])).values(due_at=at))
        return at

    def states(self, ids: list[int]) -> Counter:
        with self.engine.connect() as conn:
            return Counter(dict(conn.execute(select(Delivery.status, func.count()).where(
                Delivery.id.between(ids[0], ids[-1])).group_by(Delivery.status)).all()))

    def wait_sent(self, ids: list[int], what: str) -> None:
        """Poll until none of ``ids`` is due or claimed; complain unless every one was sent."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while True:
            states = self.states(ids)
            if not (states["due"] or states["claimed"]) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if states["sent"] != len(ids):
            raise SystemExit(f"{what}: {states['sent']} of {len(ids)} sent ({dict(states)}); "
                             "the bench is broken")

    def times(self, ids: list[int]) -> list[tuple[datetime, datetime]]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(select(Delivery.due_at, Delivery.sent_at).where(
                Delivery.id.between(ids[0], ids[-1]), Delivery.status == "sent"))]


# Baseline -------------------------------------------------------------------------------------
def baseline(bench: Bench, app, ids: list[int]) -> float:
    """Send ``ids`` one after another, a new connection each, recording each result the simple
    way; return deliveries per second."""
    channel = registry.build_channel("telegram", app.config)
    crypto = app.extensions["crypto"]
    started = time.perf_counter()
    session = app.extensions["db"].new_session()
    try:
        for delivery_id in ids:
            delivery = session.get(Delivery, delivery_id)
            post = session.get(Post, delivery.subject_id)
            account = session.get(SocialAccount, delivery.account_id)
            credentials = json.loads(crypto.decrypt(account.credentials_encrypted))
            # The requests module as the adapter's HTTP client: requests.post, a new connection each.
            fresh = TelegramSession(http=requests, bot_token=credentials["bot_token"],  # type: ignore[arg-type]
                                    chat_id=credentials["chat_id"])
            message = Message(delivery_id=delivery.id, kind="publish", text=post.caption_for("telegram"))
            delivery.attempts += 1
            outbox.record_result(session, delivery, channel.send(fresh, message))
            session.commit()
    finally:
        session.close()
    elapsed = time.perf_counter() - started
    bench.wait_sent(ids, "baseline")
    return len(ids) / elapsed


# Workers --------------------------------------------------------------------------------------
def worker_main(config_json: str) -> None:
    """A worker process: the real scheduler, with its dispatch tick."""
    from jobs.scheduler import run_worker

    run_worker(create_app(json.loads(config_json)))


@dataclass
class Drain:
    workers: int
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def drain(bench: Bench, ids: list[int], workers: int) -> Drain:
    """With ``workers`` running: make ``ids`` due at once, time until the last one is sent."""
    became_due = bench.make_due(ids)
    bench.wait_sent(ids, f"{workers} worker(s)")
    last = max(sent for _due, sent in bench.times(ids))
    return Drain(workers, len(ids), (last - became_due).total_seconds())


def lateness(bench: Bench, rate: float, seconds: float) -> list[float]:
    """Deliveries due steadily at ``rate`` a second for ``seconds``; return their lateness."""
    count = max(1, round(rate * seconds))
    start = clock.now() + timedelta(seconds=1.5)  # after the rows are in
    ids = bench.queue("late", [start + timedelta(seconds=i / rate) for i in range(count)])
    if clock.now() >= start:
        raise SystemExit("queueing the lateness rows took longer than their lead time")
    time.sleep(max(0.0, (start - clock.now()).total_seconds() + seconds))
    bench.wait_sent(ids, "lateness")
    return sorted((sent - due).total_seconds() for due, sent in bench.times(ids))


# PostgreSQL -----------------------------------------------------------------------------------
# Main -----------------------------------------------------------------------------------------
@dataclass
class Figures:
    baseline: float
    drains: list[Drain]
    late: list[float]
    late_rate: float
    deliveries: int
    messages: int
    duplicates: int


def run(args, url: str, workdir: Path) -> Figures:
    started = time.perf_counter()
    upgrade(url)
    key = Fernet.generate_key().decode()
    counts = sorted({int(n) for n in args.workers.split(",") if n.strip()})
    with FakeTelegram(latency=args.latency, keep_alive=True) as telegram:
        config = {"DATABASE_URL": url, "STORAGE_PATH": str(workdir / "storage"),
                  "INSTANCE_PATH": str(workdir / "instance"), "ENCRYPTION_KEYS": key,
                  "TELEGRAM_API_BASE": telegram.base_url, "TELEGRAM_TIMEOUT": 10,
                  "TELEGRAM_RATE_PER_MINUTE": RATE_PER_MINUTE, "DISPATCH_INTERVAL_SECONDS": TICK_SECONDS}
        bench = Bench(url, args.accounts, key)
        bench.seed(telegram)
        later = clock.now() + timedelta(days=1)  # queued now, made due when their run starts
        sample = bench.queue("baseline", [later] * args.sample)
        backlogs = {n: bench.queue(f"{n}w", [later] * args.backlog) for n in counts}
        queued = args.sample + args.backlog * len(counts)
        print(f"Seeded {args.accounts} Telegram accounts (one per OPD) and {queued:,} approved posts in "
              f"{time.perf_counter() - started:.1f}s. The fake answers in {args.latency * 1000:g} ms; "
              f"TELEGRAM_RATE_PER_MINUTE={RATE_PER_MINUTE:,} per account (production: 20), so the fake's "
              f"latency, not the rate limiter, is measured; a tick every {TICK_SECONDS} s.", flush=True)

        app = create_app(config)
        try:
            base = baseline(bench, app, sample)
        finally:
            app.extensions["db"].dispose()
        print(f"  baseline: {args.sample} in {args.sample / base:.1f}s", flush=True)
        workers = WorkerProcesses(Path(__file__), config, workdir)
        drains: list[Drain] = []
        late: list[float] = []
        late_rate = 0.0
        try:
            for n in counts:
                workers.grow_to(n)
                drains.append(drain(bench, backlogs[n], n))
                print(f"  {n} worker(s): {args.backlog} in {drains[-1].seconds:.1f}s", flush=True)
            if args.lateness_seconds > 0 and drains:
                late_rate = drains[-1].rate / 2
                late = lateness(bench, late_rate, args.lateness_seconds)
                print(f"  lateness: {len(late)} at {late_rate:.0f}/s", flush=True)
        finally:
            troubles = workers.stop()
        for line in troubles[:5]:
            print(f"  worker log: {line}", flush=True)
        texts = [r.params.get("text") for r in telegram.requests_for("sendMessage") if r.status == 200]
    print(f"Finished in {time.perf_counter() - started:.1f}s.\n", flush=True)
    deliveries = args.sample + sum(d.count for d in drains) + len(late)
    return Figures(base, drains, late, late_rate, deliveries, len(texts), len(texts) - len(set(texts)))


def report(args, figures: Figures) -> None:
    base = figures.baseline
    print(f"{'run':<58} {'deliveries':>10} {'seconds':>8} {'per second':>11} {'vs baseline':>12}")
    print(f"{'baseline: 1 process, sequential, new connection per request':<58} {args.sample:>10} "
          f"{args.sample / base:>8.1f} {base:>11.1f} {1:>11.1f}x")
    for d in figures.drains:
        processes = f"{d.workers} worker process{'es' if d.workers > 1 else ''}"
        label = f"dispatcher: {processes}, {TICK_SECONDS} s tick"
        print(f"{label:<58} {d.count:>10} {d.seconds:>8.1f} {d.rate:>11.1f} {d.rate / base:>11.1f}x")
    if figures.late:
        late = figures.late
        print(f"lateness (sent - due), {len(late):,} deliveries due at {figures.late_rate:.0f}/s for "
              f"{args.lateness_seconds:g} s, {figures.drains[-1].workers} workers: "
              f"p50 {percentile(late, 50):.2f} s, p99 {percentile(late, 99):.2f} s, max {late[-1]:.2f} s")
    print(f"messages at the fake: {figures.messages:,} for {figures.deliveries:,} deliveries; "
          f"sent more than once: {figures.duplicates}")


def goals(args, figures: Figures | None) -> None:
    """One line per goal; a goal not measured is not met."""
    verdict = {True: "met", False: "not met"}
    top = max((d for d in figures.drains), key=lambda d: d.workers) if figures and figures.drains else None
    label = f"throughput_{top.workers if top else 4}_workers_vs_baseline"
    if top:
        speedup = top.rate / figures.baseline
        print(f"goal {label}: {speedup:.1f}x (target >= {TARGET_SPEEDUP:g}x) "
              f"{verdict[speedup >= TARGET_SPEEDUP]}")
    else:
        print(f"goal {label}: not measured (target >= {TARGET_SPEEDUP:g}x) not met")
    if figures and figures.late:
        p99 = percentile(figures.late, 99)
        print(f"goal lateness_p99: {p99:.2f} s (target <= {TARGET_P99_SECONDS:g} s) "
              f"{verdict[p99 <= TARGET_P99_SECONDS]}")
    else:
        print(f"goal lateness_p99: not measured (target <= {TARGET_P99_SECONDS:g} s) not met")
    if figures:
        print(f"goal duplicates: {figures.duplicates} (target = 0) {verdict[figures.duplicates == 0]}")
    else:
        print("goal duplicates: not measured (target = 0) not met")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--lateness-seconds", type=float, default=15)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one worker process
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return 0
    server = os.environ.get("PRESSROOM_BENCH_DATABASE_URL", DEFAULT_PG)
    reason = postgres_unavailable(server)
    if reason:
        shown = make_url(normalise_url(server)).render_as_string(hide_password=True)
        print(f"PostgreSQL is unavailable at {shown} ({reason}); nothing was measured.")
        goals(args, None)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="pressroom-bench-dispatch-"))
    try:
        with postgres_database(server) as url:
            figures = run(args, url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(args, figures)
    goals(args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: one press alert fanned out to thousands of journalists through the real
pipeline, by email and by WhatsApp, on PostgreSQL.

The pipeline is the one production runs: a release composed, submitted and approved with
the services (``releases.create_release`` / ``submit_release`` / ``approve_release``), so the
approval freezes the recipients and queues one outbox row per recipient; then the real
worker processes (``jobs.scheduler.run_worker``, 2 by default, the dispatch tick every
``DISPATCH_INTERVAL_SECONDS``, fixed here at 1 s) claim the rows, gate them (approval,
consent, unsubscribes), build each journalist's message, send it through the real channel
adapter and record the result. PostgreSQL at ``PRESSROOM_BENCH_DATABASE_URL`` (default the
local server); databases ``pressroom_bench_<pid>*`` are created and dropped. The
journalists (a person, an address or a number, consent for one channel, following the OPD)
are bulk-loaded with COPY and the database analysed, as a directory in use would be.

* Email: an alert to 5,000 journalists with email consent, about 3 KB a message (plain text
  and HTML, no photo), to the local aiosmtpd server with STARTTLS (``tests/fakes/smtp_server.py``;
  the adapter verifies its certificate through ``SMTP_CA_FILE``).
* WhatsApp: an alert to 2,000 journalists with WhatsApp consent, through the Cloud API
  adapter to the fake Cloud API (``tests/fakes/whatsapp_server.py``), which answers every
  request after 50 ms; ``WHATSAPP_RATE_PER_SECOND`` = 80.
* The two alerts go one after the other (each journalist has consent for one channel), so
  each channel's rate is its own: messages sent per second from the approval's commit to the
  last ``sent_at``. Each has at most 35 s (email) / 28 s (WhatsApp) of sending, so the run
  keeps to two minutes on 2 cores whatever the pipeline's speed: rows not claimed by then are
  cancelled and the rate is over what was sent (the output says so). The approval itself
  (freezing and queueing) is timed, duplicates are counted at the fakes, the busiest second
  at the WhatsApp fake is shown against the configured rate, and the workers' peak memory is
  read (``VmHWM``).
* The SMTP server's raw capacity, same run: a bare ``smtplib`` client in a process of its
  own pushing the first 1,000 messages the pipeline sent (the bytes the server received,
  same envelopes) over one reused STARTTLS connection, as fast as the server answers.
* The naive baseline, same run: a bare loop in a process of its own, a new connection,
  EHLO, STARTTLS, EHLO, the message and QUIT for each of a 500-message sample.
* Memory: the whole fan-out (approval, then the dispatcher in the same process,
  ``jobs.dispatch.dispatch_due`` tick after tick until nothing is left, to the sandbox that
  stands in for email) of an alert to 1,000 and to 10,000 journalists, each in a fresh
  process with a database of its own (a dispatcher claims whatever is due); growth = the
  peak resident memory at the end minus the process's own figure right after start-up
  (imports, ``create_app``, a first query). ``VmHWM``, not ``ru_maxrss``: a child's
  ``ru_maxrss`` starts at its parent's figure. Those databases commit without waiting for
  the disk (``synchronous_commit = off``: it changes no object in memory, only the time),
  and the two runs go on at the lowest CPU priority (``nice 19``) while the WhatsApp alert
  waits on its answers (``--memory-apart`` runs them at the end instead: a WhatsApp figure
  untouched by them, a run longer than two minutes); the email phase and the bare clients
  run alone.

The first line gives what a PostgreSQL commit costs on this machine (the dispatcher commits
twice per message) and the load average: other work on the machine shows in every figure.

Goals: email >= 0.3x the raw capacity and >= 1.2x the naive baseline; WhatsApp >= 0.9x the
configured rate; memory growth for 10,000 <= 2x the growth for 1,000 + 10 MB.

    python bench/fanout.py [--email 5000] [--whatsapp 2000] [--workers 2] [--raw 1000]
                           [--sample 500] [--latency 0.05] [--rate 80] [--memory 1000,10000]
                           [--email-seconds 35] [--whatsapp-seconds 28] [--memory-apart]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import pickle
import resource
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402
    DEFAULT_PG,
    WorkerProcesses,
    copy_rows,
    peak_rss_mb,
    postgres_database,
    postgres_unavailable,
)
from sqlalchemy import func, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pressroom import clock, create_app  # noqa: E402
from pressroom.db import make_engine, normalise_url  # noqa: E402
from pressroom.migrate import upgrade  # noqa: E402
from pressroom.models import (  # noqa: E402
    Consent,
    Delivery,
    Journalist,
    JournalistEmail,
    JournalistOpd,
    JournalistPhone,
)
from pressroom.services import opds, releases, users  # noqa: E402

TARGET_VS_RAW = 0.3
TARGET_VS_NAIVE = 1.2
TARGET_VS_RATE = 0.9
MEMORY_FACTOR, MEMORY_SLACK_MB = 2.0, 10.0
TICK_SECONDS = 1
#: Seconds of sending each alert gets at most (so the whole run stays within two minutes on
#: 2 cores whatever the pipeline's speed); rows not claimed by then are cancelled and the
#: rate is what was sent in that time.
EMAIL_LIMIT, WHATSAPP_LIMIT = 35.0, 28.0
#: After a time limit: how long the rows already claimed may take to finish.
LEASE_GRACE = 20.0
STOPPED = "bench: the phase's time limit stopped it"
#: How long a bare client or a memory run may take before the bench calls itself broken.
PHASE_TIMEOUT = 150.0
SENDER = "Humas Pemprov Jateng <humas@jatengprov.go.id>"
#: Staff addresses (the approval's notices go by email too; they are not the alert's).
STAFF_DOMAIN = "@pressroom.example.com"

HEADLINE = "Pemprov Jawa Tengah salurkan bantuan benih padi untuk 35 kabupaten/kota"
LEAD = "Semarang - Pemprov Jawa Tengah menyalurkan benih padi dan pupuk kepada kelompok tani."
#: With the lead, sources, contact block, links and headers: a message of about 3 KB.
BODY = ("Bantuan mencakup **1.250 ton benih padi** tahan wereng dan 4.800 ton pupuk organik, disalurkan "
        "bertahap lewat dinas pertanian kabupaten/kota mulai pekan depan.")
FIRST = "Ani Budi Citra Dewi Eko Fajar Gita Hadi Indah Joko Kartika Lukman Maya Nanda Oki Putri".split()
LAST = "Santoso Wibowo Lestari Pratama Kusuma Hidayat Rahayu Saputra Wijaya Nugroho Setiawan".split()


# Data -----------------------------------------------------------------------------------------
@dataclass
class Staff:
    opd_id: int
    editor_id: int
    head_id: int


def make_staff(app, codes: list[str]) -> dict[str, Staff]:
    """OPDs, through the services (each gets its logo, which the WhatsApp template shows when
    a release has no photo), and an editor and a head who belong to all of them."""
    session = app.extensions["db"].new_session()
    try:
        made = [opds.create_opd(session, None, app.extensions["storage"], code=code, name=f"Dinas Uji {code}",
                                short_name=code.title(), kind="dinas", primary_color="#1f4e79",
                                accent_color="#f2a900") for code in codes]
        people = []
        for role, level in (("editor", "staf"), ("approver", "kepala")):
            user = users.create_user(session, None, email=f"{role}{STAFF_DOMAIN}",
                                     full_name=f"Pengguna Uji {role}", password="bench-password-not-used",
                                     must_change_password=False)
            for opd in made:
                users.add_membership(session, user, user, opd=opd, role=role, level=level,
                                     position_title=f"Jabatan {role}")
            people.append(user.id)
        session.commit()
        return {opd.code: Staff(opd.id, *people) for opd in made}
    finally:
        session.close()


def seed_journalists(engine, opd_id: int, first_id: int, count: int, channel: str) -> None:
    """``count`` active journalists following the OPD, each with one address (email) or
    mobile number (WhatsApp) and consent given for that channel only."""
    now = clock.now()
    people, emails, phones, consents, links = [], [], [], [], []
    for n in range(first_id, first_id + count):
        name = f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]} {n}"
        people.append({"id": n, "full_name": name, "sort_name": name.lower(), "status": "active",
                       "province_wide": False, "preferred_channels": [], "created_at": now,
                       "updated_at": now})
        if channel == "email":
            emails.append({"journalist_id": n, "address": f"wartawan{n}@media{n % 97}.example",
                           "is_shared": False})
        else:
            phones.append({"journalist_id": n, "e164": f"+62812{n:08d}", "kind": "mobile",
                           "is_shared": False})
        consents.append({"journalist_id": n, "channel": channel, "state": "given", "given_at": now,
                         "method": "formulir", "basis": "formulir persetujuan (uji beban)",
                         "updated_at": now})
        links.append({"journalist_id": n, "opd_id": opd_id, "following": True, "subscribed": True,
                      "created_at": now, "updated_at": now})
    with engine.begin() as conn:
        for model, rows in ((Journalist, people), (JournalistEmail, emails), (JournalistPhone, phones),
                            (Consent, consents), (JournalistOpd, links)):
            copy_rows(conn, model.__tablename__, rows)
        conn.execute(text("SELECT setval(pg_get_serial_sequence('journalist', 'id'), "
                          "(SELECT max(id) FROM journalist))"))


def approve_alert(app, staff: Staff, channel: str, headline: str = HEADLINE) -> tuple[int, float, datetime]:
    """Compose, submit and approve a release to the OPD's followers on ``channel``; return its
    id, the seconds the approval took (freezing and queueing included) and when it committed."""
    from pressroom.models import User

    session = app.extensions["db"].new_session()
    try:
        editor, head = session.get(User, staff.editor_id), session.get(User, staff.head_id)
        data = releases.ReleaseInput(
            headline=headline, lead=LEAD, body=BODY, contact_name="Humas Distanbun",
            contact_phone="081234567890", contact_email="humas.distanbun@jatengprov.go.id",
            sources=[{"name": "Ir. Budi Santoso, M.Si.",
                      "position": "Kepala Dinas Pertanian dan Perkebunan"}],
            audience={"base": "followers", "channels": [channel]})
        release = releases.create_release(session, editor, staff.opd_id, data)
        releases.submit_release(session, editor, release)
        session.commit()
        started = time.perf_counter()
        releases.approve_release(session, head, release)
        session.commit()
        committed = clock.now()
        return release.id, time.perf_counter() - started, committed
    finally:
        session.close()


def press_rows(channel: str):
    """The alert's rows: each alert goes on its own channel, in a database where it is the only
    alert (the count does not go through ``press_recipient``: on tables the planner has no
    statistics for yet, that join is planned as a nested loop, seconds for 10,000 rows)."""
    return (Delivery.kind == "press") & (Delivery.channel == channel)


def release_states(engine, channel: str) -> Counter:
    with engine.connect() as conn:
        return Counter(dict(conn.execute(select(Delivery.status, func.count()).where(press_rows(channel))
                                         .group_by(Delivery.status)).all()))


def sent_times(engine, channel: str) -> list[datetime]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Delivery.sent_at).where(press_rows(channel),
                                                                Delivery.status == "sent")))


def cancel_due(engine, channel: str) -> int:
    """Take the alert's rows not yet claimed out of the queue (a phase's time is up)."""
    with engine.begin() as conn:
        return conn.execute(update(Delivery).where(press_rows(channel), Delivery.status == "due")
                            .values(status="cancelled", last_error=STOPPED)).rowcount


def wait_sent(engine, channel: str, expected: int, limit: float) -> tuple[int, int]:
    """Poll until none of the release's rows is due or claimed. After ``limit`` seconds, the
    rows not yet claimed are cancelled and those in flight finish. Return (sent, cancelled
    for the time limit); complain about anything else."""
    deadline = time.monotonic() + limit
    stopped = 0
    while True:
        states = release_states(engine, channel)
        if sum(states.values()) >= expected and not (states["due"] or states["claimed"]):
            break
        if not stopped and time.monotonic() > deadline:
            stopped = cancel_due(engine, channel) or -1
            deadline = time.monotonic() + LEASE_GRACE
        elif stopped and time.monotonic() > deadline:
            break
        time.sleep(0.1)
    stopped = max(stopped, 0)
    if states["sent"] + stopped != expected or states["sent"] == 0:
        raise SystemExit(f"{channel}: {states['sent']} of {expected} sent ({dict(states)}); "
                         "the bench is broken")
    return states["sent"], stopped


# Phases ---------------------------------------------------------------------------------------
@dataclass
class Phase:
    """One alert sent through the pipeline."""

    channel: str
    recipients: int
    sent: int  # fewer than recipients when the phase's time limit stopped it
    approval_seconds: float
    seconds: float  # approval's commit → last sent_at
    first_after: float  # approval's commit → first sent_at
    busiest_second: int  # most messages sent within one second
    received: int  # at the fake
    duplicates: int
    bytes_each: float = 0.0
    worker_rss_mb: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds


def busiest_second(moments: list[datetime]) -> int:
    stamps = sorted(m.timestamp() for m in moments)
    return max((bisect_left(stamps, m + 1.0) - i for i, m in enumerate(stamps)), default=0)


def send_phase(app, engine, staff: Staff, channel: str, count: int, limit: float, received) -> Phase:
    """Approve an alert to ``count`` journalists on ``channel`` while the workers run; time it
    from the approval's commit to the last ``sent_at`` (at most ``limit`` seconds of sending)."""
    _release_id, approval, committed = approve_alert(app, staff, channel)
    sent, _stopped = wait_sent(engine, channel, count, limit)
    times = sent_times(engine, channel)
    got = received()
    return Phase(channel, count, sent, approval, (max(times) - committed).total_seconds(),
                 (min(times) - committed).total_seconds(), busiest_second(times), len(got),
                 len(got) - len(set(got)))


# Bare SMTP clients ------------------------------------------------------------------------------
def smtp_client_main(spec_json: str) -> None:
    """A process of its own: push messages from a pickle file to the SMTP server, over one
    reused connection (``reuse``) or a new connection with STARTTLS each (``naive``); print
    the seconds it took as JSON."""
    spec = json.loads(spec_json)
    with open(spec["file"], "rb") as handle:
        messages = pickle.load(handle)
    messages = [messages[i % len(messages)] for i in range(spec["count"])]
    context = ssl.create_default_context(cafile=spec["ca"])
    host, port = spec["host"], spec["port"]
    started = time.perf_counter()
    if spec["mode"] == "reuse":
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.starttls(context=context)
            smtp.ehlo()
            for mail_from, rcpt, raw in messages:
                smtp.sendmail(mail_from, [rcpt], raw)
    else:
        for mail_from, rcpt, raw in messages:
            with smtplib.SMTP(host, port, timeout=10) as smtp:
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
                smtp.sendmail(mail_from, [rcpt], raw)
    print(json.dumps({"seconds": time.perf_counter() - started, "count": len(messages)}), flush=True)


def bare_client(mode: str, count: int, smtp, message_file: Path) -> float:
    """Run a bare client process; return messages per second (checked at the server)."""
    with smtp._lock:
        smtp.messages.clear()
    spec = {"mode": mode, "count": count, "file": str(message_file), "host": smtp.host, "port": smtp.port,
            "ca": str(smtp.cert_file)}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--smtp-client", json.dumps(spec)],
                          cwd=ROOT, capture_output=True, text=True, timeout=PHASE_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"the bare SMTP client ({mode}) failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if len(smtp.messages) != count:
        raise SystemExit(f"the bare SMTP client ({mode}) sent {count} but the server took "
                         f"{len(smtp.messages)}; the bench is broken")
    return count / result["seconds"]


# Memory -----------------------------------------------------------------------------------------
def memory_main(spec_json: str) -> None:
    """A fresh process: the whole fan-out of one alert (approval, then dispatch ticks until
    every row is sent) to the sandbox standing in for email; print its peak memory as JSON."""
    from jobs import dispatch

    spec = json.loads(spec_json)
    # The lowest CPU priority: it runs while WhatsApp waits on its answers and takes only the
    # time the measured phases leave (memory, not speed, is what it measures).
    os.nice(19)
    app = create_app(spec["config"])
    engine = app.extensions["db"].engine
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    gc.collect()
    start_mb = peak_mb()
    sys.stdin.readline()  # started early: the bench says when to go
    staff = Staff(**spec["staff"])
    _release_id, approval, _committed = approve_alert(app, staff, "email")
    after_approval_mb = peak_mb()
    started = time.perf_counter()
    deadline = time.monotonic() + PHASE_TIMEOUT
    while time.monotonic() < deadline:
        dispatch.dispatch_due(app, owner=f"memory-{os.getpid()}")
        states = release_states(engine, "email")
        if not (states["due"] or states["claimed"]):
            break
    sending = time.perf_counter() - started
    print(json.dumps({"count": spec["count"], "sent": release_states(engine, "email")["sent"],
                      "start_mb": start_mb, "after_approval_mb": after_approval_mb, "peak_mb": peak_mb(),
                      "approval_seconds": approval, "sending_seconds": sending}), flush=True)


def peak_mb() -> float:
    """This process's peak resident memory so far. ``VmHWM`` where Linux has it: the
    ``ru_maxrss`` of a process started by another carries the parent's figure over ``fork`` and
    ``exec``, so it would start at the bench's own size."""
    found = peak_rss_mb("self")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class MemoryRun:
    count: int
    start_mb: float
    after_approval_mb: float
    peak_mb: float
    approval_seconds: float
    sending_seconds: float

    @property
    def growth(self) -> float:
        return self.peak_mb - self.start_mb


class MemoryRunning:
    """A memory run in its own process: started now (its start-up overlaps other work), it
    measures its start-up figure and waits for ``go()``; ``result()`` reads what it found."""

    def __init__(self, url: str, workdir: Path, staff: Staff, count: int):
        self.count, self.sandbox = count, workdir / f"sandbox-{count}"
        config = {"DATABASE_URL": url, "STORAGE_PATH": str(workdir / "storage"),
                  "INSTANCE_PATH": str(workdir / "instance"), "SANDBOX_PATH": str(self.sandbox),
                  "DISPATCH_INTERVAL_SECONDS": TICK_SECONDS}
        spec = {"config": config, "staff": staff.__dict__, "count": count}
        self.log = workdir / f"memory-{count}.log"
        with self.log.open("w") as errors:
            self.proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--memory-run", json.dumps(spec)],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self) -> MemoryRun:
        try:
            out, _ = self.proc.communicate(timeout=PHASE_TIMEOUT + 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise SystemExit(f"the memory run for {self.count:,} took too long; "
                             "the bench is broken") from None
        if self.proc.returncode != 0:
            raise SystemExit(f"the memory run for {self.count:,} failed:\n{self.log.read_text()[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        if result["sent"] != self.count:
            raise SystemExit(f"the memory run for {self.count:,} sent {result['sent']}; the bench is broken")
        shutil.rmtree(self.sandbox, ignore_errors=True)
        return MemoryRun(self.count, result["start_mb"], result["after_approval_mb"], result["peak_mb"],
                         result["approval_seconds"], result["sending_seconds"])


# Workers ----------------------------------------------------------------------------------------
def worker_main(config_json: str) -> None:
    """A worker process: the real scheduler, with its dispatch tick."""
    from jobs.scheduler import run_worker

    run_worker(create_app(json.loads(config_json)))


# Main -------------------------------------------------------------------------------------------
@dataclass
class Figures:
    workers: int
    email: Phase
    whatsapp: Phase
    raw: float
    naive: float
    memory: list[MemoryRun]


def run(args, server: str, url: str, workdir: Path) -> Figures:
    from tests.fakes.smtp_server import FakeSMTPServer, make_certificate
    from tests.fakes.whatsapp_server import FakeWhatsAppCloud

    started = time.perf_counter()
    upgrade(url)
    sizes = sorted({int(n) for n in args.memory.split(",") if n.strip()})
    make_certificate(workdir)
    with contextlib.ExitStack() as stack:
        # Each memory run has a database of its own (a copy of the migrated one): a dispatcher
        # claims whatever is due, and it must send its own alert only.
        memory_urls = {n: stack.enter_context(postgres_database(
            server, f"_memory{n}", template=make_url(url).database)) for n in sizes}
        memory_staff = {n: seed_database(memory_urls[n], workdir, [("DISTANBUN", n, "email")])["DISTANBUN"]
                        for n in sizes}
        for memory_url in memory_urls.values():
            # Memory only: a commit there need not wait for the disk (it changes no object held).
            name = make_url(memory_url).database
            with disposing(make_engine(normalise_url(url))) as admin, \
                    admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        smtp = stack.enter_context(FakeSMTPServer(workdir))
        cloud = stack.enter_context(FakeWhatsAppCloud(latency=args.latency))
        config = {"DATABASE_URL": url, "STORAGE_PATH": str(workdir / "storage"),
                  "INSTANCE_PATH": str(workdir / "instance"), "DISPATCH_INTERVAL_SECONDS": TICK_SECONDS,
                  "SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port, "SMTP_SECURITY": "starttls",
                  "SMTP_CA_FILE": str(smtp.cert_file), "MAIL_SENDER": SENDER,
                  "WHATSAPP_PROVIDER": "cloud", "WHATSAPP_API_BASE": cloud.base_url,
                  "WHATSAPP_API_VERSION": cloud.version, "WHATSAPP_PHONE_NUMBER_ID": cloud.phone_number_id,
                  "WHATSAPP_ACCESS_TOKEN": cloud.access_token, "WHATSAPP_RATE_PER_SECOND": args.rate}
        workers = WorkerProcesses(Path(__file__), config, workdir)
        stack.callback(workers.stop)
        workers.grow_to(args.workers, wait=False)  # they start while the data is seeded
        memory = [MemoryRunning(memory_urls[n], workdir, memory_staff[n], n) for n in sizes]
        stack.callback(lambda: [m.proc.kill() for m in memory if m.proc.poll() is None])
        staff = seed_database(url, workdir, [("DISTANBUN", args.email, "email"),
                                             ("DISKOMINFO", args.whatsapp, "whatsapp")])
        seeded = args.email + args.whatsapp + sum(sizes)
        print(f"Seeded {seeded:,} journalists in {time.perf_counter() - started:.1f}s; {args.workers} worker "
              f"process(es), a tick every {TICK_SECONDS} s; the fake Cloud API answers in "
              f"{args.latency * 1000:g} ms, WHATSAPP_RATE_PER_SECOND={args.rate:g}. A PostgreSQL commit "
              f"takes {commit_ms(url):.1f} ms here; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores.", flush=True)
        engine = stack.enter_context(disposing(make_engine(normalise_url(url))))
        app = create_app(config)
        stack.callback(app.extensions["db"].dispose)

        def press_mails() -> list[str]:
            with smtp._lock:
                return [m.rcpt_tos[0] for m in smtp.messages if not m.rcpt_tos[0].endswith(STAFF_DOMAIN)]

        def whatsapp_messages() -> list[str]:
            with cloud._lock:
                return [body.get("to") for body in cloud.accepted.values()]

        try:
            workers.wait_started()
            email = send_phase(app, engine, staff["DISTANBUN"], "email", args.email, args.email_seconds,
                               press_mails)
            email.worker_rss_mb = workers.peak_rss_mb()
            with smtp._lock:
                sent_mail = [(m.mail_from, m.rcpt_tos[0], m.raw) for m in smtp.messages
                             if not m.rcpt_tos[0].endswith(STAFF_DOMAIN)]
                smtp.messages.clear()  # the server keeps every message it takes, parsed
            email.bytes_each = sum(len(raw) for _f, _t, raw in sent_mail) / len(sent_mail)
            print(f"  email: {email.sent:,} in {email.seconds:.1f}s", flush=True)
            if not args.memory_apart:  # they go on while WhatsApp waits on its answers
                for running in memory:
                    running.go()
            whatsapp = send_phase(app, engine, staff["DISKOMINFO"], "whatsapp", args.whatsapp,
                                  args.whatsapp_seconds, whatsapp_messages)
            whatsapp.worker_rss_mb = workers.peak_rss_mb()
            print(f"  whatsapp: {whatsapp.sent:,} in {whatsapp.seconds:.1f}s", flush=True)
        finally:
            troubles = workers.stop()
        for line in troubles[:5]:
            print(f"  worker log: {line}", flush=True)
        memory_runs = [] if args.memory_apart else [m.result() for m in memory]

        message_file = workdir / "messages.pickle"
        with message_file.open("wb") as handle:
            pickle.dump(sent_mail[:args.raw], handle)
        del sent_mail
        raw = bare_client("reuse", args.raw, smtp, message_file)
        print(f"  raw capacity: {args.raw:,} in {args.raw / raw:.1f}s", flush=True)
        naive = bare_client("naive", args.sample, smtp, message_file)
        print(f"  naive baseline: {args.sample:,} in {args.sample / naive:.1f}s", flush=True)
        if args.memory_apart:
            for running in memory:
                running.go()
            memory_runs = [m.result() for m in memory]
        for m in memory_runs:
            print(f"  memory: {m.count:,} recipients, {m.growth:.1f} MB growth", flush=True)
    print(f"Finished in {time.perf_counter() - started:.1f}s; load average {os.getloadavg()[0]:.1f}.\n",
          flush=True)
    return Figures(args.workers, email, whatsapp, raw, naive, memory_runs)


def commit_ms(url: str, count: int = 50) -> float:
    """Milliseconds one small autocommitted UPDATE takes on this server (mostly the WAL flush
    to disk): the dispatcher commits twice per message."""
    with disposing(make_engine(normalise_url(url))) as engine, \
            engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE TABLE bench_commit_probe (id int PRIMARY KEY, n int NOT NULL)"))
        conn.execute(text("INSERT INTO bench_commit_probe VALUES (1, 0)"))
        started = time.perf_counter()
        for _ in range(count):
            conn.execute(text("UPDATE bench_commit_probe SET n = n + 1 WHERE id = 1"))
        took = (time.perf_counter() - started) / count * 1000
        conn.execute(text("DROP TABLE bench_commit_probe"))
    return took


@contextlib.contextmanager
def disposing(engine):
    try:
        yield engine
    finally:
        engine.dispose()


def seed_database(url: str, workdir: Path, plan: list[tuple[str, int, str]]) -> dict[str, Staff]:
    """OPDs with their staff, and for each ``count`` journalists on ``channel`` following it."""
    app = create_app({"DATABASE_URL": url, "STORAGE_PATH": str(workdir / "storage"),
                      "INSTANCE_PATH": str(workdir / "instance")})
    try:
        staff = make_staff(app, [code for code, _count, _channel in plan])
        next_id = 1
        for code, count, channel in plan:
            seed_journalists(app.extensions["db"].engine, staff[code].opd_id, next_id, count, channel)
            next_id += count
        with app.extensions["db"].engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # a directory in use has its statistics
        return staff
    finally:
        app.extensions["db"].dispose()


def report(args, f: Figures) -> None:
    processes = f"{f.workers} worker process{'es' if f.workers > 1 else ''}"
    print(f"{'run':<66} {'messages':>8} {'seconds':>8} {'per second':>11}")
    rows = [
        ("SMTP raw capacity: bare smtplib, one reused STARTTLS connection", args.raw, f.raw),
        ("naive baseline: bare loop, new connection + STARTTLS each", args.sample, f.naive),
        (f"email through the pipeline: {processes}", f.email.sent, f.email.rate),
        (f"WhatsApp through the pipeline: {processes}", f.whatsapp.sent, f.whatsapp.rate),
    ]
    for label, count, rate in rows:
        print(f"{label:<66} {count:>8,} {count / rate:>8.1f} {rate:>11.1f}")
    for phase, limit in ((f.email, args.email_seconds), (f.whatsapp, args.whatsapp_seconds)):
        if phase.sent < phase.recipients:
            print(f"{phase.channel}: stopped at its {limit:g} s limit, {phase.sent:,} of "
                  f"{phase.recipients:,} sent (the rest cancelled); the rate is over what was sent")
    print(f"email: {f.email.bytes_each / 1024:.1f} KB a message; {f.email.rate / f.raw:.2f}x the raw "
          f"capacity, {f.email.rate / f.naive:.2f}x the naive baseline")
    print(f"WhatsApp: {f.whatsapp.rate / args.rate:.2f}x the configured {args.rate:g}/s; most sent within "
          f"one second (by sent_at): {f.whatsapp.busiest_second}")
    for phase in (f.email, f.whatsapp):
        rss = ", ".join(f"{mb:.0f}" for mb in phase.worker_rss_mb) or "n/a"
        print(f"{phase.channel}: approval (freezing and queueing {phase.recipients:,}) "
              f"{phase.approval_seconds:.1f} s, first sent {phase.first_after:.1f} s after its commit; "
              f"{phase.received:,} messages at the fake, {phase.duplicates} sent twice; workers' peak "
              f"memory so far {rss} MB")
    for m in f.memory:
        print(f"memory, {m.count:>6,} recipients, own process: start-up {m.start_mb:.1f} MB, after approval "
              f"{m.after_approval_mb:.1f} MB ({m.approval_seconds:.1f} s), peak {m.peak_mb:.1f} MB after "
              f"sending ({m.sending_seconds:.1f} s): growth {m.growth:.1f} MB")


def goals(args, f: Figures | None) -> None:
    """One line per goal; a goal not measured is not met."""
    verdict = {True: "met", False: "not met"}
    lines = []
    if f:
        vs_raw, vs_naive = f.email.rate / f.raw, f.email.rate / f.naive
        vs_rate = f.whatsapp.rate / args.rate
        lines += [f"goal email_vs_raw_capacity: {vs_raw:.2f}x (target >= {TARGET_VS_RAW:g}x) "
                  f"{verdict[vs_raw >= TARGET_VS_RAW]}",
                  f"goal email_vs_naive_baseline: {vs_naive:.2f}x (target >= {TARGET_VS_NAIVE:g}x) "
                  f"{verdict[vs_naive >= TARGET_VS_NAIVE]}",
                  f"goal whatsapp_vs_configured_rate: {vs_rate:.2f}x (target >= {TARGET_VS_RATE:g}x) "
                  f"{verdict[vs_rate >= TARGET_VS_RATE]}"]
    else:
        lines += [f"goal email_vs_raw_capacity: not measured (target >= {TARGET_VS_RAW:g}x) not met",
                  f"goal email_vs_naive_baseline: not measured (target >= {TARGET_VS_NAIVE:g}x) not met",
                  f"goal whatsapp_vs_configured_rate: not measured (target >= {TARGET_VS_RATE:g}x) not met"]
    runs = {m.count: m for m in f.memory} if f else {}
    small, large = min(runs, default=None), max(runs, default=None)
    name = f"memory_growth_{large or 10000}_vs_{small or 1000}"
    if small is not None and large != small:
        limit = MEMORY_FACTOR * runs[small].growth + MEMORY_SLACK_MB
        grown = runs[large].growth
        lines.append(f"goal {name}: {grown:.1f} MB (target <= {limit:.1f} MB) {verdict[grown <= limit]}")
    else:
        lines.append(f"goal {name}: not measured (target <= {MEMORY_FACTOR:g}x + {MEMORY_SLACK_MB:g} MB) "
                     "not met")
    for line in lines:
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--email", type=int, default=5000)
    parser.add_argument("--whatsapp", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--raw", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=80)
    parser.add_argument("--memory", default="1000,10000")
    parser.add_argument("--email-seconds", type=float, default=EMAIL_LIMIT)
    parser.add_argument("--whatsapp-seconds", type=float, default=WHATSAPP_LIMIT)
    parser.add_argument("--memory-apart", action="store_true",
                        help="run the memory runs at the end, not during the WhatsApp phase")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one worker process
    parser.add_argument("--smtp-client", help=argparse.SUPPRESS)  # internal: a bare SMTP client
    parser.add_argument("--memory-run", help=argparse.SUPPRESS)  # internal: one memory run
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return 0
    if args.smtp_client:
        smtp_client_main(args.smtp_client)
        return 0
    if args.memory_run:
        memory_main(args.memory_run)
        return 0
    server = os.environ.get("PRESSROOM_BENCH_DATABASE_URL", DEFAULT_PG)
    reason = postgres_unavailable(server)
    if reason:
        shown = make_url(normalise_url(server)).render_as_string(hide_password=True)
        print(f"PostgreSQL is unavailable at {shown} ({reason}); nothing was measured.")
        goals(args, None)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="pressroom-bench-fanout-"))
    try:
        with postgres_database(server) as url:
            figures = run(args, server, url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(args, figures)
    goals(args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

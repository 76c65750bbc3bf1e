"""Benchmark: Lapor Gub's public statistics page against the login page, over real HTTP.

Seeds 100,000 reports over 40 OPDs, 10 categories, the 35 kabupaten/kota and the last 24
months (realistic shares: most reports answered within a day, a long tail of slow ones,
some never answered yet; resolved, closed, rejected, merged, handed off…) with SQLAlchemy
Core bulk inserts (COPY on PostgreSQL). The rollups are then computed in bulk from the same
rows with ``services.complaints._contribution`` — the very function the workflow uses to keep
them in step — summed in Python and bulk-inserted (``rebuild_rollups`` would do the same
report by report, ~800,000 statements). Serves the app on loopback, warms up, and times GETs
of

* ``/lapor/statistik`` — province-wide, all-time: the page a citizen opens, and
* ``/login`` — the app's normal page, as a first-time visitor gets it: the baseline,

interleaved on their own keep-alive connections. Between two requests the bench changes
reports through the service functions (a verifier verifies a waiting report; an officer
answers and resolves one), commits, and after each statistics GET compares the page's
figures (received, resolved, first responses, within 24 hours) with a direct count over the
report table: a mismatch stops the bench with an error. At the end it also checks the
median first response and the per-OPD received counts against the reports, and times
building one month's statistics dataset for the data centre.

Goal: statistics p95 <= 10 x login p95, on SQLite (a temp file) and on PostgreSQL
(``PRESSROOM_BENCH_DATABASE_URL``, default the local server; a database
``pressroom_bench_<pid>`` is created and dropped).

    python bench/complaints.py [--reports 100000] [--requests 100] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import (  # noqa: E402
    DEFAULT_PG,
    Client,
    percentile,
    postgres_database,
    postgres_unavailable,
    serving,
)
from sqlalchemy import case, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from pressroom import clock, create_app  # noqa: E402
from pressroom.db import make_engine, normalise_url  # noqa: E402
from pressroom.migrate import upgrade  # noqa: E402
from pressroom.models import Complaint, ComplaintCategory, ComplaintRollup, Opd, Region, User  # noqa: E402
from pressroom.services import complaint_stats, complaints, users  # noqa: E402

TARGET_RATIO = 10.0
OPD_COUNT, CATEGORY_COUNT, MONTHS = 40, 10, 24
BATCH = 5000
STATS_PATH = "/lapor/statistik"
#: Internal states and their shares; which of them have reached an OPD and a first response.
STATES = (("received", 4), ("verified", 4), ("dispositioned", 8), ("in_progress", 14), ("answered", 12),
          ("resolved", 14), ("closed", 30), ("rejected", 7), ("duplicate", 3), ("handed_off", 4))
AT_AN_OPD = {"dispositioned", "in_progress", "answered", "resolved", "closed"}
RESOLVED = ("resolved", "closed")
FIGURE_RE = re.compile(r'<data id="stat-([a-z0-9-]+)" value="([^"]*)"')
OPD_ROW_RE = re.compile(r'<th scope="row">([^<]+)</th>\s*<td class="num" data-label="[^"]*">'
                        r'<data value="(\d+)">')


# Data -----------------------------------------------------------------------------------------
@dataclass
class Data:
    tables: dict[str, list[dict]]
    rollups: list[dict] | None = None

    @property
    def reports(self) -> int:
        return len(self.tables["complaint"])


def _first_response_delay(rng: random.Random) -> timedelta:
    """Most within a working day, a quarter within five days, a long tail up to six weeks."""
    roll = rng.random()
    if roll < 0.62:
        hours = rng.expovariate(1 / 6)
        hours = min(hours, 23.9)
    elif roll < 0.88:
        hours = rng.uniform(24.1, 120)
    else:
        hours = rng.uniform(120, 1000)
    return timedelta(hours=hours)


def generate(count: int, region_codes: list[str]) -> Data:
    """Rows for every table (explicit ids), deterministic."""
    rng = random.Random(2026)
    now = clock.now().replace(microsecond=0)
    start = now - timedelta(days=30 * MONTHS)
    span = (now - timedelta(hours=2) - start).total_seconds()
    opds = [{"id": i, "code": f"BENCH{i:02d}", "name": f"Dinas Uji Beban {i:02d}",
             "short_name": f"Uji {i:02d}", "kind": "dinas", "primary_color": "#1f4e79",
             "accent_color": "#f2a900", "logo_key": None, "is_active": True, "approval_steps": 1,
             "created_at": now} for i in range(1, OPD_COUNT + 1)]
    categories = [{"id": i, "code": f"kategori-{i:02d}", "name": f"Kategori Uji {i:02d}", "name_en": "",
                   "description": "", "default_opd_id": i, "is_active": True}
                  for i in range(1, CATEGORY_COUNT + 1)]
    opd_weights = [1 / (rank + 1) ** 0.7 for rank in range(OPD_COUNT)]  # a few OPDs get most reports
    category_weights = [1 / (rank + 1) ** 0.5 for rank in range(CATEGORY_COUNT)]
    state_names, state_weights = zip(*STATES, strict=True)
    # Cumulative weights once, not per report (random.choices would add them up on every call).
    state_cum, opd_cum = list(accumulate(state_weights)), list(accumulate(opd_weights))
    category_cum = list(accumulate(category_weights))
    opd_ids, category_ids = range(1, OPD_COUNT + 1), range(1, CATEGORY_COUNT + 1)
    rows = []
    # Ids in order of receipt, as a live system hands them out.
    offsets = sorted(rng.random() * span for _ in range(count))
    for i, offset in enumerate(offsets, start=1):
        received = start + timedelta(seconds=offset)
        state = rng.choices(state_names, cum_weights=state_cum)[0]
        responded = state != "received"
        first = received + _first_response_delay(rng) if responded else None
        if first is not None and first > now:
            first = now
        later = first + timedelta(hours=rng.uniform(1, 200)) if first else None
        if later is not None and later > now:
            later = now
        category = rng.choices(category_ids, cum_weights=category_cum)[0]
        # Every NOT NULL column; the nullable ones that no bench report fills are left NULL.
        rows.append({
            "id": i, "tracking_id": f"LG-BENCH-{i:06d}", "pin_hash": "0" * 64, "type": "pengaduan",
            "category_id": category, "description": "Laporan uji beban (bench).",
            "region_code": rng.choice(region_codes), "kecamatan": "", "address": "", "reporter_name": "",
            "anonymous": True, "confidential": False, "urgent": False, "source": "import", "state": state,
            "opd_id": (rng.choices(opd_ids, cum_weights=opd_cum)[0]
                       if state in AT_AN_OPD else None),
            "received_at": received, "clock_start_at": received, "first_response_at": first,
            "forwarded_at": first if state in AT_AN_OPD else None,
            "answered_at": later if state in ("answered", "resolved", "closed") else None,
            "resolved_at": later if state in RESOLVED else None,
            "closed_at": later if state in ("closed", "rejected", "duplicate", "handed_off") else None,
            "reopened_count": 0, "extended": False, "reminders": {},
            "created_at": received, "updated_at": later or first or received})
    return Data({"opd": opds, "complaint_category": categories, "complaint": rows})


def rollup_rows(reports: list[dict]) -> list[dict]:
    """The rollups of ``reports``, summed from each report's contribution as the workflow computes it."""
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, defaultdict(int)])
    for row in reports:
        part = complaints._contribution(SimpleNamespace(**row))
        for dimension, key in part.keys:
            acc = sums[(part.month, dimension, key)]
            acc[0] += 1
            acc[1] += part.resolved
            acc[2] += part.responded
            acc[3] += part.within_24h
            if part.hours is not None:
                acc[4][str(part.hours)] += 1
    return [{"id": n, "month": month, "dimension": dimension, "key": key, "received": a[0], "resolved": a[1],
             "responded": a[2], "responded_24h": a[3], "response_hours": dict(a[4])}
            for n, ((month, dimension, key), a) in enumerate(sorted(sums.items()), start=1)]


def _sqlite_datetime(value: datetime) -> str:
    """As SQLAlchemy stores a UTC datetime on SQLite: naive "YYYY-MM-DD HH:MM:SS.ffffff" (the
    generated values are all in UTC, so the offset is cut off)."""
    return value.isoformat(sep=" ", timespec="microseconds")[:26]


def _sqlite_converters(rows: list[dict], columns: list[str]) -> list:
    """Per column, how a value is stored on SQLite (None: as it is), from the column's values."""
    converters = []
    for column in columns:
        sample = next((row[column] for row in rows if row[column] is not None), None)
        if isinstance(sample, datetime):
            assert sample.utcoffset() == timedelta(0), "generated datetimes are in UTC"
            converters.append(_sqlite_datetime)
        elif isinstance(sample, date):
            converters.append(date.isoformat)
        elif isinstance(sample, dict | list):
            converters.append(json.dumps)
        else:
            converters.append(None)
    return converters


def _copy_converter(rows: list[dict], column: str):
    """How a column's values are written in COPY's text format (the bench's own values hold no
    tab, newline or backslash)."""
    sample = next(row[column] for row in rows if row[column] is not None)
    if isinstance(sample, bool):
        return lambda value: "t" if value else "f"
    if isinstance(sample, date | datetime):
        return lambda value: value.isoformat()
    if isinstance(sample, dict | list):
        return json.dumps
    return str


def _bulk_insert(conn, table, rows: list[dict]) -> None:
    """Load rows into a table as migrated, the values stored exactly as the app's types store
    them (columns that are NULL in every row are left to default to NULL). PostgreSQL: COPY on
    the same connection and transaction; SQLite: the driver's executemany (SQLAlchemy's
    per-value type processing would cost most of the two minutes)."""
    columns = [c for c in rows[0] if any(row[c] is not None for row in rows)]
    if conn.dialect.name == "postgresql":
        pairs = [(c, _copy_converter(rows, c)) for c in columns]
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
                for start in range(0, len(rows), BATCH):
                    copy.write("".join([
                        "\t".join([r"\N" if (v := row[c]) is None else to(v) for c, to in pairs]) + "\n"
                        for row in rows[start:start + BATCH]]))
        return
    converters = list(zip(columns, _sqlite_converters(rows, columns), strict=True))
    plain = [c for c, convert in converters if convert is None]
    converted = [(c, convert) for c, convert in converters if convert is not None]
    order = plain + [c for c, _convert in converted]
    statement = f'INSERT INTO "{table.name}" ({", ".join(order)}) VALUES ({", ".join("?" * len(order))})'
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute("PRAGMA cache_size = -262144")  # 256 MB for this load: the indexes stay in memory
    for start in range(0, len(rows), BATCH):
        cursor.executemany(statement, [
            [row[c] for c in plain] + [None if row[c] is None else to(row[c]) for c, to in converted]
            for row in rows[start:start + BATCH]])
    cursor.close()


def seed(url: str, data: Data) -> tuple[int, float]:
    """Load the reports and their rollups; add a verifier, an officer and a statistics editor
    through the services. Returns the number of rollup rows and the seconds spent on them."""
    engine = make_engine(normalise_url(url))
    with engine.begin() as conn:
        for model in (Opd, ComplaintCategory, Complaint):
            _bulk_insert(conn, model.__table__, data.tables[model.__tablename__])
        started = time.perf_counter()
        if data.rollups is None:  # the same for every backend: computed once
            data.rollups = rollup_rows(data.tables["complaint"])
        rollups = data.rollups
        _bulk_insert(conn, ComplaintRollup.__table__, rollups)
        rollup_seconds = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            for table in ("opd", "complaint_category", "complaint", "complaint_rollup"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does within a minute on a live server
    else:
        from jobs.ticks import optimize_sqlite_engine

        optimize_sqlite_engine(engine)  # what the worker's maintenance tick does on a live server
    with Session(engine) as session:
        first = session.get(Opd, 1)
        for email, role in (("verifikator@bench.example", "verifier"), ("petugas@bench.example", "officer"),
                            ("editor@bench.example", "editor")):
            person = users.create_user(session, None, email=email, full_name=f"Uji Beban {role}",
                                       password="bench-password-2026", must_change_password=False)
            users.add_membership(session, person, person, opd=first, role=role, position_title=role,
                                 level="staf")
        session.commit()
    engine.dispose()
    return len(rollups), rollup_seconds


def region_codes_of(url: str) -> list[str]:
    engine = make_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(Region.code).order_by(Region.code)))
    finally:
        engine.dispose()


# Checking the page against the reports ------------------------------------------------------------
def direct_counts(session: Session) -> dict[str, int]:
    """One pass over the report table: what the page's headline must say."""
    table = Complaint.__table__.c
    if session.get_bind().dialect.name == "postgresql":
        within = table.first_response_at - table.received_at <= text("interval '24 hours'")
    else:  # stored as naive UTC text: compare as Julian days (1e-9 day = 86 µs of float slack)
        within = (func.julianday(table.first_response_at) - func.julianday(table.received_at)) <= 1 + 1e-9
    row = session.execute(select(
        func.count(),
        func.sum(case((table.state.in_(RESOLVED), 1), else_=0)),
        func.count(table.first_response_at),
        func.sum(case((table.first_response_at.is_not(None) & within, 1), else_=0)),
    )).one()
    return {"received": row[0], "resolved": row[1] or 0, "responded": row[2], "within-24h": row[3] or 0}


def page_figures(body: bytes) -> dict[str, str]:
    return dict(FIGURE_RE.findall(body.decode()))


def check(body: bytes, expected: dict[str, int], where: str) -> None:
    shown = page_figures(body)
    wrong = {k: (shown.get(k), v) for k, v in expected.items() if shown.get(k) != str(v)}
    if wrong:
        raise SystemExit(f"MISMATCH after {where}: the page says {{figure: (page, direct count)}} {wrong}")


def final_checks(session: Session, body: bytes) -> None:
    """The median first response and the per-OPD received counts, against the reports."""
    table = Complaint.__table__.c
    hours = sorted(min(720, int((first - received).total_seconds() // 3600))
                   for received, first in session.execute(
                       select(Complaint.received_at, Complaint.first_response_at)
                       .where(table.first_response_at.is_not(None))))
    median = hours[(len(hours) + 1) // 2 - 1]
    if page_figures(body).get("median-hours") != str(median):
        shown = page_figures(body).get("median-hours")
        raise SystemExit(f"MISMATCH: median first response on the page {shown} h, from the reports "
                         f"{median} h")
    names = {opd_id: name for opd_id, name in session.execute(select(Opd.id, Opd.name))}
    counted = {names[opd]: n for opd, n in session.execute(
        select(table.opd_id, func.count()).where(table.opd_id.is_not(None)).group_by(table.opd_id))}
    html = body.decode()
    start = html.index('id="stat-opd-table"')
    shown = {name: int(n) for name, n in OPD_ROW_RE.findall(html[start:html.index("</table>", start)])}
    shown = {k: v for k, v in shown.items() if k in names.values()}
    if shown != counted:
        raise SystemExit(f"MISMATCH in the per-OPD table: {set(shown.items()) ^ set(counted.items())}")


# Changing reports between requests ------------------------------------------------------------------
class Changer:
    """Moves reports through the real service functions, a few per request."""

    def __init__(self, session: Session, config, rng: random.Random):
        self.session, self.config, self.rng = session, config, rng
        self.verifier = session.scalar(select(User).where(User.email == "verifikator@bench.example"))
        self.officer = session.scalar(select(User).where(User.email == "petugas@bench.example"))
        self.changed = 0

    def _pick(self, states: tuple[str, ...]) -> Complaint | None:
        ids = self.session.scalars(select(Complaint.id).where(Complaint.state.in_(states))
                                   .order_by(Complaint.id.desc()).limit(200)).all()
        return self.session.get(Complaint, self.rng.choice(ids)) if ids else None

    def step(self) -> None:
        waiting = self._pick(("received",))
        if waiting is not None:
            complaints.verify(self.session, self.verifier, waiting, config=self.config)
            self.changed += 1
        open_one = self._pick(("dispositioned", "in_progress", "answered"))
        if open_one is not None:
            complaints.answer(self.session, self.officer, open_one, "Sudah ditindaklanjuti (bench).",
                              config=self.config, resolved=True)
            self.changed += 1
        self.session.commit()


def timed_get(client: Client, path: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    status, _headers, body = client.request("GET", path)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"GET {path} gave HTTP {status}, not 200: the benchmark cannot measure it")
    return elapsed, body


def measure(app, port: int, requests: int, warmup: int) -> tuple[dict[str, list[float]], int]:
    citizen, visitor = Client(port), Client(port)
    session = app.extensions["db"].new_session()
    changer = Changer(session, app.config, random.Random(7))
    try:
        for _ in range(warmup):
            _elapsed, body = timed_get(citizen, STATS_PATH)
            timed_get(visitor, "/login")
        check(body, direct_counts(session), "the warm-up")
        times: dict[str, list[float]] = {"statistics": [], "login": []}
        for i in range(requests):  # interleaved, so both pages see the same machine
            changer.step()
            elapsed, body = timed_get(citizen, STATS_PATH)
            times["statistics"].append(elapsed)
            check(body, direct_counts(session), f"change round {i + 1}")
            times["login"].append(timed_get(visitor, "/login")[0])
        final_checks(session, body)
        return times, changer.changed
    finally:
        session.close()
        citizen.close()
        visitor.close()


def time_month_dataset(app) -> tuple[float, str]:
    """Build one month's statistics dataset version (the busiest month), as the monthly tick does."""
    session = app.extensions["db"].new_session()
    try:
        month = session.scalar(select(ComplaintRollup.month).where(ComplaintRollup.dimension == "all")
                               .order_by(ComplaintRollup.received.desc()).limit(1))
        started = time.perf_counter()
        result = complaint_stats.publish_month(session, app.config, month)
        session.commit()
        elapsed = time.perf_counter() - started
        if result is None or result.version is None:
            raise SystemExit("building the month's statistics dataset produced no version")
        return elapsed, f"{month:%Y-%m}, {result.version.row_count} rows, version {result.version.number}"
    finally:
        session.close()


# Backends ---------------------------------------------------------------------------------------------
def run_backend(label: str, url: str, workdir: Path, args, data: Data | None) -> tuple[Data, float]:
    started = time.perf_counter()
    upgrade(url)
    migrated = time.perf_counter()
    if data is None:
        data = generate(args.reports, region_codes_of(url))
    generated = time.perf_counter()
    rollups, rollup_seconds = seed(url, data)
    seeded = time.perf_counter()
    months = {r["received_at"].strftime("%Y-%m") for r in data.tables["complaint"]}
    print(f"[{label}] seeded {data.reports:,} reports over {OPD_COUNT} OPDs and {len(months)} months in "
          f"{seeded - started:.1f}s (migrate {migrated - started:.1f}s, "
          f"generate {generated - migrated:.1f}s, insert {seeded - generated - rollup_seconds:.1f}s, "
          f"{rollups:,} rollup rows in {rollup_seconds:.1f}s)", flush=True)
    app = create_app({"DATABASE_URL": url, "STORAGE_PATH": str(workdir / "storage"),
                      "INSTANCE_PATH": str(workdir / "instance"), "LAPOR_STATS_OPD": "BENCH01"})
    gc.collect()
    gc.freeze()  # the generated rows stay alive for the next backend: keep them out of the collector's way
    try:
        with serving(app) as port:
            times, changed = measure(app, port, args.requests, args.warmup)
        measured = time.perf_counter() - seeded
        build_seconds, built = time_month_dataset(app)
    finally:
        gc.unfreeze()
        app.extensions["db"].dispose()
    p95 = {}
    for kind, values in times.items():
        p50, p95[kind] = percentile(values, 50) * 1000, percentile(values, 95) * 1000
        print(f"[{label}] {kind:10} p50 {p50:7.1f} ms   p95 {p95[kind]:7.1f} ms   ({len(values)} GETs)",
              flush=True)
    print(f"[{label}] {changed} reports changed through the services between requests; the page matched a "
          f"direct count after every one ({measured:.1f}s with the checks)", flush=True)
    print(f"[{label}] one month's statistics dataset ({built}) built in {build_seconds * 1000:.0f} ms",
          flush=True)
    return data, p95["statistics"] / p95["login"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    ratios: dict[str, float] = {}
    data: Data | None = None
    workdir = Path(tempfile.mkdtemp(prefix="pressroom-bench-"))
    began = time.perf_counter()
    try:
        if "sqlite" in backends:
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            data, ratios["sqlite"] = run_backend("sqlite", url, workdir / "sqlite", args, data)
        if "postgresql" in backends:
            server = os.environ.get("PRESSROOM_BENCH_DATABASE_URL", DEFAULT_PG)
            reason = postgres_unavailable(server)
            if reason:
                shown = make_url(normalise_url(server)).render_as_string(hide_password=True)
                print(f"PostgreSQL is unavailable at {shown} ({reason}); measured SQLite only.", flush=True)
            else:
                with postgres_database(server) as url:
                    data, ratios["postgresql"] = run_backend("postgresql", url, workdir / "postgresql", args,
                                                             data)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"finished in {time.perf_counter() - began:.0f}s", flush=True)
    for backend, ratio in ratios.items():
        verdict = "met" if ratio <= TARGET_RATIO else "not met"
        print(f"goal statistics_p95_vs_login_{backend}: {ratio:.1f}x (target <= {TARGET_RATIO:g}x) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

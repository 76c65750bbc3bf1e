"""Benchmark: the filtered journalist directory against the login page, over real HTTP.

Seeds 50,000 contacts with SQLAlchemy Core bulk inserts (realistic distributions: outlet
sizes skewed, regions weighted by population, 1–3 beats, 1–3 following OPDs, consent per
channel), serves the app on loopback, logs in as an editor of one OPD through the real
``/login`` form (with its CSRF token), and after a warm-up times GETs of

* a filtered search page: ``/app/wartawan/?q=<part of a name>&beat=<id>&region=<BPS code>``
  (50 rows a page, the directory's list as an editor sees it), and
* the normal ``/login`` page, as a first-time visitor gets it: the baseline.

The two are interleaved on their own keep-alive connections (``http.client``), so both
see the same machine. Goal: search p95 <= 5 x login p95, on SQLite (a temp file) and on
PostgreSQL (``PRESSROOM_BENCH_DATABASE_URL``, default the local server; a dedicated
database ``pressroom_bench_<pid>`` is created and dropped).

Server: werkzeug's ``make_server(..., threaded=True)`` in a thread of this process, not a
gunicorn subprocess. It needs no port juggling or process clean-up, starts instantly, and
speaks HTTP/1.1 keep-alive; its own overhead is the same for both pages, and the goal is a
ratio between them, so what it measures is the page's work (queries + template).

    python bench/directory.py [--contacts 50000] [--requests 200] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import csv
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
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

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
from sqlalchemy import MetaData, Table, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from pressroom import clock, create_app  # noqa: E402
from pressroom.db import make_engine, normalise_url  # noqa: E402
from pressroom.migrate import upgrade  # noqa: E402
from pressroom.models import Beat, Opd  # noqa: E402
from pressroom.services import users  # noqa: E402
from pressroom.services.contact_points import sort_key  # noqa: E402

TARGET_RATIO = 5.0
EDITOR_EMAIL, EDITOR_PASSWORD = "editor@bench.example", "bench-password-2026"
EDITOR_OPD_ID = 1
OPD_COUNT, OUTLET_COUNT = 40, 400
BATCH = 5000
REGIONS_CSV = ROOT / "pressroom" / "data" / "jateng_kabkota_2025.csv"

FIRST = ("Adi Agus Ahmad Aisyah Andi Anisa Arif Ayu Bagus Bambang Bayu Budi Citra Dani Dedi Dewi Dian Dimas "
         "Dwi Eka Eko Endah Endang Fajar Fitri Galih Gilang Hana Hendra Heru Indah Intan Joko Kartika Kurnia "
         "Laras Lukman Maya Muhammad Nanda Nur Okta Prasetyo Puji Purnama Putri Rahma Ratna Rina Rizal Rizky "
         "Sari Sekar Setyo Siti Slamet Sri Taufik Teguh Tika Tri Umi Wahyu Wening Widya Yoga Yuli Yusuf Zaki"
         ).split()
LAST = ("Adiwinata Anggoro Ardiansyah Basuki Budiman Cahyaningrum Darmawan Febriani Gunawan Handayani "
        "Hartono Hidayat Irawan Kurniawan Kurniawati Kusuma Lestari Maharani Mulyadi Mulyono Nugraha Nugroho "
        "Permatasari Pramono Prasetya Prihatin Purnomo Puspitasari Rahayu Ramadhani Riyanto Santika Santoso "
        "Saputra Setiawan Sulistyo Susanti Susilo Utami Wardhani Wibowo Widodo Widyastuti Wijaya Wijayanto "
        "Yulianto").split()
OUTLET_WORDS = ("Warta Kabar Suara Gema Harian Pelita Jurnal Radio Lintas Sinar Kanal Berita Info Media "
                "Cakra Swara").split()
PLACES = ("Merapi Serayu Kedu Pantura Muria Dieng Slamet Sindoro Sumbing Lawu Bengawan Garang Kaligarang "
          "Pesisir Tengah Raya Selatan Utara Timur Barat").split()
OUTLET_TYPES = (("online", 50), ("cetak", 15), ("radio", 17), ("tv", 12), ("kantor_berita", 6))
POSITIONS = (("Reporter", 55), ("Kontributor", 18), ("Redaktur", 12), ("Koresponden", 8), ("Fotografer", 7))


# Data -----------------------------------------------------------------------------------------
@dataclass
class Dataset:
    """Rows for every table (explicit ids) and the searches that match some of them."""

    beat_ids: list[int]
    tables: dict[str, list[dict]]
    queries: list[str]

    @property
    def contacts(self) -> int:
        return len(self.tables["journalist"])

    @property
    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def _weighted(rng: random.Random, options) -> str:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _regions() -> tuple[list[str], list[int]]:
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["kode_bps"] for r in rows], [int(r["penduduk_total"]) for r in rows]


def _opd_rows(now) -> list[dict]:
    return [{"id": i, "code": f"BENCH{i:02d}", "name": f"Dinas Uji Beban {i:02d}",
             "short_name": f"Uji {i:02d}", "kind": "dinas", "primary_color": "#1f4e79",
             "accent_color": "#f2a900", "logo_key": None, "is_active": True, "created_at": now}
            for i in range(1, OPD_COUNT + 1)]


def _outlet_rows(rng: random.Random, codes: list[str], now) -> list[dict]:
    rows, names = [], set()
    while len(rows) < OUTLET_COUNT:
        name = f"{rng.choice(OUTLET_WORDS)} {rng.choice(PLACES)} {len(rows) + 1} (bench)"
        if name in names:
            continue
        names.add(name)
        rows.append({"id": len(rows) + 1, "name": name, "type": _weighted(rng, OUTLET_TYPES),
                     "dewan_pers": rng.choice(("faktual", "administratif", "belum")),
                     "region_code": rng.choice(codes) if rng.random() < 0.7 else None, "created_at": now})
    return rows


def _contact_rows(rng: random.Random, count: int, beat_ids: list[int], now) -> dict[str, list[dict]]:
    """Journalists and everything hanging off them, as plain rows with explicit ids."""
    codes, population = _regions()
    beat_weights = [3 if i < 3 else 1 for i in range(len(beat_ids))]  # politics & government dominate
    outlet_weights = [1 / (rank + 1) ** 0.8 for rank in range(OUTLET_COUNT)]  # few big newsrooms
    tables: dict[str, list[dict]] = {k: [] for k in (
        "journalist", "journalist_email", "journalist_phone", "journalist_beat", "journalist_region",
        "journalist_opd", "consent")}
    ids = {"email": 0, "phone": 0, "link": 0, "consent": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    for jid in range(1, count + 1):
        status = _weighted(rng, (("active", 94), ("archived", 5), ("erased", 1)))
        changed = now - timedelta(minutes=rng.randrange(60 * 24 * 700))
        if status == "erased":
            tables["journalist"].append({
                "id": jid, "full_name": None, "sort_name": "", "outlet_id": None, "position": None,
                "ukw_level": None, "press_card_issuer": None, "province_wide": False,
                "preferred_channels": [], "status": status, "created_at": changed, "updated_at": changed,
                "archived_at": None, "erased_at": changed})
            continue
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {rng.choice(FIRST)} {last}" if rng.random() < 0.3 else f"{first} {last}"
        outlet_id = rng.choices(range(1, OUTLET_COUNT + 1), weights=outlet_weights)[0] \
            if rng.random() < 0.9 else None
        wide = rng.random() < 0.1
        tables["journalist"].append({
            "id": jid, "full_name": name, "sort_name": sort_key(name), "outlet_id": outlet_id,
            "position": _weighted(rng, POSITIONS),
            "ukw_level": _weighted(rng, ((None, 45), ("muda", 30), ("madya", 17), ("utama", 8))),
            "press_card_issuer": "Organisasi Uji (bench)" if rng.random() < 0.5 else None,
            "province_wide": wide, "preferred_channels": rng.choice(([], ["whatsapp"], ["whatsapp", "email"],
                                                                       ["email", "whatsapp"], ["email"])),
            "status": status, "created_at": changed, "updated_at": changed,
            "archived_at": changed if status == "archived" else None, "erased_at": None})
        local = f"{first}.{last}{jid}".lower()
        tables["journalist_email"].append({"id": next_id("email"), "journalist_id": jid,
                                           "address": f"{local}@bench.example", "is_shared": False})
        if rng.random() < 0.15:
            tables["journalist_email"].append({"id": next_id("email"), "journalist_id": jid,
                                               "address": f"redaksi@outlet{outlet_id}.bench.example",
                                               "is_shared": True})
        for _ in range(1 + (rng.random() < 0.15)):
            tables["journalist_phone"].append({"id": next_id("phone"), "journalist_id": jid,
                                               "e164": f"+62899{ids['phone'] + 1:08d}", "kind": "mobile",
                                               "is_shared": False})
        for beat in set(rng.choices(beat_ids, weights=beat_weights, k=rng.choice((1, 1, 2, 2, 3)))):
            tables["journalist_beat"].append({"journalist_id": jid, "beat_id": beat})
        if not wide or rng.random() < 0.5:
            for code in sorted(set(rng.choices(codes, weights=population, k=rng.choice((1, 1, 2, 3))))):
                tables["journalist_region"].append({"journalist_id": jid, "region_code": code})
        for opd in set(rng.choices(range(1, OPD_COUNT + 1), k=rng.choice((1, 1, 2, 3)))):
            tables["journalist_opd"].append({
                "id": next_id("link"), "journalist_id": jid, "opd_id": opd, "following": rng.random() < 0.95,
                "subscribed": True, "notes": "Catatan uji (bench)" if rng.random() < 0.05 else None,
                "created_at": changed, "updated_at": changed})
        for channel in ("email", "whatsapp"):
            state = _weighted(rng, (("awaiting", 55), ("given", 40), ("withdrawn", 5)))
            tables["consent"].append({
                "id": next_id("consent"), "journalist_id": jid, "channel": channel, "state": state,
                "given_at": changed if state != "awaiting" else None,
                "method": "formulir" if state != "awaiting" else None,
                "basis": "formulir uji (bench)" if state != "awaiting" else None,
                "withdrawn_at": changed if state == "withdrawn" else None,
                "withdrawn_how": "email" if state == "withdrawn" else None, "updated_at": changed})
    return tables


def _bulk_insert(conn, table: str, rows: list[dict]) -> None:
    """Load rows into the table as migrated (reflected), so the bench loads exactly the real schema.

    SQLite: Core ``insert()`` with executemany. PostgreSQL: COPY on the same connection and
    transaction; Core executemany there costs ~30 s for these 0.5 M rows on 2 cores, COPY a
    third of it, which keeps the whole run within its two-minute budget.
    """
    reflected = Table(table, MetaData(), autoload_with=conn)
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in columns])
        return
    statement = insert(reflected)
    for start in range(0, len(rows), BATCH):
        conn.execute(statement, rows[start:start + BATCH])


def _copy_value(value):
    return json.dumps(value) if isinstance(value, list) else value


def _search_queries(rng: random.Random, tables: dict[str, list[dict]]) -> list[str]:
    """Ten filtered searches that each match someone: part of a name + one of their beats + region."""
    active = {j["id"]: j for j in tables["journalist"] if j["status"] == "active"}
    beats_of: dict[int, list[int]] = {}
    for row in tables["journalist_beat"]:
        beats_of.setdefault(row["journalist_id"], []).append(row["beat_id"])
    covered = [r for r in tables["journalist_region"] if r["journalist_id"] in active]
    queries = []
    while len(queries) < 10:
        link = rng.choice(covered)
        person = active[link["journalist_id"]]
        word = rng.choice(person["full_name"].split())
        part = word[: max(3, len(word) - 2)].lower()
        queries.append("/app/wartawan/?" + urllib.parse.urlencode(
            {"q": part, "beat": rng.choice(beats_of[person["id"]]), "region": link["region_code"]}))
    return queries


def generate(contacts: int, beat_ids: list[int]) -> Dataset:
    """Build the rows once (deterministic), to load into each backend."""
    rng = random.Random(2026)
    now = clock.now()
    codes, _population = _regions()
    tables = {"opd": _opd_rows(now), "outlet": _outlet_rows(rng, codes, now)}
    tables.update(_contact_rows(rng, contacts, beat_ids, now))
    return Dataset(beat_ids, tables, _search_queries(rng, tables))


def beat_ids_of(url: str) -> list[int]:
    engine = make_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(Beat.id).order_by(Beat.id)))
    finally:
        engine.dispose()


def seed(url: str, data: Dataset) -> None:
    """Load ``data`` with Core bulk inserts, then add one editor through the services."""
    engine = make_engine(normalise_url(url))
    with engine.begin() as conn:
        for table, rows in data.tables.items():
            _bulk_insert(conn, table, rows)
        if engine.dialect.name == "postgresql":
            for table in ("opd", "outlet", "journalist", "journalist_email", "journalist_phone",
                          "journalist_opd", "consent"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does within a minute on a live server
    else:
        from jobs.ticks import optimize_sqlite_engine

        optimize_sqlite_engine(engine)  # what the worker's maintenance tick does on a live server
    with Session(engine) as session:
        editor = users.create_user(session, None, email=EDITOR_EMAIL, full_name="Editor Uji Beban",
                                   password=EDITOR_PASSWORD, must_change_password=False)
        users.add_membership(session, editor, editor, opd=session.get(Opd, EDITOR_OPD_ID), role="editor",
                             position_title="Pranata Humas", level="staf")
        session.commit()
    engine.dispose()


# HTTP -----------------------------------------------------------------------------------------
CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
ROW_RE = re.compile(rb'href="/app/wartawan/\d+"')


def log_in(client: Client) -> None:
    """Log in through the real form: GET /login for the CSRF token, then POST."""
    status, _h, body = client.request("GET", "/login")
    match = CSRF_RE.search(body)
    if status != 200 or not match:
        raise SystemExit(f"GET /login gave {status} without a CSRF token")
    status, headers, _b = client.request("POST", "/login", {
        "csrf_token": match.group(1).decode(), "email": EDITOR_EMAIL, "password": EDITOR_PASSWORD,
        "next": ""})
    if status != 302 or "/login" in headers.get("Location", ""):
        raise SystemExit(f"login failed: {status} → {headers.get('Location')}")


def timed_get(client: Client, path: str, expect_rows: bool = False) -> float:
    start = time.perf_counter()
    status, _h, body = client.request("GET", path)
    elapsed = time.perf_counter() - start
    if status != 200:
        raise SystemExit(f"GET {path} gave HTTP {status}, not 200: the benchmark cannot measure it")
    if expect_rows and not ROW_RE.search(body):
        raise SystemExit(f"GET {path} listed nobody; the search is not representative")
    return elapsed


def measure(port: int, queries: list[str], requests: int, warmup: int) -> dict[str, list[float]]:
    editor, visitor = Client(port), Client(port)
    try:
        log_in(editor)
        for i in range(warmup):
            timed_get(editor, queries[i % len(queries)], expect_rows=True)
            timed_get(visitor, "/login")
        times: dict[str, list[float]] = {"search": [], "login": []}
        for i in range(requests):  # interleaved, so both pages see the same machine
            times["search"].append(timed_get(editor, queries[i % len(queries)]))
            times["login"].append(timed_get(visitor, "/login"))
        return times
    finally:
        editor.close()
        visitor.close()


# Backends -------------------------------------------------------------------------------------
def run_backend(label: str, url: str, workdir: Path, args, data: Dataset | None) -> tuple[Dataset, float]:
    """Migrate, seed and measure one backend; return the data used and search p95 / login p95."""
    started = time.perf_counter()
    upgrade(url)
    beat_ids = beat_ids_of(url)
    if data is None or data.beat_ids != beat_ids:
        data = generate(args.contacts, beat_ids)
    generated = time.perf_counter()
    seed(url, data)
    seeded = time.perf_counter()
    print(f"[{label}] seeded {data.contacts:,} contacts ({data.rows:,} rows) in {seeded - started:.1f}s "
          f"(migrate + generate {generated - started:.1f}s, insert {seeded - generated:.1f}s)", flush=True)
    app = create_app({"DATABASE_URL": url, "STORAGE_PATH": str(workdir / "storage"),
                      "INSTANCE_PATH": str(workdir / "instance")})
    # The generated rows (millions of objects) stay alive for the next backend; keep them out
    # of the garbage collector's way, so the server's pauses are the app's own.
    gc.collect()
    gc.freeze()
    try:
        with serving(app) as port:
            times = measure(port, data.queries, args.requests, args.warmup)
    finally:
        gc.unfreeze()
        app.extensions["db"].dispose()
    p95 = {}
    for kind, values in times.items():
        p50, p95[kind] = percentile(values, 50) * 1000, percentile(values, 95) * 1000
        print(f"[{label}] {kind:6} p50 {p50:7.1f} ms   p95 {p95[kind]:7.1f} ms   ({len(values)} GETs)",
              flush=True)
    print(f"[{label}] timed in {time.perf_counter() - seeded:.1f}s; e.g. GET {data.queries[0]}", flush=True)
    return data, p95["search"] / p95["login"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    ratios: dict[str, float] = {}
    data: Dataset | None = None
    workdir = Path(tempfile.mkdtemp(prefix="pressroom-bench-"))
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
    for backend, ratio in ratios.items():
        verdict = "met" if ratio <= TARGET_RATIO else "not met"
        print(f"goal search_p95_vs_login_{backend}: {ratio:.1f}x (target <= {TARGET_RATIO:g}x) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

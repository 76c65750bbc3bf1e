"""What the benchmarks share: the PostgreSQL server they use (``PRESSROOM_BENCH_DATABASE_URL``,
default the local one), a database of their own on it, percentiles, worker processes with
their peak memory, and the app served over real HTTP with a keep-alive client.

Not a benchmark itself: ``make bench`` runs ``bench/[!_]*.py``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from pressroom.db import normalise_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_unavailable(server_url: str) -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    engine = create_engine(make_url(normalise_url(server_url)), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - whatever the reason, say it
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@contextmanager
def postgres_database(server_url: str, suffix: str = "", template: str | None = None) -> Iterator[str]:
    """Create ``pressroom_bench_<pid><suffix>`` on the server (a copy of the database
    ``template`` when given: nobody may be connected to it); drop it afterwards."""
    server = make_url(normalise_url(server_url))
    name = f"pressroom_bench_{os.getpid()}{suffix}"
    admin = create_engine(server.set(database=server.database or "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """A process's peak resident memory so far (``VmHWM``), in MB; None where /proc is missing."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class WorkerProcesses:
    """Worker processes of a benchmark: ``python <script> --worker <config JSON>`` each, run
    from the repository root and logging to its own file; the script's ``--worker`` runs
    ``jobs.scheduler.run_worker`` (the real worker, with its dispatch tick)."""

    def __init__(self, script: Path, config: dict, logdir: Path):
        self.script, self.config, self.logdir = Path(script).resolve(), config, logdir
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def grow_to(self, count: int, wait: bool = True) -> None:
        """Start workers until ``count`` run; with ``wait``, return once each has started its
        scheduler (else call ``wait_started`` later)."""
        while len(self.procs) < count:
            log = self.logdir / f"worker-{len(self.procs) + 1}.log"
            with log.open("w") as out:
                command = [sys.executable, str(self.script), "--worker", json.dumps(self.config)]
                proc = subprocess.Popen(command, cwd=self.script.parent.parent, stdout=out,
                                        stderr=subprocess.STDOUT)
            self.procs.append((proc, log))
        if wait:
            self.wait_started()

    def wait_started(self) -> None:
        deadline = time.monotonic() + 60
        while not all("worker started" in log.read_text() for _proc, log in self.procs):
            if any(proc.poll() is not None for proc, _log in self.procs) or time.monotonic() > deadline:
                tails = "\n".join(log.read_text()[-2000:] for _proc, log in self.procs)
                raise SystemExit(f"a worker did not start:\n{tails}")
            time.sleep(0.05)

    def peak_rss_mb(self) -> list[float]:
        """Each running worker's peak resident memory so far, in MB (Linux; else empty)."""
        found = [peak_rss_mb(proc.pid) for proc, _log in self.procs if proc.poll() is None]
        return [mb for mb in found if mb is not None]

    def stop(self) -> list[str]:
        """Stop every worker (SIGTERM, as a service manager would); return their error lines."""
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _log in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        troubles = []
        for _proc, log in self.procs:
            troubles += [f"{log.name}: {line}" for line in log.read_text().splitlines()
                         if " ERROR " in line or line.startswith("Traceback")]
        self.procs = []
        return troubles


def copy_rows(conn, table: str, rows: list[dict]) -> None:
    """Load ``rows`` (dicts with the same keys) into ``table`` with PostgreSQL's COPY, on the
    SQLAlchemy connection ``conn`` and inside its transaction; lists go in as JSON."""
    if not rows:
        return
    columns = list(rows[0])
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if isinstance(row[c], list) else row[c] for c in columns])


# HTTP -----------------------------------------------------------------------------------------
class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar of its own."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        headers = {"Accept-Language": "id"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["expires"] != "Thu, 01 Jan 1970 00:00:00 GMT":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.will_close:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return response.status, dict(response.headers), data

    def close(self) -> None:
        self.conn.close()


@contextmanager
def serving(app) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()

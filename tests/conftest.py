"""Test fixtures: a migrated database per test (SQLite file copy, or a PostgreSQL database
created for this run), the app, clients, and factories for people and OPDs.

Set PRESSROOM_TEST_BACKEND=postgresql and PRESSROOM_TEST_DATABASE_URL to a server URL to run
the suite on PostgreSQL; the suite creates (and drops) its own database there.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pressroom import clock, create_app
from pressroom.db import normalise_url
from pressroom.migrate import upgrade

BACKEND = os.environ.get("PRESSROOM_TEST_BACKEND", "sqlite")
TEST_PASSWORD = "correct horse battery"
#: Tables filled by migrations with reference data (kept across the per-test reset).
REFERENCE_TABLES = ("region", "beat")
TEST_ENCRYPTION_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ="


def pytest_sessionstart(session):
    """Compile the translation catalogues, so tests never run against stale ones; hash test
    passwords with cheap Argon2 parameters (the algorithm is the same, only slower in life)."""
    from argon2 import PasswordHasher

    from pressroom.services import auth

    auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "pressroom" / "translations").glob(
        "*/LC_MESSAGES/messages.po"
    ):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="PostgreSQL-only; set PRESSROOM_TEST_BACKEND=postgresql")
    for item in items:
        if "postgres_only" in item.keywords and BACKEND != "postgresql":
            item.add_marker(skip_pg)


# Database ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def database_server(tmp_path_factory):
    """Yield a function returning a fresh, migrated database URL for one test."""
    if BACKEND == "postgresql":
        server = os.environ.get("PRESSROOM_TEST_DATABASE_URL")
        if not server:
            pytest.exit("PRESSROOM_TEST_BACKEND=postgresql needs PRESSROOM_TEST_DATABASE_URL", 2)
        server_url = make_url(normalise_url(server))
        name = f"pressroom_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(server_url.set(database=server_url.database or "postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server_url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        engine = create_engine(url)
        tables = None
        reference: dict[str, list[dict]] = {}

        def fresh() -> str:
            nonlocal tables
            with engine.begin() as conn:
                if tables is None:
                    tables = [r[0] for r in conn.execute(text(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                        "AND tablename <> 'alembic_version'"))]
                    # Reference data loaded by migrations, restored after every reset.
                    for name in REFERENCE_TABLES:
                        result = conn.execute(text(f'SELECT * FROM "{name}"'))
                        reference[name] = [dict(r._mapping) for r in result]
                # Triggers keep the audit log append-only; tests reset it as the superuser.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                  + " RESTART IDENTITY CASCADE"))
                for name, rows in reference.items():
                    if rows:
                        columns = list(rows[0])
                        conn.execute(text(f'INSERT INTO "{name}" ({", ".join(columns)}) VALUES ('
                                          + ", ".join(f":{c}" for c in columns) + ")"), rows)
                        if "id" in columns:
                            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                              f"(SELECT max(id) FROM \"{name}\"))"))
            return url

        yield fresh
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        upgrade(f"sqlite:///{template}")
        counter = iter(range(1_000_000))

        def fresh() -> str:
            target = template.parent / f"test-{next(counter)}.sqlite3"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"

        yield fresh


@pytest.fixture
def app_factory(database_server, tmp_path):
    """Build an app on a fresh database; extra keyword arguments override config."""
    apps = []

    def build(**overrides):
        config = {
            "DATABASE_URL": database_server(),
            "STORAGE_PATH": str(tmp_path / "storage"),
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        }
        config.update(overrides)
        application = create_app(config)
        apps.append(application)
        return application

    yield build
    for application in apps:
        stop_dispatcher(application)
        application.extensions["db"].dispose()


def stop_dispatcher(application) -> None:
    """Stop the app's dispatcher, if it ran: a tick that returned at its time budget leaves its
    queued sends and their threads and connections running (they would outlive the test)."""
    worker = application.extensions.get("dispatch_worker")
    if worker is not None:
        worker.stop()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


_test_sessions: list = []


def open_test_session(app):
    """A session for arranging and checking data. Deferred transactions: this long-lived
    session must not hold SQLite's write lock while the app under test works. Closed when the
    test ends, whatever happens (``_close_test_sessions``)."""
    database = app.extensions["db"]
    session = database.session_factory(bind=database.engine.execution_options(sqlite_begin="DEFERRED"))
    _test_sessions.append(session)
    return session


@pytest.fixture(autouse=True)
def _close_test_sessions():
    """Close every session a test opened, even after a failed assertion: a transaction left
    open would block the next test's clean-up (TRUNCATE) on PostgreSQL."""
    yield
    while _test_sessions:
        _test_sessions.pop().close()


@pytest.fixture
def session(app):
    """A database session for arranging and checking data (commit to make it visible)."""
    s = open_test_session(app)
    yield s
    s.close()


def reload(session) -> None:
    """See what the app committed: end this session's snapshot and forget cached objects."""
    session.rollback()
    session.expire_all()


@pytest.fixture
def storage(app):
    return app.extensions["storage"]


# Factories --------------------------------------------------------------------------------
class Factory:
    """Creates OPDs and users through the real services, so audit rows exist as in life."""

    def __init__(self, app, session):
        self.app = app
        self.session = session
        self._n = 0

    def opd(self, code: str | None = None, **values):
        from pressroom.services import opds

        self._n += 1
        code = code or f"OPD{self._n}"
        opd = opds.create_opd(
            self.session, None, self.app.extensions["storage"], code=code,
            name=values.get("name", f"Dinas Uji {code}"), short_name=values.get("short_name", code.title()),
            kind=values.get("kind", "dinas"), primary_color=values.get("primary_color", "#1f4e79"),
            accent_color=values.get("accent_color", "#f2a900"),
        )
        self.session.commit()
        return opd

    def user(self, role: str | None = "editor", opd=None, *, level: str = "staf", totp: bool | None = None,
             title: str | None = None, email: str | None = None, name: str | None = None):
        from pressroom.services import users

        self._n += 1
        user = users.create_user(
            self.session, None, email=email or f"user{self._n}@pressroom.example.com",
            full_name=name or f"Pengguna Uji {self._n}", password=TEST_PASSWORD,
            must_change_password=False,
        )
        if role is not None:
            users.add_membership(self.session, user, user, opd=opd, role=role,
                                 position_title=title or f"Jabatan {role}", level=level)
        needs_totp = totp if totp is not None else role in ("admin", "approver")
        if needs_totp:
            user.totp_secret_encrypted = self.app.extensions["crypto"].encrypt(pyotp.random_base32())
            user.totp_enabled_at = clock.now()
        self.session.commit()
        return user

    def acting(self, user, opd, *, kind="plh", title="Kepala Dinas Uji", days: int = 7,
               starts_in: timedelta = timedelta(0), sk="800/1/2026", by=None):
        from pressroom.services import users

        start = clock.now() + starts_in - timedelta(minutes=1)
        appointment = users.appoint_acting(
            self.session, by or user, user, opd=opd, kind=kind, position_title=title, level="kepala",
            sk_number=sk, starts_at=start, ends_at=start + timedelta(days=days),
        )
        self.session.commit()
        return appointment

    def totp_code(self, user) -> str:
        secret = self.app.extensions["crypto"].decrypt(user.totp_secret_encrypted)
        return pyotp.TOTP(secret).at(clock.now())


@pytest.fixture
def factory(app, session):
    return Factory(app, session)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user, factory=None, password: str = TEST_PASSWORD):
    """Log in through the real forms (password, then TOTP where enrolled)."""
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/login/2fa"):
        assert factory is not None, "a TOTP user needs the factory to compute codes"
        # Each test logs a user in once; allow a fresh step even if one was used just now.
        factory.session.refresh(user)
        user.totp_last_step = None
        factory.session.commit()
        response = client.post("/login/2fa", data={"csrf_token": csrf_token(client, "/login/2fa"),
                                                   "code": factory.totp_code(user)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def frozen_clock():
    from datetime import UTC, datetime

    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        yield clock


ROOT = Path(__file__).resolve().parent.parent

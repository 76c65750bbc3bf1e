"""Database plumbing: engine, sessions, the declarative Base and the UTC datetime type.

Services receive a ``Session`` and only flush; the door (a request or a job) commits once.
Web requests use ``db.session`` (one session per application context); jobs open their own
with ``db.new_session()``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime that round-trips on SQLite and PostgreSQL.

    Values must be aware; they are stored as UTC (naive on SQLite, timestamptz on
    PostgreSQL) and always come back aware in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use clock.now()")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON,
                           list[dict[str, Any]]: JSON}


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 15000, **kwargs) -> Engine:
    """Create an engine; on SQLite switch on WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": sqlite_busy_timeout_ms / 1000}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that the
            # claim helper can ask for BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE by default: a transaction that reads and then writes would otherwise
            # fail at once with SQLITE_BUSY when another process (web or worker) wrote in
            # between; taking the write lock up front makes it wait its turn instead.
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        # Short OLTP queries: JIT compilation costs more than it saves (tens of ms per query).
        kwargs.setdefault("connect_args", {"options": "-c jit=off"})
    return create_engine(url, **kwargs)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def upsert(bind, table):
    """``INSERT … ON CONFLICT`` for the bind's dialect (PostgreSQL or SQLite): an ``insert``
    with ``on_conflict_do_nothing`` / ``on_conflict_do_update``. ``bind``: a session or a
    connection."""
    bind = bind.get_bind() if hasattr(bind, "get_bind") else bind  # a session (or db.session)
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class Database:
    """Holds the engine and session factory for one app (``app.extensions['db']``)."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 15000):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self) -> Session:
        return self.session_factory()

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app) -> Database:
    database = Database(
        app.config["DATABASE_URL"],
        sqlite_busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
    )
    app.extensions["db"] = database

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    return database


def get_db() -> Database:
    return current_app.extensions["db"]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_get(view):
    """Mark a GET view that writes (e.g. an export that is audited): its SQLite transaction
    takes the write lock up front like a POST's."""
    view._pressroom_writes = True
    return view


def _reads_only() -> bool:
    if not has_request_context() or request.method not in READ_ONLY_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "_pressroom_writes", False)


class _SessionProxy:
    """``db.session``: the current application context's session, opened on first use.

    On SQLite, a page that only reads uses a deferred transaction, so readers run side by
    side under WAL; every other request (and every job) takes the write lock at BEGIN.
    """

    def _get(self) -> Session:
        if "db_session" not in g:
            database = get_db()
            if database.dialect == "sqlite" and _reads_only():
                g.db_session = database.session_factory(
                    bind=database.engine.execution_options(sqlite_begin="DEFERRED"))
            else:
                g.db_session = database.new_session()
        return g.db_session

    def __getattr__(self, name):
        return getattr(self._get(), name)


session: Session = _SessionProxy()  # type: ignore[assignment]

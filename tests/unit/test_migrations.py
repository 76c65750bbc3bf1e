"""Migrations build the schema the models describe, on SQLite and PostgreSQL; the audit log
is append-only in PostgreSQL itself."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from pressroom import models  # noqa: F401
from pressroom.db import Base, make_engine
from pressroom.migrate import downgrade, upgrade


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # Backend-only objects made by hand-written migrations (pressroom/migrations/env.py).
    return name != "ix_journalist_sort_name_trgm" and not (name or "").startswith("journalist_name_fts")


def test_migrations_upgrade_an_empty_database_and_match_the_models(app):
    engine = app.extensions["db"].engine  # built by running every migration on an empty database
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": _include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
    tables = set(inspect(engine).get_table_names())
    assert {"opd", "user_account", "membership", "acting_appointment", "audit_log"} <= tables


def test_sqlite_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    engine = app.extensions["db"].engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.postgres_only
def test_audit_log_refuses_update_delete_and_truncate_in_postgresql(app, factory):
    factory.opd("AUDITED")  # writes an opd.created audit row
    engine = create_engine(app.config["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() >= 1
    finally:
        engine.dispose()


def test_orm_refuses_to_change_audit_rows(session, factory):
    from sqlalchemy import select

    from pressroom.models import AuditEntry
    from pressroom.services.audit import AuditLogIsAppendOnly

    factory.opd("AUDITED")
    entry = session.scalar(select(AuditEntry))
    entry.action = "forged"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()
    session.delete(session.scalar(select(AuditEntry)))
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()

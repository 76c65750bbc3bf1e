"""Alembic environment: batch mode on SQLite, the models' metadata for autogenerate."""

from __future__ import annotations

from alembic import context

from pressroom import models  # noqa: F401 - registers every table on Base.metadata
from pressroom.db import Base, make_engine

config = context.config
target_metadata = Base.metadata

#: Objects that exist only on one backend, created by hand-written migrations (not models).
BACKEND_ONLY = frozenset({"ix_journalist_sort_name_trgm"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return name not in BACKEND_ONLY and not (name or "").startswith("journalist_name_fts")


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

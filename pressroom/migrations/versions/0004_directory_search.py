"""directory search: trigram indexes for name search (pg_trgm on PostgreSQL, FTS5 on SQLite)

Revision ID: 0004_directory_search
Revises: 0003_publishing
Create Date: 2026-11-27
"""

from alembic import op

revision = "0004_directory_search"
down_revision = "0003_publishing"
branch_labels = None
depends_on = None


SQLITE_UP = [
    # An external-content FTS5 table with the trigram tokenizer: LIKE '%faj%' on it is
    # answered from the index. Triggers keep it in step with journalist.sort_name.
    "CREATE VIRTUAL TABLE journalist_name_fts USING fts5(sort_name, content='journalist', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER journalist_name_fts_ai AFTER INSERT ON journalist BEGIN "
    "INSERT INTO journalist_name_fts(rowid, sort_name) VALUES (new.id, new.sort_name); END",
    "CREATE TRIGGER journalist_name_fts_ad AFTER DELETE ON journalist BEGIN "
    "INSERT INTO journalist_name_fts(journalist_name_fts, rowid, sort_name) "
    "VALUES ('delete', old.id, old.sort_name); END",
    "CREATE TRIGGER journalist_name_fts_au AFTER UPDATE OF sort_name ON journalist BEGIN "
    "INSERT INTO journalist_name_fts(journalist_name_fts, rowid, sort_name) "
    "VALUES ('delete', old.id, old.sort_name); "
    "INSERT INTO journalist_name_fts(rowid, sort_name) VALUES (new.id, new.sort_name); END",
    "INSERT INTO journalist_name_fts(journalist_name_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
        return
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX IF NOT EXISTS ix_journalist_sort_name_trgm ON journalist "
               "USING gin (sort_name gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS journalist_name_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS journalist_name_fts")
        return
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_journalist_sort_name_trgm")

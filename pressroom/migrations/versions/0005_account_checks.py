"""account checks: what the daily credential check found on each social account

Revision ID: 0005_account_checks
Revises: 0004_directory_search
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import pressroom.db

revision = "0005_account_checks"
down_revision = "0004_directory_search"
branch_labels = None
depends_on = None

COLUMNS = ("checked_at", "check_status", "check_reason", "token_expires_at", "warned_status", "warned_at")


def upgrade() -> None:
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", pressroom.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("check_status", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("check_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("token_expires_at", pressroom.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("warned_status", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("warned_at", pressroom.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)

"""send pace: a provider account's rate limit shared by every worker process

Revision ID: 0009_send_pace
Revises: 0008_lapor_gub
Create Date: 2026-11-28 06:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009_send_pace'
down_revision = '0008_lapor_gub'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('send_pace',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('next_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_send_pace'))
    )


def downgrade() -> None:
    op.drop_table('send_pace')

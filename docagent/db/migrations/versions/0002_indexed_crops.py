"""partial index on the crops that have a vector, by collection

The search service checks on every query that its index holds the collection's crops, with
count/sum/max aggregates over their ids; this index answers them without reading crop rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_WHERE = sa.text("vector IS NOT NULL")


def upgrade() -> None:
    op.create_index('ix_crops_indexed', 'crops', ['collection_id', 'id'], unique=False,
                    sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    op.drop_index('ix_crops_indexed', table_name='crops')

"""service: API keys, job payloads, steps, callbacks and cancellation, document metadata

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_JOB_COLUMNS = [
    sa.Column('error_code', sa.String(length=50), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=True),
    sa.Column('callbacks', sa.JSON(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
]


def upgrade() -> None:
    op.create_table(
        'api_keys',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('tenant_id', sa.String(length=32),
                  sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_api_keys_tenant_id', 'api_keys', ['tenant_id'])
    # plain ALTER TABLE ADD COLUMN (no batch mode): recreating a table on SQLite would
    # cascade the drop of its old copy into the tables that reference it
    for column in _JOB_COLUMNS:
        op.add_column('jobs', column.copy())
    op.add_column('documents', sa.Column('meta', sa.JSON(), nullable=True))
    op.add_column('documents', sa.Column('external_id', sa.String(length=200), nullable=True))
    op.create_index('ix_documents_external_id', 'documents', ['external_id'])


def downgrade() -> None:
    op.drop_index('ix_documents_external_id', table_name='documents')
    _drop_columns('documents', ['external_id', 'meta'])
    _drop_columns('jobs', [c.name for c in reversed(_JOB_COLUMNS)])
    op.drop_index('ix_api_keys_tenant_id', table_name='api_keys')
    op.drop_table('api_keys')


def _drop_columns(table: str, columns: list[str]) -> None:
    """In place, as 0003 does: batch mode would recreate the table on SQLite, and dropping the
    old copy with foreign keys on cascades into every table that references it."""
    for column in columns:
        if op.get_bind().dialect.name == "sqlite":  # ALTER TABLE DROP COLUMN: SQLite >= 3.35
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)

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
    with op.batch_alter_table('jobs') as batch:
        for column in _JOB_COLUMNS:
            batch.add_column(column.copy())
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('meta', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch.create_index('ix_documents_external_id', ['external_id'])


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_index('ix_documents_external_id')
        batch.drop_column('external_id')
        batch.drop_column('meta')
    with op.batch_alter_table('jobs') as batch:
        for column in reversed(_JOB_COLUMNS):
            batch.drop_column(column.name)
    op.drop_index('ix_api_keys_tenant_id', table_name='api_keys')
    op.drop_table('api_keys')

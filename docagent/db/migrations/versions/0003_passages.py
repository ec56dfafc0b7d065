"""passages: the search index's units (crops with context, table rows, pages, documents)

Crops keep their own text and gain their context (title, heading path, caption) and role;
terms and vectors move to passages. Existing indexed crops become crop passages with the text
they were indexed with, so a collection keeps searching after the upgrade (its index is
rebuilt from the passages on the next open); ``docagent reindex`` then adds the context.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 01:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INDEXED = sa.text("vector IS NOT NULL")


def upgrade() -> None:
    op.add_column('documents', sa.Column('title', sa.Text(), nullable=True))
    op.add_column('documents', sa.Column('title_source', sa.String(length=20), nullable=True))
    op.add_column('documents', sa.Column('metadata_title', sa.Text(), nullable=True))
    _create_passages()
    op.execute(
        "INSERT INTO passages (tenant_id, collection_id, document_id, page_id, crop_id, level, "
        "text, terms, vector) SELECT tenant_id, collection_id, document_id, page_id, id, 'crop', "
        "text, terms, vector FROM crops WHERE vector IS NOT NULL ORDER BY id"
    )
    op.drop_index('ix_crops_indexed', table_name='crops')
    op.add_column('crops', sa.Column('context', sa.JSON(), nullable=True))
    op.add_column('crops', sa.Column('role', sa.String(length=20), nullable=True))
    _drop_columns('crops', ['terms', 'vector'])


def _drop_columns(table: str, columns: list[str]) -> None:
    """Drop in place. Batch mode would recreate the table on SQLite, and dropping the old
    copy with foreign keys on cascades into every table that references it (passages)."""
    for column in columns:
        if op.get_bind().dialect.name == "sqlite":  # ALTER TABLE DROP COLUMN: SQLite >= 3.35
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)


def _create_passages() -> None:
    op.create_table('passages',
    sa.Column('id', _BIG_ID, autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.String(length=32), nullable=False),
    sa.Column('collection_id', sa.String(length=32), nullable=False),
    sa.Column('document_id', sa.String(length=32), nullable=False),
    sa.Column('page_id', _BIG_ID, nullable=True),
    sa.Column('crop_id', _BIG_ID, nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('x0', sa.Float(), nullable=True),
    sa.Column('y0', sa.Float(), nullable=True),
    sa.Column('x1', sa.Float(), nullable=True),
    sa.Column('y1', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('context_terms', sa.JSON(), nullable=True),
    sa.Column('vector', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['crop_id'], ['crops.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.create_index('ix_passages_collection_id', ['collection_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_passages_crop_id'), ['crop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_passages_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_passages_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    op.add_column('crops', sa.Column('terms', sa.JSON(), nullable=True))
    op.add_column('crops', sa.Column('vector', sa.LargeBinary(), nullable=True))
    _drop_columns('crops', ['role', 'context'])
    op.execute(
        "UPDATE crops SET terms = (SELECT p.terms FROM passages p WHERE p.crop_id = crops.id "
        "AND p.level = 'crop'), vector = (SELECT p.vector FROM passages p WHERE "
        "p.crop_id = crops.id AND p.level = 'crop')"
    )
    op.create_index('ix_crops_indexed', 'crops', ['collection_id', 'id'], unique=False,
                    sqlite_where=_INDEXED, postgresql_where=_INDEXED)
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passages_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_passages_document_id'))
        batch_op.drop_index(batch_op.f('ix_passages_crop_id'))
        batch_op.drop_index('ix_passages_collection_id')
    op.drop_table('passages')
    _drop_columns('documents', ['metadata_title', 'title_source', 'title'])

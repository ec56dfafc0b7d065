"""Migrations build the schema the models describe, on SQLite and on real PostgreSQL."""

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from docagent.db.migrate import downgrade, upgrade
from docagent.db.models import Base, Collection, Crop, Document, Page, Tenant
from docagent.db.session import get_engine, session_scope


def _check_schema(url: str) -> None:
    upgrade(url)
    insp = inspect(get_engine(url))
    tables = set(insp.get_table_names())
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in insp.get_columns(name)} == set(table.columns.keys()), name


def _exercise(url: str) -> None:
    with session_scope(url) as s:
        t = Tenant(name="acme")
        s.add(t)
        s.flush()
        c = Collection(tenant_id=t.id, name="reports", embedder="hash-ngram", embedding_dim=8)
        s.add(c)
        s.flush()
        d = Document(tenant_id=t.id, collection_id=c.id, filename="a.pdf", sha256="0" * 64, size_bytes=3)
        s.add(d)
        s.flush()
        p = Page(document_id=d.id, number=1, width=595, height=842, text_source="text-layer")
        s.add(p)
        s.flush()
        crops = [Crop(tenant_id=t.id, collection_id=c.id, document_id=d.id, page_id=p.id, order=i,
                      kind="text", x0=0, y0=0, x1=1, y1=1, text="매출액", text_source="text-layer")
                 for i in range(3)]
        s.add_all(crops)
        s.flush()
        ids = [x.id for x in crops]
        assert len(set(ids)) == 3 and all(isinstance(i, int) for i in ids)
    with pytest.raises(IntegrityError):  # the same bytes twice in one collection
        with session_scope(url) as s:
            s.add(Document(tenant_id=t.id, collection_id=c.id, filename="b.pdf", sha256="0" * 64, size_bytes=3))
    with session_scope(url) as s:  # deleting the document cascades to pages and crops
        s.delete(s.get(Document, d.id))
    with session_scope(url) as s:
        assert s.scalars(select(Crop)).all() == []
        assert s.scalars(select(Page)).all() == []


def test_sqlite_migrations_and_cascades(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _check_schema(url)
    _exercise(url)
    downgrade(url)
    assert "crops" not in inspect(get_engine(url)).get_table_names()


@pytest.mark.integration
def test_postgres_migrations_and_cascades(pg_url):
    _check_schema(pg_url)
    _exercise(pg_url)
    downgrade(pg_url)
    assert "crops" not in inspect(get_engine(pg_url)).get_table_names()

"""The database computes the same id summary as the index, on SQLite and on PostgreSQL, from
the partial index that migration 0002 adds."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, inspect, text

from docagent.db.migrate import downgrade, upgrade
from docagent.db.models import Collection, Crop, Document, Page, Tenant
from docagent.db.session import get_engine, session_scope
from docagent.indexes import db_summary
from indexing.search import IdSummary

# Above the square prime and near 2^40: the SQL must reduce before it multiplies.
BIG_IDS = [IdSummary.SQUARE_PRIME + 11, 2**40 + 3]


def _collection(url: str, name: str) -> tuple[str, str, int]:
    """A collection with one document and page; returns their ids."""
    with session_scope(url) as s:
        tenant = s.query(Tenant).filter_by(name="acme").one_or_none() or Tenant(name="acme")
        s.add(tenant)
        s.flush()
        coll = Collection(tenant_id=tenant.id, name=name, embedder="hash-ngram", embedding_dim=4)
        s.add(coll)
        s.flush()
        doc = Document(tenant_id=tenant.id, collection_id=coll.id, filename=f"{name}.pdf",
                       sha256=name.ljust(64, "0"), size_bytes=1)
        s.add(doc)
        s.flush()
        page = Page(document_id=doc.id, number=1, width=595, height=842, text_source="text-layer")
        s.add(page)
        s.flush()
        return coll.id, doc.id, page.id


def _add_crops(url: str, where: tuple[str, str, int], n: int, *, vector: bool = True,
               ids: list[int] | None = None) -> list[int]:
    coll_id, doc_id, page_id = where
    blob = np.ones(4, np.float32).tobytes() if vector else None
    with session_scope(url) as s:
        tenant_id = s.get_one(Collection, coll_id).tenant_id
        crops = [Crop(id=ids[i] if ids else None, tenant_id=tenant_id, collection_id=coll_id,
                      document_id=doc_id, page_id=page_id, order=i, kind="text", x0=0, y0=0,
                      x1=1, y1=1, text="t", text_source="text-layer", vector=blob)
                 for i in range(n)]
        s.add_all(crops)
        s.flush()
        return [c.id for c in crops]


def _summary(url: str, coll_id: str) -> IdSummary:
    with session_scope(url) as s:
        return db_summary(s, coll_id)


def _check_summary_follows_the_crops(url: str) -> None:
    upgrade(url)
    where = _collection(url, "c")
    other = _collection(url, "other")
    assert _summary(url, where[0]) == IdSummary.of_ids([])
    ids = _add_crops(url, where, 5) + _add_crops(url, where, 2, ids=BIG_IDS)
    _add_crops(url, where, 3, vector=False)  # no vector: never indexed, never counted
    _add_crops(url, other, 4)  # another collection's crops
    first = _summary(url, where[0])
    assert first == IdSummary.of_ids(ids) and first.count == 7 and first.id_max == 2**40 + 3
    added = _add_crops(url, where, 1)
    assert _summary(url, where[0]) == IdSummary.of_ids(ids + added) != first
    with session_scope(url) as s:
        s.execute(delete(Crop).where(Crop.id.in_([ids[0], added[0]])))
    assert _summary(url, where[0]) == IdSummary.of_ids(ids[1:])


def _check_migration(url: str) -> None:
    def names() -> set[str]:
        return {ix["name"] for ix in inspect(get_engine(url)).get_indexes("crops")}

    upgrade(url)
    assert "ix_crops_indexed" in names()
    downgrade(url, "0001")
    assert "ix_crops_indexed" not in names() and "ix_crops_collection_id" in names()
    upgrade(url)
    assert "ix_crops_indexed" in names()


def test_sqlite_summary_follows_the_crops(tmp_path):
    _check_summary_follows_the_crops(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_sqlite_summary_uses_the_partial_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _check_migration(url)
    with get_engine(url).connect() as conn:
        plan = conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT count(*), sum(id), max(id) FROM crops "
            "WHERE collection_id = 'x' AND vector IS NOT NULL")).all()
    assert "USING INDEX ix_crops_indexed" in " ".join(str(r[-1]) for r in plan)


@pytest.mark.integration
def test_postgres_summary_follows_the_crops(pg_url):
    _check_summary_follows_the_crops(pg_url)


@pytest.mark.integration
def test_postgres_migration_adds_the_partial_index(pg_url):
    _check_migration(pg_url)

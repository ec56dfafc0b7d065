"""The database computes the same id summary as the index, on SQLite and on PostgreSQL, over
the passages of a collection, from an index alone; migration 0003 moves indexed crops into
passages without losing a row."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, inspect, text

from docagent.db.migrate import downgrade, upgrade
from docagent.db.models import Collection, Crop, Document, Page, Passage, Tenant
from docagent.db.session import get_engine, session_scope
from docagent.indexes import db_summary, summary_statement
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


def _add_passages(url: str, where: tuple[str, str, int], n: int,
                  ids: list[int] | None = None) -> list[int]:
    coll_id, doc_id, page_id = where
    with session_scope(url) as s:
        tenant_id = s.get_one(Collection, coll_id).tenant_id
        rows = [Passage(id=ids[i] if ids else None, tenant_id=tenant_id, collection_id=coll_id,
                        document_id=doc_id, page_id=page_id, level="page", text="", terms=["t"])
                for i in range(n)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _summary(url: str, coll_id: str) -> IdSummary:
    with session_scope(url) as s:
        return db_summary(s, coll_id)


def _check_summary_follows_the_passages(url: str) -> None:
    upgrade(url)
    where = _collection(url, "c")
    other = _collection(url, "other")
    assert _summary(url, where[0]) == IdSummary.of_ids([])
    ids = _add_passages(url, where, 5) + _add_passages(url, where, 2, ids=BIG_IDS)
    _add_passages(url, other, 4)  # another collection's passages
    first = _summary(url, where[0])
    assert first == IdSummary.of_ids(ids) and first.count == 7 and first.id_max == 2**40 + 3
    added = _add_passages(url, where, 1)
    assert _summary(url, where[0]) == IdSummary.of_ids(ids + added) != first
    with session_scope(url) as s:
        s.execute(delete(Passage).where(Passage.id.in_([ids[0], added[0]])))
    assert _summary(url, where[0]) == IdSummary.of_ids(ids[1:])


def _check_migration_keeps_indexed_crops(url: str) -> None:
    """A 0002 database's indexed crops become crop passages; no crop row is lost."""
    upgrade(url, "0002")
    coll_id, doc_id, page_id = _collection_at_0002(url)
    blob = np.ones(4, np.float32).tobytes()
    with get_engine(url).begin() as conn:
        for i, vector in enumerate([blob, blob, None]):
            conn.execute(text(
                "INSERT INTO crops (tenant_id, collection_id, document_id, page_id, \"order\", kind, "
                "x0, y0, x1, y1, text, text_source, terms, vector) VALUES ('t', :c, :d, :p, :o, "
                "'text', 0, 0, 1, 1, :txt, 'text-layer', :terms, :v)"),
                {"c": coll_id, "d": doc_id, "p": page_id, "o": i, "txt": f"crop {i}",
                 "terms": f'["term{i}"]', "v": vector})
    upgrade(url)
    with session_scope(url) as s:
        assert s.query(Crop).count() == 3
        passages = s.query(Passage).order_by(Passage.id).all()
        assert [(p.level, p.text, p.terms) for p in passages] == [
            ("crop", "crop 0", ["term0"]), ("crop", "crop 1", ["term1"])]
        assert passages[0].vector == blob and passages[0].crop_id is not None
    names = {ix["name"] for ix in inspect(get_engine(url)).get_indexes("passages")}
    assert "ix_passages_collection_id" in names
    downgrade(url, "0002")
    with get_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT terms, vector FROM crops ORDER BY id")).all()
    assert [r.vector for r in rows] == [blob, blob, None]
    assert {ix["name"] for ix in inspect(get_engine(url)).get_indexes("crops")} >= {"ix_crops_indexed"}
    upgrade(url)


def _collection_at_0002(url: str) -> tuple[str, str, int]:
    with get_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('t', 'acme', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO collections (id, tenant_id, name, embedder, embedding_dim, "
                          "created_at) VALUES ('c', 't', 'c', 'hash-ngram', 4, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO documents (id, tenant_id, collection_id, filename, sha256, "
                          "size_bytes, page_count, crop_count, status, created_at) VALUES ('d', 't', "
                          "'c', 'a.pdf', 'x', 1, 1, 3, 'indexed', CURRENT_TIMESTAMP)"))
        page_id = conn.execute(text(
            "INSERT INTO pages (document_id, number, width, height, text_source, image_dpi) "
            "VALUES ('d', 1, 595, 842, 'text-layer', 144) RETURNING id")).scalar_one()
    return "c", "d", page_id


def test_sqlite_summary_follows_the_passages(tmp_path):
    _check_summary_follows_the_passages(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_sqlite_summary_reads_only_the_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    statement = summary_statement("x").compile(get_engine(url), compile_kwargs={"literal_binds": True})
    with get_engine(url).connect() as conn:
        plan = conn.execute(text(f"EXPLAIN QUERY PLAN {statement}")).all()
    assert "USING COVERING INDEX ix_passages_collection_id" in " ".join(str(r[-1]) for r in plan)


def test_sqlite_migration_keeps_indexed_crops(tmp_path):
    _check_migration_keeps_indexed_crops(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.integration
def test_postgres_summary_follows_the_passages(pg_url):
    _check_summary_follows_the_passages(pg_url)


@pytest.mark.integration
def test_postgres_migration_keeps_indexed_crops(pg_url):
    _check_migration_keeps_indexed_crops(pg_url)

"""The database and the index agree after any crash: ids come from the database, and an index
found behind or ahead of it is rebuilt from it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from docagent.db.models import Collection, Crop, Document
from docagent.db.session import session_scope
from docagent.ingest import Ingestor
from docagent.intake import Upload
from docagent.search import search
from indexing.search import CollectionIndex

from .conftest import PARAGRAPHS


def _ingest(settings, *docs: tuple[str, bytes]):
    ing = Ingestor(settings)
    job_id, _ = ing.submit("default", "c", [Upload(name, data) for name, data in docs])
    return ing.run_job(job_id)


def _raw_index(settings) -> CollectionIndex:
    with session_scope(settings.database_url) as s:
        coll = s.scalars(select(Collection)).one()
        return CollectionIndex.open(settings.index_dir / coll.id, coll.embedder, coll.embedding_dim)


def _db_ids(settings) -> set[int]:
    with session_scope(settings.database_url) as s:
        return set(s.scalars(select(Crop.id).where(Crop.vector.is_not(None))))


def test_index_ids_are_database_ids(settings, sample_pdf):
    _ingest(settings, ("a.pdf", sample_pdf))
    assert set(_raw_index(settings).ids().tolist()) == _db_ids(settings) != set()


def test_crash_after_commit_before_index_save_is_repaired(settings, sample_pdf, sample_png, monkeypatch):
    _ingest(settings, ("a.png", sample_png))

    class Killed(BaseException):
        pass

    def killed(*_a, **_k):
        raise Killed

    with monkeypatch.context() as m, pytest.raises(Killed):
        m.setattr(CollectionIndex, "add", killed)  # dies between the commit and the index
        _ingest(settings, ("b.pdf", sample_pdf))
    assert set(_raw_index(settings).ids().tolist()) < _db_ids(settings)  # index behind
    hits = search(settings, "default", "c", "광합성 과정", k=20)
    assert set(_raw_index(settings).ids().tolist()) == _db_ids(settings)
    assert any("광합성" in h.text and h.filename == "b.pdf" for h in hits)


def test_index_ahead_of_database_is_repaired(settings, sample_pdf):
    (row,) = _ingest(settings, ("a.pdf", sample_pdf))
    with session_scope(settings.database_url) as s:  # rows vanish, the index does not hear of it
        s.execute(delete(Crop).where(Crop.document_id == row.id))
        s.execute(delete(Document).where(Document.id == row.id))
    assert search(settings, "default", "c", "서울특별시", k=5) == []
    assert set(_raw_index(settings).ids().tolist()) == set()


def test_lost_index_files_are_rebuilt(settings, sample_pdf):
    _ingest(settings, ("a.pdf", sample_pdf))
    before = [h.crop_id for h in search(settings, "default", "c", PARAGRAPHS[1], k=3)]
    for f in settings.index_dir.rglob("*"):
        if f.is_file():
            f.unlink()
    after = [h.crop_id for h in search(settings, "default", "c", PARAGRAPHS[1], k=3)]
    assert after == before and after


def test_tenants_do_not_see_each_other(settings, sample_pdf):
    ing = Ingestor(settings)
    job, _ = ing.submit("acme", "c", [Upload("a.pdf", sample_pdf)])
    ing.run_job(job)
    from docagent.errors import NotFoundError

    with pytest.raises(NotFoundError):
        search(settings, "other", "c", "서울특별시")
    assert search(settings, "acme", "c", "서울특별시")

"""The database and the index agree after any crash: ids come from the database, and an index
found behind or ahead of it is rebuilt from it. A process caches its index and checks it on
each query by a summary the database aggregates, so other processes' writes are seen too."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import delete, select

import docagent.indexes
from docagent.db.models import Collection, Crop, Document, Passage
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
        return set(s.scalars(select(Passage.id)))


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
        m.setattr(CollectionIndex, "add_units", killed)  # dies between the commit and the index
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


def test_cached_index_is_checked_by_summary_and_still_repaired(settings, sample_pdf, sample_png,
                                                                monkeypatch):
    _ingest(settings, ("a.png", sample_png))
    search(settings, "default", "c", "서울특별시")  # the index is now cached in this process
    full_reads = []
    real = docagent.indexes.db_unit_ids
    monkeypatch.setattr(docagent.indexes, "db_unit_ids", lambda *a: full_reads.append(1) or real(*a))
    assert search(settings, "default", "c", "서울특별시") and full_reads == []

    class Killed(BaseException):
        pass

    def killed(*_a, **_k):
        raise Killed  # dies between the commit and the index

    with monkeypatch.context() as m, pytest.raises(Killed):
        m.setattr(CollectionIndex, "add_units", killed)
        _ingest(settings, ("b.pdf", sample_pdf))
    hits = search(settings, "default", "c", "광합성 과정", k=20)  # cheap check finds it behind
    assert any(h.filename == "b.pdf" for h in hits) and full_reads == []
    assert set(_raw_index(settings).ids().tolist()) == _db_ids(settings)


_ELSEWHERE = """
import os, sys
from pathlib import Path
from docagent.ingest import Ingestor
from docagent.intake import Upload
from docagent.settings import Settings
from indexing.search import CollectionIndex

path = Path(sys.argv[1])
if sys.argv[2] == "die-before-index":
    CollectionIndex.add_units = lambda *a, **k: os._exit(9)
ing = Ingestor(Settings())
job, _ = ing.submit("default", "c", [Upload(path.name, path.read_bytes())])
ing.run_job(job)
"""


def _ingest_elsewhere(tmp_path, name: str, data: bytes, how: str = "complete") -> int:
    """Ingest in another process (same DOCAGENT_HOME, from the environment); its exit code."""
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run([sys.executable, "-c", _ELSEWHERE, str(path), how], timeout=240).returncode


def test_query_sees_another_process_ingest(settings, sample_pdf, tmp_path):
    from vlm.synth.pdf import text_pdf

    _ingest(settings, ("a.pdf", sample_pdf))
    assert not search(settings, "default", "c", "제주도 한라산")  # cached here from now on
    jeju = text_pdf("제주", ["제주도는 한국에서 가장 큰 섬이며 한라산이 있다."]).pdf
    assert _ingest_elsewhere(tmp_path, "jeju.pdf", jeju) == 0  # saved its index: reloaded here
    assert search(settings, "default", "c", "제주도 한라산")[0].filename == "jeju.pdf"
    ulleung = text_pdf("울릉", ["울릉도는 동해에 있는 화산섬으로 오징어가 유명하다."]).pdf
    assert _ingest_elsewhere(tmp_path, "ulleung.pdf", ulleung, "die-before-index") == 9
    assert set(_raw_index(settings).ids().tolist()) < _db_ids(settings)  # committed, not indexed
    assert search(settings, "default", "c", "울릉도 오징어")[0].filename == "ulleung.pdf"
    assert set(_raw_index(settings).ids().tolist()) == _db_ids(settings)

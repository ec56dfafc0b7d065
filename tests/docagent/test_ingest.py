"""Service-level ingestion: good files are indexed, each bad file fails its own row."""

from __future__ import annotations

from pathlib import Path

import pytest

from docagent.ingest import Ingestor
from docagent.intake import uploads_from_paths
from docagent.search import search
from indexing.archive import ArchiveLimits

HELPERS = Path(__file__).parents[1] / "indexing" / "helpers"


def _ingest(settings, paths: list[Path], collection: str = "c"):
    ing = Ingestor(settings)
    limits = ArchiveLimits(max_member_bytes=settings.max_upload_mb * 2**20)
    uploads = list(uploads_from_paths(paths, settings.max_upload_mb * 2**20, limits))
    job_id, rows = ing.submit("default", collection, uploads)
    done = {r.id: r for r in ing.run_job(job_id)}
    return [done.get(r.id, r) for r in rows]


def test_pdf_and_image_are_indexed_and_searchable(settings, tmp_path, sample_pdf, sample_png):
    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    (tmp_path / "b.png").write_bytes(sample_png)
    rows = _ingest(settings, [tmp_path / "a.pdf", tmp_path / "b.png"])
    assert [r.status for r in rows] == ["indexed", "indexed"], rows
    assert all(r.pages == 1 and r.crops >= 1 for r in rows)
    hits = search(settings, "default", "c", "회사의 매출액은 얼마인가", k=3)
    assert hits and "매출액" in hits[0].text
    top = hits[0]
    assert top.page == 1 and top.bbox[0] < top.bbox[2] <= top.page_size[0] and top.bbox[1] < top.bbox[3]


def test_same_bytes_twice_is_a_no_op(settings, tmp_path, sample_pdf):
    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    (tmp_path / "copy.pdf").write_bytes(sample_pdf)
    first = _ingest(settings, [tmp_path / "a.pdf"])
    again = _ingest(settings, [tmp_path / "copy.pdf"])
    assert again[0].id == first[0].id and again[0].status == "indexed"
    hits = search(settings, "default", "c", "서울특별시", k=10)
    assert len({h.crop_id for h in hits}) == len(hits)
    assert len([h for h in hits if "서울특별시" in h.text]) == 1  # not indexed twice


EXPECTED_REASONS = {
    "empty.pdf": "empty",
    "notes.pdf": "unsupported_format",
    "truncated.pdf": "corrupt",
    "garbage.pdf": "corrupt",
    "locked.pdf": "encrypted",
    "scan.pdf": "unsupported_format",
    "huge.png": "too_large",
}


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_inputs_fail_their_own_rows(settings, tmp_path, bad_inputs, sample_pdf, workers):
    """With page workers, documents are opened ahead and share the pool: each row still
    gets its own outcome."""
    settings = settings.model_copy(update={"ingest_workers": workers})
    batch = tmp_path / "batch"
    batch.mkdir()
    for name, data in bad_inputs.items():
        (batch / name).write_bytes(data)
    (batch / "good.pdf").write_bytes(sample_pdf + b"\n")  # different bytes from the zip member
    before = {p for p in tmp_path.parent.rglob("*") if "home" not in p.parts}
    rows = {r.filename.split("batch/")[-1]: r for r in _ingest(settings, [batch])}
    assert rows["good.pdf"].status == "indexed"
    assert rows["traversal.zip/inner/ok.pdf"].status == "indexed"
    bad = rows["traversal.zip/../../escaped.pdf"]
    assert bad.status == "failed" and "path" in bad.error.lower()
    for name in EXPECTED_REASONS:
        row = rows[name]
        assert row.status == "failed" and row.error and len(row.error) > 15, (name, row)
    # nothing escaped DOCAGENT_HOME
    after = {p for p in tmp_path.parent.rglob("*") if "home" not in p.parts}
    assert not any(p.name == "escaped.pdf" for p in after - before)


def test_error_codes_are_specific(settings, tmp_path, bad_inputs):
    from docagent.db.models import Document
    from docagent.db.session import session_scope

    for name in EXPECTED_REASONS:
        (tmp_path / name).write_bytes(bad_inputs[name])
    rows = _ingest(settings, [tmp_path / n for n in EXPECTED_REASONS])
    with session_scope(settings.database_url) as s:
        codes = {s.get(Document, r.id).filename: s.get(Document, r.id).error_code for r in rows}
    assert codes == EXPECTED_REASONS


def test_page_limit(settings, tmp_path, long_pdf, monkeypatch):
    import pymupdf

    n = pymupdf.open(stream=long_pdf, filetype="pdf").page_count
    assert n > 2
    settings.max_pages = n - 1
    (tmp_path / "long.pdf").write_bytes(long_pdf)
    (row,) = _ingest(settings, [tmp_path / "long.pdf"])
    assert row.status == "failed" and str(n - 1) in row.error


@pytest.mark.parametrize("limit_mb", [1])
def test_upload_size_limit(settings, tmp_path, limit_mb):
    settings.max_upload_mb = limit_mb
    (tmp_path / "big.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (limit_mb * 2**20 + 10))
    (row,) = _ingest(settings, [tmp_path / "big.pdf"])
    assert row.status == "failed" and "MB" in row.error


def test_a_job_killed_while_writing_a_document_is_resumed_once(settings, tmp_path, sample_pdf, monkeypatch):
    """A run killed while a document is being written leaves it 'running'; running the job
    again processes it once, with no duplicate pages or crops."""
    from docagent.db.models import Crop, Document, DocumentStatus
    from docagent.db.session import session_scope

    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    ing = Ingestor(settings)
    limits = ArchiveLimits()
    uploads = list(uploads_from_paths([tmp_path / "a.pdf"], 2**30, limits))
    job_id, rows = ing.submit("default", "c", uploads)

    class Killed(BaseException):
        pass

    def killed(*_a, **_k):
        raise Killed

    with monkeypatch.context() as m, pytest.raises(Killed):
        m.setattr("docagent.pagewriter.PageWriter.write", killed)
        ing.run_job(job_id)
    with session_scope(settings.database_url) as s:
        assert s.get(Document, rows[0].id).status == DocumentStatus.RUNNING
    (done,) = Ingestor(settings).run_job(job_id)
    assert done.status == "indexed"
    with session_scope(settings.database_url) as s:
        n = s.query(Crop).filter(Crop.document_id == done.id).count()
    assert n == done.crops > 0


def crop_texts(settings, doc_id: str) -> list[tuple[int, int, str, str]]:
    from docagent.db.models import Crop
    from docagent.db.session import session_scope

    with session_scope(settings.database_url) as s:
        crops = s.query(Crop).filter(Crop.document_id == doc_id).all()
        return sorted((c.page.number, c.order, c.kind, c.text) for c in crops)


def test_a_page_worker_killed_mid_document_loses_no_page(settings, tmp_path, long_pdf, monkeypatch):
    """A page worker process dies while it holds page 2 of 5: the chunks it broke run again,
    and the document is indexed whole, as it is without the crash."""
    from indexing import pagepool

    monkeypatch.syspath_prepend(str(HELPERS))
    from crashing_worker import CRASH_ONCE, crash_once_on_page_two

    settings = settings.model_copy(update={"ingest_workers": 2})
    (tmp_path / "long.pdf").write_bytes(long_pdf)
    (reference,) = _ingest(settings, [tmp_path / "long.pdf"], collection="reference")
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_ONCE, str(marker))
    monkeypatch.setattr("indexing.pagepool._work_chunk", crash_once_on_page_two)
    pagepool.shutdown_pool()  # the workers started from here on see the marker's path
    try:
        (row,) = _ingest(settings, [tmp_path / "long.pdf"], collection="crashed")
    finally:
        pagepool.shutdown_pool()
    assert marker.exists()  # a worker really died
    assert row.status == "indexed" and row.id != reference.id
    assert row.pages == reference.pages == 5 and row.crops == reference.crops
    assert crop_texts(settings, row.id) == crop_texts(settings, reference.id)
    assert {page for page, *_ in crop_texts(settings, row.id)} == {1, 2, 3, 4, 5}


def test_a_lone_one_page_document_is_read_without_starting_workers(settings, tmp_path, sample_pdf):
    from indexing import pagepool

    pagepool.shutdown_pool()
    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    rows = _ingest(settings.model_copy(update={"ingest_workers": 2}), [tmp_path / "a.pdf"])
    assert [r.status for r in rows] == ["indexed"]
    assert pagepool._POOL is None

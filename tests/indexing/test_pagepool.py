"""PagePool: pages of several documents through shared workers, in order per document,
bounded memory, and a worker crash that fails only the document that caused it."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from indexing.errors import CorruptDocumentError
from indexing.model import TextSource
from indexing.pagepool import PagePool, chunk_pages, shutdown_pool
from indexing.pipeline import PipelineOptions
from indexing.sources import open_source
from vlm.synth import pdf as synth

HELPERS = Path(__file__).parent / "helpers"


def texts(pages) -> list[str]:
    return [" ".join(r.text for r in p.regions) for p in pages]


def marked_pdf(marker: str, pages: int = 3) -> bytes:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page()
        page.insert_text((72, 100), f"{marker} page {n + 1} of the document", fontsize=14)
    return doc.tobytes()


@pytest.fixture
def fresh_workers():
    shutdown_pool()
    yield
    shutdown_pool()


def test_chunks_cover_every_page_once_in_order():
    for total in (1, 2, 7, 16, 17, 100, 1000):
        for workers in (1, 2, 4):
            chunks = chunk_pages(total, workers)
            assert [n for c in chunks for n in c] == list(range(1, total + 1))
            assert max(len(c) for c in chunks) <= 8


def test_documents_submitted_together_come_back_whole_and_in_order(long_pdf, fresh_workers):
    serial = {}
    for name in ("a", "b", "c"):
        with PagePool(PipelineOptions(workers=1)) as pool:
            serial[name] = texts(pool.submit(open_source(marked_pdf(name.upper()), f"{name}.pdf")))
    with PagePool(PipelineOptions(workers=2), ahead_pages=4) as pool:
        handles = {n: pool.submit(open_source(marked_pdf(n.upper()), f"{n}.pdf")) for n in ("a", "b", "c")}
        long_handle = pool.submit(open_source(long_pdf.pdf, "long.pdf"))
        got = {n: texts(h) for n, h in handles.items()}
        long_pages = list(long_handle)
    assert got == serial
    assert [p.number for p in long_pages] == [1, 2, 3]
    assert "보고서" in texts(long_pages)[0]
    assert pool._pending == 0


def test_a_worker_crash_fails_only_its_document(fresh_workers, monkeypatch):
    monkeypatch.syspath_prepend(str(HELPERS))
    from crashing_worker import crash_on_marker

    monkeypatch.setattr("indexing.pagepool._work_chunk", crash_on_marker)
    with PagePool(PipelineOptions(workers=2)) as pool:
        before = pool.submit(open_source(marked_pdf("GOOD"), "before.pdf"))
        bad = pool.submit(open_source(marked_pdf("CRASH", pages=2), "bad.pdf"))
        after = pool.submit(open_source(marked_pdf("FINE", pages=4), "after.pdf"))
        assert [p.number for p in before] == [1, 2, 3]
        with pytest.raises(CorruptDocumentError, match=r"bad\.pdf: processing crashed on page 1"):
            list(bad)
        pages = list(after)
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert all("FINE" in t for t in texts(pages))


def test_the_pool_is_kept_across_documents_and_replaced_when_a_worker_grows(fresh_workers, monkeypatch):
    from indexing import pagepool

    def read(marker: str) -> list[str]:
        with PagePool(PipelineOptions(workers=2)) as pool:
            return texts(pool.submit(open_source(marked_pdf(marker, pages=4), f"{marker}.pdf")))

    read("ONE")
    first = pagepool._POOL
    assert all("TWO" in t for t in read("TWO")) and pagepool._POOL is first
    monkeypatch.setattr(pagepool, "WORKER_MAX_RSS", 0)  # every worker is now too big
    read("THREE")  # its chunks report the memory of the workers that ran them
    assert all("FOUR" in t for t in read("FOUR")) and pagepool._POOL is not first


def test_an_abandoned_document_frees_its_place(fresh_workers):
    with PagePool(PipelineOptions(workers=2), ahead_pages=2) as pool:
        first = pool.submit(open_source(marked_pdf("FIRST", pages=6), "first.pdf"))
        second = pool.submit(open_source(marked_pdf("SECOND", pages=3), "second.pdf"))
        records = first.records()
        assert next(records).number == 1
        records.close()  # the caller gave up on this document
        assert [p.number for p in second] == [1, 2, 3]
        assert pool._pending == 0


def test_submit_after_close_is_refused():
    pool = PagePool(PipelineOptions(workers=2))
    pool.close()
    with pytest.raises(RuntimeError, match="after close"):
        pool.submit(open_source(marked_pdf("X", pages=1), "x.pdf"))


def test_serial_pool_needs_no_workers(korean_pdf):
    with PagePool(PipelineOptions(workers=1)) as pool:
        pages = list(pool.submit(open_source(korean_pdf.pdf, "k.pdf")))
    assert pool._feeder is None and len(pages) == 1 and "보고서" in texts(pages)[0]


def test_scanned_and_text_documents_share_the_pool(korean_pdf, ocr_ready, fresh_workers):
    scan = synth.rasterise(korean_pdf.pdf, dpi=200)
    with PagePool(PipelineOptions(workers=2)) as pool:
        a = pool.submit(open_source(scan, "scan.pdf"))
        b = pool.submit(open_source(korean_pdf.pdf, "text.pdf"))
        scanned, text = list(a), list(b)
    assert scanned[0].text_source == TextSource.OCR and text[0].text_source == TextSource.TEXT_LAYER
    assert "사업" in texts(scanned)[0] and "사업" in texts(text)[0]


def test_an_in_process_document_starts_no_workers(korean_pdf, fresh_workers):
    from indexing import pagepool

    with PagePool(PipelineOptions(workers=2)) as pool:
        pages = list(pool.submit(open_source(korean_pdf.pdf, "k.pdf"), in_process=True))
    assert len(pages) == 1 and "보고서" in texts(pages)[0]
    assert pool._feeder is None and pagepool._POOL is None


def test_a_one_page_document_is_read_here_only_while_no_workers_run(fresh_workers, monkeypatch):
    from indexing import pagepool

    assert pagepool.read_here(1, 2) and not pagepool.read_here(2, 2)
    with PagePool(PipelineOptions(workers=2)) as pool:  # three pages: the workers start
        assert len(list(pool.submit(open_source(marked_pdf("first"), "a.pdf")))) == 3
    assert pagepool.workers_running(2) and not pagepool.workers_running(3)
    assert not pagepool.read_here(1, 2) and pagepool.read_here(1, 3)

    def not_here(*_a, **_k):
        raise AssertionError("the page was read in this process")

    monkeypatch.setattr(pagepool, "process_pages", not_here)  # the workers have their own
    pages = list(pagepool.process_document(open_source(marked_pdf("second", pages=1), "b.pdf"),
                                           PipelineOptions(workers=2)))
    assert texts(pages) == ["second page 1 of the document"]

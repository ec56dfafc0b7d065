"""Ingestion: uploads in, documents with pages, crops, terms, vectors and an index out.

``submit`` registers uploads (originals stored by content hash; the same bytes in the same
collection return the existing document) and creates an ingest Job. ``run_job`` processes the
job's documents; it is idempotent, so a job interrupted by a crash can simply be run again.
Each document is written in one transaction (pages, crops, status) and then added to the
index, so the database never holds half a document.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from docagent.catalog import get_or_create_collection, get_or_create_tenant
from docagent.db.migrate import upgrade
from docagent.db.models import (
    Collection,
    Crop,
    Document,
    DocumentStatus,
    Job,
    JobStatus,
    Page,
    Passage,
)
from docagent.db.session import session_scope
from docagent.indexes import add_to_index, embedder_for
from docagent.intake import Upload
from docagent.jobs import JobCancelled, finish
from docagent.pagewriter import PageWriter
from docagent.passages import units_of
from docagent.settings import Settings
from docagent.store import FileStore, sha256_hex
from indexing.errors import BadInputError
from indexing.pagepool import DocumentPages, PagePool, read_here
from indexing.pipeline import PipelineOptions
from indexing.sources import DocumentSource, SourceLimits, open_source
from indexing.units import Unit

log = logging.getLogger(__name__)

# progress(document_index, document_count, pages_done, page_count, filename)
Progress = Callable[[int, int, int, int, str], None]
_PROGRESS_COMMIT_S = 0.5


@dataclass(slots=True)
class DocumentRow:
    """One line of the ``ingest --json`` report (the CLI contract)."""

    id: str | None
    filename: str
    pages: int
    crops: int
    status: str
    error: str | None

    @classmethod
    def of(cls, doc: Document) -> DocumentRow:
        return cls(doc.id, doc.filename, doc.page_count, doc.crop_count, doc.status, doc.error)

    def to_json(self) -> dict:
        return asdict(self)


class Ingestor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = FileStore(settings.files_dir)
        upgrade(settings.database_url)

    # -- registering -----------------------------------------------------------------------
    def submit(self, tenant_name: str, collection_name: str, uploads: list[Upload], *,
               kind: str = "ingest", callbacks: list[dict] | None = None,
               resume: bool = False) -> tuple[str, list[DocumentRow]]:
        """Store uploads and create their documents and a job; returns (job id, rows).

        ``resume`` (batches) also takes documents left queued or running by an earlier run
        that stopped, so a re-run finishes them; otherwise those belong to their own job."""
        embedder = embedder_for(self.settings.embedder)
        with session_scope(self.settings.database_url) as s:
            tenant = get_or_create_tenant(s, tenant_name)
            coll = get_or_create_collection(s, tenant, collection_name, embedder.name, embedder.dim)
            docs = [self._register(s, tenant.id, coll.id, up) for up in uploads]
            todo = (DocumentStatus.QUEUED, DocumentStatus.RUNNING) if resume else (DocumentStatus.QUEUED,)
            to_run = list(dict.fromkeys(d.id for d in docs if d.status in todo))
            job = Job(tenant_id=tenant.id, collection_id=coll.id, kind=kind,
                      document_ids=to_run, total=len(to_run), callbacks=callbacks or None)
            s.add(job)
            s.flush()
            return job.id, [DocumentRow.of(d) for d in docs]

    def register_into(self, job_id: str, uploads: Iterable[Upload], *, chunk: int = 50,
                      on_document: Callable[[DocumentRow], None] | None = None) -> list[DocumentRow]:
        """Register a stream of uploads (a batch) into the job's collection and documents,
        ``chunk`` per transaction, holding one upload's bytes at a time. Documents left
        queued or running by an earlier run are taken again; indexed ones are skipped."""
        rows: list[DocumentRow] = []
        it = iter(uploads)
        while True:
            part = [up for _, up in zip(range(chunk), it, strict=False)]
            if not part:
                return rows
            with session_scope(self.settings.database_url) as s:
                job = s.get_one(Job, job_id)
                docs = [self._register(s, job.tenant_id, job.collection_id, up) for up in part]
                todo = [d.id for d in docs if d.status in (DocumentStatus.QUEUED, DocumentStatus.RUNNING)]
                job.document_ids = list(dict.fromkeys([*(job.document_ids or []), *todo]))
                job.total = len(job.document_ids)
                new_rows = [DocumentRow.of(d) for d in docs]
            rows.extend(new_rows)
            for row in new_rows:
                if on_document:
                    on_document(row)

    def _register(self, s: Session, tenant_id: str, coll_id: str, up: Upload) -> Document:
        if up.data is None:
            doc = Document(tenant_id=tenant_id, collection_id=coll_id, filename=up.filename,
                           sha256=None, size_bytes=0, status=DocumentStatus.FAILED,
                           error=up.error, error_code=up.error_code)
            _describe(doc, up)
            s.add(doc)
            s.flush()
            return doc
        digest = sha256_hex(up.data)
        existing = s.scalar(select(Document).where(
            Document.collection_id == coll_id, Document.sha256 == digest))
        if existing is not None:
            _describe(existing, up)
        if existing is not None and existing.status != DocumentStatus.FAILED:
            return existing  # same bytes already in this collection: a no-op
        self.store.put(up.data)
        if existing is not None:  # a failed document gets another try
            existing.status, existing.error, existing.error_code = DocumentStatus.QUEUED, None, None
            existing.filename = up.filename
            return existing
        doc = Document(tenant_id=tenant_id, collection_id=coll_id, filename=up.filename,
                       sha256=digest, size_bytes=len(up.data), status=DocumentStatus.QUEUED)
        _describe(doc, up)
        s.add(doc)
        s.flush()
        return doc

    # -- processing ------------------------------------------------------------------------
    def run_job(self, job_id: str, progress: Progress | None = None,
                result: Callable[[list[DocumentRow]], dict] | None = None) -> list[DocumentRow]:
        """Process the job's documents, writing each one as soon as its pages are done.

        Documents are opened a few ahead and their pages queued on one ``PagePool``, so the
        page workers go on with the next documents while this thread writes the finished one
        (terms, vectors, rows, index) and never wait for a document's slowest page.
        ``result`` builds the job's result from its documents (a batch's report); it is
        written in the transaction that marks the job succeeded, so no reader ever sees a
        finished job without it."""
        url = self.settings.database_url
        with session_scope(url) as s:
            job = s.get_one(Job, job_id)
            if job.status in (JobStatus.SUCCEEDED, JobStatus.CANCELLED):
                return self._rows(s, job.document_ids or [])
            job.status = JobStatus.RUNNING
            doc_ids = list(job.document_ids or [])
        tracker = _JobTracker(url, job_id, len(doc_ids), progress)
        try:
            self._run_documents(doc_ids, tracker)
        except JobCancelled:
            return self._cancelled(job_id, doc_ids)
        with session_scope(url) as s:
            job = s.get_one(Job, job_id)
            rows = self._rows(s, doc_ids)
            done = result(rows) if result is not None else {"documents": [r.to_json() for r in rows]}
            finish(s, job, JobStatus.SUCCEEDED, result=done)
            return rows

    def _run_documents(self, doc_ids: list[str], tracker: _JobTracker) -> None:
        with PagePool(self._options()) as pool:
            lone = len(doc_ids) == 1
            opened = _Lookahead(lambda i: self._open(doc_ids[i], pool, lone=lone), len(doc_ids),
                                pool.ahead_pages)
            try:
                for i in range(len(doc_ids)):
                    tracker.check_cancel()
                    read = opened.take(i)
                    if read is not None:
                        self._collect(read, lambda done, n, name, i=i: tracker.page(i, done, n, name))
                        self._commit(read)
                    tracker.document_done(i)
            finally:
                opened.close()

    def _cancelled(self, job_id: str, doc_ids: list[str]) -> list[DocumentRow]:
        """Stop: a document cut off mid-way goes back to queued with nothing of it kept."""
        with session_scope(self.settings.database_url) as s:
            for doc in s.scalars(select(Document).where(Document.id.in_(doc_ids),
                                                        Document.status == DocumentStatus.RUNNING)):
                self._clear_partial(s, doc)
                doc.status = DocumentStatus.QUEUED
            job = s.get_one(Job, job_id)
            rows = self._rows(s, doc_ids)
            finish(s, job, JobStatus.CANCELLED, result={"documents": [r.to_json() for r in rows]})
            return rows

    def _rows(self, s: Session, doc_ids: list[str]) -> list[DocumentRow]:
        return [DocumentRow.of(s.get_one(Document, d)) for d in doc_ids]

    def ingest_document(self, doc_id: str, progress: Callable[[int, int, str], None] | None = None) -> None:
        """Process one document; its failure is recorded on its row, never raised."""
        with PagePool(self._options()) as pool:
            read = self._open(doc_id, pool, lone=True)
            if read is not None:
                self._collect(read, progress)
                self._commit(read)

    def _options(self) -> PipelineOptions:
        st = self.settings
        return PipelineOptions(dpi=st.render_dpi, ocr_dpi=st.ocr_dpi, ocr_languages=st.ocr_languages,
                               workers=st.ingest_workers or (os.cpu_count() or 1), encode_images=True,
                               page_images=st.page_images == "stored")

    def _open(self, doc_id: str, pool: PagePool, *, lone: bool = False) -> _Read | None:
        """Mark the document running, open it and queue its pages on ``pool``. None when there
        is nothing to do; a failure is carried in the result, not raised. A ``lone`` document
        (the only one of its job) of one page is read in this process while no page workers run
        (``pagepool.read_here``)."""
        with session_scope(self.settings.database_url) as s:
            doc = s.get_one(Document, doc_id)
            if doc.status in (DocumentStatus.INDEXED, DocumentStatus.FAILED):
                return None
            self._clear_partial(s, doc)  # a crash may have left a running document behind
            doc.status = DocumentStatus.RUNNING
            out = _Read(doc_id, doc.filename, doc.collection_id)
            digest = doc.sha256
        st = self.settings
        limits = SourceLimits(max_bytes=st.max_upload_mb * 2**20, max_pages=st.max_pages,
                              max_image_pixels=st.max_image_pixels)
        try:
            out.source = open_source(self.store.get(digest), out.filename, limits)
            out.kind, out.n_pages = str(out.source.kind), out.source.page_count
            out.metadata_title = (out.source.document.metadata or {}).get("title") or None
            out.pages = pool.submit(out.source, in_process=lone and read_here(out.n_pages, pool.options.workers))
        except Exception as exc:
            out.fail(exc)
            out.close()
        return out

    def _collect(self, out: _Read, progress: Callable[[int, int, str], None] | None) -> None:
        """Take the document's pages as they come (images go to the store)."""
        if out.pages is None:
            return
        out.writer = PageWriter(self.store, embedder_for(self.settings.embedder))
        try:
            for page in out.pages.records():
                out.writer.add(page)
                if progress:
                    progress(out.writer.page_count, out.n_pages, out.filename)
        except JobCancelled:
            raise
        except Exception as exc:
            out.fail(exc)
        finally:
            out.close()

    def _commit(self, done: _Read) -> None:
        """Write a read document: rows, terms and vectors in one transaction, then the index."""
        if done.error is not None:
            self._fail(done.doc_id, *done.error)
            return
        try:
            added = self._write(done)
        except Exception as exc:  # a defect: record it on this document, keep the batch going
            log.exception("writing %s failed", done.filename)
            self._fail(done.doc_id, f"internal error while writing: {exc.__class__.__name__}: {exc}", "internal")
            return
        try:
            with session_scope(self.settings.database_url) as s:
                add_to_index(self.settings, s, s.get_one(Collection, done.collection_id), added)
        except Exception:  # the document is committed; the index is rebuilt when next opened
            log.exception("index update after %s failed; it will be rebuilt from the database", done.filename)

    def _write(self, done: _Read) -> list[Unit]:
        assert done.writer is not None
        with session_scope(self.settings.database_url) as s:
            doc = s.get_one(Document, done.doc_id)
            doc.kind, doc.page_count = done.kind, done.n_pages
            doc.metadata_title = done.metadata_title
            crops, passages = done.writer.write(s, doc)
            doc.crop_count = len(crops)
            doc.status = DocumentStatus.INDEXED
            s.flush()
            return units_of(passages)

    def _clear_partial(self, s: Session, doc: Document) -> None:
        s.execute(delete(Passage).where(Passage.document_id == doc.id))
        s.execute(delete(Crop).where(Crop.document_id == doc.id))
        s.execute(delete(Page).where(Page.document_id == doc.id))

    def _fail(self, doc_id: str, message: str, code: str) -> None:
        with session_scope(self.settings.database_url) as s:
            doc = s.get_one(Document, doc_id)
            self._clear_partial(s, doc)
            doc.status, doc.error, doc.error_code = DocumentStatus.FAILED, message, code
            doc.crop_count = 0


def _describe(doc: Document, up: Upload) -> None:
    """The caller's metadata and external id, when the upload carries them."""
    if up.meta is not None:
        doc.meta = up.meta
    if up.external_id is not None:
        doc.external_id = up.external_id


@dataclass(slots=True)
class _Read:
    """A document on its way: opened (its pages queued on the pool), then collected (pages in
    its writer, images in the store), then written by ``_commit``; or failed on the way."""

    doc_id: str
    filename: str
    collection_id: str
    kind: str | None = None
    n_pages: int = 0
    metadata_title: str | None = None
    writer: PageWriter | None = None
    source: DocumentSource | None = None
    pages: DocumentPages | None = None
    error: tuple[str, str] | None = None  # (message, code) when the document failed

    def fail(self, exc: Exception) -> None:
        """Record ``exc`` as this document's failure: bad input by its code, anything else as
        an internal defect (logged; the batch goes on)."""
        if isinstance(exc, BadInputError):
            self.error = (str(exc), exc.code)
            return
        log.error("ingest of %s failed", self.filename, exc_info=exc)
        self.error = (f"internal error while processing: {exc.__class__.__name__}: {exc}", "internal")

    def close(self) -> None:
        if self.pages is not None:
            self.pages.close()
        if self.source is not None:
            self.source.close()
        self.pages = self.source = None


class _Lookahead:
    """Documents opened in order, a few ahead of the one being taken: enough that their pages
    fill ``ahead_pages`` (at most ``MAX_DOCS`` documents), so the page pool never runs dry at
    a document boundary."""

    MAX_DOCS = 4

    def __init__(self, open_doc: Callable[[int], _Read | None], count: int, ahead_pages: int) -> None:
        self.open_doc, self.count, self.ahead_pages = open_doc, count, ahead_pages
        self.opened: dict[int, _Read | None] = {}
        self.next = 0

    def take(self, i: int) -> _Read | None:
        self._top_up(i)
        read = self.opened.pop(i)
        self._top_up(i + 1)
        return read

    def _top_up(self, first: int) -> None:
        while self.next < self.count and (self.next <= first or self._ahead_ok()):
            self.opened[self.next] = self.open_doc(self.next)
            self.next += 1

    def _ahead_ok(self) -> bool:
        pages = sum(r.n_pages for r in self.opened.values() if r is not None)
        return len(self.opened) < self.MAX_DOCS and pages < self.ahead_pages

    def close(self) -> None:
        """Release documents opened but never taken (the job stopped early)."""
        for read in self.opened.values():
            if read is not None:
                read.close()
        self.opened.clear()


class _JobTracker:
    """Advances a job's progress page by page and reads its cancel flag; database writes are
    throttled."""

    def __init__(self, url: str, job_id: str, n_docs: int, progress: Progress | None) -> None:
        self.url, self.job_id, self.n_docs, self.progress = url, job_id, max(n_docs, 1), progress
        self._last = 0.0

    def page(self, doc_index: int, done: int, n_pages: int, filename: str) -> None:
        if self.progress:
            self.progress(doc_index, self.n_docs, done, n_pages, filename)
        if time.monotonic() - self._last >= _PROGRESS_COMMIT_S:
            self._last = time.monotonic()
            self._write(done=doc_index, progress=(doc_index + done / max(n_pages, 1)) / self.n_docs)

    def document_done(self, doc_index: int) -> None:
        self._write(done=doc_index + 1, progress=(doc_index + 1) / self.n_docs)

    def check_cancel(self) -> None:
        with session_scope(self.url) as s:
            if s.get_one(Job, self.job_id).cancel_requested:
                raise JobCancelled(self.job_id)

    def _write(self, done: int, progress: float) -> None:
        with session_scope(self.url) as s:
            job = s.get_one(Job, self.job_id)
            job.done, job.progress = done, min(progress, 1.0)
            if job.cancel_requested:
                raise JobCancelled(self.job_id)

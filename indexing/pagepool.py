"""Pages of many documents through one set of worker processes.

``PagePool.submit(source)`` registers a document and returns its ``DocumentPages``: its page
records, in page order, as the workers finish them. A feeder thread cuts each document into
chunks of pages and hands them to a process pool in the order the documents were submitted,
and moves on to the next document as soon as the current one's chunks are *submitted*, not
finished. So a worker never waits for the slowest page of a document, a one-page document
runs beside the pages of the others, and the pool keeps working while the caller writes a
finished document to the database. At most ``ahead_pages`` pages are submitted and not yet
taken by the caller, which bounds the memory held in finished results.

A worker that dies (MuPDF crashing on a malformed page, memory running out) breaks the whole
pool and every chunk in flight, whichever document it belongs to. The pool is replaced, and
each broken chunk is run again alone in a one-process pool: the chunk that breaks that one too
fails its document with ``CorruptDocumentError``; the other documents do not notice.

Workers are spawned once per process lifetime (a few CPU seconds each: PyMuPDF and the
layout models load) and shared by every ``PagePool``. The pool is replaced only when a
worker's memory passes ``WORKER_MAX_RSS``.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing as mp
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import shared_memory

import pymupdf

from indexing.errors import CorruptDocumentError
from indexing.model import PageRecord
from indexing.pipeline import STAGE_CPU_SECONDS, STAGE_SECONDS, PipelineOptions, process_pages
from indexing.render import crop_regions
from indexing.sources import DocumentSource, open_document

Progress = Callable[[int, int], None]  # (pages done, page count)
# A worker holding more than this after a chunk gets its pool replaced. Measured here
# (bench/ingest_profile.py --memory-rounds), a worker grows to about 0.65 GB over its first
# hundred pages of the real PDFs and then by under 10 MB a hundred pages; the cap is for
# what those pages did not show (a leak, a huge page), not for routine turnover, which costs
# every worker a cold start.
WORKER_MAX_RSS = 1536 * 2**20
_END = object()  # feeder -> consumer: no more chunks for this document


def chunk_pages(total: int, workers: int) -> list[list[int]]:
    """1-based page numbers in chunks: about eight per worker, one to eight pages each.
    Small chunks keep every worker busy to the end and let progress advance smoothly."""
    size = max(1, min(8, math.ceil(total / (workers * 8))))
    return [list(range(i, min(i + size, total + 1))) for i in range(1, total + 1, size)]


@dataclass(slots=True)
class ChunkResult:
    """What a worker hands back for one chunk of pages."""

    records: list[PageRecord]
    wall: Counter[str]  # stage seconds
    cpu: Counter[str]  # stage CPU seconds
    generation: int  # the pool the worker belongs to
    rss: int  # the worker's resident memory afterwards, bytes


@dataclass(eq=False)
class _Doc:
    """A submitted document as the feeder and its consumer share it."""

    source: DocumentSource
    chunks: list[list[int]]
    results: queue.Queue = field(default_factory=queue.Queue)  # (chunk, Future) in order, then _END
    lock: threading.Lock = field(default_factory=threading.Lock)
    shm: shared_memory.SharedMemory | None = None
    cancelled: bool = False
    pooled: bool = True  # False: pages are read in the consumer's thread

    def task(self, options: PipelineOptions) -> Callable[[list[int]], ChunkResult]:
        """The worker call for one chunk of this document (its bytes must be published)."""
        assert self.shm is not None
        key = f"{self.shm.name}:{len(self.source.data)}"
        return partial(_work_chunk, key, str(self.source.kind), options)


class PagePool:
    """Process pages of the submitted documents; use as a context manager."""

    def __init__(self, options: PipelineOptions, *, ahead_pages: int | None = None) -> None:
        self.options = options
        # A daemonic process (a Celery prefork child) may not start children: run pages here.
        self.parallel = options.workers > 1 and not mp.current_process().daemon
        self.ahead_pages = ahead_pages or max(8, 16 * options.workers)
        self._docs: queue.Queue[_Doc | None] = queue.Queue()
        self._open: set[_Doc] = set()  # submitted, not yet finished or cancelled
        self._cond = threading.Condition()
        self._pending = 0  # pages submitted and not yet taken
        self._closed = False
        self._feeder: threading.Thread | None = None

    def submit(self, source: DocumentSource, *, in_process: bool = False) -> DocumentPages:
        """Queue ``source``'s pages; they start as soon as earlier documents' pages are handed out.

        Take the documents' pages in the order they were submitted (or close a document to
        skip it): pages are fed in that order, so waiting on a later document while an
        earlier one holds every place in flight would wait forever.

        ``in_process`` reads the pages in the caller's thread instead (``read_here`` says when
        that pays)."""
        if self._closed:
            raise RuntimeError("PagePool.submit after close")
        doc = _Doc(source, chunk_pages(source.page_count, self.options.workers),
                   pooled=self.parallel and not in_process)
        if doc.pooled:
            self._open.add(doc)
            self._start_feeder()
            self._docs.put(doc)
        return DocumentPages(self, doc)

    def close(self) -> None:
        """Stop feeding and drop what no one took; the worker processes stay for the next pool."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._docs.put(None)
        if self._feeder is not None:
            self._feeder.join()
        for doc in list(self._open):
            self._cancel(doc)

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- feeder thread ------------------------------------------------------------------------
    def _start_feeder(self) -> None:
        if self._feeder is None:
            self._feeder = threading.Thread(target=self._feed, name="page-feeder", daemon=True)
            self._feeder.start()

    def _feed(self) -> None:
        while (doc := self._docs.get()) is not None:
            try:
                self._feed_document(doc)
            except BaseException as exc:  # surfaces in the document's consumer, not here
                doc.results.put((None, _failed(exc)))
            doc.results.put((None, _END))

    def _feed_document(self, doc: _Doc) -> None:
        with doc.lock:
            if doc.cancelled:
                return
            doc.shm = _publish(doc.source.data)
        task = doc.task(self.options)
        for chunk in doc.chunks:
            if not self._reserve(len(chunk)):
                return
            with doc.lock:
                if doc.cancelled:
                    self._release(len(chunk))
                    return
                try:
                    future = _submit(self.options.workers, task, chunk)
                except BaseException:
                    self._release(len(chunk))  # never in flight: keep the count honest
                    raise
                doc.results.put((chunk, future))

    def _reserve(self, pages: int) -> bool:
        """Wait for room for ``pages`` more pages in flight; False once the pool is closed."""
        with self._cond:
            while not self._closed and 0 < self._pending and self._pending + pages > self.ahead_pages:
                self._cond.wait()
            if self._closed:
                return False
            self._pending += pages
            return True

    def _release(self, pages: int) -> None:
        with self._cond:
            self._pending -= pages
            self._cond.notify_all()

    def _cancel(self, doc: _Doc) -> None:
        """Stop a document's feeding, cancel its chunks not yet started and free its memory."""
        with doc.lock:
            if doc.cancelled:
                return
            doc.cancelled = True
        self._open.discard(doc)
        while True:
            try:
                chunk, future = doc.results.get_nowait()
            except queue.Empty:
                break
            if chunk is not None:
                future.cancel()
                self._release(len(chunk))
        if doc.shm is not None:  # workers that already attached keep their mapping
            doc.shm.close()
            doc.shm.unlink()
            doc.shm = None


class DocumentPages:
    """One submitted document's page records, in page order."""

    def __init__(self, pool: PagePool, doc: _Doc) -> None:
        self.pool, self.doc = pool, doc

    def __iter__(self) -> Iterator[PageRecord]:
        return self.records()

    def records(self, progress: Progress | None = None) -> Iterator[PageRecord]:
        """Every page, in order. Raises ``CorruptDocumentError`` after the last page if not a
        single page could be processed; otherwise failed pages arrive with warnings, no image."""
        source = self.doc.source
        total = source.page_count
        raw = self._parallel() if self.doc.pooled else process_pages(
            source.document, range(1, total + 1), self.pool.options)
        ok, first_error = 0, None
        try:
            for done, rec in enumerate(raw, start=1):
                if not rec.failed:
                    ok += 1
                elif first_error is None and rec.warnings:
                    first_error = rec.warnings[0]
                if source.warnings and done == 1:
                    rec.warnings.extend(source.warnings)
                if progress is not None:
                    progress(done, total)
                yield rec
        finally:
            self.close()
        if ok == 0:
            raise CorruptDocumentError(
                f"{source.filename}: none of its {total} pages could be processed ({first_error})")

    def close(self) -> None:
        """Give up on the pages not taken yet (called when iteration ends, however it ends)."""
        if self.doc.pooled:
            self.pool._cancel(self.doc)

    def _parallel(self) -> Iterator[PageRecord]:
        opt = self.pool.options
        while True:
            chunk, future = self.doc.results.get()
            if future is _END:
                return
            if chunk is None:  # the feeder failed on this document
                future.result()
            try:
                result = self._result(chunk, future)
            finally:
                self.pool._release(len(chunk))
            STAGE_SECONDS.update(result.wall)
            STAGE_CPU_SECONDS.update(result.cpu)
            _check_memory(result)
            for rec in result.records:
                # Without encode_images the crops are cut here, which halves the raw pixels
                # sent through the pipes; with it, workers cut and encode and only bytes travel.
                yield rec if opt.encode_images else crop_regions(rec, opt.crop_padding)

    def _result(self, chunk: list[int], future: Future) -> ChunkResult:
        try:
            return future.result()
        except BrokenProcessPool:
            return _run_alone(self.doc.task(self.pool.options), chunk, self.doc.source.filename)


def process_document(source: DocumentSource, options: PipelineOptions | None = None,
                     progress: Progress | None = None) -> Iterator[PageRecord]:
    """Every page of one document, in page order (see ``DocumentPages.records``); a one-page
    document is read here unless the workers are running (``read_here``)."""
    options = options or PipelineOptions()
    with PagePool(options) as pool:
        yield from pool.submit(source, in_process=read_here(source.page_count, options.workers)).records(progress)


def read_here(page_count: int, workers: int) -> bool:
    """Whether a lone document of ``page_count`` pages is better read in the caller's process.

    Only a one-page document, and only while no page workers run: starting them costs more
    than the page. Once they run, a worker reads the page faster than this process would (a
    scan's Tesseract runs inside a worker, where OpenMP is capped at one thread; here it is a
    program started for every read, which loads its models each time), and this process stays
    free for its callers."""
    return page_count <= 1 and not workers_running(workers)


def workers_running(workers: int) -> bool:
    """Whether the shared pool of ``workers`` page workers has been started and not retired."""
    with _POOL_LOCK:
        return _POOL is not None and _POOL_SIZE == workers and not _RETIRE


def _failed(exc: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


def _publish(data: bytes) -> shared_memory.SharedMemory:
    """The document's bytes in shared memory, for workers to open without a pipe copy."""
    shm = shared_memory.SharedMemory(create=True, size=max(1, len(data)))
    shm.buf[: len(data)] = data
    return shm


# -- the worker processes ---------------------------------------------------------------------
_POOL_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_GENERATION = 0  # counts the pools made; chunk results name theirs
_RETIRE = False  # a worker of the current pool passed WORKER_MAX_RSS
_ALONE_LOCK = threading.Lock()
_WORKER_DOCS: dict[str, pymupdf.Document] = {}  # in a worker: the document being processed
_WORKER_GENERATION = -1  # in a worker: its pool's generation (-1: not a shared pool's)


def _submit(workers: int, task: Callable, chunk: list[int]) -> Future:
    """Submit to the shared pool, replacing it first if a crash broke it."""
    try:
        return _pool(workers).submit(task, chunk)
    except BrokenProcessPool:
        shutdown_pool(wait=False)
        return _pool(workers).submit(task, chunk)


def _pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool, replaced by a fresh one once a worker has grown past WORKER_MAX_RSS;
    the retired pool finishes what it holds while the fresh one takes new chunks.
    (``max_tasks_per_child`` would retire single workers, but with Python 3.11 the executor
    was seen to hang when a worker retired mid-map.)"""
    global _POOL, _POOL_SIZE, _POOL_GENERATION, _RETIRE
    with _POOL_LOCK:
        if _POOL is not None and (_POOL_SIZE != workers or _RETIRE):
            _POOL.shutdown(wait=False)
            _POOL = None
        if _POOL is None:
            _POOL_GENERATION += 1
            _POOL, _POOL_SIZE, _RETIRE = _new_pool(workers, _POOL_GENERATION), workers, False
        return _POOL


def _check_memory(result: ChunkResult) -> None:
    """Retire the current pool if one of its workers has grown past WORKER_MAX_RSS."""
    global _RETIRE
    if result.rss > WORKER_MAX_RSS:
        with _POOL_LOCK:
            _RETIRE = _RETIRE or result.generation == _POOL_GENERATION


def _new_pool(workers: int, generation: int = -1) -> ProcessPoolExecutor:
    # spawn, not fork: the parent may hold ONNX Runtime and OpenMP threads.
    return ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=prepare_worker,
                               initargs=(generation,))


def shutdown_pool(wait: bool = True) -> None:
    """Stop the page-worker processes (they are also stopped at interpreter exit)."""
    global _POOL, _POOL_SIZE, _RETIRE
    with _POOL_LOCK:
        pool, _POOL, _POOL_SIZE, _RETIRE = _POOL, None, 0, False
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


atexit.register(shutdown_pool)


def _run_alone(task: Callable, chunk: list[int], filename: str) -> ChunkResult:
    """Run a chunk that was in flight when the pool broke, alone in a fresh process, one chunk
    at a time: if it breaks that process too, it is the one that crashes."""
    with _ALONE_LOCK, _new_pool(1) as alone:
        try:
            return alone.submit(task, chunk).result()
        except BrokenProcessPool as exc:
            first, last = chunk[0], chunk[-1]
            pages = f"page {first}" if first == last else f"pages {first}-{last}"
            raise CorruptDocumentError(
                f"{filename}: processing crashed on {pages}; a page may be malformed") from exc


def prepare_worker(generation: int = -1) -> None:
    """Set this process up as a page worker (of the shared pool ``generation``): one thread
    per library, and the layout model rebuilt for it (``indexing.layout_model.install``)."""
    from indexing import layout_model

    global _WORKER_GENERATION
    _WORKER_GENERATION = generation
    single_threaded()
    layout_model.install()


def single_threaded() -> None:
    """One thread in this process for every library that would start its own pool (OpenMP,
    BLAS): page workers already fill the cores, and oversubscribed spinning threads were
    measured to be slower. The layout model's ONNX sessions are set by ``layout_model``."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_THREAD_LIMIT"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def _work_chunk(key: str, kind: str, options: PipelineOptions,
                numbers: list[int]) -> ChunkResult:
    """In a worker: open the document from shared memory (once per document) and process pages."""
    doc = _WORKER_DOCS.get(key)
    if doc is None:
        for old in _WORKER_DOCS.values():
            old.close()
        _WORKER_DOCS.clear()
        name, size = key.rsplit(":", 1)
        shm = shared_memory.SharedMemory(name=name)
        try:
            data = bytes(shm.buf[: int(size)])
        finally:
            shm.close()
        doc = _WORKER_DOCS[key] = open_document(data, kind)
    STAGE_SECONDS.clear()
    STAGE_CPU_SECONDS.clear()
    records = list(process_pages(doc, numbers, options, with_crops=options.encode_images))
    return ChunkResult(records, Counter(STAGE_SECONDS), Counter(STAGE_CPU_SECONDS), _WORKER_GENERATION,
                       resident_bytes())


def resident_bytes() -> int:
    """This process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

"""Pages in, located and read regions out: the document half of indexing.

A pipeline is a list of stages with one contract, ``stage(pages) -> pages``, each a generator
over ``PageRecord`` objects (so a page flows through every stage before the next page is
loaded):

    route -> render -> layout -> text -> tables -> crops

``route`` decides per page between the text layer and OCR; ``render`` draws the page image
(and, for a page to OCR, a gray image at OCR resolution, capped at a scan's own resolution);
``layout`` finds regions (the layout model, or OCR lines and ruled grids on a scan);
``text`` fills regions from the text layer; ``tables`` builds cell grids; ``crops`` cuts each
region's image out of the page render.

With ``workers > 1`` the pages are spread over a pool of processes that each open the
document from shared memory; results come back in page order. A page that fails becomes a
record with a warning; only a document where no page works at all fails as a whole.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import shared_memory

import pymupdf
from PIL import Image

from indexing import layout, tables, textlayer
from indexing.errors import CorruptDocumentError
from indexing.model import PageRecord, RegionKind, TextSource, Word
from indexing.ocr import OcrUnavailableError, ocr_image
from indexing.render import (
    DEFAULT_MAX_PIXELS,
    crop_regions,
    encode_images,
    ink_ratio,
    ocr_resolution,
    render_page,
)
from indexing.sources import DocumentSource, open_document

Stage = Callable[[Iterable[PageRecord]], Iterator[PageRecord]]
Progress = Callable[[int, int], None]
# Seconds spent per stage in this process and (added as results return) in page workers;
# benchmarks read and reset it to see where ingest time goes.
STAGE_SECONDS: Counter[str] = Counter()


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    dpi: float = 144.0  # page renders and crops
    ocr_dpi: float = 300.0  # scanned pages are read at this resolution
    ocr_languages: str = "kor+eng"
    ocr_psm: int = 6
    min_text_chars: int = 10  # fewer visible characters (per A4 of area) means OCR
    workers: int = 1  # page-processing processes; 1 runs in this process
    max_render_pixels: int = DEFAULT_MAX_PIXELS
    crop_padding: float = 2.0  # points added around a region when cutting its image
    blank_ink: float = 0.0005  # a render with less ink than this share is a blank page
    encode_images: bool = False  # hand images over encoded (PageRecord.encoded, Region.encoded)

    def __post_init__(self) -> None:
        checks = {
            "dpi": 36 <= self.dpi <= 600, "ocr_dpi": 72 <= self.ocr_dpi <= 600,
            "workers": self.workers >= 1, "min_text_chars": self.min_text_chars >= 0,
            "ocr_languages": bool(self.ocr_languages.strip()), "crop_padding": self.crop_padding >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"PipelineOptions.{name} is out of range: {getattr(self, name)!r}")

    @property
    def policy(self) -> textlayer.OcrPolicy:
        return textlayer.OcrPolicy(min_chars=self.min_text_chars)


@dataclass(slots=True)
class _PageState:
    """What stages hand each other besides the record: the page and its raw material."""

    page: pymupdf.Page | None = None
    raw: dict | None = None
    scan: Image.Image | None = None  # gray render for OCR, OCR pages only
    scan_dpi: float = 0.0
    words: list[Word] = field(default_factory=list)
    grids: list[tables.RuledGrid] = field(default_factory=list)
    failed: bool = False


class _Run:
    """One document's pass through the stages; holds per-page state keyed by page number."""

    def __init__(self, doc: pymupdf.Document, options: PipelineOptions) -> None:
        self.doc, self.options = doc, options
        self.state: dict[int, _PageState] = {}

    def stages(self, with_crops: bool = True) -> list[Stage]:
        steps = [("route", self.route), ("render", self.render), ("layout", self.layout),
                 ("text", self.text), ("tables", self.tables)]
        if with_crops:
            steps.append(("crops", partial(crop_regions, padding=self.options.crop_padding)))
            if self.options.encode_images:
                steps.append(("encode", encode_images))
        return [partial(_guarded, name, step, self) for name, step in steps] + [self._release]

    # -- stages (one page each; _guarded turns them into generators) --------------------------
    def route(self, rec: PageRecord) -> PageRecord:
        st = self.state.setdefault(rec.number, _PageState())
        st.page = self.doc.load_page(rec.number - 1)
        rec.width, rec.height = st.page.rect.width, st.page.rect.height
        st.raw = textlayer.extract_raw(st.page)
        check = textlayer.check_text_layer(st.page, self.options.policy, raw=st.raw)
        rec.text_source = TextSource.OCR if check.needs_ocr else TextSource.TEXT_LAYER
        return rec

    def render(self, rec: PageRecord) -> PageRecord:
        st, opt = self.state[rec.number], self.options
        rec.image, rec.dpi = render_page(st.page, opt.dpi, max_pixels=opt.max_render_pixels)
        if rec.text_source == TextSource.OCR:
            # A second, gray render for OCR. Measured on rasterised pages, this pair cost
            # 0.05-0.17 s against 0.27-0.36 s for one color render at OCR resolution that is
            # then converted to gray and scaled down for the page image.
            dpi = ocr_resolution(st.page, opt.ocr_dpi)
            st.scan, st.scan_dpi = render_page(st.page, dpi, gray=True, max_pixels=opt.max_render_pixels)
        return rec

    def layout(self, rec: PageRecord) -> PageRecord:
        st = self.state[rec.number]
        if rec.text_source == TextSource.OCR:
            self._scan_layout(rec, st)
        else:
            regions = layout.detect_regions(st.page)
            rec.regions = layout.insert_by_position(regions, layout.missed_pictures(st.page, regions))
        return rec

    def text(self, rec: PageRecord) -> PageRecord:
        st = self.state[rec.number]
        if rec.text_source != TextSource.TEXT_LAYER:
            return rec
        st.words = textlayer.page_words(st.page, st.raw)
        leftovers = textlayer.fill_regions(rec.regions, st.words)
        if not rec.regions and st.words:
            rec.regions = [layout.whole_page_region(rec.width, rec.height)]
            textlayer.fill_regions(rec.regions, st.words)
        elif leftovers:
            rec.regions = layout.insert_by_position(rec.regions, textlayer.leftover_regions(leftovers))
        return rec

    def tables(self, rec: PageRecord) -> PageRecord:
        st = self.state[rec.number]
        todo = [r for r in rec.regions if r.kind == RegionKind.TABLE and r.table is None]
        if not todo or rec.text_source != TextSource.TEXT_LAYER:
            return rec
        for region in todo:
            grids = tables.find_grids_near(st.page, region.box)
            found = tables.table_for_region(region.box, grids, st.words)
            if found is not None:
                region.table, region.box = found
                region.text = region.table.to_markdown()
        return rec

    # -- scanned pages ----------------------------------------------------------------------------
    def _scan_layout(self, rec: PageRecord, st: _PageState) -> None:
        opt = self.options
        if st.scan is None or ink_ratio(st.scan) < opt.blank_ink:
            rec.text_source = TextSource.NONE
            rec.warnings.append("blank page: nothing to read")
            return
        st.grids = tables.find_ruled_grids(st.scan, st.scan_dpi)
        clean = tables.erase_rulings(st.scan, st.scan_dpi, st.grids)
        try:
            result = ocr_image(clean, st.scan_dpi, languages=opt.ocr_languages, psm=opt.ocr_psm)
        except OcrUnavailableError as exc:
            rec.text_source = TextSource.NONE
            rec.warnings.append(f"OCR unavailable: {exc}")
            rec.regions = [layout.whole_page_region(rec.width, rec.height)]
            return
        rec.regions = layout.scan_regions(result.lines, st.grids, rec.width, rec.height)

    def _release(self, pages: Iterable[PageRecord]) -> Iterator[PageRecord]:
        """Last stage: drop the page's working state so memory stays flat over a long document."""
        for rec in pages:
            st = self.state.pop(rec.number, None)
            if st is not None and st.failed:
                rec.image = rec.encoded = None
            yield rec


def _guarded(name: str, step: Callable[[PageRecord], PageRecord], run: _Run,
             pages: Iterable[PageRecord]) -> Iterator[PageRecord]:
    """Run ``step`` on each page; a failure becomes a warning on that page, not a crash."""
    for rec in pages:
        st = run.state.get(rec.number)
        if st is not None and st.failed and name != "route":
            yield rec  # the page never loaded: nothing for later stages to do
            continue
        start = time.perf_counter()
        try:
            out = step(rec)
        except Exception as exc:  # one page's defect must not lose the rest of the document
            rec.warnings.append(f"{name} failed: {exc.__class__.__name__}: {exc}")
            if name in ("route", "render"):  # no page or no image: later stages have nothing
                run.state.setdefault(rec.number, _PageState()).failed = True
            out = rec
        STAGE_SECONDS[name] += time.perf_counter() - start
        yield out


def run_stages(pages: Iterable[PageRecord], stages: list[Stage]) -> Iterator[PageRecord]:
    for stage in stages:
        pages = stage(pages)
    return iter(pages)


def process_pages(doc: pymupdf.Document, numbers: Iterable[int], options: PipelineOptions,
                  *, with_crops: bool = True) -> Iterator[PageRecord]:
    """The stages over the given 1-based page numbers of an open document, in this process."""
    run = _Run(doc, options)
    seeds = (PageRecord(number=n, width=0.0, height=0.0, dpi=options.dpi) for n in numbers)
    return run_stages(seeds, run.stages(with_crops))


def process_document(source: DocumentSource, options: PipelineOptions | None = None,
                     progress: Progress | None = None) -> Iterator[PageRecord]:
    """Every page of ``source`` through the pipeline, in page order.

    Raises ``CorruptDocumentError`` after the last page if not a single page could be
    processed; otherwise failed pages arrive as records with warnings and no image.
    """
    options = options or PipelineOptions()
    total = source.page_count
    # A daemonic process (a Celery prefork child) may not start children: run pages here.
    if options.workers > 1 and total > 1 and not mp.current_process().daemon:
        records = _parallel_pages(source, options)
    else:
        records = process_pages(source.document, range(1, total + 1), options)
    ok, first_error = 0, None
    for done, rec in enumerate(records, start=1):
        if rec.has_image:
            ok += 1
        elif first_error is None and rec.warnings:
            first_error = rec.warnings[0]
        if source.warnings and done == 1:
            rec.warnings.extend(source.warnings)
        if progress is not None:
            progress(done, total)
        yield rec
    if ok == 0:
        raise CorruptDocumentError(
            f"{source.filename}: none of its {total} pages could be processed ({first_error})")


# -- parallel pages ---------------------------------------------------------------------------------
# A persistent pool of spawned processes: starting one costs about a second (PyMuPDF and the
# layout models load), so it is paid once per process lifetime, not once per document.
WORKER_TASKS = 100  # page chunks per worker before the pool is replaced (between documents)
_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_TASKS = 0  # chunks handed to the current pool
_WORKER_DOCS: dict[str, pymupdf.Document] = {}  # in a worker: the document being processed


def _parallel_pages(source: DocumentSource, options: PipelineOptions) -> Iterator[PageRecord]:
    """Pages processed by ``options.workers`` processes, yielded in page order. Without
    ``encode_images`` the crops are cut here, which halves the raw pixels sent through the pipes;
    with it, workers cut and encode, and only encoded bytes travel."""
    total = source.page_count
    # Small chunks keep both workers busy to the end and let progress advance smoothly.
    size = max(1, min(8, math.ceil(total / (options.workers * 8))))
    chunks = [list(range(i, min(i + size, total + 1))) for i in range(1, total + 1, size)]
    shm = shared_memory.SharedMemory(create=True, size=max(1, len(source.data)))
    try:
        shm.buf[: len(source.data)] = source.data
        key = f"{shm.name}:{len(source.data)}"
        task = partial(_work_chunk, key, str(source.kind), options)
        try:
            for chunk, seconds in _pool(options.workers, len(chunks)).map(task, chunks):
                STAGE_SECONDS.update(seconds)
                for rec in chunk:
                    yield rec if options.encode_images else crop_regions(rec, options.crop_padding)
        except BrokenProcessPool as exc:
            # A worker died (MuPDF crashed on a malformed page, or memory ran out): fail this
            # document, and start the next one with fresh workers.
            shutdown_pool()
            raise CorruptDocumentError(
                f"{source.filename}: processing crashed on this document; a page may be "
                "malformed") from exc
    finally:
        shm.close()
        shm.unlink()


def _pool(workers: int, chunks: int) -> ProcessPoolExecutor:
    """The shared pool, replaced between documents once it has done WORKER_TASKS chunks per
    worker: worker memory (MuPDF's store, ONNX Runtime's arena) was seen to creep from 0.6 to
    0.9 GB over a few hundred pages. (``max_tasks_per_child`` would do this per worker, but
    with Python 3.11 the executor was seen to hang when a worker retired mid-map.)"""
    global _POOL, _POOL_SIZE, _POOL_TASKS
    if _POOL is not None and _POOL_TASKS >= WORKER_TASKS * workers:
        shutdown_pool()
    _POOL_TASKS += chunks
    if _POOL is None or _POOL_SIZE != workers:
        shutdown_pool()
        # spawn, not fork: the parent may hold ONNX Runtime and OpenMP threads.
        _POOL = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                    initializer=_init_worker)
        _POOL_SIZE = workers
    return _POOL


def shutdown_pool() -> None:
    """Stop the page-worker processes (they are also stopped at interpreter exit)."""
    global _POOL, _POOL_SIZE, _POOL_TASKS
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
    _POOL, _POOL_SIZE, _POOL_TASKS = None, 0, 0


atexit.register(shutdown_pool)


def _init_worker() -> None:
    """One thread per worker for every library that would start its own pool: the workers
    already fill the cores, and oversubscribed spinning threads were measured to be slower."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_THREAD_LIMIT"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    tune_layout_model(threads=1, arena=True)


def tune_layout_model(threads: int = 1, arena: bool = True) -> None:
    """Rebuild PyMuPDF's layout model with ``threads`` ONNX Runtime threads per session.

    The model is built when ``pymupdf`` is imported, with ONNX Runtime's default of one thread
    per core and its memory arena switched off. Page workers want one thread each (they
    already fill the cores) and the arena on: measured here, the layout pass took 0.23 s a
    page with the arena against 0.32 s without. The arena keeps the largest allocation seen,
    which for these fixed-size models is bounded. Sessions are created through
    ``onnxruntime.InferenceSession``, so a subclass with these options is put in its place and
    the layout hook is activated again. Meant for worker processes: it changes this process.
    """
    import onnxruntime as ort
    import pymupdf.layout

    base = getattr(ort.InferenceSession, "_docagent_base", ort.InferenceSession)

    class TunedSession(base):  # type: ignore[misc, valid-type]
        _docagent_base = base

        def __init__(self, path, sess_options=None, *args, **kwargs):
            opts = sess_options or ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.enable_cpu_mem_arena = arena
            super().__init__(path, opts, *args, **kwargs)

    ort.InferenceSession = TunedSession
    pymupdf._get_layout = None
    pymupdf.layout.activate()


def _work_chunk(key: str, kind: str, options: PipelineOptions,
                numbers: list[int]) -> tuple[list[PageRecord], Counter[str]]:
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
    records = list(process_pages(doc, numbers, options, with_crops=options.encode_images))
    return records, Counter(STAGE_SECONDS)

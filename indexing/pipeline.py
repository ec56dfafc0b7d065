"""Pages in, located and read regions out: the document half of indexing.

A pipeline is a list of stages with one contract, ``stage(pages) -> pages``, each a generator
over ``PageRecord`` objects (so a page flows through every stage before the next page is
loaded):

    route -> render -> layout -> text -> tables -> charts -> crops

``route`` decides per page between the text layer and OCR; ``render`` draws the page image
(and, for a page to OCR, a gray image at OCR resolution, capped at a scan's own resolution);
``layout`` finds regions (the layout model; the text-layer lines of a page of text, short
rules, ruled tables and raster pictures apart from the text, a ruled table's cells filled
from its rules; OCR lines and ruled grids on a scan); ``text`` fills regions from the text
layer; ``tables`` builds cell grids for the model's tables; ``charts`` reads
chart and picture regions into a table of series by categories (``indexing.chart_data``: from
the page's vector drawing, or on a scan from its labels read again and its ink), kept on the
region for the answer step while the region keeps its kind, words and text (what search
indexes); ``crops`` cuts each region's image out of the page render.

``process_pages`` runs the stages in this process; ``indexing.pagepool`` spreads the pages
of many documents over worker processes. A page that fails becomes a record with a warning;
only a document where no page works at all fails as a whole.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

import pymupdf
from PIL import Image

from indexing import figures, layout, tables, textlayer
from indexing.chart_data import read_chart, reread_words
from indexing.geometry import Box
from indexing.model import PageRecord, RegionKind, TextSource, Word
from indexing.ocr import OcrLine, OcrUnavailableError, ocr_image
from indexing.render import (
    DEFAULT_MAX_PIXELS,
    crop_regions,
    effective_dpi,
    encode_images,
    ink_ratio,
    ocr_resolution,
    render_page,
)
from indexing.table_reread import reread_cells

Stage = Callable[[Iterable[PageRecord]], Iterator[PageRecord]]
CHART_KINDS = (RegionKind.CHART, RegionKind.PICTURE)  # regions a chart may be in
# Seconds spent per stage in this process and (added as results return) in page workers,
# wall and CPU (CPU counts the Tesseract processes too: on a busy machine wall time mostly
# measures the neighbours); benchmarks read and reset them to see where ingest time goes.
STAGE_SECONDS: Counter[str] = Counter()
STAGE_CPU_SECONDS: Counter[str] = Counter()


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
    # Render the page image and cut the crop images here. Off, no page is drawn in colour:
    # the caller draws a page or crop from the document when one is asked for
    # (``docagent.images``), and a scan is drawn only in gray, for OCR.
    page_images: bool = True
    # A page of text, short rules, ruled tables and raster pictures apart from the text is
    # cut into regions from its text-layer lines (as a scan is from its OCR lines), its
    # tables' cells from their rules, instead of by the layout model, which costs about
    # 0.2 CPU s on every page whatever it holds (and find_tables 30 ms more a table).
    plain_pages_by_lines: bool = True

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
                 ("text", self.text), ("tables", self.tables), ("charts", self.charts)]
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
        if opt.page_images:
            rec.image, rec.dpi = render_page(st.page, opt.dpi, max_pixels=opt.max_render_pixels)
        else:  # the DPI a later render must use for the page's boxes to land on its pixels
            rec.dpi = effective_dpi(rec.width, rec.height, opt.dpi, opt.max_render_pixels)
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
            rec.regions = self._plain_layout(rec, st) or self._model_layout(st)
        return rec

    def _plain_layout(self, rec: PageRecord, st: _PageState) -> list:
        """Regions from the text-layer lines (raster pictures, ruled tables with their cells
        filled) of a plain page; none where the page is not plain or its lines fall apart
        (formulas), for the layout model to find."""
        plain = layout.plain_page(st.page) if self.options.plain_pages_by_lines else None
        if plain is None:
            return []
        lines = textlayer.page_lines(st.page, st.raw)
        st.words = [w for line in lines for w in line]  # the text stage's words either way
        if not lines:  # no words to group: the model, and its whole-page fallback, decide
            return []
        regions = layout.text_layer_regions([OcrLine.of(ws) for ws in lines],
                                            rec.width, rec.height, plain.pictures, plain.grids)
        return [] if regions is None or layout.fragmented(regions) else regions

    @staticmethod
    def _model_layout(st: _PageState) -> list:
        regions = layout.detect_regions(st.page)
        return layout.insert_by_position(regions, layout.missed_pictures(st.page, regions))

    def text(self, rec: PageRecord) -> PageRecord:
        st = self.state[rec.number]
        if rec.text_source != TextSource.TEXT_LAYER:
            return rec
        st.words = st.words or textlayer.page_words(st.page, st.raw)
        leftovers = textlayer.fill_regions(rec.regions, st.words)
        if not rec.regions and st.words:
            rec.regions = [layout.whole_page_region(rec.width, rec.height)]
            textlayer.fill_regions(rec.regions, st.words)
        elif leftovers:
            rec.regions = layout.insert_by_position(rec.regions, textlayer.leftover_regions(leftovers))
        return rec

    def tables(self, rec: PageRecord) -> PageRecord:
        st = self.state[rec.number]
        # a layout model's table boxes: the rules near each, or its words (a ruled grid of a
        # page laid out from its lines came with its cells filled)
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

    def charts(self, rec: PageRecord) -> PageRecord:
        """Chart tables for chart and picture regions; the drawing is read once per page and
        only when the page has such a region."""
        st = self.state[rec.number]
        todo = [r for r in rec.regions if r.kind in CHART_KINDS and r.table is None and r.words]
        if not todo:
            return rec
        if rec.text_source == TextSource.TEXT_LAYER:
            drawings = st.page.get_drawings()
            for region in todo:
                region.table = read_chart(region.words, region.box, drawings)
        elif rec.text_source == TextSource.OCR and st.scan is not None:
            for region in todo:
                box, image = _scan_crop(st.scan, st.scan_dpi, region.box)
                words = reread_words(image, box, st.scan_dpi, region.words,
                                     self.options.ocr_languages)
                region.table = read_chart(words, box, image=image)
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
        lines = reread_cells(clean, st.scan_dpi, st.grids, result.lines, opt.ocr_languages)
        found = figures.find_figures(clean, st.scan_dpi, lines, st.grids, rec.size)
        rec.regions = layout.scan_regions(lines, st.grids, rec.width, rec.height, found)

    def _release(self, pages: Iterable[PageRecord]) -> Iterator[PageRecord]:
        """Last stage: drop the page's working state so memory stays flat over a long document."""
        for rec in pages:
            st = self.state.pop(rec.number, None)
            if st is not None and st.failed:
                rec.image = rec.encoded = None
                rec.failed = True
            yield rec


def _scan_crop(scan: Image.Image, dpi: float, box: Box) -> tuple[Box, Image.Image]:
    """The part of a scan under ``box``, and the page box its whole pixels cover."""
    s = dpi / 72.0
    px = [round(v * s) for v in (box.x0, box.y0, box.x1, box.y1)]
    px = [max(0, min(v, lim)) for v, lim in zip(px, (scan.width, scan.height) * 2, strict=True)]
    return Box(*(v / s for v in px)), scan.crop(tuple(px))


def _guarded(name: str, step: Callable[[PageRecord], PageRecord], run: _Run,
             pages: Iterable[PageRecord]) -> Iterator[PageRecord]:
    """Run ``step`` on each page; a failure becomes a warning on that page, not a crash."""
    for rec in pages:
        st = run.state.get(rec.number)
        if st is not None and st.failed and name != "route":
            yield rec  # the page never loaded: nothing for later stages to do
            continue
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            out = step(rec)
        except Exception as exc:  # one page's defect must not lose the rest of the document
            rec.warnings.append(f"{name} failed: {exc.__class__.__name__}: {exc}")
            if name in ("route", "render"):  # no page or no image: later stages have nothing
                run.state.setdefault(rec.number, _PageState()).failed = True
            out = rec
        STAGE_SECONDS[name] += time.perf_counter() - start
        STAGE_CPU_SECONDS[name] += _cpu_seconds() - cpu
        yield out


def _cpu_seconds() -> float:
    """This process (all threads) and its reaped children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


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

"""Where ingest time goes: per stage in the page workers, per step inside the stages, and the
parent's share; the page workers' cold and warm start; ``--compare`` checks that the tuned
layout model finds the same regions as the one ``pymupdf.layout`` ships.

1. The real ingest (``bench.ingest_throughput``'s job, ``--workers`` page workers) per set:
   wall and CPU seconds (page workers and parent apart), the seconds each pipeline stage took
   in the workers (``indexing.pipeline.STAGE_SECONDS``), and the parent's phases: taking pages
   (waiting for the workers; storing images, ``PageWriter.add``), the document's write
   (rows, terms, vectors, passages; one transaction) and the index update.
2. The stages again, one page at a time in this process set up as a page worker, with the
   steps inside them timed (CPU seconds; Tesseract's are its processes'): the layout model's
   parts, text extraction, word rebuilding, tables, render, crops, PNG/JPEG encoding and the
   pickling a chunk of records costs on its way to the parent. Columns: each set, and each
   document of at least 20 pages alone.
3. Worker start-up: the ten-page bill ingested right after the pool is shut down (cold),
   then again (warm).
4. ``--memory-rounds N``: every page of the sets, N times over, one page at a time in this
   process set up as a page worker; its resident memory after each round (alone, with
   ``--skip-ingest --skip-startup --skip-steps``, the process holds what a worker holds).

    .venv/bin/python -m bench.ingest_profile [--sets born,scanned,english] [--workers N]
        [--skip-ingest] [--skip-steps] [--skip-startup] [--compare] [--memory-rounds N]
        [--page-images on_demand|stored] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from bench.common import machine, table, write_json
from bench.ingest_throughput import PDFS, SETS, SHIPPED_LAYOUT, Files, docagent_ingest, load_sets

LONG_PAGES = 20  # documents at least this long get their own column in part 2


class Probe:
    """Inclusive wall and CPU seconds of wrapped callables, by label."""

    def __init__(self, cpu: Callable[[], float]) -> None:
        self.cpu = cpu
        self.wall: Counter[str] = Counter()
        self.cpu_s: Counter[str] = Counter()
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attr: str, label: str) -> None:
        fn = getattr(owner, attr)  # AttributeError names what moved: the profile must follow it

        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), self.cpu()
            try:
                return fn(*args, **kwargs)
            finally:
                self.wall[label] += time.perf_counter() - wall
                self.cpu_s[label] += self.cpu() - cpu

        self._undo.append((owner, attr, fn))
        setattr(owner, attr, timed)

    def restore(self) -> None:
        for owner, attr, fn in reversed(self._undo):
            setattr(owner, attr, fn)
        self._undo.clear()


def _process_cpu() -> float:
    """This process and its reaped children (Tesseract), all threads."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# -- 1. the real ingest -----------------------------------------------------------------------
PARENT = [("parent: taking pages (waiting, storing images)", "collect"),
          ("parent: storing images (PageWriter.add)", "add"),
          ("parent: document write (rows, terms, vectors; one transaction)", "write"),
          ("parent: index update", "index")]


@contextmanager
def parent_probe() -> Iterator[Probe]:
    from docagent import ingest, pagewriter

    probe = Probe(time.thread_time)  # the main thread's CPU: the feeder's and pipes' are apart
    probe.wrap(ingest.Ingestor, "_collect", "collect")
    probe.wrap(pagewriter.PageWriter, "add", "add")
    probe.wrap(ingest.Ingestor, "_write", "write")
    probe.wrap(ingest, "add_to_index", "index")
    try:
        yield probe
    finally:
        probe.restore()


def ingest_profile(files: Files, workers: int, ocr_languages: str, page_images: str) -> dict:
    from indexing.pipeline import STAGE_CPU_SECONDS, STAGE_SECONDS

    STAGE_SECONDS.clear()
    STAGE_CPU_SECONDS.clear()
    with parent_probe() as probe:
        timing, rows = docagent_ingest(files, workers, ocr_languages, page_images)
    pages = sum(r.pages for r in rows)
    per = {"wall": timing.wall, "CPU, all processes": timing.cpu,
           "CPU, page workers": timing.cpu - timing.own_cpu, "CPU, parent": timing.own_cpu}
    for stage, wall in STAGE_SECONDS.items():
        per[f"worker stage: {stage}, wall"] = wall
        per[f"worker stage: {stage}, CPU"] = STAGE_CPU_SECONDS[stage]
    for label, key in PARENT:
        per[f"{label}, wall"] = probe.wall[key]
        per[f"{label}, CPU"] = probe.cpu_s[key]
    return {"pages": pages, "seconds": per, "per_page": {k: v / pages for k, v in per.items()}}


# -- 2. steps inside the stages, in this process ---------------------------------------------
STEPS = [
    ("layout model (pymupdf.layout), all", "layout"),
    ("  image-feature network (ONNX, with its resize)", "imf"),
    ("  page text, images, vectors for the model", "base"),
    ("  region features", "rf"),
    ("  graph inputs (ROI pooling, text patterns, edges)", "nn_input"),
    ("  reading order", "sort"),
    ("  table-grid network", "table_grid"),
    ("text layer: rawdict", "rawdict"),
    ("text layer: OCR decision (besides the rawdict)", "check"),
    ("render (page; OCR render on scans)", "render"),
    ("lines path: page test (drawings, ruled grids, images)", "plain"),
    ("lines path: regions and table cells from the lines", "lines"),
    ("pictures the model missed", "missed"),
    ("words from characters", "words"),
    ("words into regions", "fill"),
    ("find_tables (ruled grids near a table)", "find_tables"),
    ("table cells from grids or words", "table_cells"),
    ("OCR: Tesseract processes", "tesseract"),
    ("OCR: ruled grids found and erased", "rulings"),
    ("crops cut", "crop"),
    ("PNG crops", "png"),
    ("JPEG page", "jpeg"),
    ("pickling a chunk's records (dumps + loads)", "pickle"),
]


@contextmanager
def step_probe() -> Iterator[Probe]:
    import pymupdf
    from pymupdf.layout import pymupdf_util, pymupdf_util_ext
    from pymupdf.layout.onnx import (
        BoxRFDGNN,
        DefaultSorter,
        ImageFeatureExtractorV1,
        TableGridExtractorV2,
    )

    from indexing import layout, ocr, pipeline, render, tables, textlayer

    probe = Probe(_process_cpu)
    for owner, attr, label in [
        (pymupdf, "_get_layout", "layout"),
        (ImageFeatureExtractorV1.ImageFeatureExtractorV1, "predict", "imf"),
        (pymupdf_util, "extract_base_elements", "base"),
        (pymupdf_util_ext, "extract_rf_features", "rf"),
        (BoxRFDGNN, "get_nn_input_from_datadict", "nn_input"),
        (DefaultSorter.DefaultSorter, "sort", "sort"),
        (TableGridExtractorV2.TableGridExtractorV2, "predict", "table_grid"),
        (textlayer, "extract_raw", "rawdict"), (textlayer, "check_text_layer", "check"),
        (pipeline, "render_page", "render"), (layout, "missed_pictures", "missed"),
        (layout, "plain_page", "plain"), (layout, "text_layer_regions", "lines"),
        (textlayer, "page_words", "words"), (textlayer, "fill_regions", "fill"),
        (tables, "find_grids_near", "find_tables"), (tables, "table_for_region", "table_cells"),
        (ocr, "run_tesseract", "tesseract"),
        (tables, "find_ruled_grids", "rulings"), (tables, "erase_rulings", "rulings"),
        (pipeline, "crop_regions", "crop"), (render, "png_bytes", "png"), (render, "jpeg_bytes", "jpeg"),
    ]:
        probe.wrap(owner, attr, label)
    try:
        yield probe
    finally:
        probe.restore()


def step_profile(files: Files, workers: int, ocr_languages: str, page_images: str) -> dict:
    """Seconds per page of every step, pages run in this process as a page worker runs them."""
    from indexing.pagepool import chunk_pages
    from indexing.pipeline import STAGE_CPU_SECONDS, PipelineOptions, process_pages
    from indexing.sources import open_source

    options = PipelineOptions(ocr_languages=ocr_languages, workers=workers, encode_images=True,
                              page_images=page_images == "stored")
    STAGE_CPU_SECONDS.clear()
    pages, size = 0, 0
    with step_probe() as probe:
        for name, data in files:
            source = open_source(data, name)
            for chunk in chunk_pages(source.page_count, workers):
                records = list(process_pages(source.document, chunk, options))
                with _timed(probe, "pickle"):
                    blob = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
                    pickle.loads(blob)
                size += len(blob)
                pages += len(records)
            source.close()
    per = {label: probe.cpu_s[key] / pages for label, key in STEPS}
    per |= {f"stage: {k}": v / pages for k, v in STAGE_CPU_SECONDS.items()}
    per["stages, all"] = sum(STAGE_CPU_SECONDS.values()) / pages
    per["pickled KB per page"] = size / pages / 1024
    return {"pages": pages, "per_page": per}


@contextmanager
def _timed(probe: Probe, label: str) -> Iterator[None]:
    cpu = probe.cpu()
    try:
        yield
    finally:
        probe.cpu_s[label] += probe.cpu() - cpu


# -- 3. worker start-up -------------------------------------------------------------------------
def startup(workers: int, ocr_languages: str) -> dict:
    from indexing.pagepool import shutdown_pool

    bill = [f for f in load_sets(["born"], 0)["born"] if f[0] == PDFS[0]]
    shutdown_pool()
    cold, _ = docagent_ingest(bill, workers, ocr_languages)
    warm, _ = docagent_ingest(bill, workers, ocr_languages)
    return {"cold_s": cold.wall, "cold_cpu_s": cold.cpu, "warm_s": warm.wall, "warm_cpu_s": warm.cpu}


# -- 4. worker memory ---------------------------------------------------------------------------
def memory_rounds(sets: dict[str, Files], rounds: int, ocr_languages: str, page_images: str) -> list[dict]:
    """Resident memory of this process (a page worker) after each pass over every page."""
    from indexing.pagepool import resident_bytes
    from indexing.pipeline import PipelineOptions, process_pages
    from indexing.sources import open_source

    options = PipelineOptions(ocr_languages=ocr_languages, encode_images=True, page_images=page_images == "stored")
    out, pages = [{"pages": 0, "rss_mb": resident_bytes() / 2**20}], 0
    for _ in range(rounds):
        for files in sets.values():
            for name, data in files:
                source = open_source(data, name)
                for number in range(1, source.page_count + 1):
                    list(process_pages(source.document, [number], options))
                pages += source.page_count
                source.close()
        out.append({"pages": pages, "rss_mb": resident_bytes() / 2**20})
    return out


# -- --compare: the tuned layout model against the shipped one --------------------------------
def compare_layout(sets: dict[str, Files]) -> dict:
    """Regions of every page under both builds, and each build's CPU on the same pages (the
    two alternate page by page, so drift in the machine's speed falls on both alike)."""
    import pymupdf

    from indexing import layout_model
    from indexing.sources import open_source

    builds = {}
    for label, opts in (("shipped", SHIPPED_LAYOUT), ("tuned", {})):
        layout_model.install(**opts)  # tuned: the page workers' build
        builds[label] = pymupdf._get_layout
    cpu: Counter[str] = Counter()
    pages = differ = 0
    for files in sets.values():
        for name, data in files:
            source = open_source(data, name)
            for page in source.document:
                rows = {}
                for label, fn in builds.items():
                    start = time.process_time()
                    rows[label] = fn(page)
                    cpu[label] += time.process_time() - start
                pages += 1
                differ += rows["shipped"] != rows["tuned"]
            source.close()
    return {"pages": pages, "pages_with_other_regions": differ,
            "cpu_s_per_page": {k: v / pages for k, v in cpu.items()}}


# -- the run ----------------------------------------------------------------------------------
def long_documents(sets: dict[str, Files]) -> dict[str, Files]:
    import pymupdf

    out = {}
    for files in sets.values():
        for name, data in files:
            with pymupdf.open(stream=data) as doc:
                if doc.page_count >= LONG_PAGES:
                    out[f"{name} ({doc.page_count} p)"] = [(name, data)]
    return out


def run(args: argparse.Namespace, sets: dict[str, Files], workers: int) -> dict:
    from indexing.pagepool import prepare_worker

    out: dict[str, Any] = {"machine": machine(), "workers": workers, "page_images": args.page_images}
    if not args.skip_ingest:
        warm = [f for f in load_sets(["born"], 0)["born"] if f[0] == PDFS[0]]
        docagent_ingest(warm, workers, args.ocr_languages, args.page_images)
        out["ingest"] = {k: ingest_profile(v, workers, args.ocr_languages, args.page_images) for k, v in sets.items()}
    if not args.skip_startup:
        out["startup"] = startup(workers, args.ocr_languages)
    if not args.skip_steps or args.compare or args.memory_rounds:
        prepare_worker()  # this process now runs pages as a page worker does
    if args.memory_rounds:  # first, while this process has run no page yet
        out["memory"] = memory_rounds(sets, args.memory_rounds, args.ocr_languages, args.page_images)
    if not args.skip_steps:
        columns = sets | long_documents(sets)
        step_profile(columns[next(iter(columns))][:1], workers, args.ocr_languages, args.page_images)  # warm-up
        out["steps"] = {k: step_profile(v, workers, args.ocr_languages, args.page_images) for k, v in columns.items()}
    if args.compare:
        out["compare"] = compare_layout(sets)
    return out


def print_report(out: dict) -> None:
    print(f"ingest profile on {out['machine']} ({out['workers']} page workers, page images {out['page_images']})")
    if "ingest" in out:
        ing = out["ingest"]
        keys = list(dict.fromkeys(k for v in ing.values() for k in v["per_page"]))
        print("\n1. The real ingest, seconds per page (pages: "
              + ", ".join(f"{k} {v['pages']}" for k, v in ing.items()) + ")")
        print(table(["", *ing], [[k, *(_f(v["per_page"].get(k, 0.0)) for v in ing.values())] for k in keys]))
    if "steps" in out:
        st = out["steps"]
        keys = list(dict.fromkeys(k for v in st.values() for k in v["per_page"]))
        print("\n2. Inside the stages, one page at a time in one process: CPU seconds per page")
        print(table(["", *st], [[k, *(_f(v["per_page"].get(k, 0.0)) for v in st.values())] for k in keys]))
    if "startup" in out:
        s = out["startup"]
        print(f"\n3. Worker start-up, the ten-page bill: cold {s['cold_s']:.2f} s ({s['cold_cpu_s']:.2f} CPU s), "
              f"warm {s['warm_s']:.2f} s ({s['warm_cpu_s']:.2f} CPU s)")
    if "memory" in out:
        print("\n4. A page worker's resident memory: "
              + ", ".join(f"{m['rss_mb']:.0f} MB after {m['pages']} pages" for m in out["memory"]))
    if "compare" in out:
        c = out["compare"]
        cpu = ", ".join(f"{k} {v:.3f}" for k, v in c["cpu_s_per_page"].items())
        print(f"\n--compare: layout model as shipped vs tuned, {c['pages']} pages: "
              f"{c['pages_with_other_regions']} with other regions; CPU s per page: {cpu}")


def _f(x: float) -> str:
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    ap.add_argument("--workers", type=int, default=0, help="page processes (0 = one per core)")
    ap.add_argument("--dpi", type=int, default=200, help="DPI of the rasterised copies")
    ap.add_argument("--ocr-languages", default="kor+eng")
    ap.add_argument("--skip-ingest", action="store_true", help="leave out part 1")
    ap.add_argument("--skip-steps", action="store_true", help="leave out part 2")
    ap.add_argument("--skip-startup", action="store_true", help="leave out part 3")
    ap.add_argument("--compare", action="store_true", help="regions and CPU: shipped vs tuned layout model")
    ap.add_argument("--memory-rounds", type=int, default=0, help="part 4: passes over every page")
    ap.add_argument("--page-images", default="on_demand", choices=["on_demand", "stored"],
                    help="DOCAGENT_PAGE_IMAGES for the ingest, and whether the steps draw images")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    workers = args.workers or (os.cpu_count() or 1)
    sets = load_sets([s for s in args.sets.split(",") if s], args.dpi)
    out = run(args, sets, workers)
    write_json("ingest_profile", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_report(out)


if __name__ == "__main__":
    main()

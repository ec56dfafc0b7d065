"""Ingest throughput (pages/s) against ``pymupdf4llm.to_markdown`` on the same files and cores.

docagent's figure is the whole ingest: open, render, layout regions, text layer or OCR,
tables, crop images into the store, Kiwi terms, vectors, database rows and the FAISS/BM25
index, with ``--workers`` page-worker processes. The peer runs in a pool of as many
processes, fed the same way: every file cut into the same page chunks as docagent's, the
chunks of all files queued in file order, one ``to_markdown(doc, pages=chunk)`` call each.
The peer's processes get the cores' share docagent's page workers get: one thread each for
OpenMP and BLAS (``indexing.pagepool.single_threaded``) and for the layout model's ONNX
Runtime sessions, which are otherwise as ``pymupdf.layout`` builds them (with its default of
a thread per core, each process would oversubscribe the cores). What docagent's workers
change beyond that in the layout model (``indexing.layout_model``) is docagent's own.
The peer OCRs the pages it decides need it (scans, and some born-digital pages) with
Tesseract in ``--ocr-languages``, as docagent does, at its own default of 150 dpi.
Both are warmed up before timing on the ten-page bill: models loaded, worker processes
started and each given pages.

Sets: the four Korean PDFs in ``real-ko-pdfs/`` (born-digital), their rasterised image-only
copies (scanned), the three English arXiv papers in ``real-en-pdfs/``, and "long": all seven
joined into one 103-page PDF (what a document of a hundred pages costs beyond its pages:
one write transaction, context and passages over the whole document). Each set is run as
one job (and one peer batch), then every document alone. Wall time is noisy on a shared
machine; CPU seconds (user + system of this process and of every process it started: page
workers, peer workers, Tesseract) are reported beside it, and the ratio of both.

    .venv/bin/python -m bench.ingest_throughput [--sets born,scanned,english] [--repeat N]
        [--no-documents] [--dpi 200] [--workers N] [--ocr-languages kor+eng]
        [--peer-ocr-language LANGS] [--page-images on_demand|stored] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import SHARED_DATA, fresh_settings, machine, table, write_json
from bench.cpu import tree_cpu_seconds

PDFS = ["bill-2125318.pdf", "fund-report-kb-202309.pdf", "msds-cga35.pdf", "patent-1020210175798.pdf"]
EN_PDFS = ["arxiv-2408.00029v1.pdf", "arxiv-2408.02952v1.pdf", "arxiv-2408.03787v1.pdf"]
SETS = ("born", "scanned", "english", "long")
Files = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float
    cpu: float  # this process and every process it started
    own_cpu: float  # this process alone


def measured(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    """Run ``fn``; its wall time and the CPU time of this process tree meanwhile."""
    cpu, own, start = tree_cpu_seconds(), _own_cpu(), time.perf_counter()
    out = fn()
    return Timing(time.perf_counter() - start, tree_cpu_seconds() - cpu, _own_cpu() - own), out


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def load_sets(names: list[str], dpi: int) -> dict[str, Files]:
    from vlm.synth.pdf import rasterise

    born = [(n, (SHARED_DATA / "real-ko-pdfs" / n).read_bytes()) for n in PDFS]
    sets = {"born": born,
            "english": [(n, (SHARED_DATA / "real-en-pdfs" / n).read_bytes()) for n in EN_PDFS]}
    if "scanned" in names:
        sets["scanned"] = [(n.replace(".pdf", "-scan.pdf"), rasterise(d, dpi=dpi)) for n, d in born]
    if "long" in names:
        sets["long"] = [("real-joined-103p.pdf", joined(born + sets["english"]))]
    return {n: sets[n] for n in names}


def joined(files: Files) -> bytes:
    """One PDF of every page of ``files``, in order: a long document made of real pages (no
    real document in the shared data is longer than 27 pages)."""
    import pymupdf

    out = pymupdf.open()
    for _, data in files:
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            out.insert_pdf(doc)
    return out.tobytes(garbage=3, deflate=True)


# -- docagent ---------------------------------------------------------------------------------
def docagent_ingest(files: Files, workers: int, ocr_languages: str,
                    page_images: str = "on_demand") -> tuple[Timing, list]:
    """One ingest job over ``files`` in a fresh DOCAGENT_HOME (set-up outside the timing)."""
    from docagent.ingest import Ingestor
    from docagent.intake import Upload

    with fresh_settings(ingest_workers=workers, ocr_languages=ocr_languages, page_images=page_images) as settings:
        ing = Ingestor(settings)

        def job() -> list:
            job_id, _ = ing.submit("default", "bench", [Upload(n, d) for n, d in files])
            return ing.run_job(job_id)

        timing, rows = measured(job)
    bad = [r for r in rows if r.status != "indexed"]
    if bad:
        raise RuntimeError(f"ingest failed: {bad}")
    return timing, rows


# -- the peer ---------------------------------------------------------------------------------
# The layout model as pymupdf.layout builds it, but with one thread per session.
SHIPPED_LAYOUT = {"threads": 1, "arena": False, "fuse_prelu": False, "table_grids": True}


def _peer_init() -> None:
    from indexing import layout_model
    from indexing.pagepool import single_threaded

    single_threaded()
    layout_model.install(**SHIPPED_LAYOUT)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pymupdf4llm prints parser notes for every call
    import pymupdf4llm  # noqa: F401


def _peer_chunk(path: str, pages: list[int], ocr_language: str) -> int:
    import pymupdf
    import pymupdf4llm

    with pymupdf.open(path) as doc:
        md = pymupdf4llm.to_markdown(doc, pages=[p - 1 for p in pages], ocr_language=ocr_language,
                                     show_progress=False)
    return len(md)


class Peer:
    """``to_markdown`` over page chunks of files in a pool of ``workers`` processes, reading
    the pages it decides to OCR in ``ocr_language`` (its default is ``eng``)."""

    def __init__(self, workers: int, folder: Path, ocr_language: str) -> None:
        self.workers, self.folder, self.ocr_language = workers, folder, ocr_language
        self.pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_peer_init)

    def run(self, files: Files) -> Timing:
        import pymupdf

        from indexing.pagepool import chunk_pages

        tasks = []
        for name, data in files:
            path = self.folder / name
            if not path.exists():
                path.write_bytes(data)
            with pymupdf.open(path) as doc:
                tasks += [(str(path), chunk, self.ocr_language)
                          for chunk in chunk_pages(doc.page_count, self.workers)]
        timing, _ = measured(lambda: [f.result() for f in [self.pool.submit(_peer_chunk, *t) for t in tasks]])
        return timing

    def close(self) -> None:
        self.pool.shutdown()


# -- the run ----------------------------------------------------------------------------------
def compare(label: str, files: Files, peer: Peer, workers: int, ocr_languages: str, page_images: str) -> dict:
    ours, rows = docagent_ingest(files, workers, ocr_languages, page_images)
    theirs = peer.run(files)
    pages = sum(r.pages for r in rows)
    return {"name": label, "pages": pages, "crops": sum(r.crops for r in rows),
            "docagent_s": round(ours.wall, 2), "docagent_cpu_s": round(ours.cpu, 2),
            "docagent_parent_cpu_s": round(ours.own_cpu, 2),
            "docagent_pages_per_s": round(pages / ours.wall, 2),
            "peer_s": round(theirs.wall, 2), "peer_cpu_s": round(theirs.cpu, 2),
            "peer_pages_per_s": round(pages / theirs.wall, 2),
            "ratio": round(theirs.wall / ours.wall, 2), "cpu_ratio": round(theirs.cpu / ours.cpu, 2)}


def run(sets: dict[str, Files], workers: int, ocr_languages: str, documents: bool,
        peer_ocr_language: str | None = None, page_images: str = "on_demand") -> dict:
    with tempfile.TemporaryDirectory(prefix="docagent-peer-") as folder:
        peer = Peer(workers, Path(folder), ocr_language=peer_ocr_language or ocr_languages)
        try:
            warm = [f for f in load_sets(["born"], 0)["born"] if f[0] == PDFS[0]]
            docagent_ingest(warm, workers, ocr_languages, page_images)  # ten pages: the page workers start
            peer.run(warm)
            results = {}
            for label, files in sets.items():
                results[label] = compare(label, files, peer, workers, ocr_languages, page_images)
                if documents:
                    results[label]["documents"] = [compare(name, [(name, data)], peer, workers, ocr_languages,
                                                           page_images) for name, data in files]
        finally:
            peer.close()
    return results


def print_run(out: dict) -> None:
    heads = ["pages", "crops", "docagent s", "CPU s", "of it parent", "pages/s", "pymupdf4llm s", "CPU s",
             "pages/s", "ratio", "CPU ratio"]

    def cells(v: dict) -> list:
        return [v["pages"], v["crops"], v["docagent_s"], v["docagent_cpu_s"], v["docagent_parent_cpu_s"],
                v["docagent_pages_per_s"],
                v["peer_s"], v["peer_cpu_s"], v["peer_pages_per_s"], f"{v['ratio']}x", f"{v['cpu_ratio']}x"]

    print(table(["set", *heads], [[k, *cells(v)] for k, v in out.items()]))
    docs = [[k, d["name"], *cells(d)] for k, v in out.items() for d in v.get("documents", [])]
    if docs:
        print()
        print(table(["set", "document", *heads], docs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    ap.add_argument("--repeat", type=int, default=1, help="runs in a row, each reported")
    ap.add_argument("--no-documents", action="store_true", help="whole sets only, not each document alone")
    ap.add_argument("--dpi", type=int, default=200, help="DPI of the rasterised copies")
    ap.add_argument("--workers", type=int, default=0, help="page processes, and peer processes (0 = one per core)")
    ap.add_argument("--ocr-languages", default="kor+eng", help="Tesseract languages for scanned pages")
    ap.add_argument("--peer-ocr-language", default=None, help="the peer's OCR languages (default: --ocr-languages)")
    ap.add_argument("--page-images", default="on_demand", choices=["on_demand", "stored"],
                    help="docagent's DOCAGENT_PAGE_IMAGES (stored: page and crop images drawn at ingest)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    names = [s for s in args.sets.split(",") if s]
    if unknown := set(names) - set(SETS):
        sys.exit(f"unknown sets: {', '.join(sorted(unknown))}")
    for folder in ("real-ko-pdfs", "real-en-pdfs"):
        if not (SHARED_DATA / folder).exists():
            sys.exit(f"needs {SHARED_DATA / folder}")
    workers = args.workers or (os.cpu_count() or 1)
    sets = load_sets(names, args.dpi)
    peer_ocr = args.peer_ocr_language or args.ocr_languages
    runs = [run(sets, workers, args.ocr_languages, not args.no_documents, peer_ocr, args.page_images)
            for _ in range(args.repeat)]
    out = {"machine": machine(), "workers": workers, "scan_dpi": args.dpi, "page_images": args.page_images,
           "ocr_languages": args.ocr_languages, "peer_ocr_language": peer_ocr, "runs": runs}
    write_json("ingest_throughput", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"ingest throughput on {out['machine']} ({workers} page workers and {workers} peer processes, "
          f"OCR {args.ocr_languages}, the peer's {peer_ocr}, page images {args.page_images}); "
          "CPU s counts every process of the run")
    for i, results in enumerate(runs, start=1):
        print(f"\nrun {i} of {len(runs)}")
        print_run(results)


if __name__ == "__main__":
    main()

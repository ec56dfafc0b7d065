"""Which layout path each page of the real PDFs takes, and what the layout stages cost.

A text-layer page is laid out from its own lines (``lines``; ``lines+tables`` where ruled
tables came with it, their cells filled from the rules) or by the layout model (``model``);
a scanned page from its OCR lines (``ocr``). Per document: the pages on each path, and the
CPU seconds per page of the ``layout`` and ``tables`` stages, run in this process set up as a
page worker (one thread, the tuned layout model), pages without images or crops.
``--pages`` lists each document's pages by path; ``--compare-tables`` reports, for each table
of a page laid out from its lines, whether ``find_tables`` gives the same cell texts on it and
which region the layout model finds there (every page run again with ``plain_pages_by_lines``
off).

    .venv/bin/python -m bench.layout_paths [--pages] [--compare-tables] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from bench.common import SHARED_DATA, machine, table, write_json
from bench.ingest_throughput import EN_PDFS, PDFS

PATHS = ("lines", "lines+tables", "model", "ocr", "none")


def page_paths(data: bytes, plain: bool = True) -> tuple[dict[int, str], dict[str, float], list]:
    """Each page's path, the layout and tables stages' CPU seconds, and the page records."""
    import pymupdf

    from indexing import layout
    from indexing.model import RegionKind, TextSource
    from indexing.pipeline import STAGE_CPU_SECONDS, PipelineOptions, process_pages

    modelled: set[int] = set()
    detect = layout.detect_regions

    def counted(page: pymupdf.Page) -> list:
        modelled.add(page.number + 1)
        return detect(page)

    STAGE_CPU_SECONDS.clear()
    layout.detect_regions = counted
    try:
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            options = PipelineOptions(page_images=False, plain_pages_by_lines=plain)
            records = list(process_pages(doc, range(1, doc.page_count + 1), options, with_crops=False))
    finally:
        layout.detect_regions = detect
    paths = {}
    for rec in records:
        if rec.number in modelled:
            paths[rec.number] = "model"
        elif rec.text_source == TextSource.TEXT_LAYER:
            tables = any(r.kind == RegionKind.TABLE for r in rec.regions)
            paths[rec.number] = "lines+tables" if tables else "lines"
        else:
            paths[rec.number] = "ocr" if rec.text_source == TextSource.OCR else "none"
    cpu = {stage: STAGE_CPU_SECONDS[stage] for stage in ("layout", "tables")}
    return paths, cpu, records


def compare_tables(data: bytes, paths: dict[int, str], ours: list, theirs: list) -> list[dict]:
    """Each table of a page laid out from its lines: whether ``find_tables`` (as the model path
    calls it, on the table's band) gives the same cell texts, and the model's region there."""
    import pymupdf

    from indexing import tables, textlayer
    from indexing.model import RegionKind

    out = []
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for a, b in zip(ours, theirs, strict=True):
            if paths[a.number] != "lines+tables":
                continue
            mine = [r for r in a.regions if r.kind == RegionKind.TABLE]
            page = doc[a.number - 1]
            words = textlayer.page_words(page)
            for r in mine:
                found = tables.table_for_region(r.box, tables.find_grids_near(page, r.box), words)
                model = max(b.regions, key=lambda m: r.box.iou(m.box), default=None)
                out.append({"page": a.number, "box": r.box.as_list(),
                            "find_tables": "same cells" if found and found[0].grid() == r.table.grid() else "other cells",
                            "model": f"{model.kind} (IoU {r.box.iou(model.box):.2f})" if model else "none"})
    return out


def run(args: argparse.Namespace) -> dict:
    from indexing.pagepool import prepare_worker

    prepare_worker()
    files = [("real-ko-pdfs", n) for n in PDFS] + [("real-en-pdfs", n) for n in EN_PDFS]
    page_paths((SHARED_DATA / files[0][0] / files[0][1]).read_bytes())  # warm-up: the model loaded
    docs = {}
    for folder, name in files:
        data = (SHARED_DATA / folder / name).read_bytes()
        paths, cpu, records = page_paths(data)
        doc = {"pages": len(paths), "paths": dict(Counter(paths.values())), "by_page": paths,
               "cpu_s_per_page": {k: v / max(len(paths), 1) for k, v in cpu.items()}}
        if args.compare_tables:
            _, _, model_records = page_paths(data, plain=False)
            doc["tables"] = compare_tables(data, paths, records, model_records)
        docs[name] = doc
    return {"machine": machine(), "documents": docs}


def print_report(out: dict, pages: bool) -> None:
    print(f"layout paths on {out['machine']}, one page worker; CPU seconds per page")
    rows = [[name, d["pages"], *(d["paths"].get(p, 0) for p in PATHS),
             f"{d['cpu_s_per_page']['layout']:.4f}", f"{d['cpu_s_per_page']['tables']:.4f}"]
            for name, d in out["documents"].items()]
    print(table(["document", "pages", *PATHS, "layout CPU", "tables CPU"], rows))
    for name, d in out["documents"].items():
        if pages:
            by_path: dict[str, list[int]] = {}
            for number, path in d["by_page"].items():
                by_path.setdefault(path, []).append(int(number))
            print(f"{name}: " + "; ".join(f"{p} {v}" for p, v in by_path.items()))
        for t in d.get("tables", []):
            print(f"{name} page {t['page']} table at {[round(v) for v in t['box']]}: find_tables: "
                  f"{t['find_tables']}; the model's region there: {t['model']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", action="store_true", help="each document's pages by path")
    ap.add_argument("--compare-tables", action="store_true", help="tables against the model path's")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args)
    write_json("layout_paths", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_report(out, args.pages)


if __name__ == "__main__":
    main()

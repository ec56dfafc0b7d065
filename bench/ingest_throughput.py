"""Ingest throughput (pages/s) against ``pymupdf4llm.to_markdown`` on the same files.

docagent's figure is the whole ingest: open, render, layout regions, text layer or OCR,
tables, crop images into the store, Kiwi terms, vectors, database rows and the FAISS/BM25
index. The peer's is one ``to_markdown`` call per file. Both run in this process, one after
the other, on the four real Korean PDFs and on their rasterised (image-only) copies.
Models (layout ONNX, Kiwi) are warmed up before timing, for both, and docagent's page workers
are started (a multi-page warm-up document; a one-page one would be read in-process).

    .venv/bin/python -m bench.ingest_throughput [--dpi 200] [--workers N] [--ocr-languages kor+eng] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from bench.common import SHARED_DATA, fresh_settings, machine, table, timer, write_json

PDFS = ["bill-2125318.pdf", "fund-report-kb-202309.pdf", "msds-cga35.pdf", "patent-1020210175798.pdf"]


def ingest_seconds(files: list[tuple[str, bytes]], workers: int, ocr_languages: str = "kor+eng") -> tuple[float, list]:
    from docagent.ingest import Ingestor
    from docagent.intake import Upload

    with fresh_settings(ingest_workers=workers, ocr_languages=ocr_languages) as settings:
        ing = Ingestor(settings)
        with timer() as t:
            job, _ = ing.submit("default", "bench", [Upload(n, d) for n, d in files])
            rows = ing.run_job(job)
    bad = [r for r in rows if r.status != "indexed"]
    if bad:
        raise RuntimeError(f"ingest failed: {bad}")
    return t[0], rows


def peer_seconds(files: list[tuple[str, bytes]]) -> float:
    import pymupdf
    import pymupdf4llm

    total = 0.0
    for _name, data in files:
        doc = pymupdf.open(stream=data, filetype="pdf")
        with timer() as t:
            pymupdf4llm.to_markdown(doc)
        total += t[0]
    return total


def warm_up(sample: bytes, workers: int) -> None:
    peer_seconds([("warm.pdf", sample)])
    ingest_seconds([("warm.pdf", sample)], workers)


def run(dpi: int, workers: int, ocr_languages: str) -> dict:
    from vlm.synth.pdf import rasterise

    born = [(name, (SHARED_DATA / "real-ko-pdfs" / name).read_bytes()) for name in PDFS]
    scans = [(name.replace(".pdf", "-scan.pdf"), rasterise(data, dpi=dpi)) for name, data in born]
    warm_up(born[0][1], workers)  # the bill: ten pages, so the page workers start
    results = {}
    for label, files in (("born-digital", born), ("scanned", scans)):
        ours, rows = ingest_seconds(files, workers, ocr_languages)
        peer = peer_seconds(files)
        pages = sum(r.pages for r in rows)
        results[label] = {
            "pages": pages, "crops": sum(r.crops for r in rows),
            "docagent_s": round(ours, 2), "docagent_pages_per_s": round(pages / ours, 2),
            "peer_s": round(peer, 2), "peer_pages_per_s": round(pages / peer, 2),
            "ratio": round(peer / ours, 2),
        }
    return {"machine": machine(), "workers": workers, "scan_dpi": dpi, "ocr_languages": ocr_languages,
            "results": results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dpi", type=int, default=200, help="DPI of the rasterised copies")
    ap.add_argument("--workers", type=int, default=0, help="page processes (0 = one per core)")
    ap.add_argument("--ocr-languages", default="kor+eng", help="Tesseract languages for scanned pages")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (SHARED_DATA / "real-ko-pdfs").exists():
        sys.exit(f"needs {SHARED_DATA}/real-ko-pdfs")
    out = run(args.dpi, args.workers, args.ocr_languages)
    write_json("ingest_throughput", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"ingest throughput on {out['machine']} (workers={args.workers or 'auto'}, "
          f"OCR {args.ocr_languages})")
    rows = [[k, v["pages"], v["crops"], v["docagent_pages_per_s"], v["peer_pages_per_s"], f"{v['ratio']}x"]
            for k, v in out["results"].items()]
    print(table(["set", "pages", "crops", "docagent pages/s", "pymupdf4llm pages/s", "ratio"], rows))


if __name__ == "__main__":
    main()

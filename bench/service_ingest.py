"""Ingest through the service: upload-to-searchable time, and batch throughput on scans.

1. Upload to searchable: the sample documents of ``make demo`` (four real Korean PDFs, a
   generated table, a scanned page) uploaded in one request to the embedded service; the
   clock stops when the job has succeeded and a search for each document's known phrase puts
   that document first. Baseline in the same run: ``docagent ingest`` of the same files from a
   fresh process (no service, no HTTP, no broker), on a fresh home.
2. Batch throughput: ``docagent batch`` from a fresh process over a folder of scanned reports
   (image-only PDFs of the ``vlm.synth`` templates, ``--pages`` pages in all), both cores busy
   (two page workers). Peer in the same run: PyMuPDF renders each page at the OCR resolution
   and Tesseract (``kor+eng``, one pass, TSV) reads it, in a pool of two processes, over the
   first ``--peer-pages`` pages of the same folder; pages/s are compared.

    .venv/bin/python -m bench.service_ingest [--pages 1000] [--peer-pages 200] [--skip-batch]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

from bench.common import machine, table, write_json
from bench.service import Service
from docagent.processes import DOCAGENT


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def upload_to_searchable(folder: Path) -> dict:
    from docagent.demo import QUERIES

    files = sorted(folder.iterdir())
    with tempfile.TemporaryDirectory(prefix="docagent-upload-") as home:
        service = Service(Path(home), "embedded")
        try:
            key = service.start()
            http = httpx.Client(base_url=service.base, headers={"Authorization": f"Bearer {key}"}, timeout=120)
            coll = http.post("/v1/collections", json={"name": "up"}).json()["id"]
            cpu0 = service.cpu_seconds()
            t0 = time.perf_counter()
            res = http.post(f"/v1/collections/{coll}/documents",
                            files=[("files", (p.name, p.read_bytes(), "application/pdf")) for p in files])
            job = res.json()["job_id"]
            while http.get(f"/v1/jobs/{job}").json()["status"] not in ("succeeded", "failed"):
                time.sleep(0.1)
            pending = list(QUERIES)
            while pending:
                query, filename, _ = pending[0]
                hits = http.post(f"/v1/collections/{coll}/search", json={"query": query, "k": 1}).json()["results"]
                if hits and hits[0]["filename"] == filename:
                    pending.pop(0)
                else:
                    time.sleep(0.1)
            wall = time.perf_counter() - t0
            cpu = service.cpu_seconds() - cpu0
        finally:
            service.stop()
    with tempfile.TemporaryDirectory(prefix="docagent-cli-") as home:
        env = {**os.environ, "DOCAGENT_HOME": home}
        c0, t0 = _children_cpu(), time.perf_counter()
        out = subprocess.run([*DOCAGENT, "ingest", *map(str, files), "--collection", "up", "--json"],
                             env=env, capture_output=True, text=True, check=True)
        cli_wall, cli_cpu = time.perf_counter() - t0, _children_cpu() - c0
    pages = sum(d["pages"] for d in json.loads(out.stdout)["documents"])
    return {"files": len(files), "pages": pages, "http_s": wall, "http_cpu_s": cpu,
            "cli_s": cli_wall, "cli_cpu_s": cli_cpu}


def scanned_archive(folder: Path, pages: int) -> int:
    """Image-only reports of every template until ``pages`` pages; returns the page count."""
    import pymupdf

    from vlm.synth.collections import template_collection
    from vlm.synth.templates import TEMPLATES

    total, seed = 0, 0
    while total < pages:
        for name, t in TEMPLATES.items():
            for d in template_collection(name, n_documents=len(t.entities), seed=seed).scanned(dpi=200).documents:
                if total >= pages:
                    return total
                (folder / f"s{seed}-{d.filename}").write_bytes(d.pdf)
                total += pymupdf.open(stream=d.pdf).page_count
        seed += 1
    return total


def _peer_page(args: tuple[str, int, int]) -> int:
    import pymupdf

    path, number, dpi = args
    with pymupdf.open(path) as doc:
        png = doc[number].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).tobytes("png")
    out = subprocess.run(["tesseract", "stdin", "stdout", "-l", "kor+eng", "tsv"], input=png,
                         capture_output=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return len(out.stdout)


def peer(folder: Path, pages: int, dpi: int) -> dict:
    import pymupdf

    work = []
    for path in sorted(folder.iterdir()):
        with pymupdf.open(path) as doc:
            work += [(str(path), i, dpi) for i in range(doc.page_count)]
    work = work[:pages]
    c0, t0 = _children_cpu(), time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_peer_page, work, chunksize=4))
    return {"pages": len(work), "s": time.perf_counter() - t0, "cpu_s": _children_cpu() - c0}


def batch(folder: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="docagent-batch-") as home:
        env = {**os.environ, "DOCAGENT_HOME": home, "DOCAGENT_INGEST_WORKERS": "2"}
        c0, t0 = _children_cpu(), time.perf_counter()
        out = subprocess.run([*DOCAGENT, "batch", str(folder), "--collection", "archive", "--json"],
                             env=env, capture_output=True, text=True, check=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    report = json.loads(out.stdout)
    return {"pages": report["pages"], "documents": report["indexed"], "failed": len(report["failed"]),
            "s": wall, "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--peer-pages", type=int, default=200)
    ap.add_argument("--skip-batch", action="store_true")
    args = ap.parse_args()
    from docagent.demo import sample_documents
    from docagent.settings import Settings

    out: dict = {"machine": machine(), "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="docagent-bench-files-") as tmp:
        samples = Path(tmp) / "samples"
        samples.mkdir()
        for up in sample_documents():
            (samples / up.filename).write_bytes(up.data or b"")
        out["upload"] = up_ = upload_to_searchable(samples)
        print(f"\n{machine()}")
        print(table(["path", "files", "pages", "wall s", "CPU s", "ratio"], [
            ["upload over HTTP to searchable", up_["files"], up_["pages"], f"{up_['http_s']:.1f}",
             f"{up_['http_cpu_s']:.1f}", f"{up_['http_s'] / up_['cli_s']:.2f}x"],
            ["docagent ingest (fresh process)", up_["files"], up_["pages"], f"{up_['cli_s']:.1f}",
             f"{up_['cli_cpu_s']:.1f}", "1.00x"]]))
        if not args.skip_batch:
            archive = Path(tmp) / "archive"
            archive.mkdir()
            total = scanned_archive(archive, args.pages)
            out["batch"] = b = batch(archive)
            out["peer"] = p = peer(archive, args.peer_pages, Settings().ocr_dpi)
            print(f"\nscanned archive: {total} pages in {len(list(archive.iterdir()))} files")
            print(table(["run", "pages", "wall s", "CPU s", "pages/s", "ratio"], [
                ["docagent batch", b["pages"], f"{b['s']:.1f}", f"{b['cpu_s']:.1f}",
                 f"{b['pages'] / b['s']:.2f}", f"{(b['pages'] / b['s']) / (p['pages'] / p['s']):.2f}x"],
                ["render + tesseract kor+eng, 2 processes", p["pages"], f"{p['s']:.1f}", f"{p['cpu_s']:.1f}",
                 f"{p['pages'] / p['s']:.2f}", "1.00x"]]))
    write_json("service_ingest", out)


if __name__ == "__main__":
    main()

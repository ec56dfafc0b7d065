"""Search latency p50/p95 on a collection of at least 10,000 crops.

The collection is built through the normal write path (``PageWriter``: Kiwi terms, vectors,
database rows, then the index) from KorQuAD sentences in windows of one to five sentences,
so crop lengths vary like real text blocks. Measured per query, for each mode: the service's
``search`` end to end (tenant and collection look-up, index consistency check, analysis,
embedding, FAISS + BM25, fusion, rows), against the libraries alone on the same index with
precomputed query terms and vectors (the floor), in the same run. The per-query consistency
check is also timed alone, both ways: the database's aggregate id summary (what a query runs)
against reading every crop id to compare the full fingerprint (what loads and writes run).

    .venv/bin/python -m bench.search_latency [--crops 10000] [--queries 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time

import numpy as np

from bench.common import SHARED_DATA, fresh_settings, machine, table, write_json

_SENT = re.compile(r"(?<=[.!?다])\s+")


def crop_texts(n: int) -> tuple[list[str], list[str]]:
    data = json.loads((SHARED_DATA / "korquad-v1-dev-part-a.json").read_text())["data"]
    paras = [p for art in data for p in art["paragraphs"]]
    sentences = [[s for s in _SENT.split(p["context"]) if s.strip()] for p in paras]
    texts: list[str] = []
    for width in range(1, 8):
        for sents in sentences:
            texts.extend(" ".join(sents[i:i + width]) for i in range(0, max(len(sents) - width + 1, 1)))
        if len(texts) >= n:
            break
    questions = [qa["question"] for p in paras for qa in p["qas"]]
    return texts[:n], questions


def build_collection(settings, texts: list[str], per_page: int = 50) -> None:
    from docagent.catalog import get_or_create_collection, get_or_create_tenant
    from docagent.db.migrate import upgrade
    from docagent.db.models import Document, DocumentStatus
    from docagent.db.session import session_scope
    from docagent.indexes import embedder_for, open_index
    from docagent.pagewriter import PageWriter
    from docagent.store import FileStore
    from indexing.geometry import Box
    from indexing.model import PageRecord, Region, RegionKind, TextSource

    upgrade(settings.database_url)
    embedder = embedder_for(settings.embedder)
    writer = PageWriter(FileStore(settings.files_dir), embedder)
    for start in range(0, len(texts), per_page):
        chunk = texts[start:start + per_page]
        regions = [Region(RegionKind.TEXT, Box(50, 10 + 15 * i, 545, 22 + 15 * i), order=i, text=t)
                   for i, t in enumerate(chunk)]
        writer.add(PageRecord(start // per_page + 1, 595, 842, text_source=TextSource.TEXT_LAYER, regions=regions))
    with session_scope(settings.database_url) as s:
        tenant = get_or_create_tenant(s)
        coll = get_or_create_collection(s, tenant, "latency", embedder.name, embedder.dim)
        doc = Document(tenant_id=tenant.id, collection_id=coll.id, filename="korquad-windows",
                       sha256="0" * 64, size_bytes=0, status=DocumentStatus.INDEXED, page_count=writer.page_count)
        s.add(doc)
        s.flush()
        writer.write(s, doc)
    with session_scope(settings.database_url) as s:
        open_index(settings, s, s.get_one(type(coll), coll.id))  # built from the database


def percentiles(samples: list[float]) -> dict:
    qs = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(qs[49] * 1000, 2), "p95_ms": round(qs[94] * 1000, 2)}


def measure(settings, questions: list[str]) -> dict:
    from docagent.db.models import Collection
    from docagent.db.session import session_scope
    from docagent.indexes import embedder_for, open_index
    from docagent.pagewriter import analyzer
    from docagent.search import search

    with session_scope(settings.database_url) as s:
        coll = s.query(Collection).one()
        index = open_index(settings, s, coll)
    embedder = embedder_for(coll.embedder)
    terms = analyzer().index_terms_batch(questions)
    vectors = np.vstack([embedder.encode_query(q) for q in questions])
    search(settings, "default", "latency", questions[0], k=5)  # warm caches once
    out = {}
    for mode in ("sparse", "dense", "hybrid"):
        service, floor = [], []
        for q, t, v in zip(questions, terms, vectors, strict=True):
            t0 = time.perf_counter()
            search(settings, "default", "latency", q, k=5, mode=mode)
            service.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            index.search(t, v, 5, mode=mode, dense_weight=embedder.fusion_weight)
            floor.append(time.perf_counter() - t0)
        out[mode] = {"service": percentiles(service), "index_only": percentiles(floor)}
        out[mode]["p50_ratio"] = round(out[mode]["service"]["p50_ms"] / max(out[mode]["index_only"]["p50_ms"], 1e-6), 2)
    return out


def measure_check(settings, n: int) -> dict:
    from docagent.db.models import Collection
    from docagent.db.session import session_scope
    from docagent.indexes import db_summary, db_unit_ids, open_index
    from indexing.search import Fingerprint

    full, summary = [], []
    with session_scope(settings.database_url) as s:
        coll = s.query(Collection).one()
        index = open_index(settings, s, coll)
        for _ in range(n):
            t0 = time.perf_counter()
            same_ids = index.fingerprint() == Fingerprint.of_ids(db_unit_ids(s, coll.id))
            full.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            same_summary = index.summary() == db_summary(s, coll.id)
            summary.append(time.perf_counter() - t0)
            if not (same_ids and same_summary):
                raise SystemExit("the index is out of step with the database: nothing to time")
    out = {"summary": percentiles(summary), "full_fingerprint": percentiles(full)}
    out["p50_ratio"] = round(out["full_fingerprint"]["p50_ms"] / max(out["summary"]["p50_ms"], 1e-6), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crops", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    texts, questions = crop_texts(args.crops)
    questions = random.Random(0).sample(questions, min(args.queries, len(questions)))
    with fresh_settings() as settings:
        t0 = time.perf_counter()
        build_collection(settings, texts)
        build_s = time.perf_counter() - t0
        res = measure(settings, questions)
        check = measure_check(settings, len(questions))
    out = {"machine": machine(), "crops": len(texts), "queries": len(questions),
           "build_s": round(build_s, 1), "latency": res, "check": check}
    write_json("search_latency", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"search latency on {out['machine']}: {out['crops']} crops, {out['queries']} queries, k=5")
    rows = [[m, v["service"]["p50_ms"], v["service"]["p95_ms"], v["index_only"]["p50_ms"],
             v["index_only"]["p95_ms"], f"{v['p50_ratio']}x"] for m, v in res.items()]
    print(table(["mode", "service p50 ms", "service p95 ms", "index-only p50 ms", "index-only p95 ms",
                 "service/index p50"], rows))
    rows = [[name, check[key]["p50_ms"], check[key]["p95_ms"]]
            for name, key in (("id summary (aggregate query)", "summary"),
                              ("every id + full fingerprint", "full_fingerprint"))]
    print(f"\nconsistency check per query (full/summary p50: {check['p50_ratio']}x)")
    print(table(["check", "p50 ms", "p95 ms"], rows))


if __name__ == "__main__":
    main()

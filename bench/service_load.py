"""The service under load: concurrent clients of mixed search and query over HTTP.

A collection of at least 1,000 pages (reports of the six templates of ``vlm.synth``, edition
after edition, text layer) is uploaded over HTTP; then ``--clients`` clients send searches and questions (the
extractive backend answers through the query worker) for ``--seconds``: latency p50/p95/p99
per kind, throughput, errors. The baseline in the same run is the same searches in process
(``docagent.search.search`` on the same database), so the ratio is what HTTP, auth and the
API cost. Both modes: the embedded default (SQLite, server-less broker, ``docagent serve``)
and the deployment (PostgreSQL, Redis, ``docagent worker`` processes).

    .venv/bin/python -m bench.service_load [--pages 1000] [--clients 20] [--seconds 60]
        [--modes embedded,deployment] [--query-share 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import machine, table, write_json
from bench.service import Service, upload_and_wait


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def workload(pages: int):  # type: ignore[no-untyped-def]
    """Reports of every template, edition after edition (seeds), until ``pages`` pages."""
    import pymupdf

    from vlm.synth.collections import template_collection
    from vlm.synth.templates import TEMPLATES

    docs, questions, seed = [], [], 0
    while sum(d[2] for d in docs) < pages:
        for name, t in TEMPLATES.items():
            reports = template_collection(name, n_documents=len(t.entities), seed=seed)
            docs += [(f"s{seed}-{d.filename}", d.pdf, pymupdf.open(stream=d.pdf).page_count)
                     for d in reports.documents]
            questions += [q.text for q in reports.questions]
        seed += 1
    return [(n, pdf) for n, pdf, _ in docs], questions


async def _client(base: str, key: str, coll: str, questions: list[str], deadline: float,
                  share: float, seed: int, out: dict) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        while time.monotonic() < deadline:
            kind = "query" if rng.random() < share else "search"
            q = rng.choice(questions)
            body = {"question": q} if kind == "query" else {"query": q, "k": 5}
            t0 = time.perf_counter()
            try:
                res = await http.post(f"/v1/collections/{coll}/{kind}", json=body)
                ok = res.status_code == 200
            except httpx.HTTPError:
                ok = False
            out[kind].append(time.perf_counter() - t0)
            if not ok:
                out["errors"] += 1


def load(base: str, key: str, coll: str, questions: list[str], clients: int, seconds: float,
         share: float) -> dict:
    out: dict = {"search": [], "query": [], "errors": 0}
    deadline = time.monotonic() + seconds

    async def all_clients() -> None:
        await asyncio.gather(*(_client(base, key, coll, questions, deadline, share, i, out)
                               for i in range(clients)))

    t0 = time.perf_counter()
    asyncio.run(all_clients())
    out["wall"] = time.perf_counter() - t0
    return out


def in_process_vs_http(service: Service, key: str, coll_name: str, coll_id: str, queries: list[str]) -> dict:
    """The same searches, one at a time: in this process, then over HTTP."""
    from docagent.search import search
    from docagent.settings import Settings

    settings = Settings(home=service.home, database_url=service.database_url)
    search(settings, "bench", coll_name, queries[0])  # warm: index loaded, Kiwi up
    local = []
    for q in queries:
        t0 = time.perf_counter()
        search(settings, "bench", coll_name, q, k=5)
        local.append(time.perf_counter() - t0)
    remote = []
    with httpx.Client(base_url=service.base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        http.post(f"/v1/collections/{coll_id}/search", json={"query": queries[0]})
        for q in queries:
            t0 = time.perf_counter()
            http.post(f"/v1/collections/{coll_id}/search", json={"query": q, "k": 5}).raise_for_status()
            remote.append(time.perf_counter() - t0)
    return {"in_process_p50": statistics.median(local), "http_p50": statistics.median(remote),
            "in_process_p95": percentile(local, 0.95), "http_p95": percentile(remote, 0.95)}


def run_mode(mode: str, docs: list, questions: list[str], args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"docagent-load-{mode}-") as home:
        service = Service(Path(home), mode)
        try:
            key = service.start()
            http = httpx.Client(base_url=service.base, headers={"Authorization": f"Bearer {key}"}, timeout=120)
            coll = http.post("/v1/collections", json={"name": "load"}).json()["id"]
            upload_s = upload_and_wait(http, coll, docs)
            pages = indexed_pages(service.database_url)
            load(service.base, key, coll, questions, 2, 3, args.query_share)  # warm: indexes, models loaded
            cpu0 = service.cpu_seconds()
            result = load(service.base, key, coll, questions, args.clients, args.seconds, args.query_share)
            cpu = service.cpu_seconds() - cpu0
            overhead = in_process_vs_http(service, key, "load", coll, random.Random(3).choices(questions, k=200))
            return {"mode": mode, "pages": pages, "upload_s": upload_s, "cpu_s": cpu, **result, **overhead}
        finally:
            service.stop()


def indexed_pages(database_url: str) -> int:
    from sqlalchemy import func, select

    from docagent.db.models import Document
    from docagent.db.session import session_scope

    with session_scope(database_url) as s:
        return int(s.scalar(select(func.sum(Document.page_count)).where(Document.status == "indexed")) or 0)


def report(runs: list[dict], args: argparse.Namespace) -> None:
    rows = []
    for r in runs:
        for kind in ("search", "query"):
            lat = r[kind]
            rows.append([r["mode"], kind, len(lat), f"{len(lat) / r['wall']:.1f}",
                         f"{percentile(lat, 0.5) * 1000:.0f}", f"{percentile(lat, 0.95) * 1000:.0f}",
                         f"{percentile(lat, 0.99) * 1000:.0f}"])
        rows.append([r["mode"], "all", len(r["search"]) + len(r["query"]),
                     f"{(len(r['search']) + len(r['query'])) / r['wall']:.1f}", "", "", f"errors {r['errors']}"])
    print(f"\n{args.clients} clients for {args.seconds:.0f} s, {args.query_share:.0%} questions; {machine()}")
    print(table(["mode", "kind", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms"], rows))
    print()
    print(table(["mode", "pages", "upload to searchable s", "pages/s", "service CPU s under load",
                 "search in process p50 ms", "over HTTP p50 ms", "ratio"],
                [[r["mode"], r["pages"], f"{r['upload_s']:.1f}", f"{r['pages'] / r['upload_s']:.2f}",
                  f"{r['cpu_s']:.1f}", f"{r['in_process_p50'] * 1000:.1f}", f"{r['http_p50'] * 1000:.1f}",
                  f"{r['http_p50'] / r['in_process_p50']:.2f}x"] for r in runs]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--modes", default="embedded,deployment")
    ap.add_argument("--query-share", type=float, default=0.3)
    args = ap.parse_args()
    docs, questions = workload(args.pages)
    runs = [run_mode(m, docs, questions, args) for m in args.modes.split(",")]
    report(runs, args)
    write_json("service_load", {"machine": machine(), "args": vars(args),
                                "runs": [{k: v for k, v in r.items() if k not in ("search", "query")} |
                                         {"n_search": len(r["search"]), "n_query": len(r["query"])}
                                         for r in runs]})


if __name__ == "__main__":
    main()

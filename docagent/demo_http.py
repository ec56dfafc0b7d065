"""``make demo``: the main job over HTTP, as a user of the service meets it.

Starts the embedded service (``docagent serve``: the API and its workers, SQLite, the local
store, the server-less broker) on a free loopback port, creates an API key, uploads the
sample Korean documents and a dozen city yearbooks of one template, follows the jobs' progress,
runs located searches, asks document, table, two-step, chart and cross-document questions,
prints each answer with its reasoning and citations, draws the cited boxes on the page images
fetched from the API (under ``$DOCAGENT_HOME/demo-answers/``), and stops the service.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from docagent.demo import QUERIES, SHARED, sample_documents
from docagent.demo_answers import _same, sample_questions, template_questions
from docagent.processes import Proc, create_key, free_port, wait_ready
from docagent.settings import Settings, get_settings

TENANT = "demo"


class Service:
    """``docagent serve`` as a child process, stopped on exit."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DOCAGENT_HOME": str(settings.home), "DOCAGENT_RATE_LIMIT_PER_MINUTE": "0"}
        self.env = env
        self.proc = Proc(["serve", "--port", str(self.port)], env, settings.home / "run" / "demo-serve.log")

    def wait_ready(self) -> None:
        wait_ready(self.base, self.proc)

    def stop(self) -> None:
        self.proc.stop()


def collection(http: httpx.Client, name: str) -> str:
    found = {c["name"]: c["id"] for c in http.get("/v1/collections").json()["collections"]}
    if name in found:
        return found[name]
    res = http.post("/v1/collections", json={"name": name})
    res.raise_for_status()
    return res.json()["id"]


def upload(http: httpx.Client, coll: str, docs: list[tuple[str, bytes]]) -> dict:
    """Upload, then follow the job's progress until it ends; returns the final job."""
    res = http.post(f"/v1/collections/{coll}/documents",
                    files=[("files", (name, data, "application/octet-stream")) for name, data in docs])
    res.raise_for_status()
    job_id, last, rows = res.json()["job_id"], -1.0, res.json()["documents"]
    t0 = time.perf_counter()
    while True:
        view = http.get(f"/v1/jobs/{job_id}").json()
        if view["progress"] >= last + 0.1 or view["status"] != "running":
            print(f"  job {job_id[:8]} {view['status']:9} {view['progress'] * 100:5.1f}%  "
                  f"{view['done']}/{view['total']} documents  {time.perf_counter() - t0:5.1f} s")
            last = view["progress"]
        if view["status"] in ("succeeded", "failed", "cancelled"):
            done = {d["id"]: d for d in (view["result"] or {}).get("documents", [])}
            return {**view, "documents": [done.get(r["id"], r) for r in rows]}  # re-uploads included
        time.sleep(0.5)


def draw(http: httpx.Client, answer: dict, out: Path, name: str) -> list[Path]:
    """Each cited page fetched from the API with its cited boxes drawn."""
    pages: dict[tuple[str, str, int], list[dict]] = {}
    for c in answer["citations"]:
        pages.setdefault((c["document_id"], Path(c["filename"]).stem, c["page"]), []).append(c)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for (doc_id, stem, number), cites in pages.items():
        res = http.get(f"/v1/documents/{doc_id}/pages/{number}/image")
        if res.status_code != 200:
            continue
        img = Image.open(io.BytesIO(res.content)).convert("RGB")
        scale = img.width / cites[0]["page_size"][0]  # page points -> image pixels
        pen = ImageDraw.Draw(img)
        for c in cites:
            pen.rectangle([v * scale for v in c["bbox"]], outline=(220, 30, 30), width=3)
        path = out / f"{name}-{stem}-p{number}.png"
        img.save(path)
        paths.append(path)
    return paths


def ask(http: httpx.Client, coll: str, question: str, expected: str | None, out: Path, name: str) -> bool:
    t0 = time.perf_counter()
    res = http.post(f"/v1/collections/{coll}/query", json={"question": question})
    answer = res.json()
    took = time.perf_counter() - t0
    if res.status_code != 200:
        print(f"✗ {question}\n    HTTP {res.status_code}: {json.dumps(answer, ensure_ascii=False)[:200]}")
        return False
    ok = (not answer["answerable"]) if expected is None else (answer["answerable"] and _same(expected, answer["answer"]))
    print(f"{'✓' if ok else '✗'} [{answer.get('kind', '')}] {question}   ({took:.2f} s over HTTP)")
    print(f"    answer: {answer['answer']}" if answer["answerable"] else f"    cannot answer: {answer.get('reason', '')}")
    for line in answer["reasoning"]:
        print(f"      · {line}")
    for c in answer["citations"][:6]:
        print(f"      [{c['filename']} p.{c['page']} {c['kind']} bbox={c['bbox']}] {c['quote'][:70]}")
    if answer["citations"]:
        print(f"      cited boxes drawn: {', '.join(str(p) for p in draw(http, answer, out, name))}")
    return ok


def searches(http: httpx.Client, coll: str) -> int:
    found = 0
    for query, filename, page in QUERIES:
        hits = http.post(f"/v1/collections/{coll}/search", json={"query": query, "k": 3}).json()["results"]
        ok = bool(hits) and hits[0]["filename"] == filename and hits[0]["page"] == page
        found += ok
        print(f"{'✓' if ok else '✗'} {query}   (expected {filename} p.{page})")
        for h in hits:
            print(f"    {h['score']:.4f}  {h['filename']} p.{h['page']} {h['kind']:<8} bbox={h['bbox']}  "
                  f"{' '.join(h['text'].split())[:60]}")
    print(f"{found}/{len(QUERIES)} searches put the expected page first")
    return found


def main() -> int:
    from vlm.synth.agent_questions import agent_questions
    from vlm.synth.collections import template_collection

    settings = get_settings()
    print(f"starting the embedded service (docagent serve) under {settings.home}")
    service = Service(settings)
    try:
        service.wait_ready()
        key = create_key(service.env, TENANT)
        print(f"service at {service.base}; API key for tenant '{TENANT}': {key[:12]}…")
        http = httpx.Client(base_url=service.base, headers={"Authorization": f"Bearer {key}"}, timeout=120)
        samples = collection(http, "samples")
        print("\nuploading the sample documents")
        job = upload(http, samples, [(u.filename, u.data) for u in sample_documents() if u.data])
        for d in job["documents"]:
            print(f"  {d['status']:8} {d['filename']:32} pages={d['pages']:<3} crops={d['crops']:<4} {d['error'] or ''}")
        print("\nsearch (POST /v1/collections/{id}/search)")
        found = searches(http, samples)
        reports = template_collection("city_yearbook", n_documents=12, seed=1)
        yearbooks = collection(http, "yearbooks")
        print(f"\nuploading {len(reports.documents)} city yearbooks of one template")
        upload(http, yearbooks, [(d.filename, d.pdf) for d in reports.documents])
        out = settings.home / "demo-answers"
        print("\nanswers (POST /v1/collections/{id}/query) over the sample documents")
        asked = [ask(http, samples, q, a, out, f"sample-{i}") for i, (q, a) in enumerate(sample_questions(SHARED))]
        print("\nanswers over the yearbooks: document, table, two-step, chart, comparison, extreme, yes/no, refusal")
        pairs = template_questions(reports, agent_questions(reports, per_kind=1, seed=1))
        asked += [ask(http, yearbooks, q, a, out, f"yearbook-{i}") for i, (q, a) in enumerate(pairs)]
        print(f"\n{sum(asked)}/{len(asked)} questions answered as expected (refusals included)")
        return 0 if found and sum(asked) else 1
    finally:
        print("stopping the service")
        service.stop()


if __name__ == "__main__":
    sys.exit(main())

"""Page retrieval on KorQuAD 1.0 (dev, part a): BM25, dense, and fused, text layer vs scans.

Each article is rendered to a PDF (real text layer) and to a rasterised copy (image only, so
OCR), both are ingested through the normal pipeline, and every question is asked in each
mode. A hit is the page that holds the question's paragraph (either page when a paragraph
spans two). Reported: recall@1, recall@5 and MRR@10 over pages. The baseline measured in
the same run is BM25 over whitespace words of the same crops (no morphemes, no bigrams).

    .venv/bin/python -m bench.retrieval_korquad [--articles 70] [--scan-articles 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from bench.common import SHARED_DATA, fresh_settings, machine, table, write_json

MODES = ("sparse", "dense", "hybrid")


@dataclass
class Question:
    text: str
    filename: str
    pages: set[int]
    answer: str = ""


def load_articles(n: int) -> list[dict]:
    data = json.loads((SHARED_DATA / "korquad-v1-dev-part-a.json").read_text())["data"]
    return data[:n]


def render(articles: list[dict]) -> tuple[list[tuple[str, bytes]], list[Question]]:
    from vlm.synth.pdf import text_pdf

    files, questions = [], []
    for i, art in enumerate(articles):
        name = f"korquad-{i:03d}.pdf"
        rendered = text_pdf(art["title"], [p["context"] for p in art["paragraphs"]])
        files.append((name, rendered.pdf))
        for para, pages in zip(art["paragraphs"], rendered.paragraph_pages, strict=True):
            questions.extend(Question(qa["question"], name, set(pages), qa["answers"][0]["text"])
                             for qa in para["qas"])
    return files, questions


def ingest(settings, files: list[tuple[str, bytes]]) -> None:
    from docagent.ingest import Ingestor
    from docagent.intake import Upload

    ing = Ingestor(settings)
    job, _ = ing.submit("default", "korquad", [Upload(n, d) for n, d in files])
    bad = [r for r in ing.run_job(job) if r.status != "indexed"]
    if bad:
        raise RuntimeError(f"ingest failed: {bad[:3]}")


def page_ranks(ranked_ids: list[int], where: dict[int, tuple[str, int]]) -> list[tuple[str, int]]:
    """Crop ids in rank order -> distinct (filename, page) in rank order."""
    seen: list[tuple[str, int]] = []
    for cid in ranked_ids:
        key = where.get(cid)
        if key is not None and key not in seen:
            seen.append(key)
    return seen


def _squash(text: str) -> str:
    return "".join(text.split())


def crop_score(ranked_ids: list[list[int]], questions: list[Question], texts: dict[int, str]) -> dict:
    """Located retrieval: is the gold answer inside the top crop / the top five crops?"""
    a1 = a5 = 0
    for ids, q in zip(ranked_ids, questions, strict=True):
        hit = [_squash(q.answer) in _squash(texts.get(i, "")) for i in ids[:5]]
        a1 += bool(hit[:1] and hit[0])
        a5 += any(hit)
    n = max(len(questions), 1)
    return {"answer_in_crop@1": round(a1 / n, 4), "answer_in_crop@5": round(a5 / n, 4)}


def score(ranked: list[list[tuple[str, int]]], questions: list[Question]) -> dict:
    r1 = r5 = mrr = 0.0
    for pages, q in zip(ranked, questions, strict=True):
        rank = next((i for i, (f, p) in enumerate(pages[:10]) if f == q.filename and p in q.pages), None)
        if rank is not None:
            r1 += rank == 0
            r5 += rank < 5
            mrr += 1.0 / (rank + 1)
    n = max(len(questions), 1)
    return {"recall@1": round(r1 / n, 4), "recall@5": round(r5 / n, 4), "mrr@10": round(mrr / n, 4)}


def evaluate(settings, questions: list[Question]) -> dict:
    from docagent.db.models import Collection, Crop, Document, Page
    from docagent.db.session import session_scope
    from docagent.indexes import embedder_for, open_index
    from docagent.pagewriter import analyzer

    with session_scope(settings.database_url) as s:
        coll = s.scalars(select(Collection)).one()
        index = open_index(settings, s, coll)
        rows = s.execute(select(Crop.id, Crop.text, Document.filename, Page.number)
                         .join(Page, Crop.page_id == Page.id).join(Document, Crop.document_id == Document.id)).all()
    where = {r.id: (r.filename, r.number) for r in rows}
    texts = {r.id: r.text for r in rows}
    embedder = embedder_for(coll.embedder)
    terms = analyzer().index_terms_batch([q.text for q in questions])
    vectors = np.vstack([embedder.encode_query(q.text) for q in questions])
    out = {}
    for mode in MODES:
        ids = [[h.id for h in index.search(t, v, 20, mode=mode, dense_weight=embedder.fusion_weight)]
               for t, v in zip(terms, vectors, strict=True)]
        out[mode] = score([page_ranks(i, where) for i in ids], questions) | crop_score(ids, questions, texts)
    base_ids = _whitespace_bm25(rows, questions)
    out["baseline: BM25 whitespace"] = (score([page_ranks(i, where) for i in base_ids], questions)
                                        | crop_score(base_ids, questions, texts))
    out["crops"] = len(rows)
    return out


def _whitespace_bm25(rows, questions: list[Question]) -> list[list[int]]:
    import bm25s

    ids = [r.id for r in rows]
    retriever = bm25s.BM25()
    retriever.index([r.text.split() or ["∅"] for r in rows], show_progress=False)
    vocab = set().union(*(r.text.split() for r in rows))
    ranked = []
    for q in questions:
        toks = [t for t in q.text.split() if t in vocab] or ["∅"]
        docs, _ = retriever.retrieve([toks], k=min(20, len(ids)), show_progress=False)
        ranked.append([ids[int(i)] for i in np.asarray(docs)[0]])
    return ranked


def run(n_articles: int, n_scan: int, max_questions: int) -> dict:
    from vlm.synth.pdf import rasterise

    articles = load_articles(n_articles)
    files, questions = render(articles)
    rng = random.Random(0)
    if max_questions and len(questions) > max_questions:
        questions = rng.sample(questions, max_questions)
    result = {"machine": machine(), "articles": n_articles, "questions": len(questions)}
    with fresh_settings() as settings:
        ingest(settings, files)
        result["text-layer"] = evaluate(settings, questions)
    scan_names = {name for name, _ in files[:n_scan]}
    scan_qs = [q for q in questions if q.filename in scan_names]
    if scan_qs:
        with fresh_settings() as settings:
            ingest(settings, [(n, rasterise(d, dpi=200)) for n, d in files[:n_scan]])
            result["scanned"] = evaluate(settings, scan_qs)
            result["scanned"]["questions"] = len(scan_qs)
            result["scanned"]["articles"] = n_scan
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=70)
    ap.add_argument("--scan-articles", type=int, default=20, help="articles also ingested as scans (OCR is slow)")
    ap.add_argument("--max-questions", type=int, default=0, help="sample this many questions (0 = all)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args.articles, args.scan_articles, args.max_questions)
    write_json("retrieval_korquad", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"KorQuAD page retrieval on {out['machine']}: {out['articles']} articles, {out['questions']} questions")
    for setname in ("text-layer", "scanned"):
        if setname not in out:
            continue
        res = out[setname]
        base = res["baseline: BM25 whitespace"]["mrr@10"] or 1e-9
        rows = [[m, v["recall@1"], v["recall@5"], v["mrr@10"], f"{v['mrr@10'] / base:.2f}x",
                 v.get("answer_in_crop@1", "-"), v.get("answer_in_crop@5", "-")]
                for m, v in res.items() if isinstance(v, dict)]
        print(f"\n{setname} ({res['crops']} crops)")
        print(table(["signal", "page recall@1", "page recall@5", "page MRR@10", "MRR vs baseline",
                     "answer in crop@1", "answer in crop@5"], rows))


if __name__ == "__main__":
    main()

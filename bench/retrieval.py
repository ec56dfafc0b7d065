"""Page retrieval and located evidence, per question kind: template collections and KorQuAD.

Sets, each ingested through the normal pipeline (text layer, rasterised "scans" read by OCR,
and for the templates "worn scans": turned, blurred, noisy, gray, JPEG-compressed):

- template collections (``vlm.synth``): for each template, one collection of a dozen reports
  filled for different entities, whose name only the title on page 1 carries; document, table,
  two-step table and chart questions with gold pages and boxes. The development templates are
  the ones the context rules were written and tuned on; the held-out ones were only measured
  until rules came from their failures (the OCR-split title rule; library_annual's split words,
  requests and noun pairs); the unseen one was added after those and no rule has been written
  from its results.
- KorQuAD 1.0 dev (part a): each article rendered to a PDF (its title as the first line).

Variants, each built from the same stored crops (``bench.retrieval_eval``): crop-only (each
crop by its own text, headings and captions as results: the indexing before), +context
(title, heading path, caption; headings and captions folded), +table rows, +page/document
signal (and the title's character n-grams), and the service's default (the settings
``docagent.search`` uses). Weights are swept on the development templates (text, scans and
worn scans) and KorQuAD text; the held-out templates and KorQuAD scans only report. A check
confirms that the service's own ``search`` returns what the default variant ranks.

    .venv/bin/python -m bench.retrieval [--quick] [--no-scans] [--no-sweep] [--json]
                                        [--only "development, scans" ...]

``--only``: ingest and measure only the sets whose name contains one of the given strings
(``templates development, text``, ``templates held-out, scans``, ``KorQuAD, text``, ...).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import replace

from bench.common import SHARED_DATA, fresh_settings, machine, table, write_json
from bench.retrieval_eval import CROP_ONLY, Corpus, Question, Variant, evaluate, summarise
from indexing.passages import PassageOptions
from indexing.search import Fusion

KINDS = ("document", "table", "two-step", "chart", "korquad", "all")
PLAIN_CONTEXT = PassageOptions(table_rows=False, page_units=False, document_units=False)
WITH_ROWS = PassageOptions(page_units=False, document_units=False)


def default_variant(dense_weight: float) -> Variant:
    from docagent.search import FUSION

    return Variant("default (service)", PassageOptions(), "hybrid" if dense_weight else "sparse",
                   dense_weight, FUSION)


def ladder(dense_weight: float) -> list[Variant]:
    """From the indexing before (crop-only) to the default, one step at a time (sparse)."""
    from docagent.search import FUSION

    context = Fusion(context=FUSION.context)
    return [
        Variant("crop-only, hybrid 0.5 (before)", CROP_ONLY, "hybrid", 0.5),
        Variant("crop-only", CROP_ONLY),
        Variant("+context", PLAIN_CONTEXT, fusion=context),
        Variant("+table rows, columns, chart points", WITH_ROWS, fusion=context),
        Variant("+page/document", PassageOptions(), fusion=FUSION),
        default_variant(dense_weight),
    ]


# -- sets ---------------------------------------------------------------------------------------

def template_sets(quick: bool) -> dict[str, list[tuple[str, list[tuple[str, bytes]], list[Question]]]]:
    from vlm.synth.collections import (
        DEVELOPMENT_TEMPLATES,
        HELD_OUT_TEMPLATES,
        UNSEEN_TEMPLATES,
        template_collection,
    )

    n = 6 if quick else 12
    out: dict[str, list] = {"development": [], "held-out": [], "unseen": []}
    for split, names in (("development", DEVELOPMENT_TEMPLATES), ("held-out", HELD_OUT_TEMPLATES),
                         ("unseen", UNSEEN_TEMPLATES)):
        for name in names:
            coll = template_collection(name, n_documents=n)
            files = [(d.filename, d.pdf) for d in coll.documents]
            questions = [Question(q.text, q.kind, q.filename, set(q.pages),
                                  [(b.page, b.box) for b in q.boxes], q.answer)
                         for q in coll.questions]
            out[split].append((name, files, questions))
    return out


def korquad_set(n_articles: int) -> tuple[list[tuple[str, bytes]], list[Question]]:
    from vlm.synth.pdf import text_pdf

    data = json.loads((SHARED_DATA / "korquad-v1-dev-part-a.json").read_text())["data"][:n_articles]
    files, questions = [], []
    for i, art in enumerate(data):
        name = f"korquad-{i:03d}.pdf"
        rendered = text_pdf(art["title"], [p["context"] for p in art["paragraphs"]])
        files.append((name, rendered.pdf))
        for para, pages in zip(art["paragraphs"], rendered.paragraph_pages, strict=True):
            questions.extend(Question(qa["question"], "korquad", name, set(pages),
                                      answer=qa["answers"][0]["text"]) for qa in para["qas"])
    return files, questions


def scanned(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    from vlm.synth.pdf import rasterise

    return [(name, rasterise(data, dpi=200)) for name, data in files]


def worn(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Scans as a worn scanner makes them: turned up to 1 degree, gray paper, blur, noise and
    JPEG (``vlm.synth.pdf.degraded_scan``), seeded by the file's place in the set."""
    from vlm.synth.pdf import degraded_scan

    return [(name, degraded_scan(data, seed=i)) for i, (name, data) in enumerate(files)]


def ingest(settings, files: list[tuple[str, bytes]]) -> float:
    from docagent.ingest import Ingestor
    from docagent.intake import Upload

    start = time.perf_counter()
    ing = Ingestor(settings)
    job, _ = ing.submit("default", "bench", [Upload(n, d) for n, d in files])
    bad = [r for r in ing.run_job(job) if r.status != "indexed"]
    if bad:
        raise RuntimeError(f"ingest failed: {bad[:3]}")
    return time.perf_counter() - start


# -- running ------------------------------------------------------------------------------------

class Run:
    """Ingested corpora by set name, each with its questions."""

    def __init__(self, only: list[str] | None = None) -> None:
        self.sets: dict[str, list[tuple[Corpus, list[Question], object]]] = {}
        self.only = only or []

    def wants(self, set_name: str) -> bool:
        return not self.only or any(text in set_name for text in self.only)

    def add(self, set_name: str, files, questions, check_service: bool = False) -> None:  # type: ignore[no-untyped-def]
        if not self.wants(set_name):
            return
        with fresh_settings() as settings:
            ingest(settings, files)
            corpus = Corpus.load(settings)
            if check_service:
                service_agrees(settings, corpus, questions[:40])
        self.sets.setdefault(set_name, []).append((corpus, questions, None))

    def measure(self, set_name: str, variant: Variant) -> dict[str, dict]:
        outcomes = []
        for corpus, questions, _ in self.sets[set_name]:
            outcomes.extend(evaluate(corpus, questions, variant))
        return summarise(outcomes)


def service_agrees(settings, corpus: Corpus, questions: list[Question]) -> None:
    """The service's ``search`` ranks the crops the default variant ranks (same index rules)."""
    from docagent.search import search

    variant = default_variant(corpus.embedder.fusion_weight)
    index, _ = corpus.index(variant.options)
    terms = corpus.query_terms([q.text for q in questions])
    for q, t in zip(questions, terms, strict=True):
        vec = corpus.embedder.encode_query(q.text)
        ours = [h.id for h in index.search(t, vec, 5, mode=variant.mode,  # type: ignore[arg-type]
                                          dense_weight=variant.dense_weight, fusion=variant.fusion,
                                          query_text=q.text)]
        theirs = [int(r.crop_id) for r in search(settings, "default", "bench", q.text, k=5)]
        if ours != theirs:
            raise SystemExit(f"the service ranks differently from the default variant: {q.text!r} "
                             f"{theirs} vs {ours}")


def sweeps(run: Run, tune_sets: list[str]) -> list[dict]:
    """Context weight and parts, page/document weights, dense weight: on the tuning sets."""
    rows = []

    def record(group: str, variant: Variant) -> None:
        scores = {s: run.measure(s, variant)["all"] for s in tune_sets}
        rows.append({"group": group, "variant": variant.name, **{
            s: {"recall@1": v["recall@1"], "mrr@10": v["mrr@10"]} for s, v in scores.items()}})

    from docagent.search import FUSION

    base = Fusion(context=FUSION.context)
    for weight in (0.25, 0.5, 1.0, 2.0, 4.0):
        record("context weight (BM25F)", Variant(f"context {weight}", WITH_ROWS,
                                                 fusion=Fusion(context=weight)))
    for parts in (("title",), ("title", "headings"), ("title", "headings", "caption")):
        record("context parts", Variant("+".join(parts), replace(WITH_ROWS, context_parts=parts),
                                        fusion=base))
    for method, weights in (("rrf", (0.0, 0.5, 1.0)), ("score", (0.0, 0.1, 0.25, 0.5))):
        for page in weights:
            for doc in weights:
                fusion = Fusion(context=FUSION.context, page=page, document=doc, method=method)
                record(f"page/document ({method})", Variant(f"page {page}, document {doc}",
                                                            PassageOptions(), fusion=fusion))
    for title in (0.0, 0.1, 0.25, 0.5, 1.0):
        record("title n-grams (score)", Variant(f"title {title}", PassageOptions(),
                                                fusion=replace(FUSION, title=title)))
    for dense in (0.0, 0.1, 0.25, 0.5, 1.0):
        record("dense weight (hash-ngram), score fusion",
               Variant(f"dense {dense}", PassageOptions(), "hybrid" if dense else "sparse", dense,
                       FUSION))
    for dense in (0.25, 0.5, 1.0):
        record("dense weight (hash-ngram), rank fusion",
               Variant(f"dense {dense}", PassageOptions(), "hybrid", dense, replace(FUSION, method="rrf")))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 documents per template, 15 articles")
    ap.add_argument("--no-scans", action="store_true")
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="only the sets whose name contains TEXT (repeatable)")
    args = ap.parse_args()
    started = time.perf_counter()
    run = Run(args.only)
    templates = template_sets(args.quick)
    k_files, k_questions = korquad_set(15 if args.quick else 70)
    if args.quick:
        k_questions = random.Random(0).sample(k_questions, 300)
    for split, items in templates.items():
        for _name, files, questions in items:
            run.add(f"templates {split}, text", files, questions, check_service=True)
            if not args.no_scans and run.wants(f"templates {split}, scans"):
                run.add(f"templates {split}, scans", scanned(files), questions)
            if not args.no_scans and run.wants(f"templates {split}, worn scans"):
                run.add(f"templates {split}, worn scans", worn(files), questions)
    run.add("KorQuAD, text", k_files, k_questions, check_service=True)
    if not args.no_scans and run.wants("KorQuAD, scans"):
        names = {n for n, _ in k_files[:20]}
        run.add("KorQuAD, scans", scanned(k_files[:20]), [q for q in k_questions if q.filename in names])
    if not run.sets:
        raise SystemExit(f"--only {args.only}: no set matches")
    dense = next(iter(run.sets.values()))[0][0].embedder.fusion_weight
    out = {"machine": machine(), "quick": args.quick, "sets": {}, "sweeps": []}
    for set_name in run.sets:
        out["sets"][set_name] = {v.name: run.measure(set_name, v) for v in ladder(dense)}
    if not args.no_sweep:
        tune = ["templates development, text", "templates development, scans",
                "templates development, worn scans", "KorQuAD, text"]
        out["sweeps"] = sweeps(run, [s for s in tune if s in run.sets])
    out["seconds"] = round(time.perf_counter() - started, 1)
    write_json("retrieval", out)
    print(json.dumps(out, ensure_ascii=False) if args.json else report(out))


def report(out: dict) -> str:
    lines = [f"retrieval on {out['machine']} ({out['seconds']} s)"]
    for set_name, variants in out["sets"].items():
        kinds = [k for k in KINDS if k in next(iter(variants.values()))]
        n = {k: next(iter(variants.values()))[k]["n"] for k in kinds}
        lines.append(f"\n{set_name}: recall@1 / recall@5 / MRR@10 / evidence in top crop")
        rows = [[name, *(f"{m[k]['recall@1']:.3f} / {m[k]['recall@5']:.3f} / {m[k]['mrr@10']:.3f}"
                         f" / {m[k]['evidence@1']:.3f}" for k in kinds)]
                for name, m in variants.items()]
        lines.append(table(["variant", *(f"{k} (n={n[k]})" for k in kinds)], rows))
    if out["sweeps"]:
        sets = [k for k in out["sweeps"][0] if k not in ("group", "variant")]
        lines.append("\nsweeps (all questions): recall@1 / MRR@10")
        lines.append(table(["group", "variant", *sets], [
            [r["group"], r["variant"], *(f"{r[s]['recall@1']:.3f} / {r[s]['mrr@10']:.3f}" for s in sets)]
            for r in out["sweeps"]]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()

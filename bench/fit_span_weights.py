"""Fit the paragraph span scorer's weights on KorQuAD, and compare them with the hand weights.

Every candidate the reader considers for a question (``vlm.extractive.spans
.scored_candidates``, with the gold paragraph as the only crop) is a row of features
(``vlm.extractive.span_features.NAMES``); the candidates equal to a gold answer after
normalisation are the positives. The weights maximise the softmax likelihood of the positives
among each question's candidates (a listwise linear ranker fitted with Adam, L2-regularised
towards a multiple of the hand weights), on articles 20-69 of the KorQuAD file and the
development templates' document facts only; articles 0-19, the set the answering benchmark
(``bench.ask_accuracy``) asks end to end, and the held-out templates are scored here with
both weight sets and never fitted on. Questions whose candidates hold no gold answer give no
gradient.

    .venv/bin/python -m bench.fit_span_weights            # report only
    .venv/bin/python -m bench.fit_span_weights --write    # and rewrite vlm/extractive/span_weights.py
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.common import SHARED_DATA
from bench.extractive_accuracy import normalise
from vlm.extractive.matching import Idf, boost_absent_entities, question_weights
from vlm.extractive.question import analyse_question
from vlm.extractive.span_features import NAMES
from vlm.extractive.span_weights import HAND_WEIGHTS, SPAN_WEIGHTS
from vlm.extractive.spans import scored_candidates, sentence_units
from vlm.synth.collections import template_collection
from vlm.synth.templates import DEVELOPMENT_TEMPLATES, HELD_OUT_TEMPLATES

FIT_FROM_ARTICLE = 20
# The first features are the reader's hand-written signals (``span_features.Signals``): the
# template facts and the reader's tests rest on them, and KorQuAD has few cases of some
# (a figure named right after the asked noun), so they are held nearer their hand weights.
HAND_SIGNALS = 9
WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "vlm" / "extractive" / "span_weights.py"


def question_rows(path: Path) -> list[dict]:
    """One row per question: its article, answer type, candidates' feature matrix and labels."""
    rows = []
    for ai, art in enumerate(json.loads(path.read_text(encoding="utf-8"))["data"]):
        for para in art["paragraphs"]:
            text = para["context"]
            qs = [(qa["question"], [a["text"] for a in qa["answers"]]) for qa in para["qas"]]
            rows += _rows(ai, text, sentence_units(text), qs,
                          lambda c, g: normalise(c) == normalise(g))
    return rows


def _rows(ai: int, text: str, units: list, questions: list[tuple[str, list[str]]],
          same) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = []
    idf = Idf({h.term for h in hits} for _, hits in units)
    for question, golds in questions:
        q = analyse_question(question)
        weights = boost_absent_entities(question_weights(q, idf), q, [text])
        scored = scored_candidates(q, text, units, weights)[1] if weights else []
        labels = [any(same(text[s.candidate.start:s.candidate.end], g) for g in golds) for s in scored]
        rows.append({"article": ai, "type": q.answer_type.value,
                     "x": np.array([s.vector for s in scored], dtype=np.float64).reshape(-1, len(NAMES)),
                     "y": np.array(labels, dtype=np.float64)})
    return rows


def _same_figure(candidate: str, gold: str) -> bool:
    """A template's figure is right with its unit after it: 28,012 answers as 28,012명."""
    c, g = normalise(candidate), normalise(gold)
    return c.startswith(g) and not c[len(g):][:1].isdigit()


def template_rows(templates: tuple[str, ...], n_documents: int, seed: int) -> list[dict]:
    """The development templates' document facts: each question with the text block of its
    gold page that states the answer (the crop the agent would read)."""
    import pymupdf

    rows = []
    for template in templates:
        coll = template_collection(template, n_documents, seed=seed)
        pdfs = {d.filename: d.pdf for d in coll.documents}
        for sq in coll.questions:
            if sq.kind != "document":
                continue
            with pymupdf.open(stream=pdfs[sq.filename], filetype="pdf") as doc:
                blocks = [b[4] for b in doc[sq.pages[0] - 1].get_text("blocks") if sq.answer in b[4]]
            if blocks:
                text = " ".join(blocks[0].split())
                rows += _rows(-1, text, sentence_units(text), [(sq.text, [sq.answer])], _same_figure)
    return rows


def fit(rows: list[dict], l2: float | np.ndarray, steps: int, lr: float,
        prior: np.ndarray | None = None) -> np.ndarray:
    """Listwise softmax ranker: weights maximising log P(gold candidates | question), pulled
    towards ``prior`` (zero when None) by the L2 term (one strength, or one per feature)."""
    use = [r for r in rows if r["y"].sum() > 0]
    x = np.concatenate([r["x"] for r in use])
    y = np.concatenate([r["y"] / r["y"].sum() for r in use])
    seg = np.repeat(np.arange(len(use)), [len(r["y"]) for r in use])
    starts = np.concatenate([[0], np.cumsum([len(r["y"]) for r in use])[:-1]])
    centre = np.zeros(x.shape[1]) if prior is None else np.asarray(prior, dtype=np.float64)
    w = centre.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        s = x @ w
        s -= np.maximum.reduceat(s, starts)[seg]
        e = np.exp(s)
        p = e / np.add.reduceat(e, starts)[seg]
        g = x.T @ (p - y) / len(use) + np.asarray(l2) * (w - centre)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def top_exact(rows: list[dict], w: np.ndarray) -> dict[str, float]:
    """Share of questions whose best-scored candidate is a gold answer, overall and by type."""
    hits: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        ok = float(len(r["y"]) > 0 and r["y"][int(np.argmax(r["x"] @ w))] > 0)
        hits["all"].append(ok)
        hits[r["type"]].append(ok)
    return {k: sum(v) / len(v) for k, v in sorted(hits.items())}


def render(w: np.ndarray, command: str) -> str:
    body = "\n".join(f"    {x:+.4f},  # {n}" for n, x in zip(NAMES, w, strict=True))
    hand = "\n".join(f"    {x:+.4f},  # {n}" for n, x in zip(NAMES, HAND_WEIGHTS, strict=True))
    return (f'"""Weights of the paragraph span scorer, one per ``span_features.NAMES`` entry.\n\n'
            f"``SPAN_WEIGHTS`` were fitted by ``{command}`` (KorQuAD articles\n"
            f"{FIT_FROM_ARTICLE}-69); rerun it after changing the features. ``HAND_WEIGHTS`` are the\n"
            f'hand-set weights the reader used before, kept as the baseline the fit is compared with.\n"""\n\n'
            f"SPAN_WEIGHTS: tuple[float, ...] = (\n{body}\n)\n\n"
            f"HAND_WEIGHTS: tuple[float, ...] = (\n{hand}\n)\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--l2", type=float, default=0.05,
                   help="pull on the hand-written signals (the first group of features)")
    p.add_argument("--l2-rest", type=float, default=0.01,
                   help="pull on the other features: KorQuAD alone decides them")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--documents", type=int, default=12, help="documents per development template")
    p.add_argument("--seed", type=int, default=101, help="of the template collections fitted on")
    p.add_argument("--fact-weight", type=int, default=10,
                   help="times each template fact counts against one KorQuAD question")
    p.add_argument("--prior-scale", type=float, default=4.0,
                   help="pull the weights towards this multiple of the hand weights (0: towards zero)")
    p.add_argument("--write", action="store_true", help="rewrite vlm/extractive/span_weights.py")
    args = p.parse_args()
    t0 = time.perf_counter()
    rows = question_rows(SHARED_DATA / "korquad-v1-dev-part-a.json")
    fit_rows = [r for r in rows if r["article"] >= FIT_FROM_ARTICLE]
    facts = template_rows(DEVELOPMENT_TEMPLATES, args.documents, args.seed)
    held_out = template_rows(HELD_OUT_TEMPLATES, args.documents, args.seed)
    test_rows = [r for r in rows if r["article"] < FIT_FROM_ARTICLE]
    prior = np.array(HAND_WEIGHTS) * args.prior_scale if args.prior_scale else None
    l2 = np.array([args.l2 if i < HAND_SIGNALS else args.l2_rest for i in range(len(NAMES))])
    w = fit(fit_rows + facts * args.fact_weight, l2, args.steps, args.lr, prior)
    reach = np.mean([r["y"].sum() > 0 for r in test_rows])
    print(f"{len(fit_rows)} questions fitted on, {len(test_rows)} scored; gold among the "
          f"candidates of the scored ones: {reach:.3f}; {time.perf_counter() - t0:.0f} s")
    print("| set | type | n | hand weights | current weights | fitted now |")
    print("|---|---|---|---|---|---|")
    for name, rs in (("articles 0-19 (not fitted on)", test_rows), ("articles 20-69 (fitted on)", fit_rows),
                     ("development template facts (fitted on)", facts),
                     ("held-out template facts (not fitted on)", held_out)):
        counts = defaultdict(int, all=len(rs))
        for r in rs:
            counts[r["type"]] += 1
        hand, cur, new = (top_exact(rs, np.array(x)) for x in (HAND_WEIGHTS, SPAN_WEIGHTS, w))
        for k in hand:
            print(f"| {name} | {k} | {counts[k]} | {hand[k]:.3f} | {cur[k]:.3f} | {new[k]:.3f} |")
    if args.write:
        WEIGHTS_FILE.write_text(render(w, "python -m bench.fit_span_weights --write"), encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()

"""Fit the reader's evidence score (``vlm/extractive/evidence.py``): does a paragraph answer?

Cases are KorQuAD questions of articles 20-69 shown their gold paragraph (it answers) and,
as ``bench.extractive_accuracy`` builds its "other paragraph" set, a paragraph of the same
article without the answer (it does not). Each case is read as the backend reads a crop;
those whose reading is a typed span give a row of ``evidence.NAMES``. A logistic regression
(standardised inputs, L2) is fitted on them, and its threshold is set so that the
other paragraphs are answered no more often than the 0.35 coverage floor answered them: the
score may only move answers from unrelated paragraphs to answerable ones, not add guesses.

The report gives, on the held fold of a three-fold split over the articles and on all of
them, the share of gold paragraphs refused and of other paragraphs refused, by the coverage
floor and by the fitted score.

    .venv/bin/python -m bench.fit_evidence            # report only
    .venv/bin/python -m bench.fit_evidence --write    # and rewrite vlm/extractive/evidence_weights.py
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from bench.common import SHARED_DATA
from bench.fit_span_weights import FIT_FROM_ARTICLE
from vlm.backends.extractive import DEFAULT_MIN_COVERAGE, EVIDENCE_FLOOR
from vlm.extractive.evidence import NAMES
from vlm.extractive.matching import Idf, boost_absent_entities, question_weights
from vlm.extractive.question import analyse_question
from vlm.extractive.spans import answer_paragraph, sentence_units

WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "vlm" / "extractive" / "evidence_weights.py"


def cases(path: Path, seed: int) -> list[tuple[str, str, bool, int]]:
    """(question, paragraph, answers, article) for articles 20-69: gold and one other."""
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    rng = random.Random(seed)
    out = []
    for ai in range(FIT_FROM_ARTICLE, len(articles)):
        paras = articles[ai]["paragraphs"]
        for para in paras:
            for qa in para["qas"]:
                golds = [a["text"] for a in qa["answers"]]
                out.append((qa["question"], para["context"], True, ai))
                others = [p for p in paras if not any(g in p["context"] for g in golds)]
                if others:
                    out.append((qa["question"], rng.choice(others)["context"], False, ai))
    return out


def reading(question: str, text: str) -> tuple[float, list[float]] | None:
    """(coverage, evidence features) of the backend's reading of ``text``, or None when the
    reading is no typed span (refused for want of a span, or a sentence answer)."""
    q = analyse_question(question)
    units = sentence_units(text)
    idf = Idf({h.term for h in hits} for _, hits in units)
    weights = boost_absent_entities(question_weights(q, idf), q, [text])
    span = answer_paragraph(q, text, units, weights) if weights else None
    if span is None or not span.text or not span.rule.startswith("paragraph.typed"):
        return None
    return span.coverage, span.evidence


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 3000, lr: float = 0.1) -> dict:
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        g = 1.0 / (1.0 + np.exp(-(z @ w + b))) - y
        w -= lr * (z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return {"bias": float(b), "weights": w.tolist(), "mean": mean.tolist(), "scale": scale.tolist()}


def probability(model: dict, x: np.ndarray) -> np.ndarray:
    z = (x - np.array(model["mean"])) / np.array(model["scale"]) @ np.array(model["weights"]) + model["bias"]
    return 1.0 / (1.0 + np.exp(-z))


def with_threshold(model: dict, cov: np.ndarray, x: np.ndarray, y: np.ndarray) -> dict:
    """The threshold at which the negatives answered are no more than the floor answered."""
    allowed = int(((cov >= DEFAULT_MIN_COVERAGE) & (y == 0)).sum())
    p = np.where(cov >= EVIDENCE_FLOOR, probability(model, x), 0.0)[y == 0]
    ranked = np.sort(p)[::-1]
    threshold = float(ranked[allowed]) if allowed < len(ranked) else 0.0
    return {**model, "threshold": threshold}


def refused(model: dict | None, cov: np.ndarray, x: np.ndarray, y: np.ndarray,
            n_pos: int, n_neg: int) -> tuple[float, float]:
    """(gold paragraphs refused, other paragraphs refused) over all cases, the ones without a
    typed span counted as refused."""
    if model is None:
        ok = cov >= DEFAULT_MIN_COVERAGE
    else:
        ok = (cov >= EVIDENCE_FLOOR) & (probability(model, x) > model["threshold"])
    return 1 - (ok & (y == 1)).sum() / n_pos, 1 - (ok & (y == 0)).sum() / n_neg


def render(model: dict) -> str:
    vec = lambda xs: "[" + ", ".join(f"{v:.6g}" for v in xs) + "]"  # noqa: E731
    return ('"""The reader\'s evidence score (``evidence.py``), fitted by ``python -m bench.fit_evidence\n'
            '--write`` on KorQuAD articles 20-69; one weight per ``evidence.NAMES`` entry."""\n\n'
            f"EVIDENCE_MODEL: dict = {{\n    \"bias\": {model['bias']:.6g},\n"
            f"    \"weights\": {vec(model['weights'])},\n    \"mean\": {vec(model['mean'])},\n"
            f"    \"scale\": {vec(model['scale'])},\n    \"threshold\": {model['threshold']:.6g},\n}}\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=13, help="which other paragraph each question is shown")
    p.add_argument("--write", action="store_true", help="rewrite vlm/extractive/evidence_weights.py")
    args = p.parse_args()
    rows = [(reading(q, text), ans, ai)
            for q, text, ans, ai in cases(SHARED_DATA / "korquad-v1-dev-part-a.json", args.seed)]
    y_all = np.array([ans for _, ans, _ in rows], dtype=float)
    art_all = np.array([ai for _, _, ai in rows])
    kept = [i for i, (r, _, _) in enumerate(rows) if r is not None]
    cov = np.array([rows[i][0][0] for i in kept])
    x = np.array([rows[i][0][1] for i in kept])
    y, art = y_all[kept], art_all[kept]
    print(f"{len(rows)} cases ({int(y_all.sum())} gold paragraphs), {len(kept)} read as a typed span; "
          f"features: {', '.join(NAMES)}")
    print("| cases | gold paragraphs refused (floor) | (fitted) | other paragraphs refused (floor) | (fitted) |")
    print("|---|---|---|---|---|")
    arts = sorted(set(art_all.tolist()))
    for k in range(3):
        held = set(arts[k::3])
        tr, te = ~np.isin(art, list(held)), np.isin(art, list(held))
        model = with_threshold(fit(x[tr], y[tr]), cov[tr], x[tr], y[tr])
        n_pos = int(((y_all == 1) & np.isin(art_all, list(held))).sum())
        n_neg = int(((y_all == 0) & np.isin(art_all, list(held))).sum())
        f = refused(None, cov[te], x[te], y[te], n_pos, n_neg)
        m = refused(model, cov[te], x[te], y[te], n_pos, n_neg)
        print(f"| fold {k + 1} held out | {f[0]:.3f} | {m[0]:.3f} | {f[1]:.3f} | {m[1]:.3f} |")
    model = with_threshold(fit(x, y), cov, x, y)
    n_pos, n_neg = int(y_all.sum()), int((y_all == 0).sum())
    f, m = refused(None, cov, x, y, n_pos, n_neg), refused(model, cov, x, y, n_pos, n_neg)
    print(f"| articles {FIT_FROM_ARTICLE}-69 (fitted on) | {f[0]:.3f} | {m[0]:.3f} | {f[1]:.3f} | {m[1]:.3f} |")
    print("weights: " + ", ".join(f"{n} {w:+.3f}" for n, w in zip(NAMES, model["weights"], strict=True))
          + f"; threshold {model['threshold']:.3f}")
    if args.write:
        WEIGHTS_FILE.write_text(render(model), encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()

"""Fit the boosted trees that rerank span candidates (``vlm/extractive/span_trees.py``).

Rows are the span scorer's candidates per question (``bench.fit_span_weights``: the gold
paragraph as the only crop), labelled by whether they equal a gold answer. The trees'
inputs (``span_trees.tree_inputs``) hold each candidate's linear score; so that the trees
learn how far to trust a score they did not help fit, the training rows get it from linear
weights fitted on the other half of the articles (out of fold). The classifier is scikit-learn's
``HistGradientBoostingClassifier``; its trees are written as plain arrays to
``vlm/extractive/span_trees.json``, which the reader evaluates with numpy alone.

Fitted on KorQuAD articles 20-69 and the development templates' document facts (each fact
counted ``--fact-weight`` times); articles 0-19 and the held-out templates are only scored.
The report gives the share of questions whose top candidate is a gold answer, for the
linear weights and the trees, and a three-fold cross-validation over articles 20-69 (each
fold's linear weights and trees fitted on the other two). Rerun after ``fit_span_weights``.

    .venv/bin/python -m bench.fit_span_trees            # report only
    .venv/bin/python -m bench.fit_span_trees --write    # and rewrite span_trees.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import numpy as np

from bench.common import SHARED_DATA
from bench.fit_span_weights import FIT_FROM_ARTICLE, HAND_SIGNALS, fit, question_rows, template_rows
from vlm.extractive.span_features import NAMES
from vlm.extractive.span_trees import TREES_FILE, SpanTrees, tree_inputs
from vlm.extractive.span_weights import HAND_WEIGHTS, SPAN_WEIGHTS
from vlm.synth.templates import DEVELOPMENT_TEMPLATES, HELD_OUT_TEMPLATES

PARAMS = {"max_iter": 200, "learning_rate": 0.05, "max_depth": 4, "min_samples_leaf": 40}


def linear(rows: list[dict]) -> np.ndarray:
    """Linear weights as ``fit_span_weights`` fits them (its default pulls)."""
    l2 = np.array([0.05 if i < HAND_SIGNALS else 0.01 for i in range(len(NAMES))])
    return fit(rows, l2, 400, 0.05, np.array(HAND_WEIGHTS) * 4.0)


def out_of_fold(rows: list[dict], facts: list[dict], fact_weight: int) -> list[tuple[dict, np.ndarray]]:
    """Each KorQuAD row with linear weights fitted on the other half of the articles (and
    the facts); each fact with the mean of the two halves' weights."""
    half = {a for a in {r["article"] for r in rows} if a % 2 == 0}
    first = [r for r in rows if r["article"] in half]
    second = [r for r in rows if r["article"] not in half]
    w_first, w_second = linear(second + facts * fact_weight), linear(first + facts * fact_weight)
    mean = (w_first + w_second) / 2
    return [(r, w_first if r["article"] in half else w_second) for r in rows] + [(r, mean) for r in facts]


def fit_trees(rows: list[dict], facts: list[dict], fact_weight: int, seed: int = 0):  # type: ignore[no-untyped-def]
    from sklearn.ensemble import HistGradientBoostingClassifier

    pairs = [(r, w) for r, w in out_of_fold(rows, facts, fact_weight) if r["y"].sum() > 0]
    x = np.concatenate([tree_inputs(r["x"], r["type"], w) for r, w in pairs])
    y = np.concatenate([r["y"] for r, _ in pairs])
    weight = np.concatenate([np.full(len(r["y"]), fact_weight if r["article"] < 0 else 1.0) for r, _ in pairs])
    return HistGradientBoostingClassifier(**PARAMS, random_state=seed).fit(x, y, sample_weight=weight)


def export(model) -> dict:  # type: ignore[no-untyped-def]
    """The fitted ensemble as plain arrays (``span_trees.SpanTrees`` reads them)."""
    trees = []
    for (tree,) in model._predictors:  # one predictor per iteration for a binary classifier
        nodes = tree.nodes
        trees.append({"feature": [int(v) for v in nodes["feature_idx"]],
                      "threshold": [float(v) for v in nodes["num_threshold"]],
                      "left": [int(v) for v in nodes["left"]], "right": [int(v) for v in nodes["right"]],
                      "value": [float(f"{v:.6g}") for v in nodes["value"]],
                      "leaf": [bool(v) for v in nodes["is_leaf"]]})
    return {"params": PARAMS, "depth": PARAMS["max_depth"], "n_inputs": int(model.n_features_in_),
            "baseline": float(np.ravel(model._baseline_prediction)[0]), "trees": trees}


def top_exact(rows: list[dict], w: np.ndarray, trees: SpanTrees | None) -> dict[str, float]:
    """Share of questions whose best candidate is a gold answer, overall and by type."""
    hits: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        ok = 0.0
        if len(r["y"]):
            s = r["x"] @ w if trees is None else trees.score(tree_inputs(r["x"], r["type"], w))
            ok = float(r["y"][int(np.argmax(s))] > 0)
        hits["all"].append(ok)
        hits[r["type"]].append(ok)
    return {k: sum(v) / len(v) for k, v in sorted(hits.items())}


def cross_validate(rows: list[dict], facts: list[dict], fact_weight: int) -> tuple[float, float]:
    """Three folds over the articles: (linear, trees) top-1 exact share on the held fold."""
    arts = sorted({r["article"] for r in rows})
    folds = [set(arts[i::3]) for i in range(3)]
    lin = tre = 0.0
    for held in folds:
        train = [r for r in rows if r["article"] not in held]
        test = [r for r in rows if r["article"] in held]
        w = linear(train + facts * fact_weight)
        trees = SpanTrees(export(fit_trees(train, facts, fact_weight)))
        lin += top_exact(test, w, None)["all"] * len(test)
        tre += top_exact(test, w, trees)["all"] * len(test)
    return lin / len(rows), tre / len(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--documents", type=int, default=12, help="documents per development template")
    p.add_argument("--seed", type=int, default=101, help="of the template collections fitted on")
    p.add_argument("--fact-weight", type=int, default=10)
    p.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    p.add_argument("--write", action="store_true", help="rewrite vlm/extractive/span_trees.json")
    args = p.parse_args()
    t0 = time.perf_counter()
    rows = question_rows(SHARED_DATA / "korquad-v1-dev-part-a.json")
    fit_rows = [r for r in rows if r["article"] >= FIT_FROM_ARTICLE]
    test_rows = [r for r in rows if r["article"] < FIT_FROM_ARTICLE]
    facts = template_rows(DEVELOPMENT_TEMPLATES, args.documents, args.seed)
    held_out = template_rows(HELD_OUT_TEMPLATES, args.documents, args.seed)
    data = export(fit_trees(fit_rows, facts, args.fact_weight))
    trees = SpanTrees(data)
    w = np.array(SPAN_WEIGHTS)
    print(f"{len(data['trees'])} trees of depth {data['depth']} on {data['n_inputs']} inputs; "
          f"{time.perf_counter() - t0:.0f} s")
    if not args.no_cv:
        lin, tre = cross_validate(fit_rows, facts, args.fact_weight)
        print(f"articles {FIT_FROM_ARTICLE}-69, three folds over articles: linear {lin:.3f}, trees {tre:.3f}")
    print("| set | type | n | linear weights | trees |")
    print("|---|---|---|---|---|")
    for name, rs in ((f"articles 0-{FIT_FROM_ARTICLE - 1} (not fitted on)", test_rows),
                     (f"articles {FIT_FROM_ARTICLE}-69 (fitted on)", fit_rows),
                     ("development template facts (fitted on)", facts),
                     ("held-out template facts (not fitted on)", held_out)):
        counts = defaultdict(int, all=len(rs))
        for r in rs:
            counts[r["type"]] += 1
        lin, tre = top_exact(rs, w, None), top_exact(rs, w, trees)
        for k in lin:
            print(f"| {name} | {k} | {counts[k]} | {lin[k]:.3f} | {tre[k]:.3f} |")
    if args.write:
        TREES_FILE.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        print(f"wrote {TREES_FILE} ({TREES_FILE.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()

"""A boosted tree ensemble that reranks a crop's span candidates after the linear scorer.

The linear scorer (``span_features`` x ``span_weights``) weighs each feature once, whatever
the others say; a tree can say that a Hanja gloss matters for a person question and not for
a year, or that a candidate far below the crop's best linear score is rarely right however
it looks. The trees see each candidate's features, the question's answer type, its linear
score and how it stands against the crop's best candidate (the features less their maximum
over the crop). They were fitted by ``bench/fit_span_trees.py`` (KorQuAD articles 20-69 and
the development templates' facts) and are stored in ``span_trees.json``; without that file
the linear score decides alone.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from vlm.extractive.question import AnswerType

TREES_FILE = Path(__file__).with_name("span_trees.json")
TYPES = tuple(t.value for t in AnswerType)


def tree_inputs(vectors: np.ndarray, answer_type: str, weights: np.ndarray) -> np.ndarray:
    """One row per candidate of a crop: its features, the question's type (one-hot), its
    linear score, that score less the crop's best, whether it is among the crop's three best,
    the number of candidates, and its features less their maximum over the crop."""
    vectors = np.asarray(vectors, dtype=np.float64).reshape(len(vectors), -1)
    n = len(vectors)
    kind = np.zeros((n, len(TYPES)))
    if answer_type in TYPES:
        kind[:, TYPES.index(answer_type)] = 1.0
    if n == 0:
        return np.zeros((0, vectors.shape[1] * 2 + len(TYPES) + 4))
    linear = vectors @ weights
    third = np.sort(linear)[-min(3, n)]
    stats = np.stack([linear, linear - linear.max(), (linear >= third).astype(float),
                      np.full(n, float(n))], axis=1)
    return np.concatenate([vectors, kind, stats, vectors - vectors.max(axis=0)], axis=1)


class SpanTrees:
    """The ensemble as padded arrays, one row per tree, evaluated for all candidates at once."""

    def __init__(self, data: dict) -> None:
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pad(key: str, fill: float, dtype: type) -> np.ndarray:
            return np.array([t[key] + [fill] * (width - len(t[key])) for t in trees], dtype=dtype)

        self.feature = pad("feature", 0, np.int64)
        self.threshold = pad("threshold", 0.0, np.float64)
        self.left = pad("left", 0, np.int64)
        self.right = pad("right", 0, np.int64)
        self.value = pad("value", 0.0, np.float64)
        self.leaf = pad("leaf", 1, bool)
        self.depth = int(data["depth"])
        self.baseline = float(data["baseline"])
        self.n_inputs = int(data["n_inputs"])

    def score(self, x: np.ndarray) -> np.ndarray:
        """The ensemble's log-odds that each row is the gold answer."""
        if len(x) == 0:
            return np.zeros(0)
        if x.shape[1] != self.n_inputs:
            raise ValueError(f"the trees take {self.n_inputs} inputs, got {x.shape[1]}")
        rows = np.arange(len(x))[:, None]
        trees = np.arange(len(self.feature))[None, :]
        node = np.zeros((len(x), len(self.feature)), dtype=np.int64)
        for _ in range(self.depth + 1):
            goes_left = x[rows, self.feature[trees, node]] <= self.threshold[trees, node]
            nxt = np.where(goes_left, self.left[trees, node], self.right[trees, node])
            node = np.where(self.leaf[trees, node], node, nxt)
        return self.baseline + self.value[trees, node].sum(axis=1)


@lru_cache(maxsize=1)
def load_trees(path: Path = TREES_FILE) -> SpanTrees | None:
    """The committed ensemble, or None when the file is absent (the linear score decides)."""
    if not path.exists():
        return None
    return SpanTrees(json.loads(path.read_text(encoding="utf-8")))

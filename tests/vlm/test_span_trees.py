"""The boosted trees that rerank span candidates: inputs, evaluation, and the committed file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vlm.extractive.span_features import NAMES
from vlm.extractive.span_trees import TYPES, SpanTrees, load_trees, tree_inputs

# Two trees by hand: the first splits on input 0 at 0.5, the second on input 1 at 2.0.
STUMPS = {"depth": 1, "baseline": -1.0, "n_inputs": 2, "trees": [
    {"feature": [0, 0, 0], "threshold": [0.5, 0.0, 0.0], "left": [1, 0, 0], "right": [2, 0, 0],
     "value": [0.0, -0.25, 0.75], "leaf": [False, True, True]},
    {"feature": [1, 0, 0], "threshold": [2.0, 0.0, 0.0], "left": [1, 0, 0], "right": [2, 0, 0],
     "value": [0.0, 0.5, -0.5], "leaf": [False, True, True]},
]}


def test_each_row_walks_every_tree_to_a_leaf() -> None:
    trees = SpanTrees(STUMPS)
    x = np.array([[0.2, 1.0], [0.9, 1.0], [0.5, 3.0], [0.7, 2.0]])
    assert trees.score(x) == pytest.approx([-1 - 0.25 + 0.5, -1 + 0.75 + 0.5, -1 - 0.25 - 0.5, -1 + 0.75 + 0.5])
    with pytest.raises(ValueError, match="inputs"):
        trees.score(np.zeros((1, 3)))
    assert trees.score(np.zeros((0, 2))).shape == (0,)


def test_inputs_hold_the_type_the_linear_score_and_the_gap_to_the_crops_best() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.5]])
    x = tree_inputs(vectors, "person", np.array([1.0, 1.0]))
    n = len(TYPES)
    assert x.shape == (3, 2 + n + 4 + 2)
    assert x[:, 2 + TYPES.index("person")].tolist() == [1.0, 1.0, 1.0]
    linear, gap, top3, count = (x[:, 2 + n + k] for k in range(4))
    assert linear.tolist() == [1.0, 2.0, 1.0] and gap.tolist() == [-1.0, 0.0, -1.0]
    assert top3.tolist() == [1.0, 1.0, 1.0] and count.tolist() == [3.0, 3.0, 3.0]
    assert x[:, -2:].tolist() == [[0.0, -2.0], [-1.0, 0.0], [-0.5, -1.5]]


def test_the_committed_trees_take_the_features_the_scorer_makes() -> None:
    trees = load_trees()
    assert trees is not None and trees.n_inputs == 2 * len(NAMES) + len(TYPES) + 4
    assert load_trees.__wrapped__(Path("/nonexistent/span_trees.json")) is None

"""BM25F over an own-text and a context field: scores worked out by hand, add/remove, disk."""

from __future__ import annotations

import math

import numpy as np
import pytest

from indexing.bm25f import FieldedBM25, FieldedIndexError


def idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def small() -> FieldedBM25:
    index = FieldedBM25(k1=1.5, b=0.75)
    index.add([10, 20, 30], [["매출액", "2021"], ["매출액", "매출액", "영업이익", "2022"], ["개요"]],
              [["부산"], ["부산"], ["대구"]])
    return index


def test_a_score_worked_out_by_hand():
    index = small()
    # Own lengths 2, 4, 1 (mean 7/3); the context field is not length-normalised (b = 0).
    norm = [1 - 0.75 + 0.75 * n / (7 / 3) for n in (2, 4, 1)]
    tf = [1 / norm[0], 2 / norm[1], 0.0]
    expected = [idf(3, 2) * t / (1.5 + t) for t in tf]
    assert index.scores(["매출액"]) == pytest.approx(expected, rel=1e-5)
    # "부산" only in the context field, weighted 2: tf' = 2.
    assert index.scores(["부산"], context_weight=2.0)[0] == pytest.approx(idf(3, 2) * 2 / 3.5, rel=1e-5)
    mixed = index.scores(["매출액", "부산"], context_weight=1.0)[0]
    assert mixed == pytest.approx(idf(3, 2) * tf[0] / (1.5 + tf[0]) + idf(3, 2) * 1 / 2.5, rel=1e-5)


def test_a_term_in_both_fields_is_saturated_once():
    index = FieldedBM25()
    index.add([1, 2], [["부산"], ["서울"]], [["부산"], ["서울"]])
    one_field = FieldedBM25()
    one_field.add([1, 2], [["부산"], ["서울"]], [[], []])
    # tf' = 1 + 1 = 2 saturates to 2/3.5, less than twice 1/2.5.
    assert index.scores(["부산"])[0] == pytest.approx(idf(2, 1) * 2 / 3.5, rel=1e-5)
    assert index.scores(["부산"])[0] < 2 * one_field.scores(["부산"])[0]


def test_search_add_remove_and_disk(tmp_path):
    index = small()
    assert [i for i, _ in index.search(["부산", "영업이익"], 3)] == [20, 10]
    index.remove([20])
    index.add([40], [["영업이익"]], [["부산"]])
    assert [i for i, _ in index.search(["부산", "영업이익"], 3)] == [40, 10]
    index.save(tmp_path / "f")
    again = FieldedBM25.load(tmp_path / "f")
    assert np.array_equal(again.ids(), index.ids())
    assert again.scores(["부산", "영업이익", "없는말"]) == pytest.approx(
        index.scores(["부산", "영업이익", "없는말"]))


def test_bad_input_changes_nothing():
    index = small()
    with pytest.raises(FieldedIndexError, match="already indexed"):
        index.add([10], [["x"]], [[]])
    with pytest.raises(FieldedIndexError, match="term lists"):
        index.add([50, 60], [["x"]], [[], []])
    with pytest.raises(FieldedIndexError, match="not a string"):
        index.add([50], ["매출액"], [[]])
    assert len(index) == 3 and index.search([], 3) == []

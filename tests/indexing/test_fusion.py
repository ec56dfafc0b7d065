"""Reciprocal rank fusion against numbers worked out by hand."""

from __future__ import annotations

import pytest

from indexing.fusion import FusionError, reciprocal_rank_fusion


def test_two_rankings_hand_worked() -> None:
    # sparse: 1, 2, 3   dense: 3, 1   (k = 60)
    # id 1: 1/61 + 1/62 = 0.0163934 + 0.0161290 = 0.0325225
    # id 3: 1/63 + 1/61 = 0.0158730 + 0.0163934 = 0.0322665
    # id 2: 1/62        = 0.0161290
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]])
    assert [doc for doc, _ in fused] == [1, 3, 2]
    assert [round(score, 7) for _, score in fused] == [0.0325225, 0.0322665, 0.016129]


def test_weights_can_flip_the_order() -> None:
    # weights 0.5 (sparse), 1.0 (dense):
    # id 1: 0.5/61 + 1/62 = 0.0081967 + 0.0161290 = 0.0243258
    # id 3: 0.5/63 + 1/61 = 0.0079365 + 0.0163934 = 0.0243300  -> now ahead of id 1
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], weights=[0.5, 1.0])
    assert [doc for doc, _ in fused] == [3, 1, 2]
    assert round(dict(fused)[3], 7) == 0.02433
    assert round(dict(fused)[1], 7) == 0.0243258


def test_k_zero_is_plain_reciprocal_rank() -> None:
    assert reciprocal_rank_fusion([[5, 6], [6]], k=0) == [(6, 1.5), (5, 1.0)]


def test_ties_go_to_better_best_rank_then_smaller_id() -> None:
    # 7: 1/61 + 1/63 = 0.0322665 ; 8: 1/62 + 1/62 = 0.0322581 -> 7 first, no tie.
    # 2 and 1 tie exactly (first place in one list each) -> smaller id first.
    assert [d for d, _ in reciprocal_rank_fusion([[2], [1]])] == [1, 2]
    assert [d for d, _ in reciprocal_rank_fusion([[7, 8, 9], [9, 8, 7]])][:2] == [7, 9]


def test_repeated_id_counts_once_at_its_best_rank() -> None:
    assert reciprocal_rank_fusion([[4, 4, 5]], k=0) == [(4, 1.0), (5, 1 / 3)]


def test_empty_and_bad_arguments() -> None:
    assert reciprocal_rank_fusion([[], []]) == []
    with pytest.raises(FusionError):
        reciprocal_rank_fusion([[1]], weights=[1.0, 2.0])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], k=-1)

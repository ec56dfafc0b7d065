"""Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009).

Each signal contributes ``weight / (k + rank)`` for every id it ranks (rank starts at 1); ids
are ordered by the sum. Fusing ranks rather than scores needs no calibration between BM25
scores (unbounded) and cosine similarities (in [-1, 1]). ``k = 60`` is the paper's value: it
flattens the head so one signal's first place cannot outvote agreement further down.
"""

from __future__ import annotations

from collections.abc import Sequence

from indexing.errors import IndexingError

DEFAULT_K = 60


class FusionError(IndexingError, ValueError):
    """Bad fusion arguments."""


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]],
    k: float = DEFAULT_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[int, float]]:
    """Fuse ranked id lists (best first) into one list of (id, fused score), best first.

    Ties go to the id with the better single best rank, then to the smaller id, so the result
    does not depend on dictionary order. An id repeated within one ranking counts at its first
    (best) position only.
    """
    if k < 0:
        raise FusionError(f"k must be >= 0, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise FusionError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[int] = set()
        for rank, doc_id in enumerate(ranking, start=1):
            if doc_id in seen:
                continue
            seen.add(doc_id)
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
            best_rank[doc_id] = min(best_rank.get(doc_id, rank), rank)
    return sorted(scores.items(), key=lambda item: (-item[1], best_rank[item[0]], item[0]))

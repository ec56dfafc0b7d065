"""Order-independent summaries of an id set, to tell whether an index holds what the
database holds.

``Fingerprint`` is exact short of a 64-bit collision and needs every id; ``IdSummary`` is
made of aggregates a database computes itself in one query (count, sum, max, sum of squares
mod a prime), so a caller can compare it on every query and keep the fingerprint for opens
and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from indexing.errors import IndexingError

_MASK64 = (1 << 64) - 1


class IdSetError(IndexingError, ValueError):
    """Ids that cannot be summarised (duplicates)."""


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Order-independent summary of an id set: count, sum and xor of mixed ids (both mod 2^64).

    Adding or removing any id changes it; two different sets share one only by accident of a
    64-bit hash.
    """

    count: int
    id_sum: int
    id_xor: int

    @classmethod
    def of_ids(cls, ids: Sequence[int] | np.ndarray) -> Fingerprint:
        array = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(np.unique(array)) != len(array):
            raise IdSetError("Fingerprint.of_ids: ids must be unique")
        as_u64 = array.view(np.uint64)
        id_sum = int(as_u64.sum(dtype=np.uint64)) & _MASK64 if len(array) else 0
        id_xor = int(np.bitwise_xor.reduce(_mix64(as_u64))) if len(array) else 0
        return cls(count=len(array), id_sum=id_sum, id_xor=id_xor)

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, int]) -> Fingerprint:
        return cls(count=int(data["count"]), id_sum=int(data["id_sum"]), id_xor=int(data["id_xor"]))


@dataclass(frozen=True, slots=True)
class IdSummary:
    """Order-independent summary of an id set that SQL aggregates reproduce exactly.

    For positive 64-bit ids: ``count``, ``id_sum`` (mod 2^64), ``id_max`` (0 when empty) and
    ``square_sum``, the sum of ``((id % SQUARE_PRIME) * (id % SQUARE_PRIME)) % SQUARE_PRIME``.
    Every term stays below 2^62, so SQLite and PostgreSQL evaluate it in plain 64-bit integers.
    Adding or removing ids changes count; since databases hand out increasing ids, a set that
    lost some ids and gained as many new ones shows in max or sum, and squares catch the rest
    short of a collision mod a prime.
    """

    SQUARE_PRIME = 2_147_483_647  # 2^31 - 1

    count: int
    id_sum: int
    id_max: int
    square_sum: int

    @classmethod
    def of_ids(cls, ids: Sequence[int] | np.ndarray) -> IdSummary:
        array = np.asarray(ids, dtype=np.int64).reshape(-1)
        if not len(array):
            return cls(count=0, id_sum=0, id_max=0, square_sum=0)
        residues = array % cls.SQUARE_PRIME
        return cls(
            count=len(array),
            id_sum=int(array.view(np.uint64).sum(dtype=np.uint64)),
            id_max=int(array.max()),
            square_sum=int(((residues * residues) % cls.SQUARE_PRIME).sum()),
        )

    @classmethod
    def of_aggregates(
        cls, count: int, id_sum: int | None, id_max: int | None, square_sum: int | None
    ) -> IdSummary:
        """From SQL ``count``, ``sum``, ``max`` and sum of squares (NULL over no rows)."""
        return cls(
            count=int(count),
            id_sum=int(id_sum or 0) & _MASK64,
            id_max=int(id_max or 0),
            square_sum=int(square_sum or 0),
        )

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, int]) -> IdSummary:
        return cls(**{k: int(data[k]) for k in ("count", "id_sum", "id_max", "square_sum")})



def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads each id's bits so xor-ing ids does not cancel patterns."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

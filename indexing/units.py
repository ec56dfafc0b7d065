"""Which crop, page and document each index unit belongs to.

A collection index holds units of four levels (``indexing.passages``): crops, table rows,
pages and documents, each under its own database id. Search ranks crop and row units, folds
rows into their crop, and adds the rank of the crop's page and document units; this table is
what links them. Stored as one int64 array per generation (``units-<g>.npy``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexing.errors import IndexingError
from indexing.passages import LEVELS, PARTS, Level

NONE = -1
_COLUMNS = 5  # id, level, crop, page unit, document unit


class UnitTableError(IndexingError, ValueError):
    """A unit that does not fit the table (unknown level, duplicate id)."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit to index. ``terms`` are its own, ``context_terms`` those of its context (two
    BM25F fields). ``crop`` is the crop a unit stands for (a crop unit's
    own id when not given); ``page`` and ``document`` are the ids of the page and document
    units it belongs to, if any."""

    id: int
    level: Level = "crop"
    terms: Sequence[str] = ()
    vector: np.ndarray | None = None
    context_terms: Sequence[str] = ()  # crop and row units: their context's (indexing.context)
    crop: int | None = None
    page: int | None = None
    document: int | None = None

    @property
    def crop_id(self) -> int | None:
        if self.level in ("crop", *PARTS):
            return self.crop if self.crop is not None else self.id
        return None


class UnitTable:
    """Rows of (unit id, level code, crop id, page unit id, document unit id); -1 = none."""

    def __init__(self, rows: np.ndarray | None = None) -> None:
        self._rows = rows if rows is not None else np.zeros((0, _COLUMNS), dtype=np.int64)
        self._at: dict[int, int] | None = None
        self._crops: dict[int, tuple[int, int]] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def ids(self) -> np.ndarray:
        return self._rows[:, 0].copy()

    def ids_of(self, levels: Iterable[Level]) -> np.ndarray:
        codes = [LEVELS.index(level) for level in levels]
        return self._rows[np.isin(self._rows[:, 1], codes), 0]

    def add(self, units: Sequence[Unit]) -> None:
        new = np.array([_row(u) for u in units], dtype=np.int64).reshape(-1, _COLUMNS)
        self._rows = np.vstack([self._rows, new])
        self._at = self._crops = None

    def remove(self, ids: Sequence[int]) -> None:
        self._rows = self._rows[~np.isin(self._rows[:, 0], np.asarray(ids, dtype=np.int64))]
        self._at = self._crops = None

    def links(self, unit_id: int) -> tuple[int, int, int]:
        """(crop id, page unit id, document unit id) of a unit; -1 where there is none."""
        row = self._rows[self._index()[unit_id]]
        return int(row[2]), int(row[3]), int(row[4])

    def crops_on_pages(self, page_units: Sequence[int]) -> list[int]:
        """Crop ids of the crop units on the given pages, in id order."""
        rows = self._rows
        mask = np.isin(rows[:, 3], np.asarray(page_units, dtype=np.int64))
        mask &= rows[:, 1] == LEVELS.index("crop")
        return sorted(int(c) for c in set(rows[mask, 2].tolist()))

    def crop_links(self, crop_id: int) -> tuple[int, int]:
        """(page unit id, document unit id) of a crop; (-1, -1) for an unknown crop."""
        if self._crops is None:
            self._crops = {}
            for _, _, crop, page, doc in self._rows[self._rows[:, 2] != NONE].tolist():
                self._crops.setdefault(crop, (page, doc))
        return self._crops.get(crop_id, (NONE, NONE))

    def save(self, path: Path) -> None:
        with open(path, "wb") as f:
            np.save(f, self._rows, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())

    @classmethod
    def load(cls, path: Path) -> UnitTable:
        rows = np.load(path, allow_pickle=False)
        if rows.ndim != 2 or rows.shape[1] != _COLUMNS:
            raise UnitTableError(f"{path}: expected an (n, {_COLUMNS}) unit table, got {rows.shape}")
        return cls(rows.astype(np.int64, copy=False))

    def _index(self) -> dict[int, int]:
        if self._at is None:
            self._at = {int(u): r for r, u in enumerate(self._rows[:, 0].tolist())}
        return self._at


def _row(u: Unit) -> tuple[int, int, int, int, int]:
    if u.level not in LEVELS:
        raise UnitTableError(f"unit {u.id}: unknown level {u.level!r}")
    crop = u.crop_id
    return (int(u.id), LEVELS.index(u.level), NONE if crop is None else int(crop),
            NONE if u.page is None else int(u.page), NONE if u.document is None else int(u.document))

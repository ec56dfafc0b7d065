"""A FAISS index of one collection's crop vectors, keyed by the database's int64 Crop ids.

Vectors are L2-normalised on the way in (and queries on the way out), so inner product is
cosine similarity. Two kinds:

- ``"flat"`` (default): ``IndexIDMap2(IndexFlatIP)``, exact. A query over 10k vectors of 1024
  dims takes about 2.2 ms on one core; time grows linearly with the collection.
- ``"hnsw"``: ``IndexIDMap2(IndexHNSWFlat)``, approximate, for large collections. HNSW graphs
  cannot delete, so ``remove`` records tombstones that searches exclude with a FAISS id
  selector; ``save`` (and re-adding a removed id) compacts, rebuilding the graph from the
  stored vectors without them. A batch of removals therefore costs one rebuild at the next save
  (10k vectors of 1024 dims: about 1.5 s). A query over 10k takes about 0.5 ms.

``save`` is atomic: the index is written to a temp file in the same directory, fsynced, and
renamed over the old file, so a crash or a failed write leaves the previous file intact.

Searches of a few queries run FAISS on one OpenMP thread: for one query over 10k vectors the
thread fan-out costs more than it saves, and on a busy machine far more (measured on two shared
cores: 27 ms p50 with two threads, 2.6 ms with one). The setting is per calling thread in
OpenMP, so concurrent searches in other threads are unaffected.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from indexing.durable import fsync_path
from indexing.errors import IndexingError

Kind = Literal["flat", "hnsw"]

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
FEW_QUERIES = 4  # up to this many queries per call search on one thread


class VectorIndexError(IndexingError, ValueError):
    """Misuse of a vector index (bad shapes, duplicate ids, unreadable file)."""


class DimensionMismatchError(VectorIndexError):
    """Vectors (or a stored index) of another dimension than expected."""


class VectorIndex:
    """Inner-product FAISS index over unit vectors with int64 ids. Not thread-safe for writes."""

    def __init__(self, dim: int, kind: Kind = "flat") -> None:
        if dim <= 0:
            raise VectorIndexError(f"dim must be positive, got {dim}")
        if kind not in ("flat", "hnsw"):
            raise VectorIndexError(f"unknown vector index kind {kind!r}; use 'flat' or 'hnsw'")
        self.dim = dim
        self.kind: Kind = kind
        self._index = _new_faiss_index(dim, kind)
        self._tombstones: set[int] = set()

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self._tombstones)

    def ids(self) -> np.ndarray:
        """The ids present (int64), in insertion order."""
        all_ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        if not self._tombstones:
            return all_ids
        return all_ids[~np.isin(all_ids, np.fromiter(self._tombstones, dtype=np.int64))]

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids``; an id already present is an error (remove it first)."""
        id_array = _as_ids(ids)
        matrix = self._as_matrix(vectors)
        if len(id_array) != len(matrix):
            raise VectorIndexError(f"add: {len(id_array)} ids but {len(matrix)} vectors")
        if len(id_array) == 0:
            return
        if len(np.unique(id_array)) != len(id_array):
            raise VectorIndexError("add: the same id appears twice in one call")
        if self._tombstones and self._tombstones.intersection(id_array.tolist()):
            self._compact()  # a tombstone would also hide the re-added vector
        present = id_array[np.isin(id_array, self.ids())]
        if len(present):
            raise VectorIndexError(f"add: ids already indexed: {present[:10].tolist()}")
        self._index.add_with_ids(matrix, id_array)

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        """Remove ids; unknown ids are ignored. Returns how many were removed."""
        id_array = _as_ids(ids)
        if len(id_array) == 0:
            return 0
        if self.kind == "flat":
            return int(self._index.remove_ids(id_array))
        live = set(self.ids().tolist())
        gone = live.intersection(id_array.tolist())
        self._tombstones |= gone
        return len(gone)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest ids with their cosine similarity, best first."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        return self.search_batch(query, k)[0]

    def search_batch(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """``search`` for each row of ``vectors``."""
        matrix = self._as_matrix(vectors)
        if k <= 0 or len(self) == 0:
            return [[] for _ in range(len(matrix))]
        k = min(k, len(self))
        with _omp_threads(1 if len(matrix) <= FEW_QUERIES else None):
            params, _keepalive = self._search_params()
            scores, found = self._index.search(matrix, k, params=params)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i != -1]
            for row_ids, row_scores in zip(found, scores, strict=True)
        ]

    def save(self, path: str | Path) -> None:
        """Write atomically to ``path`` (temp file + fsync + rename)."""
        if self._tombstones:
            self._compact()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            faiss.write_index(self._index, tmp_name)
            with open(tmp_name, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        fsync_path(target.parent)

    @classmethod
    def load(cls, path: str | Path, dim: int | None = None) -> VectorIndex:
        """Read an index written by ``save``; ``dim``, if given, must match the stored one."""
        path = Path(path)
        if not path.is_file():
            raise VectorIndexError(f"no vector index file at {path}")
        try:
            raw = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise VectorIndexError(f"cannot read vector index {path}: {exc}") from exc
        if dim is not None and raw.d != dim:
            raise DimensionMismatchError(
                f"vector index {path} holds {raw.d}-dimensional vectors, expected {dim}: "
                "the embedder changed; rebuild the index"
            )
        index = cls.__new__(cls)
        index.dim = int(raw.d)
        index._index = faiss.downcast_index(raw) if not isinstance(raw, faiss.IndexIDMap2) else raw
        index.kind = _kind_of(index._index, path)
        index._tombstones = set()
        if index.kind == "hnsw":
            _inner(index._index).hnsw.efSearch = HNSW_EF_SEARCH
        return index

    # -- internals -----------------------------------------------------------------------

    def _as_matrix(self, vectors: np.ndarray) -> np.ndarray:
        matrix = np.array(vectors, dtype=np.float32, copy=True, ndmin=2)
        if matrix.ndim != 2 or (matrix.size and matrix.shape[1] != self.dim):
            raise DimensionMismatchError(
                f"expected vectors of dimension {self.dim}, got shape {np.shape(vectors)}"
            )
        if matrix.size == 0:
            return matrix.reshape(0, self.dim)
        if not np.isfinite(matrix).all():
            raise VectorIndexError("vectors contain NaN or infinity")
        faiss.normalize_L2(matrix)  # leaves all-zero rows (blank texts) as they are
        return np.ascontiguousarray(matrix)

    def _search_params(self) -> tuple[faiss.SearchParameters | None, tuple[object, ...]]:
        """Search parameters, and the selectors they point to: FAISS does not own those, so
        the caller holds them until the search is done."""
        if self.kind == "flat":
            return None, ()
        params = faiss.SearchParametersHNSW()
        params.efSearch = HNSW_EF_SEARCH
        if not self._tombstones:
            return params, ()
        removed = faiss.IDSelectorBatch(np.fromiter(self._tombstones, dtype=np.int64))
        params.sel = kept = faiss.IDSelectorNot(removed)
        return params, (removed, kept)

    def _compact(self) -> None:
        """Rebuild an HNSW index without its tombstoned ids."""
        all_ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        vectors = _inner(self._index).storage.reconstruct_n(0, int(self._index.ntotal))
        keep = ~np.isin(all_ids, np.fromiter(self._tombstones, dtype=np.int64))
        self._index = _new_faiss_index(self.dim, self.kind)
        self._tombstones = set()
        if keep.any():
            self._index.add_with_ids(np.ascontiguousarray(vectors[keep]), all_ids[keep])


def _new_faiss_index(dim: int, kind: Kind) -> faiss.IndexIDMap2:
    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    inner = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    inner.hnsw.efSearch = HNSW_EF_SEARCH
    return faiss.IndexIDMap2(inner)  # faiss's wrapper keeps a reference to ``inner``


def _inner(index: faiss.IndexIDMap2) -> faiss.Index:
    return faiss.downcast_index(index.index)


def _kind_of(index: faiss.Index, path: Path) -> Kind:
    if not isinstance(index, faiss.IndexIDMap2):
        raise VectorIndexError(f"{path} is not an id-mapped FAISS index")
    inner = _inner(index)
    if inner.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise VectorIndexError(f"{path} does not use inner product")
    if isinstance(inner, faiss.IndexFlat):
        return "flat"
    if isinstance(inner, faiss.IndexHNSWFlat):
        return "hnsw"
    raise VectorIndexError(f"{path}: unsupported FAISS index type {type(inner).__name__}")


def _as_ids(ids: Sequence[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(ids)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise VectorIndexError(f"ids must be a flat sequence of integers, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.int64)


@contextmanager
def _omp_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` OpenMP threads in this thread (None: leave as is)."""
    if n is None:
        yield
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)



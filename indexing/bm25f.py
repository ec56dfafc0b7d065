"""BM25F over two fields, a unit's own text and its context, addressed by database ids.

Context (document title, heading path, caption) is shared by every crop of a section, and most
crops are short: indexed as one field with the own text, the title's terms made a short
caption-like crop outrank the table row that answers (length normalisation favours it), and
scored as two separate BM25s a short line with a repeated common term ("2010년 1월 ... 2010년")
won instead (bench.retrieval). BM25F (Robertson, Zaragoza and Taylor, CIKM 2004) adds the
fields' term frequencies before saturating them, each normalised by its own length:

    tf'(t, u) = tf_own(t, u) / B_own(u) + w * tf_ctx(t, u) / B_ctx(u)
    B_f(u)    = 1 - b_f + b_f * len_f(u) / avglen_f
    score(u)  = sum over query terms t of idf(t) * tf' / (k1 + tf')

with Lucene's ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` over units holding t in either
field. The context field is not length-normalised (``b_ctx = 0``): it is the same text for a
whole section, so its length says nothing about one crop. ``w`` (the context weight) is a
search-time argument, so it can be measured without rebuilding anything.

Term frequencies are kept as two sparse unit x term matrices (scipy), so adding and removing
units is a row operation and a query reads one column per term.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from indexing.durable import fsync_path
from indexing.errors import IndexingError

_FORMAT = 1
_FIELDS = ("own", "context")


class FieldedIndexError(IndexingError, ValueError):
    """Misuse of a fielded index (duplicate ids, mismatched lengths, unreadable directory)."""


class FieldedBM25:
    """Two-field BM25F keyed by int ids. Not thread-safe for concurrent writes."""

    def __init__(self, k1: float = 1.5, b: float = 0.75, context_b: float = 0.0) -> None:
        self.k1, self.b, self.context_b = k1, b, context_b
        self._vocab: dict[str, int] = {}
        self._ids = np.zeros(0, dtype=np.int64)
        self._tf = {f: sparse.csc_matrix((0, 0), dtype=np.float32) for f in _FIELDS}
        self._stats: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # norms, idf

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def add(self, ids: Sequence[int], own: Sequence[Sequence[str]],
            context: Sequence[Sequence[str]]) -> None:
        """Add units; an id already present is an error (remove it first to replace)."""
        if not len(ids) == len(own) == len(context):
            raise FieldedIndexError(f"add: {len(ids)} ids, {len(own)} and {len(context)} term lists")
        new = np.asarray([int(i) for i in ids], dtype=np.int64)
        if len(np.unique(new)) != len(new) or np.isin(new, self._ids).any():
            raise FieldedIndexError("add: an id is repeated or already indexed")
        if any(isinstance(t, str) for t in (*own, *context)):
            raise FieldedIndexError("add: each unit's terms must be a list, not a string")
        rows = {f: self._rows(terms) for f, terms in zip(_FIELDS, (own, context), strict=True)}
        width = len(self._vocab)
        for f in _FIELDS:
            old = self._tf[f].tocsr()
            old.resize((old.shape[0], width))
            rows[f].resize((len(new), width))
            self._tf[f] = sparse.vstack([old, rows[f]], format="csc")
        self._ids = np.concatenate([self._ids, new])
        self._stats = None

    def remove(self, ids: Sequence[int]) -> int:
        keep = ~np.isin(self._ids, np.asarray([int(i) for i in ids], dtype=np.int64))
        removed = int((~keep).sum())
        if removed:
            self._ids = self._ids[keep]
            self._tf = {f: m.tocsr()[keep].tocsc() for f, m in self._tf.items()}
            self._stats = None
        return removed

    def scores(self, query_terms: Sequence[str], context_weight: float = 1.0) -> np.ndarray:
        """The BM25F score of every unit, aligned with ``ids()``; a repeated term counts once."""
        n = len(self._ids)
        out = np.zeros(n, dtype=np.float32)
        columns = [self._vocab[t] for t in dict.fromkeys(query_terms) if t in self._vocab]
        if not n or not columns:
            return out
        own_norm, ctx_norm, idf = self._statistics()
        for col in columns:
            tf = _column(self._tf["own"], col) / own_norm
            if context_weight:
                tf += context_weight * _column(self._tf["context"], col) / ctx_norm
            out += idf[col] * tf / (self.k1 + tf)
        return out

    def search(self, query_terms: Sequence[str], k: int,
               context_weight: float = 1.0) -> list[tuple[int, float]]:
        """The ``k`` best (id, score) pairs with a positive score, best first."""
        from indexing.sparse import top_k

        if k <= 0:
            return []
        return top_k(self.scores(query_terms, context_weight), self._ids, k)

    # -- persistence ----------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write to ``directory`` (replacing it) through a sibling temp directory."""
        target = Path(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            self._write(tmp)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: str | Path) -> FieldedBM25:
        path = Path(directory)
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != _FORMAT:
                raise FieldedIndexError(f"{path}: unknown fielded index format {meta.get('format')!r}")
            index = cls(meta["k1"], meta["b"], meta["context_b"])
            index._vocab = {t: i for i, t in enumerate(json.loads((path / "vocab.json").read_text("utf-8")))}
            index._ids = np.load(path / "ids.npy").astype(np.int64)
            index._tf = {f: sparse.load_npz(path / f"{f}.npz").tocsc() for f in _FIELDS}
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise FieldedIndexError(f"cannot read fielded index at {path}: {exc}") from exc
        shapes = {m.shape for m in index._tf.values()}
        if shapes != {(len(index._ids), len(index._vocab))}:
            raise FieldedIndexError(f"{path}: ids, vocabulary and matrices disagree in size")
        return index

    # -- internals ------------------------------------------------------------------------

    def _rows(self, docs: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        data: list[float] = []
        cols: list[int] = []
        indptr = [0]
        for terms in docs:
            for term, count in Counter(terms).items():
                cols.append(self._vocab.setdefault(term, len(self._vocab)))
                data.append(count)
            indptr.append(len(cols))
        return sparse.csr_matrix((np.asarray(data, np.float32), np.asarray(cols, np.int64),
                                  np.asarray(indptr, np.int64)), shape=(len(docs), len(self._vocab)))

    def _statistics(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._stats is None:
            own, ctx = self._tf["own"], self._tf["context"]
            n = max(len(self._ids), 1)
            own_len = np.asarray(own.sum(axis=1)).ravel()
            ctx_len = np.asarray(ctx.sum(axis=1)).ravel()
            own_norm = 1 - self.b + self.b * own_len / max(own_len.mean(), 1e-9)
            ctx_norm = 1 - self.context_b + self.context_b * ctx_len / max(ctx_len.mean(), 1e-9)
            df = np.asarray(((own + ctx) > 0).sum(axis=0)).ravel()
            idf = np.log1p((n - df + 0.5) / (df + 0.5))
            self._stats = (own_norm.astype(np.float32), np.maximum(ctx_norm, 1e-9).astype(np.float32),
                           idf.astype(np.float32))
        return self._stats

    def _write(self, tmp: Path) -> None:
        vocab = sorted(self._vocab, key=self._vocab.__getitem__)
        (tmp / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        with open(tmp / "ids.npy", "wb") as f:
            np.save(f, self._ids, allow_pickle=False)
        for name, matrix in self._tf.items():
            sparse.save_npz(tmp / f"{name}.npz", matrix.tocsr(), compressed=False)
        meta = {"format": _FORMAT, "k1": self.k1, "b": self.b, "context_b": self.context_b}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        for entry in tmp.iterdir():
            fsync_path(entry)


def _column(matrix: sparse.csc_matrix, col: int) -> np.ndarray:
    """Column ``col`` of a CSC matrix as a dense float32 vector."""
    out = np.zeros(matrix.shape[0], dtype=np.float32)
    start, end = matrix.indptr[col], matrix.indptr[col + 1]
    out[matrix.indices[start:end]] = matrix.data[start:end]
    return out

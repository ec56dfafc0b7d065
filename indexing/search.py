"""One collection's search index: BM25 terms + FAISS vectors over units, and a manifest.

Units are crops, table rows, pages and documents (``indexing.passages``), each under an id the
database assigned: this module never invents one. After a crash, or whenever in doubt, the
caller compares ``index.fingerprint()`` (or the cheaper ``summary()``) with the database's
unit ids (``indexing.idsets``) and calls ``rebuild`` when they differ.

Layout of a collection directory::

    manifest.json        written last; names the generation below, the id fingerprint and summary
    vectors-<g>.faiss    the VectorIndex of generation g (crop and row units with a vector)
    sparse-<g>/          BM25F over crop units and their parts: own text and context fields
    pages-<g>/           BM25 over page units
    documents-<g>/       BM25 over document units
    titles-<g>/          BM25 over the documents' title n-grams (their units' context terms)
    units-<g>.npy        which crop, page and document each unit belongs to

``save`` writes generation g+1 next to g and then atomically replaces the manifest, so a crash
mid-save leaves the manifest pointing at the complete generation g. The previous generation is
kept one more save, so a reader that read the old manifest a moment ago can still open its
files; older ones are deleted.

A crop unit (and each row, column or chart point of it) is scored by BM25F over two fields,
its own terms and its context's (``indexing.bm25f``), the context weighted ``Fusion.context``.

Search: BM25F and the dense index are each asked for ``max(50, 4k)`` crop units and parts
(dense candidates with similarity <= 0 dropped), fused by reciprocal rank, or with
``Fusion.method="score"`` by their scores divided by the best of each (rank fusion flattens
BM25's margins, which the page and document scores are then weighed against); parts fold
into their crop (the crop keeps its best unit). With ``Fusion.page``/``document`` weights, each candidate's page and document
are scored among the page and document units and added (by rank, or by max-normalised score),
and the crops of the best pages join the candidates. With ``Fusion.title``, the question's
character n-grams (``indexing.grams``) are matched against each document's title n-grams, a
name matched despite OCR's split and misread characters, and added like the document score.
Measured weights: ``bench.retrieval``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from indexing.bm25f import FieldedBM25, FieldedIndexError
from indexing.errors import IndexingError
from indexing.fusion import DEFAULT_K, reciprocal_rank_fusion
from indexing.grams import char_grams
from indexing.idsets import Fingerprint, IdSetError, IdSummary
from indexing.passages import LEVELS, PARTS
from indexing.sparse import SparseIndex, SparseIndexError
from indexing.units import NONE, Unit, UnitTable, UnitTableError
from indexing.vector_index import Kind, VectorIndex, VectorIndexError

__all__ = ["MANIFEST", "CollectionIndex", "CollectionIndexError", "Fingerprint", "Hit",
           "IdSummary", "IndexMismatchError", "Fusion", "Unit"]

MANIFEST = "manifest.json"
_FORMAT = 3  # 1: crops only, no unit table; 2: no title n-grams (each read as a mismatch:
# rebuilt from the database)
# BM25 indexes of pages and documents by name, and the level each holds; crop units (and their
# rows, columns and points) are in the fielded index, "sparse".
_SPARSE_LEVELS = {"pages": ("page",), "documents": ("document",)}
_FIELDED = ("crop", *PARTS)

Mode = Literal["hybrid", "sparse", "dense"]


class CollectionIndexError(IndexingError, ValueError):
    """Misuse of a collection index (mismatched lengths, duplicate ids, bad mode)."""


class IndexMismatchError(CollectionIndexError):
    """The stored index was built with another embedder or dimension, or is unreadable."""


@dataclass(frozen=True, slots=True)
class Fusion:
    """How the signals of a search combine. ``context``: the BM25F weight of a crop's context
    field beside its own text. ``page``/``document``: how much the crop's page and document
    matching the question count, added by reciprocal rank (``method="rrf"``, constant ``k``)
    or by score divided by the best score (``"score"``, the crop's own fused score normalised
    alike); the crops on the ``expand_pages`` best pages become candidates too. ``title``: how
    much the question's character n-grams matching the document's title count, added alike."""

    context: float = 1.0
    page: float = 0.0
    document: float = 0.0
    title: float = 0.0
    method: Literal["rrf", "score"] = "rrf"
    k: float = DEFAULT_K
    expand_pages: int = 3

    def __post_init__(self) -> None:
        if min(self.context, self.page, self.document, self.title) < 0 \
                or self.method not in ("rrf", "score"):
            raise CollectionIndexError(f"bad fusion settings: {self}")

    @property
    def levels(self) -> bool:
        return self.page > 0 or self.document > 0 or self.title > 0


@dataclass(frozen=True, slots=True)
class Hit:
    """One crop found. Ranks are 1-based positions in each list, None if absent; ``unit`` is
    the crop's best unit (a row unit when a table row matched best)."""

    id: int
    score: float
    sparse_rank: int | None
    dense_rank: int | None
    unit: int | None = None
    page_rank: int | None = None
    document_rank: int | None = None
    title_rank: int | None = None  # of the crop's document among the title n-gram matches


class CollectionIndex:
    """Sparse + dense index of one collection, persisted in ``directory``."""

    def __init__(self, directory: Path, embedder_name: str, dim: int, kind: Kind = "flat") -> None:
        self.directory = Path(directory)
        self.embedder_name = embedder_name
        self.dim = dim
        self.kind: Kind = kind
        self._fielded = FieldedBM25()
        self._sparse = {name: SparseIndex() for name in _SPARSE_LEVELS}
        self._titles = SparseIndex()  # document units by their context terms: title n-grams
        self._vectors = VectorIndex(dim, kind)
        self._units = UnitTable()
        self._generation = 0
        self._dirty = False
        self._summary: IdSummary | None = None  # cached: the caller asks on every query

    @classmethod
    def open(cls, directory: Path, embedder_name: str, dim: int, *, kind: Kind = "flat",
             on_mismatch: Literal["raise", "reset"] = "raise") -> CollectionIndex:
        """Open the index in ``directory``, or an empty one if none was saved there yet.

        ``kind`` applies to a new or rebuilt index. A stored index built with another embedder
        or dimension, in an older format, or unreadable, raises ``IndexMismatchError``; with
        ``on_mismatch="reset"`` it opens empty instead (its fingerprint then tells the caller to
        rebuild from the database; the old files go at the next save).
        """
        index = cls(Path(directory), embedder_name, dim, kind)
        manifest_path = index.directory / MANIFEST
        if not manifest_path.exists():
            return index
        try:
            index._load(manifest_path)
        except IndexMismatchError:
            if on_mismatch != "reset":
                raise
            index = cls(Path(directory), embedder_name, dim, kind)
            index._generation = _stored_generation(manifest_path)
            index._dirty = True
        return index

    def __len__(self) -> int:
        return len(self._units)

    def ids(self) -> np.ndarray:
        """Every unit id, all levels."""
        return self._units.ids()

    def fingerprint(self) -> Fingerprint:
        return Fingerprint.of_ids(self.ids())

    def summary(self) -> IdSummary:
        if self._summary is None:
            self._summary = IdSummary.of_ids(self.ids())
        return self._summary

    # -- writing -------------------------------------------------------------------------

    def add(self, ids: Sequence[int], terms: Sequence[Sequence[str]], vectors: np.ndarray) -> None:
        """Index crops as crop units: ``terms[i]`` and ``vectors[i]`` belong to ``ids[i]``."""
        self.add_units(_crop_units(ids, terms, vectors, self.dim))

    def add_units(self, units: Sequence[Unit]) -> None:
        """Index new units of any level; checked whole first, so a bad batch changes nothing."""
        units = list(units)
        self._check_units(units)
        present = np.isin(np.asarray([u.id for u in units], dtype=np.int64), self.ids())
        if present.any():
            already = [u.id for u, p in zip(units, present, strict=True) if p]
            raise CollectionIndexError(f"add: ids already indexed: {already[:10]}")
        self._summary = None  # dropped first: a stale one must never outlive a change
        self._apply(units)

    def remove(self, ids: Sequence[int]) -> int:
        """Remove units by id (unknown ids are ignored); returns how many were indexed."""
        id_list = [int(i) for i in ids]
        self._summary = None
        removed = int(np.isin(self.ids(), np.asarray(id_list, dtype=np.int64)).sum())
        self._vectors.remove(id_list)
        self._fielded.remove(id_list)
        for sparse in self._sparse.values():
            sparse.remove(id_list)
        self._titles.remove(id_list)
        self._units.remove(id_list)
        self._dirty = self._dirty or removed > 0
        return removed

    def rebuild(self, ids: Sequence[int], terms: Sequence[Sequence[str]], vectors: np.ndarray) -> None:
        """Replace the whole content with crop units (call ``save`` afterwards)."""
        self.rebuild_units(_crop_units(ids, terms, vectors, self.dim))

    def rebuild_units(self, units: Sequence[Unit]) -> None:
        """Replace the whole content with the database's units (call ``save`` afterwards)."""
        units = list(units)
        self._check_units(units)
        self._summary = None
        self._fielded = FieldedBM25()
        self._sparse = {name: SparseIndex() for name in _SPARSE_LEVELS}
        self._titles = SparseIndex()
        self._vectors = VectorIndex(self.dim, self.kind)
        self._units = UnitTable()
        self._apply(units)

    def _apply(self, units: list[Unit]) -> None:
        with_vector = [u for u in units if u.vector is not None]
        if with_vector:
            self._vectors.add([u.id for u in with_vector],
                              np.vstack([np.asarray(u.vector, np.float32).reshape(1, -1)
                                         for u in with_vector]))
        crops = [u for u in units if u.level in _FIELDED]
        if crops:
            self._fielded.add([u.id for u in crops], [list(u.terms) for u in crops],
                              [list(u.context_terms) for u in crops])
        for name, levels in _SPARSE_LEVELS.items():
            chosen = [u for u in units if u.level in levels]
            if chosen:
                self._sparse[name].add([u.id for u in chosen], [list(u.terms) for u in chosen])
        titled = [u for u in units if u.level == "document" and u.context_terms]
        if titled:
            self._titles.add([u.id for u in titled], [list(u.context_terms) for u in titled])
        self._units.add(units)
        self._dirty = True

    def save(self) -> None:
        """Persist atomically: new generation's files first, the manifest last."""
        if not self._dirty and (self.directory / MANIFEST).exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        g = self._generation + 1
        names = {"vectors": f"vectors-{g}.faiss", "units": f"units-{g}.npy", "sparse": f"sparse-{g}",
                 "titles": f"titles-{g}", **{name: f"{name}-{g}" for name in _SPARSE_LEVELS}}
        self._vectors.save(self.directory / names["vectors"])
        self._fielded.save(self.directory / names["sparse"])
        for name, sparse in self._sparse.items():
            sparse.save(self.directory / names[name])
        self._titles.save(self.directory / names["titles"])
        self._units.save(self.directory / names["units"])
        manifest = {
            "format": _FORMAT, "embedder": self.embedder_name, "dim": self.dim,
            "kind": self._vectors.kind, "generation": g, **names, "count": len(self),
            "fingerprint": self.fingerprint().to_json(), "summary": self.summary().to_json(),
        }
        _write_json_atomic(self.directory / MANIFEST, manifest)
        self._generation = g
        self._dirty = False
        self._delete_old_generations(keep={g, g - 1})

    # -- searching -----------------------------------------------------------------------

    def search(self, query_terms: Sequence[str], query_vector: np.ndarray | None, k: int,
               mode: Mode = "hybrid", dense_weight: float = 1.0,
               fusion: Fusion | None = None, query_text: str | None = None) -> list[Hit]:
        """The ``k`` best crops. ``score`` is BM25 (sparse), cosine (dense) or RRF (hybrid);
        with page, document and title weights, the fused score of ``fusion.method``.
        ``query_text``: the question as typed, for the title n-grams (without it, its terms)."""
        if mode not in ("hybrid", "sparse", "dense"):
            raise CollectionIndexError(f"unknown search mode {mode!r}")
        if k <= 0:
            return []
        fusion = fusion or Fusion()
        depth = max(50, 4 * k)
        sparse = self._fielded.search(query_terms, depth, fusion.context) if mode != "dense" else []
        dense = self._dense_candidates(query_vector, depth) \
            if mode == "dense" or (mode == "hybrid" and dense_weight > 0) else []
        if mode == "hybrid" and dense and fusion.method == "score":
            ranked = _score_fusion(sparse, dense, dense_weight)
        elif mode == "hybrid" and dense:
            ranked = reciprocal_rank_fusion([[i for i, _ in sparse], [i for i, _ in dense]],
                                            weights=[1.0, dense_weight])
        else:
            ranked = dense if mode == "dense" else sparse
        crops = self._fold_rows(ranked)
        ranks = ({u: r for r, (u, _) in enumerate(sparse, 1)}, {u: r for r, (u, _) in enumerate(dense, 1)})
        if fusion.levels and mode != "dense":
            grams = char_grams(query_text if query_text is not None else " ".join(query_terms)) \
                if fusion.title else []
            return self._with_levels(crops, query_terms, grams, fusion, ranks)[:k]
        return [Hit(crop, score, ranks[0].get(unit), ranks[1].get(unit), unit)
                for crop, unit, score in crops[:k]]

    def _fold_rows(self, ranked: list[tuple[int, float]]) -> list[tuple[int, int, float]]:
        """Unit ranking -> (crop, best unit, score) in order, each crop once."""
        seen: set[int] = set()
        out = []
        for unit, score in ranked:
            crop = self._units.links(unit)[0]
            if crop != NONE and crop not in seen:
                seen.add(crop)
                out.append((crop, unit, score))
        return out

    def _with_levels(self, crops: list[tuple[int, int, float]], terms: Sequence[str],
                     grams: Sequence[str], fusion: Fusion,
                     ranks: tuple[dict[int, int], dict[int, int]]) -> list[Hit]:
        depth = max(50, 4 * len(crops))
        pages = self._sparse["pages"].search(terms, depth) if fusion.page else []
        docs = self._sparse["documents"].search(terms, depth) if fusion.document else []
        titles = self._titles.search(grams, depth) if grams else []
        page_at, doc_at, title_at = _rank_map(pages), _rank_map(docs), _rank_map(titles)
        best_pages = [u for u, _ in pages[: fusion.expand_pages]]
        crop_at = {crop: (r, unit, score) for r, (crop, unit, score) in enumerate(crops, 1)}
        candidates = list(crop_at) + [c for c in self._units.crops_on_pages(best_pages)
                                      if c not in crop_at]
        value = _rrf_values if fusion.method == "rrf" else _score_values
        crop_value = value([(c, r, s) for c, (r, _, s) in crop_at.items()], fusion.k)
        page_value, doc_value = value(_ranked(pages), fusion.k), value(_ranked(docs), fusion.k)
        title_value = value(_ranked(titles), fusion.k)
        hits = []
        for crop in candidates:
            _, unit, _ = crop_at.get(crop, (None, None, 0.0))
            page, doc = self._units.crop_links(crop)
            score = crop_value.get(crop, 0.0) + fusion.page * page_value.get(page, 0.0) \
                + fusion.document * doc_value.get(doc, 0.0) + fusion.title * title_value.get(doc, 0.0)
            hits.append(Hit(crop, score, ranks[0].get(unit), ranks[1].get(unit), unit,
                            page_at.get(page), doc_at.get(doc), title_at.get(doc)))
        hits.sort(key=lambda h: (-h.score, crop_at.get(h.id, (len(crops) + 1,))[0], h.id))
        return hits

    def _dense_candidates(self, vector: np.ndarray | None, depth: int) -> list[tuple[int, float]]:
        if vector is None:
            raise CollectionIndexError("dense and hybrid search need a query vector")
        if np.asarray(vector).size != self.dim:
            raise CollectionIndexError(
                f"query vector has {np.asarray(vector).size} values, index dimension is {self.dim}")
        # A similarity <= 0 means nothing in common (or a blank query): not a candidate.
        return [(i, s) for i, s in self._vectors.search(vector, depth) if s > 0]

    # -- internals -----------------------------------------------------------------------

    def _check_units(self, units: list[Unit]) -> None:
        ids = [u.id for u in units]
        if len(set(ids)) != len(ids):
            raise CollectionIndexError("the same id appears twice in one batch")
        for u in units:
            if isinstance(u.terms, str):
                raise CollectionIndexError("each unit's terms must be a list of strings, not a string")
            if u.vector is not None and np.asarray(u.vector).size != self.dim:
                raise CollectionIndexError(
                    f"vectors must have shape (n, {self.dim}), got one of {np.asarray(u.vector).size}")
            if u.level not in LEVELS:
                raise CollectionIndexError(f"unit {u.id}: unknown level {u.level!r}")

    def _load(self, manifest_path: Path) -> None:
        manifest = self._read_manifest(manifest_path)
        try:
            vectors = VectorIndex.load(self.directory / manifest["vectors"], dim=self.dim)
            fielded = FieldedBM25.load(self.directory / manifest["sparse"])
            sparse = {name: SparseIndex.load(self.directory / manifest[name]) for name in _SPARSE_LEVELS}
            titles = SparseIndex.load(self.directory / manifest["titles"])
            units = UnitTable.load(self.directory / manifest["units"])
            expected = Fingerprint.from_json(manifest["fingerprint"])
            summary = IdSummary.of_ids(units.ids())
            expected_summary = IdSummary.from_json(manifest.get("summary") or summary.to_json())
        except (OSError, KeyError, TypeError, ValueError, VectorIndexError, SparseIndexError,
                FieldedIndexError, UnitTableError, IdSetError) as exc:
            raise IndexMismatchError(f"cannot read the index in {self.directory}: {exc}") from exc
        held = np.concatenate([fielded.ids(), *(s.ids() for s in sparse.values())])
        if (Fingerprint.of_ids(units.ids()) != expected or summary != expected_summary
                or Fingerprint.of_ids(held) != expected
                or not np.isin(vectors.ids(), units.ids()).all()
                or not np.isin(titles.ids(), units.ids()).all()):
            raise IndexMismatchError(f"index files in {self.directory} disagree with the manifest")
        self._vectors, self._sparse, self._units, self._summary = vectors, sparse, units, summary
        self._fielded, self._titles = fielded, titles
        self.kind = vectors.kind
        self._generation = int(manifest["generation"])

    def _read_manifest(self, manifest_path: Path) -> dict:
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexMismatchError(f"unreadable manifest {manifest_path}: {exc}") from exc
        stored = (manifest.get("embedder"), manifest.get("dim"))
        if stored != (self.embedder_name, self.dim):
            raise IndexMismatchError(
                f"index in {self.directory} was built with embedder {stored[0]!r} (dim "
                f"{stored[1]}), not {self.embedder_name!r} (dim {self.dim}); rebuild it")
        if manifest.get("format") != _FORMAT:
            raise IndexMismatchError(
                f"index in {self.directory} has format {manifest.get('format')!r}, not {_FORMAT}")
        return manifest

    def _delete_old_generations(self, keep: set[int]) -> None:
        for entry in self.directory.iterdir():
            generation = _generation_of(entry.name)
            # Dot-prefixed temp files of an interrupted save are garbage too (one writer).
            leftover = entry.name.startswith(tuple(f".{p}-" for p in _PREFIXES))
            if leftover or (generation is not None and generation not in keep):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


_PREFIXES = {"vectors": ".faiss", "units": ".npy", "sparse": "", "titles": "",
             **{name: "" for name in _SPARSE_LEVELS}}


def _crop_units(ids: Sequence[int], terms: Sequence[Sequence[str]], vectors: np.ndarray,
                dim: int) -> list[Unit]:
    shape = np.shape(vectors)
    if len(ids) == 0 and (len(terms) or (len(shape) and shape[0])):
        raise CollectionIndexError("no ids but terms or vectors given")
    if len(terms) != len(ids) or (len(ids) and shape[0] != len(ids)):
        raise CollectionIndexError(
            f"{len(ids)} ids, {len(terms)} term lists and {shape[0] if shape else 0} vectors")
    if len(ids) and (len(shape) != 2 or shape[1] != dim):
        raise CollectionIndexError(f"vectors must have shape (n, {dim}), got {shape}")
    if any(isinstance(t, str) for t in terms):
        raise CollectionIndexError("each crop's terms must be a list of strings, not a string")
    return [Unit(int(i), "crop", t, vectors[n]) for n, (i, t) in enumerate(zip(ids, terms, strict=True))]


def _rank_map(ranked: list[tuple[int, float]]) -> dict[int, int]:
    return {unit: r for r, (unit, _) in enumerate(ranked, 1)}


def _ranked(ranked: list[tuple[int, float]]) -> list[tuple[int, int, float]]:
    return [(unit, r, score) for r, (unit, score) in enumerate(ranked, 1)]


def _score_fusion(sparse: list[tuple[int, float]], dense: list[tuple[int, float]],
                  dense_weight: float) -> list[tuple[int, float]]:
    """BM25 over the best BM25 plus ``dense_weight`` times cosine over the best cosine."""
    out: dict[int, float] = {}
    for ranked, weight in ((sparse, 1.0), (dense, dense_weight)):
        best = ranked[0][1] if ranked and ranked[0][1] > 0 else 1.0
        for unit, score in ranked:
            out[unit] = out.get(unit, 0.0) + weight * score / best
    return sorted(out.items(), key=lambda item: (-item[1], item[0]))


def _rrf_values(items: list[tuple[int, int, float]], k: float) -> dict[int, float]:
    """(id, rank, score) -> 1 / (k + rank)."""
    return {i: 1.0 / (k + rank) for i, rank, _ in items}


def _score_values(items: list[tuple[int, int, float]], _k: float) -> dict[int, float]:
    """(id, rank, score) -> score / best score."""
    best = max((score for _, _, score in items), default=0.0)
    return {i: score / best for i, _, score in items} if best > 0 else {}


def _generation_of(name: str) -> int | None:
    """The generation number in a generation file's name (``sparse-<g>``, ...), else None."""
    for prefix, suffix in _PREFIXES.items():
        prefix += "-"
        if name.startswith(prefix) and name.endswith(suffix):
            number = name[len(prefix): len(name) - len(suffix)]
            if number.isdigit():
                return int(number)
    return None


def _stored_generation(manifest_path: Path) -> int:
    """The generation a (possibly foreign) manifest names, so a reset never reuses its files."""
    try:
        return int(json.loads(manifest_path.read_text(encoding="utf-8")).get("generation", 0))
    except (OSError, ValueError, AttributeError, TypeError):
        names = [_generation_of(p.name) for p in manifest_path.parent.iterdir()]
        return max([g for g in names if g is not None], default=0)


def _write_json_atomic(path: Path, data: dict[str, object]) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

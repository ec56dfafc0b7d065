"""VectorIndex: FAISS flat/HNSW keyed by crop ids; remove, atomic save, dimension checks."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from indexing.vector_index import DimensionMismatchError, VectorIndex, VectorIndexError


def unit_rows(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(params=["flat", "hnsw"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def test_search_finds_nearest_with_cosine_scores(kind: str) -> None:
    vectors = unit_rows(200, 32)
    ids = np.arange(1000, 1200)  # database ids, not row numbers
    index = VectorIndex(32, kind)  # type: ignore[arg-type]
    index.add(ids, vectors * 7.0)  # stored normalised, so scale does not matter
    hits = index.search(vectors[17], k=5)
    assert hits[0][0] == 1017
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert len(index) == 200 and index.ids().tolist() == ids.tolist()


def test_removed_ids_never_come_back(kind: str) -> None:
    vectors = unit_rows(300, 16, seed=1)
    index = VectorIndex(16, kind)  # type: ignore[arg-type]
    index.add(np.arange(300), vectors)
    removed = list(range(0, 300, 3))
    assert index.remove(removed + [10_000]) == len(removed)
    assert index.remove(removed) == 0
    assert len(index) == 200
    for row in (0, 3, 150):
        found = [i for i, _ in index.search(vectors[row], k=300)]
        assert not set(found) & set(removed)
        if kind == "flat":  # HNSW is approximate: it may return fewer than asked for
            assert len(found) == 200
    # A removed id can come back with a new vector.
    index.add([3], vectors[4:5])
    assert index.search(vectors[4], k=2)[0][1] == pytest.approx(1.0, abs=1e-5)
    assert {i for i, _ in index.search(vectors[4], k=2)} == {3, 4}


def test_save_load_round_trip(kind: str, tmp_path: Path) -> None:
    vectors = unit_rows(500, 24, seed=2)
    index = VectorIndex(24, kind)  # type: ignore[arg-type]
    index.add(np.arange(500) * 10, vectors)
    index.remove([0, 10, 20])
    queries = unit_rows(5, 24, seed=3)
    before = index.search_batch(queries, k=10)
    index.save(tmp_path / "c.faiss")
    loaded = VectorIndex.load(tmp_path / "c.faiss", dim=24)
    assert loaded.kind == kind and len(loaded) == 497
    after = loaded.search_batch(queries, k=10)
    assert [[i for i, _ in hits] for hits in after] == [[i for i, _ in hits] for hits in before]
    for hits, old in zip(after, before, strict=True):
        assert [s for _, s in hits] == pytest.approx([s for _, s in old], abs=1e-5)
    assert sorted(loaded.ids().tolist()) == sorted(index.ids().tolist())


def test_interrupted_save_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.faiss"
    index = VectorIndex(8)
    index.add([1, 2], unit_rows(2, 8))
    index.save(path)
    old_bytes = path.read_bytes()
    index.add([3], unit_rows(1, 8, seed=5))

    def failing_write(_index: faiss.Index, filename: str) -> None:
        Path(filename).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", failing_write)
    with pytest.raises(OSError, match="disk full"):
        index.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert sorted(VectorIndex.load(path).ids().tolist()) == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["c.faiss"]  # no temp file left behind


def test_dimension_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    index = VectorIndex(8)
    with pytest.raises(DimensionMismatchError, match="dimension 8"):
        index.add([1], np.ones((1, 9), dtype=np.float32))
    with pytest.raises(DimensionMismatchError):
        index.search(np.ones(7, dtype=np.float32), k=1)
    index.add([1], np.ones((1, 8)))
    index.save(tmp_path / "c.faiss")
    with pytest.raises(DimensionMismatchError, match="holds 8-dimensional vectors, expected 1024"):
        VectorIndex.load(tmp_path / "c.faiss", dim=1024)
    assert issubclass(DimensionMismatchError, ValueError)


def test_misuse_is_refused() -> None:
    index = VectorIndex(4)
    index.add([5], np.ones((1, 4)))
    with pytest.raises(VectorIndexError, match="already indexed"):
        index.add([5], np.ones((1, 4)))
    with pytest.raises(VectorIndexError, match="twice"):
        index.add([6, 6], np.ones((2, 4)))
    with pytest.raises(VectorIndexError, match="2 ids but 1 vectors"):
        index.add([7, 8], np.ones((1, 4)))
    with pytest.raises(VectorIndexError, match="NaN"):
        index.add([9], np.full((1, 4), np.nan))
    with pytest.raises(VectorIndexError, match="integers"):
        index.add(np.array([1.5]), np.ones((1, 4)))
    with pytest.raises(VectorIndexError, match="unknown vector index kind"):
        VectorIndex(4, "ivf")  # type: ignore[arg-type]
    assert VectorIndex(4).search(np.ones(4), k=3) == []
    assert len(index) == 1


def test_load_of_garbage_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(VectorIndexError, match="cannot read"):
        VectorIndex.load(tmp_path / "bad.faiss")
    with pytest.raises(VectorIndexError, match="no vector index file"):
        VectorIndex.load(tmp_path / "missing.faiss")


def test_10k_vectors_search_correctly() -> None:
    dim, n = 128, 10_000
    vectors = unit_rows(n, dim, seed=7)
    ids = np.arange(n, dtype=np.int64) * 3 + 5
    queries = unit_rows(20, dim, seed=8)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    flat = VectorIndex(dim)
    flat.add(ids, vectors)
    for q, expected in zip(flat.search_batch(queries, k=10), truth, strict=True):
        assert [i for i, _ in q] == ids[expected].tolist()
    # Each vector, slightly perturbed, finds itself.
    probes = vectors[::997] + 0.01 * unit_rows(len(vectors[::997]), dim, seed=9)
    assert [hits[0][0] for hits in flat.search_batch(probes, k=1)] == ids[::997].tolist()
    hnsw = VectorIndex(dim, "hnsw")
    hnsw.add(ids, vectors)
    found = hnsw.search_batch(queries, k=10)
    recall = np.mean(
        [
            len({i for i, _ in f} & set(ids[t].tolist())) / 10
            for f, t in zip(found, truth, strict=True)
        ]
    )
    assert recall >= 0.9

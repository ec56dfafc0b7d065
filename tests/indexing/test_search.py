"""CollectionIndex: hybrid search, fingerprints and summaries, generations on disk, crash and
mismatch handling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexing.embedders import HashNgramEmbedder
from indexing.search import (
    MANIFEST,
    CollectionIndex,
    CollectionIndexError,
    Fingerprint,
    IdSummary,
    IndexMismatchError,
)
from indexing.sparse import SparseIndex
from indexing.tokenize import KoreanAnalyzer

KORQUAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "korquad-v1-dev-part-a.json"


@pytest.fixture(scope="module")
def corpus() -> tuple[list[int], list[str], list[tuple[str, int]]]:
    """40 KorQuAD paragraphs under database-like ids, and (question, id) pairs about them."""
    data = json.loads(KORQUAD.read_text(encoding="utf-8"))
    paragraphs = [p for article in data["data"] for p in article["paragraphs"]][:40]
    ids = [5000 + 7 * i for i in range(len(paragraphs))]
    questions = [
        (p["qas"][0]["question"], doc_id) for p, doc_id in zip(paragraphs, ids, strict=True)
    ]
    return ids, [p["context"] for p in paragraphs], questions


@pytest.fixture(scope="module")
def encoded(
    corpus: tuple[list[int], list[str], list[tuple[str, int]]],
) -> tuple[list[list[str]], np.ndarray]:
    _, texts, _ = corpus
    return KoreanAnalyzer().index_terms_batch(texts), HashNgramEmbedder().encode(texts)


@pytest.fixture()
def index(tmp_path: Path, corpus, encoded) -> CollectionIndex:  # type: ignore[no-untyped-def]
    ids, _, _ = corpus
    terms, vectors = encoded
    built = CollectionIndex.open(tmp_path / "collection-1", "hash-ngram", 1024)
    built.add(ids, terms, vectors)
    return built


def ask(index: CollectionIndex, question: str, k: int = 5, **kw):  # type: ignore[no-untyped-def]
    embedder = HashNgramEmbedder()
    return index.search(
        KoreanAnalyzer().index_terms(question), embedder.encode_query(question), k, **kw
    )


@pytest.mark.parametrize("mode", ["hybrid", "sparse", "dense"])
def test_questions_find_their_paragraph(index: CollectionIndex, corpus, mode: str) -> None:  # type: ignore[no-untyped-def]
    _, _, questions = corpus
    ranks = []
    for question, target in questions:
        found = [hit.id for hit in ask(index, question, k=5, mode=mode)]
        ranks.append(found.index(target) + 1 if target in found else None)
    in_top5 = sum(r is not None for r in ranks) / len(ranks)
    assert in_top5 >= 0.85, (mode, ranks)


def test_hits_carry_ranks_and_the_fused_score(index: CollectionIndex, corpus) -> None:  # type: ignore[no-untyped-def]
    question, target = corpus[2][0]
    hybrid = ask(index, question, k=10, dense_weight=0.5)
    assert hybrid[0].id == target
    for hit in hybrid:
        expected = (1 / (60 + hit.sparse_rank) if hit.sparse_rank else 0.0) + (
            0.5 / (60 + hit.dense_rank) if hit.dense_rank else 0.0
        )
        assert hit.score == pytest.approx(expected)
    sparse = ask(index, question, k=10, mode="sparse")
    assert all(h.dense_rank is None and h.sparse_rank == r for r, h in enumerate(sparse, start=1))
    dense = ask(index, question, k=10, mode="dense")
    assert all(h.sparse_rank is None and 0 < h.score <= 1.0 + 1e-6 for h in dense)
    assert index.search([], None, 3, mode="sparse") == []
    with pytest.raises(CollectionIndexError, match="query vector"):
        index.search(["서울"], None, 3)
    with pytest.raises(CollectionIndexError, match="mode"):
        index.search(["서울"], None, 3, mode="fuzzy")  # type: ignore[arg-type]


def test_fingerprint_tracks_the_id_set(index: CollectionIndex, corpus, encoded) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = corpus
    terms, vectors = encoded
    first = index.fingerprint()
    assert first == Fingerprint.of_ids(list(reversed(ids))) and first.count == len(ids)
    index.remove(ids[:1])
    after_remove = index.fingerprint()
    assert after_remove != first and after_remove == Fingerprint.of_ids(ids[1:])
    index.add(ids[:1], terms[:1], vectors[:1])
    assert index.fingerprint() == first
    assert Fingerprint.of_ids([1, 2]) != Fingerprint.of_ids([3]) != Fingerprint.of_ids([])
    assert Fingerprint.of_ids([]).count == 0


def test_summary_tracks_the_id_set(index: CollectionIndex, corpus, encoded) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = corpus
    terms, vectors = encoded
    first = index.summary()
    assert first == IdSummary.of_ids(list(reversed(ids))) and first.count == len(ids)
    assert first.id_max == max(ids) and first.id_sum == sum(ids)
    index.remove(ids[-1:])  # the cached summary is dropped on every change
    assert index.summary() == IdSummary.of_ids(ids[:-1]) != first
    index.add(ids[-1:], terms[-1:], vectors[-1:])
    assert index.summary() == first
    index.rebuild(ids[:3], terms[:3], vectors[:3])
    assert index.summary() == IdSummary.of_ids(ids[:3])


def test_summary_separates_sets_that_share_count_sum_and_max() -> None:
    # same count, sum and max: only the sum of squares tells them apart
    assert IdSummary.of_ids([1, 5, 6]) != IdSummary.of_ids([2, 4, 6])
    assert IdSummary.of_ids([1, 5, 6]).id_sum == IdSummary.of_ids([2, 4, 6]).id_sum
    big = [IdSummary.SQUARE_PRIME + 3, 2**40 + 1, 2**62 + 7]  # residues, no int64 overflow
    expected = sum(((i % IdSummary.SQUARE_PRIME) ** 2) % IdSummary.SQUARE_PRIME for i in big)
    assert IdSummary.of_ids(big).square_sum == expected
    assert IdSummary.of_ids(big).id_sum == sum(big) % 2**64


def test_summary_of_sql_aggregates() -> None:
    assert IdSummary.of_aggregates(0, None, None, None) == IdSummary.of_ids([])
    ids = [3, 9, 2**40]
    aggregates = (3, sum(ids), max(ids), IdSummary.of_ids(ids).square_sum)
    assert IdSummary.of_aggregates(*aggregates) == IdSummary.of_ids(ids)


def test_removed_ids_never_come_back(index: CollectionIndex, corpus) -> None:  # type: ignore[no-untyped-def]
    _, _, questions = corpus
    question, target = questions[3]
    assert index.remove([target, 999_999]) == 1
    for mode in ("hybrid", "sparse", "dense"):
        assert target not in [h.id for h in ask(index, question, k=40, mode=mode)]


def test_save_and_reopen_give_identical_results(
    index: CollectionIndex, corpus, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    questions = [q for q, _ in corpus[2][:8]]
    before = [ask(index, q) for q in questions]
    index.save()
    reopened = CollectionIndex.open(tmp_path / "collection-1", "hash-ngram", 1024)
    assert [ask(reopened, q) for q in questions] == before
    assert reopened.fingerprint() == index.fingerprint()
    manifest = json.loads((tmp_path / "collection-1" / MANIFEST).read_text())
    assert manifest["embedder"] == "hash-ngram" and manifest["count"] == len(index)
    assert Fingerprint.from_json(manifest["fingerprint"]) == index.fingerprint()
    assert IdSummary.from_json(manifest["summary"]) == index.summary() == reopened.summary()


def test_manifest_summary_is_checked_and_optional(index: CollectionIndex, tmp_path: Path) -> None:
    directory = tmp_path / "collection-1"
    index.save()
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["summary"]["id_max"] += 1
    (directory / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="disagree"):
        CollectionIndex.open(directory, "hash-ngram", 1024)
    del manifest["summary"]  # written before summaries existed
    (directory / MANIFEST).write_text(json.dumps(manifest))
    assert CollectionIndex.open(directory, "hash-ngram", 1024).summary() == index.summary()


def test_crash_mid_save_leaves_the_previous_generation(
    index: CollectionIndex, corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = corpus
    directory = tmp_path / "collection-1"
    index.save()
    saved = index.fingerprint()
    index.remove(ids[:5])

    def crash(self: SparseIndex, target: Path) -> None:  # vectors written, BM25 not, no manifest
        raise OSError("killed")

    monkeypatch.setattr(SparseIndex, "save", crash)
    with pytest.raises(OSError):
        index.save()
    monkeypatch.undo()
    reopened = CollectionIndex.open(directory, "hash-ngram", 1024)
    assert reopened.fingerprint() == saved  # whole previous state, not a mixture
    database = Fingerprint.of_ids(ids[5:])
    assert reopened.fingerprint() != database  # the caller sees the mismatch and rebuilds
    index.save()  # the next successful save goes on from there
    assert CollectionIndex.open(directory, "hash-ngram", 1024).fingerprint() == database


def test_old_generations_are_cleaned_up(index: CollectionIndex, corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = corpus
    directory = tmp_path / "collection-1"
    for doc_id in ids[:4]:
        index.remove([doc_id])
        index.save()
    names = sorted(p.name for p in directory.iterdir())
    assert names == sorted([MANIFEST, *(f"{prefix}-{g}{suffix}" for g in (3, 4) for prefix, suffix in (
        ("documents", ""), ("pages", ""), ("sparse", ""), ("titles", ""), ("units", ".npy"),
        ("vectors", ".faiss")))])
    index.save()  # nothing changed: nothing written
    assert sorted(p.name for p in directory.iterdir()) == names


def test_embedder_mismatch_raises_or_resets(index: CollectionIndex, tmp_path: Path) -> None:
    directory = tmp_path / "collection-1"
    index.save()
    with pytest.raises(IndexMismatchError, match="built with embedder 'hash-ngram'"):
        CollectionIndex.open(directory, "BAAI/bge-m3", 1024)
    with pytest.raises(IndexMismatchError, match="dim 1024"):
        CollectionIndex.open(directory, "hash-ngram", 512)
    fresh = CollectionIndex.open(directory, "BAAI/bge-m3", 8, on_mismatch="reset")
    assert len(fresh) == 0 and fresh.fingerprint() == Fingerprint.of_ids([])
    fresh.add([1, 2], [["서울"], ["부산"]], np.eye(2, 8, dtype=np.float32))
    fresh.save()
    reopened = CollectionIndex.open(directory, "BAAI/bge-m3", 8)
    assert [h.id for h in reopened.search(["부산"], np.eye(2, 8)[1], 1)] == [2]


def test_missing_files_are_reported_not_ignored(index: CollectionIndex, tmp_path: Path) -> None:
    directory = tmp_path / "collection-1"
    index.save()
    (directory / "vectors-1.faiss").unlink()
    with pytest.raises(IndexMismatchError, match="cannot read"):
        CollectionIndex.open(directory, "hash-ngram", 1024)
    assert len(CollectionIndex.open(directory, "hash-ngram", 1024, on_mismatch="reset")) == 0


def test_rebuild_replaces_everything(index: CollectionIndex, corpus, encoded) -> None:  # type: ignore[no-untyped-def]
    ids, _, questions = corpus
    terms, vectors = encoded
    keep = list(range(0, len(ids), 2))
    index.rebuild([ids[i] for i in keep], [terms[i] for i in keep], vectors[keep])
    assert index.fingerprint() == Fingerprint.of_ids([ids[i] for i in keep])
    question, target = questions[1]  # an odd position: no longer indexed
    assert target not in [h.id for h in ask(index, question, k=40)]


def test_bad_batches_change_nothing(index: CollectionIndex, corpus, encoded) -> None:  # type: ignore[no-untyped-def]
    ids, _, _ = corpus
    terms, vectors = encoded
    before = index.fingerprint()
    with pytest.raises(CollectionIndexError, match="already indexed"):
        index.add([1, ids[0]], terms[:2], vectors[:2])
    with pytest.raises(CollectionIndexError, match="2 ids, 1 term lists"):
        index.add([1, 2], terms[:1], vectors[:2])
    with pytest.raises(CollectionIndexError, match="shape"):
        index.add([1], terms[:1], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(CollectionIndexError, match="twice"):
        index.add([1, 1], terms[:2], vectors[:2])
    with pytest.raises(CollectionIndexError, match="not a string"):
        index.add([1], ["매출액"], vectors[:1])
    assert index.fingerprint() == before


def test_score_fusion_adds_max_normalised_scores(index: CollectionIndex, corpus) -> None:  # type: ignore[no-untyped-def]
    from indexing.search import Fusion

    question, target = corpus[2][0]
    sparse = {h.id: h.score for h in ask(index, question, k=50, mode="sparse")}
    dense = {h.id: h.score for h in ask(index, question, k=50, mode="dense")}
    fused = ask(index, question, k=5, dense_weight=0.5, fusion=Fusion(method="score"))
    assert fused[0].id == target
    for hit in fused:
        expected = sparse.get(hit.id, 0.0) / max(sparse.values()) \
            + 0.5 * dense.get(hit.id, 0.0) / max(dense.values())
        assert hit.score == pytest.approx(expected, rel=1e-5)

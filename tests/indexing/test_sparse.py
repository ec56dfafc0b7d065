"""SparseIndex: BM25 over Korean morphemes, add/remove by id, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexing.sparse import SparseIndex, SparseIndexError
from indexing.tokenize import KoreanAnalyzer

# Real-world style sentences; ids are what a database would hand out (not 0..n-1).
CORPUS = {
    101: "삼성전자의 2023년 매출액은 258조 9,355억 원으로 전년보다 14.3% 감소했다.",
    102: "서울의 인구는 2023년 말 기준으로 약 938만 명이며 계속 줄어드는 추세이다.",
    103: "이순신 장군은 명량 해전에서 13척의 배로 133척의 왜선을 물리쳤다.",
    104: "김치는 배추와 무를 소금에 절인 뒤 고춧가루와 젓갈로 양념하여 발효시킨 음식이다.",
    105: "한국은행은 기준금리를 연 3.50%로 동결한다고 발표했다.",
    106: "세종대왕은 1443년에 훈민정음을 창제하여 백성들이 글을 쉽게 익히도록 했다.",
}


@pytest.fixture(scope="module")
def analyzer() -> KoreanAnalyzer:
    return KoreanAnalyzer()


@pytest.fixture()
def index(analyzer: KoreanAnalyzer) -> SparseIndex:
    ids = list(CORPUS)
    return SparseIndex.build(ids, analyzer.index_terms_batch([CORPUS[i] for i in ids]))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("삼성전자 매출액이 얼마였나?", 101),  # 매출액이 vs 매출액은
        ("훈민정음을 만든 왕은 누구인가?", 106),
        ("기준금리는 몇 퍼센트로 동결되었나?", 105),
        ("명량 해전에서 이순신이 이끈 배는 몇 척이었나?", 103),
    ],
)
def test_document_with_the_query_morphemes_ranks_first(
    index: SparseIndex, analyzer: KoreanAnalyzer, question: str, expected: int
) -> None:
    hits = index.search(analyzer.index_terms(question), k=3)
    assert hits[0][0] == expected
    assert hits[0][1] > (hits[1][1] if len(hits) > 1 else 0.0)


def test_scores_are_best_first_and_k_is_respected(
    index: SparseIndex, analyzer: KoreanAnalyzer
) -> None:
    hits = index.search(analyzer.index_terms("2023년 서울 인구와 매출액"), k=2)
    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1] > 0
    assert [d for d, _ in index.search(analyzer.index_terms("훈민정음"), k=50)] == [
        106
    ]  # only matches


def test_removed_ids_never_come_back(index: SparseIndex, analyzer: KoreanAnalyzer) -> None:
    query = analyzer.index_terms("삼성전자 매출액")
    assert index.search(query, k=1)[0][0] == 101
    assert index.remove([101, 999]) == 1  # unknown ids are ignored
    assert all(doc != 101 for doc, _ in index.search(query, k=10))
    assert 101 not in index.ids()
    index.add([107], [analyzer.index_terms("LG전자의 매출액은 84조 원이었다.")])
    hits = index.search(query, k=10)
    assert hits[0][0] == 107 and all(doc != 101 for doc, _ in hits)
    assert sorted(index.ids().tolist()) == [102, 103, 104, 105, 106, 107]


def test_duplicate_and_malformed_adds_are_refused(index: SparseIndex) -> None:
    with pytest.raises(SparseIndexError, match="already indexed"):
        index.add([102], [["서울"]])
    with pytest.raises(SparseIndexError, match="twice"):
        index.add([200, 200], [["a"], ["b"]])
    with pytest.raises(SparseIndexError):
        index.add([201], [["a"], ["b"]])
    with pytest.raises(ValueError):
        index.add([202], ["서울"])  # a string, not a list of terms
    assert len(index) == len(CORPUS)


def test_save_load_round_trip(index: SparseIndex, analyzer: KoreanAnalyzer, tmp_path: Path) -> None:
    queries = [
        analyzer.index_terms(q) for q in ("매출액", "훈민정음 창제", "금리 동결", "배추 김치")
    ]
    before = [index.search(q, k=5) for q in queries]
    index.save(tmp_path / "bm25")
    loaded = SparseIndex.load(tmp_path / "bm25")
    assert [loaded.search(q, k=5) for q in queries] == before
    assert loaded.ids().tolist() == index.ids().tolist()
    # A change after loading rebuilds from the stored term lists: same as changing the original.
    for target in (index, loaded):
        target.remove([106])
        target.add([108], [analyzer.index_terms("훈민정음 해례본은 국보이다.")])
    assert [loaded.search(q, k=5) for q in queries] == [index.search(q, k=5) for q in queries]
    index.save(tmp_path / "bm25")  # saving over an existing directory replaces it
    assert SparseIndex.load(tmp_path / "bm25").search(queries[1], k=5) == index.search(
        queries[1], k=5
    )


def test_empty_index_empty_query_and_termless_documents(tmp_path: Path) -> None:
    empty = SparseIndex()
    assert empty.search(["서울"], k=5) == [] and len(empty) == 0
    empty.save(tmp_path / "empty")
    assert SparseIndex.load(tmp_path / "empty").search(["서울"], k=5) == []
    termless = SparseIndex.build([1, 2], [[], []])  # e.g. picture crops with no text
    assert termless.search(["서울"], k=5) == [] and termless.ids().tolist() == [1, 2]
    mixed = SparseIndex.build([1, 2], [[], ["서울"]])
    assert mixed.search([], k=5) == [] and mixed.search(["부산"], k=5) == []
    assert [doc for doc, _ in mixed.search(["서울", "서울"], k=5)] == [2]


def test_load_of_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SparseIndexError, match="cannot read sparse index"):
        SparseIndex.load(tmp_path / "nope")


def test_10k_documents_after_removes_and_adds_score_as_a_fresh_build() -> None:
    """Removing and adding rebuilds the BM25 statistics (document count, lengths, document
    frequencies): every query then ranks and scores as an index built from scratch over the
    documents that remain."""
    rng = np.random.default_rng(0)
    vocab = [f"어휘{i}" for i in range(5000)]

    def random_docs(first: int, n: int) -> dict[int, list[str]]:
        return {first + i: [vocab[j] for j in rng.integers(0, len(vocab), size=60)] for i in range(n)}

    docs = random_docs(0, 10_000)
    index = SparseIndex.build(list(docs), list(docs.values()))
    assert index.search(docs[1234][:5], k=1)[0][0] == 1234  # built before the changes
    removed = set(range(0, 10_000, 7))
    assert index.remove(sorted(removed)) == len(removed)
    extra = random_docs(20_000, 500)
    index.add(list(extra), list(extra.values()))
    kept = {i: t for i, t in docs.items() if i not in removed} | extra
    fresh = SparseIndex.build(list(kept), list(kept.values()))
    queries = [docs[0][:5], docs[1234][:5], extra[20_123][:5], [vocab[7], vocab[4999]]]
    for query in queries:
        hits = index.search(query, k=10)
        assert hits == fresh.search(query, k=10)
        assert hits and not removed & {doc for doc, _ in hits}
    assert index.search(docs[1234][:5], k=1)[0][0] == 1234
    assert index.search(extra[20_123][:5], k=1)[0][0] == 20_123
    assert index.ids().tolist() == fresh.ids().tolist()

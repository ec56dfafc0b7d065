"""KoreanAnalyzer: particles and endings split off, content morphemes kept, numbers normalised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexing.tokenize import BIGRAM_PREFIX, KoreanAnalyzer, bigrams, get_kiwi, normalize_number

KORQUAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "korquad-v1-dev-part-a.json"


@pytest.fixture(scope="module")
def analyzer() -> KoreanAnalyzer:
    return KoreanAnalyzer()


def test_particles_split_so_inflected_words_share_a_term(analyzer: KoreanAnalyzer) -> None:
    topic = analyzer.terms("매출액은 3,450억 원이다.")
    subject = analyzer.terms("매출액이 크게 증가했다.")
    assert "매출액" in topic and "매출액" in subject
    # The particles themselves are not terms.
    assert not {"은", "이", "는", "가"} & (set(topic) | set(subject))


def test_endings_dropped_and_stems_kept(analyzer: KoreanAnalyzer) -> None:
    terms = analyzer.terms("회사는 작년에 매출이 증가했고 직원들은 아름다운 사무실로 갔었습니다.")
    assert {"회사", "작년", "매출", "증가", "직원", "아름답", "사무실", "가"} <= set(terms)
    assert not {"었", "습니다", "고", "에", "로", "."} & set(terms)


def test_numbers_normalised_and_latin_lowercased(analyzer: KoreanAnalyzer) -> None:
    terms = analyzer.terms("Apple의 iPhone 15 판매량은 1,234,567대, 점유율 1.5%였다.")
    assert {"apple", "iphone", "15", "1234567", "1.5"} <= set(terms)
    assert "%" not in terms and "1,234,567" not in terms
    assert analyzer.terms("3,450억")[:1] == analyzer.terms("3450억")[:1] == ["3450"]


def test_normalize_number_keeps_decimals() -> None:
    assert normalize_number("3,450") == "3450"
    assert normalize_number("1,234.5") == "1234.5"
    assert normalize_number("2023") == "2023"


def test_bigrams_stay_inside_hangul_runs() -> None:
    assert bigrams("매출액은") == ["매출", "출액", "액은"]
    assert bigrams("꽃 2023년 매출") == ["꽃", "년", "매출"]  # single syllables kept whole
    assert bigrams("ABC 123") == []


def test_index_terms_are_morphemes_then_prefixed_bigrams(analyzer: KoreanAnalyzer) -> None:
    terms = analyzer.index_terms("매출액은 늘었다")
    assert terms == ["매출액", "늘"] + [BIGRAM_PREFIX + b for b in bigrams("매출액은 늘었다")]
    assert analyzer.index_terms_batch(["매출액은 늘었다", ""]) == [terms, []]


def test_batch_matches_single_calls_on_real_paragraphs(analyzer: KoreanAnalyzer) -> None:
    data = json.loads(KORQUAD.read_text(encoding="utf-8"))
    texts = [p["context"] for a in data["data"][:3] for p in a["paragraphs"]][:4]
    texts.insert(2, "   ")  # a blank text keeps its place and gets no terms
    batch = analyzer.terms_batch(texts)
    assert batch == [analyzer.terms(t) for t in texts]
    assert batch[2] == [] and all(batch[i] for i in (0, 1, 3, 4))


def test_batch_rejects_a_single_string(analyzer: KoreanAnalyzer) -> None:
    with pytest.raises(TypeError):
        analyzer.terms_batch("매출액은")  # type: ignore[arg-type]


def test_one_kiwi_per_process() -> None:
    assert get_kiwi() is get_kiwi()

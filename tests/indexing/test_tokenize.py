"""KoreanAnalyzer: particles and endings split off, content morphemes kept, numbers normalised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexing.tokenize import (
    BIGRAM_PREFIX,
    KoreanAnalyzer,
    bigrams,
    get_kiwi,
    normalize_number,
    request_start,
    word_stems,
)

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


def test_index_terms_are_morphemes_noun_pairs_stems_then_prefixed_bigrams(analyzer: KoreanAnalyzer) -> None:
    terms = analyzer.index_terms("영업 이익은 늘었다")
    assert terms == ["영업", "이익", "늘", "영업+이익"] + [BIGRAM_PREFIX + b for b in bigrams("영업 이익은 늘었다")]
    assert analyzer.index_terms_batch(["영업 이익은 늘었다", ""]) == [terms, []]
    assert analyzer.index_terms("") == []


def test_noun_pairs_are_nouns_side_by_side_only(analyzer: KoreanAnalyzer) -> None:
    said = analyzer.index_terms("열람 좌석은 53석이다.")
    apart = analyzer.index_terms("열람 공간을 고치고 어린이 자료실의 좌석을 늘릴 예정이다.")
    assert "열람+좌석" in said and "열람+좌석" not in apart
    assert "어린이+자료실" in apart and "자료실+좌석" not in apart  # 의 stands between them
    asked = analyzer.query_terms("열람 좌석은 얼마인가?")
    assert "열람+좌석" in asked and not any("얼마" in t for t in asked if "+" in t)


def test_query_bigrams_leave_out_particles(analyzer: KoreanAnalyzer) -> None:
    asked = analyzer.query_terms("좌석을 늘린 해는?")
    assert "·좌석" in asked and "·석을" not in asked
    assert "·석을" in analyzer.index_terms("좌석을 늘린 해는?")  # documents keep theirs


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


def test_a_closing_request_is_not_searched_for(analyzer: KoreanAnalyzer) -> None:
    # "X를 알려 주세요" asks what "X는?" asks: neither the verb nor its bigrams are terms
    asked = analyzer.query_terms("윤슬 도서관의 열람 좌석을 알려 주세요.")
    assert {"열람", "좌석", "·좌석"} <= set(asked)
    assert not {"알리", "·알려", "·주세", "·세요"} & set(asked)
    assert "보수" in analyzer.query_terms("총보수를 말해 주세요")
    assert not {"말", "·말해"} & set(analyzer.query_terms("총보수를 말해 주세요"))
    # the same verb inside the question, or a request and nothing else, stays
    assert "알리" in analyzer.query_terms("이순신이 알린 사실은?")
    assert analyzer.query_terms("알려 주세요") == ["알리", "·알려", "·주세", "·세요"]


def test_request_start_needs_the_auxiliary_at_the_end() -> None:
    tokens = get_kiwi().tokenize("매출액을 보여 주시겠어요?")
    assert tokens[request_start(tokens)].form == "보이"
    assert request_start(get_kiwi().tokenize("알려 준 사람은 누구인가?")) is None
    assert request_start(get_kiwi().tokenize("매출액은 얼마인가?")) is None


def test_a_word_cut_into_several_morphemes_is_also_a_term_as_written(analyzer: KoreanAnalyzer) -> None:
    kiwi = get_kiwi()
    text = "미리내군의 상수도 보급률은 2001년 95.6%이다."
    assert word_stems(text, kiwi.tokenize(text)) == ["미리내군", "보급률"]  # 2001년: not all Hangul
    assert word_stems("정수장은", kiwi.tokenize("정수장은")) == []  # one morpheme: a term already
    asked = analyzer.query_terms("미리내군의 2001년 정수장 수는 얼마인가?")
    assert "미리내군" in asked and "미리내군" in analyzer.index_terms("2001 상수도 사업 현황 · 미리내군")
    # the written word is what both sides share when Kiwi cuts it one way in each
    assert "늘봄군" in analyzer.query_terms("늘봄군의 정수장 수를 알려 주세요.")
    assert "늘봄군" in analyzer.index_terms("2024 상수도 사업 현황 · 늘봄군")
    assert "얼마인" not in " ".join(asked)  # a word ending on its ending is no stem

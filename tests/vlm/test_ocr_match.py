"""One-letter OCR misreads of Hangul terms."""

from __future__ import annotations

import pytest

from vlm.extractive.ocr_match import letters, misread_in, one_letter_apart


def test_letters_of_a_syllable() -> None:
    assert letters("가") == (0, 0, 0)
    assert letters("끓")[2] != letters("끌")[2] and letters("끓")[:2] == letters("끌")[:2]


@pytest.mark.parametrize("a, b, apart", [("끓", "끌", True), ("률", "를", True), ("수", "사", True),
                                         ("수", "소", True), ("가", "나", True), ("각", "난", False),
                                         ("가", "가", False)])
def test_one_letter_apart(a: str, b: str, apart: bool) -> None:
    assert one_letter_apart(a, b) is apart


@pytest.mark.parametrize("term, text, near", [
    ("끓는점", "끌 는점(c)", True),          # ㄺ read as ㄹ, a space put in
    ("끓는점", "끓는점(℃)", False),          # as written: the analyser's to find
    ("영업이익률", "영업이익를 (%)", True),
    ("끓는점", "인화점", False),             # two syllables apart
    ("끓는점", "는점(c)", False),            # a syllable lost is not one letter
    ("교수", "교사", False),                 # two syllables: too many words are one letter apart
    ("2009년", "2O09년", False),             # not Hangul only
])
def test_misread_in(term: str, text: str, near: bool) -> None:
    assert misread_in(term, text) is near

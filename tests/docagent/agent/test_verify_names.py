"""The names a sub-question must find in its evidence are names, not names with a particle."""

from __future__ import annotations

from docagent.agent.verify import _named, proper_nouns


def test_a_possessive_is_not_part_of_the_name():
    names = proper_nouns("2020년 젯플로 절삭유의 점도 값은 얼마인가?")
    assert "절삭유의" not in names and "절삭유" in names
    assert all(_named(n, "젯플로절삭유물질안전보건자료") for n in names)


def test_names_without_a_particle_are_kept_whole():
    assert "한빛전자" in proper_nouns("한빛전자의 2023년 매출액은?")


def test_question_words_are_no_names():
    assert proper_nouns("대륙횡단 철도건설은 누구의 보수당이 시작한 사업이었는가?") == ["보수당"]
    assert proper_nouns("ESP는 무엇의 약자인가?") == []


def test_a_name_is_found_in_any_case_and_without_a_particle_left_on_it():
    assert _named("jtbc", "JTBC는2011년개국하였다")
    assert _named("송요찬이", "송요찬은일본군하사관출신이다")
    assert not _named("한빛전자", "동해조선2023사업보고서")
    assert not _named("송요찬이", "백선엽은군인이다")

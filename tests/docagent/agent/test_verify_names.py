"""The names a sub-question must find in its evidence are names, not names with a particle."""

from __future__ import annotations

from docagent.agent.verify import _named, proper_nouns


def test_a_possessive_is_not_part_of_the_name():
    names = proper_nouns("2020년 젯플로 절삭유의 점도 값은 얼마인가?")
    assert "절삭유의" not in names and "절삭유" in names
    assert all(_named(n, "젯플로절삭유물질안전보건자료") for n in names)


def test_names_without_a_particle_are_kept_whole():
    assert "한빛전자" in proper_nouns("한빛전자의 2023년 매출액은?")

"""Person, place and speech cues of answer candidates."""

from __future__ import annotations

from vlm.extractive.name_shapes import korean_name, place_word, role_after, speech


def test_a_korean_name_is_a_surname_and_two_or_three_syllables() -> None:
    assert korean_name("임수경") and korean_name("남궁민수")
    assert not korean_name("정부") and not korean_name("이명박 대통령") and not korean_name("프랑스")


def test_places_are_known_countries_or_end_on_a_place_suffix() -> None:
    assert place_word("오스트리아") and place_word("경기도") and place_word("광주광역시")
    assert not place_word("도") and not place_word("임수경")


def test_a_role_word_after_a_name_with_or_without_a_particle() -> None:
    assert role_after(" 총리는 말했다") and role_after(" 씨가")
    assert not role_after("에게 편지를")


def test_speech_ends_like_a_sentence() -> None:
    assert speech("그렇게 해주시겠습니까?") and speech("사또가 바뀌면 아무에게나 달려드는 관기다")
    assert not speech("하늘에 그리는 생각") and not speech("Don't Cha")

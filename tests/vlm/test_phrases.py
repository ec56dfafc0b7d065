"""Runs of whole words that noun chunks miss, offered as answer candidates."""

from __future__ import annotations

from vlm.extractive.candidates import candidates
from vlm.extractive.morph import split_sentences
from vlm.extractive.phrases import word_runs
from vlm.extractive.question import analyse_question


def _runs(text: str) -> set[str]:
    sent = split_sentences(text)[0]
    return {text[sent.tokens[a].start:sent.tokens[b].end] for a, b in word_runs(sent)}


def test_a_name_kiwi_splits_into_odd_tags_is_a_run_without_its_particle() -> None:
    assert "마고 왓슨" in _runs("마고 왓슨이 그룹을 떠났다.")


def test_hyphens_ampersands_and_a_trimmed_suffix_make_runs() -> None:
    runs = _runs("CD-ROM과 Bill & Melinda Gates Foundation의 후원으로 의원내각제를 도입했다.")
    assert {"CD-ROM", "Bill & Melinda Gates Foundation", "의원내각제"} <= runs


def test_a_name_set_with_a_hyphen_or_an_exclamation_mark_is_one_candidate() -> None:
    def surfaces(text: str, question: str) -> set[str]:
        sent = split_sentences(text)[0]
        return {text[c.start:c.end] for c in candidates(analyse_question(question), sent, text)}

    assert "토마스 마이르-하팅" in surfaces("역사학자 토마스 마이르-하팅이 말했다.", "누가 말했나?")
    assert "E!Online" in surfaces("E!Online에 따르면 그는 떠났다.", "어디에 따르면 떠났나?")


def test_a_percent_sign_is_no_name_part_and_stop_words_do_not_open_a_run() -> None:
    text = "2023년 회사의 매출액은 3,450억 원으로 전년 대비 12.5% 증가하였다."
    sent = split_sentences(text)[0]
    surfaces = {text[c.start:c.end] for c in candidates(analyse_question("12.5% 증가한 것은 무엇인가?"), sent, text)}
    assert "전년 대비 12.5%" not in surfaces and "매출액" in surfaces


def test_the_words_between_two_quotations_are_not_quoted() -> None:
    # a closing mark opens nothing: after a quotation too long to be an answer, ”이라며 “ is
    # what lies between it and the next one
    text = ("한나라당은 “이번 사건은 북한의 명백한 도발이며 정부는 그 책임을 끝까지 분명하게 물어야 한다”이라며 "
            "“사과하라”고 요구했다. 《조선중앙통신이 전한 북측의 긴 성명과 그에 대한 해설 기사 전문》와 《로동신문》은 반발했다.")
    q = analyse_question("북한의 책임론을 주장한 당은?")
    quoted = set()
    for sent in split_sentences(text):
        quoted |= {text[c.start:c.end] for c in candidates(q, sent, text) if c.kind == "quoted"}
    assert {"사과하라", "로동신문"} <= quoted
    assert not any("이라며" in s or s.strip() == "와" for s in quoted)


def test_a_why_question_takes_noun_phrases_and_most_the_one_marked_as_the_cause() -> None:
    text = "그는 군대에 입대했으나 기관지확장증으로 진단받아 훈련소에서 강제 퇴소됐다."
    sent = split_sentences(text)[0]
    found = {text[c.start:c.end]: c.type_score
             for c in candidates(analyse_question("그가 훈련소에서 강제 퇴소 당한 이유는?"), sent, text)}
    assert found["기관지확장증"] > found["군대"] > 0.0
    text = "국정농단 사태 때문에 5대과제의 이행은 하나도 되지 않았다."
    sent = split_sentences(text)[0]
    found = {text[c.start:c.end]: c.type_score
             for c in candidates(analyse_question("5대과제가 이행되지 않은 이유는?"), sent, text)}
    assert found["국정농단 사태"] > found.get("이행", 0.0)

"""The reader's fitted evidence score: which paragraphs answer a question, and which do not."""

from __future__ import annotations

import json

import pytest

from bench.common import SHARED_DATA
from vlm.backends.base import CropInput, VisionRequest
from vlm.backends.extractive import ExtractiveBackend
from vlm.extractive.evidence import NAMES, evidence_probability
from vlm.extractive.matching import Idf, boost_absent_entities, question_weights
from vlm.extractive.question import analyse_question
from vlm.extractive.spans import answer_paragraph, sentence_units

KORQUAD = SHARED_DATA / "korquad-v1-dev-part-a.json"


def _span(question: str, text: str):  # type: ignore[no-untyped-def]
    q = analyse_question(question)
    units = sentence_units(text)
    weights = boost_absent_entities(question_weights(q, Idf({h.term for h in hits} for _, hits in units)), q, [text])
    return answer_paragraph(q, text, units, weights)


def test_the_paragraph_and_adjacent_sentences_count_beside_the_best_sentence() -> None:
    span = _span("정도전이 회의감을 느낀 맹자의 가설은 무엇인가?",
                 "정도전은 젊어서 맹자의 여러 가설을 공부하였다. 그중 성선설에 대해서는 회의감을 느꼈다.")
    f = dict(zip(NAMES, span.evidence, strict=True))
    assert f["paragraph_coverage"] == pytest.approx(1.0) and f["pair_coverage"] == pytest.approx(1.0)
    assert f["sentence_coverage"] < f["paragraph_coverage"] and f["focus_matched"] == 1.0
    unrelated = _span("정도전이 회의감을 느낀 맹자의 가설은 무엇인가?",
                      "정도전은 젊어서 불교를 비판하였다. 그는 훗날 조선경국전을 지었다.")
    assert evidence_probability(unrelated.evidence) < 0.1 < 0.9 < evidence_probability(span.evidence)


@pytest.mark.skipif(not KORQUAD.exists(), reason="needs ../shared/data")
def test_a_paragraph_that_states_the_answer_in_other_words_is_answered_by_default() -> None:
    # KorQuAD article 50 (fitted on): the best sentence covers 31% of the question's terms
    para = json.loads(KORQUAD.read_text(encoding="utf-8"))["data"][50]["paragraphs"][0]
    qa = next(qa for qa in para["qas"] if "독일 차트 기록" in qa["question"])
    request = VisionRequest(qa["question"], [CropInput(text=para["context"])])
    fitted = ExtractiveBackend().answer([request])[0]
    assert fitted.answerable and fitted.text == qa["answers"][0]["text"] == "48위"
    floor = ExtractiveBackend(min_coverage=0.35).answer([request])[0]
    assert not floor.answerable and "below the 35% required" in floor.text


def test_a_question_the_paragraph_does_not_answer_is_refused_with_its_score() -> None:
    request = VisionRequest("정도전이 회의감을 느낀 맹자의 가설은 무엇인가?",
                            [CropInput(text="정도전은 젊어서 불교를 비판하였다. 그는 훗날 조선경국전을 지었다.")])
    ans = ExtractiveBackend().answer([request])[0]
    assert not ans.answerable and "evidence scores" in ans.text

"""The paragraph span scorer: its features, its fitted weights and the fit itself."""

from __future__ import annotations

import numpy as np
import pytest

from bench.fit_span_weights import fit, top_exact
from vlm.extractive.matching import Idf, boost_absent_entities, question_weights
from vlm.extractive.question import analyse_question
from vlm.extractive.span_features import NAMES
from vlm.extractive.span_weights import HAND_WEIGHTS, SPAN_WEIGHTS
from vlm.extractive.spans import scored_candidates, sentence_units


def _scored(question: str, text: str) -> dict[str, dict[str, float]]:
    units = sentence_units(text)
    idf = Idf({h.term for h in hits} for _, hits in units)
    q = analyse_question(question)
    weights = boost_absent_entities(question_weights(q, idf), q, [text])
    _, scored = scored_candidates(q, text, units, weights)
    return {text[s.candidate.start:s.candidate.end]: dict(zip(NAMES, s.vector, strict=True))
            for s in scored}


def test_every_feature_has_a_weight_in_both_sets() -> None:
    assert len(SPAN_WEIGHTS) == len(NAMES) == len(HAND_WEIGHTS)
    assert len(set(NAMES)) == len(NAMES)


def test_a_word_cut_out_of_a_phrase_says_the_phrase_goes_on() -> None:
    f = _scored("블루스에서 가장 중요한 소리를 뭐라고 하나요?",
                "블루스에서 가장 중요한 소리는 블루 노트라고 불린다.")
    assert f["노트"]["phrase_goes_on_left"] == 1.0 and f["노트"]["glued_on_left"] == 0.0
    assert f["블루 노트"]["phrase_goes_on_left"] == 0.0


def test_a_gloss_in_parentheses_is_marked_by_its_script() -> None:
    f = _scored("고종이 내린 시호는?", "고종은 정도전에게 문헌(文憲)이라는 시호를 내렸다.")
    assert f["文憲"]["in_parentheses"] == 1.0 and f["文憲"]["hanja_share"] == 1.0
    assert f["문헌"]["in_parentheses"] == 0.0 and f["문헌"]["hanja_share"] == 0.0


def test_a_quantity_is_whole_whatever_follows_it() -> None:
    f = _scored("How many people did Apple employ in 2023?",
                "In 2023 its revenue was $383 billion, and it employed 161,000 people.")
    assert f["161,000"]["phrase_goes_on_right"] == 0.0
    assert f["161,000"]["kind_quantity"] == 1.0


def test_the_particle_after_a_candidate_is_one_hot() -> None:
    f = _scored("세자로 책봉된 인물은?", "태조는 방석을 세자로 책봉하였다.")
    followers = [k for k, v in f["방석"].items() if k.startswith("followed_by_") and v]
    assert followers == ["followed_by_JKO"]


def test_the_fit_finds_the_feature_that_marks_the_gold_one() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(60):
        x = rng.normal(size=(5, 3))
        gold = int(rng.integers(5))
        x[:, 1] = 0.0
        x[gold, 1] = 1.0  # only feature 1 tells the gold candidate apart
        y = np.zeros(5)
        y[gold] = 1.0
        rows.append({"article": 30, "type": "span", "x": x, "y": y})
    w = fit(rows, l2=1e-4, steps=300, lr=0.05)
    assert w[1] > 1.0 and abs(w[0]) < w[1] and abs(w[2]) < w[1]
    assert top_exact(rows, w)["all"] == 1.0
    assert top_exact(rows, np.zeros(3))["all"] < 0.5  # argmax of ties picks the first


def test_the_prior_holds_weights_the_data_says_nothing_about() -> None:
    x = np.array([[1.0, 0.0], [0.0, 0.0]])
    rows = [{"article": 30, "type": "span", "x": x, "y": np.array([1.0, 0.0])}] * 10
    w = fit(rows, l2=1.0, steps=200, lr=0.05, prior=np.array([0.0, 2.5]))
    assert w[1] == pytest.approx(2.5)


def test_a_bracketed_title_with_an_apostrophe_is_one_candidate() -> None:
    f = _scored("그의 첫 일본어 음반의 이름은?",
                "그는 10월 9일에 그의 첫 번째 일본어 음반 《Let's Talk About Love》을 발표했다.")
    assert f["Let's Talk About Love"]["kind_quoted"] == 1.0


def test_a_korean_name_and_a_title_after_it_mark_a_person() -> None:
    f = _scored("세자로 책봉된 인물은 누구인가?", "태조는 미국에서 돌아온 방석을 세자로 책봉하였고 김황식 총리가 축하하였다.")
    assert f["김황식"]["person_shape_for_person"] == 1.0
    assert f["김황식"]["role_after_for_person"] == 1.0
    assert f["미국"]["place_shape_for_person"] == 1.0 and f["미국"]["person_shape"] == 0.0
    assert f["김황식 총리"]["ends_on_role"] == 1.0


def test_a_quoted_sentence_is_speech_and_a_quoted_title_is_not() -> None:
    f = _scored("그가 부른 노래의 이름은?",
                "그는 \"그렇게 해주시겠습니까?\"라고 묻고 \"하늘에 그리는 생각\"을 불렀다.")
    assert f["그렇게 해주시겠습니까?"]["speech_quote"] == 1.0
    assert f["하늘에 그리는 생각"]["speech_quote"] == 0.0


def test_the_word_after_the_question_word_follows_the_answer() -> None:
    f = _scored("곽영욱은 어느 회사의 사장이었는가?", "곽영욱은 대한통운 사장을 지냈다.")
    assert f["대한통운"]["after_wh_follows"] == 1.0 and f["대한통운"]["after_wh_inside"] == 0.0
    assert f["대한통운 사장"]["after_wh_inside"] == 1.0


def test_the_topic_that_opens_a_definition_is_marked() -> None:
    f = _scored("일반인이 트랙을 직접 운전해 보는 프로그램은?",
                "트랙 투어는 일반인이 트랙을 직접 운전해 볼 수 있는 프로그램이다.")
    assert f["트랙 투어"]["sentence_topic_for_span"] == 1.0
    assert f["투어"]["sentence_topic"] == 0.0  # a word cut out of the topic does not open it


def test_a_named_thing_is_rarer_to_the_language_model_than_an_everyday_noun() -> None:
    f = _scored("우드로 윌슨의 논문을 계기로 정립된 학문은?",
                "우드로 윌슨의 논문을 계기로 사람들은 행정학이 정립되었다고 본다.")
    assert f["행정학"]["rarity"] > f["사람들"]["rarity"] > 0.0

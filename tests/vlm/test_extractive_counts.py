"""Counts named with 수 and years written as 학년도: the school-report sentences that the span
reader used to miss (``20학급`` beside the year won over ``89명`` after ``교원 수는``)."""

from __future__ import annotations

import pytest

from vlm.backends.base import CropInput, VisionRequest
from vlm.backends.extractive import ExtractiveBackend

TEXT = ("본교는 2008학년도에 20학급을 편성하여 운영하였으며 교원 수는 89명이다. "
        "교원 외에 교육 행정과 시설 관리를 맡은 직원이 함께 근무하고 있다.")


@pytest.mark.parametrize("question, expected", [
    ("교원 수는?", "89명"),
    ("2008년 교원 수는 얼마인가?", "89명"),
    ("2008년 학급 수는 얼마인가?", "20학급"),
])
def test_the_count_after_its_noun_and_su_is_the_answer(question, expected):
    answer = ExtractiveBackend().answer([VisionRequest(question=question, crops=[CropInput(text=TEXT)])])[0]
    assert answer.answerable and answer.text == expected


def test_a_year_written_as_hakneondo_matches_the_questions_year():
    from vlm.extractive.morph import split_sentences, terms_of

    terms = {h.term for h in terms_of(split_sentences(TEXT)[0].tokens)}
    assert "2008년" in terms and "2008" in terms


def test_a_quantity_right_after_the_asked_for_noun_answers_a_what_question():
    text = ("본 제품은 산업용 세척과 표면 처리 용도로 사용되는 혼합물이다. "
            "본 제품의 표준 포장 단위는 39리터이며 권장 사용 농도는 1.4%이다.")
    backend = ExtractiveBackend()
    for question, expected in (("표준 포장 단위는?", "39리터"), ("권장 사용 농도는?", "1.4%")):
        answer = backend.answer([VisionRequest(question=question, crops=[CropInput(text=text)])])[0]
        assert answer.text == expected, question


def test_a_word_ocr_split_with_a_space_is_read_whole():
    text = "본 제품의 표준 포장 단위는 12 리터이며 권장 사용 농 도는20.6%이다."  # as OCR reads a scan
    answer = ExtractiveBackend().answer([VisionRequest(question="권장 사용 농도는?",
                                                       crops=[CropInput(text=text)])])[0]
    assert answer.answerable and answer.text == "20.6%"


LIBRARY = ("이 도서관은 지역 주민의 독서와 평생 학습을 돕기 위하여 설립된 공공 도서관이다. "
           "2022년 말 현재 소장 도서는\n449,874권이고 열람 좌석은 489석이다.")


def test_a_count_is_written_with_the_counter_its_noun_ends_on():
    from vlm.extractive.question import analyse_question

    assert analyse_question("열람 좌석은 얼마인가?").unit == "석"
    assert analyse_question("매출액은 얼마인가?").unit == ""  # money names no counter
    assert analyse_question("병상은 몇 개인가?").unit == "개"  # the question's own counter first
    # the year beside the other figure drew the answer to it ("449,874권")
    answer = ExtractiveBackend().answer([VisionRequest(question="도서관의 2022년 열람 좌석은 얼마인가?",
                                                       crops=[CropInput(text=LIBRARY)])])[0]
    assert answer.text == "489석"


def test_a_request_asks_what_its_object_asks():
    from vlm.extractive.question import AnswerType, analyse_question

    q = analyse_question("동해조선의 임직원 수를 알려 주세요.")
    assert q.answer_type == AnswerType.NUMBER and "알리" not in q.term_set
    q = analyse_question("열람 좌석을 알려 주세요.")
    assert q.head == "좌석" and q.term_set == {"열람", "좌석"}
    answer = ExtractiveBackend().answer([VisionRequest(question="소장 도서를 말해 주세요.",
                                                       crops=[CropInput(text=LIBRARY)])])[0]
    assert answer.text == "449,874권" and "coverage=1.00" in answer.raw


def test_an_amount_noun_that_types_the_question_is_looked_for():
    """``2016년 발전량은?`` has no question word: 발전량 types it as a number and is still the
    label the table gives, so the years-down-the-side table answers, not a chart of 2016."""
    from indexing.model import Table, TableCell
    from vlm.extractive.question import analyse_question

    assert "발전량" in analyse_question("2016년 발전량은?").term_set
    rows = [["연도", "발전량(GWh)", "이용률(%)"], ["2015년", "3,485.7", "48.2"], ["2016년", "3,489.5", "12.9"]]
    table = Table([TableCell(r, c, t) for r, row in enumerate(rows) for c, t in enumerate(row)], 3, 3)
    answer = ExtractiveBackend().answer([VisionRequest(question="2016년 발전량은?",
                                                       crops=[CropInput(text="", table=table)])])[0]
    assert answer.text == "3,489.5" and "rule=table.cell" in answer.raw

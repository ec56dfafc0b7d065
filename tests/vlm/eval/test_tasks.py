"""Asking and reading mcq items, through a scripted backend whose replies are set by the test."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from vlm.backends.base import GroundedAnswer, VisionRequest, VLMBackend
from vlm.eval import EvalOptions, evaluate
from vlm.eval.tasks import (
    MCQ_INSTRUCTION,
    bare_question,
    gold_words,
    match_option,
    mcq_question,
    parse_letter,
    rotate,
    split_words,
)
from vlm.parsing import grounded_answer
from vlm.synth.records import EvalItem

CITIES = ["부산", "서울", "대구", "인천"]  # gold: B (서울)


class Scripted(VLMBackend):
    """Replies ``reply(request)`` to each request; records what it was asked."""

    name = "scripted"

    def __init__(self, reply: Callable[[VisionRequest], str]) -> None:
        self.reply = reply
        self.seen: list[VisionRequest] = []

    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        self.seen.extend(requests)
        return [grounded_answer(self.reply(r)) for r in requests]

    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        return [""] * len(prompts)


def letter_of(request: VisionRequest, option: str) -> str:
    """The letter ``option`` has in the prompt (``B. 서울`` -> ``B``)."""
    line = next(ln for ln in request.question.splitlines() if ln.endswith(f". {option}"))
    return line[0]


def mcq(item_id: str = "q1", answer: str = "B", category: str = "document") -> EvalItem:
    return EvalItem(item_id, "mcq", "대한민국의 수도는?", None, category, choices=list(CITIES),
                    answer=answer)


@pytest.mark.parametrize(("reply", "letter"), [
    ("B", "B"), ("(C)", "C"), ("D. 부산", "D"), ("The answer is A.", "A"), ("정답은 B입니다", "B"),
    ("Answer: (D)", "D"), ("I think (C) is right", "C"), ("Ｂ", "B"),
    ("A cat", None), ("서울", None), ("B2B", None), ("(A) or (B)", None), ("", None),
])
def test_parse_letter(reply: str, letter: str | None) -> None:
    assert parse_letter(reply) == letter


def test_match_option_by_text_or_number() -> None:
    assert match_option("서울", CITIES) == 1
    assert match_option("서울이다", CITIES) == 1  # contains 서울: 2/4 characters = 0.5
    assert match_option("3450", ["2,980", "3,450", "410", "520"]) == 1  # the same number
    assert match_option("광주", CITIES) is None  # matches none well enough
    assert match_option("서울", ["서울", "서울", "대구", "인천"]) is None  # a tie picks none
    assert match_option("", CITIES) is None


def test_prompt_lists_rotated_options_and_asks_for_a_letter() -> None:
    assert rotate(CITIES, 1) == ["서울", "대구", "인천", "부산"]
    text = mcq_question("수도는?", rotate(CITIES, 1))
    assert text.splitlines() == ["수도는?", "A. 서울", "B. 대구", "C. 인천", "D. 부산", MCQ_INSTRUCTION]
    assert mcq_question("수도는?", CITIES, with_options=False) == "수도는?"


def test_task_tokens_in_a_question_are_left_to_the_backend() -> None:
    assert bare_question("<gro>\n매출액은?") == "매출액은?"
    assert bare_question("<image>\n<ocr>") == "" and bare_question("표 <gro>") == "표 <gro>"


def test_split_words_shares_the_line_box() -> None:
    # "ab cd" is 5 characters: "ab" takes 0-2/5 of the width, "cd" 3/5-5/5
    assert split_words("ab cd", [0.0, 0.0, 1.0, 0.1]) == [
        ("ab", [0.0, 0.0, 0.4, 0.1]), ("cd", [0.6, 0.0, 1.0, 0.1])]
    assert gold_words([{"text": "a", "bbox": ["x", 0, 1, 1]}, {"text": "b"}, "junk"]) == [
        ("a", None), ("b", None)]


def test_letters_text_and_garbage_replies() -> None:
    items = [mcq("letter"), mcq("text"), mcq("garbage"), mcq("wrong")]
    replies = {"letter": lambda r: f"정답: {letter_of(r, '서울')}", "text": lambda r: "서울",
               "garbage": lambda r: "<bbox>0.1, x</bbox><char>", "wrong": lambda r: "A"}
    backend = Scripted(lambda r: replies[r.question.split("|")[0]](r))
    for it in items:
        it.question = f"{it.id}|{it.question}"
    report = evaluate(items, backend, EvalOptions(batch_size=3))
    by_id = {it.id: it for it in report.items}
    assert by_id["letter"].prediction == "B" and by_id["text"].prediction == "B"
    assert by_id["garbage"].prediction == "" and by_id["garbage"].scores["accuracy"] == 0.0
    assert by_id["wrong"].prediction == "A"
    assert report.row("mcq").metrics == {"accuracy": 0.5, "format": 0.5}  # letters named by 2 of 4
    assert {f.id for f in report.failures} == {"garbage", "wrong"}
    assert all("A. 부산" in r.question and r.grounding is False for r in backend.seen)


def test_circular_counts_an_item_only_when_every_rotation_is_right() -> None:
    def reply(r: VisionRequest) -> str:
        shown = [ln[3:] for ln in r.question.splitlines()[1:5]]
        rotation = (4 - shown.index("부산")) % 4  # 부산, option 0, is shown at index -r
        if r.question.startswith("flaky") and rotation == 2:
            return letter_of(r, "대구")  # wrong in rotation 2 only
        return letter_of(r, "서울")

    items = [mcq("steady", category="table"), mcq("flaky", category="table")]
    for it in items:
        it.question = f"{it.id}|{it.question}"
    backend = Scripted(reply)
    report = evaluate(items, backend, EvalOptions(circular=True))
    assert len(backend.seen) == 8  # four rotations each
    flaky = next(it for it in report.items if it.id == "flaky")
    # rotation 2 shows 대구 (original C) where 서울 should be picked
    assert flaky.rotations == ["B", "B", "C", "B"]
    assert flaky.scores == {"accuracy": 1.0, "format": 1.0, "circular_accuracy": 0.0}
    # plain: both right = 1.0; circular: only "steady" = 1/2
    assert report.row("mcq").metrics == {"accuracy": 1.0, "circular_accuracy": 0.5, "format": 1.0}
    assert report.row("mcq", "table").metrics["circular_accuracy"] == 0.5
    assert [f.id for f in report.failures] == ["flaky"]
    json.dumps(report.to_json(with_items=True), ensure_ascii=False)


def test_a_text_reading_backend_is_asked_once_without_options() -> None:
    class Reader(Scripted):
        name = "extractive"  # answers from text: the runner leaves the options out

    backend = Reader(lambda r: "서울")
    item = mcq()
    report = evaluate([item], backend, EvalOptions(circular=True, options_in_prompt=None))
    assert report.items[0].rotations == ["B"] * 4 and report.items[0].scores["circular_accuracy"] == 1.0
    assert [r.question for r in backend.seen] == [item.question]  # one request, no options


def test_open_grounding_and_ocr_replies() -> None:
    items = [
        EvalItem("qa", "qa", "수도는?", answers=["서울특별시"]),
        EvalItem("chart", "chart_qa", "매출은?", answers=["3,450억 원"]),
        EvalItem("box", "grounding", "서울을 찾아라", bbox=[0.1, 0.1, 0.5, 0.3]),
        EvalItem("ocr", "ocr", "", words=[{"text": "서울 특별시", "bbox": [0.0, 0.0, 1.0, 0.1]}]),
        EvalItem("nothing", "qa", "비어 있음", answers=["x"]),
    ]
    replies = {"수도는?": "서울특별시", "매출은?": "3450억원",
               "서울을 찾아라": "<obj>서울</obj><bbox>0.1, 0.1, 0.5, 0.31</bbox>",
               "<ocr>": "<char>서울 특별시</char><bbox>0.0, 0.0, 1.0, 0.1</bbox>", "비어 있음": ""}
    backend = Scripted(lambda r: replies[r.question])
    report = evaluate(items, backend)
    scores = {it.id: it.scores for it in report.items}
    assert scores["qa"] == {"exact_match": 1.0, "anls": 1.0}
    assert scores["chart"]["relaxed_accuracy"] == 1.0
    assert scores["box"]["iou"] == pytest.approx(0.08 / 0.084)  # 0.4 x 0.2 inside 0.4 x 0.21
    assert scores["ocr"]["f1"] == 1.0 and scores["ocr"]["f1_box"] == 1.0
    assert scores["nothing"] == {"exact_match": 0.0, "anls": 0.0}
    asked = {r.question: r for r in backend.seen}
    assert asked["서울을 찾아라"].grounding and not asked["수도는?"].grounding

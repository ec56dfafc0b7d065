"""A plan that finds nothing is tried once more as one lookup of the question, and a
computation that would read one figure twice is refused."""

from __future__ import annotations

from docagent.agent.answer import Citation
from docagent.agent.arithmetic import parse_value
from docagent.agent.graph import run
from docagent.agent.planner import plan_question, replannable, whole_lookup
from docagent.agent.state import Kind, Op, Plan, Reading, SubQuestion
from docagent.agent.synthesis import synthesize
from vlm.backends.extractive import ExtractiveBackend

from .node_helpers import FakeRetriever
from .test_nodes import _candidate

QUESTION = "한빛전자가 신용평가사로부터 가장 높은 신용등급을 받은 때는 언제인가?"


def test_a_fact_read_as_an_extreme_is_answered_as_one_lookup() -> None:
    # "가장 높은" reads as the largest of a series, but the question asks when one fact happened
    assert plan_question(QUESTION).kind == Kind.EXTREME
    crop = _candidate(text="한빛전자는 2012년 8월 무디스, 피치 등 신용평가사로부터 사상 최고의 신용등급을 받았다. "
                           "이후 매출이 늘었다.")
    answer, steps = run(QUESTION, FakeRetriever([crop]), ExtractiveBackend())
    assert answer.answerable and answer.answer == "2012년 8월"
    assert answer.citations and answer.citations[0].page == 2
    nodes = [s.node for s in steps]
    assert nodes.count("synthesize") == 2 and nodes[-1] == "synthesize"
    assert steps[nodes.index("synthesize")].detail.get("replanned") is True


def test_a_lookup_of_the_question_or_a_yes_no_is_not_tried_again() -> None:
    assert not replannable(whole_lookup("한빛전자의 2023년 매출액은?"), "한빛전자의 2023년 매출액은?")
    yesno = plan_question("한빛전자의 2023년 매출액은 3,000억 원을 넘었나?")
    assert yesno.kind == Kind.YESNO and not replannable(yesno, "한빛전자의 2023년 매출액은 3,000억 원을 넘었나?")
    # an unanswerable question is still refused after the second try
    crop = _candidate(text="동해조선은 2019년에 설립되었다.")
    answer, steps = run(QUESTION, FakeRetriever([crop]), ExtractiveBackend())
    assert not answer.answerable and not answer.citations
    assert [s.node for s in steps].count("synthesize") == 2


def test_two_values_read_from_one_place_are_not_compared() -> None:
    cite = Citation("d1", "report.pdf", 1, [10.0, 10.0, 60.0, 20.0], [595.0, 842.0], "7", "text",
                    "2009년 국가부채는 1637조4000억 원이다")
    subs = [SubQuestion(0, "2009년 국가부채 값은 얼마인가?", "2009년"), SubQuestion(1, "2007년 국가부채 값은 얼마인가?", "2007년")]
    readings = {i: Reading(i, "1637조", [parse_value("1637조", label=s.label)], [cite], "7", supported=True)
                for i, s in enumerate(subs)}
    answer = synthesize("2009년 국가부채는 2007년에 비해 얼마나 늘었나?", Plan(Kind.ARITHMETIC, Op.DIFFERENCE, subs),
                        readings)
    assert not answer.answerable and "같은 곳" in answer.answer


def test_a_refusal_names_the_nearest_miss_not_a_crop_that_matched_nothing() -> None:
    from docagent.agent.reading import propose
    from vlm.backends.base import GroundedAnswer

    crops = [_candidate(text="동해조선은 2019년에 설립되었다.", crop_id="1"),
             _candidate(text="한빛전자는 신용평가사로부터 높은 등급을 받았다.", crop_id="2")]
    answers = [GroundedAnswer("Nothing in the crops matches the question.", False, raw="rule=none reason=no-match"),
               GroundedAnswer("Cannot answer: its evidence scores 0.27, below what answers.", False,
                              raw="rule=paragraph.typed(entity) crop=0 coverage=0.30 type=date evidence=0.270")]
    readings = propose(ExtractiveBackend(), SubQuestion(0, QUESTION), crops, answers)
    assert [r.crop_id for r in readings] == ["2", "1"] and "0.27" in readings[0].note

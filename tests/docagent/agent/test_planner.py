"""The rule-based planner: kinds, operations and sub-questions, Korean and English."""

from __future__ import annotations

import pytest

from docagent.agent.planner import as_question, plan_question
from docagent.agent.state import Kind, Op


@pytest.mark.parametrize(("question", "kind", "op", "n"), [
    ("서울특별시의 2023년 관광객 수는 얼마인가?", Kind.LOOKUP, Op.NONE, 1),
    ("서울특별시의 관광객 수는 2019년부터 2023년까지 얼마나 늘었나?", Kind.ARITHMETIC, Op.DIFFERENCE, 2),
    ("한빛전자의 2021년 대비 2023년 영업이익 증가폭은 얼마인가?", Kind.ARITHMETIC, Op.DIFFERENCE, 2),
    ("2020년과 비교하여 2024년 새빛병원의 평균 재원일수는 얼마나 줄었습니까?", Kind.ARITHMETIC, Op.DIFFERENCE, 2),
    ("한빛전자의 2021년 대비 2023년 매출액 증가율은?", Kind.ARITHMETIC, Op.PERCENT, 2),
    ("서울특별시의 2019년부터 2023년까지 관광객 수 평균은?", Kind.ARITHMETIC, Op.AVERAGE, 1),
    ("서울특별시와 부산광역시의 2023년 관광객 수 중 어느 쪽이 더 많은가?", Kind.COMPARE, Op.MAX, 2),
    ("프로실 실리콘 실란트와 젯플로 절삭유의 1998년 점도 중 어느 쪽이 더 적은가?", Kind.COMPARE, Op.MIN, 2),
    ("서울특별시의 관광객 수가 가장 많았던 해는?", Kind.EXTREME, Op.MAX, 1),
    ("한빛전자의 2023년 영업이익은 3,000억 원을 넘었나?", Kind.YESNO, Op.ABOVE, 1),
    ("How much did revenue grow from 2021 to 2023?", Kind.ARITHMETIC, Op.DIFFERENCE, 2),
])
def test_kinds_and_operations(question: str, kind: Kind, op: Op, n: int) -> None:
    plan = plan_question(question)
    assert (plan.kind, plan.op, len(plan.subs)) == (kind, op, n)


def test_two_years_become_one_sub_question_each() -> None:
    plan = plan_question("서울특별시의 관광객 수는 2019년부터 2023년까지 얼마나 늘었나?")
    assert [s.years for s in plan.subs] == [(2019,), (2023,)]
    assert all("서울특별시" in s.text and "관광객 수" in s.text for s in plan.subs)
    assert "2019년" in plan.subs[0].text and "2023년" not in plan.subs[0].text
    assert "늘었" not in plan.subs[0].text


def test_compare_names_each_entity_in_its_own_sub_question() -> None:
    plan = plan_question("프로실 실리콘 실란트와 젯플로 절삭유의 1998년 점도 중 어느 쪽이 더 적은가?")
    assert [s.entity for s in plan.subs] == ["프로실 실리콘 실란트", "젯플로 절삭유"]
    assert all("1998년 점도" in s.text and "어느" not in s.text for s in plan.subs)


def test_yes_no_keeps_the_threshold_and_asks_for_the_value() -> None:
    plan = plan_question("한빛전자의 2023년 영업이익은 3,000억 원을 넘었나?")
    assert plan.threshold is not None and plan.threshold.text == "3,000" and plan.threshold.unit == "억 원"
    assert "3,000" not in plan.subs[0].text and "넘었" not in plan.subs[0].text


def test_a_request_reads_as_a_question() -> None:
    assert as_question("수원시의 일반회계 예산을 알려 주세요.") == "수원시의 일반회계 예산은?"
    assert as_question("정원을 알려줘") == "정원은?"
    assert as_question("예산은 얼마인가?") == "예산은 얼마인가?"


@pytest.mark.parametrize("question", [
    "은하병원의 2004년 평균 재원일수는 얼마인가?",
    "1 삭망월의 평균치는 약 며칠인가요?",  # no span of years to average over: a value in the text
    "표의 합계는 얼마인가?",
])
def test_a_metric_named_for_an_average_or_total_is_a_lookup(question: str) -> None:
    plan = plan_question(question)
    assert (plan.kind, plan.op) == (Kind.LOOKUP, Op.NONE)
    assert plan.subs[0].text == question


@pytest.mark.parametrize(("question", "kind"), [
    ("관광객 수가 가장 많았던 연도는 언제인가?", Kind.EXTREME),
    ("어느 해에 관광객 수가 가장 많았나?", Kind.EXTREME),
    ("관광객 수가 가장 적은 해는 몇 년도인가?", Kind.EXTREME),
    ("아시아 최대의 수송함은?", Kind.LOOKUP),
    ("관광객 수가 최대였던 해는?", Kind.EXTREME),
    ("관광객 수가 최고치를 기록한 해는 언제인가?", Kind.EXTREME),
    ("헤이그가 최고사령부의 최고 사령관으로 임명된 곳은 어디인가?", Kind.LOOKUP),  # titles, not extremes
    ("최소 단위가 정해진 곳은 어디인가?", Kind.LOOKUP),
    ("가장 높은 개연성이 있는 침몰 원인은 무엇인가?", Kind.LOOKUP),
    ("의회 총 선거로 가장 많은 의석을 획득한 정당이 내각을 구성하는 정부형태는 무엇인가?", Kind.LOOKUP),
])
def test_a_superlative_that_only_describes_what_is_asked_is_a_lookup(question: str, kind: Kind) -> None:
    plan = plan_question(question)
    assert plan.kind == kind
    if kind == Kind.LOOKUP:
        assert plan.subs[0].text == question  # asked whole, the superlative kept

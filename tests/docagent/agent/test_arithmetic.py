"""Arithmetic on cited values, against hand-computed results, units and scale words kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from docagent.agent.arithmetic import (
    UnitMismatch,
    Value,
    average,
    difference,
    extreme,
    parse_value,
    percent_change,
    ranking,
    ratio,
    total,
    trend,
    unit_of,
)


def v(text: str, unit: str = "", label: str = "") -> Value:
    value = parse_value(text, unit, label)
    assert value is not None
    return value


def test_parse_keeps_the_printed_number_and_its_unit() -> None:
    assert v("3,450억 원을") == Value("3,450", Decimal("3450"), "억 원", "")
    assert v("8,280천 명으로").unit == "천 명"
    assert v("12.5%").number == Decimal("12.5") and v("12.5%").unit == "%"
    assert v("△1,234").number == Decimal("-1234")
    assert v("1,120", unit="억 원").unit == "억 원"  # the table's unit when the cell has none
    assert parse_value("없음") is None
    assert v("1,700천 TEU를 넘었나").unit == "천 TEU"  # a Latin unit after a scale word
    assert v("3,450 in 2023").unit == ""  # a Latin word alone is no unit


def test_a_question_threshold_in_a_latin_unit_compares_with_the_table_s() -> None:
    from docagent.agent.arithmetic import difference

    out = difference(v("1,700천 TEU를"), v("1,343.3", unit="천 TEU"))
    assert out.value < 0 and out.unit == "천 TEU"  # 1,343.3 is under 1,700, in one unit


def test_unit_of_reads_notes_and_labels() -> None:
    assert unit_of("표 1. 주요 지표 (단위: 억 원)") == "억 원"
    assert unit_of("관광객 수(천 명) | 8,280 | 7,708") == "천 명"
    assert unit_of("매출액") == ""


def test_difference_is_later_minus_earlier_with_the_line() -> None:
    out = difference(v("2,330", "억 원", "2021년"), v("3,450", "억 원", "2023년"))
    assert out.text == "1,120억 원" and out.value == Decimal("1120")
    assert out.line == "2023년 3,450 − 2021년 2,330 = 1,120 (억 원)"
    down = difference(v("336", "억 원", "2013년"), v("289", "억 원", "2016년"))
    assert down.text == "47억 원" and down.value == Decimal("-47")  # the size; the sign stays in value


def test_percent_difference_is_in_points_and_decimals_are_kept() -> None:
    out = difference(v("12.5%"), v("14.25%"))
    assert out.text == "1.75%p"


def test_scales_of_one_unit_are_aligned_and_different_units_refused() -> None:
    out = difference(v("2,000억 원"), v("1조 원"))  # 1조 = 10,000억
    assert out.text == "8,000억 원"
    with pytest.raises(UnitMismatch):
        difference(v("3명"), v("5억 원"))


def test_total_average_ratio_percent_change() -> None:
    vals = [v("10", "명", "A"), v("20", "명", "B"), v("33", "명", "C")]
    assert total(vals).text == "63명"
    assert average(vals).text == "21.0명"
    assert ratio(v("2,000"), v("3,000")).text == "1.50배"
    assert percent_change(v("200"), v("230")).text == "15.0%"
    with pytest.raises(ZeroDivisionError):
        ratio(v("0"), v("3"))


def test_extreme_ranking_trend() -> None:
    vals = [v("5", label="2019년"), v("9", label="2020년"), v("7", label="2021년")]
    best, line = extreme(vals)
    assert best.label == "2020년" and "가장 큰 값: 2020년 9" in line
    assert extreme(vals, largest=False)[0].label == "2019년"
    assert [x.label for x in ranking(vals)[0]] == ["2020년", "2021년", "2019년"]
    assert trend(vals)[0] == "mixed"
    assert trend(vals[:2])[0] == "increasing"

"""Korean number parsing and normalisation used by the extractive backend."""

from __future__ import annotations

import pytest

from vlm.extractive.numbers import (
    QuantityKind,
    find_quantities,
    is_value_cell,
    normalise_quantity,
    parse_korean_number,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3,450억 원", 345_000_000_000.0),
        ("3450억원", 345_000_000_000.0),
        ("1조 2,000억", 1_200_000_000_000.0),
        ("1조2000억 원", 1_200_000_000_000.0),
        ("3억 5천만 원", 350_000_000.0),
        ("2천만", 20_000_000.0),
        ("1만 2천", 12_000.0),
        ("3.5%", 3.5),
        ("0.72%p", 0.72),
        ("-2.85", -2.85),
        ("△1,234", -1234.0),
        ("(1,234)", -1234.0),
        ("2023년", 2023.0),
        ("2023.09", 2023.0),  # a date: its year; compare dates with normalise_quantity
        ("22명", 22.0),
        ("12.5", 12.5),
        ("삼천", 3000.0),
        ("이십오만", 250_000.0),
        ("$12 million", 12_000_000.0),
    ],
)
def test_parse_korean_number(text: str, value: float) -> None:
    assert parse_korean_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "매출액", "약간", "3,450억 원 증가", "ClassA"])
def test_not_a_number(text: str) -> None:
    assert parse_korean_number(text) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3,450억 원", "3450억원"),
        ("1조 2,000억", "12,000억"),
        ("2023.09", "2023년 9월"),
        ("2023-09-30", "2023년 09월 30일"),
        ("3.5%", "3.5 %"),
    ],
)
def test_same_quantity_same_key(a: str, b: str) -> None:
    assert normalise_quantity(a) is not None
    assert normalise_quantity(a) == normalise_quantity(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("3,450억 원", "3,450억 달러"), ("2023년", "2023년 9월"), ("1980년", "1980년대"),
     ("3년", "3개월"), ("3.5%", "3.5%p")],
)
def test_different_quantities_differ(a: str, b: str) -> None:
    assert normalise_quantity(a) != normalise_quantity(b)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("3,450억 원", QuantityKind.MONEY), ("3.5%", QuantityKind.PERCENT),
        ("2023년", QuantityKind.YEAR), ("1980년대", QuantityKind.YEAR),
        ("19세기", QuantityKind.YEAR), ("1989년 2월 15일", QuantityKind.DATE),
        ("2023.09", QuantityKind.DATE), ("6월 30일", QuantityKind.DATE),
        ("3년", QuantityKind.DURATION), ("1개월", QuantityKind.DURATION),
        ("22명", QuantityKind.NUMBER), ("오전 8시 15분", QuantityKind.TIME),
    ],
)
def test_kinds(text: str, kind: QuantityKind) -> None:
    q = parse_quantity(text)
    assert q is not None and q.kind == kind


def test_find_quantities_keeps_surface_forms_and_offsets() -> None:
    text = ("1989년 12월 18일 오전 8시 15분 경 22명의 경찰을 승용차 8대에 나누어 투입했다. "
            "매출액은 3,450억 원, 영업이익률은 3.5%였다. KOSPI 지수는2,465.07pt를기록하며-3.57% 하락")
    found = find_quantities(text)
    surfaces = [q.surface for q in found]
    assert surfaces == ["1989년 12월 18일", "오전 8시 15분", "22명", "8대", "3,450억 원", "3.5%",
                        "2,465.07pt", "-3.57%"]
    for q in found:
        assert text[q.start:q.end] == q.surface


def test_a_count_written_as_korean_writes_it_is_one_quantity() -> None:
    # a last group after 만, an approximate 여, an ordinal 제, a span of years
    text = "인구는 36만 905명, 참가자는 34,000 여명과 700여명, 제64대 의장이 7년간 일한 곳이다. 경제64대."
    found = {q.surface: q for q in find_quantities(text)}
    assert found["36만 905명"].value == 360905
    assert found["34,000 여명"].value == 34000 and found["700여명"].unit == "명"
    assert found["제64대"].value == 64
    assert found["7년간"].kind == QuantityKind.DURATION
    assert "64대" in found  # 경제 is a word, not the prefix 제
    assert [q.surface for q in find_quantities("10만 2019년 기준 3 여성")] == ["10만", "2019년", "3"]


def test_unit_before_comma_is_kept() -> None:
    assert [q.surface for q in find_quantities("각각 120분, 다음 20수에 60분씩")][:1] == ["120분"]


@pytest.mark.parametrize(
    ("cell", "is_value"),
    [("3,450", True), ("12.3%", True), ("746억원", True), ("-", True), ("2023", False),
     ("2023년", False), ("1개월", False), ("매출액", False), ("", False), ("2023.09", False)],
)
def test_value_cells_and_label_cells(cell: str, is_value: bool) -> None:
    assert is_value_cell(cell) is is_value


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("밤 7시", "낮 8시", False), ("오후 3시", "15시", True), ("오전 8시 15분", "8시 15분", True),
     ("오전 8시 15분", "오전 8시 30분", False)],
)
def test_clock_times_compare_by_their_time(a: str, b: str, same: bool) -> None:
    assert (normalise_quantity(a) == normalise_quantity(b)) is same


@pytest.mark.parametrize(
    ("text", "kind"),
    [("5000년", QuantityKind.DURATION), ("2100년", QuantityKind.YEAR),
     ("기원전 5000년", QuantityKind.YEAR), ("300년", QuantityKind.YEAR)],
)
def test_years_beyond_the_calendar_are_spans_of_years(text: str, kind: QuantityKind) -> None:
    q = parse_quantity(text)
    assert q is not None and q.kind == kind

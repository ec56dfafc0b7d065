"""Chart points from a chart's words: x-axis labels paired with the values over them."""

from __future__ import annotations

from indexing.charts import chart_points, chart_title
from indexing.geometry import Box, Space
from indexing.model import Word


def word(text: str, x: float, y: float, w: float = 24.0) -> Word:
    return Word(text, Box(x, y, x + w, y + 8, Space.PAGE))


def bar_chart() -> list[Word]:
    words = [word("연도별", 150, 100), word("관광객", 180, 100), word("수", 210, 100, 8)]
    words += [word(t, 100, y) for t, y in (("9,000", 140), ("6,000", 180), ("3,000", 220))]  # ticks
    years = ["2019년", "2020년", "2021년"]
    values = ["8,937", "6,280", "8,063"]
    for i, (year, value) in enumerate(zip(years, values, strict=True)):
        x = 160 + 60 * i
        words.append(word(year, x, 260))
        words.append(word(value, x + 1, 150 + 30 * (i % 2)))
    return words


def test_values_pair_with_the_label_under_them_and_ticks_are_left_out():
    points = chart_points(bar_chart())
    assert [(p.label, p.value) for p in points] == [("2019년", "8,937"), ("2020년", "6,280"),
                                                   ("2021년", "8,063")]
    assert points[1].box == Box(220, 180, 245, 268, Space.PAGE)
    assert chart_title(bar_chart()) == "연도별 관광객 수"


def test_a_chart_without_value_labels_or_axis_has_no_points():
    words = [w for w in bar_chart() if w.text.endswith("년") or w.text in ("연도별",)]
    assert chart_points(words) == []
    assert chart_points([word("그림", 0, 0), word("없음", 40, 0)]) == []

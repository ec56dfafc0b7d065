"""The long-table generator: a table that flows over pages, with its truth per row and cell."""

from __future__ import annotations

import pymupdf
import pytest

from vlm.synth.long_table import long_table


@pytest.mark.parametrize("header", ["first", "repeat"])
def test_the_table_flows_over_pages_as_its_truth_says(header):
    t = long_table(50, header=header, seed=4)
    doc = pymupdf.open(stream=t.pdf, filetype="pdf")
    assert doc.page_count == t.page_count == 2 == len(t.parts)
    assert [p.header for p in t.parts] == [True, header == "repeat"]
    assert sum(len(p.rows) for p in t.parts) == len(t.rows) == 50
    texts = [page.get_text() for page in doc]
    assert t.title in texts[0] and "다음 표는" in texts[0]
    assert ("2019년" in texts[1]) == (header == "repeat")  # the years are printed only in the header
    for label, page in t.row_page.items():
        assert label in texts[page - 1] and label not in texts[2 - page]
    words = {(page.number + 1, w[4], round(w[0])): w for page in doc for w in page.get_text("words")}
    for (label, year), (page, cell) in t.cells.items():
        value = t.values[(label, year)]
        assert any(k[0] == page and k[1] == value and cell.x0 <= k[2] <= cell.x1 for k in words), (label, year)
        assert t.row_page[label] == page


def test_values_are_numbers_with_commas_and_labels_are_numbered():
    t = long_table(60, seed=1, row_height=24.0)
    assert t.page_count == 3 and [p.page for p in t.parts] == [1, 2, 3]
    assert t.header == ["구분", "2019년", "2020년", "2021년", "2022년", "2023년"]
    assert [r[0] for r in t.rows[:2]] == ["지역 01", "지역 02"]
    assert all(v.replace(",", "").isdigit() for v in t.values.values())
    assert any("," in v for v in t.values.values())
    assert t.row_page[t.label_on(3)] == 3 and t.row_page[t.label_on(1)] == 1
    assert long_table(60, seed=1, row_height=24.0).pdf == t.pdf  # a function of its seed

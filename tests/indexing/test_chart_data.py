"""read_chart: charts drawn by vlm.synth.charts read back into tables, from the PDF page's
text layer and drawing, from a scan of it, and through ingest."""

from __future__ import annotations

import random
from functools import cache

import pymupdf
import pytest

from indexing import textlayer
from indexing.chart_data import read_chart, reread_words
from indexing.chart_words import parse_number
from indexing.geometry import Box
from indexing.model import Region, RegionKind, Table, TableCell, Word
from indexing.ocr import ocr_image
from indexing.pagepool import process_document
from indexing.pipeline import PipelineOptions
from indexing.render import render_page
from indexing.sources import open_source
from vlm.synth import pdf as synth
from vlm.synth import report, templates
from vlm.synth.charts import DrawnChart, DrawnValue, nice_top, sample_chart

# name: (kind, series)
KINDS = {"bar": ("bar", 1), "grouped": ("bar", 2), "stacked": ("stacked", 3),
         "line": ("line", 1), "lines": ("line", 3), "pie": ("pie", 1)}
SCAN_DPI = 300


@cache
def drawn(name: str, labels: bool = True, seed: int = 0) -> tuple[bytes, DrawnChart]:
    kind, n = KINDS[name]
    return sample_chart(kind, n_series=n, labels=labels, seed=seed)


def vector_table(pdf: bytes, chart: DrawnChart) -> Table | None:
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    return read_chart(textlayer.page_words(page), chart.box, page.get_drawings())


@cache
def scan_table(name: str, labels: bool = True, seed: int = 0) -> Table | None:
    """The scanned copy read as ingest reads it: page OCR, the crop read again, the ink."""
    pdf, chart = drawn(name, labels, seed)
    page = pymupdf.open(stream=synth.rasterise(pdf, dpi=200), filetype="pdf")[0]
    image, dpi = render_page(page, SCAN_DPI, gray=True)
    s = dpi / 72
    crop = image.crop(tuple(round(v * s) for v in chart.box.as_list(None)))
    words = reread_words(crop, chart.box, dpi, ocr_image(image, dpi).words)
    return read_chart(words, chart.box, image=crop)


def pairs(table: Table, chart: DrawnChart) -> list[tuple[DrawnValue, TableCell]]:
    """Each drawn value with its cell, after checking the header and the series names."""
    grid = {(c.row, c.col): c for c in table.cells}
    assert table.header_rows == 1 and grid[(0, 0)].text == ""
    assert [grid[(0, j + 1)].text for j in range(len(chart.categories))] == chart.categories
    title = " ".join(w.text for w in chart.title.words)
    assert [grid[(i + 1, 0)].text for i in range(table.n_rows - 1)] == \
        [name or title for name in chart.series]
    return [(v, grid[(chart.series.index(v.series) + 1, chart.categories.index(v.category) + 1)])
            for v in chart.values]


def close(a: Box | None, b: Box | None, tol: float) -> bool:
    return a is not None and b is not None and all(
        abs(x - y) <= tol for x, y in zip(a.as_list(None), b.as_list(None), strict=True))


def measured_ok(cell: TableCell, v: DrawnValue, chart: DrawnChart) -> bool:
    """Flagged as estimated and within 2% of the axis range (of 100% for a pie)."""
    number = parse_number(cell.text)
    return cell.estimated and number is not None and abs(number[0] - v.value) <= 0.02 * chart.top


# -- born-digital pages -----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(KINDS))
def test_printed_values_read_back_verbatim_with_their_label_boxes(name):
    pdf, chart = drawn(name)
    table = vector_table(pdf, chart)
    assert table is not None
    for v, cell in pairs(table, chart):
        assert (cell.text, cell.estimated) == (v.text, False)
        assert close(cell.box, v.label, 0.5), (cell, v)


@pytest.mark.parametrize("name", list(KINDS))
def test_unlabelled_values_are_measured_from_the_drawing_and_flagged(name):
    pdf, chart = drawn(name, labels=False)
    table = vector_table(pdf, chart)
    assert table is not None
    for v, cell in pairs(table, chart):
        assert measured_ok(cell, v, chart), (cell, v)
        assert close(cell.box, v.mark, 1.0), (cell, v)


def test_a_value_label_that_disagrees_with_its_bar_is_not_taken():
    pdf, chart = drawn("bar", seed=3)
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    words = textlayer.page_words(page)
    first = chart.values[0]
    wrong = [Word("9", w.box) if close(w.box, first.label, 0.5) else w for w in words]
    table = read_chart(wrong, chart.box, page.get_drawings())
    cell = pairs(table, chart)[0][1]
    assert measured_ok(cell, first, chart) and close(cell.box, first.mark, 1.0)


def test_text_and_rules_are_not_a_chart(korean_pdf, table_doc):
    page = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")[0]
    whole = Box(0, 0, page.rect.width, page.rect.height)
    assert read_chart(textlayer.page_words(page), whole, page.get_drawings()) is None
    assert read_chart([], Box(0, 0, 100, 100), []) is None
    grid = pymupdf.open(stream=table_doc.pdf, filetype="pdf")[0]
    assert read_chart(textlayer.page_words(grid), table_doc.box, grid.get_drawings()) is None


@pytest.mark.parametrize("name", ["bar", "line", "pie"])
def test_without_marks_a_one_series_chart_is_read_from_its_printed_numbers(name):
    pdf, chart = drawn(name)
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    table = read_chart(textlayer.page_words(page), chart.box)
    assert table is not None
    for v, cell in pairs(table, chart):
        assert (cell.text, cell.estimated) == (v.text, False) and close(cell.box, v.label, 0.5)


@pytest.mark.parametrize("name", ["grouped", "lines"])
def test_without_marks_several_series_are_not_guessed(name):
    pdf, chart = drawn(name)
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    assert read_chart(textlayer.page_words(page), chart.box) is None


# -- scans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(KINDS))
def test_scanned_chart_reads_its_printed_labels(name, ocr_ready):
    """A cell is the printed number (OCR may drop a thousands comma) or, where OCR lost or
    misread it, the measured value flagged; most cells are printed."""
    _, chart = drawn(name)
    table = scan_table(name)
    assert table is not None
    printed = 0
    for v, cell in pairs_loose(table, chart):
        if cell.estimated:
            assert measured_ok(cell, v, chart), (cell, v)
        else:
            assert parse_number(cell.text) == parse_number(v.text), (cell, v)
            printed += 1
    assert printed >= 0.6 * len(chart.values)


@pytest.mark.parametrize("name", ["bar", "grouped", "stacked", "line", "lines"])
def test_scanned_chart_without_labels_is_measured_from_its_ink(name, ocr_ready):
    _, chart = drawn(name, labels=False)
    table = scan_table(name, labels=False)
    assert table is not None
    for v, cell in pairs_loose(table, chart):
        assert measured_ok(cell, v, chart), (cell, v)


def pairs_loose(table: Table, chart: DrawnChart) -> list[tuple[DrawnValue, TableCell]]:
    """``pairs`` for OCR: categories and series matched without spaces; a series name that
    OCR lost is matched by position."""
    grid = {(c.row, c.col): c for c in table.cells}
    heads = [grid[(0, j + 1)].text.replace(" ", "") for j in range(table.n_cols - 1)]
    assert heads == [c.replace(" ", "") for c in chart.categories]
    assert table.n_rows - 1 == len(chart.series)
    return [(v, grid[(chart.series.index(v.series) + 1, chart.categories.index(v.category) + 1)])
            for v in chart.values]


# -- the table's cells ----------------------------------------------------------------------

def test_estimated_is_stored_only_when_set_and_read_back():
    measured = TableCell(1, 1, "1,204", Box(1, 2, 3, 4), estimated=True)
    heads = [TableCell(0, 0, ""), TableCell(0, 1, "2019년"), TableCell(1, 0, "매출")]
    table = Table([*heads, measured], 2, 2)
    stored = table.to_dict()
    assert [("estimated" in c) for c in stored["cells"]] == [False, False, False, True]
    back = Table.from_dict(stored)
    assert [c.estimated for c in back.cells] == [False, False, False, True] and back == table
    old = {"n_rows": 1, "n_cols": 1, "cells": [{"row": 0, "col": 0, "text": "a", "bbox": None}]}
    assert Table.from_dict(old).cells[0].estimated is False


def test_a_chart_region_keeps_its_words_as_its_text():
    table = Table([TableCell(0, 0, ""), TableCell(0, 1, "2019년")], 1, 2)
    chart = Region(RegionKind.PICTURE, Box(0, 0, 10, 10), text="관광객 수 2019년", table=table)
    assert chart.markdown == "관광객 수 2019년"
    grid = Region(RegionKind.TABLE, chart.box, text="x", table=table)
    assert grid.markdown == table.to_markdown()


# -- ingest -----------------------------------------------------------------------------------

def report_page(key: str, seed: int = 1) -> tuple[bytes, report.Values, str]:
    """The page of a generated report that holds its chart (one-page PDF), its values and
    the chart's title."""
    t = templates.TEMPLATES[key]
    values = report.sample_values(t, 2023, random.Random(seed))
    rendered = report.render(t, "테스트시", values)
    number = next(iter(rendered.points.values())).page
    doc, one = pymupdf.open(stream=rendered.pdf, filetype="pdf"), pymupdf.open()
    one.insert_pdf(doc, from_page=number - 1, to_page=number - 1)
    return one.tobytes(), values, t.chart.title


def chart_regions(data: bytes, name: str) -> list[Region]:
    (page,) = process_document(open_source(data, name), PipelineOptions())
    return [r for r in page.regions if r.table is not None and r.kind != RegionKind.TABLE]


@pytest.mark.parametrize("key", ["city_yearbook", "company_annual"])
def test_ingest_puts_the_table_on_the_chart_crop(key):
    data, values, title = report_page(key)
    (region,) = chart_regions(data, "report.pdf")
    assert region.kind == RegionKind.PICTURE and region.text.startswith(title)
    assert region.table.grid() == [["", *(f"{y}년" for y in values.years)],
                                   [title, *(values.chart[y] for y in values.years)]]
    assert region.markdown == region.text  # search keeps indexing the chart's words


def test_ingest_reads_the_drawing_once_per_chart_page(monkeypatch, korean_pdf):
    calls = []
    original = pymupdf.Page.get_drawings
    monkeypatch.setattr(pymupdf.Page, "get_drawings",
                        lambda self, *a, **k: calls.append(self.number) or original(self, *a, **k))
    list(process_document(open_source(korean_pdf.pdf, "text.pdf"), PipelineOptions()))
    assert calls == []
    data, _, _ = report_page("city_yearbook")
    chart_regions(data, "report.pdf")
    assert calls == [0]


def test_ingest_of_a_scanned_report_reads_its_bar_chart(ocr_ready):
    data, values, _ = report_page("city_yearbook")
    (region,) = chart_regions(synth.rasterise(data, dpi=200), "scan.pdf")
    assert region.kind == RegionKind.PICTURE
    grid = {(c.row, c.col): c for c in region.table.cells}
    assert [grid[(0, j + 1)].text for j in range(5)] == [f"{y}년" for y in values.years]
    top = nice_top(max(parse_number(v)[0] for v in values.chart.values()) * 1.12)
    for j, year in enumerate(values.years):
        cell, printed = grid[(1, j + 1)], values.chart[year]
        if cell.estimated:
            assert abs(parse_number(cell.text)[0] - parse_number(printed)[0]) <= 0.02 * top
        else:
            assert cell.text == printed


def test_a_real_fund_report_line_chart_is_read_at_its_date_labels(real_pdf):
    """KB's monthly fund report draws the fund and its benchmark as daily lines under
    two-yearly "2009.08" labels, with line swatches in the legend; each line is read where
    it crosses a label (values checked against the chart by eye: about 140 and 100 in
    2021.08, about 115 and 55 in 2023.08)."""
    data = real_pdf("fund-report-kb-202309.pdf")
    (region,) = chart_regions(data, "fund.pdf")
    grid = region.table.grid()
    assert grid[0] == ["", *(f"{y}.08" for y in range(2009, 2024, 2))]
    assert [row[0] for row in grid[1:]] == ["펀드", "BM"]
    assert all(c.estimated for c in region.table.cells if c.row and c.col)
    fund, bm = ([parse_number(t)[0] for t in row[1:]] for row in grid[1:])
    assert -10 <= fund[0] <= 15 and -10 <= bm[0] <= 15
    assert 125 <= fund[6] <= 150 and 85 <= bm[6] <= 110
    assert 105 <= fund[7] <= 125 and 45 <= bm[7] <= 65


# -- a scan's small losses --------------------------------------------------------------------

def test_a_data_label_that_lost_its_decimal_point_is_mended_by_its_mark():
    from indexing.chart_data import _assign
    from indexing.chart_words import Axis, Label

    axis = Axis(ticks=[], slope=-0.25, offset=80.0, low=0.0, high=40.0, decimals=1)
    point = Box(180, 300, 185, 305)
    near = Box(176, 290, 189, 298)  # over the point
    cells = _assign({(0, 0): (point, 3.3)}, [Label("34", near, 34.0, 0)], axis, lambda m, lb: 1.0)
    assert cells[(0, 0)].text == "3.4" and not cells[(0, 0)].estimated
    # a printed integer on an axis of integers is not mended, and a far-off one is not taken
    whole = Axis(ticks=[], slope=-0.25, offset=80.0, low=0.0, high=40.0, decimals=0)
    assert _assign({(0, 0): (point, 3.3)}, [Label("34", near, 34.0, 0)], whole,
                   lambda m, lb: 1.0)[(0, 0)].estimated
    assert _assign({(0, 0): (point, 12.0)}, [Label("34", near, 34.0, 0)], axis,
                   lambda m, lb: 1.0)[(0, 0)].estimated


def test_light_gridlines_of_a_scan_are_rules_and_a_bar_is_not():
    import numpy as np
    from PIL import Image

    from indexing.chart_raster import raster_marks

    pixels = np.full((400, 600), 255, np.uint8)
    for y in (40, 140, 240):
        pixels[y:y + 2, 50:590] = 225  # light gray gridlines, 0.5 pt at 288 dpi
    pixels[340:345, 50:590] = 60  # the x axis
    pixels[260:330, 60:580] = 120  # a wide horizontal bar: thick, no rule
    marks = raster_marks(Image.fromarray(pixels), Box(0, 0, 150, 100))
    assert [round(y, 1) for y in marks.rules] == [10.2, 35.2, 60.2, 85.6]


def test_what_ocr_made_of_a_label_under_a_line_is_ink_not_a_series_name():
    from indexing.chart_data import _line_read_as_text

    at = Box(238, 241, 256, 254)
    assert _line_read_as_text(Word("+254“Ne", at, 54.0))
    assert not _line_read_as_text(Word("5.1", at, 60.0))  # a number: its mark decides
    assert not _line_read_as_text(Word("환적", at, 60.0))  # Hangul: a title or a legend
    assert not _line_read_as_text(Word("Revenue", at, 91.0))  # sure
    assert not _line_read_as_text(Word("Revenue", at, None))  # a text layer's

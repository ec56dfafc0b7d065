"""Ruled tables found in a page's vector drawing, and drawings that keep a page on the model."""

from __future__ import annotations

import random

import pymupdf
import pytest

from indexing import layout, tables, textlayer, vector_grids
from indexing.geometry import Box, Space
from indexing.model import RegionKind, Word
from indexing.pipeline import PipelineOptions, process_pages
from vlm.synth import report, templates

XS, YS = [72.0, 172.0, 272.0, 372.0], [100.0, 120.0, 140.0, 160.0]


def blank() -> pymupdf.Page:
    return pymupdf.open().new_page(width=595, height=842)


def ruled(page: pymupdf.Page, xs: list[float] = XS, ys: list[float] = YS) -> pymupdf.Page:
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y), width=0.6)
    for x in xs:
        page.draw_line((x, ys[0]), (x, ys[-1]), width=0.6)
    return page


def grids(page: pymupdf.Page) -> list[tables.CellGrid] | None:
    return vector_grids.page_grids(page)


def corners(grid: tables.CellGrid) -> list[tuple[int, int, list[float]]]:
    return [(r, c, [round(v) for v in box.as_list()]) for r, c, box in grid.cells]


def test_a_grid_of_stroked_lines_is_a_table_of_its_cells():
    (grid,) = grids(ruled(blank()))
    assert (grid.n_rows, grid.n_cols) == (3, 3)
    assert grid.box.as_list() == pytest.approx([72, 100, 372, 160])
    assert corners(grid)[:2] == [(0, 0, [72, 100, 172, 120]), (0, 1, [172, 100, 272, 120])]
    assert len(grid.cells) == 9


def test_a_grid_of_thin_rectangles_in_pieces_is_the_same_table():
    page = blank()  # Word draws one thin filled rectangle per cell side
    for y in YS:
        for x0, x1 in zip(XS, XS[1:], strict=False):
            page.draw_rect(pymupdf.Rect(x0, y - 0.25, x1, y + 0.25), color=None, fill=(0, 0, 0))
    for x in XS:
        for y0, y1 in zip(YS, YS[1:], strict=False):
            page.draw_rect(pymupdf.Rect(x - 0.7, y0, x + 0.7, y1), color=None, fill=(0, 0, 0))
    (grid,) = grids(page)
    assert corners(grid) == corners(grids(ruled(blank()))[0])


def test_a_cell_without_a_rule_between_spans_the_columns():
    page = blank()
    for y in YS:
        page.draw_line((XS[0], y), (XS[-1], y), width=0.6)
    for x in XS:  # the header's first two columns are one cell
        page.draw_line((x, YS[1] if x == XS[1] else YS[0]), (x, YS[-1]), width=0.6)
    (grid,) = grids(page)
    assert corners(grid)[:2] == [(0, 0, [72, 100, 272, 120]), (0, 2, [272, 100, 372, 120])]

    def word(text: str, x: float, y: float) -> Word:
        return Word(text, Box(x, y, x + 30, y + 10, Space.PAGE))

    words = [word("구분", 160, 105), word("2023년", 300, 105), word("매출액", 80, 125), word("3,450", 300, 125)]
    table = tables.fill_cells(grid.cells, grid.n_rows, grid.n_cols, words)
    assert table.grid()[:2] == [["구분", "", "2023년"], ["매출액", "", "3,450"]]


def test_a_table_open_at_a_page_break_closes_where_its_rules_end():
    page = blank()
    for y in YS[:2]:  # a header row, then column rules down to the foot of the page
        page.draw_line((XS[0], y), (XS[-1], y), width=0.6)
    for x in XS:
        page.draw_line((x, YS[0]), (x, 700), width=0.6)
    (grid,) = grids(page)
    assert (grid.n_rows, grid.n_cols) == (2, 3) and grid.box.y1 == pytest.approx(700)


def test_shaded_cells_belong_to_the_table_and_bars_between_rules_do_not():
    page = ruled(blank())
    page.draw_rect(pymupdf.Rect(XS[0], YS[0], XS[-1], YS[1]), color=None, fill=(0.88, 0.9, 0.93))
    assert len(grids(page)) == 1  # a shaded header row
    bar = ruled(blank())  # gridlines with a bar between them: a chart
    bar.draw_rect(pymupdf.Rect(90, 125, 150, 160), color=None, fill=(0.22, 0.42, 0.69))
    assert grids(bar) is None
    markers = ruled(blank())  # point markers between gridlines
    for x in (100, 200, 300):
        markers.draw_circle((x, 130), 3, color=(0, 0, 0), fill=(0, 0, 0))
    assert grids(markers) is None


def test_marks_light_shading_and_white_boxes_keep_a_page_plain():
    page = blank()
    for i in range(5):  # boxes around title characters, drawn as curves
        page.draw_circle((100 + 16 * i, 90), 6.5, color=(0, 0, 0), fill=(0, 0, 0))
    page.draw_rect(pymupdf.Rect(47, 145, 550, 165), color=None, fill=(0.85, 0.85, 0.85))  # behind a heading
    page.draw_rect(pymupdf.Rect(120, 300, 400, 500), color=(1, 1, 1), fill=(1, 1, 1))  # white on white
    assert grids(page) == []
    dark = blank()
    dark.draw_rect(pymupdf.Rect(47, 145, 550, 165), color=None, fill=(0.2, 0.3, 0.5))
    assert grids(dark) is None  # a bar, not shading to read text on
    panel = blank()
    panel.draw_rect(pymupdf.Rect(60, 90, 540, 400), color=None, fill=(0.9, 0.9, 0.9))
    assert grids(panel) is None  # a panel of text: the model decides, as over an image


def test_curves_and_diagonals_are_a_chart_or_a_diagram():
    pie = blank()
    pie.draw_circle((300, 300), 80, color=(0, 0, 0), fill=(0.22, 0.42, 0.69))
    assert grids(pie) is None
    line = blank()
    line.draw_polyline([(100, 400), (200, 350), (300, 380), (400, 300)], color=(0, 0, 0), width=1)
    assert grids(line) is None


def test_long_rules_outside_a_table():
    def with_rules(*rules: tuple[float, float, float, float]) -> list | None:
        page = ruled(blank())
        for x0, y0, x1, y1 in rules:
            page.draw_line((x0, y0), (x1, y1), width=0.5)
        return grids(page)

    assert len(with_rules((47, 300, 550, 300))) == 1  # a separator
    assert len(with_rules((73, 366.4, 235, 366.4), (73, 367.5, 235, 367.5))) == 1  # a double underline
    assert with_rules((47, 300, 550, 300), (47, 340, 550, 340)) is None  # a table ruled only across
    assert with_rules((300, 200, 300, 700)) is None  # a column rule
    assert len(with_rules((90, 150, 160, 150))) == 1  # an underline inside the table


def test_report_pages_with_charts_go_to_the_model_and_table_pages_do_not():
    t = templates.TEMPLATES["city_yearbook"]  # a table on page 2, a chart on page 3
    rendered = report.render(t, "테스트시", report.sample_values(t, 2023, random.Random(1)))
    charts = {b.page for b in rendered.points.values()}
    table_pages = {b.page for b in rendered.cells.values()} - charts
    assert charts and table_pages
    doc = pymupdf.open(stream=rendered.pdf, filetype="pdf")
    for number in charts:
        assert layout.plain_page(doc[number - 1]) is None
    for number in table_pages:
        plain = layout.plain_page(doc[number - 1])
        assert plain is not None and len(plain.grids) == 1


def test_ruled_tables_of_a_real_page_have_the_cells_find_tables_gives(real_pdf, monkeypatch):
    data = real_pdf("msds-cga35.pdf")
    doc = pymupdf.open(stream=data, filetype="pdf")
    model = {rec.number: rec for rec in process_pages(doc, [4], PipelineOptions(plain_pages_by_lines=False,
                                                                                page_images=False))}

    def unused(page: pymupdf.Page) -> list:
        raise AssertionError("the layout model was called")

    monkeypatch.setattr(layout, "detect_regions", unused)
    ours = list(process_pages(doc, [4, 10], PipelineOptions(page_images=False)))
    assert not any(rec.warnings for rec in ours)
    found = {rec.number: [r for r in rec.regions if r.kind == RegionKind.TABLE] for rec in ours}
    assert [len(found[4]), len(found[10])] == [2, 4]  # the running head's table and the page's own
    for rec in ours:
        page, words = doc[rec.number - 1], textlayer.page_words(doc[rec.number - 1])
        for region in found[rec.number]:
            theirs, _ = tables.table_for_region(region.box, tables.find_grids_near(page, region.box), words)
            assert region.table.grid() == theirs.grid()
            assert region.text == region.table.to_markdown()
    exposure = max(found[4], key=lambda r: r.box.area)  # the exposure limits, 6 x 6 with a merged header
    (same,) = [r for r in model[4].regions if r.kind == RegionKind.TABLE and r.box.iou(exposure.box) > 0.9]
    assert same.table.grid() == exposure.table.grid()
    assert exposure.table.grid()[2][:3] == ["철", "7439-89-6", "231-096-4"]

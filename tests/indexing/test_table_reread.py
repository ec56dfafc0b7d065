"""Scanned table cells read again where the page's OCR read them badly, and lost decimal points."""

from __future__ import annotations

import pymupdf

from indexing import ocr, tables
from indexing.geometry import Box, Space
from indexing.model import Table, TableCell, Word
from indexing.render import render_page
from indexing.table_reread import crossing_rows, doubtful_cells, repair_decimals, reread_cells


def grid_table(rows: list[list[str]]) -> Table:
    cells = [TableCell(r, c, t) for r, row in enumerate(rows) for c, t in enumerate(row)]
    return Table(cells, len(rows), len(rows[0]))


def test_a_lost_point_is_put_back_from_the_column():
    table = grid_table([["연도", "발전량(GWh)", "이용률(%)"],
                        ["1998년", "7,801.4", "38.2"],
                        ["1999년", "7,205.3", "733"],
                        ["2000년", "6,930.3", "79.3"],
                        ["2001년", "6,811.0", "60.3"]])
    assert repair_decimals(table) == 1
    assert table.grid()[2][2] == "73.3"
    assert table.grid()[0][0] == "연도"


def test_a_lost_point_is_put_back_from_the_row_when_the_column_is_mixed():
    table = grid_table([["구분", "2021년", "2022년", "2023년"],
                        ["이용률(%)", "41.2", "457", "48.9"],
                        ["고장(건)", "12", "9", "14"]])
    assert repair_decimals(table) == 1
    assert table.grid()[1][2] == "45.7"
    assert table.grid()[2] == ["고장(건)", "12", "9", "14"]  # whole numbers among whole numbers


def test_a_whole_number_that_fits_its_column_is_left_alone():
    table = grid_table([["연도", "이용률(%)"], ["1998년", "38.2"], ["1999년", "73"], ["2000년", "79.3"]])
    assert repair_decimals(table) == 0  # 73 lies within the column's range as read
    assert table.grid()[2][1] == "73"


def _grid() -> tables.RuledGrid:
    return tables.RuledGrid(rows=[100, 120, 140, 160, 180, 200], cols=[50, 150, 250, 350])


def _word(text: str, x0: float, x1: float, y: float) -> Word:
    return Word(text, Box(x0, y + 4, x1, y + 14, Space.PAGE))


def test_a_word_across_a_column_rule_marks_its_row():
    words = [_word("구분", 60, 90, 100), _word("2022년2023년", 170, 330, 100),
             _word("매출액", 60, 100, 120), _word("3,067", 200, 240, 120), _word("3,450", 300, 340, 120)]
    assert crossing_rows(_grid(), words) == [0]
    assert crossing_rows(_grid(), [_word("3,067", 200, 252, 120)]) == []  # 2 pt over: a wide box


def test_a_cell_without_a_figure_in_a_column_of_figures_is_doubtful():
    words = [_word(t, 200, 240, 100 + 20 * r) for r, t in enumerate(["2022년", "3,067", "455", "0.", "12.5"])]
    words += [_word(t, 60, 100, 100 + 20 * r) for r, t in enumerate(["구분", "매출", "이익", "부채", "비율"])]
    assert doubtful_cells(_grid(), words) == [(3, 1)]


def test_misread_cells_are_read_again_apart(scanned_table, table_doc, ocr_ready):
    page = pymupdf.open(stream=scanned_table, filetype="pdf")[0]
    image, dpi = render_page(page, 300, gray=True)
    grids = tables.find_ruled_grids(image, dpi)
    clean = tables.erase_rulings(image, dpi, grids)
    lines = ocr.ocr_image(clean, dpi).lines
    grid, truth = grids[0], table_doc.grid
    # spoil the reading as Tesseract did on a shaded heading row and a small figure: one word
    # across the first two headings, and a figure read as "0."
    head = Box(grid.cols[1] + 2, grid.rows[0] + 4, grid.cols[3] - 2, grid.rows[1] - 4, Space.PAGE)
    cell = Box(grid.cols[2] + 2, grid.rows[2] + 4, grid.cols[3] - 2, grid.rows[3] - 4, Space.PAGE)
    spoiled = [ocr.OcrLine([w for w in line.words if not (_inside(w.box, head) or _inside(w.box, cell))],
                           line.box, line.block) for line in lines]
    spoiled += [ocr.OcrLine([Word("고장정지정비", head, 30.0)], head), ocr.OcrLine([Word("0.", cell, 30.0)], cell)]
    before = tables.table_from_grid(grid, [w for ln in spoiled for w in ln.words])
    assert before.grid()[0] != truth[0]
    fixed = reread_cells(clean, dpi, grids, spoiled, "kor+eng")
    table = tables.table_from_grid(grid, [w for ln in fixed for w in ln.words])
    got = [[c.replace(" ", "") for c in row] for row in table.grid()]
    assert got == [[c.replace(" ", "") for c in row] for row in truth]


def _inside(box: Box, outer: Box) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return outer.x0 <= cx <= outer.x1 and outer.y0 <= cy <= outer.y1

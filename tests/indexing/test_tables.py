"""Table grids: ruled tables on text-layer pages, word-position grids, rulings found in scans."""

from __future__ import annotations

import pymupdf
import pytest

from indexing import layout, ocr, tables, textlayer
from indexing.geometry import Box, Space
from indexing.model import RegionKind, Word
from indexing.render import render_page


def squash(grid: list[list[str]]) -> list[list[str]]:
    """Cells without spaces: OCR may split a Korean word ("영 업 이익") that the truth holds whole."""
    return [[cell.replace(" ", "") for cell in row] for row in grid]


def test_text_layer_table_is_the_known_grid(table_doc):
    page = pymupdf.open(stream=table_doc.pdf, filetype="pdf")[0]
    region = next(r for r in layout.detect_regions(page) if r.kind == RegionKind.TABLE)
    words = textlayer.page_words(page)
    table, box = tables.table_for_region(region.box, tables.find_grids_near(page, region.box), words)
    assert table.grid() == table_doc.grid
    assert (table.n_rows, table.n_cols) == (5, 4)
    assert box.iou(table_doc.box) > 0.97  # the rulings, not just the text the layout box hugs
    assert "| 매출액 | 2,810 | 3,067 | 3,450 |" in table.to_markdown()
    cell = next(c for c in table.cells if c.text == "3,450")
    assert cell.box.x0 == pytest.approx(table_doc.box.x0 + 300, abs=1)


def test_grid_from_word_positions_without_rulings():
    def word(text, x, y):
        return Word(text, Box(x, y, x + 8 * len(text), y + 11, Space.PAGE))

    rows = [["구분", "2022년", "2023년"], ["매출액", "3,067", "3,450"], ["영업이익", "455", "521"]]
    words = [word(t, 72 + 120 * c, 100 + 20 * r) for r, row in enumerate(rows) for c, t in enumerate(row)]
    table = tables.grid_from_words(words)
    assert table is not None and table.grid() == rows


def test_prose_is_not_a_grid():
    words = [Word("문장", Box(72 + 30 * i, 100, 96 + 30 * i, 111, Space.PAGE)) for i in range(12)]
    assert tables.grid_from_words(words) is None  # one row only


def test_rulings_are_found_in_a_scan(scanned_table, table_doc):
    page = pymupdf.open(stream=scanned_table, filetype="pdf")[0]
    image, dpi = render_page(page, 300, gray=True)
    grids = tables.find_ruled_grids(image, dpi)
    assert len(grids) == 1
    grid = grids[0]
    assert (len(grid.rows), len(grid.cols)) == (6, 5)
    assert grid.box.iou(table_doc.box) > 0.97


def test_scanned_table_cells_come_from_ocr(scanned_table, table_doc, ocr_ready):
    page = pymupdf.open(stream=scanned_table, filetype="pdf")[0]
    image, dpi = render_page(page, 300, gray=True)
    grids = tables.find_ruled_grids(image, dpi)
    clean = tables.erase_rulings(image, dpi, grids)
    result = ocr.ocr_image(clean, dpi)
    table = tables.table_from_grid(grids[0], result.words)
    assert squash(table.grid()) == squash(table_doc.grid)


def test_erasing_rulings_leaves_the_text(table_doc):
    page = pymupdf.open(stream=table_doc.pdf, filetype="pdf")[0]
    image, dpi = render_page(page, 150, gray=True)
    grids = tables.find_ruled_grids(image, dpi)
    clean = tables.erase_rulings(image, dpi, grids)
    assert tables.find_ruled_grids(clean, dpi) == []
    s = dpi / 72
    inside = (round((table_doc.box.x0 + 6) * s), round((table_doc.box.y0 + 4) * s),
              round((table_doc.box.x0 + 95) * s), round((table_doc.box.y0 + 24) * s))
    assert min(clean.crop(inside).getdata()) < 100  # the header cell's text is still there

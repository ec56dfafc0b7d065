"""Scanned tables: cells read again, apart from the page, where the page's OCR read them badly.

The page is read with its rulings painted white (``tables.erase_rulings``). Tesseract then
sometimes takes two cells of a row for one word: a shaded heading row came back as
``고장정지정비일수`` across two columns with ``(건)`` lost, and every question about either
column went to the wrong one. A word that crosses a column rule by more than a few points
on both sides is such a misreading; the cells of its row are cropped, stacked in a mosaic
and read in one more Tesseract call, and their words replace the row's. A cell of a column
of figures that holds no figure (empty, or ``0.`` for ``17.7``) is read again the same way.

Figures that lost their decimal point in a column (``733`` among ``60.3``, ``28.8``, ``79.3``)
are put right from the column's (or the row's) other figures: see :func:`repair_decimals`.
"""

from __future__ import annotations

import re
from statistics import median

from PIL import Image

from indexing.geometry import Box, Space, centre_in
from indexing.model import Table, Word
from indexing.mosaic import locate, paste, plan
from indexing.ocr import OcrLine, build_lines, ocr_image
from indexing.tables import RuledGrid, fill_cells
from indexing.textlayer import join_words

CROSS_PT = 3.0  # how far past a rule a word must reach, on both sides, to be a misreading
INSET_PT = 1.5  # kept off a cell's edges, where what is left of an erased rule lies
THRESHOLD = 160  # gray below this is ink in a cell read apart


def crossing_rows(grid: RuledGrid, words: list[Word], reach: float = CROSS_PT) -> list[int]:
    """Rows of ``grid`` holding a word that runs over one of its inner column rules."""
    rows: set[int] = set()
    for w in words:
        cy = (w.box.y0 + w.box.y1) / 2
        row = next((i for i in range(len(grid.rows) - 1) if grid.rows[i] <= cy < grid.rows[i + 1]), None)
        if row is None or not grid.cols[0] <= (w.box.x0 + w.box.x1) / 2 <= grid.cols[-1]:
            continue
        if any(w.box.x0 < x - reach and w.box.x1 > x + reach for x in grid.cols[1:-1]):
            rows.add(row)
    return sorted(rows)


def doubtful_cells(grid: RuledGrid, words: list[Word]) -> list[tuple[int, int]]:
    """Body cells of a column of figures that hold no figure: empty, or misread (``0.`` for
    ``17.7``). A column is one of figures when at least three of its body cells are."""
    table = fill_cells(grid.cells(), len(grid.rows) - 1, len(grid.cols) - 1, words)
    by_col: dict[int, list[tuple[int, str]]] = {}
    for cell in table.cells:
        if cell.row >= table.header_rows:
            by_col.setdefault(cell.col, []).append((cell.row, cell.text))
    out = []
    for col, cells in by_col.items():
        if col > 0 and sum(_decimals(t) is not None for _, t in cells) >= 3:
            out.extend((row, col) for row, t in cells if _decimals(t) is None)
    return out


def reread_cells(image: Image.Image, dpi: float, grids: list[RuledGrid],
                 lines: list[OcrLine], languages: str) -> list[OcrLine]:
    """``lines`` with the cells that read badly read again, apart from the rest of the page:
    every cell of a row that a word crosses (its words are replaced whatever the second
    reading gives) and every doubtful cell (replaced when the second reading is a figure).
    One Tesseract call for all such cells of the page; none without."""
    words = [w for line in lines for w in line.words]
    whole: list[Box] = []
    doubtful: list[Box] = []
    for grid in grids:
        crossed = crossing_rows(grid, words)
        whole += [_cell(grid, r, c) for r in crossed for c in range(len(grid.cols) - 1)]
        doubtful += [_cell(grid, r, c) for r, c in doubtful_cells(grid, words) if r not in crossed]
    if not whole and not doubtful:
        return lines
    cells = whole + doubtful
    fresh = _read_apart(image, dpi, cells, languages)
    replace = whole + [b for b, ws in zip(doubtful, fresh[len(whole):], strict=True)
                       if _decimals(join_words(ws)) is not None]
    kept = [OcrLine(ws, line.box, line.block) if len(ws) != len(line.words) else line
            for line in lines
            if (ws := [w for w in line.words if not any(centre_in(w.box, b) for b in replace)])]
    # lines are built cell by cell: build_lines takes its words for one printed line
    return kept + [line for b, ws in zip(cells, fresh, strict=True) if b in replace and ws
                   for line in build_lines(ws)]


def _cell(grid: RuledGrid, r: int, c: int) -> Box:
    return Box(grid.cols[c], grid.rows[r], grid.cols[c + 1], grid.rows[r + 1], Space.PAGE)


def _read_apart(image: Image.Image, dpi: float, cells: list[Box], languages: str) -> list[list[Word]]:
    """The words of each cell, read in one Tesseract call on a mosaic of the cells (inset
    from their rules)."""
    s = dpi / 72.0
    inset = INSET_PT * s
    sources = [(round(b.x0 * s + inset), round(b.y0 * s + inset),
                max(round(b.x1 * s - inset), round(b.x0 * s + inset) + 1),
                max(round(b.y1 * s - inset), round(b.y0 * s + inset) + 1)) for b in cells]
    height = max(p[3] - p[1] for p in sources)
    mosaic = plan(sources, gap=height, margin=height)
    out: list[list[Word]] = [[] for _ in cells]
    # thresholded first: Tesseract's own binarisation of a mosaic that is nearly all white
    # lost the anti-aliased strokes of small figures (17.7 came back empty or as 1272)
    ink = paste(image, mosaic).point(lambda v: 0 if v < THRESHOLD else 255)
    for w in ocr_image(ink, dpi, languages=languages, psm=6).words:
        hit = locate(mosaic, (round(w.box.x0 * s), round(w.box.y0 * s),
                              round(w.box.x1 * s), round(w.box.y1 * s)))
        if hit is not None:
            x0, y0, x1, y1 = hit[1]
            out[hit[0]].append(Word(w.text, Box(x0 / s, y0 / s, x1 / s, y1 / s, Space.PAGE),
                                    w.confidence))
    return out


# -- decimal points lost ------------------------------------------------------------------------

_FIGURE = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


def _decimals(text: str) -> int | None:
    """Digits after the point of a cell that is one figure (a percent sign allowed), else None."""
    t = text.strip().removesuffix("%")
    if not _FIGURE.fullmatch(t):
        return None
    return len(t.split(".")[1]) if "." in t else 0


def _value(text: str) -> float:
    return float(text.strip().removesuffix("%").replace(",", ""))


def repair_decimals(table: Table) -> int:
    """Put back the point of a figure that OCR read without it, in place; returns how many.

    A whole number among figures that all print the same number of decimals, in its column
    below the heading (or else in its row), is read with that many decimals when that brings
    it within the others' range and it lies outside that range as read: ``733`` among
    ``60.3 … 79.3`` is 73.3. A cell the peers do not agree on is left as read."""
    grid = {(c.row, c.col): c for c in table.cells}
    fixed = 0
    for cell in table.cells:
        if cell.row < table.header_rows or _decimals(cell.text) != 0 or "," in cell.text:
            continue
        for peers in (_column(grid, cell, table), _row(grid, cell, table)):
            text = _with_point(cell.text, peers)
            if text is not None:
                cell.text = text
                fixed += 1
                break
    return fixed


def _column(grid: dict, cell, table: Table) -> list[str]:  # type: ignore[no-untyped-def]
    return [grid[(r, cell.col)].text for r in range(table.header_rows, table.n_rows)
            if r != cell.row and (r, cell.col) in grid]


def _row(grid: dict, cell, table: Table) -> list[str]:  # type: ignore[no-untyped-def]
    return [grid[(cell.row, c)].text for c in range(1, table.n_cols)
            if c != cell.col and (cell.row, c) in grid]


def _with_point(text: str, peers: list[str]) -> str | None:
    figures = [p for p in peers if _decimals(p) is not None]
    places = {_decimals(p) for p in figures}
    if len(figures) < 2 or len(places) != 1 or (d := places.pop()) in (None, 0):
        return None
    digits = text.strip().lstrip("-")
    if len(digits.removesuffix("%")) <= d:
        return None
    values = [abs(_value(p)) for p in figures]
    lo, hi, mid = min(values), max(values), median(values)
    raw = abs(_value(text))
    mended = raw / 10 ** d
    inside = lo / 3 <= mended <= hi * 3
    if not inside or lo / 3 <= raw <= hi * 3 or abs(mended - mid) > abs(raw - mid):
        return None
    sign = "-" if text.strip().startswith("-") else ""
    percent = "%" if digits.endswith("%") else ""
    digits = digits.removesuffix("%")
    return f"{sign}{digits[:-d]}.{digits[-d:]}{percent}"

"""Cell grids for table regions.

Text-layer pages: PyMuPDF's ``find_tables`` finds the ruling grid near the layout box (it is
called with ``use_layout=False`` because the layout has already run; letting it run the
model again would cost a second layout pass). Only the cell *geometry* is taken from it: its
own text extraction splits punctuation of some Korean fonts onto separate lines ("2 810\\n,"),
so cell texts are filled from the page's words by word-centre containment.

Scanned pages: ruling lines are found in the OCR render (long dark runs), grouped into grids,
and OCR words are dropped into the cells. A table without rulings, on either kind of page,
falls back to a grid from word positions: rows by vertical centre, columns by gaps that no
row's words cross.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import numpy as np
import pymupdf
from PIL import Image

from indexing.geometry import Box, Space, centre_in, union_of
from indexing.groups import DisjointSets
from indexing.model import Table, TableCell, Word
from indexing.textlayer import join_words


@dataclass(frozen=True, slots=True)
class RuledGrid:
    """A table's ruling lines in page points: row edges top to bottom, column edges left to right."""

    rows: list[float]
    cols: list[float]

    @property
    def box(self) -> Box:
        return Box(self.cols[0], self.rows[0], self.cols[-1], self.rows[-1], Space.PAGE)

    def cells(self) -> list[tuple[int, int, Box]]:
        return [
            (r, c, Box(self.cols[c], self.rows[r], self.cols[c + 1], self.rows[r + 1], Space.PAGE))
            for r in range(len(self.rows) - 1) for c in range(len(self.cols) - 1)
        ]


# -- text-layer pages -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CellGrid:
    """A table's cell geometry found on a page, before any text is put in."""

    box: Box
    cells: list[tuple[int, int, Box]]
    n_rows: int
    n_cols: int


def find_grids_near(page: pymupdf.Page, box: Box, band: float = 30.0) -> list[CellGrid]:
    """Ruled tables in the full-width band of ``page`` around a layout box.

    The band spans the page's width because the layout box hugs the table's text and can
    leave a ruled column outside it; limiting it vertically keeps ``find_tables`` cheap (it
    gathers every character in its clip: about 30 ms for a band, 200 ms for a whole page).
    """
    clip = pymupdf.Rect(0, box.y0 - band, page.rect.width, box.y1 + band) & page.rect
    try:
        found = page.find_tables(clip=clip, use_layout=False)
    except (RuntimeError, ValueError):  # a table-finder failure is a missed table, not an error
        return []
    grids = []
    for tab in getattr(found, "tables", None) or []:
        cells = [(r, c, Box(*bbox, Space.PAGE))
                 for r, row in enumerate(tab.rows) for c, bbox in enumerate(row.cells) if bbox]
        if cells:
            grids.append(CellGrid(Box(*tab.bbox, Space.PAGE), cells, tab.row_count, tab.col_count))
    return grids


def table_for_region(box: Box, grids: list[CellGrid], words: list[Word]) -> tuple[Table, Box] | None:
    """The table of a layout box: its ruled grid if one matches, else a grid of word positions.

    Returns the table and the box it really occupies (the rulings may reach past the layout
    box), or None when the words do not form a grid either.
    """
    best = max(grids, key=lambda g: box.overlap_ratio(g.box), default=None)
    if best is not None and box.overlap_ratio(best.box) >= 0.5:
        return fill_cells(best.cells, best.n_rows, best.n_cols, words), best.box.union(box)
    inside = [w for w in words if w.box.overlap_ratio(box) > 0.5]
    table = grid_from_words(inside)
    return (table, box) if table is not None else None


def fill_cells(cells: list[tuple[int, int, Box]], n_rows: int, n_cols: int,
               words: list[Word]) -> Table:
    """Cells with geometry -> a Table whose texts are the words centred in each cell."""
    texts: dict[int, list[Word]] = {i: [] for i in range(len(cells))}
    for word in words:
        cx, cy = (word.box.x0 + word.box.x1) / 2, (word.box.y0 + word.box.y1) / 2
        for i, (_r, _c, b) in enumerate(cells):
            if b.x0 <= cx <= b.x1 and b.y0 <= cy <= b.y1:
                texts[i].append(word)
                break
    out = [TableCell(r, c, join_words(texts[i]), b) for i, (r, c, b) in enumerate(cells)]
    return Table(out, n_rows, n_cols, header_rows=1)


# -- tables from word positions ------------------------------------------------------------------

def grid_from_words(words: list[Word], min_rows: int = 2, min_cols: int = 2) -> Table | None:
    """A grid from word positions alone: rows by vertical centre, columns by clear x gaps."""
    if len(words) < min_rows * min_cols:
        return None
    height = median(w.box.height for w in words) or 1.0
    rows = _rows(words, 0.5 * height)
    cols = _column_edges(words, gap=0.8 * height)
    if len(rows) < min_rows or len(cols) - 1 < min_cols:
        return None
    cells: list[TableCell] = []
    for r, row in enumerate(rows):
        for c in range(len(cols) - 1):
            inside = [w for w in row if cols[c] <= (w.box.x0 + w.box.x1) / 2 < cols[c + 1]]
            if inside:
                cells.append(TableCell(r, c, " ".join(w.text for w in inside), union_of(w.box for w in inside)))
    return Table(cells, len(rows), len(cols) - 1, header_rows=1)


def _rows(words: list[Word], tol: float) -> list[list[Word]]:
    rows: list[list[Word]] = []
    centres: list[float] = []
    for w in sorted(words, key=lambda w: (w.box.y0 + w.box.y1) / 2):
        cy = (w.box.y0 + w.box.y1) / 2
        if centres and cy - centres[-1] <= tol:
            rows[-1].append(w)
            centres[-1] = sum((x.box.y0 + x.box.y1) / 2 for x in rows[-1]) / len(rows[-1])
        else:
            rows.append([w])
            centres.append(cy)
    return [sorted(r, key=lambda w: w.box.x0) for r in rows]


def _column_edges(words: list[Word], gap: float) -> list[float]:
    """Boundaries of the x intervals covered by words, where uncovered gaps are wide enough."""
    spans = sorted((w.box.x0, w.box.x1) for w in words)
    edges = [spans[0][0]]
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= gap:
            edges.append((reach + x0) / 2)
        reach = max(reach, x1)
    edges.append(reach)
    return edges


# -- ruled tables in a scan ------------------------------------------------------------------------

def find_ruled_grids(image: Image.Image, dpi: float, *, min_length_pt: float = 40.0) -> list[RuledGrid]:
    """Ruling grids (at least 2 x 2 lines crossing each other) in a page render."""
    # Search at about 100 dpi, much cheaper. Each small pixel keeps the darkest of the pixels it
    # covers: averaging them (a box filter) washed thin gray rules out below the threshold, and
    # a table lost the column rules between some of its cells.
    step = max(1, int(dpi // 100))
    work_dpi = dpi / step
    gray = np.asarray(image.convert("L"))
    h, w = gray.shape[0] // step, gray.shape[1] // step
    small = gray[: h * step, : w * step].reshape(h, step, w, step).min(axis=(1, 3))
    dark = small < 170
    run = max(3, round(min_length_pt * work_dpi / 72.0))
    scale = 72.0 / work_dpi
    hlines = [(y * scale, a * scale, b * scale) for y, a, b in _long_runs(dark, run)]
    vlines = [(x * scale, a * scale, b * scale) for x, a, b in _long_runs(dark.T, run)]
    return _grids(hlines, vlines, tol=3.0)


def _long_runs(dark: np.ndarray, run: int) -> list[tuple[float, float, float]]:
    """Lines of dark pixels at least ``run`` long along axis 1: (position, start, end)."""
    if dark.shape[1] < run:
        return []
    csum = np.cumsum(np.pad(dark, ((0, 0), (1, 0))).astype(np.int32), axis=1)
    full = (csum[:, run:] - csum[:, :-run]) == run  # window of `run` pixels all dark
    lines: list[tuple[float, float, float]] = []
    for pos in np.flatnonzero(full.any(axis=1)):
        starts = np.flatnonzero(full[pos])
        # one row may hold several separate segments (two tables side by side)
        breaks = np.flatnonzero(np.diff(starts) > 1)
        for seg in np.split(starts, breaks + 1):
            lines.append((float(pos), float(seg[0]), float(seg[-1] + run)))
    return _merge_adjacent(lines)


def _merge_adjacent(lines: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """A thick rule is several adjacent pixel rows; keep one line at their middle."""
    merged: list[list[float]] = []
    for pos, a, b in sorted(lines):
        for m in merged:
            if pos - m[3] <= 1.0 and a < m[2] and b > m[1]:
                m[1], m[2], m[3] = min(m[1], a), max(m[2], b), pos
                break
        else:
            merged.append([pos, a, b, pos])
    return [((m[0] + m[3]) / 2, m[1], m[2]) for m in merged]


def _grids(hlines: list, vlines: list, tol: float) -> list[RuledGrid]:
    """Connected sets of crossing lines with at least two of each direction."""
    n = len(hlines)
    sets = DisjointSets(n + len(vlines))
    for i, (y, hx0, hx1) in enumerate(hlines):
        for j, (x, vy0, vy1) in enumerate(vlines):
            if hx0 - tol <= x <= hx1 + tol and vy0 - tol <= y <= vy1 + tol:
                sets.join(n + j, i)
    groups: dict[int, tuple[list[float], list[float]]] = {}
    for i, (y, _a, _b) in enumerate(hlines):
        groups.setdefault(sets.find(i), ([], []))[0].append(y)
    for j, (x, _a, _b) in enumerate(vlines):
        groups.setdefault(sets.find(n + j), ([], []))[1].append(x)
    grids = []
    for ys, xs in groups.values():
        rows, cols = _dedupe(ys, tol), _dedupe(xs, tol)
        if len(rows) >= 2 and len(cols) >= 2:
            grids.append(RuledGrid(rows, cols))
    return sorted(grids, key=lambda g: (g.rows[0], g.cols[0]))


def _dedupe(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def table_from_grid(grid: RuledGrid, words: list[Word]) -> Table:
    """A scanned table: OCR words into the grid's cells, one-syllable runs in a cell glued."""
    from indexing.ocr import glue_syllable_runs  # ocr -> render -> ...; not needed at import

    table = fill_cells(grid.cells(), len(grid.rows) - 1, len(grid.cols) - 1, words)
    height = median(w.box.height for w in words) if words else 1.0
    for cell in table.cells:
        inside = [w for w in words if cell.box is not None and centre_in(w.box, cell.box)]
        if sum(len(w.text) == 1 for w in inside) >= 2:
            lines = _rows(inside, 0.5 * height)
            cell.text = join_words([w for line in lines for w in glue_syllable_runs(
                sorted(line, key=lambda w: w.box.x0), height)])
    return table


def erase_rulings(image: Image.Image, dpi: float, grids: list[RuledGrid],
                  half_width_pt: float = 1.5) -> Image.Image:
    """A copy of ``image`` with the grids' ruling lines painted white.

    Tesseract reads the text of a ruled table poorly (or not at all) while the rules are
    there; without them the same page reads like ordinary lines of text.
    """
    if not grids:
        return image
    out = image.convert("L").copy()
    arr = np.array(out)
    s = dpi / 72.0
    pad = max(1, round(half_width_pt * s))
    for g in grids:
        x0, x1 = round(g.cols[0] * s) - pad, round(g.cols[-1] * s) + pad
        y0, y1 = round(g.rows[0] * s) - pad, round(g.rows[-1] * s) + pad
        for y in g.rows:
            arr[max(0, round(y * s) - pad):round(y * s) + pad + 1, max(0, x0):x1] = 255
        for x in g.cols:
            arr[max(0, y0):y1, max(0, round(x * s) - pad):round(x * s) + pad + 1] = 255
    return Image.fromarray(arr, mode="L")

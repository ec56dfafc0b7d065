"""Table answers: find the cell whose row label and column label both match the question.

No orientation is assumed. For every cell, its row label is the label cells to its left (a
label cell is one that does not hold a measured value; years, dates and periods count as
labels) and its column label the heading rows above it (the table's ``header_rows``, extended
over a units line such as ``(단위: %)`` above the real heading). ``2023년 매출액은?`` then finds
the cell under ``2023`` in the ``매출액`` row of a metrics-by-years table, and the cell under
``매출액`` in the ``2023`` row of the transposed one, with the same code. Spanning cells lend
their text to every position they cover. A question's names and figures that the cell's labels
and the crop's caption lack count against it, so that the table of another company or year
does not answer for the one asked about.

Rules (reported as ``rule``):

- ``table.cell``: both the row label and the column label match question terms.
- ``table.row`` / ``table.column``: only one direction matches and the matched row (column)
  holds a single value, as in key-value tables (``펀드규모 | 746억원``).
"""

from __future__ import annotations

from dataclasses import dataclass

from indexing.geometry import Box
from indexing.model import Table, Word
from vlm.extractive.locate import centre, find_runs, union
from vlm.extractive.matching import match_terms
from vlm.extractive.morph import TermHit, terms_of, tokenize
from vlm.extractive.numbers import is_value_cell
from vlm.extractive.ocr_match import MIN_SYLLABLES, misread_in
from vlm.extractive.question import Question


@dataclass(slots=True)
class TableAnswer:
    row: int
    col: int
    text: str
    coverage: float   # weighted share of question terms matched by the labels (and caption)
    score: float
    rule: str
    row_text: str     # the row as "a | b | c", the quote a citation shows


def expanded_grid(table: Table) -> list[list[str]]:
    """The cell grid with spanning cells' text repeated over every position they cover."""
    grid = [["" for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for cell in table.cells:
        for r in range(cell.row, min(cell.row + max(cell.row_span, 1), table.n_rows)):
            for c in range(cell.col, min(cell.col + max(cell.col_span, 1), table.n_cols)):
                if 0 <= r and 0 <= c:
                    grid[r][c] = " ".join(cell.text.split())
    return grid


def _cell_terms(text: str) -> list[TermHit]:
    """Terms of a cell, also read with its spaces removed: a label wrapped inside its cell
    (``영업이익`` / ``률``) still yields the compound ``영업이익률``."""
    hits = terms_of(tokenize(text))
    compact = "".join(text.split())
    if compact != text:
        seen = {h.term for h in hits}
        hits += [h for h in terms_of(tokenize(compact)) if h.term not in seen]
    return hits


def cell_hits(grid: list[list[str]]) -> list[list[list[TermHit]]]:
    return [[_cell_terms(t) if t else [] for t in row] for row in grid]


def table_units(table: Table) -> list[set[str]]:
    """Term sets of the table's rows and columns: its matching units for IDF."""
    grid = expanded_grid(table)
    hits = cell_hits(grid)
    rows = [{h.term for cell in row for h in cell} for row in hits]
    cols = [{h.term for r in range(table.n_rows) for h in hits[r][c]} for c in range(table.n_cols)]
    return rows + cols


def header_rows(table: Table, value: list[list[bool]]) -> int:
    """Rows that head the columns: at least ``table.header_rows`` (and one, when the table has
    more than one row), extended over label-only rows that sit above the first row holding
    values, as a units line (``(단위: %)``) above the real heading does."""
    n_rows = table.n_rows
    head = min(max(table.header_rows, 1 if n_rows > 1 else 0), max(n_rows - 1, 0))
    first_values = next((r for r in range(n_rows) if any(value[r][1:])), None)
    if first_values is not None and first_values > head:
        head = first_values
    return head


def _precision(q_terms: set[str], hits: list[TermHit]) -> float:
    terms = {h.term for h in hits}
    return len(terms & q_terms) / len(terms) if terms else 0.0


def answer_table(q: Question, table: Table, weights: dict[str, float],
                 caption_hits: list[TermHit] | None = None) -> TableAnswer | None:
    """The cell that answers ``q``, or None when no row or column label matches."""
    if table.n_rows == 0 or table.n_cols == 0 or not weights:
        return None
    grid = expanded_grid(table)
    hits = cell_hits(grid)
    n_rows, n_cols = table.n_rows, table.n_cols
    value = [[is_value_cell(grid[r][c]) for c in range(n_cols)] for r in range(n_rows)]
    _add_misread_terms(grid, hits, value, weights)
    head = header_rows(table, value)
    label = [[not value[r][c] or r < head for c in range(n_cols)] for r in range(n_rows)]
    caption = caption_hits or []
    qset = q.term_set
    own = [[match_terms(weights, hits[r][c]).coverage if hits[r][c] else 0.0
            for c in range(n_cols)] for r in range(n_rows)]

    # leading columns of labels (row headings); precision is judged on them alone, so a
    # text value left of the cell (a maker's name) does not dilute the row's heading
    lead = 1
    while lead < n_cols - 1 and not any(value[r][lead] for r in range(head, n_rows)):
        lead += 1
    best: TableAnswer | None = None
    for r in range(n_rows):
        for c in range(n_cols):
            text = grid[r][c]
            if not text or (r < head and c > 0) or own[r][c] >= 0.5:
                continue  # empty, a column heading, or a cell that restates the question
            row_hits = [h for k in range(c) if label[r][k] for h in hits[r][k]]
            col_hits = [h for k in range(min(r, head)) for h in hits[k][c]]
            if not row_hits or not col_hits:
                continue
            row_cov = match_terms(weights, row_hits).coverage
            col_cov = match_terms(weights, col_hits).coverage
            if row_cov <= 0 or col_cov <= 0:
                continue
            cov = match_terms(weights, row_hits + col_hits + caption, q.entities).coverage
            score = (cov + 0.3 * min(row_cov, col_cov)
                     + 0.1 * (_precision(qset, [h for k in range(min(c, lead)) for h in hits[r][k]])
                              + _precision(qset, col_hits))
                     + (0.05 if not label[r][c] else 0.0))
            if best is None or score > best.score:
                best = TableAnswer(r, c, text, cov, score, "table.cell", " | ".join(grid[r]))
    if best is not None:
        return best
    return _one_direction(grid, hits, weights, caption, head, q.entities)


def _add_misread_terms(grid: list[list[str]], hits: list[list[list[TermHit]]],
                       value: list[list[bool]], weights: dict[str, float]) -> None:
    """A label cell holding a question term misread by one letter (``끌 는점`` for
    ``끓는점``, see ``ocr_match``) gets that term as a hit of its own."""
    long_terms = [t for t in weights if len(t) >= MIN_SYLLABLES]
    if not long_terms:
        return
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            if not text or value[r][c]:
                continue
            have = {h.term for h in hits[r][c]}
            index = max((h.index for h in hits[r][c]), default=-1) + 1
            for t in long_terms:
                if t not in have and misread_in(t, text):
                    hits[r][c].append(TermHit(t, index, 0, len(text)))


def _one_direction(grid: list[list[str]], hits: list[list[list[TermHit]]],
                   weights: dict[str, float], caption: list[TermHit], head: int,
                   entities: frozenset[str]) -> TableAnswer | None:
    """Key-value tables: a row whose first cell matches and that holds one other cell, or a
    column whose heading matches and that holds one cell below the heading, answers."""
    n_rows, n_cols = len(grid), len(grid[0])
    best: TableAnswer | None = None
    for r in range(n_rows):
        labels = hits[r][0]
        values = [c for c in range(1, n_cols) if grid[r][c] and grid[r][c] != grid[r][0]]
        if len(values) != 1 or not labels:
            continue
        cov = match_terms(weights, labels + caption, entities).coverage
        row_only = match_terms(weights, labels).coverage
        if row_only > 0 and (best is None or cov > best.coverage):
            c = values[0]
            best = TableAnswer(r, c, grid[r][c], cov, cov, "table.row", " | ".join(grid[r]))
    for c in range(n_cols):
        labels = [h for r in range(head) for h in hits[r][c]]
        values = [r for r in range(head, n_rows) if grid[r][c]]
        if len(values) != 1 or not labels:
            continue
        cov = match_terms(weights, labels + caption, entities).coverage
        col_only = match_terms(weights, labels).coverage
        if col_only > 0 and (best is None or cov > best.coverage):
            r = values[0]
            best = TableAnswer(r, c, grid[r][c], cov, cov, "table.column", " | ".join(grid[r]))
    return best


def _known_box(table: Table, r: int, c: int) -> Box | None:
    for cell in table.cells:
        if (cell.box is not None and cell.row <= r < cell.row + max(cell.row_span, 1)
                and cell.col <= c < cell.col + max(cell.col_span, 1)):
            return cell.box
    return None


def _word_box(words: list[Word], text: str, near: tuple[float | None, float | None],
              nth: int) -> Box | None:
    """The occurrence of ``text`` among the words nearest the anchor (x, y); without an
    anchor, the ``nth`` occurrence in reading order."""
    runs = find_runs(words, text)
    if not runs:
        return None
    boxes = [union([words[i].box for i in run]) for run in runs]
    ax, ay = near
    if ax is None and ay is None:
        return boxes[min(nth, len(boxes) - 1)]

    def dist(b: Box | None) -> float:
        cx, cy = centre(b) if b is not None else (0.0, 0.0)
        return (abs(cx - ax) if ax is not None else 0.0) + (abs(cy - ay) if ay is not None else 0.0)

    return min(boxes, key=dist)


def cell_box(table: Table, r: int, c: int, words: list[Word]) -> Box | None:
    """The cell's page box: as given, else estimated from the words that spell its text,
    picking the occurrence aligned with its row label and column heading."""
    known = _known_box(table, r, c)
    if known is not None:
        return known
    grid = expanded_grid(table)
    text = grid[r][c]
    if not text or not words:
        return None
    row_anchor = _known_box(table, r, 0) or (_word_box(words, grid[r][0], (None, None), 0)
                                              if c > 0 and grid[r][0] else None)
    col_anchor = _known_box(table, 0, c) or (_word_box(words, grid[0][c], (None, None), 0)
                                             if r > 0 and grid[0][c] else None)
    ax = centre(col_anchor)[0] if col_anchor is not None else None
    ay = centre(row_anchor)[1] if row_anchor is not None else None
    nth = sum(1 for rr in range(table.n_rows) for cc in range(table.n_cols)
              if grid[rr][cc] == text and (rr, cc) < (r, c))
    return _word_box(words, text, (ax, ay), nth)


def row_box(table: Table, r: int, answer_col: int, words: list[Word]) -> Box | None:
    """The row's extent: its known cell boxes, else its label and answer cells' boxes."""
    boxes = [b for c in range(table.n_cols) if (b := _known_box(table, r, c)) is not None]
    if not boxes:
        boxes = [b for c in {0, answer_col} if (b := cell_box(table, r, c, words)) is not None]
    return union(boxes)

"""Tables that cross pages: the part of a table at the foot of one page, continued on the next.

Layout and ``find_tables`` see one page at a time, so a long table printed over two or three
pages becomes one table crop per page, and the later parts usually lack the header row: a
row on page 2 (``지역 37 | 1,204 | ...``) cannot be read by its column (``2022년``) on its own.
``link_tables`` finds the chains: a table that is the last body region of its page (running
heads and feet aside) continues in a table that is the first one of the next page when both
have the same number of columns at the same x positions (``COLUMN_TOLERANCE`` points). The
later part either starts with no header, or repeats the first part's header rows; one that
starts with another header-like row under a different caption is a new table. Each part's
``CropContext`` then names every part; a later part without its own header gets the first
part's header rows, and the first part's caption when it has none of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from indexing.context import Block, DocumentContext, Role
from indexing.geometry import Box
from indexing.model import RegionKind, Table

COLUMN_TOLERANCE = 6.0  # points two parts' column edges may differ by
_NUMBER = re.compile(r"^[-+−△▲▼▽]?\s*\(?[\d][\d,]*(?:\.\d+)?\)?\s*(?:%|%p|배)?$")
_CONTINUED = re.compile(r"계속|이어서|continued|cont['’]?d", re.IGNORECASE)

Span = tuple[float, float]


def link_tables(blocks: Sequence[Block], tables: Sequence[Table | None], context: DocumentContext,
                tolerance: float = COLUMN_TOLERANCE) -> DocumentContext:
    """``context`` with the parts of every table that crosses pages linked (block indices)."""
    chains: list[list[int]] = []
    chain_of: dict[int, list[int]] = {}
    pages = sorted({b.page for b in blocks})
    for page in pages[1:]:
        prev = _edge(blocks, context, page - 1, last=True)
        nxt = _edge(blocks, context, page, last=False)
        if prev is None or nxt is None or not _is_table(blocks, tables, prev) or not _is_table(blocks, tables, nxt):
            continue
        chain = chain_of.get(prev) or [prev]
        if not continues(tables[chain[0]], tables[prev], tables[nxt], blocks[prev].box, blocks[nxt].box,  # type: ignore[arg-type]
                         tolerance, context.contexts[chain[0]].caption, context.contexts[nxt].caption):
            continue
        if prev not in chain_of:
            chains.append(chain)
            chain_of[prev] = chain
        chain.append(nxt)
        chain_of[nxt] = chain
    contexts = list(context.contexts)
    for chain in chains:
        first = tables[chain[0]]
        assert first is not None
        head = header_count(first)
        lent = header_texts(first, head)
        for k, i in enumerate(chain):
            own = contexts[i]
            table = tables[i]
            assert table is not None
            repeats = k > 0 and _rows_equal(table, first, head)
            contexts[i] = replace(own, part=k + 1, parts=tuple(chain),
                                  continues=chain[0] if k else None,
                                  header=lent if k and not repeats else (),
                                  caption=own.caption or (contexts[chain[0]].caption if k else ""))
    return replace(context, roles=list(context.roles), contexts=contexts)


def continues(first: Table, prev: Table, nxt: Table, prev_box: Box, next_box: Box,
              tolerance: float = COLUMN_TOLERANCE, first_caption: str = "", next_caption: str = "") -> bool:
    """Whether table ``nxt`` (top of a page) goes on with ``prev`` (foot of the page before),
    ``first`` being the part where the table began (``prev`` itself for two parts)."""
    if nxt.n_cols != prev.n_cols or nxt.n_cols < 2 or nxt.n_rows < 1:
        return False
    a, b = column_spans(prev), column_spans(nxt)
    if a is not None and b is not None:
        strict = _tiled(a) and _tiled(b)
        if not all(_same_column(x, y, tolerance, strict) for x, y in zip(a, b, strict=True)):
            return False
    elif abs(prev_box.x0 - next_box.x0) > 2 * tolerance or abs(prev_box.x1 - next_box.x1) > 2 * tolerance:
        return False
    head = header_count(first)
    if _rows_equal(nxt, first, head):
        return True  # the header printed again on the new page
    if next_caption and next_caption != first_caption and not _CONTINUED.search(next_caption):
        return False  # a table of its own caption
    grid = nxt.grid()
    # A first row of labels under numeric columns is a new table's header, not a body row.
    return not (_header_like(grid[0]) and _numeric_body(first.grid()[head:]))


def header_count(table: Table) -> int:
    """The rows heading the columns of a table's first part (at least one, never all)."""
    return max(1, min(table.header_rows, table.n_rows - 1)) if table.n_rows > 1 else 0


def header_texts(table: Table, rows: int) -> tuple[tuple[str, ...], ...]:
    """The cell texts of the first ``rows`` rows, a spanning cell's text over every column it
    covers (so that each column has its own heading)."""
    grid = [["" for _ in range(table.n_cols)] for _ in range(rows)]
    for cell in table.cells:
        for r in range(cell.row, min(cell.row + max(cell.row_span, 1), rows)):
            for c in range(cell.col, min(cell.col + max(cell.col_span, 1), table.n_cols)):
                if r >= 0 and c >= 0:
                    grid[r][c] = " ".join(cell.text.split())
    return tuple(tuple(row) for row in grid)


def column_spans(table: Table) -> list[Span] | None:
    """Each column's (x0, x1), the median over its single-column cells; None without boxes."""
    spans = []
    for c in range(table.n_cols):
        boxes = [cell.box for cell in table.cells if cell.col == c and cell.col_span <= 1 and cell.box is not None]
        if not boxes:
            return None
        spans.append((float(median(b.x0 for b in boxes)), float(median(b.x1 for b in boxes))))
    return spans


def _tiled(spans: list[Span]) -> bool:
    """Whether the columns meet edge to edge, as the cells of a ruled grid do."""
    return all(abs(a[1] - b[0]) <= 1.0 for a, b in zip(spans, spans[1:], strict=False))


def _same_column(a: Span, b: Span, tolerance: float, strict: bool = True) -> bool:
    """Both edges within ``tolerance``; or, for columns boxed by their words (no rulings, so an
    edge moves with the text's length: ``strict`` off), one edge within it and the two
    overlapping."""
    left, right = abs(a[0] - b[0]) <= tolerance, abs(a[1] - b[1]) <= tolerance
    return (left and right) or (not strict and (left or right) and min(a[1], b[1]) > max(a[0], b[0]))


def _edge(blocks: Sequence[Block], context: DocumentContext, page: int, *, last: bool) -> int | None:
    """The last (first) region of ``page`` in reading order that is not a running head or
    foot; at the top of a page, a caption saying the table goes on (``(계속)``) is passed."""
    idx = [i for i, b in enumerate(blocks) if b.page == page and context.roles[i] != Role.FURNITURE
           and b.kind not in (RegionKind.PAGE_HEADER, RegionKind.PAGE_FOOTER)]
    if last:
        return idx[-1] if idx else None
    for i in idx:
        if context.roles[i] == Role.CAPTION and _CONTINUED.search(blocks[i].text):
            continue
        return i
    return None


def _is_table(blocks: Sequence[Block], tables: Sequence[Table | None], i: int) -> bool:
    return blocks[i].kind == RegionKind.TABLE and tables[i] is not None


def _norm(text: str) -> str:
    return "".join(text.split())


def _rows_equal(table: Table, first: Table, rows: int) -> bool:
    if rows < 1 or table.n_rows <= rows:
        return False
    mine, theirs = header_texts(table, rows), header_texts(first, rows)
    return [[_norm(t) for t in r] for r in mine] == [[_norm(t) for t in r] for r in theirs]


def _header_like(row: Sequence[str]) -> bool:
    """A row whose value columns hold labels only: no number at all."""
    cells = [_norm(t) for t in row[1:] if _norm(t)]
    return bool(cells) and not any(_NUMBER.match(t) for t in cells)


def _numeric_body(rows: Sequence[Sequence[str]]) -> bool:
    """Whether most value cells of ``rows`` are numbers."""
    cells = [_norm(t) for row in rows for t in row[1:] if _norm(t)]
    return bool(cells) and sum(bool(_NUMBER.match(t)) for t in cells) >= 0.6 * len(cells)

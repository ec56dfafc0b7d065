"""Ruled tables in a text-layer page's vector drawing, and whether the drawing holds anything else.

A page drawn with nothing but rules, small marks (a box around a character, a bullet), light
shading behind a line of text and ruled tables is laid out from its text-layer lines
(``indexing.layout``): a ruled table's cells are known from its rules, so it needs neither the
layout model nor ``find_tables`` (about 200 ms on a whole page; ``page.get_cdrawings()`` and
this module take a few ms). Anything else answers None and the page goes to the layout model:
a curve or a fill larger than a mark (a chart, a diagram, a filled panel), a diagonal line, a
mark inside a table (a chart's point markers between its gridlines), a fill in a table that is
not whole cells (bars between gridlines), long rules outside a table other than one single or
double rule (a table ruled only across, column rules without rows).

Rules are stroked lines (HWP's tables), the sides of stroked rectangles and thin filled
rectangles (Word's: one per cell side, in pieces); pieces on one line are joined first.
Horizontal and vertical rules that touch make a table's skeleton. Its rows and columns are the
rules' positions and the skeleton's outer edges: a table cut by a page break has no rule at its
open end, and ``find_tables`` closes it there too. Lattice cells with no rule between them are
one cell (a header spanning two columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from indexing.geometry import Box, Space, union_of
from indexing.groups import DisjointSets
from indexing.tables import CellGrid

RULE_THICKNESS = 1.5  # points: an image or drawing this thin is a rule (TeX draws fraction bars so)
SHORT_RULE = 0.25  # of the page width: a fraction bar or an underline; a table's rules are longer
MARK = 36.0  # points: a drawing no larger either way is a mark (a box around a character, a bullet)
MAX_STROKE = 4.0  # points: a stroked line thicker than this is a bar, not a rule
LIGHT = 0.7  # every colour component at least this: shading that text stays readable on
SNAP = 2.0  # points: rule pieces this close are one rule; rules this close to a cell side bound it
DOUBLE_RULE = 4.0  # points: two long rules this close are one double rule
MIN_CELLS = 2  # rows and columns of a ruled table, at least


@dataclass(slots=True)
class Rule:
    """A horizontal (``across``) or vertical rule: its position and its extent along itself."""

    across: bool
    at: float
    start: float
    end: float

    def touches(self, other: Rule) -> bool:
        """Whether a horizontal and a vertical rule meet or cross."""
        return (other.start - SNAP <= self.at <= other.end + SNAP
                and self.start - SNAP <= other.at <= self.end + SNAP)

    def covers(self, start: float, end: float) -> bool:
        return self.start <= start + SNAP and self.end >= end - SNAP


@dataclass(slots=True)
class _Drawing:
    """A page's drawing sorted: rules, filled areas and marks (boxes in page points)."""

    rules: list[Rule]
    fills: list[tuple[Box, tuple]]  # (box, fill colour)
    marks: list[Box]


def page_grids(page: pymupdf.Page) -> list[CellGrid] | None:
    """The ruled tables of ``page``'s drawing, top to bottom; None where it holds anything else."""
    return find_grids(page.get_cdrawings(), page.rect.width)


def find_grids(drawings: list[dict], page_width: float) -> list[CellGrid] | None:
    """``page_grids`` from the paths of ``page.get_cdrawings()`` of a page ``page_width`` wide."""
    drawing = _sort(drawings)
    if drawing is None:
        return None
    grids, loose = [], []
    for skeleton in _skeletons(_joined(drawing.rules)):
        grid = _grid(skeleton)
        if grid is None:
            loose.extend(skeleton)
        else:
            grids.append(grid)
    boxes = [g.box for g in grids]
    if any(_inside(m, boxes) for m in drawing.marks):
        return None
    for box, colour in drawing.fills:
        grid = next((g for g in grids if _inside(box, [g.box])), None)
        if grid is None and not (box.height <= MARK and min(colour) >= LIGHT):
            return None  # a filled area, not a band of shading behind a line
        if grid is not None and not _whole_cells(box, grid):
            return None
    long = [r for r in loose if r.end - r.start > SHORT_RULE * page_width and not _inside(_rule_box(r), boxes)]
    if any(not r.across for r in long):
        return None  # a column rule, a frame
    if long and max(r.at for r in long) - min(r.at for r in long) > DOUBLE_RULE:
        return None  # rules across with text between them: a table ruled only across, a framed panel
    return sorted(grids, key=lambda g: (g.box.y0, g.box.x0))


# -- the drawing sorted -----------------------------------------------------------------------

def _sort(drawings: list[dict]) -> _Drawing | None:
    out = _Drawing([], [], [])
    for d in drawings:
        stroked = "s" in d["type"] and _inked(d.get("color"), d.get("stroke_opacity"))
        filled = "f" in d["type"] and _inked(d.get("fill"), d.get("fill_opacity"))
        if not stroked and not filled:
            continue  # white on the white page: a knock-out behind text
        box = Box(*d["rect"], Space.PAGE)
        items = d["items"]
        straight = all(it[0] == "re" or (it[0] == "l" and _axis_aligned(it[1], it[2])) for it in items)
        if not straight or (stroked and (d.get("width") or 0.0) > MAX_STROKE):
            if max(box.width, box.height) > MARK:
                return None  # a curve, a diagonal, a bar: a chart or a diagram
            out.marks.append(box)
            continue
        if filled:  # rectangles, or a polygon of straight sides taken as its box
            areas = [Box.from_corners(*it[1], Space.PAGE) for it in items if it[0] == "re"]
            areas += [box] if any(it[0] == "l" for it in items) else []
            for area in areas:
                if _thin(area):
                    out.rules.append(_rule(area))
                elif max(area.width, area.height) > MARK:
                    out.fills.append((area, d["fill"]))
                else:
                    out.marks.append(area)
        if stroked:
            for it in items:
                if it[0] == "l":
                    out.rules.append(_rule(Box.from_corners(*it[1], *it[2], Space.PAGE)))
                else:
                    out.rules.extend(_sides(Box.from_corners(*it[1], Space.PAGE)))
    return out


def _inked(colour: tuple | None, opacity: float | None) -> bool:
    """Paint that shows on a white page."""
    return colour is not None and min(colour, default=0.0) < 0.98 and (opacity is None or opacity > 0)


def _axis_aligned(p: tuple, q: tuple) -> bool:
    return abs(p[0] - q[0]) < 0.5 or abs(p[1] - q[1]) < 0.5


def _thin(box: Box) -> bool:
    return min(box.width, box.height) <= RULE_THICKNESS


def _rule(box: Box) -> Rule:
    """A thin box's rule along its longer side, through its middle."""
    if box.width >= box.height:
        return Rule(True, (box.y0 + box.y1) / 2, box.x0, box.x1)
    return Rule(False, (box.x0 + box.x1) / 2, box.y0, box.y1)


def _sides(box: Box) -> list[Rule]:
    return [Rule(True, box.y0, box.x0, box.x1), Rule(True, box.y1, box.x0, box.x1),
            Rule(False, box.x0, box.y0, box.y1), Rule(False, box.x1, box.y0, box.y1)]


def _rule_box(rule: Rule) -> Box:
    if rule.across:
        return Box(rule.start, rule.at, rule.end, rule.at, Space.PAGE)
    return Box(rule.at, rule.start, rule.at, rule.end, Space.PAGE)


def _inside(box: Box, boxes: list[Box]) -> bool:
    return any(box.x0 >= b.x0 - SNAP and box.y0 >= b.y0 - SNAP and box.x1 <= b.x1 + SNAP
               and box.y1 <= b.y1 + SNAP for b in boxes)


# -- rules into tables ------------------------------------------------------------------------

def _joined(rules: list[Rule]) -> list[Rule]:
    """Pieces of one rule (same direction, same line, touching end to end) joined."""
    out: list[Rule] = []
    for rule in sorted(rules, key=lambda r: (r.across, r.at, r.start)):
        near = (have for have in reversed(out) if have.across == rule.across and rule.at - have.at <= SNAP)
        have = next((h for h in near if rule.start <= h.end + SNAP and h.start <= rule.end + SNAP), None)
        if have is None:
            out.append(Rule(rule.across, rule.at, rule.start, rule.end))
        else:
            have.start, have.end = min(have.start, rule.start), max(have.end, rule.end)
    return out


def _skeletons(rules: list[Rule]) -> list[list[Rule]]:
    """Rules grouped by touching: each horizontal with the verticals it meets, transitively."""
    sets = DisjointSets(len(rules))
    across = [i for i, r in enumerate(rules) if r.across]
    down = [i for i, r in enumerate(rules) if not r.across]
    for i in across:
        for j in down:
            if rules[i].touches(rules[j]):
                sets.join(j, i)
    return [[rules[i] for i in group] for group in sets.groups()]


def _grid(rules: list[Rule]) -> CellGrid | None:
    """The table a skeleton rules, or None when it rules fewer than 2 x 2 cells."""
    box = union_of(_rule_box(r) for r in rules)
    rows = _positions([r.at for r in rules if r.across], box.y0, box.y1)
    cols = _positions([r.at for r in rules if not r.across], box.x0, box.x1)
    if len(rows) <= MIN_CELLS or len(cols) <= MIN_CELLS:
        return None
    n_rows, n_cols = len(rows) - 1, len(cols) - 1

    def ruled(across: bool, at: float, start: float, end: float) -> bool:
        return any(r.across == across and abs(r.at - at) <= SNAP and r.covers(start, end) for r in rules)

    parent = list(range(n_rows * n_cols))  # lattice cells; those with no rule between are one

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not ruled(False, cols[c + 1], rows[r], rows[r + 1]):
                parent[root(r * n_cols + c + 1)] = root(r * n_cols + c)
            if r + 1 < n_rows and not ruled(True, rows[r + 1], cols[c], cols[c + 1]):
                parent[root((r + 1) * n_cols + c)] = root(r * n_cols + c)
    spans: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        spans.setdefault(root(i), []).append(i)
    cells = []
    for members in spans.values():
        rs, cs = [i // n_cols for i in members], [i % n_cols for i in members]
        cells.append((min(rs), min(cs), Box(cols[min(cs)], rows[min(rs)], cols[max(cs) + 1],
                                            rows[max(rs) + 1], Space.PAGE)))
    cells.sort(key=lambda cell: (cell[0], cell[1]))
    return CellGrid(Box(cols[0], rows[0], cols[-1], rows[-1], Space.PAGE), cells, n_rows, n_cols)


def _positions(values: list[float], low: float, high: float) -> list[float]:
    """Rule positions from ``low`` to ``high`` (the skeleton's edges), those within SNAP as one."""
    out: list[float] = []
    for v in sorted([low, *values, high]):
        if not out or v - out[-1] > SNAP:
            out.append(v)
    return out


def _whole_cells(box: Box, grid: CellGrid) -> bool:
    """Whether a fill inside ``grid`` lies along its rules (shading of whole cells)."""
    xs = {round(v, 1) for _r, _c, b in grid.cells for v in (b.x0, b.x1)}
    ys = {round(v, 1) for _r, _c, b in grid.cells for v in (b.y0, b.y1)}
    return all(any(abs(v - e) <= SNAP for e in edges)
               for v, edges in ((box.x0, xs), (box.x1, xs), (box.y0, ys), (box.y1, ys)))

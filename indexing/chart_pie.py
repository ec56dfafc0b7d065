"""Pie charts read into one row of shares, one column per slice.

From the marks (a vector drawing, or a scan's disk): each slice takes the name and the share
printed at its angle about the centre, or its legend entry (by colour) and its share measured
from its angle, marked estimated. From words only (a scan read without its image): the
"name share%" labels, ordered clockwise from 12 o'clock about their middle.
"""

from __future__ import annotations

import math

from indexing.chart_marks import Color, Marks, clock_angle, same_color
from indexing.chart_table import Cell, Row, centre, cx, cy, dist, make_table
from indexing.chart_words import Label, Legend, legend, title
from indexing.geometry import Box
from indexing.model import Table

AGREE = 0.03  # a printed share and the measured one differ by at most 3 percentage points


def pie_from_marks(labels: list[Label], marks: Marks) -> Table | None:
    """Slices in drawing order; each takes the name and the share printed at its angle, or
    its legend name and its measured share."""
    assert marks.centre is not None
    ox, oy, r = marks.centre
    keys = legend(labels, marks.rects)
    keyed = {id(k.label) for k in keys}
    near = [lb for lb in labels
            if id(lb) not in keyed and math.dist(centre(lb.box), (ox, oy)) < 1.8 * r]
    names, cells = [], {}
    for i, s in enumerate(marks.slices):
        mine = [lb for lb in near if _in_slice(lb.box, s.mid, s.sweep, ox, oy)]
        name, share = _slice_labels(mine, _key_of(s.color, keys), s.box)
        if share is not None and abs(share.number - 100 * s.sweep / 360) > AGREE * 100:
            share = None  # a misread share (OCR: "3.9%" for "13.9%") or another slice's
        names.append(Cell(name.text, name.box) if name else Cell("", None))
        cells[(0, i)] = Cell(share.text, share.box) if share else \
            Cell(f"{100 * s.sweep / 360:.1f}%", s.box, estimated=True)
    if not any(n.text for n in names):
        return None
    return _one_row(title(labels, [], keys, below=oy - r), names, cells)


def _slice_labels(mine: list[Label], key: Legend | None, mark: Box
                  ) -> tuple[Label | None, Label | None]:
    """A slice's name (its legend entry, else the nearest word at its angle) and share (the
    number at its angle nearest the name)."""
    words = [lb for lb in mine if lb.number is None]
    name = key.label if key else (min(words, key=lambda lb: dist(lb, mark)) if words else None)
    shares = [lb for lb in mine if lb.number is not None]
    anchor = name.box if name else mark
    return name, (min(shares, key=lambda lb: dist(lb, anchor)) if shares else None)


def _key_of(color: Color, keys: list[Legend]) -> Legend | None:
    """The legend entry of ``color``: the nearest within reach, and clearly nearer than the
    next (gray scans make some colours alike)."""
    near = sorted((_color_gap(color, k.color), i) for i, k in enumerate(keys) if k.color)
    if not near or not same_color(color, keys[near[0][1]].color):
        return None
    if len(near) > 1 and near[1][0] < near[0][0] + 0.03:
        return None
    return keys[near[0][1]]


def _color_gap(a: Color, b: Color) -> float:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def pie_from_words(labels: list[Label]) -> Table | None:
    """A pie on a scan read without marks: its "name share%" labels, clockwise from the top."""
    shares = [lb for lb in labels if lb.number is not None and lb.text.endswith("%")]
    if len(shares) < 2:
        return None
    names = [lb for lb in labels if lb.number is None]
    pairs = []
    for s in shares:
        left = [n for n in names if abs(cy(n.box) - cy(s.box)) < 0.6 * s.box.height
                and 0 <= s.box.x0 - n.box.x1 < 2.0 * s.box.height]
        pairs.append((s, max(left, key=lambda n: n.box.x1) if left else None))
    if any(n is None for _, n in pairs):
        return None
    ox = sum(cx(s.box) for s, _ in pairs) / len(pairs)
    oy = sum(cy(s.box) for s, _ in pairs) / len(pairs)
    pairs.sort(key=lambda p: clock_angle(cx(p[0].box), cy(p[0].box), ox, oy))
    used = {id(x) for s, n in pairs for x in (s, n)}
    top = title([lb for lb in labels if id(lb) not in used], [], [])
    cells = {(0, i): Cell(s.text, s.box) for i, (s, _) in enumerate(pairs)}
    return _one_row(top, [Cell(n.text, n.box) for _, n in pairs], cells)


def _one_row(top: Label | None, heads: list[Cell], cells: dict[tuple[int, int], Cell]) -> Table:
    """The pie's table: its slices as columns, one row named by the title."""
    return make_table(heads, [Row(top.text if top else "", None, top.box if top else None)],
                      cells)


def _in_slice(b: Box, mid: float, sweep: float, ox: float, oy: float) -> bool:
    d = abs((clock_angle(cx(b), cy(b), ox, oy) - mid + 180) % 360 - 180)
    return d <= sweep / 2

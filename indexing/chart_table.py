"""What a chart reader builds: cells, series rows and the table they make, and box helpers.

``indexing.chart_data`` (bars, lines) and ``indexing.chart_pie`` (pies) both end in the same
table: row 0 the categories under an empty corner, one row per series led by its name, each
cell's box the printed label's box or, for a value measured from the marks, the mark's box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from indexing.chart_marks import Color
from indexing.chart_words import Label
from indexing.geometry import Box
from indexing.model import Table, TableCell


@dataclass(slots=True)
class Cell:
    """One value: its text, where it is, and whether it was measured, not printed."""

    text: str
    box: Box | None
    estimated: bool = False


@dataclass(slots=True)
class Row:
    """A series: its name (the legend's, or the title's for a lone series) and colour."""

    name: str
    color: Color | None
    box: Box | None = None


def make_table(heads: list[Cell], series: list[Row], cells: dict[tuple[int, int], Cell]
               ) -> Table:
    """Header row of ``heads``, then one row per series with its cells (``(series, column)``)."""
    out = [TableCell(0, 0, "")]
    out += [TableCell(0, c + 1, h.text, h.box) for c, h in enumerate(heads)]
    for s, ser in enumerate(series):
        out.append(TableCell(s + 1, 0, ser.name, ser.box))
        for c in range(len(heads)):
            cell = cells.get((s, c), Cell("", None))
            out.append(TableCell(s + 1, c + 1, cell.text, cell.box, estimated=cell.estimated))
    return Table(out, len(series) + 1, len(heads) + 1, header_rows=1)


def dist(label: Label, b: Box) -> float:
    return math.dist(centre(label.box), centre(b))


def centre(b: Box) -> tuple[float, float]:
    return (cx(b), cy(b))


def cx(b: Box) -> float:
    return (b.x0 + b.x1) / 2


def cy(b: Box) -> float:
    return (b.y0 + b.y1) / 2

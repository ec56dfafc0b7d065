"""Type for the training pages: Nanum font families, a canvas that keeps every line it drew,
the box of a phrase inside a line, and ruled tables whose header has merged cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pymupdf

from indexing.geometry import Box, Space
from vlm.synth.canvas import Canvas, Line
from vlm.synth.pdf import A4, korean_font
from vlm.synth.rendered import TextBox

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FAMILIES: dict[str, tuple[str, str]] = {
    "gothic": ("NanumGothic.ttf", "NanumGothicBold.ttf"),
    "myeongjo": ("NanumMyeongjo.ttf", "NanumMyeongjoBold.ttf"),
    "barun": ("NanumBarunGothic.ttf", "NanumBarunGothicBold.ttf"),
    "square": ("NanumSquareR.ttf", "NanumSquareB.ttf"),
}
HEADER_FILL = (0.88, 0.9, 0.93)
RULE = (0.25, 0.25, 0.25)


def font_path(family: str, bold: bool = False) -> Path:
    """The file of ``family``'s regular or bold face (NanumGothic's when it is missing)."""
    path = FONT_DIR / FAMILIES[family][1 if bold else 0]
    return path if path.exists() else FONT_DIR / FAMILIES["gothic"][1 if bold else 0]


@cache
def family_fonts(family: str) -> tuple[pymupdf.Font, pymupdf.Font]:
    """(regular, bold) PyMuPDF fonts of ``family``; the built-in CJK font without Nanum."""
    paths = (font_path(family, False), font_path(family, True))
    if not all(p.exists() for p in paths):
        return korean_font(), korean_font()
    regular, bold = (pymupdf.Font(fontfile=str(p)) for p in paths)
    return regular, bold


class RecordingCanvas(Canvas):
    """A canvas in one font family that keeps every line drawn, charts' labels included."""

    def __init__(self, family: str, page_size: tuple[float, float] = A4) -> None:
        super().__init__(page_size, fonts=family_fonts(family))
        self.drawn: list[Line] = []

    def text(self, page: int, x: float, top: float, text: str, size: float,
             **kwargs: Any) -> Line:
        line = super().text(page, x, top, text, size, **kwargs)
        self.drawn.append(line)
        return line

    def words(self) -> list[TextBox]:
        return [TextBox(w.text, w.box) for line in self.drawn for w in line.words]


def span_box(canvas: Canvas, line: Line, start: int, end: int, size: float,
             bold: bool = False) -> Box:
    """The box of characters ``start:end`` of ``line``'s text (words joined by one space)."""
    text = " ".join(w.text for w in line.words)
    x0, box = line.words[0].box.x0, line.box
    return Box(x0 + canvas.width(text[:start], size, bold), box.y0,
               x0 + canvas.width(text[:end], size, bold), box.y1, Space.PAGE)


@dataclass(slots=True)
class GroupedTable:
    """A drawn table with a two-row header: merged group cells over their sub-columns."""

    box: Box
    headers: list[TextBox]
    labels: list[TextBox]  # the row labels, top to bottom
    cells: list[list[TextBox]]  # the value texts, row by row


@dataclass(frozen=True, slots=True)
class TableStyle:
    ruling: str = "grid"  # "grid": every rule; "rules": horizontal rules only
    shade: bool = True
    size: float = 9.0
    row_height: float = 19.0


def grouped_table(canvas: Canvas, page: int, x0: float, top: float, corner: str,
                  groups: list[str], subs: list[str], body: list[tuple[str, list[str]]],
                  widths: tuple[float, float], style: TableStyle = TableStyle()) -> GroupedTable:
    """Draw a table whose first header row merges ``len(subs)`` columns under each group and
    whose corner cell spans both header rows; values right-aligned as printed reports set
    them. ``widths`` are the label column's and each value column's."""
    first, col = widths
    rh, size = style.row_height, style.size
    edges = [x0, x0 + first] + [x0 + first + col * (i + 1) for i in range(len(groups) * len(subs))]
    right, head = edges[-1], top + 2 * rh
    bottom = head + rh * len(body)
    _rules(canvas, page, edges, top, rh, bottom, len(subs), style)
    pad = (rh - size * 1.15) / 2
    text = canvas.text
    headers = [_tb(text(page, x0 + first / 2, top + rh - size * 0.6, corner, size, bold=True,
                        align="center"))]
    span = col * len(subs)
    for g, name in enumerate(groups):
        gx = edges[1] + g * span
        headers.append(_tb(text(page, gx + span / 2, top + pad, name, size, bold=True,
                                align="center")))
        headers += [_tb(text(page, gx + col * (i + 0.5), top + rh + pad, sub, size,
                             bold=True, align="center")) for i, sub in enumerate(subs)]
    labels, cells = [], []
    for r, (label, values) in enumerate(body):
        y = head + r * rh + pad
        labels.append(_tb(text(page, x0 + 5, y, label, size, bold=style.ruling == "grid")))
        cells.append([_tb(text(page, edges[c + 2] - 5, y, v, size, align="right"))
                      for c, v in enumerate(values)])
    return GroupedTable(Box(x0, top, right, bottom, Space.PAGE), headers, labels, cells)


def _tb(line: Line) -> TextBox:
    return TextBox(" ".join(w.text for w in line.words), line.box)


def _rules(canvas: Canvas, page: int, edges: list[float], top: float, rh: float,
           bottom: float, per_group: int, style: TableStyle) -> None:
    x0, right, head = edges[0], edges[-1], top + 2 * rh
    shape = canvas.shape(page)
    if style.shade:
        shape.draw_rect(pymupdf.Rect(x0, top, right, head))
        shape.finish(fill=HEADER_FILL, width=0)
    if style.ruling == "grid":
        ys = [top, head, *(head + rh * (i + 1) for i in range(round((bottom - head) / rh)))]
        for y in ys:
            shape.draw_line((x0, y), (right, y))
        shape.draw_line((edges[1], top + rh), (right, top + rh))  # under the merged cells
        for i, x in enumerate(edges):
            # Group borders run the full height; sub-columns start under their group cell.
            full = i <= 1 or (i - 1) % per_group == 0
            shape.draw_line((x, top if full else top + rh), (x, bottom))
        shape.finish(color=RULE, width=0.6, closePath=False)
    else:
        for g in range(1, len(edges) - 1, per_group):
            shape.draw_line((edges[g] + 4, top + rh), (edges[g + per_group] - 4, top + rh))
        shape.draw_line((x0, head), (right, head))
        shape.finish(color=RULE, width=0.6, closePath=False)
        shape.draw_line((x0, top), (right, top))
        shape.draw_line((x0, bottom), (right, bottom))
        shape.finish(color=RULE, width=1.3, closePath=False)
    shape.commit()

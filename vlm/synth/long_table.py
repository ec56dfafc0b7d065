"""A long table that flows over pages: a title, a paragraph, then 45-60 ruled rows.

Printed reports break a long table at the page's foot and go on at the top of the next page,
usually without the header row (``header="first"``), sometimes repeating it on every page
(``header="repeat"``). The gold values come back per row label and column header, with the
page each row was drawn on and its cell boxes, so that tests can ask about a row on page 2
and check the answer's citations on every page the table covers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from indexing.geometry import Box
from vlm.synth.canvas import Canvas, ruled_table, union
from vlm.synth.pdf import A4, MARGIN

TITLE_SIZE, BODY_SIZE, CELL_SIZE, FOOT_SIZE = 18.0, 10.5, 9.0, 8.0
BOTTOM = A4[1] - MARGIN  # the lowest a row may reach
HeaderMode = Literal["first", "repeat"]


@dataclass(slots=True)
class TablePart:
    """The rows drawn on one page: ``rows`` are indices into ``LongTable.rows``."""

    page: int
    box: Box
    rows: list[int]
    header: bool  # whether the header row was drawn on this page


@dataclass(slots=True)
class LongTable:
    pdf: bytes
    title: str
    header: list[str]  # corner, then the year columns
    rows: list[list[str]]  # label, then the values, in drawing order
    values: dict[tuple[str, str], str]  # (row label, column header) -> the printed value
    row_page: dict[str, int]  # row label -> its 1-based page
    cells: dict[tuple[str, str], tuple[int, Box]] = field(default_factory=dict)  # -> (page, box)
    parts: list[TablePart] = field(default_factory=list)
    page_count: int = 0

    def label_on(self, page: int, nth: int = 0) -> str:
        """The ``nth`` row label drawn on ``page``, counted from the middle of its part (a
        row away from the page break)."""
        labels = [r[0] for r in self.rows if self.row_page[r[0]] == page]
        return labels[min(len(labels) - 1, len(labels) // 2 + nth)]


def long_table(n_rows: int = 50, *, header: HeaderMode = "first", years: tuple[int, ...] = (2019, 2020, 2021, 2022, 2023),
               seed: int = 0, label: str = "지역", title: str = "지역별 사업체 수 현황",
               row_height: float = 20.0, page_numbers: bool = True) -> LongTable:
    """A PDF whose one table of ``n_rows`` rows (``지역 01``...) runs over two or three pages.

    ``header="first"`` draws the header row on page 1 only, ``"repeat"`` on every page.
    ``row_height`` sets how many rows a page holds (20 pt: about 28 on page 1, 34 after).
    Page numbers (``- 2 -``) are drawn at the foot of each page unless ``page_numbers`` is off.
    """
    rng = random.Random(seed)
    canvas = Canvas(A4)
    head = ["구분", *(f"{y}년" for y in years)]
    rows = []
    for i in range(1, n_rows + 1):
        level, values = float(rng.randint(1_200, 60_000)), []
        for _ in years:  # a walk of yearly changes between -8% and +12%
            level *= 1 + rng.uniform(-0.08, 0.12)
            values.append(f"{int(level):,}")
        rows.append([f"{label} {i:02d}", *values])
    page = _new_page(canvas, page_numbers)
    y = MARGIN
    canvas.text(page, MARGIN, y, title, TITLE_SIZE, bold=True)
    y += TITLE_SIZE * 2.0
    intro = (f"다음 표는 {years[0]}년부터 {years[-1]}년까지 {label}별 사업체 수를 정리한 것이다. "
             f"표는 {n_rows}개 항목을 모두 싣고 있어 여러 쪽에 걸쳐 이어진다.")
    for line in canvas.wrap(intro, A4[0] - 2 * MARGIN, BODY_SIZE):
        canvas.text(page, MARGIN, y, line, BODY_SIZE)
        y += BODY_SIZE * 1.6
    y += BODY_SIZE
    widths = [110.0] + [(A4[0] - 2 * MARGIN - 110.0) / len(years)] * len(years)
    out = LongTable(b"", title, head, rows, {}, {})
    at = 0
    while at < len(rows):
        with_head = not out.parts or header == "repeat"
        room = int((BOTTOM - y) // row_height) - (1 if with_head else 0)
        if room < 3:  # never a part of one or two rows: the table starts on the next page
            page, y = _new_page(canvas, page_numbers), MARGIN
            continue
        take = list(range(at, min(len(rows), at + room)))
        grid = ([head] if with_head else []) + [rows[i] for i in take]
        drawn = ruled_table(canvas, page, MARGIN, y, grid, widths, row_height=row_height,
                            size=CELL_SIZE, header=with_head).cells
        first = 1 if with_head else 0
        for k, i in enumerate(take):
            name = rows[i][0]
            out.row_page[name] = page
            for c, col in enumerate(head[1:], 1):
                out.values[(name, col)] = rows[i][c]
                out.cells[(name, col)] = (page, drawn[(first + k, c)])
        part_box = union(list(drawn.values()))
        out.parts.append(TablePart(page, part_box, take, with_head))
        at += len(take)
        if at < len(rows):
            page, y = _new_page(canvas, page_numbers), MARGIN
    out.pdf = canvas.finish()
    out.page_count = canvas.page_count
    return out


def _new_page(canvas: Canvas, page_numbers: bool) -> int:
    page = canvas.new_page()
    if page_numbers:
        canvas.text(page, A4[0] / 2, A4[1] - 44, f"- {page} -", FOOT_SIZE, align="center",
                    color=(0.4, 0.4, 0.4))
    return page

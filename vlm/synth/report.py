"""Lays out one report of a template for one entity and edition, recording its evidence.

The text is the template's, the numbers come in as ``Values``; the result is the PDF with the
page boxes that hold each paragraph fact, table cell and chart value label.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from indexing.geometry import Box
from vlm.synth.canvas import KEEP, Canvas, Line, ruled_table, union
from vlm.synth.charts import chart
from vlm.synth.pdf import A4, SynthWord
from vlm.synth.templates import Quantity, Section, Template

MARGIN = 62.0
TOP = 68.0  # below the running header
BOTTOM = A4[1] - 64.0
BODY, LEADING = 10.0, 1.65
HEADING, TITLE, CAPTION, SMALL = 13.0, 21.0, 9.5, 8.0
GRAY = (0.4, 0.4, 0.4)
CHART_SIZE = (400.0, 215.0)
YEARS = 5


@dataclass(frozen=True, slots=True)
class GoldBox:
    """Where evidence lies: a 1-based page and a box in its PDF points, origin top-left."""

    page: int
    box: Box


@dataclass(slots=True)
class Values:
    """The numbers of one report, formatted as printed (without units)."""

    edition: int
    years: tuple[int, ...]
    facts: dict[str, str]
    table: dict[tuple[str, int], str]  # (metric name, year)
    chart: dict[int, str]


@dataclass(slots=True)
class Report:
    """A rendered report and the boxes of its evidence."""

    pdf: bytes
    title: str
    title_box: GoldBox
    facts: dict[str, GoldBox] = field(default_factory=dict)  # the sentence's words on its line
    cells: dict[tuple[str, int], GoldBox] = field(default_factory=dict)
    points: dict[int, GoldBox] = field(default_factory=dict)  # chart value labels by year
    page_count: int = 0


def number(value: float, decimals: int) -> str:
    """A number as the reports print it: thousands separators, fixed decimals."""
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0.0"


def parse_number(text: str) -> float:
    return float(text.replace(",", ""))


def series(q: Quantity, n: int, rng: random.Random) -> list[str]:
    """``n`` yearly values of ``q``: a random walk for levels, independent draws for rates."""
    if not q.walk:
        return [number(rng.uniform(q.low, q.high), q.decimals) for _ in range(n)]
    value, out = rng.uniform(q.low, q.high), []
    for _ in range(n):
        out.append(number(value, q.decimals))
        value *= 1 + rng.uniform(*q.drift)
    return out


def sample_values(template: Template, edition: int, rng: random.Random) -> Values:
    years = tuple(range(edition - YEARS + 1, edition + 1))
    facts = {q.key: number(rng.uniform(q.low, q.high), q.decimals) for q in template.facts}
    table = {}
    for q in template.table.metrics:
        table.update({(q.name, y): v for y, v in zip(years, series(q, YEARS, rng), strict=True)})
    points = {}
    if template.chart is not None:
        points = dict(zip(years, series(template.chart.quantity, YEARS, rng), strict=True))
    return Values(edition, years, facts, table, points)


class _Flow:
    """A cursor going down the pages of one column, breaking pages as blocks need room."""

    def __init__(self, canvas: Canvas, header: str) -> None:
        self.canvas, self.header = canvas, header
        self.x0, self.x1 = MARGIN, A4[0] - MARGIN
        self.page, self.y = 0, TOP
        self.break_page()

    def break_page(self) -> None:
        self.page = self.canvas.new_page()
        self.y = TOP
        c = self.canvas
        c.text(self.page, A4[0] - MARGIN, 38, self.header, SMALL, align="right", color=GRAY)
        shape = c.shape(self.page)
        shape.draw_line((MARGIN, 52), (A4[0] - MARGIN, 52))
        shape.finish(color=(0.6, 0.6, 0.6), width=0.5, closePath=False)
        shape.commit()
        c.text(self.page, A4[0] / 2, A4[1] - 44, f"- {self.page} -", SMALL, align="center",
               color=GRAY)

    def ensure(self, height: float) -> None:
        if self.y + height > BOTTOM:
            self.break_page()

    def lines(self, text: str, size: float, *, bold: bool = False, align: str = "left",
              color: tuple[float, float, float] = (0, 0, 0)) -> list[Line]:
        out = []
        x = {"left": self.x0, "center": (self.x0 + self.x1) / 2}[align]
        for line in self.canvas.wrap(text, self.x1 - self.x0, size, bold):
            self.ensure(size * LEADING)
            out.append(self.canvas.text(self.page, x, self.y, line, size, bold=bold,
                                        align=align, color=color))
            self.y += size * LEADING
        return out

    def heading(self, text: str) -> None:
        # A heading never ends a page: it keeps at least two body lines with it.
        self.ensure(HEADING * 2.2 + BODY * LEADING * 2)
        self.y += HEADING * 0.7
        self.lines(text, HEADING, bold=True)
        self.y += HEADING * 0.15

    def paragraph(self, text: str) -> list[SynthWord]:
        words = [w for line in self.lines(text, BODY) for w in line.words]
        self.y += BODY * 0.6
        return words


class _Builder:
    def __init__(self, template: Template, values: Values) -> None:
        self.t, self.v = template, values
        self.canvas = Canvas(A4)
        self.flow = _Flow(self.canvas, template.header)
        units = {q.key: q.unit for q in template.facts}
        self.fields = {"edition": str(values.edition), "first": str(values.years[0])}
        self.fields.update({k: (v + units[k]).replace(" ", KEEP) for k, v in values.facts.items()})

    def fill(self, text: str) -> str:
        return text.format(**self.fields)

    def title(self, entity: str) -> Report:
        f = self.flow
        text = self.t.title.format(entity=entity, edition=self.v.edition)
        f.y = TOP + 22
        # A bracketed tail such as "(2023년 개정판)" wraps as a whole.
        kept = re.sub(r"\([^)]*\)", lambda m: m.group().replace(" ", KEEP), text)
        lines = f.lines(kept, TITLE, bold=True, align="center")
        f.y += 4
        f.lines(self.fill(self.t.subtitle), BODY, align="center", color=GRAY)
        f.y += 18
        box = union([ln.box for ln in lines])
        return Report(b"", text, GoldBox(lines[0].page, box))

    def sections(self, sections: tuple[Section, ...], report: Report) -> None:
        for section in sections:
            self.flow.heading(self.fill(section.heading))
            for para in section.paragraphs:
                self.fact_paragraph(para, report)

    def columns(self, sections: tuple[Section, ...], report: Report) -> None:
        f = self.flow
        half = (len(sections) + 1) // 2
        left, right, top, page = sections[:half], sections[half:], f.y, f.page
        mid, gap = (MARGIN + A4[0] - MARGIN) / 2, 10.0
        f.x1 = mid - gap
        self.sections(left, report)
        bottom = f.y
        f.x0, f.x1, f.y = mid + gap, A4[0] - MARGIN, top
        self.sections(right, report)
        if f.page != page:
            raise ValueError(f"{self.t.key}: the two-column part does not fit on one page")
        f.x0, f.y = MARGIN, max(bottom, f.y)

    def fact_paragraph(self, text: str, report: Report) -> None:
        tokens = text.split(" ")
        words = self.flow.paragraph(self.fill(text))
        spans, at = [], 0
        for token in tokens:
            n = len(self.fill(token).replace(KEEP, " ").split())
            spans.append((at, at + n))
            at += n
        for key in self.v.facts:
            hit = next((i for i, tok in enumerate(tokens) if "{" + key + "}" in tok), None)
            if hit is not None:
                report.facts[key] = _sentence_box(words, spans, tokens, hit)

    def table(self, report: Report) -> None:
        spec, v, c, f = self.t.table, self.v, self.canvas, self.flow
        grid, keys = _grid(spec.metrics, v, spec.transposed, spec.corner)
        row_h, size = 21.0, 9.0
        f.ensure(HEADING * 2.2 + BODY * LEADING * 3 + CAPTION * 2 + row_h * len(grid))
        f.heading(self.fill(spec.heading))
        f.paragraph(self.fill(spec.intro))
        f.y += 4
        f.lines(self.fill(spec.caption), CAPTION, bold=True, align="center")
        f.y += 1
        widths = _col_widths(c, grid, f.x1 - f.x0, size)
        x0 = (f.x0 + f.x1 - sum(widths)) / 2
        drawn = ruled_table(c, f.page, x0, f.y, grid, widths, row_height=row_h, size=size)
        report.cells.update({k: GoldBox(f.page, drawn.cells[rc]) for rc, k in keys.items()})
        f.y = drawn.box.y1 + BODY * 1.5

    def chart(self, report: Report) -> None:
        spec, v, f = self.t.chart, self.v, self.flow
        assert spec is not None
        w, h = CHART_SIZE
        f.ensure(HEADING * 2.2 + BODY * LEADING * 3 + h + CAPTION * 2.5)
        f.heading(self.fill(spec.heading))
        f.paragraph(self.fill(spec.intro))
        f.y += 4
        x0 = (f.x0 + f.x1 - w) / 2
        frame = Box(x0, f.y, x0 + w, f.y + h)
        texts = [v.chart[y] for y in v.years]
        drawn = chart(self.canvas, f.page, frame, spec.title, [f"{y}년" for y in v.years],
                      [parse_number(t) for t in texts], texts, kind=spec.kind)
        report.points.update({y: GoldBox(f.page, lab.box)
                              for y, lab in zip(v.years, drawn.value_labels, strict=True)})
        f.y = frame.y1 + 6
        f.lines(self.fill(spec.caption), CAPTION, bold=True, align="center")
        f.y += BODY

    def build(self, entity: str) -> Report:
        report = self.title(entity)
        for block in self.t.plan:
            match block:
                case "intro" if self.t.columns == 2:
                    self.columns(self.t.intro, report)
                case "intro":
                    self.sections(self.t.intro, report)
                case "table":
                    self.table(report)
                case "chart":
                    self.chart(report)
                case "closing":
                    self.sections(self.t.closing, report)
                case "more":
                    self.sections(self.t.more, report)
                case "break":
                    self.flow.break_page()
                case _:
                    raise ValueError(f"unknown block {block!r} in {self.t.key}")
        report.page_count = self.canvas.page_count
        report.pdf = self.canvas.finish()
        return report


def render(template: Template, entity: str, values: Values) -> Report:
    """The PDF of ``template`` for ``entity`` with ``values``, and where its evidence lies."""
    return _Builder(template, values).build(entity)


def _sentence_box(words: list[SynthWord], spans: list[tuple[int, int]], tokens: list[str],
                  hit: int) -> GoldBox:
    """The words of the sentence holding token ``hit`` that share a line with it."""
    start = hit
    while start > 0 and not tokens[start - 1].endswith("."):
        start -= 1
    end = hit
    while end < len(tokens) - 1 and not tokens[end].endswith("."):
        end += 1
    first = words[spans[hit][0]]
    sentence = words[spans[start][0]:spans[end][1]]
    same_line = [w for w in sentence if w.page == first.page and abs(w.box.y0 - first.box.y0) < 1]
    return GoldBox(first.page, union([w.box for w in same_line]))


def _grid(metrics: tuple[Quantity, ...], v: Values, transposed: bool, corner: str
          ) -> tuple[list[list[str]], dict[tuple[int, int], tuple[str, int]]]:
    """The table's cells, header first, and which (metric, year) each value cell holds."""
    years = [f"{y}년" for y in v.years]
    keys: dict[tuple[int, int], tuple[str, int]] = {}
    if transposed:
        grid = [[corner, *(m.heading for m in metrics)]]
        for r, y in enumerate(v.years, start=1):
            grid.append([years[r - 1], *(v.table[(m.name, y)] for m in metrics)])
            keys.update({(r, c): (m.name, y) for c, m in enumerate(metrics, start=1)})
    else:
        grid = [[corner, *years]]
        for r, m in enumerate(metrics, start=1):
            grid.append([m.heading, *(v.table[(m.name, y)] for y in v.years)])
            keys.update({(r, c): (m.name, y) for c, y in enumerate(v.years, start=1)})
    return grid, keys


def _col_widths(canvas: Canvas, grid: list[list[str]], avail: float, size: float) -> list[float]:
    """A first column as wide as its labels; the others share the rest, at most 96 pt each.

    Widths follow the labels, never the values, so the reports of one template share their
    column widths whatever their numbers.
    """
    first = max(canvas.width(row[0], size, bold=True) for row in grid) + 16
    heads = max(canvas.width(t, size, bold=True) for t in grid[0][1:]) + 14
    n = len(grid[0]) - 1
    other = min(max(heads, 64.0), 96.0, (avail - first) / n)
    return [first, *([other] * n)]

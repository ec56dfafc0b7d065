"""One training page: a title, fact paragraphs, a merged-header table and a chart, laid out in
one of several styles, with the box of everything drawn and the frames of its three blocks.

The chart is either drawn with PyMuPDF shapes (``charts``) or a matplotlib image
(``mpl_charts``) placed on the page; either way its truth comes back in page points.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pymupdf

from indexing.geometry import Box, Space
from vlm.synth.canvas import KEEP, Line, union
from vlm.synth.charts import series_chart
from vlm.synth.mpl_charts import MplChart, draw_chart
from vlm.synth.pdf import A4
from vlm.synth.rendered import (
    ChartPoint,
    ChartTruth,
    FactTruth,
    Layout,
    TableTruth,
    TextBox,
    affine,
    map_layout,
)
from vlm.synth.topics import Content, TableData, year_label
from vlm.synth.typeset import FAMILIES, RecordingCanvas, TableStyle, grouped_table, span_box

GRAY = (0.4, 0.4, 0.4)
PAD = 8.0  # around a block's frame, so a crop keeps a little paper around its ink


@dataclass(frozen=True, slots=True)
class Style:
    family: str
    margin: float
    body: float
    title_size: float
    title_align: str  # "left" or "center"
    running_header: bool
    table_first: bool
    engine: str  # "matplotlib" or "vector"
    table: TableStyle
    table_top: str  # which header is merged over the other: "year" or "metric"
    chart_caption: bool


def sample_style(rng: random.Random, chart_kind: str) -> Style:
    """A layout style; ``barh`` charts exist only in matplotlib."""
    engine = "matplotlib" if chart_kind == "barh" or rng.random() < 0.55 else "vector"
    table = TableStyle(rng.choice(("grid", "rules")), rng.random() < 0.6,
                       rng.choice((8.5, 9.0, 9.5)), rng.choice((18.0, 19.0, 20.0)))
    return Style(rng.choice(sorted(FAMILIES)), rng.choice((50.0, 58.0, 66.0)),
                 rng.choice((9.5, 10.0, 10.5)), rng.choice((17.0, 19.0, 21.0)),
                 rng.choice(("left", "center")), rng.random() < 0.6, rng.random() < 0.6, engine,
                 table, rng.choice(("year", "metric")), rng.random() < 0.5)


@dataclass(slots=True)
class Page:
    """A laid-out page: its PDF, its layout in page points and its blocks' frames."""

    pdf: bytes
    layout: Layout
    frames: dict[str, Box] = field(default_factory=dict)  # "document", "table", "chart"
    chart_image: MplChart | None = None  # a matplotlib chart, in pixels of its own image
    size: tuple[float, float] = A4


class _Builder:
    def __init__(self, content: Content, style: Style, rng: random.Random) -> None:
        self.k, self.s, self.rng = content, style, rng
        self.c = RecordingCanvas(style.family)
        self.p = self.c.new_page()
        self.x0, self.x1 = style.margin, A4[0] - style.margin
        self.y, self.bottom = style.margin, A4[1] - style.margin
        self.layout = Layout()
        self.frames: dict[str, Box] = {}
        self.mpl: MplChart | None = None
        self.lang = content.lang

    def line(self, text: str, size: float, *, bold: bool = False, align: str = "left",
             color: tuple[float, float, float] = (0, 0, 0), leading: float = 1.6) -> list[Line]:
        out = []
        x = {"left": self.x0, "center": (self.x0 + self.x1) / 2, "right": self.x1}[align]
        for ln in self.c.wrap(text, self.x1 - self.x0, size, bold):
            out.append(self.c.text(self.p, x, self.y, ln, size, bold=bold, align=align,
                                   color=color))
            self.y += size * leading
        return out

    def head(self) -> None:
        s, k = self.s, self.k
        if s.running_header:
            self.c.text(self.p, self.x1, s.margin - 26, k.subtitle, 7.5, align="right", color=GRAY)
            shape = self.c.shape(self.p)
            shape.draw_line((self.x0, s.margin - 14), (self.x1, s.margin - 14))
            shape.finish(color=(0.6, 0.6, 0.6), width=0.5, closePath=False)
            shape.commit()
        top = self.y
        lines = self.line(k.title, s.title_size, bold=True, align=s.title_align, leading=1.3)
        self.layout.title = TextBox(k.title, union([ln.box for ln in lines]))
        self.y += 2
        if not s.running_header:
            self.line(k.subtitle, s.body - 1, align=s.title_align, color=GRAY)
        self.y += 10
        for heading, paragraphs in k.sections:
            self.y += 4
            (h,) = self.line(heading, s.body * 1.15, bold=True)[:1]
            self.layout.headings.append(TextBox(heading, h.box))
            for para in paragraphs:
                self.facts(self.line(para, s.body))
                self.y += s.body * 0.5
        self.frames["document"] = self.frame(top, self.y - s.body * 0.5)

    def facts(self, lines: list[Line]) -> None:
        """Find each fact's number and unit (kept on one line) in the paragraph's lines."""
        for f in self.k.facts:
            for ln in lines:
                text = " ".join(w.text for w in ln.words)
                at = text.find(f.printed)
                if at >= 0:
                    box = span_box(self.c, ln, at, at + len(f.printed), self.s.body)
                    self.layout.facts.append(FactTruth(f.key, f.name, f.unit, f.value, f.text,
                                                       TextBox(f.printed, box)))

    def frame(self, top: float, bottom: float) -> Box:
        return Box(self.x0 - PAD, top - PAD, self.x1 + PAD, bottom + PAD, Space.PAGE)

    def table(self) -> None:
        t, s, ko = self.k.table, self.s, self.lang == "ko"
        self.y += 8
        top = self.y
        units = {m.unit for m in t.metrics}
        common = units.pop() if len(units) == 1 else ""
        heads = [m.name if common else (f"{m.name}({m.unit})" if ko else f"{m.name} ({m.unit})")
                 for m in t.metrics]
        style, years, widths = self.fit(t, heads)
        cap = ("표 1. " if ko else "Table 1. ") + t.caption
        self.line(cap, s.body, bold=True, align="center", leading=1.5)
        note = ((f"(단위: {common})" if ko else f"(Unit: {common})") if common else "")
        if note:
            self.line(note, style.size - 0.5, align="right", leading=1.4)
        ylabels = [year_label(y, self.lang) for y in years]
        by_year = s.table_top == "year"
        keys = [(m.name, y) for y in years for m in t.metrics] if by_year else \
            [(m.name, y) for m in t.metrics for y in years]
        body = [(r, [t.texts[(r, m, y)] for m, y in keys]) for r in t.rows]
        x = (self.x0 + self.x1 - widths[0] - widths[1] * len(keys)) / 2
        drawn = grouped_table(self.c, self.p, x, self.y, t.corner,
                              ylabels if by_year else heads, heads if by_year else ylabels,
                              body, widths, style)
        cells = {(r, m, y): drawn.cells[i][j] for i, r in enumerate(t.rows)
                 for j, (m, y) in enumerate(keys)}
        self.layout.table = TableTruth(cap, note, t.corner, t.group, list(t.rows),
                                       list(t.metrics), list(years), cells,
                                       dict(zip(t.rows, drawn.labels, strict=True)),
                                       drawn.headers, drawn.box, s.table_top)
        self.y = drawn.box.y1 + 6
        self.frames["table"] = self.frame(top, drawn.box.y1)
        self.y += 10

    def fit(self, t: TableData, heads: list[str]
            ) -> tuple[TableStyle, list[int], tuple[float, float]]:
        """The largest type and the most years whose columns fit the text width."""
        avail = self.x1 - self.x0
        for size, n_years in ((self.s.table.size, 3), (8.0, 3), (self.s.table.size, 2), (8.0, 2),
                              (7.5, 2)):
            years = t.years[-n_years:]
            texts = [*heads, *(year_label(y, self.lang) for y in years), *t.texts.values()]
            first = max(self.c.width(x, size, True) for x in (t.corner, *t.rows)) + 14
            col = max(self.c.width(x, size, True) for x in texts) + 12
            if first + col * len(years) * len(t.metrics) <= avail:
                break
        style = TableStyle(self.s.table.ruling, self.s.table.shade, size, self.s.table.row_height)
        return style, years, (first, col)

    def chart(self) -> None:
        ch, s = self.k.chart, self.s
        self.y += 8
        room = self.bottom - self.y - (s.body * 2 if s.chart_caption else 0)
        width = min(self.x1 - self.x0, 430.0)
        if s.engine == "vector":
            h = min(235.0, room)
            box = Box((self.x0 + self.x1 - width) / 2, self.y, (self.x0 + self.x1 + width) / 2,
                      self.y + h, Space.PAGE)
            d = series_chart(self.c, self.p, box, ch.title, ch.categories, ch.series,
                             kind=ch.kind)
            points = [ChartPoint(v.series, v.category, v.value, v.text, v.label, v.mark)
                      for v in d.values if v.label is not None]
            self.layout.chart = ChartTruth(ch.kind, "vector", TextBox(ch.title, d.title.box),
                                           ch.quantity, ch.unit, ch.categories,
                                           [x.name for x in ch.series], points, box)
        else:
            px = self.rng.choice(((680, 430), (720, 440), (640, 420), (700, 480)))
            self.mpl = draw_chart(ch, s.family, self.rng, px)
            scale = min(width / px[0], room / px[1])
            w, h = px[0] * scale, px[1] * scale
            box = Box((self.x0 + self.x1 - w) / 2, self.y, (self.x0 + self.x1 + w) / 2,
                      self.y + h, Space.PAGE)
            self.c.doc[self.p - 1].insert_image(pymupdf.Rect(box.x0, box.y0, box.x1, box.y1),
                                                pixmap=_pixmap(self.mpl))
            placed = map_layout(self.mpl.layout, affine(scale, scale, box.x0, box.y0, Space.PAGE))
            self.layout.chart = placed.chart
            self.layout.words += placed.words
        self.y = bottom = box.y1 + 4
        if s.chart_caption:
            cap = ("그림 1. " if self.lang == "ko" else "Figure 1. ") + ch.title
            (line,) = self.line(cap, s.body - 0.5, align="center")[:1]
            bottom = line.box.y1
        self.frames["chart"] = Box(box.x0 - PAD, box.y0 - PAD, box.x1 + PAD, bottom + PAD,
                                   Space.PAGE)

    def build(self) -> Page:
        self.head()
        for block in (("table", "chart") if self.s.table_first else ("chart", "table")):
            getattr(self, block)()
        if self.y > A4[1] - 20:
            raise ValueError(f"{self.k.topic}: the page overflows ({self.y:.0f} pt)")
        self.layout.words = self.c.words() + self.layout.words
        return Page(self.c.finish(), self.layout, self.frames, self.mpl)


def lay_out(content: Content, style: Style, rng: random.Random) -> Page:
    """The page of ``content`` in ``style``; ``rng`` picks the chart's look."""
    return _Builder(content, style, rng).build()


def _pixmap(chart: MplChart) -> pymupdf.Pixmap:
    img = chart.image
    return pymupdf.Pixmap(pymupdf.csRGB, img.width, img.height, img.tobytes(), False)


def fact_sentence(content: Content, key: str) -> str:
    """The paragraph holding fact ``key``, as printed (for text-only samples)."""
    for _heading, paragraphs in content.sections:
        for p in paragraphs:
            if any(f.key == key and f.printed.replace(" ", KEEP) in p for f in content.facts):
                return p.replace(KEEP, " ")
    return ""


"""A rendered page or crop and its truth: words, facts, table cells and chart values with boxes.

A :class:`Layout` holds everything drawn with its box in one coordinate space: page points
while a page is laid out, then ``Space.NORM`` of an image once rendered (:func:`to_image`).
:func:`map_layout` moves every box at once, so a crop, a pixel-to-page mapping and a scan's
rotation all go through one function. :class:`Rendered` is an image with its layout in
``Space.NORM``, as the task builders read it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PIL import Image

from indexing.geometry import Box, Space
from vlm.synth.canvas import union
from vlm.synth.templates import Quantity

BoxFn = Callable[[Box], Box]


@dataclass(frozen=True, slots=True)
class TextBox:
    """A drawn word or line and its box."""

    text: str
    box: Box


@dataclass(frozen=True, slots=True)
class FactTruth:
    """A number a paragraph states; ``span`` is the number with its unit as drawn."""

    key: str
    name: str
    unit: str
    value: float
    text: str  # the number as printed, without the unit
    span: TextBox


@dataclass(slots=True)
class TableTruth:
    """A drawn table: every value cell's printed text and box by (row, metric, year)."""

    caption: str
    unit_note: str  # "(단위: 억 원)" when every metric shares the unit, else ""
    corner: str
    group: str
    rows: list[str]
    metrics: list[Quantity]
    years: list[int]
    cells: dict[tuple[str, str, int], TextBox]
    row_labels: dict[str, TextBox]
    headers: list[TextBox]  # merged group headers and the headers under them
    box: Box
    top: str = "year"  # which header spans the others: "year" or "metric"

    def value(self, row: str, metric: str, year: int) -> float:
        return float(self.cells[(row, metric, year)].text.replace(",", ""))

    def metric(self, name: str) -> Quantity:
        return next(m for m in self.metrics if m.name == name)


@dataclass(frozen=True, slots=True)
class ChartPoint:
    series: str  # "" for a lone series
    category: str
    value: float
    text: str  # the value label as printed
    label: Box  # the value label
    mark: Box  # the bar, segment, point or slice


@dataclass(slots=True)
class ChartTruth:
    kind: str  # bar, barh, line, stacked, pie
    engine: str  # "matplotlib" or "vector" (PyMuPDF shapes)
    title: TextBox
    quantity: str
    unit: str
    categories: list[str]
    series: list[str]
    points: list[ChartPoint]
    box: Box  # the chart's frame

    def point(self, category: str, series: str = "") -> ChartPoint:
        return next(p for p in self.points if p.category == category and p.series == series)


@dataclass(slots=True)
class Layout:
    words: list[TextBox] = field(default_factory=list)
    title: TextBox | None = None
    headings: list[TextBox] = field(default_factory=list)
    facts: list[FactTruth] = field(default_factory=list)
    table: TableTruth | None = None
    chart: ChartTruth | None = None


@dataclass(frozen=True, slots=True)
class DocMeta:
    """What a crop's document is: shared by the page and all its crops."""

    id: str
    lang: str
    topic: str
    title: str
    entity: str
    edition: int
    family: str  # font family
    scanned: bool = False


@dataclass(slots=True)
class Rendered:
    """An image and its layout in ``Space.NORM``; ``part`` is page, document, table or chart."""

    id: str
    part: str
    image: Image.Image
    layout: Layout
    doc: DocMeta
    encoded: bytes | None = None  # the file's bytes when already encoded (a scan's JPEG)
    scan: dict[str, float] = field(default_factory=dict)

    @property
    def category(self) -> str:
        """K-DTCBench's category: a page counts as a document."""
        return "document" if self.part == "page" else self.part

    @property
    def suffix(self) -> str:
        return ".jpg" if self.encoded is not None else ".png"


def map_layout(layout: Layout, fn: BoxFn) -> Layout:
    """A copy of ``layout`` with ``fn`` applied to every box."""
    tb = lambda t: TextBox(t.text, fn(t.box))  # noqa: E731
    table = chart = None
    if (t := layout.table) is not None:
        table = replace(t, cells={k: tb(v) for k, v in t.cells.items()},
                        row_labels={k: tb(v) for k, v in t.row_labels.items()},
                        headers=[tb(h) for h in t.headers], box=fn(t.box))
    if (c := layout.chart) is not None:
        chart = replace(c, title=tb(c.title), box=fn(c.box),
                        points=[replace(p, label=fn(p.label), mark=fn(p.mark)) for p in c.points])
    return Layout([tb(w) for w in layout.words], tb(layout.title) if layout.title else None,
                  [tb(h) for h in layout.headings],
                  [replace(f, span=tb(f.span)) for f in layout.facts], table, chart)


def affine(sx: float, sy: float, dx: float, dy: float, space: Space) -> BoxFn:
    """``x * sx + dx``, ``y * sy + dy`` into ``space``."""
    return lambda b: Box(b.x0 * sx + dx, b.y0 * sy + dy, b.x1 * sx + dx, b.y1 * sy + dy, space)


def to_image(layout: Layout, frame: Box) -> Layout:
    """``layout`` (page points) as fractions of ``frame``, the region an image shows."""
    return map_layout(layout, affine(1 / frame.width, 1 / frame.height, -frame.x0 / frame.width,
                                     -frame.y0 / frame.height, Space.NORM))


def inside(box: Box, frame: Box) -> bool:
    """Whether the centre of ``box`` lies in ``frame``."""
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return frame.x0 <= cx <= frame.x1 and frame.y0 <= cy <= frame.y1


def select(layout: Layout, frame: Box, *, facts: bool = False, table: bool = False,
           chart: bool = False) -> Layout:
    """The words inside ``frame`` and the parts asked for (the ones the region holds)."""
    keep = lambda t: t if t is not None and inside(t.box, frame) else None  # noqa: E731
    return Layout([w for w in layout.words if inside(w.box, frame)], keep(layout.title),
                  [h for h in layout.headings if inside(h.box, frame)],
                  list(layout.facts) if facts else [], layout.table if table else None,
                  layout.chart if chart else None)


def lines(words: list[TextBox]) -> list[TextBox]:
    """Words grouped into visual lines, top to bottom, each split where a gap is wider than
    a word's height (table cells, chart labels side by side stay apart)."""
    return [_joined(run) for run in _runs(words)]


def reading_order(words: list[TextBox]) -> list[TextBox]:
    """Words line by line (see :func:`lines`), left to right within a line."""
    return [w for run in _runs(words) for w in run]


def _runs(words: list[TextBox]) -> list[list[TextBox]]:
    rows: list[list[TextBox]] = []
    for w in sorted(words, key=lambda w: ((w.box.y0 + w.box.y1) / 2, w.box.x0)):
        cy = (w.box.y0 + w.box.y1) / 2
        if rows and abs(cy - _centre(rows[-1])) < 0.5 * _height(rows[-1]):
            rows[-1].append(w)
        else:
            rows.append([w])
    runs = []
    for row in rows:
        row.sort(key=lambda w: w.box.x0)
        height = _height(row)
        run = [row[0]]
        for w in row[1:]:
            if w.box.x0 - run[-1].box.x1 > height:
                runs.append(run)
                run = []
            run.append(w)
        runs.append(run)
    return runs


def _centre(row: list[TextBox]) -> float:
    return statistics.fmean((w.box.y0 + w.box.y1) / 2 for w in row)


def _height(row: list[TextBox]) -> float:
    return statistics.median(w.box.height for w in row)


def _joined(run: list[TextBox]) -> TextBox:
    return TextBox(" ".join(w.text for w in run), union([w.box for w in run]))

"""Vector charts drawn with PyMuPDF shapes, their labels in the text layer.

Kinds: ``bar``, ``stacked`` (stacked bars), ``line`` (one or several series) and ``pie``.
A bar or line chart has a title, a y axis with gridlines and tick labels, category (year)
labels under the x axis and, unless ``labels=False``, a value label over every bar or point
(inside every segment of a stacked bar); a pie labels each slice with its name and share.
Several series get a legend (colour swatch + name), as does a pie drawn without labels.

What was drawn comes back in ``DrawnChart``: per series and category the value, its printed
text and the boxes of its label and mark (bar, segment, point marker, slice), so that a
question can point at the label that answers it and a chart reader can be checked against
the numbers the chart was drawn from.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import pymupdf

from indexing.geometry import Box, Space
from vlm.synth.canvas import Canvas, Color, Line, union

BAR_COLOR = (0.22, 0.42, 0.69)
# Series colours after the first: far apart in gray too, so a scanned copy keeps them apart.
SERIES_COLORS: tuple[Color, ...] = (BAR_COLOR, (0.96, 0.62, 0.22), (0.12, 0.16, 0.22))
PIE_COLORS: tuple[Color, ...] = (BAR_COLOR, (0.96, 0.62, 0.22), (0.45, 0.70, 0.40),
                                 (0.75, 0.30, 0.30), (0.60, 0.55, 0.75), (0.55, 0.55, 0.55))
GRID_COLOR = (0.82, 0.82, 0.82)
TICKS = 4
KINDS = ("bar", "stacked", "line", "pie")
SWATCH = 7.0
WHITE: Color = (1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Series:
    """One series: its legend name ("" for a lone series), values and their printed texts."""

    name: str
    values: list[float]
    texts: list[str]


@dataclass(frozen=True, slots=True)
class DrawnValue:
    """One drawn value: where its label (None when omitted) and its mark landed."""

    series: str
    category: str
    value: float
    text: str
    label: Box | None
    mark: Box


@dataclass(slots=True)
class DrawnChart:
    """A drawn chart: its frame, title and value labels of the first series, in category
    order (empty when labels were omitted); and every value with its boxes."""

    box: Box
    title: Line
    value_labels: list[Line]
    kind: str = "bar"
    categories: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    values: list[DrawnValue] = field(default_factory=list)
    top: float = 0.0  # the y axis maximum (its minimum is 0); 100 for a pie's percentages


def nice_top(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 1.2, 1.5, 2, 2.5 ... times 10^k)."""
    if value <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * scale >= value:
            return m * scale
    return 10 * scale


def _tick_text(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def chart(canvas: Canvas, page: int, frame: Box, title: str, categories: list[str],
          values: list[float], value_texts: list[str], *, kind: str = "bar",
          size: float = 8.0, labels: bool = True) -> DrawnChart:
    """Draw a one-series chart of ``values`` inside ``frame`` (page points).

    For a pie, ``categories`` name the slices and ``value_texts`` are their printed shares.
    """
    return series_chart(canvas, page, frame, title, categories,
                        [Series("", values, value_texts)], kind=kind, size=size, labels=labels)


def series_chart(canvas: Canvas, page: int, frame: Box, title: str, categories: list[str],
                 series: list[Series], *, kind: str = "bar", size: float = 8.0,
                 labels: bool = True) -> DrawnChart:
    """Draw a chart of one or more ``series`` over ``categories`` inside ``frame``."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "pie" and len(series) != 1:
        raise ValueError("a pie draws exactly one series")
    shape = canvas.shape(page)
    shape.draw_rect(pymupdf.Rect(frame.x0, frame.y0, frame.x1, frame.y1))
    shape.finish(color=(0.6, 0.6, 0.6), width=0.5)
    shape.commit()
    title_line = canvas.text(page, (frame.x0 + frame.x1) / 2, frame.y0 + 8, title, size + 1.5,
                             bold=True, align="center")
    drawn = DrawnChart(frame, title_line, [], kind, list(categories), [s.name for s in series])
    if kind == "pie":
        _pie(canvas, page, frame, categories, series[0], drawn, size, labels)
    else:
        _plot_chart(canvas, page, frame, categories, series, drawn, size, labels)
    return drawn


def _plot_chart(canvas: Canvas, page: int, frame: Box, categories: list[str],
                series: list[Series], drawn: DrawnChart, size: float, labels: bool) -> None:
    """Axes, categories, marks and value labels of a bar, stacked bar or line chart."""
    legend = len(series) > 1
    if legend:
        _legend(canvas, page, (frame.x0 + frame.x1) / 2, frame.y0 + 26,
                [(s.name, SERIES_COLORS[i]) for i, s in enumerate(series)], size)
    plot = Box(frame.x0 + 52, frame.y0 + (54 if legend else 40), frame.x1 - 16, frame.y1 - 24,
               Space.PAGE)
    stacked = drawn.kind == "stacked"
    peak = max(sum(col) for col in zip(*(s.values for s in series), strict=True)) if stacked \
        else max(v for s in series for v in s.values)
    top = drawn.top = nice_top(peak * 1.12)
    _axes(canvas, page, plot, top, size)
    slot = plot.width / len(categories)
    centres = [plot.x0 + slot * (i + 0.5) for i in range(len(categories))]
    for x, label in zip(centres, categories, strict=True):
        canvas.text(page, x, plot.y1 + 5, label, size, align="center")

    def y_of(v: float) -> float:
        return plot.y1 - plot.height * max(v, 0.0) / top

    if stacked:
        _stacked(canvas, page, centres, series, y_of, slot * 0.5, drawn, size, labels)
        return
    for i, s in enumerate(series):
        ys = [y_of(v) for v in s.values]
        color = SERIES_COLORS[i]
        if drawn.kind == "bar":
            marks = _bars(canvas, page, centres, ys, plot.y1, slot * 0.5 / len(series), i,
                          len(series), color)
            gap = 3.0
        else:
            marks = _line(canvas, page, centres, ys, color)
            gap = 6.0
        texts = [canvas.text(page, (m.x0 + m.x1) / 2, y - gap - size * 1.15, text, size,
                             align="center") if labels else None
                 for m, y, text in zip(marks, ys, s.texts, strict=True)]
        _record(drawn, s, categories, marks, texts)


def _record(drawn: DrawnChart, s: Series, categories: list[str], marks: list[Box],
            texts: list[Line | None]) -> None:
    for cat, value, text, mark, line in zip(categories, s.values, s.texts, marks, texts,
                                            strict=True):
        drawn.values.append(DrawnValue(s.name, cat, value, text if line else "",
                                       line.box if line else None, mark))
    if not drawn.value_labels and all(texts):
        drawn.value_labels = [t for t in texts if t is not None]


def _axes(canvas: Canvas, page: int, plot: Box, top: float, size: float) -> None:
    shape = canvas.shape(page)
    for i in range(1, TICKS + 1):
        y = plot.y1 - plot.height * i / TICKS
        shape.draw_line((plot.x0, y), (plot.x1, y))
    shape.finish(color=GRID_COLOR, width=0.4, closePath=False)
    shape.draw_line((plot.x0, plot.y0), (plot.x0, plot.y1))
    shape.draw_line((plot.x0, plot.y1), (plot.x1, plot.y1))
    shape.finish(color=(0.2, 0.2, 0.2), width=0.7, closePath=False)
    shape.commit()
    for i in range(TICKS + 1):
        y = plot.y1 - plot.height * i / TICKS
        canvas.text(page, plot.x0 - 4, y - size * 0.6, _tick_text(top * i / TICKS), size - 0.5,
                    align="right", color=(0.35, 0.35, 0.35))


def _bars(canvas: Canvas, page: int, centres: list[float], tops: list[float], base: float,
          width: float, index: int, count: int, color: Color) -> list[Box]:
    """Series ``index`` of ``count`` side by side in each slot; the bars' boxes."""
    shape = canvas.shape(page)
    boxes = []
    for x, y in zip(centres, tops, strict=True):
        x0 = x - width * count / 2 + width * index
        shape.draw_rect(pymupdf.Rect(x0, y, x0 + width, base))
        boxes.append(Box(x0, y, x0 + width, base, Space.PAGE))
    shape.finish(fill=color, color=color, width=0.3)
    shape.commit()
    return boxes


def _stacked(canvas: Canvas, page: int, centres: list[float], series: list[Series], y_of,
             width: float, drawn: DrawnChart, size: float, labels: bool) -> None:
    """Segments bottom up in series order, each labelled inside (white on a dark fill)."""
    below = [0.0] * len(centres)
    for i, s in enumerate(series):
        color, shape = SERIES_COLORS[i], canvas.shape(page)
        marks = []
        for j, x in enumerate(centres):
            y0, y1 = y_of(below[j] + s.values[j]), y_of(below[j])
            shape.draw_rect(pymupdf.Rect(x - width / 2, y0, x + width / 2, y1))
            marks.append(Box(x - width / 2, y0, x + width / 2, y1, Space.PAGE))
            below[j] += s.values[j]
        shape.finish(fill=color, color=WHITE, width=0.5)
        shape.commit()
        ink = WHITE if _gray(color) < 0.5 else (0.0, 0.0, 0.0)
        texts = [canvas.text(page, x, (m.y0 + m.y1) / 2 - size * 0.575, text, size,
                             align="center", color=ink) if labels else None
                 for x, m, text in zip(centres, marks, s.texts, strict=True)]
        _record(drawn, s, drawn.categories, marks, texts)


def _line(canvas: Canvas, page: int, xs: list[float], ys: list[float], color: Color
          ) -> list[Box]:
    shape = canvas.shape(page)
    shape.draw_polyline(list(zip(xs, ys, strict=True)))
    shape.finish(color=color, width=1.6, closePath=False)
    for x, y in zip(xs, ys, strict=True):
        shape.draw_circle((x, y), 2.6)
    shape.finish(fill=color, color=WHITE, width=0.6)
    shape.commit()
    return [Box(x - 2.6, y - 2.6, x + 2.6, y + 2.6, Space.PAGE)
            for x, y in zip(xs, ys, strict=True)]


def _legend(canvas: Canvas, page: int, centre: float, top: float,
            entries: list[tuple[str, Color]], size: float) -> None:
    """One centred row of swatch + name entries with its top at ``top``."""
    gap, pad = 14.0, 3.0
    widths = [SWATCH + pad + canvas.width(name, size) for name, _ in entries]
    x = centre - (sum(widths) + gap * (len(entries) - 1)) / 2
    shape = canvas.shape(page)
    for (name, color), w in zip(entries, widths, strict=True):
        shape.draw_rect(pymupdf.Rect(x, top + 1.5, x + SWATCH, top + 1.5 + SWATCH))
        shape.finish(fill=color, color=color, width=0.3)
        canvas.text(page, x + SWATCH + pad, top, name, size)
        x += w + gap
    shape.commit()


def _pie(canvas: Canvas, page: int, frame: Box, names: list[str], s: Series,
         drawn: DrawnChart, size: float, labels: bool) -> None:
    """Slices clockwise from 12 o'clock; each labelled "name share" outside its middle, or
    (without labels) named in a legend under the title."""
    drawn.top = 100.0
    legend_h = 0.0 if labels else 16.0
    if not labels:
        _legend(canvas, page, (frame.x0 + frame.x1) / 2, frame.y0 + 26,
                [(n, PIE_COLORS[i % len(PIE_COLORS)]) for i, n in enumerate(names)], size)
    cx, cy = (frame.x0 + frame.x1) / 2, (frame.y0 + 30 + legend_h + frame.y1) / 2
    r = (frame.y1 - frame.y0 - 30 - legend_h) / 2 - (16 if labels else 8)
    total, start, lines = sum(s.values), 0.0, []
    for i, (name, value, text) in enumerate(zip(names, s.values, s.texts, strict=True)):
        sweep = 360.0 * value / total
        a0 = math.radians(start - 90)
        shape = canvas.shape(page)
        shape.draw_sector((cx, cy), (cx + r * math.cos(a0), cy + r * math.sin(a0)), -sweep,
                          fullSector=True)
        shape.finish(fill=PIE_COLORS[i % len(PIE_COLORS)], color=WHITE, width=0.8)
        shape.commit()
        line = _slice_label(canvas, page, cx, cy, r + 6, start + sweep / 2, f"{name} {text}",
                            size) if labels else None
        lines.extend([line] if line else [])
        share = union([w.box for w in line.words[-len(text.split()):]]) if line else None
        drawn.values.append(DrawnValue(s.name, name, value, text if labels else "", share,
                                       _sector_box(cx, cy, r, start, sweep)))
        start += sweep
    drawn.value_labels = lines


def _slice_label(canvas: Canvas, page: int, cx: float, cy: float, r: float, angle: float,
                 text: str, size: float) -> Line:
    """``text`` just outside the circle at ``angle`` (degrees clockwise from 12 o'clock)."""
    a = math.radians(angle - 90)
    x, y = cx + r * math.cos(a), cy + r * math.sin(a)
    align = "center" if abs(math.cos(a)) < 0.2 else ("left" if math.cos(a) > 0 else "right")
    top = y - size * 0.575 + (size * 0.6 if math.sin(a) > 0.9 else 0.0)
    top -= size * 0.6 if math.sin(a) < -0.9 else 0.0
    return canvas.text(page, x, top, text, size, align=align)


def _sector_box(cx: float, cy: float, r: float, start: float, sweep: float) -> Box:
    """The bounding box of a slice: its centre, its ends and the axis points it passes."""
    angles = [start, start + sweep] + [a for a in range(0, 721, 90) if start < a < start + sweep]
    xs, ys = [cx], [cy]
    for angle in angles:
        a = math.radians(angle - 90)
        xs.append(cx + r * math.cos(a))
        ys.append(cy + r * math.sin(a))
    return Box(min(xs), min(ys), max(xs), max(ys), Space.PAGE)


def _gray(color: Color) -> float:
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]


# -- sample charts ----------------------------------------------------------------------------

SAMPLE_FRAME = Box(97.5, 120.0, 497.5, 335.0, Space.PAGE)  # a report's chart: 400 x 215 pt
SAMPLE_SERIES = ("반도체", "가전", "디스플레이")
SAMPLE_SLICES = ("반도체", "가전", "디스플레이", "통신", "기타")
SAMPLE_TITLES = {"bar": "연도별 관광객 수 (천 명)", "stacked": "부문별 매출액 (억 원)",
                 "line": "지역별 인구 (천 명)", "pie": "사업 부문별 매출 비중"}


def sample_chart(kind: str, *, n_series: int = 1, labels: bool = True, seed: int = 0,
                 years: int = 5) -> tuple[bytes, DrawnChart]:
    """A one-page PDF holding one chart of random values, and the chart as drawn."""
    rng = random.Random(f"{kind}-{n_series}-{labels}-{seed}")
    canvas = Canvas()
    page = canvas.new_page()
    title = SAMPLE_TITLES[kind]
    if kind == "pie":
        shares = _shares(rng, len(SAMPLE_SLICES))
        drawn = chart(canvas, page, SAMPLE_FRAME, title, list(SAMPLE_SLICES), shares,
                      [f"{s:.1f}%" for s in shares], kind="pie", labels=labels)
    else:
        cats = [f"{2019 + i}년" for i in range(years)]
        base = rng.uniform(2_000, 9_000)
        series = [_sample_series(rng, kind, i, n_series, years, base) for i in range(n_series)]
        drawn = series_chart(canvas, page, SAMPLE_FRAME, title, cats, series, kind=kind,
                             labels=labels)
    return canvas.finish(), drawn


def _sample_series(rng: random.Random, kind: str, index: int, count: int, n: int,
                   base: float) -> Series:
    """Values a chart can label legibly: stacked segments tall enough to hold their label,
    line series far enough apart that their labels do not collide."""
    name = SAMPLE_SERIES[index] if count > 1 else ""
    if kind == "stacked":
        values = [float(rng.randint(30, 90)) for _ in range(n)]
        return Series(name, values, [f"{v:,.0f}" for v in values])
    level = base * (1 - 0.33 * index) if kind == "line" else rng.uniform(800, 9_000)
    values = [round(level * rng.uniform(0.94, 1.06)) for _ in range(n)]
    return Series(name, [float(v) for v in values], [f"{v:,}" for v in values])


def _shares(rng: random.Random, n: int) -> list[float]:
    """``n`` shares in percent with one decimal that add up to 100, the largest first."""
    weights = sorted((rng.uniform(1, 4) for _ in range(n)), reverse=True)
    shares = [round(100 * w / sum(weights), 1) for w in weights]
    shares[0] = round(100 - sum(shares[1:]), 1)
    return shares

"""Vector bar and line charts drawn with PyMuPDF shapes, their labels in the text layer.

A chart has a title, a y axis with gridlines and tick labels, category (year) labels under
the x axis and a value label over every bar or point; the value labels' boxes are returned
so that a question can point at the one that answers it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pymupdf

from indexing.geometry import Box, Space
from vlm.synth.canvas import Canvas, Line

BAR_COLOR = (0.22, 0.42, 0.69)
GRID_COLOR = (0.82, 0.82, 0.82)
TICKS = 4


@dataclass(slots=True)
class DrawnChart:
    """A drawn chart: its frame and one value label per category, in category order."""

    box: Box
    title: Line
    value_labels: list[Line]


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
          size: float = 8.0) -> DrawnChart:
    """Draw a bar or line chart of ``values`` inside ``frame`` (page points)."""
    if kind not in ("bar", "line"):
        raise ValueError(f"unknown chart kind {kind!r}; use bar or line")
    shape = canvas.shape(page)
    shape.draw_rect(pymupdf.Rect(frame.x0, frame.y0, frame.x1, frame.y1))
    shape.finish(color=(0.6, 0.6, 0.6), width=0.5)
    shape.commit()
    title_line = canvas.text(page, (frame.x0 + frame.x1) / 2, frame.y0 + 8, title, size + 1.5,
                             bold=True, align="center")
    plot = Box(frame.x0 + 52, frame.y0 + 40, frame.x1 - 16, frame.y1 - 24, Space.PAGE)
    top = nice_top(max(values) * 1.12)
    _axes(canvas, page, plot, top, size)
    slot = plot.width / len(values)
    centres = [plot.x0 + slot * (i + 0.5) for i in range(len(values))]
    heights = [plot.y1 - plot.height * max(v, 0.0) / top for v in values]
    for x, label in zip(centres, categories, strict=True):
        canvas.text(page, x, plot.y1 + 5, label, size, align="center")
    if kind == "bar":
        _bars(canvas, page, centres, heights, plot.y1, slot * 0.5)
        gap = 3.0
    else:
        _line(canvas, page, centres, heights)
        gap = 6.0
    labels = [canvas.text(page, x, y - gap - size * 1.15, text, size, align="center")
              for x, y, text in zip(centres, heights, value_texts, strict=True)]
    return DrawnChart(frame, title_line, labels)


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
          width: float) -> None:
    shape = canvas.shape(page)
    for x, y in zip(centres, tops, strict=True):
        shape.draw_rect(pymupdf.Rect(x - width / 2, y, x + width / 2, base))
    shape.finish(fill=BAR_COLOR, color=BAR_COLOR, width=0.3)
    shape.commit()


def _line(canvas: Canvas, page: int, xs: list[float], ys: list[float]) -> None:
    shape = canvas.shape(page)
    shape.draw_polyline(list(zip(xs, ys, strict=True)))
    shape.finish(color=BAR_COLOR, width=1.6, closePath=False)
    for x, y in zip(xs, ys, strict=True):
        shape.draw_circle((x, y), 2.6)
    shape.finish(fill=BAR_COLOR, color=(1, 1, 1), width=0.6)
    shape.commit()

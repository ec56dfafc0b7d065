"""The marks of a chart (bars, series lines, point markers, pie slices, legend swatches).

``indexing.chart_data`` reads a chart's numbers from its words and these marks. On a
born-digital page they come from the vector drawing (``pymupdf.Page.get_drawings()``):
filled rectangles are bars, segments and swatches, chained sloped strokes are series lines,
small filled curves are markers, filled paths of arcs and lines are pie slices (measured by
their angles about the circle through the arcs' ends), long horizontal strokes are
gridlines. On a scan the same marks are measured from the ink (``indexing.chart_raster``).
Colours are RGB in [0, 1].
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from indexing.geometry import Box, Space

Color = tuple[float, float, float]
MARK_PAD = 6.0  # marks this far outside the crop box still belong to it (points)
DOT_MAX = 9.0  # a marker is at most this wide (points)
KEY_LINE = (5.0, 30.0)  # a line series' legend swatch: a lone horizontal stroke this long


@dataclass(frozen=True, slots=True)
class Rect:
    """A filled rectangle: a bar, a stacked segment or a legend swatch."""

    box: Box
    color: Color


@dataclass(frozen=True, slots=True)
class Polyline:
    points: list[tuple[float, float]]
    color: Color


@dataclass(frozen=True, slots=True)
class Dot:
    box: Box
    color: Color

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box.x0 + self.box.x1) / 2, (self.box.y0 + self.box.y1) / 2)


@dataclass(frozen=True, slots=True)
class Slice:
    """A pie slice: its middle and width in degrees clockwise from 12 o'clock."""

    mid: float
    sweep: float
    color: Color
    box: Box


@dataclass(slots=True)
class Marks:
    rects: list[Rect] = field(default_factory=list)
    lines: list[Polyline] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    slices: list[Slice] = field(default_factory=list)
    rules: list[float] = field(default_factory=list)  # y of horizontal gridlines and axes
    keys: list[Rect] = field(default_factory=list)  # short coloured strokes: line swatches
    centre: tuple[float, float, float] | None = None  # a pie's (x, y, radius)


def same_color(a: Color, b: Color, tol: float = 0.06) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= tol


# -- vector drawings ---------------------------------------------------------------------------

def vector_marks(drawings: list[dict], box: Box) -> Marks:
    """The marks of ``drawings`` (``get_drawings()`` output, page points) inside ``box``."""
    marks, arcs = Marks(), []
    area = Box(box.x0 - MARK_PAD, box.y0 - MARK_PAD, box.x1 + MARK_PAD, box.y1 + MARK_PAD)
    for d in drawings:
        r = d["rect"]
        if not _centre_in(r.x0, r.y0, r.x1, r.y1, area):
            continue
        fill, stroke, items = d.get("fill"), d.get("color"), d["items"]
        if fill is not None and not _is_white(fill):
            color = tuple(float(c) for c in fill[:3])
            kinds = {i[0] for i in items}
            if "c" in kinds and "l" in kinds:
                arcs.append((items, color, _box(r)))
            elif "c" in kinds:  # markers, often all of a series in one path
                marks.dots.extend(Dot(b, color) for b in _subpath_boxes(items)
                                  if max(b.width, b.height) <= DOT_MAX)
            else:
                marks.rects.extend(Rect(b, color) for b in _rects(items, r)
                                   if b.area < 0.5 * box.area and _centre_in(*b.as_list(None), box))
        elif stroke is not None and fill is None:
            _strokes(items, tuple(float(c) for c in stroke[:3]), marks)
    if arcs:
        _slices(arcs, marks)
    return marks


def _rects(items: list, rect) -> list[Box]:
    out = [_box(i[1]) for i in items if i[0] == "re"]
    out += [_box(i[1].rect) for i in items if i[0] == "qu"]
    lines = [i for i in items if i[0] == "l"]
    if not out and 3 <= len(lines) <= 4 and all(_axis_aligned(i[1], i[2]) for i in lines):
        out.append(_box(rect))
    return out


def _subpath_boxes(items: list) -> list[Box]:
    """The boxes of a path's pieces: runs of items each starting where the last ended."""
    boxes: list[list[float]] = []
    end = None
    for item in items:
        pts = [p for p in item[1:] if hasattr(p, "x")]
        if end is None or math.dist((pts[0].x, pts[0].y), end) > 0.01:
            boxes.append([math.inf, math.inf, -math.inf, -math.inf])
        b = boxes[-1]
        for p in pts:
            b[:] = [min(b[0], p.x), min(b[1], p.y), max(b[2], p.x), max(b[3], p.y)]
        end = (pts[-1].x, pts[-1].y)
    return [Box(*b) for b in boxes]


def _strokes(items: list, color: Color, marks: Marks) -> None:
    """Chained sloped lines are a series; long horizontal ones are rules."""
    chain: list[tuple[float, float]] = []
    for item in items:
        if item[0] != "l":
            continue
        p, q = (item[1].x, item[1].y), (item[2].x, item[2].y)
        if abs(p[1] - q[1]) < 0.01 and abs(p[0] - q[0]) > 20:
            marks.rules.append(p[1])
        if len(items) == 1 and abs(p[1] - q[1]) < 0.01 and KEY_LINE[0] <= abs(p[0] - q[0]) <= KEY_LINE[1]:
            marks.keys.append(Rect(Box(min(p[0], q[0]), p[1] - 1, max(p[0], q[0]), p[1] + 1), color))
        if chain and math.dist(chain[-1], p) < 0.01:
            chain.append(q)
            continue
        _add_chain(chain, color, marks)
        chain = [p, q]
    _add_chain(chain, color, marks)


def _add_chain(chain: list[tuple[float, float]], color: Color, marks: Marks) -> None:
    if len(chain) >= 2 and any(abs(a[1] - b[1]) > 0.01 and abs(a[0] - b[0]) > 0.01
                               for a, b in pairwise(chain)):
        marks.lines.append(Polyline(chain, color))


def _slices(arcs: list[tuple[list, Color, Box]], marks: Marks) -> None:
    """Slices from filled paths with arcs: the circle through the arcs' ends, then each
    slice's angles about its centre."""
    ends = [(p.x, p.y) for items, _, _ in arcs for i in items if i[0] == "c" for p in (i[1], i[4])]
    circle = _fit_circle(ends)
    if circle is None:
        return
    cx, cy, radius = circle
    marks.centre = circle
    for items, color, _ in arcs:
        spans = [_arc_span(i[1], i[4], cx, cy) for i in items if i[0] == "c"]
        sweep = sum(s for _, s in spans)
        # The middle: the start of the arc that no other arc ends at, plus half the sweep.
        starts = [a for a, _ in spans]
        stops = [(a + s) % 360 for a, s in spans]
        first = next((a for a in starts if all(_angle_gap(a, b) > 0.5 for b in stops)), starts[0])
        marks.slices.append(Slice((first + sweep / 2) % 360, sweep, color,
                                  sector_box(cx, cy, radius, first, sweep)))


def sector_box(cx: float, cy: float, r: float, start: float, sweep: float) -> Box:
    """The box of a slice (degrees clockwise from 12 o'clock): its centre, its ends and the
    points due north, east, south and west it passes (a path's box holds its control points)."""
    angles = [start, start + sweep] + [a for a in range(0, 721, 90) if start < a < start + sweep]
    xs = [cx] + [cx + r * math.sin(math.radians(a)) for a in angles]
    ys = [cy] + [cy - r * math.cos(math.radians(a)) for a in angles]
    return Box(min(xs), min(ys), max(xs), max(ys), Space.PAGE)


def _arc_span(p, q, cx: float, cy: float) -> tuple[float, float]:
    """(start, clockwise sweep) in degrees of the short arc from p to q."""
    a, b = clock_angle(p.x, p.y, cx, cy), clock_angle(q.x, q.y, cx, cy)
    d = (b - a) % 360
    return (a, d) if d <= 180 else (b, 360 - d)


def clock_angle(x: float, y: float, cx: float, cy: float) -> float:
    """Degrees clockwise from 12 o'clock of (x, y) about (cx, cy), page y pointing down."""
    return math.degrees(math.atan2(x - cx, cy - y)) % 360


def _angle_gap(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def _fit_circle(points: list[tuple[float, float]]) -> tuple[float, float, float] | None:
    """Least-squares circle (Kasa) through at least three points."""
    if len(points) < 3:
        return None
    pts = np.asarray(points, float)
    a = np.c_[2 * pts, np.ones(len(pts))]
    rhs = (pts ** 2).sum(axis=1)
    (cx, cy, c), *_ = np.linalg.lstsq(a, rhs, rcond=None)
    r2 = c + cx * cx + cy * cy
    return (float(cx), float(cy), math.sqrt(r2)) if r2 > 0 else None





























# -- helpers ----------------------------------------------------------------------------------

def _box(r) -> Box:
    return Box(float(r.x0), float(r.y0), float(r.x1), float(r.y1), Space.PAGE)


def _centre_in(x0: float, y0: float, x1: float, y1: float, box: Box) -> bool:
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return box.x0 <= cx <= box.x1 and box.y0 <= cy <= box.y1


def _is_white(color) -> bool:
    return min(color[:3]) > 0.95 if len(color) >= 3 else color[0] > 0.95


def _axis_aligned(p, q) -> bool:
    return abs(p.x - q.x) < 0.01 or abs(p.y - q.y) < 0.01



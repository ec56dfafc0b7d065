"""Chart marks measured from a scan: bars, stacked segments, swatches, markers, pie slices.

On a scan ``indexing.chart_data`` has no vector drawing, only ink. Ink thicker than text
strokes, gridlines and series lines (an opening removes those) is a bar, a segment or a
swatch where it fills its box, a marker where it is small and round, a pie where it is a
large disk once the thin borders between slices are closed. A blob is cut into columns of
one gray level (bars side by side) and each column into rows of one level (the segments of
a stacked bar); a pie's slices are the runs of one level around a ring inside it, cut at the
light borders. Colours come back as gray levels, three times over. ``erase_marks`` paints
the marks white and what is printed on them black, so that OCR reads the labels cleanly
(white labels on dark bars included).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy import ndimage

from indexing.chart_marks import DOT_MAX, Dot, Marks, Rect, Slice, sector_box
from indexing.geometry import Box, Space
from indexing.model import Word
from indexing.ocr_large import row_runs

OPEN_PT = 2.0  # raster ink thinner than this is text, a gridline or a series line
SEGMENT_MIN_PT = 1.5  # a stacked segment is at least this tall
BAR_MIN_PT = 2.0  # and a bar at least this wide
LEVEL_STEP = 0.08  # gray levels further apart than this are different fills
INK = 0.92  # a pixel lighter than this (share of white) is paper
TEXT_CONTRAST = 0.2  # a pixel this far from its fill's level is text printed on it
ERASE_PAD_PT = 0.75  # a mark is erased this far beyond its box (its blended edge)
LEVEL_BINS = 32
DOT_MIN = 3.0  # a marker is at least this wide (points)
RULE_CONTRAST = 0.05  # a gridline is at least this much darker than the paper
RULE_SPAN = 0.5  # and crosses this share of the crop's width
RULE_MAX_PT = 2.0  # thicker than this is a bar, not a rule
ROUND = (0.6, 0.9)  # a round blob fills this share of its box (a disk: 0.785)


def raster_marks(image: Image.Image, box: Box) -> Marks:
    """Bars, segments, swatches and markers measured from ``image``, a render of ``box``."""
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    scale = (gray.shape[1] / box.width, gray.shape[0] / box.height)
    ink = gray < INK
    marks = Marks(dots=_dots(gray, ink, box, scale), rules=_rules(gray, box, scale))
    if _pie_disk(gray, ink, box, scale, marks):
        ink = ink & ~_disk_mask(gray.shape, box, scale, marks.centre, 1.0)
    solid = ndimage.binary_opening(ink, _disk(OPEN_PT * min(scale) / 2))
    labels, _ = ndimage.label(solid)
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is None:
            continue
        blob = ndimage.binary_fill_holes(labels[found] == index)
        b = _page_box(found, box, scale)
        if blob.size > 0.5 * gray.size or (min(b.width, b.height) > DOT_MAX and _round(blob)):
            continue  # a background or a pie: not a bar
        if any(b.overlap_ratio(d.box) > 0.5 for d in marks.dots):
            continue  # a marker and the stub of its line
        marks.rects.extend(_boxes(gray[found], blob, b, scale))
    return marks


def _pie_disk(gray: np.ndarray, ink: np.ndarray, box: Box, scale: tuple[float, float],
              marks: Marks) -> bool:
    """A pie: a large disk once thin borders are closed; its slices are the runs of one gray
    level around a ring at 60% of its radius, cut where a light border crosses it."""
    closed = ndimage.binary_closing(ink, _disk(1.5 * min(scale)))
    labels, _ = ndimage.label(closed)
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        blob = ndimage.binary_fill_holes(labels[found] == index)
        b = _page_box(found, box, scale)
        if min(b.width, b.height) > 4 * DOT_MAX and _round(blob):
            cx, cy, r = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2, (b.width + b.height) / 4
            marks.centre = (cx, cy, r)
            marks.slices = _ring_slices(gray, box, scale, cx, cy, r)
            return True
    return False


def _disk_mask(shape: tuple[int, ...], box: Box, scale: tuple[float, float],
               circle: tuple[float, float, float] | None, pad: float) -> np.ndarray:
    """Pixels within ``pad`` points of the circle (x, y, radius) in page points."""
    cx, cy, r = circle if circle else (0.0, 0.0, -pad)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return ((xx / scale[0] + box.x0 - cx) ** 2 + (yy / scale[1] + box.y0 - cy) ** 2) \
        <= (r + pad) ** 2


def _ring_slices(gray: np.ndarray, box: Box, scale: tuple[float, float], cx: float, cy: float,
                 r: float) -> list[Slice]:
    """Slices clockwise from 12 o'clock: runs of one level on rays sampled every half
    degree (the median of three radii, so a label or a border on one of them is outvoted)."""
    sx, sy = scale
    angles = np.arange(0, 360, 0.5)
    rad = np.radians(angles)
    levels = []
    for a in rad:
        pts = [(cx + f * r * math.sin(a), cy - f * r * math.cos(a)) for f in (0.45, 0.6, 0.75)]
        vals = [gray[min(int((y - box.y0) * sy), gray.shape[0] - 1),
                     min(int((x - box.x0) * sx), gray.shape[1] - 1)] for x, y in pts]
        levels.append(float(np.median(vals)))
    # Start at a border so that no slice wraps past the start.
    start = int(np.argmax(levels)) if max(levels) >= INK else 0
    order = levels[start:] + levels[:start]
    slices = []
    runs = _runs(order, 3.0, 1.0, spread=True, join=False)  # at least 1.5 degrees
    for i0, i1 in runs:
        mid = (angles[(start + (i0 + i1) // 2) % len(angles)]) % 360
        level = float(np.median(order[i0:i1]))
        sweep = (i1 - i0) * 0.5
        slices.append(Slice(float(mid), sweep, (level,) * 3,
                            sector_box(cx, cy, r, float(mid) - sweep / 2, sweep)))
    return sorted(slices, key=_clockwise_from_top)


def _clockwise_from_top(sl: Slice) -> float:
    """Where a slice starts, the one across 12 o'clock first."""
    start = sl.mid - sl.sweep / 2
    return start - 360 if start + sl.sweep > 362 else start  # 2 degrees of measuring slack


def _dots(gray: np.ndarray, ink: np.ndarray, box: Box, scale: tuple[float, float]) -> list[Dot]:
    """Round blobs DOT_MIN to DOT_MAX wide that survive an opening thicker than a series line."""
    solid = ndimage.binary_opening(ink, _disk(DOT_MIN * min(scale) / 2))
    labels, _ = ndimage.label(solid)
    dots = []
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        blob = labels[found] == index
        b = _page_box(found, box, scale)
        if DOT_MIN <= min(b.width, b.height) <= max(b.width, b.height) <= DOT_MAX \
                and ROUND[0] < blob.mean() <= ROUND[1] and 0.7 <= b.width / b.height <= 1.4:
            dots.append(Dot(b, (_level(gray[found], blob),) * 3))
    return dots


def _boxes(ink: np.ndarray, blob: np.ndarray, b: Box, scale: tuple[float, float]) -> list[Rect]:
    """A blob cut into filled boxes: columns of one gray level (bars side by side), each cut
    into rows of one gray level (the segments of a stacked bar)."""
    sx, sy = scale
    out = []
    columns = [_level(ink[:, j], blob[:, j]) for j in range(blob.shape[1])]
    for c0, c1 in _runs(columns, BAR_MIN_PT, sx, spread=False):
        part = blob[:, c0:c1]
        k0, k1 = c0 + (c1 - c0) // 4, max(c0 + (c1 - c0) * 3 // 4, c0 + (c1 - c0) // 4 + 1)
        rows = np.flatnonzero(blob[:, k0:k1].mean(axis=1) > 0.5)  # edges may lean on neighbours
        if not rows.size or part[rows[0]:rows[-1] + 1].mean() < 0.85:
            continue  # not a filled box
        top = int(rows[0])
        levels = [_level(ink[i, k0:k1], blob[i, k0:k1]) for i in range(top, rows[-1] + 1)]
        for r0, r1 in _runs(levels, SEGMENT_MIN_PT, sy):
            level = float(np.median(levels[r0:r1]))
            out.append(Rect(Box(b.x0 + c0 / sx, b.y0 + (top + r0) / sy, b.x0 + c1 / sx,
                                b.y0 + (top + r1) / sy, Space.PAGE), (level,) * 3))
    return out


def _rules(gray: np.ndarray, box: Box, scale: tuple[float, float]) -> list[float]:
    """The page y of each thin horizontal line across most of the crop (gridlines, the x
    axis, however light), so that tick labels snap to them: a label's box centre is a point
    or so off its line, which made every measured value on a scan 0.2 low on a 0-40 axis."""
    paper = float(np.median(gray))
    across = (gray < paper - RULE_CONTRAST).mean(axis=1) > RULE_SPAN
    out = []
    for start, stop in row_runs(across):
        if (stop - start) / scale[1] <= RULE_MAX_PT:
            out.append(box.y0 + (start + stop) / 2 / scale[1])
    return out


def _page_box(found: tuple[slice, slice], box: Box, scale: tuple[float, float]) -> Box:
    rows, cols = found
    sx, sy = scale
    return Box(box.x0 + cols.start / sx, box.y0 + rows.start / sy,
               box.x0 + cols.stop / sx, box.y0 + rows.stop / sy, Space.PAGE)


def _level(ink: np.ndarray, mask: np.ndarray) -> float:
    """The fill's gray level: the commonest level of the inked pixels, so that text inside
    (white or black) moves it less than it would move a mean or a median."""
    inked = ink[mask & (ink < INK)]
    if not inked.size:
        return 1.0
    counts = np.bincount((inked * LEVEL_BINS).astype(int), minlength=LEVEL_BINS + 1)
    peak = int(counts.argmax())
    near = inked[np.abs(inked * LEVEL_BINS - peak - 0.5) <= 1.5]
    return float(near.mean())


def _runs(levels: list[float], min_pt: float, scale: float, *, spread: bool = True,
          join: bool = True) -> list[tuple[int, int]]:
    """Index ranges of one gray level, at least ``min_pt`` long. With ``join``, neighbours
    of one level join across a short run (a label's rows); with ``spread``, short runs
    between go to their neighbours (the rows of stacked segments), else they are left out
    (the columns of bars side by side, whose edges blend)."""
    runs: list[list[float]] = []  # [start, stop, sum of levels]
    for i, level in enumerate(levels):
        if runs and abs(level - _mean(runs[-1])) <= LEVEL_STEP:
            runs[-1][1], runs[-1][2] = i + 1, runs[-1][2] + level
        else:
            runs.append([i, i + 1, level])
    kept: list[list[float]] = []
    for run in runs:
        if _mean(run) >= INK or (run[1] - run[0]) / scale < min_pt:
            continue
        if join and kept and abs(_mean(kept[-1]) - _mean(run)) <= LEVEL_STEP:
            kept[-1][1], kept[-1][2] = run[1], kept[-1][2] + run[2]
        else:
            kept.append(run)
    if not spread:
        return [(int(a), int(b)) for a, b, _ in kept]
    out = []
    for j, (start, stop, _) in enumerate(kept):
        lo = 0 if j == 0 else (kept[j - 1][1] + start) / 2
        hi = len(levels) if j == len(kept) - 1 else (stop + kept[j + 1][0]) / 2
        out.append((int(round(lo)), int(round(hi))))
    return out


def _mean(run: list[float]) -> float:
    return run[2] / (run[1] - run[0])


def _round(blob: np.ndarray) -> bool:
    """A disk: about as wide as tall, filling about pi/4 of its box, its corners empty."""
    h, w = blob.shape
    c = max(1, min(h, w) // 7)
    corners = [blob[:c, :c], blob[:c, -c:], blob[-c:, :c], blob[-c:, -c:]]
    return 0.85 <= w / h <= 1.18 and ROUND[0] < blob.mean() <= ROUND[1] \
        and all(q.mean() < 0.1 for q in corners)


def _disk(radius: float) -> np.ndarray:
    r = max(1, int(round(radius)))
    y, x = np.ogrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r


def erase_marks(image: Image.Image, box: Box, marks: Marks) -> Image.Image:
    """``image`` (a render of ``box``) with its bars, segments, swatches and markers painted
    white, the text printed on them kept black: OCR reads a chart's labels far better without
    the ink around them, and reads white labels on dark bars at all."""
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    out = gray.copy()
    sx, sy = gray.shape[1] / box.width, gray.shape[0] / box.height
    if marks.centre is not None:  # the pie goes, with what is drawn on it
        out[_disk_mask(gray.shape, box, (sx, sy), marks.centre, 1.0)] = 1.0
    for mark in [*marks.rects, *marks.dots]:
        b, level = mark.box, mark.color[0]
        pad = max(1, round(ERASE_PAD_PT * sx))  # the blended edge columns too
        x0, y0 = max(0, int((b.x0 - box.x0) * sx) - pad), max(0, int((b.y0 - box.y0) * sy) - 1)
        x1 = int(math.ceil((b.x1 - box.x0) * sx)) + pad
        y1 = int(math.ceil((b.y1 - box.y0) * sy)) + 1
        out[y0:y1, x0:x1] = _text_on(gray[y0:y1, x0:x1], out[y0:y1, x0:x1], level)
    return Image.fromarray((out * 255).astype(np.uint8), mode="L")


def _text_on(patch: np.ndarray, now: np.ndarray, level: float) -> np.ndarray:
    """A mark's patch as black text on white: pixels far from the fill's level are text,
    except light ones that reach the patch's edge (the paper around the mark); dark text
    reaching in from outside (a wide label over a narrower bar, a neighbour bar) stays as
    it is in ``now``."""
    far = np.abs(patch - level) > TEXT_CONTRAST
    labels, _ = ndimage.label(far)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge > 0]
    inner = far & ~np.isin(labels, edge)
    dark_edge = np.isin(labels, [e for e in edge if patch[labels == e].mean() < level])
    return np.where(inner, 0.0, np.where(dark_edge, now, 1.0))


def drop_text_marks(marks: Marks, words: list[Word]) -> None:
    """Blobs inside a word's box are heavy glyphs (of a bold title), not marks. Numbers are
    not bold and OCR boxes them loosely, often with the marker under them; a lone "o" read
    off a marker is the marker."""
    wordy = [w.box for w in words if len(w.text) > 1 and not any(c.isdigit() for c in w.text)]

    def texty(b: Box) -> bool:
        return any(_inside(b, w) and b.area <= 1.5 * w.area for w in wordy)

    marks.rects = [r for r in marks.rects if not texty(r.box)]
    marks.dots = [d for d in marks.dots if not texty(d.box)]


def _inside(b: Box, box: Box) -> bool:
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    return box.x0 <= cx <= box.x1 and box.y0 <= cy <= box.y1

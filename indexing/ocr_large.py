"""Large text (titles, headings) read again on its own, scaled to the size of the body text.

The page is read as one uniform block of text (psm 6), which assumes one text size. On a page
of body text a title set twice as large comes out as two overlapping half-height lines of
junk ("호 하 즈 귀 트 [신탁 월? ..." for "...증권투자신탁 월간 운용보고서"), confidently. Cut out
and read alone, the same line reads right: on the scanned first pages of the development
templates (`vlm.synth.collections`) the title's bigram F1 rose from 0.65-0.88 to 0.96-0.98.

A band is a run of large words side by side on one line; what the first pass read inside a
band is replaced by the band's second reading. No Tesseract here: :mod:`indexing.ocr` reads
the mosaic of bands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from statistics import median

import numpy as np
from PIL import Image

from indexing.mosaic import Mosaic, PixelBox, locate, plan
from indexing.ocr_segments import SPLIT_GAP, Read

LARGE = 1.6  # a word this many times the page's median word height is large text
HUGE = 8.0  # taller than this (a figure read as a glyph) is not text to read again
MIN_BODY_WORDS = 8  # a page with fewer words has no body size to compare with
TARGET = 1.2  # a band is scaled down to this many body heights before it is read
PAD = 0.2  # blank margin kept around a band, in its word height
SOLID = 0.5  # ink covering more of a word's surroundings than this is a drawing, not glyphs
# Around a fragment, a row of a large glyph line has ink across this share of the window; a
# table's vertical rule beside a body word (1-2%) does not make that word large.
GLYPH_ROW = 0.04


@dataclass(frozen=True, slots=True)
class Band:
    box: PixelBox  # in page pixels
    scale: float  # the band's pixels are multiplied by this before reading (at most 1)


def find_bands(reads: list[Read], ink: np.ndarray) -> list[Band]:
    """The bands of large words in ``reads`` (page pixels); ``ink`` is the page's boolean ink
    mask. A band's height is measured on the ink, since Tesseract sometimes boxes one word
    of a body line twice as tall as its glyphs."""
    if len(reads) < MIN_BODY_WORDS:
        return []
    body = median(_height(r) for r in reads) or 1
    # A tall piece that is no word ("=" for a title's stroke) seeds a band where its ink,
    # not its box, is tall: the band's reading replaces it only if that reads as words.
    tall = [r for r in reads if LARGE * body <= (h := _text_height(r, ink, body)) <= HUGE * body
            and (_wordlike(r.text) or h > _height(r))]
    spans: list[PixelBox] = []
    for group in _side_by_side(_lines(tall)):
        reach = round(SPLIT_GAP * median(_height(r) for r in group))
        box = _grow(_bounds(r.box for r in group), reads, reach)
        if spans and _overlaps(spans[-1], box):  # two runs joined by the words between
            box = _bounds((spans.pop(), box))
        spans.append(box)
    bands = []
    for x0, y0, x1, y1 in spans:
        height = _ink_height(ink[y0:y1, x0:x1])
        if height < LARGE * body:
            # The words were boxed short (fragments of a large line): the line is where the
            # ink around them is, the rest of it perhaps never read at all.
            y0, y1 = _ink_rows(ink[:, x0:x1], y0, y1, round(body))
            height = y1 - y0
            if height < LARGE * body:
                continue
            x0, x1 = _ink_columns(ink[y0:y1], x0, x1, round(SPLIT_GAP * height))
        pad = round(PAD * height)
        box = (max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, ink.shape[1]),
               min(y1 + pad, ink.shape[0]))
        bands.append(Band(box, min(1.0, TARGET * body / height)))
    return bands


def _text_height(r: Read, ink: np.ndarray, body: float) -> int:
    """How tall the text under ``r`` is: its box, or where the first pass boxed a fragment of a
    large glyph ("으" read out of "원" on a worn scan) the ink around the box, measured over
    a body height on every side. Solid ink (a chart's bar) is not text and counts as none."""
    x0, y0, x1, y1 = r.box
    reach = round(body)
    # Wider than the box too: one syllable alone has blank rows between its parts (원: 우, ㄴ).
    window = ink[max(y0 - reach, 0):y1 + reach, max(x0 - reach, 0):x1 + reach]
    if window.size == 0 or window.mean() > SOLID:
        return _height(r)
    return max(_height(r), _ink_height(window, GLYPH_ROW))


def _ink_rows(ink: np.ndarray, y0: int, y1: int, reach: int) -> tuple[int, int]:
    """The tallest run of inked rows (as :func:`_ink_height` counts them) that overlaps rows
    ``y0:y1``, looked for up to ``reach`` rows beyond them: a band's rows where the first pass
    boxed its words short."""
    top = max(y0 - reach, 0)
    best = (y0, y0)
    for a, b in row_runs(_inked_rows(ink[top:y1 + reach])):
        a, b = top + a, top + b
        if a < y1 and b > y0 and b - a > best[1] - best[0]:
            best = (a, b)
    return best


def _ink_columns(ink: np.ndarray, x0: int, x1: int, gap: int) -> tuple[int, int]:
    """``x0:x1`` widened over the ink of the band's rows that lies within ``gap`` columns of
    it, step by step: the rest of a title line that the first pass did not read at all."""
    filled = np.flatnonzero(ink.any(axis=0))
    left, right = x0, x1
    for x in filled[filled >= x1]:
        if x - right > gap:
            break
        right = int(x) + 1
    for x in filled[filled < x0][::-1]:
        if left - x > gap:
            break
        left = int(x)
    return left, right


def _inked_rows(ink: np.ndarray, share: float = 0.01) -> np.ndarray:
    return ink.sum(axis=1) >= max(2, share * ink.shape[1])


def _ink_height(ink: np.ndarray, share: float = 0.01) -> int:
    """The longest run of rows that hold ink across ``share`` of the width or more (1%): the
    height of the tallest line of text in ``ink`` (a box over two body lines has a white gap
    inside)."""
    return max((b - a for a, b in row_runs(_inked_rows(ink, share))), default=0)


def row_runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in ``rows``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _grow(box: PixelBox, reads: list[Read], reach: int) -> PixelBox:
    """``box`` widened over the words of any size centred on its rows and within ``reach``
    of its sides: the pieces of the same line that the first pass read short."""
    x0, y0, x1, y1 = box
    grown = True
    while grown:
        grown = False
        for r in reads:
            cy = (r.box[1] + r.box[3]) / 2
            if y0 <= cy <= y1 and r.box[2] >= x0 - reach and r.box[0] <= x1 + reach and (
                    r.box[0] < x0 or r.box[2] > x1):
                x0, x1, grown = min(x0, r.box[0]), max(x1, r.box[2]), True
    return x0, y0, x1, y1


def band_mosaic(image: Image.Image, bands: list[Band]) -> tuple[Mosaic, Image.Image]:
    """One image holding every band, scaled, one per row; rows are addressed in band pixels
    (scaled, origin at the band's corner)."""
    crops = [_scaled(image.crop(b.box), b.scale) for b in bands]
    gap = max((c.height for c in crops), default=0) // 2
    mosaic = plan([(0, 0, c.width, c.height) for c in crops], gap=gap, margin=gap)
    out = Image.new("L", mosaic.size, 255)
    for crop, top in zip(crops, mosaic.tops, strict=True):
        out.paste(crop, (mosaic.margin, top))
    return mosaic, out


def place(mosaic: Mosaic, bands: list[Band], read: Read) -> tuple[int, Read] | None:
    """(band, ``read`` in page pixels, on a line of its band's own) for a word read in the
    mosaic; None off every band."""
    hit = locate(mosaic, read.box)
    if hit is None:
        return None
    row, (x0, y0, x1, y1) = hit
    band = bands[row]
    k, (bx, by) = band.scale, band.box[:2]
    box = (bx + round(x0 / k), by + round(y0 / k), bx + round(x1 / k), by + round(y1 / k))
    return row, replace(read, box=box, line=(-1 - row, read.line[1], read.line[2]))


def is_band_read(read: Read) -> bool:
    """Whether ``read`` came from a band's second reading (:func:`place` gives those lines
    negative block numbers)."""
    return read.line[0] < 0


def merge_bands(reads: list[Read], bands: list[Band], seconds: list[list[Read]]) -> list[Read]:
    """``reads`` with what lies inside each band swapped for the band's second reading, where
    that says something; the new words take the place of the first word they replace."""
    out = list(reads)
    for band, second in zip(bands, seconds, strict=True):
        if not any(_wordlike(r.text) for r in second):
            continue
        inside = [i for i, r in enumerate(out) if _centre_in(r.box, band.box)]
        if not inside or _cuts_a_number([out[i] for i in inside], second):
            continue
        first, drop = inside[0], set(inside)
        out = out[:first] + second + [r for i, r in enumerate(out) if i > first and i not in drop]
    return out


def _cuts_a_number(first: list[Read], second: list[Read]) -> bool:
    """The second reading gives a number of the first short of its last digits (``(2013년``
    read again as ``(201년``): the band was cut through a glyph, and the first reading is
    kept whole."""
    a = re.findall(r"\d+", "".join(r.text for r in first))
    b = re.findall(r"\d+", "".join(r.text for r in second))
    return len(a) == len(b) and any(len(y) < len(x) and x.startswith(y) for x, y in zip(a, b, strict=True))


def _lines(tall: list[Read]) -> list[list[Read]]:
    """Tall words grouped by vertical overlap (half the shorter height or more)."""
    lines: list[list[Read]] = []
    for r in sorted(tall, key=lambda r: (r.box[1] + r.box[3]) / 2):
        if lines:
            top, bottom = min(w.box[1] for w in lines[-1]), max(w.box[3] for w in lines[-1])
            overlap = min(bottom, r.box[3]) - max(top, r.box[1])
            if overlap >= 0.5 * min(_height(r), bottom - top):
                lines[-1].append(r)
                continue
        lines.append([r])
    return lines


def _side_by_side(lines: list[list[Read]]) -> list[list[Read]]:
    """Each line cut where a gap is wider than a column gap."""
    out = []
    for line in lines:
        line = sorted(line, key=lambda r: r.box[0])
        height = median(_height(r) for r in line)
        out.append([line[0]])
        right = line[0].box[2]  # the group's right edge: words read twice overlap
        for r in line[1:]:
            if r.box[0] - right > SPLIT_GAP * height:
                out.append([])
                right = r.box[2]
            out[-1].append(r)
            right = max(right, r.box[2])
    return out


def _bounds(boxes: Iterable[PixelBox]) -> PixelBox:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return min(x0s), min(y0s), max(x1s), max(y1s)


def _overlaps(a: PixelBox, b: PixelBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _scaled(image: Image.Image, k: float) -> Image.Image:
    if k >= 1.0:
        return image
    return image.resize((max(1, round(image.width * k)), max(1, round(image.height * k))),
                        Image.Resampling.LANCZOS)


def _height(r: Read) -> int:
    return r.box[3] - r.box[1]


def _wordlike(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _centre_in(box: PixelBox, outer: PixelBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]

"""Charts and pictures on scanned pages: ink that is not text, with the labels read on it.

On a text-layer page the layout model gives a chart one ``picture`` region that holds its
words (title, axis labels, value labels). A scan has no such model here: OCR reads the labels
as scattered one-word lines, each of which would become a crop of its own, and the bars and
axes are not read at all. This module finds what OCR leaves: ink outside every word box and
table, closed over small gaps into blobs. A blob large enough to be a figure becomes a region,
together with the short OCR lines on or just around it, so a chart is one crop whose text is
its labels, and its caption can attach to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from indexing.geometry import Box, Space
from indexing.ocr import OcrLine
from indexing.tables import RuledGrid

CELL_PT = 3.0  # the coarse grid the ink is looked at in, in points
CLOSE_PT = 15.0  # gaps between bars, ticks and axes closed up to this
MIN_SIDE_PT = 60.0  # a figure is at least this wide and tall
MIN_INK = 0.02  # share of a blob's box that is non-text ink: a rule or a frame has less
LABEL_PAD_PT = 28.0  # labels sit this close around the plot (axis ticks, value labels, title)
LABEL_MAX_CHARS = 40
MIN_WORD_CONF = 80.0  # below this, a word over a plot is more likely its ink than a label
PROSE_SYLLABLES = 8  # a line with this many Hangul syllables (and few digits) is prose...
PROSE_LINES = 3  # ...and a blob whose lines hold this many of them, and this share, is text
PROSE_SHARE = 0.4
_SENTENCE_END = re.compile(r"[다요죠음함됨임][.!]?\s*$")


@dataclass(frozen=True, slots=True)
class Figure:
    box: Box  # page points, the labels included
    lines: list[int]  # indices of the OCR lines it took


def find_figures(image: Image.Image, dpi: float, lines: list[OcrLine], grids: list[RuledGrid],
                 page_size: tuple[float, float]) -> list[Figure]:
    """Figures on a gray scan ``image`` rendered at ``dpi``, given its OCR lines and tables."""
    ink, cell = _non_text_ink(image, dpi, lines, grids)
    if not ink.any():
        return []
    blobs, _ = ndimage.label(_closed(ink, CLOSE_PT / cell))
    figures: list[Figure] = []
    taken: set[int] = set()
    for index, found in enumerate(ndimage.find_objects(blobs), start=1):
        if found is None:
            continue
        rows, cols = found
        box = Box(cols.start * cell, rows.start * cell, cols.stop * cell, rows.stop * cell,
                  Space.PAGE).clip(*page_size)
        share = float(ink[found][blobs[found] == index].mean())
        if min(box.width, box.height) < MIN_SIDE_PT or share < MIN_INK:
            continue
        labels = [i for i, line in enumerate(lines) if i not in taken and _label_of(line, box)]
        if _mostly_prose([lines[i].text for i in labels]):
            continue
        taken.update(labels)
        for i in labels:
            box = box.union(lines[i].box)
        figures.append(Figure(box, labels))
    return figures


def _non_text_ink(image: Image.Image, dpi: float, lines: list[OcrLine],
                  grids: list[RuledGrid]) -> tuple[np.ndarray, float]:
    """Dark cells outside word boxes and tables, on a grid of about CELL_PT; and the cell size
    in points. A cell is dark when its darkest pixel is, so thin bars and axes survive."""
    step = max(1, round(CELL_PT * dpi / 72.0))
    gray = np.asarray(image.convert("L"))
    h, w = gray.shape[0] // step, gray.shape[1] // step
    cells = gray[: h * step, : w * step].reshape(h, step, w, step).min(axis=(1, 3))
    dark = cells < 128
    cell = step * 72.0 / dpi
    masked = [w.box for line in lines for w in line.words if _is_text(w)]
    for box in masked + [g.box for g in grids]:
        x0, y0 = int(box.x0 / cell) - 1, int(box.y0 / cell) - 1
        x1, y1 = int(np.ceil(box.x1 / cell)) + 1, int(np.ceil(box.y1 / cell)) + 1
        dark[max(y0, 0):y1, max(x0, 0):x1] = False
    return dark, cell


def _is_text(word) -> bool:  # type: ignore[no-untyped-def]
    """A word OCR read with some confidence and with a letter or digit in it. What it makes of
    a plotted line (``^``, ``"``, ``|``, ``5e`` across a segment) is ink, not text, and must not
    cut the plot into pieces."""
    if not any(ch.isalnum() for ch in word.text):
        return False
    return word.confidence is None or word.confidence >= MIN_WORD_CONF


def _mostly_prose(texts: list[str]) -> bool:
    """Whether the lines a blob would take are sentences rather than labels: a column of
    narrow prose that OCR read with little confidence leaves its words as ink, and its lines
    are short enough to pass for labels. A chart's labels are numbers, years and a title."""
    prose = [t for t in texts if _is_prose(t)]
    return len(prose) >= PROSE_LINES and len(prose) >= PROSE_SHARE * len(texts)


def _is_prose(text: str) -> bool:
    """A run of Hangul with few digits, or a line that ends a sentence (``...명이다.``)."""
    syllables = sum(0xAC00 <= ord(ch) <= 0xD7A3 for ch in text)
    if _SENTENCE_END.search(text) and syllables >= 3:
        return True
    digits = sum(ch.isdigit() for ch in text)
    return syllables >= PROSE_SYLLABLES and digits <= 0.2 * syllables


def _label_of(line: OcrLine, plot: Box) -> bool:
    """A short line on the plot or within LABEL_PAD_PT around it."""
    b, pad = line.box, LABEL_PAD_PT
    near = (b.x0 >= plot.x0 - 2 * pad and b.x1 <= plot.x1 + 2 * pad
            and b.y0 >= plot.y0 - pad and b.y1 <= plot.y1 + pad)
    return near and len(line.text.strip()) <= LABEL_MAX_CHARS


def _closed(ink: np.ndarray, radius: float) -> np.ndarray:
    """Gaps closed up to ``radius`` cells: a disk for clusters of marks, and vertical and
    horizontal bars for a thin axis cut by the tick labels masked out beside it (a disk
    leaves a neck there that its own erosion removes again)."""
    r = max(1, int(round(radius)))
    bars = (np.ones((2 * r + 1, 1), bool), np.ones((1, 2 * r + 1), bool))
    out = ndimage.binary_closing(ink, _disk(radius))
    for bar in bars:
        out |= ndimage.binary_closing(ink, bar)
    return out


def _disk(radius: float) -> np.ndarray:
    r = max(1, int(round(radius)))
    y, x = np.ogrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r

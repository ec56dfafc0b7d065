"""A scanned chart's data labels read one at a time where the readings of the whole chart
missed them.

Page OCR and the second reading of the chart with its marks erased (``reread_words``) both
read the chart as a whole, and a label now and then comes out garbled (``3.270`` for 3,270,
``2976``) or not at all. A bar or point left without its label would keep a value measured
from the axis, a little off the printed one. Here the place its label goes (over a bar; over
or under a point) is cut from the erased chart, enlarged and read as one line at two sizes (a
third where they differ); a number two readings give alike that agrees with the mark's
measure is the value, as printed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
from PIL import Image

from indexing.chart_marks import Marks
from indexing.chart_raster import erase_marks
from indexing.chart_table import Cell, cx
from indexing.chart_words import Label, labels_of
from indexing.geometry import Box
from indexing.ocr import ocr_image
from indexing.ocr_segments import INK_LEVEL  # a label is printed dark, a gridline light

LINE_PSM = 7  # the cut is one line of text
RULE_SPAN = 0.8  # a row or column of a cut inked over this share of it is a rule, not a glyph
# Enlarged before reading (a label is about 20 pixels tall at 200 dpi) at two sizes, and a
# third where they differ: Tesseract misreads a clean digit of a lone number now and then
# (3,955 for 3,953, within any measure's reach), so a number is taken only where two read it.
ZOOMS = (2, 3, 1)
AGREEING = 2  # readings that must give the same number
REACH = 3.2  # label heights from its mark that a label can reach


def label_rereader(image: Image.Image, box: Box, marks: Marks, height: float, slot: float,
                   accept: Callable[[Label, float, int], str | None]
                   ) -> Callable[[Box, float | None, bool, int], Cell | None]:
    """``read(mark, measured, point, decimals)``: the cell of the label read by ``mark`` that
    ``accept`` takes for its ``measured`` value printed with ``decimals``, or None. ``image``
    renders exactly ``box``; ``height`` is the printed numbers' height and ``slot`` the
    categories' spacing, in points. The marks are erased once, at the first read."""
    clean: list[Image.Image] = []

    def read(mark: Box, measured: float | None, point: bool, decimals: int) -> Cell | None:
        if measured is None:
            return None
        if not clean:
            clean.append(erase_marks(image, box, marks))
        for zone in label_zones(mark, height, slot, point):
            votes: Counter[str] = Counter()
            for zoom in ZOOMS:  # the third size only where the first two differ
                found = {accept(lb, measured, decimals): lb for lb in _numbers_in(clean[0], box, zone, zoom)}
                found.pop(None, None)
                votes.update(found.keys())
                text, n = votes.most_common(1)[0] if votes else ("", 0)
                if n >= AGREEING:
                    return Cell(text, found[text].box)
        return None

    return read


def label_zones(mark: Box, height: float, slot: float, point: bool) -> list[Box]:
    """Where a mark's label may be, nearest first: over it, and for a point under it too,
    as wide as the mark's category."""
    half = max(0.5 * slot, 0.5 * mark.width + height)
    x0, x1 = cx(mark) - half, cx(mark) + half
    over = Box(x0, mark.y0 - REACH * height, x1, mark.y0, mark.space)
    under = Box(x0, mark.y1, x1, mark.y1 + REACH * height, mark.space)
    return [over, under] if point else [over]


def _numbers_in(image: Image.Image, box: Box, zone: Box, zoom: int) -> list[Label]:
    """The numbers read in ``zone`` (page points) of ``image`` (a render of ``box``),
    enlarged ``zoom`` times."""
    sx, sy = image.width / max(box.width, 1e-6), image.height / max(box.height, 1e-6)
    px = (max(0, round((zone.x0 - box.x0) * sx)), max(0, round((zone.y0 - box.y0) * sy)),
          min(image.width, round((zone.x1 - box.x0) * sx)), min(image.height, round((zone.y1 - box.y0) * sy)))
    if px[2] - px[0] < 4 or px[3] - px[1] < 4:
        return []
    patch = without_rules(image.crop(px))
    patch = binarised(patch.resize((patch.width * zoom, patch.height * zoom), Image.Resampling.LANCZOS))
    origin = (box.x0 + px[0] / sx, box.y0 + px[1] / sy)
    words = ocr_image(patch, 72.0 * sx * zoom, origin=origin, languages="eng", psm=LINE_PSM,
                      single_pass=True, min_confidence=0.0).words
    return [lb for lb in labels_of(words) if lb.number is not None]


def without_rules(patch: Image.Image) -> Image.Image:
    """``patch`` with the rows and columns that a dark rule crosses whole (the axis beside a
    label) made white."""
    gray = np.asarray(patch.convert("L")).copy()
    ink = gray < INK_LEVEL
    gray[ink.mean(axis=1) > RULE_SPAN, :] = 255
    gray[:, ink.mean(axis=0) > RULE_SPAN] = 255
    return Image.fromarray(gray)


def binarised(patch: Image.Image) -> Image.Image:
    """``patch`` in black and white at ``INK_LEVEL``: a light gridline and the faint trace
    that erasing the marks leaves around a label go. Tesseract's own threshold kept them on
    a 777.3 over a bar, which it read as ``VES``."""
    return patch.point(lambda v: 0 if v < INK_LEVEL else 255)

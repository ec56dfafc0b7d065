"""A chart crop read into a small table: one row per series, one column per category.

The agent answers chart questions ("2021년 반도체 매출은?") from numbers, not from a bag of
words. ``read_chart`` rebuilds them from what the page gives: the crop's words (text layer or
OCR, page points; sorted into roles by ``indexing.chart_words``) and its marks (the vector
drawing of a born-digital page, ``indexing.chart_marks``, or a scan's ink,
``indexing.chart_raster``). The y axis is the column of tick numbers at the left of the plot,
fitted linearly from page y to value; categories are the line of labels under the plot; a
legend (swatch + name) names the series by colour. Each bar, segment or point gets a
category by x and a series by colour, and takes the printed number next to it (over a bar,
inside a segment, over or under a point) when that number agrees with its measured height;
otherwise its value is measured from the axis and marked ``estimated``. Pies are read in
``indexing.chart_pie``. Without marks (a scan read without its image) a one-series chart is
still read from the numbers printed over its categories, and a pie from its "name share"
labels. ``reread_words`` reads a scanned chart's labels again with its marks erased.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import partial
from itertools import pairwise

from PIL import Image

from indexing.chart_labels import label_rereader
from indexing.chart_marks import Color, Dot, Marks, Rect, same_color, vector_marks
from indexing.chart_pie import pie_from_marks, pie_from_words
from indexing.chart_raster import drop_text_marks, erase_marks, raster_marks
from indexing.chart_table import Cell, Row, cx, cy, make_table
from indexing.chart_words import (
    Axis,
    Label,
    Legend,
    categories,
    labels_of,
    legend,
    parse_number,
    title,
    y_axis,
)
from indexing.figures import MIN_WORD_CONF
from indexing.geometry import Box, centre_in
from indexing.model import Table, Word
from indexing.ocr import ocr_image

MIN_NUMBERS = 2  # a scan's crop with fewer printed numbers is not measured
AGREE = 0.03  # a printed value and the measured one differ by at most this share of the axis
DENSE = 3  # a line with more vertices than this many per category is a dense series
GROUND = 1.5  # a bar's foot is this close to the baseline or to the top of the bar below
REREAD_PSM = 11  # sparse text: a chart's labels are scattered words, not lines
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def read_chart(words: list[Word], box: Box, drawings: list[dict] | None = None,
               image: Image.Image | None = None) -> Table | None:
    """The table of a chart crop, or None when it is not a chart this can read.

    ``words`` and ``box`` are in page points; ``drawings`` is ``page.get_drawings()`` (page
    points) on a born-digital page; ``image`` is a render of exactly ``box`` on a scan.
    """
    inside = [w for w in words if centre_in(w.box, box)]
    labels = labels_of(inside)
    if drawings is not None:
        marks = vector_marks(drawings, box)
    elif image is not None and sum(lb.number is not None for lb in labels) >= MIN_NUMBERS:
        marks = raster_marks(image, box)  # only where the words look like a chart's
        drop_text_marks(marks, inside)
    else:
        marks = Marks()
    if marks.slices:
        return pie_from_marks(labels, marks)
    keys = legend(labels, marks.rects, marks.keys)
    axis = y_axis(labels, marks.rules)
    pie = pie_from_words(labels) if axis is None else None
    if pie is not None:
        return pie
    cats = categories(labels, axis, keys)
    if cats is None:
        return None
    top = title(labels, cats, keys)
    plot = _plot(box, axis, cats, top, keys)
    swatches = {id(k.swatch) for k in keys}
    bars = _grounded([r for r in marks.rects if id(r) not in swatches and centre_in(r.box, plot)],
                     _baseline(marks.rects, axis, plot.y1))
    values = _free_values(labels, axis, cats, keys, top)
    if axis is not None:
        axis.decimals = max([axis.decimals] + [v.decimals for v in values])
    reread = _rereader(image, box, marks, labels, axis, cats) if image is not None else None
    if bars:
        return _grid(cats, *_bars(bars, axis, cats, keys, values, top, reread))
    points = [p for p in _points(marks, cats) if centre_in(p.box, plot)]
    if points:
        return _grid(cats, *_lines(points, axis, cats, keys, values, top, reread))
    if len(keys) > 1:
        return None  # several series and nothing to tell their numbers apart
    return _grid(cats, *_printed_only(values, cats, top))


def reread_words(image: Image.Image, box: Box, dpi: float, words: list[Word],
                 languages: str = "kor+eng") -> list[Word]:
    """A scanned chart's words read again from ``image`` (a render of ``box`` at ``dpi``)
    with its marks erased, when ``words`` (the page's OCR) and its ink look like a chart's;
    else ``words``. Page OCR reads labels next to bars and lines poorly and white labels on dark
    bars not at all; measured on generated charts, the second reading gets most of them."""
    numbers = sum(parse_number(w.text) is not None for w in words)
    if not numbers:
        return words
    marks = raster_marks(image, box)
    drop_text_marks(marks, words)
    if numbers < MIN_NUMBERS and marks.centre is None and len(marks.rects) + len(marks.dots) < 2:
        return words  # one number and no chart ink: a picture with a figure in it
    clean = erase_marks(image, box, marks)
    again = [w for w in ocr_image(clean, dpi, origin=(box.x0, box.y0), languages=languages,
                                  psm=REREAD_PSM).words if not _line_read_as_text(w)]
    # A number the second reading garbled ("3.3.73") may have been read well the first time.
    read = [w.box for w in again if parse_number(w.text) is not None]
    return again + [w for w in words if parse_number(w.text) is not None
                    and not any(w.box.iou(b) > 0.3 for b in read)]


def _line_read_as_text(word: Word) -> bool:
    """What OCR made, unsure, of a label a series line runs through (``+254"Ne`` for 25.1):
    no number and no Hangul. Taken for a label, it became a second series' name."""
    return (word.confidence is not None and word.confidence < MIN_WORD_CONF
            and parse_number(word.text) is None and not _HANGUL.search(word.text))


def _rereader(image: Image.Image, box: Box, marks: Marks, labels: list[Label], axis: Axis | None,
              cats: list[Label]):
    """Reads a scanned mark's label on its own (``indexing.chart_labels``); None without an
    axis to measure against. A label read so must print ``decimals``, those of the labels
    that matched their marks (``_assign``): ``6`` by a point printed 6.5 lost its last digit."""
    numbers = sorted(lb.box.height for lb in labels if lb.number is not None)
    if axis is None or not numbers:
        return None

    def accept(label: Label, measured: float, decimals: int) -> str | None:
        if _agrees(label.number, measured, axis) and label.decimals == decimals:
            return label.text
        return _point_lost(label, measured, axis) or _comma_lost(label, measured, axis, decimals)

    return label_rereader(image, box, marks, numbers[len(numbers) // 2], _slot(cats), accept)


def _plot(box: Box, axis: Axis | None, cats: list[Label], top: Label | None,
          keys: list[Legend]) -> Box:
    """Where marks can be: right of the ticks, over the categories, under title and legend."""
    y0 = max([box.y0, top.box.y1 if top else box.y0] + [k.label.box.y1 for k in keys
                                                        if k.label.box.y1 < cats[0].box.y0])
    x0 = box.x0
    if axis is not None:
        x0 = max(t.box.x1 for t in axis.ticks)
        y0 = max(y0, min(t.box.y0 for t in axis.ticks) - 2 * axis.ticks[0].box.height)
    return Box(x0, y0, box.x1, min(c.box.y0 for c in cats) + 1.0)


# -- bars -------------------------------------------------------------------------------------

def _bars(bars: list[Rect], axis: Axis | None, cats: list[Label], keys: list[Legend],
          values: list[Label], top: Label | None, reread=None):
    series = _series_of([b.color for b in bars], keys, top, _one_per_category(bars, cats))
    base = _baseline(bars, axis, min(c.box.y0 for c in cats))
    marks: dict[tuple[int, int], tuple[Box, float | None]] = {}
    stacked = _is_stacked(bars)
    for bar in bars:
        s, c = _index(series, bar.color), _category(bar.box, cats)
        if c is None:
            continue
        marks[(s, c)] = (bar.box, _bar_value(bar.box, axis, base, stacked))
    return series, _assign(marks, values, axis, _bar_gap, reread and partial(reread, point=False))


def _grounded(rects: list[Rect], base: float) -> list[Rect]:
    """Bars stand on the baseline (or hang from it), segments on a bar: a floating box on a
    scan is a piece of a series line or a label."""
    kept = [r for r in rects if min(abs(r.box.y1 - base), abs(r.box.y0 - base)) <= GROUND]
    grew = True
    while grew:
        more = [r for r in rects if r not in kept and any(
            abs(r.box.y1 - k.box.y0) <= GROUND and _x_overlap(r.box, k.box) > 0.5 for k in kept)]
        kept += more
        grew = bool(more)
    return kept


def _bar_value(b: Box, axis: Axis | None, base: float, stacked: bool) -> float | None:
    if axis is None:
        return None
    if stacked:
        return axis.value(b.y0) - axis.value(b.y1)
    far = b.y0 if abs(b.y1 - base) <= abs(b.y0 - base) else b.y1
    return axis.value(far)


def _baseline(bars: list[Rect], axis: Axis | None, floor: float) -> float:
    """Page y the bars grow from: the axis' zero (extrapolated when its tick went unread)
    where it lies over the categories at ``floor``, else the lowest bar foot."""
    if axis is not None and axis.y_of(0.0) <= floor + 1.0:
        return axis.y_of(0.0)
    return max((b.box.y1 for b in bars if b.box.y1 <= floor + 1.0), default=floor)


def _is_stacked(bars: list[Rect]) -> bool:
    """Bars of two colours one over the other."""
    for a in bars:
        for b in bars:
            if a is not b and not same_color(a.color, b.color) and _x_overlap(a.box, b.box) > 0.5:
                return True
    return False


def _bar_gap(mark: Box, label: Label) -> float | None:
    """How far ``label`` is from where a bar's label goes (inside it, over or under it)."""
    lb, h = label.box, max(label.box.height, 1.0)
    if not mark.x0 - 0.3 * mark.width - 2 <= cx(lb) <= mark.x1 + 0.3 * mark.width + 2:
        return None
    dx = abs(cx(lb) - cx(mark))
    if mark.y0 <= cy(lb) <= mark.y1:
        return dx
    gap = mark.y0 - lb.y1 if cy(lb) < mark.y0 else lb.y0 - mark.y1
    return dx + gap if -0.5 * h <= gap <= 2.0 * h else None


# -- lines ------------------------------------------------------------------------------------

def _points(marks: Marks, cats: list[Label]) -> list[Dot]:
    """Series points: the vertices of series lines (with their markers' boxes), or markers.
    A line far denser than its categories (a daily series under yearly labels) is read
    where it crosses each category's centre."""
    if not marks.lines:
        return list(marks.dots)
    points = []
    for line in marks.lines:
        if len(line.points) > DENSE * len(cats):
            points += [Dot(Box(x - 1, y - 1, x + 1, y + 1), line.color)
                       for x, y in _crossings(line.points, [cx(c.box) for c in cats])]
            continue
        for x, y in line.points:
            dot = next((d for d in marks.dots if math.dist(d.centre, (x, y)) < 1.0), None)
            points.append(Dot(dot.box if dot else Box(x - 1, y - 1, x + 1, y + 1), line.color))
    return points


def _crossings(points: list[tuple[float, float]], xs: list[float]) -> list[tuple[float, float]]:
    """The line's y at each x it spans (linear between the vertices around it)."""
    out = []
    for x in xs:
        for (x0, y0), (x1, y1) in pairwise(points):
            if min(x0, x1) <= x <= max(x0, x1):
                t = (x - x0) / (x1 - x0) if x1 != x0 else 0.0
                out.append((x, y0 + t * (y1 - y0)))
                break
    return out


def _lines(points: list[Dot], axis: Axis | None, cats: list[Label], keys: list[Legend],
           values: list[Label], top: Label | None, reread=None):
    series = _series_of([p.color for p in points], keys, top, _one_per_category(points, cats))
    marks: dict[tuple[int, int], tuple[Box, float | None]] = {}
    for p in points:
        s, c = _index(series, p.color), _category(p.box, cats)
        if c is not None:
            marks[(s, c)] = (p.box, axis.value(p.centre[1]) if axis else None)
    return series, _assign(marks, values, axis, _point_gap, reread and partial(reread, point=True))


def _point_gap(mark: Box, label: Label) -> float | None:
    """How far ``label`` is from a point: over or under it, centred on it."""
    lb, h = label.box, max(label.box.height, 1.0)
    dx = abs(cx(lb) - cx(mark))
    dy = min(abs(lb.y1 - cy(mark)), abs(lb.y0 - cy(mark)))
    if dx > max(lb.width / 2, 4.0) + 2 or dy > 2.5 * h:
        return None
    return dx + dy


# -- printed numbers and their marks ------------------------------------------------------------

def _free_values(labels: list[Label], axis: Axis | None, cats: list[Label], keys: list[Legend],
                 top: Label | None) -> list[Label]:
    """Numbers that can be data labels: not ticks, categories, legend entries or the title."""
    used = {id(t) for t in (axis.ticks if axis else [])} | {id(c) for c in cats}
    used |= {id(k.label) for k in keys} | ({id(top)} if top else set())
    floor = min(c.box.y0 for c in cats)
    found = [lb for lb in labels if lb.number is not None and id(lb) not in used
             and (lb.box.y0 + lb.box.y1) / 2 < floor]
    return _same_grouping(found)


def _same_grouping(values: list[Label]) -> list[Label]:
    """Values written with thousands separators like most of the chart's: "3513" among
    "3,452" and "3,221" is an OCR misreading (often of more than the comma)."""
    big = [v for v in values if abs(v.number) >= 1000]
    commas = sum("," in v.text for v in big)
    if not big or commas in (0, len(big)):
        return values
    style = commas * 2 >= len(big)
    return [v for v in values if abs(v.number) < 1000 or ("," in v.text) == style]


def _matched_decimals(cells: dict[tuple[int, int], Cell], values: Sequence[Label], axis: Axis | None) -> int:
    """The decimals most labels that matched their marks print, their lost points put back
    (``34`` by a point at 3.4 prints one); those most printed values print where none did.
    On a scan, most labels can lose their points: ``34``, ``31`` and ``33.1`` print one."""
    printed = [p[1] for c in cells.values() if (p := parse_number(c.text)) is not None]
    if printed:
        return Counter(printed).most_common(1)[0][0]
    return usual_decimals(values, axis) if axis is not None else 0


def usual_decimals(values: Sequence[Label], axis: Axis) -> int:
    """The decimals most of a chart's printed values print: whether a point in a label is a
    thousands comma misread. Not the axis' decimals, the most any value prints: one ``3,270``
    misread ``3.270`` would make an integer chart's three, and then no comma could be put
    back."""
    return Counter(v.decimals for v in values).most_common(1)[0][0] if values else axis.decimals


def _assign(marks: dict[tuple[int, int], tuple[Box, float | None]], values: list[Label],
            axis: Axis | None, gap, reread=None) -> dict[tuple[int, int], Cell]:
    """Each mark takes the nearest free printed number that agrees with its measure (or does
    once the decimal point OCR lost is put back); on a scan, a mark left over has its label
    read again on its own (``reread(box, measured)``); the rest keep their measure, marked
    estimated."""
    pairs = []
    for key, (box, measured) in marks.items():
        for i, label in enumerate(values):
            d = gap(box, label)
            if d is None:
                continue
            text = label.text if _agrees(label.number, measured, axis) else _point_lost(label, measured, axis)
            if text is not None:
                pairs.append((d, key, i, text))
    cells: dict[tuple[int, int], Cell] = {}
    taken: set[int] = set()
    for _, key, i, text in sorted(pairs, key=lambda p: p[0]):
        if key not in cells and i not in taken:
            cells[key] = Cell(text, values[i].box)
            taken.add(i)
    decimals = _matched_decimals(cells, values, axis) if reread is not None else 0
    for key, (box, measured) in marks.items():
        if key not in cells and reread is not None and (cell := reread(box, measured, decimals=decimals)) is not None:
            cells[key] = cell
        if key not in cells:
            text = axis.format(measured) if axis and measured is not None else ""
            cells[key] = Cell(text, box, estimated=bool(text))
    return cells


def _point_lost(label: Label, measured: float | None, axis: Axis | None) -> str | None:
    """``label`` with the decimal point that OCR dropped put back ("34" for a printed "3.4"
    by its mark), where the chart prints decimals (the axis' or a value's: on a scan the
    points of most values may be lost) and the mended value agrees with the measure; else
    None. A scan's small point is the first glyph to go, next to a line."""
    digits = label.text.rstrip("%")
    if axis is None or measured is None or not axis.decimals or not digits.isdigit() \
            or len(digits) <= axis.decimals:
        return None
    d = axis.decimals
    mended = f"{digits[:-d]}.{digits[-d:]}"
    if not _agrees(float(mended), measured, axis):
        return None
    return mended + label.text[len(digits):]


_POINT_FOR_COMMA = re.compile(r"(-?\d{1,3})\.(\d{3})")


def _comma_lost(label: Label, measured: float, axis: Axis, decimals: int) -> str | None:
    """``label`` with the thousands comma that OCR read as a point put back ("3.270" for a
    printed 3,270), where the chart prints no decimals (``usual_decimals``) and the mended
    value agrees."""
    m = _POINT_FOR_COMMA.fullmatch(label.text)
    if decimals or m is None or not _agrees(float(m[1] + m[2]), measured, axis):
        return None
    return f"{m[1]},{m[2]}"


def _agrees(printed: float | None, measured: float | None, axis: Axis | None) -> bool:
    if printed is None or measured is None or axis is None:
        return printed is not None
    return abs(printed - measured) <= AGREE * (axis.high - axis.low)


def _printed_only(values: list[Label], cats: list[Label], top: Label | None):
    """One series from the numbers printed over the categories, one over each."""
    cells: dict[tuple[int, int], Cell] = {}
    slot = _slot(cats)
    for c, cat in enumerate(cats):
        x = cx(cat.box)
        near = [v for v in values if abs(cx(v.box) - x) < slot / 2]
        if len(near) > 1:
            return [], {}  # several numbers over a category: several series, none named
        if near:
            cells[(0, c)] = Cell(near[0].text, near[0].box)
    if len(cells) < 2:
        return [], {}
    return [Row(top.text if top else "", None, top.box if top else None)], cells


# -- series and categories ----------------------------------------------------------------------

def _series_of(colors: list[Color], keys: list[Legend], top: Label | None,
               one_per_category: bool) -> list[Row]:
    """Series in legend order, then colours the legend lacks; one series when there is no
    legend and every category has one mark (a one-series chart may colour each bar)."""
    if not keys and one_per_category:
        return [Row(top.text if top else "", None, top.box if top else None)]
    series = [Row(k.label.text, k.color, k.label.box) for k in keys]
    for color in colors:
        if not any(s.color is not None and same_color(s.color, color) for s in series):
            series.append(Row("", color))
    if len(series) == 1 and not keys:
        series[0].name, series[0].box = (top.text, top.box) if top else ("", None)
    return series


def _index(series: list[Row], color: Color) -> int:
    for i, s in enumerate(series):
        if s.color is None or same_color(s.color, color):
            return i
    return 0


def _one_per_category(marks: list, cats: list[Label]) -> bool:
    seen = [_category(m.box, cats) for m in marks]
    return len(seen) == len(set(seen))


def _category(b: Box, cats: list[Label]) -> int | None:
    x, slot = cx(b), _slot(cats)
    best = min(range(len(cats)), key=lambda i: abs(cx(cats[i].box) - x))
    return best if abs(cx(cats[best].box) - x) <= slot / 2 else None


def _slot(cats: list[Label]) -> float:
    xs = sorted(cx(c.box) for c in cats)
    gaps = [b - a for a, b in pairwise(xs)]
    return sorted(gaps)[len(gaps) // 2] if gaps else max(c.box.width for c in cats) * 2


# -- the table ---------------------------------------------------------------------------------

def _grid(cats: list[Label], series: list[Row], cells: dict[tuple[int, int], Cell]
          ) -> Table | None:
    if not series or not cells:
        return None
    return make_table([Cell(c.text, c.box) for c in cats], series, cells)


def _x_overlap(a: Box, b: Box) -> float:
    inter = min(a.x1, b.x1) - max(a.x0, b.x0)
    return max(0.0, inter) / max(min(a.width, b.width), 1e-6)

"""The words of a chart sorted into roles: title, y-axis ticks, categories, legend names.

``indexing.chart_data`` needs to know which printed numbers scale the y axis, which labels
name the categories and which name each series. Words (text layer or OCR) are first joined
into labels: a number is a label of its own, other words join their neighbours on the line
("디스플레이", "연구 개발"). The y axis is the tallest column of right-aligned numbers whose
values fall linearly as the page y grows (a tick is snapped to a gridline beside it); the
categories are the first line of labels under the lowest tick (the lowest line when there is
no axis); a legend entry is a label just right of a small swatch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from indexing.chart_marks import Color, Rect
from indexing.charts import word_lines
from indexing.geometry import Box
from indexing.model import Word

_NUMBER = re.compile(r"^[+\-−]?\d[\d,]*(\.\d+)?%?$")
_POINT_GROUPED = re.compile(r"^\d{1,3}\.\d{3}$")
_GLUED = re.compile(r"^(\S*[가-힣]{2})([+\-−]?\d[\d,]*(?:\.\d+)?%?)$")
# An axis of years or months, written without 년: "2019", "2009.08", "2021-03".
_YEAR = re.compile(r"^(19|20)\d\d([.\-/](0[1-9]|1[0-2]))?$")
RIGHT_ALIGN = 2.0  # tick labels' right edges agree this closely (points)
FIT = 0.01  # ticks lie this close to their line (share of the axis range)
SWATCH_MAX = 12.0
MIN_TICKS = 3
JOIN = 0.35  # words this close (share of their height) are one label: a space, not a gap


@dataclass(slots=True)
class Label:
    """Words read together: one number, or a run of words on one line."""

    text: str
    box: Box
    number: float | None = None
    decimals: int = 0

    @property
    def year(self) -> bool:
        return bool(_YEAR.match(self.text))


@dataclass(slots=True)
class Legend:
    label: Label
    color: Color | None
    swatch: Rect | None


@dataclass(slots=True)
class Axis:
    """The y axis: value = slope * y + offset, fitted to its ticks."""

    ticks: list[Label]
    slope: float
    offset: float
    low: float
    high: float
    decimals: int = 0
    comma: bool = False
    percent: bool = False

    def value(self, y: float) -> float:
        return self.slope * y + self.offset

    def y_of(self, value: float) -> float:
        return (value - self.offset) / self.slope

    def format(self, value: float) -> str:
        """A measured value written like the printed ones, to about 0.5% of the range."""
        d = self.decimals
        while d < 4 and 10.0 ** -d > (self.high - self.low) / 200:
            d += 1
        text = f"{value:,.{d}f}" if self.comma else f"{value:.{d}f}"
        if text.startswith("-") and not text.strip("-0.,"):
            text = text[1:]
        return text + ("%" if self.percent else "")


def parse_number(text: str) -> tuple[float, int] | None:
    """The value and decimals of a printed number ("2,594", "45.2%", "−3.5"), else None."""
    t = text.strip()
    if not _NUMBER.match(t):
        return None
    t = t.replace("−", "-").replace(",", "").rstrip("%")
    decimals = len(t.split(".")[1]) if "." in t else 0
    return float(t), decimals


def labels_of(words: list[Word]) -> list[Label]:
    """Words joined into labels, line by line (top to bottom), left to right."""
    out: list[Label] = []
    words = [part for w in words for part in _unglue(Word(_trim(w.text), w.box, w.confidence))]
    for line in word_lines([w for w in words if _readable(w.text)]):
        run: list[Word] = []
        for w in sorted(line, key=lambda w: w.box.x0):
            if run and _joins(run[-1], w):
                run.append(w)
                continue
            if run:
                out.append(_label(run))
            run = [w]
        if run:
            out.append(_label(run))
    return out


def _trim(text: str) -> str:
    """OCR reads a swatch or a bar edge as a bracket or bar glued to a word ("[통신")."""
    return text.strip("[]|") or text


def _unglue(word: Word) -> list[Word]:
    """A name and a number OCR read as one word ("반도체28.4%") cut in two, the box shared
    by characters."""
    m = _GLUED.match(word.text)
    if not m:
        return [word]
    b, cut = word.box, len(m.group(1)) / len(word.text)
    mid = b.x0 + b.width * cut
    return [Word(m.group(1), Box(b.x0, b.y0, mid, b.y1, b.space), word.confidence),
            Word(m.group(2), Box(mid, b.y0, b.x1, b.y1, b.space), word.confidence)]


def _readable(text: str) -> bool:
    """Not OCR debris: a letter or digit that is not a lone jamo (ㄴ, ㅣ)."""
    return any(c.isalnum() and not 0x3131 <= ord(c) <= 0x318E for c in text)


def _joins(left: Word, right: Word) -> bool:
    if parse_number(left.text) or parse_number(right.text):
        return False
    h = max(left.box.height, right.box.height, 1.0)
    return right.box.x0 - left.box.x1 <= JOIN * h


def _label(words: list[Word]) -> Label:
    box = words[0].box
    for w in words[1:]:
        box = box.union(w.box)
    text = " ".join(w.text for w in words)
    parsed = parse_number(text) if len(words) == 1 else None
    return Label(text, box, *(parsed if parsed else (None, 0)))


# -- the y axis ---------------------------------------------------------------------------------

def y_axis(labels: list[Label], rules: list[float]) -> Axis | None:
    """The tallest right-aligned column of numbers that fits a line, rising up the page."""
    nums = sorted((lb for lb in labels if lb.number is not None and not lb.year),
                  key=lambda lb: lb.box.x1)
    groups: list[list[Label]] = []
    for lb in nums:
        if groups and lb.box.x1 - groups[-1][0].box.x1 <= RIGHT_ALIGN:
            groups[-1].append(lb)
        else:
            groups.append([lb])
    best: Axis | None = None
    for group in groups:
        axis = _fit_ticks(group, rules)
        if axis and (best is None or len(axis.ticks) > len(best.ticks)):
            best = axis
    return best


def _fit_ticks(group: list[Label], rules: list[float]) -> Axis | None:
    if len(group) < MIN_TICKS:
        return None
    if any("," in t.text for t in group):  # OCR reads some commas as points: "6.000"
        for t in group:
            _thousands(t)
    axis = _fit(group, rules)
    if axis is None and len(group) > MIN_TICKS:  # one misread tick may be left out
        for i in range(len(group)):
            axis = _fit(group[:i] + group[i + 1:], rules)
            if axis is not None:
                break
    return axis


def _thousands(tick: Label) -> None:
    """ "6.000" read as 6,000 (a tick among comma-grouped ticks), in place."""
    if _POINT_GROUPED.match(tick.text) and tick.number is not None:
        tick.text, tick.number, tick.decimals = tick.text.replace(".", ","), tick.number * 1000, 0


def _fit(ticks: list[Label], rules: list[float]) -> Axis | None:
    ticks = sorted(ticks, key=lambda t: _cy(t.box))
    values = [t.number for t in ticks]
    if any(a <= b for a, b in pairwise(values)) or any(
            b.box.y0 < a.box.y1 - 0.2 * a.box.height for a, b in pairwise(ticks)):
        return None  # values must fall down the page, labels one under another
    if not _even_steps(values):
        return None
    ys = [_snap(_cy(t.box), rules, 0.6 * t.box.height) for t in ticks]
    slope, offset = np.polyfit(ys, values, 1)
    low, high = min(values), max(values)
    worst = max(abs(slope * y + offset - v) for y, v in zip(ys, values, strict=True))
    if worst > FIT * (high - low):
        return None
    return Axis(ticks, float(slope), float(offset), low, high,
                decimals=max(t.decimals for t in ticks),
                comma=any("," in t.text for t in ticks),
                percent=all(t.text.endswith("%") for t in ticks))


def _even_steps(values: list[float]) -> bool:
    """Ticks step evenly: every step a whole multiple of the smallest (one may be unread)."""
    steps = [a - b for a, b in pairwise(values)]
    unit = min(steps)
    return all(abs(s / unit - round(s / unit)) < 0.02 and round(s / unit) <= 3 for s in steps)


def _snap(y: float, rules: list[float], reach: float) -> float:
    near = [r for r in rules if abs(r - y) <= reach]
    return min(near, key=lambda r: abs(r - y)) if near else y


# -- categories, legend, title ---------------------------------------------------------------

def categories(labels: list[Label], axis: Axis | None, keys: list[Legend]) -> list[Label] | None:
    """The category labels, left to right: the first line of two or more words under the
    lowest tick, or without an axis the lowest such line."""
    skip = {id(k.label) for k in keys} | {id(t) for t in (axis.ticks if axis else [])}
    words = [lb for lb in labels if id(lb) not in skip and (lb.number is None or lb.year)]
    lines = word_lines(words)
    if axis is not None:
        floor = max(_cy(t.box) + 0.3 * t.box.height for t in axis.ticks)
        below = [ln for ln in lines if min(_cy(lb.box) for lb in ln) > floor and len(ln) >= 2]
        line = below[0] if below else None
    else:
        line = next((ln for ln in reversed(lines) if len(ln) >= 2), None)
    return _merge_close(sorted(line, key=lambda lb: lb.box.x0)) if line else None


def _merge_close(line: list[Label]) -> list[Label]:
    """Labels much closer than the line's usual gap are one category ("연구" "개발")."""
    gaps = sorted(b.box.x0 - a.box.x1 for a, b in pairwise(line))
    if len(gaps) < 2:
        return line
    usual = gaps[len(gaps) // 2]
    out = [line[0]]
    for lb in line[1:]:
        if lb.box.x0 - out[-1].box.x1 < 0.4 * usual:
            out[-1] = Label(f"{out[-1].text} {lb.text}", out[-1].box.union(lb.box))
        else:
            out.append(lb)
    return out


def legend(labels: list[Label], rects: list[Rect], lines: Sequence[Rect] = ()) -> list[Legend]:
    """Labels that start just right of a small swatch (or of a short line, a line series'
    swatch), in reading order; a swatch in line with those, of their size, whose label went
    unread is an entry without a name."""
    out, bare = [], []
    small = [r for r in rects if max(r.box.width, r.box.height) <= SWATCH_MAX
             and 0.3 <= r.box.width / max(r.box.height, 1e-6) <= 3]
    for sw in [*small, *lines]:
        b = sw.box
        mid = _cy(b)
        hits = [lb for lb in labels if lb.number is None and b.x0 - 1 <= lb.box.x0 <= b.x1 + 12
                and abs(_cy(lb.box) - mid) <= max(0.6 * lb.box.height, 3.0)]
        if hits:
            out.append(Legend(min(hits, key=lambda lb: lb.box.x0), sw.color, sw))
        else:
            bare.append(sw)
    for sw in bare:
        if any(_like(sw.box, k.swatch.box) for k in out if k.swatch):
            out.append(Legend(Label("", sw.box), sw.color, sw))
    return sorted(out, key=lambda k: (round(_cy(k.swatch.box) / 4), k.swatch.box.x0))


def _like(a: Box, b: Box) -> bool:
    """Two swatches of one legend row: one size, one height."""
    return abs(_cy(a) - _cy(b)) <= 1.0 and abs(a.width - b.width) <= 1.0 \
        and abs(a.height - b.height) <= 1.0


def title(labels: list[Label], cats: list[Label], keys: list[Legend], *,
          below: float | None = None) -> Label | None:
    """The top line of words when it is not numbers, categories or legend names."""
    taken = {id(c) for c in cats} | {id(k.label) for k in keys}
    lines = word_lines(labels)
    if not lines:
        return None
    top = lines[0]
    if any(id(lb) in taken or lb.number is not None for lb in top):
        return None
    if below is not None and max(lb.box.y1 for lb in top) > below:
        return None
    top = sorted(top, key=lambda lb: lb.box.x0)
    box = top[0].box
    for lb in top[1:]:
        box = box.union(lb.box)
    return Label(" ".join(lb.text for lb in top), box)


def _cy(b: Box) -> float:
    return (b.y0 + b.y1) / 2


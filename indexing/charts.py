"""The points of a chart read from its words: each x-axis label with the value printed over it.

A chart crop's words (from the text layer or OCR) come as a bag: title, axis ticks, category
labels, value labels. A question asks for one point ("2021년 관광객 수"), which a short passage
``title | 2021년: 8,280`` answers better than the whole bag, and its box (label and value)
locates the answer. The x-axis labels are the lowest line of three or more words in the lower
part of the chart; a value belongs to the label whose slot (half the distance to the next
label on each side) holds its centre, and the one nearest the label wins. Axis ticks sit left
of the first slot and are left out; a chart without value labels yields no points.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from indexing.geometry import Box
from indexing.model import Word

_NUMBER = re.compile(r"^[+\-−]?\d[\d,]*(\.\d+)?%?$")
_YEAR = re.compile(r"^(19|20)\d\d$")  # an axis of years, written without 년
MIN_LABELS = 3


@dataclass(frozen=True, slots=True)
class ChartPoint:
    label: str
    value: str
    box: Box  # the label and the value together


def chart_points(words: list[Word]) -> list[ChartPoint]:
    lines = word_lines(words)
    axis = _axis_line(lines, words)
    if axis is None:
        return []
    labels = sorted(axis, key=lambda w: _cx(w.box))
    centres = [_cx(w.box) for w in labels]
    values = [w for w in words if _is_value(w.text) and w not in axis
              and _cy(w.box) < min(_cy(a.box) for a in axis)]
    points = []
    for i, label in enumerate(labels):
        left = centres[i] - (centres[i] - centres[i - 1] if i else centres[1] - centres[0]) / 2
        right = centres[i] + ((centres[i + 1] if i + 1 < len(centres) else 2 * centres[i] - centres[i - 1])
                              - centres[i]) / 2
        inside = [v for v in values if left <= _cx(v.box) < right]
        if inside:
            value = min(inside, key=lambda v: abs(_cx(v.box) - centres[i]))
            points.append(ChartPoint(label.text, value.text, label.box.union(value.box)))
    return points if len(points) >= 2 else []


def chart_title(words: list[Word]) -> str:
    """The top line of a chart's words when it is not a number line (its title)."""
    lines = word_lines(words)
    if not lines:
        return ""
    top = min(lines, key=lambda line: min(w.box.y0 for w in line))
    if all(_is_value(w.text) for w in top):
        return ""
    return " ".join(w.text for w in sorted(top, key=lambda w: w.box.x0))


class _Boxed(Protocol):
    @property
    def box(self) -> Box: ...


B = TypeVar("B", bound=_Boxed)


def word_lines(words: Sequence[B]) -> list[list[B]]:
    """Words (or anything boxed) grouped into lines by vertical centre, within half a height."""
    lines: list[list[B]] = []
    for w in sorted(words, key=lambda w: _cy(w.box)):
        if lines and abs(_cy(w.box) - _cy(lines[-1][-1].box)) <= 0.5 * max(w.box.height, 1.0):
            lines[-1].append(w)
        else:
            lines.append([w])
    return lines


def _axis_line(lines: list[list[Word]], words: list[Word]) -> list[Word] | None:
    top = min(w.box.y0 for w in words)
    bottom = max(w.box.y1 for w in words)
    for line in sorted(lines, key=lambda ln: -_cy(ln[0].box)):
        if _cy(line[0].box) < top + 0.6 * (bottom - top):
            return None  # the labels sit in the lower part of a chart
        if len(line) >= MIN_LABELS and not all(_is_value(w.text) for w in line):
            return line
    return None


def _is_value(text: str) -> bool:
    return bool(_NUMBER.match(text)) and not _YEAR.match(text)


def _cx(box: Box) -> float:
    return (box.x0 + box.x1) / 2


def _cy(box: Box) -> float:
    return (box.y0 + box.y1) / 2

"""Is a reading supported by its evidence? Checked in code, whatever produced the reading.

A reading holds when its answer (the span, or each number of a series) occurs in the crop's
own text or table cells, every cited box lies inside the crop (a small margin allowed), a
sub-question that names an entity finds it in the crop's document (title, headings, text),
and a numeric sub-question got a number. A model's answer that fails is not repaired: the
next reading is tried.
"""

from __future__ import annotations

import re

from docagent.agent.evidence import Candidate
from docagent.agent.state import Reading, SubQuestion
from indexing.geometry import Box, Space

MARGIN_PT = 3.0
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _squash(text: str) -> str:
    return "".join(text.split()).replace(",", "")


def _haystack(c: Candidate) -> str:
    cells = " ".join(cell.text for cell in c.crop.table.cells) if c.crop.table else ""
    words = " ".join(w.text for w in c.crop.words)
    return _squash(" ".join((c.crop.text, cells, words)))


def _inside(b: list[float], crop: Box) -> bool:
    return (b[0] >= crop.x0 - MARGIN_PT and b[1] >= crop.y0 - MARGIN_PT
            and b[2] <= crop.x1 + MARGIN_PT and b[3] <= crop.y1 + MARGIN_PT and b[2] > b[0] and b[3] > b[1])


def check(reading: Reading, sub: SubQuestion, c: Candidate, numeric: bool) -> str:
    """``""`` when the reading is supported, else why not (for the step log)."""
    if not reading.text and not reading.values:
        return reading.note or "no answer in this crop"
    hay = _haystack(c)
    if reading.values:
        missing = [v.text for v in reading.values if _squash(v.text).lstrip("-−△") not in hay]
        if missing:
            return f"{', '.join(missing)} not in the crop's text"
    elif _squash(reading.text) not in hay:
        return f"{reading.text!r} not in the crop's text"
    if numeric and not reading.values:
        return f"{reading.text!r} is not a number"
    crop = Box(*c.result["bbox"], Space.PAGE)
    for cite in reading.citations:
        if not _inside(cite.bbox, crop):
            return f"box {cite.bbox} lies outside the crop {c.result['bbox']}"
    if sub.entity and _squash(sub.entity) not in _squash(c.context) + hay:
        return f"{sub.entity} is not named in {c.result['filename']}"
    return ""

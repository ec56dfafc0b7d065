"""The second OCR pass's bookkeeping: which first-pass words are read again, where the page is
cut around them, and which of the two readings is kept. No Tesseract here.

A segment is a run of consecutive words on one line that hold no Hangul syllable: the ``kor``
model reads Latin text as digits, punctuation or lone jamo ("H317" -> "11317", "ECHA" ->
"ㄷ 다14"), never as Latin letters, so such words are what the other languages must look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from statistics import median

import numpy as np

from indexing.mosaic import PixelBox

MIN_CONFIDENCE = 40.0  # a word read below this is dropped (ocr_image's default)
TOUCH = 0.3  # pieces this close (in line heights) are one printed word
SPLIT_GAP = 2.5  # a gap wider than this many line heights ends a segment (a column boundary)
SEGMENT_PAD = 0.1  # blank margin kept around a segment, in line heights (0.25 read less Latin)
INK_LEVEL = 128  # gray below this is ink
# a number, with the punctuation Tesseract boxes with it (", 2010" before 년, "(2013")
_NUMERIC = re.compile(r"[^\w\s]*[0-9][0-9,.%]*[^\w\s]*")


@dataclass(frozen=True, slots=True)
class Read:
    """One word as Tesseract read it, in image pixels."""

    text: str
    conf: float
    box: PixelBox
    line: tuple[int, int, int]  # Tesseract's (block, paragraph, line)


@dataclass(frozen=True, slots=True)
class Segment:
    """``reads[start:stop]``, consecutive words without Hangul, to be cut out at ``box``."""

    start: int
    stop: int
    box: PixelBox


def rereadable(text: str) -> bool:
    """No Hangul syllable: digits, punctuation, or lone jamo that stand for misread Latin
    (counting the jamo raised Latin-token recall on the real PDFs from 0.40 to 0.46)."""
    return not any(0xAC00 <= ord(ch) <= 0xD7A3 for ch in text)


def find_segments(reads: list[Read], ink: np.ndarray) -> list[Segment]:
    """The segments of ``reads`` (in reading order), line by line; ``ink`` is the page's
    boolean ink mask, used to cut between glyphs."""
    segments: list[Segment] = []
    start = 0
    while start < len(reads):
        stop = start
        while stop < len(reads) and reads[stop].line == reads[start].line:
            stop += 1
        segments.extend(_line_segments(reads, start, stop, ink))
        start = stop
    return segments


def keep_second(first: list[Read], second: list[Read]) -> bool:
    """Whether the second reading of a segment replaces the first: it must say something, and
    with a higher character-weighted mean confidence.

    Weighting by characters stops a confident "1" or ":" from outvoting a long word. On the
    43 text pages of the real PDFs this rule gave the best bigram F1 (0.917) of those tried:
    plain mean 0.916 with less Latin, minimum 0.916, margins of -10 / +10 points 0.916 /
    0.915 (trading Latin against Hangul recall), ``always`` 0.899 (it lost 7 points of
    Hangul-token recall), ``never`` 0.870 (no Latin at all).
    """
    return bool(second) and not _drops_last_digits(first, second) \
        and (_weighted_conf(second) > _weighted_conf(first) or _comma_read_as_one(first, second))


_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _comma_read_as_one(first: list[Read], second: list[Read]) -> bool:
    """The first reading is the second's grouped number with its commas read as "1" or lost
    (``1,561.4ha`` as ``11561.412``, ``1,416.8MW`` as ``1416.81``), confusions of ``kor``
    that leave it confident: the second reading stands whatever the two confidences."""
    a, b = "".join(r.text for r in first), "".join(r.text for r in second)
    m = _GROUPED.match(b)
    return bool(m) and (a.startswith(m.group(0).replace(",", "1")) or a.startswith(m.group(0).replace(",", "")))


def _drops_last_digits(first: list[Read], second: list[Read]) -> bool:
    """A number read again as the same number short of its last digits ("2013" -> "201"):
    the segment was cut through its last glyph, which happens where Tesseract boxes the
    next word ("년" of "2013년") starting inside this one, so the first reading stands. A
    number that only changes ("11534" -> "1,534": ``kor`` reads a comma as "1") is no cut."""
    a, b = "".join(r.text for r in first), "".join(r.text for r in second)
    if not (_NUMERIC.fullmatch(a) and _NUMERIC.fullmatch(b)):
        return False
    da, db = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
    return len(db) < len(da) and da.startswith(db)


def merge(reads: list[Read], segments: list[Segment], seconds: list[list[Read]]) -> list[Read]:
    """``reads`` with each segment's words swapped for its second reading where that is kept;
    the new words join the segment's line."""
    out: list[Read] = []
    done = 0
    for seg, second in zip(segments, seconds, strict=True):
        out.extend(reads[done:seg.start])
        first = reads[seg.start:seg.stop]
        if keep_second(first, second):
            # kept over a surer first reading, it keeps that reading's confidence: the
            # low-confidence filter would drop the figure otherwise
            floor = _weighted_conf(first) if _comma_read_as_one(first, second) else 0.0
            out.extend(replace(r, line=first[0].line, conf=max(r.conf, floor)) for r in second)
        else:
            out.extend(first)
        done = seg.stop
    return out + reads[done:]


def _weighted_conf(reads: list[Read]) -> float:
    chars = sum(len(r.text) for r in reads)
    return sum(len(r.text) * r.conf for r in reads) / max(chars, 1)


def _line_segments(reads: list[Read], start: int, stop: int, ink: np.ndarray) -> list[Segment]:
    line = reads[start:stop]
    height = median(r.box[3] - r.box[1] for r in line) or 1
    pad = max(2, round(SEGMENT_PAD * height))
    top = max(min(r.box[1] for r in line) - pad, 0)
    bottom = min(max(r.box[3] for r in line) + pad, ink.shape[0])
    columns = ink[top:bottom].sum(axis=0)
    out = []
    for first, last in _runs(line, height):
        x0, x1 = line[first].box[0], line[last].box[2]
        if last + 1 < len(line):
            x1 = max(min(x1, line[last + 1].box[0] - 1), x0 + 1)
        x0 = _edge(columns, x0 - 1, -1, round(height), pad) + 1
        x1 = max(_edge(columns, x1, 1, round(height), pad), x0 + 1)
        out.append(Segment(start + first, start + last + 1, (x0, top, x1, bottom)))
    return out


def _runs(line: list[Read], height: float) -> list[tuple[int, int]]:
    """(first, last) indexes in ``line`` of its runs of re-readable words, with an unsure word
    that touches one (``기`` at confidence 0 and ``.516`` for a cell's 2,516: the number's
    first glyphs taken for a syllable)."""
    runs: list[list[int]] = []
    for i, r in enumerate(line):
        if not (rereadable(r.text) or _unsure_beside_number(line, i, height)):
            continue
        if runs and runs[-1][1] == i - 1 and r.box[0] - line[i - 1].box[2] <= SPLIT_GAP * height:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return [(a, b) for a, b in runs]


def _unsure_beside_number(line: list[Read], i: int, height: float) -> bool:
    """``line[i]`` is read too unsure to be kept and touches a re-readable word with a digit
    after it: a number's first glyphs taken for a syllable. Not one after a number: that is
    its Korean unit or ending (``ha이다``), which the Latin pass would turn into junk."""
    if line[i].conf >= MIN_CONFIDENCE or i + 1 >= len(line):
        return False
    nxt = line[i + 1]
    return rereadable(nxt.text) and any(ch.isdigit() for ch in nxt.text) \
        and nxt.box[0] - line[i].box[2] <= TOUCH * height


def _edge(columns: np.ndarray, x: int, step: int, reach: int, pad: int) -> int:
    """From column ``x`` outwards (``step`` -1 or 1) to the first blank column, then on over
    at most ``pad`` more blank ones; ``x`` itself where nothing within ``reach`` is blank.

    Tesseract's word boxes are a few pixels off where a Latin word touches Hangul: in
    "치(110)는" the box of "치" ends inside "(" and the box of "(110)" runs over "는". A word's
    start is the reliable edge, so a segment runs from its own start, or to its right
    neighbour's start, out to the nearest blank column and so cuts no glyph in two.
    """
    end = len(columns) - 1
    x = min(max(x, 0), end)
    blank = x
    while 0 <= blank <= end and abs(blank - x) <= reach and columns[blank]:
        blank += step
    if not 0 <= blank <= end or abs(blank - x) > reach:
        return x
    for _ in range(pad):
        if not 0 <= blank + step <= end or columns[blank + step]:
            break
        blank += step
    return blank

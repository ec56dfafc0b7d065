"""Displayed formulas on a page laid out from its text-layer lines.

The text layer sets a displayed formula as scraps: each symbol, sub- and superscript, fraction
part and equation number is a line of its own at its own baseline, and tall delimiters read as
headings. Grouped as prose they make a page of one-word "paragraphs" (and a prose block that
swallows the formula lines aligned with it). Here the lines that hold no prose are told apart
first, and those standing together with at least one mathematical symbol among them become one
formula region per displayed band, as the layout model marks them; the prose lines are then
grouped as on any other page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from indexing.geometry import Box, union_of
from indexing.groups import DisjointSets
from indexing.model import Region, RegionKind
from indexing.ocr import OcrLine

# Operator names set upright in formulas; they are words but not prose.
_OPERATORS = frozenset({"lim", "max", "min", "sup", "inf", "log", "exp", "sin", "cos", "tan",
                        "det", "div", "curl", "grad", "arg", "dim", "ker", "mod", "sgn", "tr"})
_PUNCT = "()[]{}.,;:!?\"'“”‘’"
# a word of prose: capitalised or lower case (ligatures, accents), or all capitals, with a
# vowel (a formula's run of variables rarely has one: ``Dpvlq``, ``pBts``); or Hangul
_LATIN_WORD = re.compile(r"^(?:[A-Z]?[a-z\u00df-\u00ff\ufb00-\ufb06]{2,}|[A-Z]{3,})$")
_VOWEL = re.compile(r"[aeiouAEIOU\u00e0-\u00ff\ufb00-\ufb06]")
_HANGUL_WORD = re.compile(r"^[\uac00-\ud7a3]{2,}$")
PROSE_SHARE = 0.3
BAND_GAP = 0.8  # line heights: formula lines closer than this (vertically) are one display


def is_prose(line: OcrLine) -> bool:
    """A line with words of prose: two or more making up ``PROSE_SHARE`` of its tokens, or
    one making up half (``and``); a formula's line has names in it too (``lim``, ``Npy``)."""
    tokens = line.text.split()
    prose = sum(1 for t in tokens if _prose_word(t.strip(_PUNCT)))
    return (prose >= 2 and prose >= PROSE_SHARE * len(tokens)) or (prose >= 1 and 2 * prose >= len(tokens))


def _prose_word(core: str) -> bool:
    if _HANGUL_WORD.match(core):
        return True
    return bool(_LATIN_WORD.match(core) and _VOWEL.search(core)) and core.lower() not in _OPERATORS


def has_math(text: str) -> bool:
    """Whether ``text`` holds a mathematical symbol, a Greek letter or a modifier mark (TeX
    fonts without a proper Unicode map write ``=`` as ``“`` and ``+`` as a backtick)."""
    for ch in text:
        if ch in "=<>^|~`" or "\u0370" <= ch <= "\u03ff":
            return True
        if unicodedata.category(ch) in ("Sm", "Sk") or ch in "“˚":
            return True
    return False


def split_formulas(lines: Sequence[OcrLine]) -> tuple[list[Region], list[OcrLine]]:
    """The formula regions among ``lines`` and the lines left for blocks of prose."""
    prose = [is_prose(ln) for ln in lines]
    loose = [i for i, p in enumerate(prose) if not p]
    walls = [ln.box for ln, p in zip(lines, prose, strict=True) if p]
    bands = _bands([lines[i] for i in loose], walls)
    formulas, taken = [], set()
    for band in bands:
        members = [lines[loose[k]] for k in band]
        if not any(has_math(ln.text) for ln in members):
            continue  # page numbers, a row of figures: not a formula
        taken.update(loose[k] for k in band)
        formulas.append(formula_region(members))
    return formulas, [ln for i, ln in enumerate(lines) if i not in taken]


def formula_region(lines: Sequence[OcrLine]) -> Region:
    """One formula region of ``lines``, read top to bottom and left to right."""
    ordered = sorted(lines, key=lambda ln: (round(ln.box.y0 / 4), ln.box.x0))
    return Region(RegionKind.FORMULA, union_of(ln.box for ln in ordered),
                  text="\n".join(ln.text for ln in ordered),
                  words=[w for ln in ordered for w in ln.words])


def _bands(lines: list[OcrLine], walls: Sequence[Box]) -> list[list[int]]:
    """Lines grouped where two stand within ``BAND_GAP`` line heights of each other
    vertically, unless the box of the two would cover a line of prose (a formula in the other
    column, or one above and one below a paragraph)."""
    sets = DisjointSets(len(lines))
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if sets.find(i) != sets.find(j) and _near(lines[i].box, lines[j].box) \
                    and not _covers(lines[i].box.union(lines[j].box), walls):
                sets.join(i, j)
    return sets.groups()


def _near(a: Box, b: Box) -> bool:
    h = max(min(a.height, b.height), 1.0)
    return max(a.y0, b.y0) - min(a.y1, b.y1) < BAND_GAP * h


def _covers(box: Box, walls: Sequence[Box]) -> bool:
    for wall in walls:
        inter = box.intersect(wall)
        if not inter.is_empty and inter.area > 0.3 * wall.area:
            return True
    return False

"""Words Tesseract reads unsure inside a line of Korean, read again a syllable at a time.

Tesseract's ``kor`` model writes 1,076 Hangul syllables (:mod:`indexing.ocr_charset`). Where a
word holds one of the others (``꽃뫼``, ``솔뫼군``: ``뫼``), the model reads the whole word at
about zero confidence, often as one wrong syllable for two (``쇠`` for ``솔뫼``), and the
low-confidence filter drops it: the syllables it can write go with the one it cannot, and a
report's title loses its name. Hangul is written a syllable to a square, so such a word is cut
at the pitch of the confident Hangul words beside it, every square is read alone (all of a
page has a few such words at most, so every square is its own call), and the syllables read
surely take the word's place, each other square written ``UNREAD`` (U+FFFD, the character
that stands for one that cannot be shown). ``솔뫼군`` is then read ``솔\ufffd 군``, which says
where a syllable could not be read, and :func:`docagent.agent.verify.scanned_forms` finds it
there without taking ``해솔군`` for it.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import median

import numpy as np
from PIL import Image

from indexing.mosaic import PixelBox
from indexing.ocr_charset import UNREAD
from indexing.ocr_segments import INK_LEVEL, Read, rereadable

SURE = 60.0  # a syllable read alone at this confidence or more is kept
MAX_SQUARES = 6  # an unsure run wider than this many syllables is not one word
CUT_REACH = 0.25  # a cut between squares moves to the blankest column this share of a pitch away
SQUARE_PAD = 0.08  # white set around a square to read it, in line heights
SQUARE_PSM = 10  # one character; in a mosaic or a row a syllable's stacked jamo were read apart

Reader = Callable[[Image.Image], list[Read]]  # Tesseract's words for an image (psm 10)


def reread_unsure(image: Image.Image, reads: list[Read], read: Reader, *, below: float) -> list[Read]:
    """``reads`` with each Korean word read at less than ``below`` confidence, on a line of
    confident Hangul, replaced by its squares read alone: the syllables read surely, ``UNREAD``
    for the others (left as it is where fewer than half are read surely). A page has a few
    such words at most, so every square is its own call."""
    unsure = [i for i, r in enumerate(reads) if _unsure_hangul(r, below)]
    if not unsure:  # most pages: no ink mask to make
        return reads
    gray = image.convert("L")
    ink = np.asarray(gray) < INK_LEVEL
    out = list(reads)
    for i in unsure:
        r = reads[i]
        squares = syllable_squares(r, _peers(reads, r, below), ink)
        out[i] = _word([_syllable(read(_padded(gray, box)), box) for box in squares], squares, r.line) or r
    return out


def _unsure_hangul(r: Read, below: float) -> bool:
    """Read unsure, and as Korean: a number or Latin read unsure is the Latin pass's to read
    again, and its squares are no syllables."""
    return r.conf < below and not rereadable(r.text)


def syllable_squares(r: Read, peers: list[Read], ink: np.ndarray) -> list[PixelBox]:
    """The squares of an unsure word, cut at its line's syllable pitch, each boxed to its ink;
    none where the line has no confident Hangul, or the word is not of its height or holds no
    ink or too much for one word."""
    if not peers:
        return []
    pitch = median((p.box[2] - p.box[0]) / len(p.text) for p in peers)
    height = median(p.box[3] - p.box[1] for p in peers)
    if not 0.5 * height <= r.box[3] - r.box[1] <= 2 * height or pitch <= 0:
        return []
    top = min(r.box[1], *(p.box[1] for p in peers))
    bottom = max(r.box[3], *(p.box[3] for p in peers))
    columns = ink[top:bottom].sum(axis=0)
    x0, x1 = _uncovered(r.box, peers, columns)
    inked = np.flatnonzero(columns[x0:x1]) if x1 > x0 else np.zeros(0, dtype=int)
    if not len(inked):
        return []
    x0, x1 = x0 + int(inked[0]), x0 + int(inked[-1]) + 1
    n = round((x1 - x0) / pitch)
    if not 1 <= n <= MAX_SQUARES:
        return []
    cuts = [x0, *(_blank_column(columns, x0 + k * (x1 - x0) / n, pitch) for k in range(1, n)), x1]
    return [_ink_box(ink, (a, top, b, bottom)) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _peers(reads: list[Read], r: Read, below: float) -> list[Read]:
    """The confident all-Hangul words of ``r``'s line that share its height band."""
    return [p for p in reads if p is not r and p.line == r.line and p.conf >= below
            and p.text and all("가" <= ch <= "힣" for ch in p.text) and _share_rows(p.box, r.box)]


def _share_rows(a: PixelBox, b: PixelBox) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1])


def _uncovered(box: PixelBox, peers: list[Read], columns: np.ndarray) -> tuple[int, int]:
    """``box``'s columns less the confident words that overlap its ends and the ink running
    on from them: Tesseract boxes an unsure word over its neighbour (``쇠`` reaches into
    ``군``) and boxes a word narrower than its ink."""
    x0, x1 = box[0], box[2]
    for p in peers:
        if p.box[0] < x1 and p.box[2] > x0:
            if p.box[0] > x0:
                x1 = min(x1, p.box[0])
                while x1 > x0 and columns[x1 - 1]:
                    x1 -= 1
            else:
                x0 = max(x0, p.box[2])
                while x0 < x1 and columns[x0]:
                    x0 += 1
    return x0, x1


def _blank_column(columns: np.ndarray, x: float, pitch: float) -> int:
    """The column with the least ink within reach of ``x``: the white between two syllables."""
    reach = max(1, round(CUT_REACH * pitch))
    lo = max(round(x) - reach, 0)
    window = columns[lo:round(x) + reach + 1]
    return lo + int(np.argmin(window)) if len(window) else round(x)


def _ink_box(ink: np.ndarray, box: PixelBox) -> PixelBox:
    """``box`` shrunk to the rows its ink takes."""
    x0, y0, x1, y1 = box
    rows = np.flatnonzero(ink[y0:y1, x0:x1].any(axis=1))
    return (x0, y0 + int(rows[0]), x1, y0 + int(rows[-1]) + 1) if len(rows) else box


def _padded(gray: Image.Image, box: PixelBox) -> Image.Image:
    """The square on white, with a margin: a crop padded from the page would take in the
    neighbours' ink."""
    pad = max(2, round(SQUARE_PAD * (box[3] - box[1])))
    out = Image.new("L", (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad), 255)
    out.paste(gray.crop(box), (pad, pad))
    return out


def _syllable(words: list[Read], box: PixelBox) -> Read | None:
    """A square's reading where it is one Hangul syllable read surely (a dot read beside it
    aside)."""
    hangul = [w for w in words if not rereadable(w.text)]
    if len(hangul) != 1 or len(hangul[0].text) != 1 or hangul[0].conf < SURE:
        return None
    return Read(hangul[0].text, hangul[0].conf, box, hangul[0].line)


def _word(found: list[Read | None], squares: list[PixelBox], line: tuple[int, int, int]) -> Read | None:
    """The squares as one word, a square not read surely written ``UNREAD``; none where fewer
    than half of them were read surely (ink of something else than a word)."""
    sure = [r for r in found if r is not None]
    if not sure or 2 * len(sure) < len(found):
        return None
    text = "".join(r.text if r is not None else UNREAD for r in found)
    box = (squares[0][0], min(b[1] for b in squares), squares[-1][2], max(b[3] for b in squares))
    return Read(text, min(r.conf for r in sure), box, line)

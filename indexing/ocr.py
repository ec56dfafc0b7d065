"""Tesseract OCR (``kor+eng``) of a page render or a crop, with word boxes in page points.

Two passes. Pass 1 reads the whole image with ``kor`` alone. Pass 2 takes the words of
pass 1 that hold no Hangul syllable (runs of them on one line make a segment), pastes their
crops into one mosaic, one segment per row, and reads it with the other languages (``eng``)
in a single call; a segment's second reading replaces its first where it is more confident.
One ``kor+eng`` call was both slower and worse: Tesseract retries every doubtful word with
``eng``, which costs about half again the CPU of ``kor`` alone and turns Korean words into
Latin junk ("회사명 : RAMA"), while ``kor`` alone reads Latin as junk ("H317" -> "11317").
On the 43 text pages of the real PDFs at 200 dpi the two passes took 0.81x the CPU of one
``kor+eng`` pass with higher token, bigram, Latin and Hangul scores (bench/ocr_accuracy.py).
Any other language string (``kor``, ``eng``) is one pass.

Tesseract often returns Korean words cut into single syllables ("문 서 에" for "문서에") when
the text is letter-spaced, as justified Korean text usually is. Lines are therefore rebuilt
from the word boxes: Hangul pieces closer than about half the line height are glued back
into one word, and a line is cut where a gap is wide enough to be a column or cell boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import partial
from statistics import median

import numpy as np
import pymupdf
from PIL import Image

from indexing import tesseract
from indexing.geometry import Box, Space, union_of
from indexing.model import Word
from indexing.mosaic import locate, paste, plan
from indexing.ocr_large import band_mosaic, find_bands, is_band_read, merge_bands, place
from indexing.ocr_segments import INK_LEVEL, MIN_CONFIDENCE, SPLIT_GAP, Read, find_segments, merge
from indexing.ocr_unsure import SQUARE_PSM, reread_unsure
from indexing.render import render_page
from indexing.tesseract import OcrUnavailableError  # noqa: F401  (callers import it from here)

DEFAULT_LANGUAGES = "kor+eng"
PRIMARY = "kor"  # read alone first; the other languages re-read only what has no Hangul
# One block for the mosaic too: psm 4 lost 4 points of Latin-token recall, and one psm 7 call
# per segment cost 15 times the CPU for no gain.
SECOND_PSM = 6
MOSAIC_GAP = 0.3  # white between mosaic rows, in row heights (0.6: 30% more CPU, same scores)
DEFAULT_DPI = 300
# psm 6 (one uniform block) keeps Korean lines whole; psm 3's automatic segmentation was seen
# to shatter clean Korean pages into fragments, and lines are split into columns below anyway.
DEFAULT_PSM = 6
MAX_LETTER_GAP = 0.6  # letter spacing wider than this share of the line height is word spacing
TOUCH_GAP = 0.08  # pieces this close are one word whatever their script ("3,450" + "억")
DIGIT_GAP = 0.2  # bold digits read apart ("2" "005"); a word space is wider
_COUNTERS = set("년월일원억만천조개명회차호항층세권건장쪽시분초주배")
_CLOSERS = set(".,;:!?)]}%'\"”’」』〉》")
_OPENERS = set("([{\"“‘「『〈《")


@dataclass(slots=True)
class OcrLine:
    """A run of words on one baseline (a column's or a cell's part of a printed line)."""

    words: list[Word]
    box: Box
    block: int = 0

    @classmethod
    def of(cls, words: list[Word], block: int = 0) -> OcrLine:
        """A line of ``words`` (at least one), boxed around them."""
        return cls(words, union_of(w.box for w in words), block)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def core_box(self) -> Box:
        """The line's box, its top and bottom taken from the words of its usual height. A word
        Tesseract boxed twice as tall as its neighbours (it does so with words it glued
        together) would make a body line look like a heading and part it from the next line
        of its paragraph."""
        heights = sorted(w.box.height for w in self.words)
        if not heights:
            return self.box
        usual = heights[(len(heights) - 1) // 2]  # the lower median: glued words are only taller
        core = [w.box for w in self.words if w.box.height <= 1.3 * usual]
        return Box(self.box.x0, min(b.y0 for b in core), self.box.x1, max(b.y1 for b in core),
                   self.box.space)

    @property
    def height(self) -> float:
        return self.core_box.height


@dataclass(slots=True)
class OcrResult:
    lines: list[OcrLine] = field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def tesseract_available(languages: str = DEFAULT_LANGUAGES) -> bool:
    return tesseract.available(languages)


def ocr_page(page: pymupdf.Page, dpi: float = DEFAULT_DPI, languages: str = DEFAULT_LANGUAGES,
             *, psm: int = DEFAULT_PSM) -> tuple[OcrResult, Image.Image, float]:
    """Render ``page`` in gray at ``dpi`` and read it; returns (result, render, dpi used)."""
    image, used = render_page(page, dpi, gray=True)
    return ocr_image(image, used, languages=languages, psm=psm), image, used


def ocr_image(image: Image.Image, dpi: float, *, origin: tuple[float, float] = (0.0, 0.0),
              languages: str = DEFAULT_LANGUAGES, psm: int = DEFAULT_PSM,
              min_confidence: float = MIN_CONFIDENCE, single_pass: bool = False) -> OcrResult:
    """Read ``image`` (rendered at ``dpi``, its top-left at page point ``origin``).

    ``single_pass`` reads all of ``languages`` in one Tesseract call, as before the two
    passes (kept for comparison: bench/ocr_accuracy.py).
    """
    primary, others = (languages, "") if single_pass else split_languages(languages)
    reads = parse_words(run_tesseract(image, dpi, languages=primary, psm=psm))
    if not single_pass:
        reads = reread_large(image, dpi, reads, primary, others)
        reads = reread_unsure(image, reads, partial(_words, dpi=dpi, languages=primary, psm=SQUARE_PSM),
                              below=min_confidence)
    if others:
        reads = reread_latin(image, dpi, reads, others)
    return _result([r for r in reads if r.conf >= min_confidence], 72.0 / dpi, origin)


def _result(reads: list[Read], scale: float, origin: tuple[float, float]) -> OcrResult:
    """Pixel reads -> page-point words, lines rebuilt per Tesseract line."""
    ox, oy = origin
    raw: dict[tuple[int, int, int], list[Word]] = {}
    for r in reads:
        x0, y0, x1, y1 = r.box
        box = Box(x0 * scale + ox, y0 * scale + oy, x1 * scale + ox, y1 * scale + oy, Space.PAGE)
        raw.setdefault(r.line, []).append(Word(r.text, box, r.conf))
    lines: list[OcrLine] = []
    for (block, _par, _line), words in raw.items():
        lines.extend(build_lines(words, block))
    return OcrResult(lines)


def split_languages(languages: str) -> tuple[str, str]:
    """(first pass, second pass): ``kor`` first when it comes with others, else one pass."""
    langs = [lang for lang in languages.split("+") if lang]
    if PRIMARY in langs and len(langs) > 1:
        return PRIMARY, "+".join(lang for lang in langs if lang != PRIMARY)
    return languages, ""


def parse_words(rows: list[dict[str, str]]) -> list[Read]:
    """Tesseract's word rows (level 5) with text, in reading order."""
    reads = []
    for row in rows:
        text = row["text"].strip()
        if row["level"] != "5" or not text:
            continue
        x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        line = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        reads.append(Read(text, float(row["conf"]), (x, y, x + w, y + h), line))
    return reads


def reread_large(image: Image.Image, dpi: float, reads: list[Read], primary: str,
                 others: str = "", *, psm: int = DEFAULT_PSM) -> list[Read]:
    """``reads`` with its lines of large text (titles, headings) read again, each cut out and
    scaled to body size, all in one image (:mod:`indexing.ocr_large`): in ``primary``, then
    what has no Hangul in ``others``, as on the page."""
    gray = image.convert("L")
    bands = find_bands(reads, np.asarray(gray) < INK_LEVEL)
    if not bands:
        return reads
    mosaic, pasted = band_mosaic(gray, bands)
    found = parse_words(run_tesseract(pasted, dpi, languages=primary, psm=psm))
    if others:
        found = reread_latin(pasted, dpi, found, others)
    seconds: list[list[Read]] = [[] for _ in bands]
    for r in found:
        hit = place(mosaic, bands, r)
        if hit is not None:
            seconds[hit[0]].append(hit[1])
    return merge_bands(reads, bands, seconds)


def reread_latin(image: Image.Image, dpi: float, reads: list[Read], languages: str, *,
                 psm: int = SECOND_PSM) -> list[Read]:
    """``reads`` with the segments that hold no Hangul read again in ``languages``, all in one
    Tesseract call on a mosaic of their crops; a segment's second reading replaces its first
    where it is the more confident (:func:`indexing.ocr_segments.keep_second`)."""
    gray = image.convert("L")
    segments = [s for s in find_segments(reads, np.asarray(gray) < INK_LEVEL)
                if not is_band_read(reads[s.start])]  # read with their band, at body size
    if not segments:
        return reads
    height = max(s.box[3] - s.box[1] for s in segments)
    mosaic = plan([s.box for s in segments], gap=round(MOSAIC_GAP * height), margin=height)
    seconds: list[list[Read]] = [[] for _ in segments]
    for r in parse_words(run_tesseract(paste(gray, mosaic), dpi, languages=languages, psm=psm)):
        hit = locate(mosaic, r.box)
        if hit is not None:
            seconds[hit[0]].append(replace(r, box=hit[1]))
    return merge(reads, segments, seconds)


def _words(image: Image.Image, *, dpi: float, languages: str, psm: int) -> list[Read]:
    return parse_words(run_tesseract(image, dpi, languages=languages, psm=psm))


def run_tesseract(image: Image.Image, dpi: float, *, languages: str = DEFAULT_LANGUAGES,
                  psm: int = DEFAULT_PSM, threads: int = 1) -> list[dict[str, str]]:
    """Tesseract's TSV rows for ``image`` (:mod:`indexing.tesseract`: in this process where
    libtesseract loads with OpenMP capped at one thread, else the ``tesseract`` program)."""
    return tesseract.run_tesseract(image, dpi, languages=languages, psm=psm, threads=threads)


def build_lines(words: list[Word], block: int = 0) -> list[OcrLine]:
    """One Tesseract line -> lines with Korean pieces joined and wide gaps split."""
    words = sorted(words, key=lambda w: w.box.x0)
    if not words:
        return []
    height = median(w.box.height for w in words) or 1.0
    threshold = letter_gap_threshold(words, height)
    merged = [words[0]]
    for word in words[1:]:
        if _joins(merged[-1], word, height, threshold):
            merged[-1] = _glue(merged[-1], word)
        else:
            merged.append(word)
    merged = [_count_comma(w) for w in merged]
    segments: list[list[Word]] = [[merged[0]]]
    for prev, word in zip(merged, merged[1:], strict=False):
        if word.box.x0 - prev.box.x1 > SPLIT_GAP * height:
            segments.append([])
        segments[-1].append(word)
    return [OcrLine.of(seg, block) for seg in segments]


# A count of whole things with a point before three digits: the point is a thousands comma
# misread ("8.309명" for 8,309명); nobody counts 8.309 people.
_POINT_IN_COUNT = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+"
                             r"(?=(?:명|개소|개|건|곳|대|척|가구|세대|권|편|회|채|마리)(?!\w*\d))")


def _count_comma(word: Word) -> Word:
    text = _POINT_IN_COUNT.sub(lambda m: m.group(0).replace(".", ","), word.text)
    return word if text == word.text else replace(word, text=text)


def glue_syllable_runs(words: list[Word], height: float, min_run: int = 2) -> list[Word]:
    """Join runs of ``min_run`` or more one-syllable Hangul pieces of one line into a word.

    For table labels: bold text comes out of Tesseract a syllable at a time ("지 역 내 총 생
    산", "인 구") with letter gaps as wide as word gaps elsewhere, so the two-group test of
    ``letter_gap_threshold`` cannot tell them apart, while a label in a cell is one or two
    words. Not for prose: there word gaps can be narrower than these letter gaps.
    """
    out: list[Word] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _syllable(words[j]) and (
                j == i or words[j].box.x0 - words[j - 1].box.x1 < MAX_LETTER_GAP * height):
            j += 1
        if j - i >= max(2, min_run):
            word = words[i]
            for piece in words[i + 1 : j]:
                word = _glue(word, piece)
            out.append(word)
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


def _syllable(word: Word) -> bool:
    return len(word.text) == 1 and 0xAC00 <= ord(word.text) <= 0xD7A3


def letter_gap_threshold(words: list[Word], height: float) -> float:
    """The gap (in line heights) below which Hangul pieces belong to one word; 0 if none do.

    Only a line that Tesseract cut into syllables needs gluing: most of its Hangul tokens are
    single syllables and its gaps fall into two clearly separated groups, letter spacing and
    word spacing. A line of whole words has one group of gaps and is left alone. A gap wide
    enough to split the line (a column gap: psm 6 reads two columns as one line) is neither
    and is left out, or it alone would be the "word spacing" and every word glued.
    """
    hangul = [w for w in words if _is_hangul(w.text[0]) and _is_hangul(w.text[-1])]
    if len(hangul) < 3 or sum(len(w.text) == 1 for w in hangul) < 0.5 * len(hangul):
        return 0.0
    gaps = sorted(
        (b.box.x0 - a.box.x1) / height for a, b in zip(words, words[1:], strict=False)
        if _is_hangul(a.text[-1]) and _is_hangul(b.text[0]) and 0 < b.box.x0 - a.box.x1 <= SPLIT_GAP * height
    )
    if len(gaps) < 4:
        return 0.0
    best = min(range(1, len(gaps)), key=lambda k: _sse(gaps[:k]) + _sse(gaps[k:]))
    low, high = gaps[:best], gaps[best:]
    c_low, c_high = sum(low) / len(low), sum(high) / len(high)
    if c_low > MAX_LETTER_GAP or c_high < 1.8 * c_low:
        return 0.0
    return (low[-1] + high[0]) / 2


def _sse(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values)


def _joins(left: Word, right: Word, height: float, threshold: float) -> bool:
    gap = right.box.x0 - left.box.x1
    if gap < TOUCH_GAP * height:  # glyphs touching: one word split by a script change
        return True
    if right.text[0] in _CLOSERS or left.text[-1] in _OPENERS:
        return gap < 0.3 * height
    if left.text[-1].isdigit() and right.text[0].isdigit() and gap < DIGIT_GAP * height:
        return True
    if left.text[-1].isdigit() and right.text[0] in _COUNTERS and gap < MAX_LETTER_GAP * height:
        return True  # Korean writes a number and its unit as one word: 2021년, 521억, 3개
    return gap < threshold * height and _is_hangul(left.text[-1]) and _is_hangul(right.text[0])


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _glue(left: Word, right: Word) -> Word:
    confs = [c for c in (left.confidence, right.confidence) if c is not None]
    return Word(left.text + right.text, left.box.union(right.box), min(confs) if confs else None)



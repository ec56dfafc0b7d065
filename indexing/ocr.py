"""Tesseract OCR (``kor+eng``) of a page render or a crop, with word boxes in page points.

Tesseract often returns Korean words cut into single syllables ("문 서 에" for "문서에") when
the text is letter-spaced, as justified Korean text usually is. Lines are therefore rebuilt
from the word boxes: Hangul pieces closer than about half the line height are glued back
into one word, and a line is cut where a gap is wide enough to be a column or cell boundary.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from statistics import median

import pymupdf
from PIL import Image

from indexing.geometry import Box, Space
from indexing.model import Word
from indexing.render import render_page

TESSERACT = "tesseract"
TIMEOUT_S = 300
DEFAULT_LANGUAGES = "kor+eng"
DEFAULT_DPI = 300
# psm 6 (one uniform block) keeps Korean lines whole; psm 3's automatic segmentation was seen
# to shatter clean Korean pages into fragments, and lines are split into columns below anyway.
DEFAULT_PSM = 6
MAX_LETTER_GAP = 0.6  # letter spacing wider than this share of the line height is word spacing
TOUCH_GAP = 0.08  # pieces this close are one word whatever their script ("3,450" + "억")
SPLIT_GAP = 2.5  # cut a line where a gap exceeds this many line heights
_COUNTERS = set("년월일원억만천조개명회차호항층세권건장쪽시분초주배")
_CLOSERS = set(".,;:!?)]}%'\"”’」』〉》")
_OPENERS = set("([{\"“‘「『〈《")


@dataclass(slots=True)
class OcrLine:
    """A run of words on one baseline (a column's or a cell's part of a printed line)."""

    words: list[Word]
    box: Box
    block: int = 0

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def height(self) -> float:
        return self.box.height


@dataclass(slots=True)
class OcrResult:
    lines: list[OcrLine] = field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class OcrUnavailableError(RuntimeError):
    """Tesseract or a requested language is not installed (a deployment defect, not bad input)."""


def tesseract_available(languages: str = DEFAULT_LANGUAGES) -> bool:
    exe = shutil.which(TESSERACT)
    if exe is None:
        return False
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    installed = {line.strip() for line in out.stdout.splitlines()[1:]}
    return all(lang in installed for lang in languages.split("+"))


def ocr_page(page: pymupdf.Page, dpi: float = DEFAULT_DPI, languages: str = DEFAULT_LANGUAGES,
             *, psm: int = DEFAULT_PSM) -> tuple[OcrResult, Image.Image, float]:
    """Render ``page`` in gray at ``dpi`` and read it; returns (result, render, dpi used)."""
    image, used = render_page(page, dpi, gray=True)
    return ocr_image(image, used, languages=languages, psm=psm), image, used


def ocr_image(image: Image.Image, dpi: float, *, origin: tuple[float, float] = (0.0, 0.0),
              languages: str = DEFAULT_LANGUAGES, psm: int = DEFAULT_PSM,
              min_confidence: float = 40.0) -> OcrResult:
    """Read ``image`` (rendered at ``dpi``, its top-left at page point ``origin``)."""
    scale = 72.0 / dpi
    raw: dict[tuple[str, str, str], list[Word]] = {}
    for row in run_tesseract(image, dpi, languages=languages, psm=psm):
        text, conf = row["text"].strip(), float(row["conf"])
        if row["level"] != "5" or not text or conf < min_confidence:
            continue
        x, y = int(row["left"]) * scale + origin[0], int(row["top"]) * scale + origin[1]
        w, h = int(row["width"]) * scale, int(row["height"]) * scale
        key = (row["block_num"], row["par_num"], row["line_num"])
        raw.setdefault(key, []).append(Word(text, Box(x, y, x + w, y + h, Space.PAGE), conf))
    lines: list[OcrLine] = []
    for (block, _par, _line), words in raw.items():
        lines.extend(build_lines(words, int(block)))
    return OcrResult(lines)


def run_tesseract(image: Image.Image, dpi: float, *, languages: str = DEFAULT_LANGUAGES,
                  psm: int = DEFAULT_PSM, threads: int = 1) -> list[dict[str, str]]:
    """Tesseract's TSV rows for ``image``, fed through a pipe (no temporary files).

    ``threads`` caps Tesseract's OpenMP threads. One is the right default: on a busy machine
    its spinning threads were seen to make a page three times slower, and pages are
    parallelised a level up instead.
    """
    exe = shutil.which(TESSERACT)
    if exe is None:
        raise OcrUnavailableError("tesseract is not installed (apt-get install tesseract-ocr-kor)")
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PPM")  # uncompressed: cheaper than PNG to hand over
    cmd = [exe, "-", "-", "-l", languages, "--psm", str(psm), "--dpi", str(round(dpi)), "tsv"]
    env = dict(os.environ, OMP_THREAD_LIMIT=str(threads))
    try:
        done = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, env=env,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailableError(f"tesseract took longer than {TIMEOUT_S} s") from exc
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise OcrUnavailableError(f"tesseract failed ({languages}): {msg}")
    rows = done.stdout.decode("utf-8", "replace").splitlines()
    if not rows:
        return []
    header = rows[0].split("\t")
    return [dict(zip(header, r.split("\t"), strict=False)) for r in rows[1:] if r]


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
    segments: list[list[Word]] = [[merged[0]]]
    for prev, word in zip(merged, merged[1:], strict=False):
        if word.box.x0 - prev.box.x1 > SPLIT_GAP * height:
            segments.append([])
        segments[-1].append(word)
    return [OcrLine(seg, _union(seg), block) for seg in segments]


def letter_gap_threshold(words: list[Word], height: float) -> float:
    """The gap (in line heights) below which Hangul pieces belong to one word; 0 if none do.

    Only a line that Tesseract cut into syllables needs gluing: most of its Hangul tokens are
    single syllables and its gaps fall into two clearly separated groups, letter spacing and
    word spacing. A line of whole words has one group of gaps and is left alone.
    """
    hangul = [w for w in words if _is_hangul(w.text[0]) and _is_hangul(w.text[-1])]
    if len(hangul) < 3 or sum(len(w.text) == 1 for w in hangul) < 0.5 * len(hangul):
        return 0.0
    gaps = sorted(
        (b.box.x0 - a.box.x1) / height for a, b in zip(words, words[1:], strict=False)
        if _is_hangul(a.text[-1]) and _is_hangul(b.text[0]) and b.box.x0 > a.box.x1
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
    if left.text[-1].isdigit() and right.text[0] in _COUNTERS and gap < MAX_LETTER_GAP * height:
        return True  # Korean writes a number and its unit as one word: 2021년, 521억, 3개
    return gap < threshold * height and _is_hangul(left.text[-1]) and _is_hangul(right.text[0])


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _glue(left: Word, right: Word) -> Word:
    confs = [c for c in (left.confidence, right.confidence) if c is not None]
    return Word(left.text + right.text, left.box.union(right.box), min(confs) if confs else None)


def _union(words: list[Word]) -> Box:
    box = words[0].box
    for w in words[1:]:
        box = box.union(w.box)
    return box

"""Matching a term against OCR'd Hangul that may have one letter wrong.

Tesseract misreads a Hangul syllable by one of its letters far more often than by a whole
syllable: ``끓는점`` comes out ``끌 는점`` (ㄺ read as ㄹ), ``영업이익률`` as ``영업이익를``. A table
label has no sentence around it to recover from, so the table reader also accepts a label
that holds the question's term with one letter (jamo) of one syllable different. Terms of
fewer than three syllables are left out: ``교수`` and ``교사`` differ by one letter too.
"""

from __future__ import annotations

_BASE, _LAST = 0xAC00, 0xD7A3
MIN_SYLLABLES = 3


def _is_syllable(ch: str) -> bool:
    return _BASE <= ord(ch) <= _LAST


def letters(ch: str) -> tuple[int, int, int]:
    """(initial, medial, final) indices of a Hangul syllable."""
    code = ord(ch) - _BASE
    return code // 588, (code % 588) // 28, code % 28


def one_letter_apart(a: str, b: str) -> bool:
    """Two syllables that differ in exactly one of their three letters."""
    return sum(x != y for x, y in zip(letters(a), letters(b), strict=True)) == 1


def misread_in(term: str, text: str) -> bool:
    """``term`` (three or more Hangul syllables) in ``text``, spaces ignored, with one
    syllable one letter apart, and not as written: a term written out is the morpheme
    analyser's to find (it may rightly not, ``순자산`` inside ``순자산총액``)."""
    if len(term) < MIN_SYLLABLES or not all(_is_syllable(ch) for ch in term):
        return False
    flat = "".join(text.split())
    if term in flat:
        return False
    n = len(term)
    for i in range(len(flat) - n + 1):
        window = flat[i:i + n]
        diff = [k for k in range(n) if window[k] != term[k]]
        if len(diff) == 1 and _is_syllable(window[diff[0]]) and one_letter_apart(window[diff[0]], term[diff[0]]):
            return True
    return False

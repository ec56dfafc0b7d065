"""Numbers as charts and Korean documents write them, for ChartQA's relaxed accuracy.

:func:`parse_number` reads a string that *is* a number, possibly with thousands separators
(``1,234``), a sign, a percent sign (``12.5%`` reads 12.5: chart labels and answers both give
the percentage, so dividing by 100 would only make a match less likely), Korean scale words
(``만`` 10^4, ``억`` 10^8, ``조`` 10^12, ``천`` 10^3, ``백`` 10^2, written after a number:
``3,450억``, ``3조 4,500억``) and a short unit (``원``, ``명``, ``kg``, ``$``). A sentence with a
number in it is not a number: ``매출은 3,450억 원입니다`` gives None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SCALES: dict[str, float] = {"백": 1e2, "천": 1e3, "만": 1e4, "억": 1e8, "조": 1e12}
MAX_UNIT_CHARS = 3  # what may follow the number: 원, 명, 개, 달러, kg, pts ...

_CURRENCY = "$₩€£¥"
_GROUP_RE = re.compile(r"(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([백천만억조]*)")
_UNIT_RE = re.compile(rf"[^\W\d_]{{0,{MAX_UNIT_CHARS}}}")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Number:
    """A parsed number: ``written`` is the figure before any scale word (3,450억 -> 3450; None
    when several groups make it up), ``value`` the full value (3,450억 -> 3.45e11), ``scaled``
    whether a scale word was written."""

    written: float | None
    value: float
    scaled: bool


def _group_value(digits: str, scales: str) -> float | None:
    if "," in digits and not _THOUSANDS_RE.match(digits):
        return None  # "1,2,3" is a list, not a number
    value = float(digits.replace(",", ""))
    for ch in scales:
        value *= SCALES[ch]
    return value


def parse_number(text: str) -> Number | None:
    """The number ``text`` holds, or None when it holds anything more (see the module doc)."""
    s = unicodedata.normalize("NFKC", str(text)).strip().replace("−", "-")
    s = s.strip(_CURRENCY + " ").rstrip(".")
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-").strip(_CURRENCY + " ")
    pos, groups = 0, []
    while (m := _GROUP_RE.match(s, pos)) is not None and m.group(1):
        groups.append((m.group(1), m.group(2)))
        pos = m.end()
        while pos < len(s) and s[pos] == " ":
            pos += 1
        if not m.group(2):
            break  # only a scale word lets another group follow (3조 4,500억, not "1 234")
    if not groups:
        return None
    rest = s[pos:].strip()
    if rest.startswith(("%", "퍼센트")):
        rest = rest.removeprefix("%").removeprefix("퍼센트").strip()
    if not _UNIT_RE.fullmatch(rest.replace(" ", "").strip(_CURRENCY)):
        return None
    values = [_group_value(d, sc) for d, sc in groups]
    if any(v is None for v in values):
        return None
    written = float(groups[0][0].replace(",", "")) * sign if len(groups) == 1 else None
    return Number(written, sign * sum(v for v in values if v is not None),
                  any(sc for _, sc in groups))


def within(pred: float, gold: float, tolerance: float) -> bool:
    """``|pred - gold| <= tolerance * |gold|``; a gold of 0 needs a prediction of 0."""
    if gold == 0:
        return pred == 0
    return abs(pred - gold) <= tolerance * abs(gold) + 1e-12 * abs(gold)


def numbers_match(pred: Number, gold: Number, tolerance: float) -> bool:
    """Both written with a scale word: their full values must agree. Otherwise either the
    figures as written (3450 for 3,450억) or the full values may agree."""
    if within(pred.value, gold.value, tolerance):
        return True
    if pred.scaled and gold.scaled:
        return False
    return (pred.written is not None and gold.written is not None
            and within(pred.written, gold.written, tolerance))

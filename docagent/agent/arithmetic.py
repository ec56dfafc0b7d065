"""Arithmetic on cited values, done in code: the model (or the rules) only find the numbers.

A value keeps its printed text, its unit and the scale word in it (``천 명``, ``억 원``,
``%``), so that ``2023년 3,450 − 2021년 2,330 = 1,120 (억 원)`` can be written as a line of
reasoning and the answer carries the unit the document used. Values in different scales of
one base unit (``억 원`` and ``조 원``) are brought to the smaller scale first; values of
different base units are not combined (``UnitMismatch``), and the caller refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SCALES = {"천": Decimal(10) ** 3, "만": Decimal(10) ** 4, "십만": Decimal(10) ** 5,
          "백만": Decimal(10) ** 6, "천만": Decimal(10) ** 7, "억": Decimal(10) ** 8,
          "십억": Decimal(10) ** 9, "조": Decimal(10) ** 12,
          "thousand": Decimal(10) ** 3, "million": Decimal(10) ** 6, "billion": Decimal(10) ** 9}
_NUMBER = re.compile(r"[-+−△▲▽▼]?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_UNIT_NOTE = re.compile(r"[(\[]\s*단위\s*[:：]?\s*([^)\]]+?)\s*[)\]]|unit\s*[:：]\s*([^)\],;]+)", re.I)
_PAREN_UNIT = re.compile(r"[(\[]\s*([^()\[\]\d|]{1,8}?)\s*[)\]]\s*(?:\||$)")
_NEGATIVE = ("-", "−", "△", "▽", "▼")


class UnitMismatch(ValueError):
    """Two values measured in different units were to be combined."""


@dataclass(frozen=True, slots=True)
class Value:
    """A number as a document printed it, with what it measures."""

    text: str  # the printed number, e.g. "3,450"
    number: Decimal
    unit: str = ""  # e.g. "억 원", "천 명", "%"
    label: str = ""  # what it is, e.g. "2023년"

    @property
    def decimals(self) -> int:
        exp = self.number.as_tuple().exponent
        return max(0, -exp) if isinstance(exp, int) else 0

    @property
    def scale(self) -> tuple[Decimal, str]:
        """(multiplier, base unit): ``억 원`` -> (10^8, "원"), ``%`` -> (1, "%")."""
        return split_unit(self.unit)


def split_unit(unit: str) -> tuple[Decimal, str]:
    u = " ".join(unit.split())
    for word in sorted(SCALES, key=len, reverse=True):
        if u.lower().startswith(word):
            return SCALES[word], u[len(word):].strip()
    return Decimal(1), u


def parse_value(text: str, unit: str = "", label: str = "") -> Value | None:
    """The first number in ``text`` (a cell, a label) as a Value; the unit written after the
    number wins over ``unit`` (the table's or the row's)."""
    m = _NUMBER.search(text)
    if m is None:
        return None
    raw = m.group(0).replace(" ", "")
    negative = raw[0] in _NEGATIVE or text[: m.start()].rstrip().endswith(_NEGATIVE)
    digits = raw.lstrip("-+−△▲▽▼").replace(",", "")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        return None
    trailing = text[m.end():].strip()
    own = _own_unit(trailing)
    return Value(m.group(0).lstrip("+").strip(), -number if negative else number,
                 own or unit, label)


_BASE_UNITS = ("원", "달러", "명", "개소", "개", "건", "톤", "가구", "세대", "대", "회", "곳", "병상",
               "마리", "배", "kWh", "MWh", "GWh", "km", "kg", "ha", "t")
# a scale word before a Latin unit makes it a unit, whatever it is (천 TEU, 백만 USD); a Latin
# word alone after a number is too often not one ("3,450 in 2023")
_OWN_UNIT = re.compile(r"(%p|%|(?:천|만|십만|백만|천만|억|십억|조)?\s*(?:" + "|".join(_BASE_UNITS) + r")"
                       r"|(?:천|만|십만|백만|천만|억|십억|조)\s*[A-Za-z][A-Za-z/]{0,5}(?![A-Za-z])"
                       r"|(?:천|만|억|조)(?![가-힣])|million|billion|thousand)")


def _own_unit(trailing: str) -> str:
    m = _OWN_UNIT.match(trailing)
    return " ".join(m.group(1).split()) if m else ""


def unit_of(*texts: str) -> str:
    """The unit a table, row or caption states: ``(단위: 억 원)`` or a trailing ``(천 명)``."""
    note = unit_note(*texts)
    if note:
        return note
    for text in texts:
        m = _PAREN_UNIT.search((text or "").strip())
        if m:
            return m.group(1).strip()
    return ""


def unit_note(*texts: str) -> str:
    """Only a note that states a unit for the whole (``(단위: 억 원)``): in a table's own text
    a trailing ``(%)`` is one column's unit, not the table's."""
    for text in texts:
        m = _UNIT_NOTE.search(text or "")
        if m:
            return (m.group(1) or m.group(2) or "").strip()
    return ""


def fmt(number: Decimal, decimals: int) -> str:
    """``1120`` -> ``1,120``; rounded half up to ``decimals`` places."""
    q = Decimal(1).scaleb(-decimals)
    rounded = number.quantize(q, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}"


def with_unit(text: str, unit: str) -> str:
    """``1,120`` + ``억 원`` -> ``1,120억 원``; a Latin unit gets a space (``12 million``)."""
    if not unit:
        return text
    return f"{text} {unit}" if unit[0].isascii() and unit[0].isalpha() else f"{text}{unit}"


def _common(values: list[Value]) -> tuple[list[Decimal], str]:
    """The values in one scale of one base unit (the smallest scale among them). A value
    printed without a unit (a threshold in a question, a bare cell) takes the others' unit."""
    given = next((v.unit for v in values if v.unit), "")
    values = [v if v.unit else Value(v.text, v.number, given, v.label) for v in values]
    scales = [v.scale for v in values]
    bases = {base for _, base in scales}
    if len(bases) > 1:
        raise UnitMismatch(" vs ".join(sorted(v.unit or "(none)" for v in values)))
    smallest = min(scales, key=lambda s: s[0])
    unit = next(v.unit for v, s in zip(values, scales, strict=True) if s == smallest)
    return [v.number * s[0] / smallest[0] for v, s in zip(values, scales, strict=True)], unit


@dataclass(frozen=True, slots=True)
class Computed:
    """A result and the line of reasoning that shows it."""

    text: str  # the number as the answer prints it, with its unit
    value: Decimal
    unit: str
    line: str


def _places(values: list[Value], extra: int = 0) -> int:
    return max(v.decimals for v in values) + extra


def difference(a: Value, b: Value) -> Computed:
    """``b − a`` (later minus earlier); a percentage difference is in %p."""
    (x, y), unit = _common([a, b])
    d = y - x
    places = _places([a, b])
    shown = "%p" if unit == "%" else unit
    line = (f"{b.label} {b.text} − {a.label} {a.text} = {fmt(d, places)}"
            + (f" ({shown})" if shown else "")).strip()
    return Computed(with_unit(fmt(abs(d), places), shown), d, shown, " ".join(line.split()))


def total(values: list[Value]) -> Computed:
    nums, unit = _common(values)
    s = sum(nums, Decimal(0))
    places = _places(values)
    line = " + ".join(f"{v.label} {v.text}".strip() for v in values) + f" = {fmt(s, places)}"
    return Computed(with_unit(fmt(s, places), unit), s, unit, line + (f" ({unit})" if unit else ""))


def average(values: list[Value]) -> Computed:
    nums, unit = _common(values)
    mean = sum(nums, Decimal(0)) / len(nums)
    places = _places(values, 1)
    parts = " + ".join(v.text for v in values)
    line = f"({parts}) ÷ {len(values)} = {fmt(mean, places)}" + (f" ({unit})" if unit else "")
    return Computed(with_unit(fmt(mean, places), unit), mean, unit, line)


def ratio(a: Value, b: Value) -> Computed:
    """``b ÷ a`` (how many times ``a``)."""
    (x, y), _ = _common([a, b])
    if x == 0:
        raise ZeroDivisionError(f"{a.label} is zero")
    r = y / x
    line = f"{b.label} {b.text} ÷ {a.label} {a.text} = {fmt(r, 2)}배"
    return Computed(f"{fmt(r, 2)}배", r, "배", " ".join(line.split()))


def percent_change(a: Value, b: Value) -> Computed:
    """``(b − a) ÷ a × 100`` in %."""
    (x, y), _ = _common([a, b])
    if x == 0:
        raise ZeroDivisionError(f"{a.label} is zero")
    p = (y - x) / x * 100
    line = f"({b.label} {b.text} − {a.label} {a.text}) ÷ {a.text} × 100 = {fmt(p, 1)}%"
    return Computed(f"{fmt(p, 1)}%", p, "%", " ".join(line.split()))


def extreme(values: list[Value], largest: bool = True) -> tuple[Value, str]:
    """The largest (or smallest) value and the line that compares them all."""
    nums, unit = _common(values)
    pick = max if largest else min
    i = pick(range(len(values)), key=lambda j: nums[j])
    listed = ", ".join(f"{v.label} {v.text}".strip() for v in values)
    word = "가장 큰 값" if largest else "가장 작은 값"
    return values[i], f"{listed} 중 {word}: {values[i].label} {values[i].text}" + (f" ({unit})" if unit else "")


def ranking(values: list[Value], largest_first: bool = True) -> tuple[list[Value], str]:
    nums, unit = _common(values)
    order = sorted(range(len(values)), key=lambda j: nums[j], reverse=largest_first)
    ranked = [values[j] for j in order]
    sign = " > " if largest_first else " < "
    return ranked, sign.join(f"{v.label} {v.text}".strip() for v in ranked) + (f" ({unit})" if unit else "")


def trend(values: list[Value]) -> tuple[str, str]:
    """``increasing`` / ``decreasing`` / ``mixed`` over the values in their order."""
    nums, unit = _common(values)
    steps = [b - a for a, b in zip(nums, nums[1:], strict=False)]
    if steps and all(s > 0 for s in steps):
        word = "increasing"
    elif steps and all(s < 0 for s in steps):
        word = "decreasing"
    else:
        word = "mixed"
    arrow = " → ".join(f"{v.label} {v.text}".strip() for v in values)
    return word, arrow + (f" ({unit})" if unit else "")

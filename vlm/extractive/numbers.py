"""Korean and English numbers, amounts and dates: find them in text, parse them, compare them.

Documents write the same quantity many ways (``3,450억 원``, ``3450억원``, ``1조 2,000억``,
``2023년 9월``, ``2023.09``). Answers keep the document's own surface form; comparisons use a
normalised key (``Quantity.key``) so that a question's ``3450억원`` finds a cell's ``3,450억 원``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class QuantityKind(StrEnum):
    NUMBER = "number"      # a bare number or a number with a counter (22명, 8대, 3.5배)
    PERCENT = "percent"    # 3.5%, 0.72%p, 44bp
    MONEY = "money"        # 3,450억 원, $12, 100달러
    YEAR = "year"          # 2023년, 1980년대, 19세기 (a point in time at year granularity)
    DATE = "date"          # 1989년 2월 15일, 2023.09, 6월 30일
    DURATION = "duration"  # 3년, 1개월, 2시간
    TIME = "time"          # 오전 8시 15분


NUMERIC_KINDS = frozenset({QuantityKind.NUMBER, QuantityKind.PERCENT, QuantityKind.MONEY,
                           QuantityKind.DURATION})
TEMPORAL_KINDS = frozenset({QuantityKind.YEAR, QuantityKind.DATE, QuantityKind.TIME})


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number-like span of some text: ``text[start:end] == surface``."""

    surface: str
    start: int
    end: int
    value: float
    unit: str
    kind: QuantityKind
    date: tuple[int, ...] = ()  # (year, month, day) prefix for DATE/YEAR kinds

    @property
    def key(self) -> str:
        """Comparison key: equal for different spellings of the same quantity."""
        if self.kind in (QuantityKind.DATE, QuantityKind.YEAR) and self.date:
            return "date:" + "-".join(f"{p:02d}" for p in self.date) + self.unit
        return f"{self.kind.value}:{_fmt(self.value)}{self.unit}"


_SIGN = r"[-+−△▲▽▼]"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_BIG = {"조": 1e12, "억": 1e8, "만": 1e4, "천": 1e3, "백": 1e2}
_CURRENCY = ("원", "달러", "엔", "위안", "유로", "파운드", "불")
_PERCENT = ("%p", "%", "퍼센트", "퍼센트포인트", "bp", "bps")
_DURATION = ("개월", "년간", "시간", "주일", "일간", "분기")
# Counters and units kept with the number; longer spellings first so the regex prefers them.
_COUNTERS = (
    "번째", "개국", "가구", "세대", "마리", "차례", "km", "kg", "cm", "mm", "㎡", "㎢", "pt",
    "명", "개", "대", "회", "차", "건", "배", "위", "번", "곳", "척", "점", "층", "호", "권",
    "편", "종", "주", "세", "살", "톤", "평", "석", "m", "t", "g", "등", "호선", "골", "표", "승",
    "패", "타", "경기", "분", "초", "군데", "킬로미터", "미터", "킬로그램", "그램", "리터",
    "마일", "피트", "인치", "주년", "채", "그루", "장", "일",
)
# What things are counted in, longest first (``vlm.extractive.question``: the counter a noun ends on).
COUNTERS: tuple[str, ...] = tuple(sorted(_COUNTERS, key=len, reverse=True))
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(
    _CURRENCY + _PERCENT + _DURATION + _COUNTERS, key=len, reverse=True))

_DATE_RE = re.compile(
    r"(?:(?:기원전|서기|BC|AD)\s?)?(?P<y>\d{1,4})\s?년(?!간)(?P<decade>대)?(?:\s?(?P<m>\d{1,2})\s?월)?"
    r"(?:\s?(?P<d>\d{1,2})\s?일)?"
    r"|(?P<y2>\d{4})\s?[./-]\s?(?P<m2>\d{1,2})(?:\s?[./-]\s?(?P<d2>\d{1,2}))?\.?(?!\d)"
    r"|(?P<m3>\d{1,2})\s?월(?:\s?(?P<d3>\d{1,2})\s?일)?"
    r"|(?P<c>\d{1,2})\s?세기"
)
_MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
_EN_DATE_RE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})\s+)?(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|"
    r"July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
    r"(?:\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?)?,?\s+(?P<y>\d{4})\b")
_TIME_RE = re.compile(r"(?:(?P<half>오전|오후|새벽|밤|낮)\s?)?(?P<h>\d{1,2})\s?시(?:\s?(?P<m>\d{1,2})\s?분)?"
                      r"(?:\s?(?P<s>\d{1,2})\s?초)?")
# After 만, 억 or 조 a last group below ten thousand may follow before the unit (36만 905명).
_AMOUNT_RE = re.compile(
    rf"(?P<sign>{_SIGN})?(?P<body>{_NUM}(?:\s?[조억만천백]{{1,2}}(?:\s?{_NUM}(?=\s?[조억만천백]))?)*"
    rf"(?:(?<=[조억만])\s?(?:\d,\d{{3}}|\d{{1,4}})(?=\s?(?:{_UNIT_ALT})))?)"
    rf"(?!\d)(?P<about>여|\s여(?=\s?(?:{_UNIT_ALT})))?(?P<unit>\s?(?:{_UNIT_ALT})(?:/(?:{_UNIT_ALT}|㎢|㎡|km²|h|s))?)?"
)
_ENGLISH_MONEY = re.compile(rf"(?P<cur>[$€£¥₩])\s?(?P<body>{_NUM})(?:\s?(?P<scale>million|billion|trillion|thousand|[mbk]n?\b))?",
                            re.IGNORECASE)
_EN_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6,
             "billion": 1e9, "b": 1e9, "bn": 1e9, "trillion": 1e12}
_HANGUL_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6,
                  "칠": 7, "팔": 8, "구": 9}
_HANGUL_SMALL = {"십": 10, "백": 100, "천": 1000}


def _fmt(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e15 else f"{value:.6e}"


def _plain(s: str) -> float:
    return float(s.replace(",", ""))


def _body_value(body: str) -> float | None:
    """Value of ``3,450억``, ``1조 2,000억``, ``3억 5천만``, ``12.5``.

    천/백 build a section below 만; 만/억/조 multiply the section (or the number just before
    them) and commit it, as Korean writes ``3억 5천만`` for 350,000,000.
    """
    total, section = 0.0, 0.0
    pending: float | None = None
    pos = 0
    compact = body.replace(" ", "")
    for m in re.finditer(rf"{_NUM}|[조억만천백]", compact):
        if m.start() != pos:
            return None
        pos = m.end()
        tok = m.group(0)
        if tok[0].isdigit():
            if pending is not None:
                return None
            pending = _plain(tok)
        elif tok in ("천", "백"):
            section += (1.0 if pending is None else pending) * _BIG[tok]
            pending = None
        else:
            total += ((section + (pending or 0.0)) or 1.0) * _BIG[tok]
            section, pending = 0.0, None
    if pos != len(compact):
        return None
    return total + section + (pending or 0.0)


def _hangul_value(s: str) -> float | None:
    """Value of Sino-Korean numerals written in Hangul (``삼천``, ``이십오만``)."""
    if not s or any(ch not in _HANGUL_DIGITS and ch not in _HANGUL_SMALL and ch not in "만억조"
                    for ch in s):
        return None
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _HANGUL_DIGITS:
            if digit is not None:
                return None
            digit = _HANGUL_DIGITS[ch]
        elif ch in _HANGUL_SMALL:
            section += (1 if digit is None else digit) * _HANGUL_SMALL[ch]
            digit = None
        else:
            section += digit or 0
            total += (section or 1) * int(_BIG[ch])
            section, digit = 0, None
    return float(total + section + (digit or 0))


def _unit_kind(unit: str) -> QuantityKind:
    if unit in _CURRENCY:
        return QuantityKind.MONEY
    if unit in _PERCENT:
        return QuantityKind.PERCENT
    if unit in _DURATION:
        return QuantityKind.DURATION
    return QuantityKind.NUMBER


def _seconds(m: re.Match[str]) -> float:
    """Seconds after midnight of a clock time: 오후 3시 and 15시 agree, 밤 7시 is 19:00."""
    h = int(m.group("h"))
    if m.group("half") in ("오후", "밤") and h < 12:
        h += 12
    return float(h * 3600 + int(m.group("m") or 0) * 60 + int(m.group("s") or 0))


def _date_quantity(m: re.Match[str], offset: int = 0) -> Quantity | None:
    g = m.groupdict()
    surface = m.group(0)
    if g["c"]:
        c = int(g["c"])
        return Quantity(surface, m.start() + offset, m.end() + offset, float(c), "세기",
                        QuantityKind.YEAR)
    y = g["y"] or g["y2"]
    mo = g["m"] or g["m2"] or g["m3"]
    d = g["d"] or g["d2"] or g["d3"]
    if g["y2"] and not 1 <= int(mo) <= 12:
        return None  # 2023.45 is a decimal number, not a month
    if mo and not 1 <= int(mo) <= 12:
        return None
    if (y and not mo and (len(y) < 3 or int(y) > 2100) and not g["decade"]
            and not surface.startswith(("기원전", "BC"))):
        # "3년" and "5000년 (전)" are durations; only 3-4 digit years up to 2100 (or BC years)
        # are points in time
        return Quantity(surface, m.start() + offset, m.end() + offset, float(y), "년",
                        QuantityKind.DURATION)
    parts = tuple(int(p) for p in (y, mo, d) if p)
    kind = QuantityKind.YEAR if y and not mo else QuantityKind.DATE
    value = float(y) if y else float(int(mo) * 100 + int(d or 0))
    unit = "년대" if g["decade"] else ""
    if not y:
        parts = (0, int(mo)) + ((int(d),) if d else ())
    return Quantity(surface.rstrip(". "), m.start() + offset,
                    m.start() + offset + len(surface.rstrip(". ")), value, unit, kind, parts)


def find_quantities(text: str) -> list[Quantity]:
    """All numbers, amounts, percentages, dates and times in ``text``, left to right.

    Dates win over plain numbers where they overlap (``2023년 9월`` is one date, not two
    numbers); a span never overlaps another.
    """
    found: list[Quantity] = []
    taken = [False] * (len(text) + 1)

    def claim(q: Quantity) -> None:
        if q.end <= q.start or any(taken[q.start:q.end]):
            return
        for i in range(q.start, q.end):
            taken[i] = True
        found.append(q)

    for m in _DATE_RE.finditer(text):
        q = _date_quantity(m)
        if q is not None:
            claim(q)
    for m in _EN_DATE_RE.finditer(text):
        day = m.group("d1") or m.group("d2")
        parts = (int(m.group("y")), _MONTHS[m.group("mon")[:3].lower()]) + ((int(day),) if day else ())
        claim(Quantity(m.group(0), m.start(), m.end(), float(parts[0]), "", QuantityKind.DATE, parts))
    for m in _TIME_RE.finditer(text):
        claim(Quantity(m.group(0), m.start(), m.end(), _seconds(m), "시", QuantityKind.TIME))
    for m in _ENGLISH_MONEY.finditer(text):
        scale = _EN_SCALE.get((m.group("scale") or "").lower(), 1.0)
        claim(Quantity(m.group(0).rstrip(), m.start(), m.start() + len(m.group(0).rstrip()),
                       _plain(m.group("body")) * scale, m.group("cur"), QuantityKind.MONEY))
    for m in _AMOUNT_RE.finditer(text):
        value = _body_value(m.group("body").rstrip())
        if value is None:
            continue
        if m.group("sign") in ("-", "−", "△", "▽", "▼"):
            value = -value
        unit = (m.group("unit") or "").strip()
        surface = m.group(0).rstrip(" ,.")
        end = m.start() + len(surface)
        start = m.start()
        if unit and _ordinal_prefix(text, start):  # 제64대: the ordinal is the whole figure
            start, surface = start - 1, "제" + surface
        if not unit and re.fullmatch(r"1\d{3}|20\d\d", surface):
            # a bare four-digit number from 1000 to 2099 is a year far more often than not
            claim(Quantity(surface, m.start(), end, value, "", QuantityKind.YEAR, (int(value),)))
            continue
        claim(Quantity(surface, start, end, value, unit, _unit_kind(unit)))
    found.sort(key=lambda q: q.start)
    return found


def _ordinal_prefix(text: str, at: int) -> bool:
    """Whether the figure at ``at`` follows the ordinal prefix 제 as a word's start (제64대,
    not 경제64)."""
    return at >= 1 and text[at - 1] == "제" and (at < 2 or not "가" <= text[at - 2] <= "힣")


def parse_quantity(text: str) -> Quantity | None:
    """The quantity that ``text`` consists of (surrounding spaces and brackets aside), or None.

    ``(1,234)`` (accounting notation) and ``△1,234`` are negative.
    """
    s = text.strip()
    negative = False
    if len(s) > 2 and s[0] == "(" and s[-1] == ")" and re.fullmatch(rf"\({_NUM}\)", s):
        s, negative = s[1:-1], True
    qs = find_quantities(s)
    if len(qs) != 1 or qs[0].start != 0 or qs[0].end != len(s):
        hangul = _hangul_value(s.replace(" ", ""))
        if hangul is None:
            return None
        return Quantity(text.strip(), 0, len(text.strip()), hangul, "", QuantityKind.NUMBER)
    q = qs[0]
    if negative:
        q = Quantity(text.strip(), 0, len(text.strip()), -q.value, q.unit, q.kind, q.date)
    return q


def parse_korean_number(text: str) -> float | None:
    """The numeric value of a Korean or plain number, units ignored; None if it is not one.

    >>> parse_korean_number("3,450억 원"), parse_korean_number("1조 2,000억")
    (345000000000.0, 1200000000000.0)
    >>> parse_korean_number("3.5%"), parse_korean_number("2023년"), parse_korean_number("삼천")
    (3.5, 2023.0, 3000.0)

    Dates with a month (``2023.09``, ``2023년 9월``) return their year; compare dates with
    ``normalise_quantity`` instead.
    """
    q = parse_quantity(text)
    if q is None:
        return None
    if q.kind == QuantityKind.DATE and q.date and q.date[0]:
        return float(q.date[0])
    return q.value


def normalise_quantity(text: str) -> str | None:
    """A comparison key for a whole-string quantity: ``3450억원`` and ``3,450억 원`` agree."""
    q = parse_quantity(text)
    return q.key if q is not None else None


def is_value_cell(text: str) -> bool:
    """True for table cells that hold a measured value rather than a label.

    Years, dates and periods (``1개월``, ``3년``) head columns far more often than they fill
    them, so they count as labels.
    """
    s = text.strip()
    if not s or s in ("-", "–", "—", "N/A", "n/a"):
        return bool(s)
    q = parse_quantity(s)
    if q is None:
        return False
    if q.kind in TEMPORAL_KINDS or q.kind == QuantityKind.DURATION:
        return False
    if q.kind == QuantityKind.NUMBER and not q.unit and re.fullmatch(r"(19|20)\d\d", s):
        return False
    return True

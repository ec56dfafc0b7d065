"""Questions with exact answers about a rendered item, in Korean or English, with evidence.

Kinds: a paragraph ``fact``; a table ``lookup`` and the multi-step ``diff`` (between two
years), ``sum`` (over the rows), ``pct`` (percent change) and ``max``/``min`` (which row);
a chart ``value``, ``cmax``/``cmin`` (which category), ``cdiff`` (between two categories)
and ``total`` (a stacked bar's segments). Each :class:`QA` keeps the computed value and the
keys of the numbers it used, so a test can redo the arithmetic on the table's own values.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from vlm.synth.collections import josa
from vlm.synth.rendered import ChartTruth, FactTruth, Rendered, TableTruth, TextBox
from vlm.synth.report import number
from vlm.synth.templates import Quantity
from vlm.synth.topics import with_unit

NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class QA:
    kind: str
    category: str  # document, table or chart
    question: str
    answer: str  # a sentence
    short: str  # the answer alone: a number with its unit, or a name
    value: float | None  # the computed number (for max/min, the extreme value)
    evidence: tuple[TextBox, ...]
    operands: tuple[Any, ...] = ()  # table (row, metric, year) or chart (category, series) keys

    @property
    def numeric(self) -> bool:
        return self.kind not in ("max", "min", "cmax", "cmin")


def decimals(text: str) -> int:
    return len(text.rstrip("%").partition(".")[2])


def show(text: str, unit: str, lang: str) -> str:
    """A printed value with its unit once (a pie's shares already end in %)."""
    return text if unit and text.endswith(unit) else with_unit(text, unit, lang)


def _diff_unit(unit: str, lang: str) -> str:
    """Percentages differ in percentage points."""
    if unit == "%":
        return "%p" if lang == "ko" else "percentage points"
    return unit


def fact_questions(facts: list[FactTruth], entity: str, lang: str) -> list[QA]:
    out = []
    for f in facts:
        if lang == "ko":
            q = f"{entity}의 {josa(f.name, '은는')} 얼마인가요?"
            a = f"{entity}의 {josa(f.name, '은는')} {f.span.text}입니다."
        else:
            q = f"What is the {f.name} of {entity}?"
            a = f"The {f.name} of {entity} is {f.span.text}."
        out.append(QA("fact", "document", q, a, f.span.text, f.value, (f.span,), (f.key,)))
    return out


def table_questions(t: TableTruth, lang: str, rng: random.Random) -> list[QA]:
    """One lookup and one of each multi-step kind the table allows."""
    out = []
    m = rng.choice(t.metrics)
    row, year = rng.choice(t.rows), rng.choice(t.years)
    cell = t.cells[(row, m.name, year)]
    v = with_unit(cell.text, m.unit, lang)
    if lang == "ko":
        q, a = (f"{row}의 {year}년 {josa(m.name, '은는')} 얼마인가요?",
                f"{row}의 {year}년 {josa(m.name, '은는')} {v}입니다.")
    else:
        q, a = (f"What was the {m.name.lower()} of {row} in {year}?",
                f"The {m.name.lower()} of {row} in {year} was {v}.")
    out.append(QA("lookup", "table", q, a, v, t.value(row, m.name, year), (cell,),
                  ((row, m.name, year),)))
    out.append(_diff(t, lang, rng))
    additive = [x for x in t.metrics if x.two_step]
    if additive:
        out.append(_sum(t, rng.choice(additive), rng.choice(t.years), lang))
        pct = _pct(t, rng.choice(additive), rng.choice(t.rows), lang)
        if pct is not None:
            out.append(pct)
    ext = _extreme(t, rng.choice(t.metrics), rng.choice(t.years), rng.choice(("max", "min")),
                   lang)
    if ext is not None:
        out.append(ext)
    return out


def _pair(t: TableTruth, rng: random.Random) -> tuple[int, int]:
    y1, y2 = sorted(rng.sample(t.years, 2))
    return y1, y2


def _diff(t: TableTruth, lang: str, rng: random.Random) -> QA:
    m, row = rng.choice(t.metrics), rng.choice(t.rows)
    y1, y2 = _pair(t, rng)
    a, b = t.cells[(row, m.name, y1)], t.cells[(row, m.name, y2)]
    d = round(t.value(row, m.name, y2) - t.value(row, m.name, y1), m.decimals)
    unit = _diff_unit(m.unit, lang)
    size = with_unit(number(abs(d), m.decimals), unit, lang)
    av, bv = with_unit(a.text, m.unit, lang), with_unit(b.text, m.unit, lang)
    if lang == "ko":
        q = f"{row}의 {josa(m.name, '은는')} {y1}년에 비해 {y2}년에 얼마나 달라졌나요?"
        verb = "증가했습니다" if d > 0 else "감소했습니다" if d < 0 else "변하지 않았습니다"
        ans = f"{size} {verb} ({y1}년 {av} → {y2}년 {bv})."
    else:
        q = f"By how much did the {m.name.lower()} of {row} change from {y1} to {y2}?"
        verb = "rose" if d > 0 else "fell" if d < 0 else "did not change"
        ans = f"It {verb} by {size}, from {av} in {y1} to {bv} in {y2}."
    return QA("diff", "table", q, ans, size, d, (a, b), ((row, m.name, y1), (row, m.name, y2)))


def _sum(t: TableTruth, m: Quantity, year: int, lang: str) -> QA:
    cells = [t.cells[(r, m.name, year)] for r in t.rows]
    total = round(sum(t.value(r, m.name, year) for r in t.rows), m.decimals)
    s = with_unit(number(total, m.decimals), m.unit, lang)
    terms = " + ".join(c.text for c in cells)
    if lang == "ko":
        q = f"{year}년 표에 나온 {len(t.rows)}개 {t.group}의 {m.name} 합계는 얼마인가요?"
        ans = f"합계는 {s}입니다 ({terms})."
    else:
        q = f"What was the total {m.name.lower()} of the {len(t.rows)} {t.group}s in the table in {year}?"
        ans = f"The total was {s} ({terms})."
    return QA("sum", "table", q, ans, s, total, tuple(cells),
              tuple((r, m.name, year) for r in t.rows))


def _pct(t: TableTruth, m: Quantity, row: str, lang: str) -> QA | None:
    y1, y2 = t.years[0], t.years[-1]
    a, b = t.value(row, m.name, y1), t.value(row, m.name, y2)
    if a <= 0:
        return None
    p = round((b - a) / a * 100, 1)
    ca, cb = t.cells[(row, m.name, y1)], t.cells[(row, m.name, y2)]
    av, bv = with_unit(ca.text, m.unit, lang), with_unit(cb.text, m.unit, lang)
    size = f"{abs(p):.1f}%"
    if lang == "ko":
        q = f"{row}의 {m.name} {y1}년 대비 {y2}년 증감률은 몇 %인가요? (소수 첫째 자리까지)"
        verb = "증가했습니다" if p > 0 else "감소했습니다" if p < 0 else "변하지 않았습니다"
        ans = f"{size} {verb} ({y1}년 {av} → {y2}년 {bv})."
    else:
        q = (f"What was the percent change in the {m.name.lower()} of {row} from {y1} to {y2}? "
             "(one decimal)")
        verb = "rose" if p > 0 else "fell" if p < 0 else "did not change"
        ans = f"It {verb} by {size}, from {av} to {bv}."
    return QA("pct", "table", q, ans, f"{p:.1f}%", p, (ca, cb),
              ((row, m.name, y1), (row, m.name, y2)))


def _extreme(t: TableTruth, m: Quantity, year: int, kind: str, lang: str) -> QA | None:
    values = {r: t.value(r, m.name, year) for r in t.rows}
    best = (max if kind == "max" else min)(values.values())
    rows = [r for r, v in values.items() if v == best]
    if len(rows) != 1:  # a tie has no single answer
        return None
    row = rows[0]
    cell = t.cells[(row, m.name, year)]
    v = with_unit(cell.text, m.unit, lang)
    if lang == "ko":
        big = "큰" if kind == "max" else "작은"
        q = f"{year}년 {m.name} 값이 가장 {big} {josa(t.group, '은는')} 무엇인가요?"
        ans = f"{row}입니다 ({v})."
    else:
        word = "highest" if kind == "max" else "lowest"
        q = f"Which {t.group} had the {word} {m.name.lower()} in {year}?"
        ans = f"{row}, with {v}."
    return QA(kind, "table", q, ans, row, best, (t.row_labels[row], cell),
              ((row, m.name, year),))


def chart_questions(c: ChartTruth, lang: str, rng: random.Random) -> list[QA]:
    """A value, the largest or smallest category, a difference and, when stacked, a total."""
    ko = lang == "ko"
    name = c.series[0] if len(c.series) > 1 else ""
    pts = [p for p in c.points if p.series == name]
    p = rng.choice(pts)
    who = f"{p.category} {p.series}".strip()
    v = show(p.text, c.unit, lang)
    if ko:
        q = f"그래프에서 {who}의 {josa(c.quantity, '은는')} 얼마인가요?"
        a = f"{who}의 {josa(c.quantity, '은는')} {v}입니다."
    else:
        of = f"{p.series} in {p.category}" if p.series else p.category
        q, a = f"In the chart, what is the {c.quantity} for {of}?", f"It is {v} for {of}."
    out = [QA("value", "chart", q, a, v, p.value, (TextBox(p.text, p.label),),
              ((p.category, p.series),))]
    kind = rng.choice(("cmax", "cmin"))
    best = (max if kind == "cmax" else min)(pts, key=lambda x: x.value)
    if sum(x.value == best.value for x in pts) == 1:
        bv = show(best.text, c.unit, lang)
        if ko:
            big = "큰" if kind == "cmax" else "작은"
            q = f"그래프에서 {c.quantity} 값이 가장 {big} 항목은 무엇인가요?"
            ans = f"{best.category}입니다 ({bv})."
        else:
            word = "highest" if kind == "cmax" else "lowest"
            q = f"Which category has the {word} {c.quantity} in the chart?"
            ans = f"{best.category}, with {bv}."
        out.append(QA(kind, "chart", q, ans, best.category, best.value,
                      (TextBox(best.text, best.label),), ((best.category, best.series),)))
    a, b = rng.sample(pts, 2)
    places = decimals(a.text)
    d = round(abs(b.value - a.value), places)
    size = show(number(d, places), _diff_unit(c.unit, lang), lang)
    if ko:
        q = f"그래프에서 {josa(a.category, '과와')} {b.category}의 {c.quantity} 차이는 얼마인가요?"
        ans = f"차이는 {size}입니다 ({a.category} {a.text}, {b.category} {b.text})."
    else:
        q = f"What is the difference in {c.quantity} between {a.category} and {b.category}?"
        ans = f"The difference is {size} ({a.category} {a.text}, {b.category} {b.text})."
    out.append(QA("cdiff", "chart", q, ans, size, d,
                  (TextBox(a.text, a.label), TextBox(b.text, b.label)),
                  ((a.category, a.series), (b.category, b.series))))
    if c.kind == "stacked":
        out.append(_total(c, rng.choice(c.categories), lang))
    return out


def _total(c: ChartTruth, category: str, lang: str) -> QA:
    segs = [p for p in c.points if p.category == category]
    places = max(decimals(p.text) for p in segs)
    total = round(sum(p.value for p in segs), places)
    s = show(number(total, places), c.unit, lang)
    terms = " + ".join(p.text for p in segs)
    if lang == "ko":
        q = f"그래프에서 {category}의 {c.quantity} 합계는 얼마인가요?"
        ans = f"합계는 {s}입니다 ({terms})."
    else:
        q = f"What is the total {c.quantity} for {category} in the chart?"
        ans = f"The total is {s} ({terms})."
    return QA("total", "chart", q, ans, s, total, tuple(TextBox(p.text, p.label) for p in segs),
              tuple((p.category, p.series) for p in segs))


def questions_for(r: Rendered, rng: random.Random) -> list[QA]:
    """The questions a crop answers (a page answers all three kinds)."""
    lay, lang, out = r.layout, r.doc.lang, []
    if r.part in ("page", "document"):
        out += fact_questions(lay.facts, r.doc.entity, lang)
    if r.part in ("page", "table") and lay.table is not None:
        out += table_questions(lay.table, lang, rng)
    if r.part in ("page", "chart") and lay.chart is not None:
        out += chart_questions(lay.chart, lang, rng)
    return out

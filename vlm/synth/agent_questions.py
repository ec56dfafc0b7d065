"""Questions for the agent beyond single values: comparisons across documents, extremes of a
series, yes/no against a threshold, and questions the collection cannot answer.

They extend a template collection's own questions (``vlm.synth.collections``) and use the
numbers each document was filled with, so that every gold answer is known exactly:

- ``compare``: which of two entities had more of a metric in one year (gold: the entity; both
  cells are evidence);
- ``extreme``: the year a chart's series peaked (gold: the year);
- ``yesno``: whether a table value exceeded a round threshold (gold: 예 / 아니요);
- ``unanswerable``: a year outside the table, or an entity no document names (gold: refusal).
"""

from __future__ import annotations

import random

from vlm.synth.collections import SynthCollection, SynthQuestion, josa
from vlm.synth.report import parse_number
from vlm.synth.templates import TEMPLATES

AGENT_KINDS: tuple[str, ...] = ("compare", "extreme", "yesno", "unanswerable")
UNKNOWN_ENTITIES = ("가상시", "무명전자", "미지펀드", "없는병원", "가공학교", "미상화학")


def agent_questions(collection: SynthCollection, per_kind: int = 4, seed: int = 0) -> list[SynthQuestion]:
    rng = random.Random(f"{collection.template}/agent/{seed}")
    docs = [d for d in collection.documents if d.values is not None and d.gold is not None]
    t = TEMPLATES[collection.template]
    out: list[SynthQuestion] = []
    for i in range(per_kind):
        out += [q for q in (_compare(t, docs, rng, i), _extreme(t, docs, rng, i),
                            _yesno(t, docs, rng, i), _unanswerable(t, docs, rng, i)) if q is not None]
    return out


def _q(t, kind: str, i: int, text: str, doc, boxes, answer: str, unit: str = "") -> SynthQuestion:  # type: ignore[no-untyped-def]
    pages = tuple(sorted({b.page for b in boxes}))
    return SynthQuestion(f"{t.key}-{kind}-{i}", text, kind, doc.filename if doc else "", pages, boxes,
                         answer, doc.entity if doc else "", t.key, unit)


def _compare(t, docs, rng, i):  # type: ignore[no-untyped-def]
    if len(docs) < 2:
        return None
    pairs = [(a, b) for a in docs for b in docs
             if a.filename < b.filename and set(a.values.years) & set(b.values.years)]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    if rng.random() < 0.5:
        a, b = b, a
    years = sorted(set(a.values.years) & set(b.values.years))
    m = rng.choice(t.table.metrics)
    y = rng.choice(years)
    va, vb = parse_number(a.values.table[(m.name, y)]), parse_number(b.values.table[(m.name, y)])
    if va == vb:
        return None
    more = rng.random() < 0.5
    word = "더 많은" if more else "더 적은"
    text = f"{josa(a.entity, '과와')} {b.entity}의 {y}년 {m.name} 중 어느 쪽이 {word}가?"
    winner = a if (va > vb) == more else b
    boxes = [a.gold.cells[(m.name, y)], b.gold.cells[(m.name, y)]]
    return _q(t, "compare", i, text, winner, boxes, winner.entity, m.unit)


def _extreme(t, docs, rng, i):  # type: ignore[no-untyped-def]
    if t.chart is None or not docs:
        return None
    d = rng.choice(docs)
    series = {y: parse_number(v) for y, v in d.values.chart.items()}
    top = max(series, key=series.get)
    low = min(series, key=series.get)
    q = t.chart.quantity
    if rng.random() < 0.5:
        text, year = f"{d.entity}의 {josa(q.name, '이가')} 가장 많았던 해는?", top
    else:
        text, year = f"{d.entity}의 {josa(q.name, '이가')} 가장 적었던 해는?", low
    boxes = [d.gold.points[y] for y in sorted(series)]
    return _q(t, "extreme", i, text, d, boxes, f"{year}년", q.unit)


def _yesno(t, docs, rng, i):  # type: ignore[no-untyped-def]
    if not docs:
        return None
    d = rng.choice(docs)
    m = rng.choice(t.table.metrics)
    y = rng.choice(d.values.years)
    v = parse_number(d.values.table[(m.name, y)])
    threshold = float(f"{v * rng.choice((0.8, 1.25)):.2g}")
    if threshold == v:
        return None
    shown = f"{threshold:,.0f}" if threshold >= 10 else f"{threshold:g}"
    text = f"{d.entity}의 {y}년 {josa(m.name, '은는')} {josa(shown + m.unit, '을를')} 넘었나?"
    return _q(t, "yesno", i, text, d, [d.gold.cells[(m.name, y)]], "예" if v > threshold else "아니요", m.unit)


def _unanswerable(t, docs, rng, i):  # type: ignore[no-untyped-def]
    if not docs:
        return None
    d = rng.choice(docs)
    m = rng.choice(t.table.metrics)
    if i % 2 == 0:
        absent = min(d.values.years) - rng.randint(3, 9)
        text = f"{d.entity}의 {absent}년 {josa(m.name, '은는')} 얼마인가?"
    else:
        other = rng.choice(UNKNOWN_ENTITIES)
        text = f"{other}의 {rng.choice(d.values.years)}년 {josa(m.name, '은는')} 얼마인가?"
    return _q(t, "unanswerable", i, text, None, [], "", m.unit)

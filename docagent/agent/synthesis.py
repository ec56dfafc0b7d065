"""From supported readings to the answer object: arithmetic in code, one reasoning line a step.

The answer speaks the question's language (Korean when it has Hangul). Every answer cites the
crops its values came from; when a needed value is missing, units disagree or a division by
zero would follow, the answer is a refusal that says which, never a guess. A value read from
a table that crosses pages cites its cell first and then the table's other pages.
"""

from __future__ import annotations

import re

from docagent.agent.answer import Answer, Citation, refusal
from docagent.agent.arithmetic import (
    Computed,
    UnitMismatch,
    Value,
    average,
    difference,
    extreme,
    percent_change,
    ranking,
    ratio,
    total,
    trend,
    with_unit,
)
from docagent.agent.state import Kind, Op, Plan, Reading


def _ko(question: str) -> bool:
    return bool(re.search(r"[가-힣]", question))


def _where(c: Citation) -> str:
    return f"{c.filename} p.{c.page} ({c.kind}): {c.quote}"


def _shown(v: Value) -> str:
    return with_unit(v.text, v.unit)


def synthesize(question: str, plan: Plan, readings: dict[int, Reading]) -> Answer:
    ko = _ko(question)
    missing = [s for s in plan.subs if not (r := readings.get(s.id)) or not r.supported]
    if missing:
        why = "; ".join(f"{s.text} ({readings[s.id].note})" if s.id in readings and readings[s.id].note
                        else s.text for s in missing)
        text = (f"문서에서 근거를 찾지 못했습니다: {why}" if ko else f"No supporting evidence was found for: {why}")
        return refusal(text, kind=plan.kind.value)
    ordered = [readings[s.id] for s in plan.subs]
    same = _read_twice(ordered)
    if same is not None:
        text = (f"두 값을 같은 곳에서 읽었습니다: {same}" if ko
                else f"Two of the values were read from the same place: {same}")
        return refusal(text, kind=plan.kind.value)
    reasoning = [f"{'찾음' if ko else 'found'}: {_where(c)}" for r in ordered for c in r.citations[:3]]
    reasoning += _spans(ordered, ko)
    # the values' own boxes first, then the other pages of tables that cross pages
    citations = _dedupe([c for r in ordered for c in r.citations] + [c for r in ordered for c in r.parts])
    try:
        text, lines = _combine(question, plan, ordered, ko)
    except UnitMismatch as exc:
        return refusal(("단위가 서로 달라 계산할 수 없습니다: " if ko else "The units differ: ") + str(exc),
                       reasoning, plan.kind.value)
    except (ZeroDivisionError, ValueError, IndexError) as exc:
        return refusal(("계산할 수 없습니다: " if ko else "Cannot compute: ") + str(exc), reasoning, plan.kind.value)
    notes = [r.note for r in ordered if r.note]
    if any("measured from the chart" in n for n in notes):
        text += " (그림의 막대·선 위치로 측정한 값)" if ko else " (measured from the chart's drawing)"
    return Answer(answer=text, reasoning=reasoning + lines + notes, citations=citations,
                  answerable=True, kind=plan.kind.value)


def _read_twice(readings: list[Reading]) -> str | None:
    """The quote two sub-questions (two years, two entities) both read from one box, if any:
    their difference or ratio would compare a figure with itself (``1637 − 1637``)."""
    seen: dict[tuple, str] = {}
    for r in readings:
        if not r.citations:
            continue
        key = r.citations[0].key()
        if key in seen:
            return seen[key]
        seen[key] = r.citations[0].quote
    return None


def _spans(readings: list[Reading], ko: bool) -> list[str]:
    """One line per table that crosses pages: the pages it covers."""
    lines = []
    for r in readings:
        if not r.parts:
            continue
        pages = ", ".join(f"p.{p}" for p in sorted({c.page for c in r.citations + r.parts}))
        name = r.parts[0].filename
        line = f"표가 여러 쪽에 걸쳐 있음: {name} {pages}" if ko else f"the table runs over pages: {name} {pages}"
        if line not in lines:
            lines.append(line)
    return lines


def _dedupe(cites: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in cites:
        if c.key() not in seen:
            seen.add(c.key())
            out.append(c)
    return out


def _one(r: Reading) -> Value:
    if not r.values:
        raise ValueError(f"{r.text!r} is not a number")
    return r.values[0]


def _combine(question: str, plan: Plan, rs: list[Reading], ko: bool) -> tuple[str, list[str]]:
    match plan.kind:
        case Kind.ARITHMETIC:
            return _arithmetic(plan.op, rs, ko)
        case Kind.COMPARE:
            return _compare(plan.op, rs, ko)
        case Kind.EXTREME:
            return _extreme(plan.op, rs[0].values, ko)
        case Kind.TREND:
            word, line = trend(rs[0].values)
            words = {"increasing": ("계속 증가했습니다", "it rose every step"),
                     "decreasing": ("계속 감소했습니다", "it fell every step"),
                     "mixed": ("증가와 감소가 섞여 있습니다", "it rose and fell")}
            return words[word][0 if ko else 1], [line]
        case Kind.YESNO:
            return _yesno(plan, _one(rs[0]), ko)
        case Kind.LIST:
            labels = [v.label for v in rs[0].values] or [rs[0].text]
            return ", ".join(labels), [f"{rs[0].text}: " + ", ".join(_shown(v) for v in rs[0].values)]
        case _:
            r = rs[0]
            if r.values and re.fullmatch(r"[-+−△]?[\d,.]+", r.text.strip()):
                return _shown(r.values[0]), []
            return r.text, []


def _values(rs: list[Reading]) -> list[Value]:
    return [v for r in rs for v in r.values] if len(rs) == 1 else [_one(r) for r in rs]


def _arithmetic(op: Op, rs: list[Reading], ko: bool) -> tuple[str, list[str]]:
    vs = _values(rs)
    if op in (Op.DIFFERENCE, Op.PERCENT, Op.RATIO):
        if len(vs) < 2:
            raise ValueError("two values are needed")
        a, b = vs[0], vs[-1]
        fn = {Op.DIFFERENCE: difference, Op.PERCENT: percent_change, Op.RATIO: ratio}[op]
        out: Computed = fn(a, b)
        return out.text, [out.line]
    out = (total if op == Op.TOTAL else average)(vs)
    return out.text, [out.line]


def _compare(op: Op, rs: list[Reading], ko: bool) -> tuple[str, list[str]]:
    vs = [_one(r) for r in rs]
    if op == Op.DIFFERENCE:
        out = difference(vs[0], vs[1])
        return out.text, [out.line]
    best, line = extreme(vs, largest=op == Op.MAX)
    return f"{best.label} ({_shown(best)})", [line]


def _extreme(op: Op, vs: list[Value], ko: bool) -> tuple[str, list[str]]:
    if op == Op.RANK:
        ranked, line = ranking(vs)
        return ", ".join(v.label for v in ranked), [line]
    best, line = extreme(vs, largest=op == Op.MAX)
    return f"{best.label} ({_shown(best)})", [line]


def _yesno(plan: Plan, v: Value, ko: bool) -> tuple[str, list[str]]:
    t = plan.threshold
    assert isinstance(t, Value)
    out = difference(t, v)  # v − threshold, in one scale
    yes = out.value > 0 if plan.op == Op.ABOVE else out.value < 0
    word = ("예" if yes else "아니요") if ko else ("Yes" if yes else "No")
    sign = ">" if out.value > 0 else "<" if out.value < 0 else "="
    return f"{word} ({_shown(v)})", [f"{_shown(v)} {sign} {_shown(t)}"]

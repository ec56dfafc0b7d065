"""Chart questions through the agent: a chart crop is read as its table (``indexing.chart_data``),
for every chart kind; a value measured from the drawing, not printed, is said to be."""

from __future__ import annotations

import re

import pytest

from docagent.ask import ask
from docagent.ingest import Ingestor
from docagent.intake import Upload
from vlm.synth.charts import sample_chart


def _ingest(settings, kind: str, **kw) -> object:  # type: ignore[no-untyped-def]
    pdf, drawn = sample_chart(kind, seed=3, **kw)
    ing = Ingestor(settings)
    job, _ = ing.submit("default", kind, [Upload(f"{kind}.pdf", pdf)])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    return drawn


def _number(text: str) -> float:
    m = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    assert m, text
    return float(m.group(0).replace(",", ""))


@pytest.mark.parametrize(("kind", "n_series", "question"), [
    ("bar", 1, "{category} 관광객 수는 얼마인가?"),
    ("line", 1, "{category} 인구는 얼마인가?"),
    ("stacked", 2, "{category} {series} 매출액은 얼마인가?"),
    ("pie", 1, "{category} 매출 비중은 얼마인가?"),
])
def test_a_printed_chart_value_is_answered_with_its_label_box(settings, kind, n_series, question) -> None:
    drawn = _ingest(settings, kind, n_series=n_series)
    target = drawn.values[len(drawn.values) // 2]
    text = question.format(category=target.category, series=target.series)
    answer, _ = ask(settings, "default", kind, text)
    assert answer.answerable, (text, answer.answer)
    assert _number(answer.answer) == pytest.approx(float(target.text.replace(",", "").rstrip("%")))
    box = answer.citations[0].bbox
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    lab = target.label
    assert lab is not None and lab.x0 - 1 <= cx <= lab.x1 + 1 and lab.y0 - 1 <= cy <= lab.y1 + 1


def test_a_value_without_a_label_is_measured_and_said_so(settings) -> None:
    drawn = _ingest(settings, "bar", labels=False)
    target = drawn.values[2]
    answer, _ = ask(settings, "default", "bar", f"{target.category} 관광객 수는 얼마인가?")
    assert answer.answerable and "측정" in answer.answer
    span = max(v.value for v in drawn.values)
    assert abs(_number(answer.answer) - target.value) <= 0.03 * span
    assert any("measured from the chart" in line for line in answer.reasoning)

"""Template collections: many reports from one template, with questions and gold evidence.

Every report of a collection has the same text except its entity, named only in the title
on page 1, its edition year and its numbers. Each question names the entity, so answering it
from a table on page 2 needs the title as context. Question kinds:

- ``document``: a number stated in a paragraph sentence (gold: that sentence's words on the
  number's line);
- ``table``: one cell, by metric and year (gold: the cell);
- ``two-step``: how much one metric changed between two years (gold: both cells; the answer
  is their difference, without sign: the question says whether it grew or shrank);
- ``chart``: the value label of one bar or point (gold: the label).

Answers are numbers as printed, without their unit, which ``SynthQuestion.unit`` holds.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from vlm.synth.pdf import rasterise
from vlm.synth.report import GoldBox, Report, Values, number, parse_number, render, sample_values
from vlm.synth.templates import (
    DEVELOPMENT_TEMPLATES,
    HELD_OUT_TEMPLATES,
    TEMPLATES,
    UNSEEN_TEMPLATES,
    Quantity,
    Template,
)

__all__ = [
    "DEVELOPMENT_TEMPLATES", "HELD_OUT_TEMPLATES", "KINDS", "TEMPLATES", "UNSEEN_TEMPLATES", "GoldBox",
    "SynthCollection", "SynthDocument", "SynthQuestion", "template_collection",
]

KINDS: tuple[str, ...] = ("document", "table", "two-step", "chart")
EDITIONS = range(2000, 2026)
TABLE_QUESTIONS = 2


@dataclass
class SynthQuestion:
    id: str
    text: str
    kind: str
    filename: str
    pages: tuple[int, ...]
    boxes: list[GoldBox]
    answer: str
    entity: str
    template: str
    unit: str = ""


@dataclass
class SynthDocument:
    filename: str
    pdf: bytes
    entity: str
    template: str
    title: str
    edition: int
    title_box: GoldBox | None = None  # the title's lines on page 1
    values: Values | None = None  # the numbers it was filled with (for further questions)
    gold: Report | None = None  # where each of them was drawn


@dataclass
class SynthCollection:
    template: str
    documents: list[SynthDocument]
    questions: list[SynthQuestion] = field(default_factory=list)

    def scanned(self, dpi: int = 200) -> SynthCollection:
        """Image-only copies of the documents; pages keep their size, so the gold holds."""
        docs = [replace(d, pdf=rasterise(d.pdf, dpi)) for d in self.documents]
        return SynthCollection(self.template, docs, list(self.questions))


def josa(word: str, pair: str) -> str:
    """``word`` with the particle of ``pair`` ("은는", "이가", "을를") that its ending takes."""
    last = word.strip()[-1]
    if "가" <= last <= "힣":
        final = (ord(last) - 0xAC00) % 28 != 0
    else:
        final = last in "0136789LMNRlmnr"
    return word + (pair[0] if final else pair[1])


DOCUMENT_FORMS = (
    "{entity}의 {edition}년 {name_eun} 얼마인가?",
    "{edition}년 기준 {entity}의 {name_eun}?",
    "{entity}의 {name_eul} 알려 주세요.",
)
TABLE_FORMS = (
    "{entity}의 {year}년 {name_eun} 얼마인가?",
    "{year}년 {entity}의 {name_eun}?",
    "{entity}의 {name} 가운데 {year}년 값은 얼마입니까?",
)
CHART_FORMS = (
    "{entity}의 {year}년 {name_eun} 얼마인가?",
    "그림에 나타난 {entity}의 {year}년 {name_eun}?",
    "{entity}의 {name} 추이에서 {year}년 값은 얼마입니까?",
)
# (growth, decline) wordings of one phrasing
TWO_STEP_FORMS = (
    ("{entity}의 {name_eun} {y1}년부터 {y2}년까지 얼마나 늘었나?",
     "{entity}의 {name_eun} {y1}년부터 {y2}년까지 얼마나 줄었나?"),
    ("{entity}의 {y1}년 대비 {y2}년 {name} 증가폭은 얼마인가?",
     "{entity}의 {y1}년 대비 {y2}년 {name} 감소폭은 얼마인가?"),
    ("{y1}년과 비교하여 {y2}년 {entity}의 {name_eun} 얼마나 늘었습니까?",
     "{y1}년과 비교하여 {y2}년 {entity}의 {name_eun} 얼마나 줄었습니까?"),
)


class _Asker:
    """Writes the questions of one document."""

    def __init__(self, t: Template, doc: SynthDocument, values: Values, report: Report,
                 rng: random.Random, index: int) -> None:
        self.t, self.doc, self.v, self.r, self.rng = t, doc, values, report, rng
        self.prefix = f"{t.key}-{index:02d}"
        self.out: list[SynthQuestion] = []

    def add(self, kind: str, text: str, boxes: list[GoldBox], answer: str, unit: str) -> None:
        # A question must not give its answer away (a year may contain it: 24 in 2024).
        if re.search(rf"(?<![\d,.]){re.escape(answer)}(?![\d,.])", text):
            return
        qid = f"{self.prefix}-{kind}-{sum(q.kind == kind for q in self.out)}"
        pages = tuple(sorted({b.page for b in boxes}))
        self.out.append(SynthQuestion(qid, text, kind, self.doc.filename, pages, boxes, answer,
                                      self.doc.entity, self.t.key, unit))

    def words(self, q: Quantity, **extra: object) -> dict[str, object]:
        return {"entity": self.doc.entity, "edition": self.v.edition, "name": q.name,
                "name_eun": josa(q.name, "은는"), "name_eul": josa(q.name, "을를"), **extra}

    def document(self) -> None:
        for q in self.t.facts:
            text = self.rng.choice(DOCUMENT_FORMS).format(**self.words(q))
            self.add("document", text, [self.r.facts[q.key]], self.v.facts[q.key], q.unit)

    def table(self) -> None:
        cells = [(q, y) for q in self.t.table.metrics for y in self.v.years]
        for q, year in self.rng.sample(cells, TABLE_QUESTIONS):
            text = self.rng.choice(TABLE_FORMS).format(**self.words(q, year=year))
            self.add("table", text, [self.r.cells[(q.name, year)]], self.v.table[(q.name, year)],
                     q.unit)

    def two_step(self) -> None:
        metrics = [q for q in self.t.table.metrics if q.two_step]
        for _ in range(10):  # until the two years differ in value
            q = self.rng.choice(metrics)
            y1, y2 = sorted(self.rng.sample(self.v.years, 2))
            a, b = self.v.table[(q.name, y1)], self.v.table[(q.name, y2)]
            diff = round(parse_number(b) - parse_number(a), q.decimals)
            if diff != 0:
                break
        else:
            return
        form = self.rng.choice(TWO_STEP_FORMS)[0 if diff > 0 else 1]
        text = form.format(**self.words(q, y1=y1, y2=y2))
        boxes = [self.r.cells[(q.name, y1)], self.r.cells[(q.name, y2)]]
        self.add("two-step", text, boxes, number(abs(diff), q.decimals), q.unit)

    def chart(self) -> None:
        if self.t.chart is None:
            return
        q, year = self.t.chart.quantity, self.rng.choice(self.v.years)
        text = self.rng.choice(CHART_FORMS).format(**self.words(q, year=year))
        self.add("chart", text, [self.r.points[year]], self.v.chart[year], q.unit)

    def all(self) -> list[SynthQuestion]:
        self.document()
        self.table()
        self.two_step()
        self.chart()
        return self.out


def template_collection(template: str, n_documents: int = 12, seed: int = 0) -> SynthCollection:
    """``n_documents`` reports of one template, each its own entity and edition, with questions.

    Deterministic in (``template``, ``n_documents``, ``seed``).
    """
    t = TEMPLATES[template]
    if not 0 < n_documents <= len(t.entities):
        raise ValueError(f"{template} has {len(t.entities)} entities; asked for {n_documents}")
    rng = random.Random(f"{template}/{seed}")
    entities = rng.sample(t.entities, n_documents)
    editions = rng.sample(EDITIONS, n_documents)  # one edition year per document
    collection = SynthCollection(template, [])
    for i, (entity, edition) in enumerate(zip(entities, editions, strict=True)):
        values = sample_values(t, edition, rng)
        report = render(t, entity, values)
        doc = SynthDocument(f"{template}-{i:02d}.pdf", report.pdf, entity, template,
                            report.title, edition, report.title_box, values, report)
        collection.documents.append(doc)
        collection.questions.extend(_Asker(t, doc, values, report, rng, i).all())
    return collection

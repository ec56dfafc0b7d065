"""Text-only samples (no image) for mixing into stages 2-4: the document's own facts and numbers.

Three kinds per document: a question answered from the paragraph given in the prompt; an
arithmetic question over numbers given in a sentence, answered with the worked computation;
and a question over the table written out as Markdown.
"""

from __future__ import annotations

from vlm.synth.collections import josa
from vlm.synth.pages import fact_sentence
from vlm.synth.questions import QA
from vlm.synth.records import Conversation, Turn
from vlm.synth.rendered import TableTruth
from vlm.synth.report import number
from vlm.synth.tasks import SOURCE
from vlm.synth.topics import Content, with_unit, year_label


def _text(id_: str, prompt: str, answer: str, category: str) -> Conversation:
    return Conversation(id_, "text", [Turn("human", prompt), Turn("gpt", answer)], None, SOURCE,
                        category)


def paragraph_sample(id_: str, content: Content, qa: QA) -> Conversation | None:
    paragraph = fact_sentence(content, qa.operands[0])
    if not paragraph:
        return None
    if content.lang == "ko":
        prompt = f"다음 글을 읽고 질문에 답하세요.\n\n{content.title}\n{paragraph}\n\n질문: {qa.question}"
    else:
        prompt = (f"Read the text and answer the question.\n\n{content.title}\n{paragraph}\n\n"
                  f"Question: {qa.question}")
    return _text(id_, prompt, qa.answer, "document")


def arithmetic_sample(id_: str, t: TableTruth, qa: QA, lang: str) -> Conversation:
    """A ``diff`` or ``pct`` question restated with its two numbers, answered step by step."""
    (row, name, y1), (_, _, y2) = qa.operands
    m = t.metric(name)
    a, b = t.value(row, name, y1), t.value(row, name, y2)
    at, bt = with_unit(t.cells[(row, name, y1)].text, m.unit, lang), \
        with_unit(t.cells[(row, name, y2)].text, m.unit, lang)
    an, bn = number(a, m.decimals), number(b, m.decimals)
    if qa.kind == "pct":
        work = f"({bn} - {an}) / {an} × 100 = {qa.value:.1f}"
        if lang == "ko":
            ask = f"{y1}년 대비 {y2}년 증감률을 소수 첫째 자리까지 구하세요."
            ans = f"증감률은 {work}(%)입니다. {qa.answer}"
        else:
            ask = f"Compute the percent change from {y1} to {y2}, to one decimal."
            ans = f"The percent change is {work} (%). {qa.answer}"
    else:
        work = f"{bn} - {an} = {number(b - a, m.decimals)}"
        ask = (f"{y1}년 대비 {y2}년에 얼마나 달라졌는지 구하세요." if lang == "ko"
               else f"Compute the change from {y1} to {y2}.")
        ans = (f"변화량은 {work}입니다. {qa.answer}" if lang == "ko"
               else f"The change is {work}. {qa.answer}")
    if lang == "ko":
        said = f"{row}의 {josa(name, '은는')} {y1}년에 {at}, {y2}년에 {bt}입니다."
    else:
        said = f"The {name.lower()} of {row} was {at} in {y1} and {bt} in {y2}."
    return _text(id_, f"{said} {ask}", ans, "table")


def markdown(t: TableTruth, lang: str) -> str:
    cols = [(m, y) for y in t.years for m in t.metrics]
    head = [t.corner, *(f"{year_label(y, lang)} {m.name}" + (f"({m.unit})" if m.unit else "")
                        for m, y in cols)]
    rows = [[r, *(t.cells[(r, m.name, y)].text for m, y in cols)] for r in t.rows]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def table_sample(id_: str, t: TableTruth, qa: QA, lang: str) -> Conversation:
    intro = "다음 표를 보고 질문에 답하세요." if lang == "ko" else \
        "Answer the question using the table."
    return _text(id_, f"{intro}\n\n{t.caption}\n{markdown(t, lang)}\n\n{qa.question}", qa.answer,
                 "table")

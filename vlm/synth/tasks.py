"""Conversation records from a rendered item: captions, questions, OCR, grounding, referring.

Every reply follows VARCO-VISION's markup (``vlm.prompts``): a grounded answer is the answer
sentence followed by one ``<char>text</char><bbox>x1, y1, x2, y2</bbox>`` per piece of
evidence; OCR is one ``<char>word</char><bbox>…</bbox>`` a line (words on crops, lines on
whole pages, which would otherwise run to thousands of tokens); grounding answers with
``<char>`` for text and ``<obj>`` for a table, bar, point or slice; referring asks for the text
at ``<char>이곳에</char><bbox>…</bbox>``. Boxes are the items' ``Space.NORM`` boxes.
"""

from __future__ import annotations

import random

from indexing.geometry import Box
from vlm.prompts import format_box, ocr_content, qa_content, referring_content
from vlm.synth.collections import josa
from vlm.synth.questions import QA, show
from vlm.synth.records import Conversation, Turn
from vlm.synth.rendered import Rendered, TextBox, lines, reading_order
from vlm.tokens import BBOX_CLOSE, BBOX_OPEN, CHAR_CLOSE, CHAR_OPEN, IMAGE, OBJ_CLOSE, OBJ_OPEN

GROUNDED_SHARE = 0.7  # questions asked with <gro>; the rest want a plain answer
SOURCE = "synth"
KIND_NAMES = {"ko": {"bar": "세로 막대그래프", "barh": "가로 막대그래프", "line": "꺾은선 그래프",
                     "stacked": "누적 막대그래프", "pie": "원그래프"},
              "en": {"bar": "vertical bar chart", "barh": "horizontal bar chart",
                     "line": "line chart", "stacked": "stacked bar chart", "pie": "pie chart"}}
MARK_NAMES = {"ko": {"line": "점", "pie": "조각"}, "en": {"line": "point", "pie": "slice"}}
DESCRIBE = {"ko": ("이미지를 자세히 설명해 주세요.", "이 이미지에 무엇이 담겨 있는지 설명해 주세요.",
                   "이미지의 내용을 요약해 주세요."),
            "en": ("Describe the image in detail.", "What does this image show?",
                   "Summarise the content of this image.")}
REFER = {"ko": ("이곳에", "써있는 글자를 읽어주세요."), "en": ("here", "Read the text written here.")}


def image_ref(r: Rendered) -> str:
    """The image's path relative to the JSONL files."""
    return f"images/{r.id}{r.suffix}"


def span(text: str, box: Box, kind: str = "char") -> str:
    open_, close = (CHAR_OPEN, CHAR_CLOSE) if kind == "char" else (OBJ_OPEN, OBJ_CLOSE)
    return f"{open_}{text}{close}{BBOX_OPEN}{format_box(box)}{BBOX_CLOSE}"


def grounded_reply(qa: QA) -> str:
    return qa.answer + " " + "".join(span(e.text, e.box) for e in qa.evidence)


def ocr_reply(items: list[TextBox]) -> str:
    return "\n".join(span(t.text, t.box) for t in items)


def conversation(r: Rendered, task: str, k: int, human: str, gpt: str) -> Conversation:
    return Conversation(f"{r.id}-{task}-{k}", task, [Turn("human", f"{IMAGE}\n{human}"),
                                                     Turn("gpt", gpt)],
                        image_ref(r), SOURCE, r.category)


# -- captions ----------------------------------------------------------------------------------


def caption(r: Rendered, rng: random.Random) -> Conversation:
    lang = r.doc.lang
    text = {"page": _page_caption, "document": _document_caption, "table": _table_caption,
            "chart": _chart_caption}[r.part](r, lang)
    if r.doc.scanned:
        text += (" 스캔한 문서라 약간 기울어져 있고 흐릿합니다." if lang == "ko"
                 else " It is a scan, slightly skewed and blurred.")
    return conversation(r, "caption", 0, rng.choice(DESCRIBE[lang]), text)


def _document_caption(r: Rendered, lang: str) -> str:
    heads = [h.text for h in r.layout.headings]
    facts = r.layout.facts
    if lang == "ko":
        said = ", ".join(f"{josa(f.name, '은는')} {f.span.text}" for f in facts)
        return (f"보고서의 본문을 보여 주는 문서 이미지입니다. 제목은 '{r.doc.title}'이고 "
                f"{', '.join(heads)} 항목이 있습니다. 본문에 따르면 {said}입니다.")
    said = " and ".join(f"the {f.name} is {f.span.text}" for f in facts)
    return (f"An image of the text of a report titled '{r.doc.title}', with the sections "
            f"{', '.join(heads)}. According to the text, {said}.")


def _table_caption(r: Rendered, lang: str) -> str:
    t = r.layout.table
    assert t is not None
    metrics = [m.name for m in t.metrics]
    years = [str(y) for y in t.years]
    groups = years if t.top == "year" else metrics
    if lang == "ko":
        unit = (f"단위는 {t.metrics[0].unit}입니다." if t.unit_note
                else "단위는 머리글마다 적혀 있습니다.")
        return (f"'{t.caption}' 표입니다. 행은 {', '.join(t.rows)}이고 열은 "
                f"{', '.join(y + '년' for y in years)}의 {', '.join(metrics)}입니다. 머리글 윗줄의 "
                f"{', '.join(groups)} 칸은 아래 칸 여러 개에 걸쳐 병합되어 있습니다. {unit}")
    unit = f"Values are in {t.metrics[0].unit}." if t.unit_note else "Each header gives its unit."
    return (f"A table, '{t.caption}'. Its rows are {', '.join(t.rows)}; its columns give "
            f"{', '.join(metrics)} for {', '.join(years)}. The upper header cells "
            f"({', '.join(groups)}) are merged over the cells below them. {unit}")


def _chart_caption(r: Rendered, lang: str) -> str:
    c = r.layout.chart
    assert c is not None
    kind = KIND_NAMES[lang][c.kind]
    lone = [p for p in c.points if p.series == c.series[0]]
    top = max(lone, key=lambda p: p.value)
    cats = f"{c.categories[0]}, ..., {c.categories[-1]}" if len(c.categories) > 3 \
        else ", ".join(c.categories)
    if lang == "ko":
        text = f"{kind}입니다. 제목은 '{c.title.text}'이고 항목은 {cats} {len(c.categories)}개입니다."
        if len(c.series) > 1:
            return text + f" 계열은 {', '.join(c.series)}이며 범례로 구분됩니다."
        return text + f" 값이 가장 큰 항목은 {top.category}({show(top.text, c.unit, lang)})입니다."
    text = f"A {kind} titled '{c.title.text}' over {len(c.categories)} categories ({cats})."
    if len(c.series) > 1:
        return text + f" A legend names the series {', '.join(c.series)}."
    return text + f" The largest value is {show(top.text, c.unit, lang)} for {top.category}."


def _page_caption(r: Rendered, lang: str) -> str:
    lay = r.layout
    assert lay.table is not None and lay.chart is not None
    kind = KIND_NAMES[lang][lay.chart.kind]
    if lang == "ko":
        return (f"'{r.doc.title}' 문서의 한 페이지입니다. 제목 아래 {len(lay.headings)}개 항목의 "
                f"본문이 있고, '{lay.table.caption}' 표와 '{lay.chart.title.text}' "
                f"{josa(kind, '이가')} 있습니다.")
    return (f"A page of the document '{r.doc.title}': {len(lay.headings)} sections of text under "
            f"the title, the table '{lay.table.caption}' and a {kind} titled "
            f"'{lay.chart.title.text}'.")


# -- questions, OCR ----------------------------------------------------------------------------


def qa_conversations(r: Rendered, qas: list[QA], rng: random.Random,
                     task: str = "qa") -> list[Conversation]:
    """Each question asked with ``<gro>`` (answer + evidence spans) or without (the sentence)."""
    out = []
    for k, qa in enumerate(qas):
        grounded = rng.random() < GROUNDED_SHARE
        reply = grounded_reply(qa) if grounded else qa.answer
        out.append(conversation(r, task, k, qa_content(qa.question, grounded), reply))
    return out


def ocr_items(r: Rendered) -> list[TextBox]:
    """What an OCR reply lists: words on a crop, lines on a whole page."""
    return lines(r.layout.words) if r.part == "page" else reading_order(r.layout.words)


def ocr_conversation(r: Rendered) -> Conversation:
    return conversation(r, "ocr", 0, ocr_content(), ocr_reply(ocr_items(r)))


# -- grounding and referring -------------------------------------------------------------------


def grounding_targets(r: Rendered, rng: random.Random) -> list[tuple[str, TextBox, str]]:
    """(instruction, target, kind) pairs: kind ``char`` for text, ``obj`` for a thing."""
    lang, lay, ko = r.doc.lang, r.layout, r.doc.lang == "ko"
    out: list[tuple[str, TextBox, str]] = []
    if r.part == "document":
        f = rng.choice(lay.facts)
        out.append((f"{josa(f.name, '이가')} 적힌 곳을 찾아 주세요." if ko
                    else f"Find where the {f.name} is written.", f.span, "char"))
        h = rng.choice(lay.headings)
        out.append((f"'{h.text}' 글자의 위치를 찾아 주세요." if ko else f"Locate the text '{h.text}'.",
                    h, "char"))
    elif r.part == "table" and (t := lay.table) is not None:
        row, m, year = rng.choice(sorted(t.cells))
        out.append((f"표에서 {row}의 {year}년 {m} 값을 찾아 주세요." if ko
                    else f"In the table, find the {m.lower()} of {row} in {year}.",
                    t.cells[(row, m, year)], "char"))
        out.append(("표 전체의 위치를 알려 주세요." if ko else "Where is the table?",
                    TextBox("표" if ko else "table", t.box), "obj"))
    elif r.part == "chart" and (c := lay.chart) is not None:
        p = rng.choice(c.points)
        mark = MARK_NAMES[lang].get(c.kind, "막대" if ko else "bar")
        who = f"{p.category} {p.series}".strip()
        out.append((f"그래프에서 {who}에 해당하는 {josa(mark, '을를')} 찾아 주세요." if ko
                    else f"In the chart, find the {mark} for {who}.",
                    TextBox(f"{who} {mark}", p.mark), "obj"))
        out.append(("그래프의 제목을 찾아 주세요." if ko else "Find the title of the chart.",
                    c.title, "char"))
    return out


def grounding_conversations(r: Rendered, rng: random.Random) -> list[Conversation]:
    return [conversation(r, "grounding", k, qa_content(instr), span(t.text, t.box, kind))
            for k, (instr, t, kind) in enumerate(grounding_targets(r, rng))]


def referring_targets(r: Rendered, rng: random.Random) -> list[TextBox]:
    """A line of text, and a table cell or a chart value label where the item has them."""
    out = [rng.choice(lines(r.layout.words))]
    if (t := r.layout.table) is not None:
        out.append(rng.choice([*t.headers, *(t.cells[k] for k in sorted(t.cells))]))
    if (c := r.layout.chart) is not None:
        p = rng.choice(c.points)
        out.append(TextBox(p.text, p.label))
    return list(dict.fromkeys(out))  # a line may be the very label drawn


def referring_conversations(r: Rendered, rng: random.Random) -> list[Conversation]:
    here, ask = REFER[r.doc.lang]
    return [conversation(r, "referring", k, referring_content(here, t.box, ask), t.text)
            for k, t in enumerate(referring_targets(r, rng))]

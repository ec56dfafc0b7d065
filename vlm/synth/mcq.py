"""K-DTCBench-style four-option questions: the question, choices A-D, the answer's letter.

Distractors are what a careless reader would pick: for a computed answer the numbers it was
computed from, then nearby values printed the same way (same decimals, same unit); for a
"which row" answer the other rows or categories; for the document's owner the template's other
entities. The same item becomes a training conversation or an evaluation record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from vlm.synth.questions import NUMBER_RE, QA, decimals
from vlm.synth.records import Conversation, EvalItem, Turn
from vlm.synth.rendered import Rendered
from vlm.synth.report import number
from vlm.synth.tasks import SOURCE, image_ref
from vlm.synth.topics import TOPICS
from vlm.tokens import IMAGE

LETTERS = "ABCD"
INSTRUCTION = {"ko": "주어진 선택지 중 해당 옵션의 문자로 직접 답하세요.",
               "en": "Answer with the option's letter from the given choices directly."}
NUDGES = (-0.4, -0.25, -0.15, -0.08, 0.08, 0.15, 0.25, 0.4)


@dataclass(frozen=True, slots=True)
class MCQ:
    question: str
    choices: tuple[str, str, str, str]
    answer: str  # the correct choice's letter
    category: str

    @property
    def correct(self) -> str:
        return self.choices[LETTERS.index(self.answer)]


def _numeric_options(qa: QA, rng: random.Random) -> list[str]:
    m = NUMBER_RE.search(qa.short)
    assert m is not None, qa.short
    shape = qa.short[:m.start()] + "{}" + qa.short[m.end():]
    places = decimals(m.group())
    value = float(m.group().replace(",", ""))
    options = [shape.format(n.group()) for e in qa.evidence
               if (n := NUMBER_RE.search(e.text)) is not None]
    options += [shape.format(number(value * (1 + d), places)) for d in rng.sample(NUDGES, 6)]
    step = 10.0 ** -places * max(1.0, round(abs(value) * 0.05))
    options += [shape.format(number(value + k * step, places)) for k in (1, -1, 2, -2, 3)]
    return options


def _label_options(qa: QA, r: Rendered) -> list[str]:
    if r.layout.table is not None and qa.category == "table":
        return list(r.layout.table.rows)
    if r.layout.chart is not None:
        return list(r.layout.chart.categories)
    return []


def make_mcq(qa: QA, r: Rendered, rng: random.Random) -> MCQ | None:
    """Four distinct options around ``qa``'s answer, shuffled; None if three distractors cannot
    be found (a table of three rows has only two other rows)."""
    options = _numeric_options(qa, rng) if qa.numeric else _label_options(qa, r)
    return _shuffle(qa.question, qa.short, options, qa.category, rng)


def owner_mcq(r: Rendered, rng: random.Random) -> MCQ | None:
    """Whose document this is: the entity in the title among the template's others."""
    others = [e for e in TOPICS[r.doc.topic].entities if e != r.doc.entity]
    q = ("이 문서를 발간한 곳은 어디인가요?" if r.doc.lang == "ko"
         else "Which organisation published this document?")
    return _shuffle(q, r.doc.entity, rng.sample(others, min(len(others), 5)), "document", rng)


def _shuffle(question: str, correct: str, options: list[str], category: str,
             rng: random.Random) -> MCQ | None:
    picked: list[str] = []
    for o in options:
        if o != correct and o not in picked and o.strip():
            picked.append(o)
    if len(picked) < 3:
        return None
    choices = [correct, *rng.sample(picked[:6], 3)]
    rng.shuffle(choices)
    a, b, c, d = choices
    return MCQ(question, (a, b, c, d), LETTERS[choices.index(correct)], category)


def prompt(m: MCQ, lang: str) -> str:
    lines = [m.question, *(f"{letter}. {c}" for letter, c in zip(LETTERS, m.choices, strict=True))]
    return "\n".join([*lines, INSTRUCTION[lang]])


def mcq_conversation(r: Rendered, m: MCQ, k: int) -> Conversation:
    return Conversation(f"{r.id}-mcq-{k}", "mcq",
                        [Turn("human", f"{IMAGE}\n{prompt(m, r.doc.lang)}"), Turn("gpt", m.answer)],
                        image_ref(r), SOURCE, m.category)


def mcq_eval(r: Rendered, m: MCQ, k: int) -> EvalItem:
    return EvalItem(f"{r.id}-mcq-{k}", "mcq", m.question, image_ref(r), m.category,
                    list(m.choices), m.answer)

"""Stage-4 preference pairs: the correct grounded answer against one that fails in one way.

- ``wrong_number``: the answer's number replaced by another (the boxes stay);
- ``unsupported_claim``: a claim the image does not support appended to the answer;
- ``dropped_box``: the answer with its ``<bbox>`` parts removed;
- ``format``: the task's markup ignored: a ``<gro>`` question answered in plain text, or an
  ``<ocr>`` request answered with a paragraph, without any ``<char>``/``<bbox>``.

:func:`rejected_for` builds one kind; :class:`Rejections` cycles through the four so every
kind occurs in even a small set.
"""

from __future__ import annotations

import random
import re

from vlm.prompts import ocr_content, qa_content
from vlm.synth.questions import NUMBER_RE, QA, decimals
from vlm.synth.records import REJECTIONS, Preference, Turn
from vlm.synth.rendered import Rendered
from vlm.synth.report import number
from vlm.synth.tasks import SOURCE, grounded_reply, image_ref, ocr_items, ocr_reply
from vlm.tokens import BBOX_CLOSE, BBOX_OPEN, IMAGE

CLAIMS = {"ko": ("이는 역대 최고 수준입니다.", "이 수치는 업계 평균보다 높습니다.",
                 "이 값은 외부 감사에서 확정되었습니다.", "이는 정부 목표치를 넘어선 결과입니다."),
          "en": ("This is the highest level on record.", "The figure is above the industry average.",
                 "The figure was confirmed by an external audit.",
                 "This exceeds the government's target.")}
_BBOX_RE = re.compile(re.escape(BBOX_OPEN) + ".*?" + re.escape(BBOX_CLOSE))


def drop_boxes(reply: str) -> str:
    return _BBOX_RE.sub("", reply)


def wrong_number(qa: QA, rng: random.Random) -> str | None:
    """The answer sentence with its number replaced by another; None when it states none."""
    m = NUMBER_RE.search(qa.short) if qa.numeric else NUMBER_RE.search(qa.answer)
    if m is None or m.group() not in qa.answer:
        return None
    value, places = float(m.group().replace(",", "")), decimals(m.group())
    for nudge in rng.sample((-0.3, -0.2, -0.1, 0.1, 0.2, 0.3), 6):
        other = number(value * (1 + nudge) + (1 if value == 0 else 0), places)
        if other != m.group():
            return re.sub(rf"(?<![\d,.]){re.escape(m.group())}(?![\d]|[,.]\d)", other, qa.answer)
    return None


class Rejections:
    """The rejection kinds in turn: ``kind`` until a pair of that kind is made, then the next."""

    def __init__(self) -> None:
        self.n = 0

    @property
    def kind(self) -> str:
        return REJECTIONS[self.n % len(REJECTIONS)]

    def advance(self) -> None:
        self.n += 1


def preference(r: Rendered, qa: QA, kind: str, rng: random.Random, k: int) -> Preference | None:
    """One pair for ``qa`` on ``r`` whose rejected reply is of ``kind`` (None when ``qa``
    cannot carry it, e.g. a wrong number for a question whose answer has none)."""
    lang = r.doc.lang
    prompt = qa_content(qa.question)
    chosen = grounded_reply(qa)
    spans = chosen[len(qa.answer) + 1:]  # grounded_reply: the answer, a space, the spans
    rejected: str | None
    match kind:
        case "wrong_number":
            wrong = wrong_number(qa, rng)
            rejected = None if wrong is None else f"{wrong} {spans}"
        case "unsupported_claim":
            claim = rng.choice(CLAIMS[lang])
            # Appended to the answer, or (every other time) in place of it.
            rejected = f"{qa.answer} {claim} {spans}" if k % 2 == 0 else f"{claim} {spans}"
        case "dropped_box":
            rejected = drop_boxes(chosen)
        case "format" if k % 2 == 0:
            items = ocr_items(r)
            prompt, chosen = ocr_content(), ocr_reply(items)
            rejected = " ".join(t.text for t in items)
        case "format":
            rejected = qa.answer
        case _:
            raise ValueError(f"unknown rejection {kind!r}")
    if rejected is None or rejected == chosen:
        return None
    return Preference(f"{r.id}-pref-{k}", [Turn("human", f"{IMAGE}\n{prompt}")], chosen,
                      rejected, kind, image_ref(r), SOURCE)

"""Questions that ask for a section by its heading: ``이 법안의 제안 이유는?``, ``응급조치 요령은?``.

What answers them is not a span of one sentence but the text under the heading that names
what is asked (``제안이유 및 주요내용``, ``4. 응급조치 요령``). When no reading of a crop holds,
a crop whose nearest heading holds the asked noun and another word of the question is read
as that section: the answer is the opening of the first such crop of the document (the
section's start, which retrieval need not rank first), cited with the crop's whole box.
"""

from __future__ import annotations

import re

from docagent.agent.evidence import CHART_KINDS, Candidate
from docagent.agent.reading import citation
from docagent.agent.state import Reading, SubQuestion
from indexing.context import SECTION_NUMBER
from vlm.extractive.morph import split_sentences
from vlm.extractive.question import AnswerType, analyse_question

# what a section answers: a reason, a what; never a number, a date, a name or a place
SECTION_TYPES = frozenset({AnswerType.REASON, AnswerType.SPAN})
OPENING_CHARS = 80  # the answer is the section's first sentences, this long at least
MIN_PROSE_CHARS = 30  # a shorter crop is a label inside the section (``가. 눈에 들어갔을 때``)
_NUMBERING = re.compile(rf"^\s*(?:{SECTION_NUMBER}|\(\d+\))\s*")  # and a patent's (57)


def read_section(sub: SubQuestion, candidates: list[Candidate]) -> Reading | None:
    """The opening of the section ``sub`` asks for, from the first crop under its heading in
    the document of the best-ranked crop that has one; None when no heading names it."""
    q = analyse_question(sub.text)
    if q.answer_type not in SECTION_TYPES or not q.head:
        return None
    under = [c for c in candidates if c.crop.kind not in CHART_KINDS and c.crop.table is None
             and c.crop.text.strip() and _names_section(_heading(c), q.head, q.words)]
    if not under:
        return None
    best = min(under, key=lambda c: c.rank)
    heading = _heading(best)
    same = [c for c in under if c.result["document_id"] == best.result["document_id"]
            and _heading(c) == heading]
    prose = [c for c in same if len(c.crop.text.strip()) >= MIN_PROSE_CHARS] or same
    first = min(prose, key=lambda c: (int(c.result["page"]), float(c.result["bbox"][1])))
    return Reading(sub.id, opening(first.crop.text), [], [citation(first, first.box, first.crop.text)],
                   first.crop_id, "section.heading", False, f"「{heading}」 아래의 본문")


def _heading(c: Candidate) -> str:
    headings = c.result.get("headings") or []
    return str(headings[-1]) if headings else ""


def _names_section(heading: str, head: str, words: set[str]) -> bool:
    """The heading holds the asked noun and at least one other word of the question, spaces
    and a section number aside (``제안이유 및 주요내용`` for ``제안 이유``)."""
    squashed = "".join(_NUMBERING.sub("", heading).split())
    if not squashed or head not in squashed:
        return False
    return any(w != head and len(w) >= 2 and w in squashed and head not in w for w in words)


def opening(text: str) -> str:
    """The first sentences of ``text`` that make ``OPENING_CHARS`` characters, as written."""
    out = ""
    for s in split_sentences(text):
        out = text[:s.end]
        if len(out) >= OPENING_CHARS:
            break
    return " ".join((out or text).split())

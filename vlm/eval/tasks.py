"""How each evaluation task is asked, and how a reply becomes a prediction.

- ``mcq``: the question, the options labelled A-D and :data:`MCQ_INSTRUCTION`; the prediction
  is the letter parsed from the reply (:func:`parse_letter`), else the option whose text best
  matches the reply (:func:`match_option`), so a backend that answers with a span or a number
  is scored on the same items. In circular mode the options are also shown rotated by 1-3.
- ``qa`` / ``chart_qa``: the question, without ``<gro>`` unless asked; the prediction is the
  reply's text (empty when the backend declines).
- ``grounding``: the question with ``<gro>``; the prediction is the first evidence box.
- ``ocr``: the ``<ocr>`` task token alone; the prediction is the reply's ``<char>`` spans
  (:func:`vlm.parsing.parse_ocr`), each split into words, or, for a backend that reads the
  crop's text instead of its pixels, the words the crop's OCR found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from vlm.backends.base import CropInput, GroundedAnswer
from vlm.eval.metrics import normalize_answer, normalized_levenshtein
from vlm.eval.numbers import numbers_match, parse_number
from vlm.parsing import parse_ocr
from vlm.tokens import OCR

LETTERS = "ABCD"
MCQ_INSTRUCTION = "Answer with the option's letter from the given choices directly."
OPTION_MIN_SCORE = 0.5  # a reply matching no option better than this picks none

Word = tuple[str, list[float] | None]

_LONE_RE = re.compile(r"^[\s(\[]*([A-D])[\s)\].:,]*$")
_LEAD_RE = re.compile(r"^[\s(\[]*([A-D])(?:[).:,\]]|\s*$)")
_NAMED_RE = re.compile(
    r"(?i:answer|option|choice|정답|답|선택지)\s*(?i:is|은|는|:|=)?\s*[(\[]?([A-D])(?![A-Za-z])")
_BRACKET_RE = re.compile(r"[(\[]([A-D])[)\]]")


_LEADING_TASK_RE = re.compile(r"^\s*(?:(?:<image>|<gro>|<ocr>)\s*)+")


def bare_question(question: str) -> str:
    """The question without leading ``<image>``/``<gro>``/``<ocr>`` tokens: the backend adds
    the ones the task asks for."""
    return _LEADING_TASK_RE.sub("", question or "")


# -- multiple choice -----------------------------------------------------------------------------

def rotate(choices: Sequence[str], rotation: int) -> list[str]:
    """The options shown in rotation ``r``: shown option ``i`` is original option ``i + r``."""
    n = len(choices)
    return [choices[(i + rotation) % n] for i in range(n)] if n else []


def mcq_question(question: str, choices: Sequence[str], with_options: bool = True) -> str:
    """The question, then ``A. …`` to ``D. …`` and the instruction to answer with a letter."""
    if not with_options:
        return question
    lines = [question.strip(), *(f"{LETTERS[i]}. {c}" for i, c in enumerate(choices))]
    return "\n".join([*lines, MCQ_INSTRUCTION])


def parse_letter(reply: str) -> str | None:
    """The option letter a reply gives: the reply alone (``B``, ``(B)``), its start (``B. …``),
    a named one (``Answer: B``, ``정답은 B``) or a single bracketed one (``… (B) …``); none
    when it brackets two letters."""
    text = unicodedata.normalize("NFKC", reply or "").strip()
    bracketed = {m.group(1) for m in _BRACKET_RE.finditer(text)}
    if len(bracketed) > 1:
        return None  # a hedge: "(A) or (B)"
    for pattern in (_LONE_RE, _LEAD_RE, _NAMED_RE):
        m = pattern.search(text)
        if m:
            return m.group(1)
    return bracketed.pop() if bracketed else None


def option_score(reply: str, option: str) -> float:
    """How well a reply names an option, in [0, 1]: 1 for the same text or number, the length
    ratio when one contains the other, else ``1 - normalised edit distance``."""
    a, b = normalize_answer(reply), normalize_answer(option)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    na, nb = parse_number(reply), parse_number(option)
    if na is not None and nb is not None and numbers_match(na, nb, 1e-9):
        return 1.0
    if a in b or b in a:
        return min(len(a), len(b)) / max(len(a), len(b))
    return 1.0 - normalized_levenshtein(a, b)


def match_option(reply: str, choices: Sequence[str]) -> int | None:
    """The index of the option the reply's text matches best, if one clearly does (a score of
    at least :data:`OPTION_MIN_SCORE`, and no tie)."""
    scores = [option_score(reply, c) for c in choices]
    if not scores:
        return None
    best = max(scores)
    if best < OPTION_MIN_SCORE or scores.count(best) > 1:
        return None
    return scores.index(best)


def mcq_choice(answer: GroundedAnswer, choices: Sequence[str]) -> int | None:
    """The index (among the shown ``choices``) a reply picks: letter first, then option text."""
    letter = parse_letter(answer.text)
    if letter is not None:
        return LETTERS.index(letter)
    return match_option(answer.text, choices) if answer.answerable else None


# -- open answers and grounding ------------------------------------------------------------------

def open_prediction(answer: GroundedAnswer) -> str:
    """The reply's text, or ``""`` when the backend declined."""
    return answer.text.strip() if answer.answerable else ""


def first_box(answer: GroundedAnswer) -> list[float] | None:
    """The first evidence box, as ``[x1, y1, x2, y2]`` normalised; None without one."""
    for ev in answer.evidence:
        if ev.boxes:
            return ev.boxes[0].as_list(None)
    return None


# -- OCR -----------------------------------------------------------------------------------------

OCR_QUESTION = OCR


def split_words(text: str, box: Sequence[float] | None) -> list[Word]:
    """A line's words, each given the slice of the line's box its characters take up."""
    words = text.split()
    if box is None or len(words) < 2:
        return [(w, list(box) if box is not None else None) for w in words]
    x0, y0, x1, y1 = box
    total = len(" ".join(words))
    out: list[Word] = []
    start = 0
    for w in words:
        a, b = start / total, (start + len(w)) / total
        out.append((w, [x0 + a * (x1 - x0), y0, x0 + b * (x1 - x0), y1]))
        start += len(w) + 1
    return out


def gold_words(item_words: Sequence[dict]) -> list[Word]:
    """An OCR item's gold ``{"text", "bbox"}`` entries as words (multi-word entries split)."""
    out: list[Word] = []
    for w in item_words:
        if isinstance(w, dict) and isinstance(w.get("text"), str):
            out.extend(split_words(w["text"], _box_or_none(w.get("bbox"))))
    return out


def _box_or_none(raw: object) -> list[float] | None:
    if not isinstance(raw, list | tuple) or len(raw) != 4:
        return None
    try:
        return [float(v) for v in raw]
    except (TypeError, ValueError):
        return None


def ocr_prediction(answer: GroundedAnswer, crop: CropInput, reads_text: bool) -> list[Word]:
    """Predicted words: the crop's own OCR words for a text-reading backend, else the reply's
    ``<ocr>`` spans, else its evidence spans."""
    if reads_text:
        frame = crop.frame
        return [(w.text, frame.page_to_norm(w.box).as_list(None) if frame else None)
                for w in crop.words]
    spans = [(s.text, s.boxes[0].as_list(None) if s.boxes else None) for s in parse_ocr(answer.raw)]
    if not spans:
        spans = [(e.text, e.boxes[0].as_list(None) if e.boxes else None) for e in answer.evidence]
    return [w for text, box in spans for w in split_words(text, box)]

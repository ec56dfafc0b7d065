"""The ``extractive`` backend: answers from the crops' own text and table cells, on CPU.

It needs no model weights. It reads what the indexing pipeline already extracted from each
crop (``text``, ``words`` with page boxes, ``table`` as a cell grid), so it is only as good as
that reading, and it can only copy spans: it never paraphrases, computes or combines facts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from indexing.geometry import Box
from vlm.backends.base import CropInput, Evidence, GroundedAnswer, VisionRequest, VLMBackend
from vlm.extractive.evidence import answers, evidence_probability
from vlm.extractive.locate import align_words, span_boxes, to_norm
from vlm.extractive.matching import Idf, boost_absent_entities, match_terms, question_weights
from vlm.extractive.morph import TermHit, terms_of, tokenize
from vlm.extractive.question import Question, analyse_question
from vlm.extractive.spans import answer_paragraph, sentence_units
from vlm.extractive.tables import answer_table, cell_box, row_box, table_units

DEFAULT_MIN_COVERAGE = 0.35
# Below this coverage a paragraph is never answered, whatever the fitted evidence score says.
EVIDENCE_FLOOR = 0.2


@dataclass(slots=True)
class _Found:
    """The best answer one crop offers."""

    crop_index: int
    text: str
    coverage: float
    score: float
    rule: str
    answer_boxes: list[Box] = field(default_factory=list)  # page space
    support_text: str = ""
    support_boxes: list[Box] = field(default_factory=list)
    evidence: list[float] = field(default_factory=list)  # a typed paragraph span's (``evidence``)


def crop_text(crop: CropInput) -> str:
    """The crop's text, or its words joined when only words were read."""
    return crop.text if crop.text.strip() else " ".join(w.text for w in crop.words)


class ExtractiveBackend(VLMBackend):
    """Answers questions about crops by copying the span or table cell that matches them.

    ``answer``: the question is reduced to content morphemes (Kiwi) and an expected answer
    type. Paragraph crops: the sentence with the best IDF-weighted term coverage is chosen
    and the span of the expected type nearest the matched terms is extracted (see
    ``vlm.extractive.spans``). Table crops: the cell whose row and column labels match the
    question (see ``vlm.extractive.tables``). Over several crops the answer with the highest
    coverage wins; its ``Evidence.crop_index`` names the crop. ``evidence[0]`` locates the
    answer itself, ``evidence[1]`` the sentence or table row that supports it. Boxes are
    normalised to the crop (``crop.frame``), or to the extent of the crop's words when it has
    no frame; a crop with neither gets no boxes. ``raw`` names the rule that produced the
    answer and its coverage.

    It says it cannot answer (``answerable=False``) when the best coverage is below
    ``min_coverage``, or when a factoid's best sentence holds no span of the asked type. With
    ``min_coverage`` left unset, a typed paragraph span is judged instead by a fitted score
    of its evidence (``vlm.extractive.evidence``: the coverage of its sentence, of the whole
    paragraph and of adjacent sentences, the focus predicate, and the span ranker's
    confidence), never below ``EVIDENCE_FLOOR``; tables, sentence answers and ``complete``
    keep the 0.35 floor.

    ``complete``: this backend cannot plan or write prose. For a synthesis prompt, one that
    names a question (a ``Question:`` / ``질문:`` line) and lists evidence lines (lines that
    start with ``-``, ``*``, ``•`` or ``[n]``), it returns the evidence line that best covers
    the question, verbatim, when that coverage reaches ``min_coverage``. For anything else,
    including planning prompts, it returns ``""``; callers treat an empty completion as "no
    plan: use the question as it is" and "no synthesis: use the grounded answers".
    ``max_new_tokens`` is ignored: nothing is generated.

    Args:
        min_coverage: the share (0-1) of the question's IDF-weighted content terms that the
            chosen sentence, or the chosen cell's row and column labels with the crop's
            caption, must contain. Unset, it is 0.35 (which keeps most paraphrased
            questions answerable while refusing questions that share only a common word or
            two with the crops) and typed paragraph spans are judged by the evidence score;
            set, it is the one rule for every reading.
        top_sentences: how many of the best-matching sentences are searched for a span.
    """

    name = "extractive"

    def __init__(self, min_coverage: float | None = None, top_sentences: int = 3) -> None:
        if min_coverage is not None and not 0.0 <= min_coverage <= 1.0:
            raise ValueError(f"min_coverage must be within [0, 1], got {min_coverage}")
        if top_sentences < 1:
            raise ValueError(f"top_sentences must be at least 1, got {top_sentences}")
        self.fitted_evidence = min_coverage is None
        self.min_coverage = DEFAULT_MIN_COVERAGE if min_coverage is None else min_coverage
        self.top_sentences = top_sentences

    # -- answer ---------------------------------------------------------------------------

    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        return [self._answer_one(r) for r in requests]

    def _answer_one(self, request: VisionRequest) -> GroundedAnswer:
        q = analyse_question(request.question)
        if not request.crops:
            return GroundedAnswer("No crops were given, so there is nothing to answer from.",
                                  False, raw="rule=none reason=no-crops")
        texts = [crop_text(c) for c in request.crops]
        units = [sentence_units(t) if c.table is None else [] for c, t in zip(request.crops, texts, strict=True)]
        unit_terms: list[set[str]] = []
        for crop, crop_units in zip(request.crops, units, strict=True):
            unit_terms.extend({h.term for h in hits} for _, hits in crop_units)
            if crop.table is not None:
                unit_terms.extend(table_units(crop.table))
        idf = Idf(unit_terms)
        weights = boost_absent_entities(question_weights(q, idf), q, texts)
        if not weights:
            return GroundedAnswer("The question has no content words to look for in the crops.",
                                  False, raw="rule=none reason=no-content-terms")
        found = [f for i, crop in enumerate(request.crops)
                 if (f := self._from_crop(q, i, crop, texts[i], units[i], weights)) is not None]
        if not found:
            return GroundedAnswer("Nothing in the crops matches the question.", False,
                                  raw="rule=none reason=no-match")
        best = max(found, key=lambda f: (bool(f.text), round(f.coverage, 3), f.score))
        raw = (f"rule={best.rule} crop={best.crop_index} coverage={best.coverage:.2f} "
               f"type={q.answer_type.value}")
        probability = evidence_probability(best.evidence) if best.evidence else None
        if probability is not None:
            raw += f" evidence={probability:.3f}"
        if self.fitted_evidence and probability is not None and best.text:
            if best.coverage < EVIDENCE_FLOOR or not answers(best.evidence):
                return GroundedAnswer(
                    f"Cannot answer: the best match covers {best.coverage:.0%} of the question's "
                    f"terms, and its evidence scores {probability:.2f}, below what answers.",
                    False, raw=raw)
        elif best.coverage < self.min_coverage:
            return GroundedAnswer(
                f"Cannot answer: the best match covers {best.coverage:.0%} of the question's "
                f"terms, below the {self.min_coverage:.0%} required.", False, raw=raw)
        if not best.text:
            return GroundedAnswer(
                f"Cannot answer: the best-matching text has no {q.answer_type.value} to give.",
                False, raw=raw)
        crop = request.crops[best.crop_index]
        evidence = [
            Evidence(best.text, self._norm(best.answer_boxes, crop, request), best.crop_index),
            Evidence(best.support_text, self._norm(best.support_boxes, crop, request),
                     best.crop_index),
        ]
        return GroundedAnswer(best.text, True, evidence, raw=raw)

    @staticmethod
    def _norm(boxes: list[Box], crop: CropInput, request: VisionRequest) -> list[Box]:
        return to_norm(boxes, crop.frame, crop.words) if request.grounding else []

    def _from_crop(self, q: Question, index: int, crop: CropInput, text: str, units: list,
                   weights: dict[str, float]) -> _Found | None:
        if crop.table is not None:
            return self._from_table(q, index, crop, weights)
        span = answer_paragraph(q, text, units, weights, self.top_sentences)
        if span is None:
            return None
        align = align_words(text, crop.words) if crop.words else None
        sentence = text[span.sentence_start:span.sentence_end].strip()
        return _Found(
            index, span.text, span.coverage, span.score, span.rule,
            span_boxes(text, crop.words, span.start, span.end, align) if span.text else [],
            sentence,
            span_boxes(text, crop.words, span.sentence_start, span.sentence_end, align),
            span.evidence,
        )

    def _from_table(self, q: Question, index: int, crop: CropInput,
                    weights: dict[str, float]) -> _Found | None:
        table = crop.table
        assert table is not None
        caption = _caption_hits(crop.text, [c.text for c in table.cells])
        ans = answer_table(q, table, weights, caption)
        if ans is None:
            return None
        box = cell_box(table, ans.row, ans.col, crop.words)
        rbox = row_box(table, ans.row, ans.col, crop.words)
        return _Found(index, ans.text, ans.coverage, ans.score, ans.rule,
                      [box] if box is not None else [], ans.row_text,
                      [rbox] if rbox is not None else [])

    # -- complete -------------------------------------------------------------------------

    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        return [self._complete_one(p) for p in prompts]

    def _complete_one(self, prompt: str) -> str:
        question = None
        lines = []
        for line in prompt.splitlines():
            m = _QUESTION_LINE.match(line)
            if m:
                question = m.group(1).strip()
            elif _EVIDENCE_LINE.match(line):
                lines.append(line.strip())
        if not question or not lines:
            return ""
        q = analyse_question(question)
        hits = [terms_of(tokenize(line)) for line in lines]
        weights = question_weights(q, Idf({h.term for h in hs} for hs in hits))
        if not weights:
            return ""
        scored = [(match_terms(weights, hs).coverage, -i) for i, hs in enumerate(hits)]
        cov, neg_i = max(scored)
        return _EVIDENCE_LINE.sub("", lines[-neg_i], count=1).strip() if cov >= self.min_coverage else ""


_QUESTION_LINE = re.compile(r"^\s*(?:question|질문|q)\s*[:：]\s*(.+)$", re.IGNORECASE)
_EVIDENCE_LINE = re.compile(r"^\s*(?:[-*•]\s+|(?=\[\d+\]))")


def _caption_hits(text: str, cell_texts: list[str]) -> list[TermHit]:
    """Terms of a table crop's text once the cells' texts are taken out: its caption, title or
    units line. Each cell's text is removed at its last occurrence, since a title comes before
    the cells and may name what a cell also holds (서울식품 as owner and as a maker)."""
    rest = text
    uses = Counter(c.strip() for c in cell_texts if c.strip())
    for cell in sorted(uses, key=len, reverse=True):
        for _ in range(uses[cell]):
            i = rest.rfind(cell)
            if i < 0:
                break
            rest = rest[:i] + " " + rest[i + len(cell):]
    return terms_of(tokenize(rest)) if rest.strip() else []

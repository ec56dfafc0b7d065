"""Paragraph answers: pick the sentence that matches the question, then the answer span in it.

Rules, in the order they apply (the chosen one is reported as ``rule``):

- ``paragraph.typed(<kind>)``: a candidate of the expected type (a number with its unit, a
  date, a year, a named entity for person/place, a noun phrase or quoted title for "what", a
  reason clause for "why") in one of the best-matching sentences or a sentence next to one
  (Korean often names the subject once and says ``이 아파트는`` after), scored by the
  sentence's coverage, the candidate's closeness to the matched question terms (the predicate
  that modifies the question's head noun counts most: the answer to ``인계된 곳은?`` sits just
  before ``인계되었다``), and a penalty for repeating words of the question, which never
  answer it. An amount question prefers the kind of figure its noun takes (a sum of money
  for ``매출액``, a percentage for ``영업이익률``; a year never answers ``얼마``) and the figure
  written right after that noun (``매출액은 3,450억 원``). These signals and the candidate's
  edges and surroundings (``span_features``) are summed with weights fitted on KorQuAD
  articles the answering benchmark does not ask (``bench/fit_span_weights.py``).
- ``paragraph.sentence``: no typed span, and the question is not a factoid (why/how): the
  sentence itself is the answer.
- ``paragraph.no-<type>-span``: a factoid with no span of its type in the matching sentences;
  the backend reports it as unanswerable rather than guessing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from vlm.extractive.candidates import PLACE_SUFFIXES, TITLES, Candidate, candidates
from vlm.extractive.evidence import evidence_features
from vlm.extractive.matching import Match, match_terms
from vlm.extractive.morph import Sentence, TermHit, soft_match, split_sentences, term_of, terms_of
from vlm.extractive.question import AnswerType, Question, particle_class
from vlm.extractive.span_features import NAMES, Signals, features, score
from vlm.extractive.span_trees import load_trees, tree_inputs
from vlm.extractive.span_weights import SPAN_WEIGHTS


@dataclass(slots=True)
class SpanAnswer:
    text: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    coverage: float
    score: float
    rule: str
    evidence: list[float] = field(default_factory=list)  # ``evidence.NAMES``, for a typed span


def sentence_units(text: str) -> list[tuple[Sentence, list]]:
    """Sentences of a crop's text with their term hits (the matching units)."""
    return [(s, terms_of(s.tokens)) for s in split_sentences(text)]


def _closeness(c: Candidate, match: Match, weights: dict[str, float], focus: str,
               on_head: bool = False) -> float:
    """IDF-weighted nearness of the matched question terms, plus a bonus for sitting just
    before the question's focus predicate. A head noun the candidate ends on (``노터데임
    대학교``) is measured from, not counted as, the candidate, so it neither helps nor hurts."""
    total = sum(weights.values()) or 1.0
    score = 0.0
    last = c.last - 1 if on_head and c.last > c.first else c.last
    for term, pos in match.positions.items():
        d = min(0 if c.first <= p <= last else (c.first - p if p < c.first else p - last)
                for p in pos)
        score += weights[term] * match.strength[term] * math.exp(-max(d - 1, 0) / 3.0)
    score /= total
    bonus = 0.0
    if focus and focus in match.positions:
        after = [p - last for p in match.positions[focus] if p > last]
        if after and min(after) <= 3:
            bonus = 0.25 * (1.0 - (min(after) - 1) / 3.0)
    return score + bonus


def _question_overlap(q: Question, sent: Sentence, c: Candidate) -> tuple[float, bool]:
    """(share of the candidate's content words already in the question, ends on a category).

    A question's noun that closes a longer candidate names its category rather than repeating
    the question (``성요셉 아파트`` for ``아파트 이름은?``, ``노터데임 대학교`` for
    ``대학교는?``): it is not counted, and the candidate is marked as ending on it."""
    terms = [t for k in range(c.first, c.last + 1) if (t := term_of(sent.tokens[k])) is not None]
    if not terms:
        return 0.0, False
    qwords = q.words | {qt.surface for qt in q.quantities}
    in_q = [any(soft_match(t, w) >= 0.7 for w in qwords) for t in terms]
    category = len(terms) > 1 and in_q[-1] and not all(in_q[:-1]) and (
        terms[-1] == q.head or sent.tokens[c.last].tag == "NNG")
    hit = sum(in_q[:-1]) + (0 if category else in_q[-1])
    return hit / len(terms), category


def _length(q: Question, c: Candidate, surface: str) -> float:
    """Words counted against a candidate's length: a quantity is one however it is spaced
    (``3,450억 원``); an address whose every word is a place (``경기도 수원시``) counts as
    slightly less than one, so the whole address beats its first word."""
    words = surface.split()
    if c.kind.startswith("quantity"):
        return 1
    if all(w[:1].isascii() and w[:1].isupper() for w in words):
        return 1 - 0.1 * (len(words) - 1)  # Steve Jobs: one English name, whole beats part
    if q.answer_type == AnswerType.PLACE and all(w.endswith(PLACE_SUFFIXES) for w in words):
        return 1 - 0.3 * (len(words) - 1)
    return len(words)


def _particle_fit(q: Question, sent: Sentence, c: Candidate) -> float:
    """누구에게 is answered by a name followed by 에게, 무엇으로 by a noun followed by (으)로."""
    if not q.particle or c.last + 1 >= len(sent.tokens):
        return 0.0
    nxt = sent.tokens[c.last + 1]
    if nxt.start == sent.tokens[c.last].end and nxt.tag.startswith("J"):
        return 0.2 if particle_class(nxt.form) == q.particle else 0.0
    return 0.0


_HOW_MANY = re.compile(r"\bhow many ([a-z]+)", re.IGNORECASE)


def _unit_fit(q: Question, c: Candidate, surface: str, after: str = "") -> float:
    """몇 명 wants a count of 명, "how many people" a figure followed by people; a person is
    named without the title that follows the name."""
    if q.unit and c.kind.startswith(("quantity", "numbered")):
        return 0.3 if surface.endswith(q.unit) else 0.0
    counted = _HOW_MANY.search(q.text)
    if counted and c.kind.startswith("quantity"):
        word = after.split(maxsplit=1)[0].lower().strip(".,") if after.strip() else ""
        return 0.3 if word and word[:4] == counted.group(1).lower()[:4] else 0.0
    words = surface.split()
    if q.answer_type == AnswerType.PERSON and len(words) > 1 and words[-1] in TITLES:
        return -0.15
    return 0.0


def _names_figure(q: Question, sent: Sentence, hits: list[TermHit], c: Candidate) -> float:
    """``매출액은 3,450억 원``: a figure right after the amount the question asks about
    (particles and punctuation between) is that amount's value. Bare counts are left out:
    ``해적 13명 중 8명을`` names the noun before the wrong figure as often as before the right
    one; a count named with 수 (``교원 수는 89명``) is kept."""
    # a "what" question about a quantity's noun (표준 포장 단위는?) is answered the same way
    measured = q.measured or (q.head if q.answer_type == AnswerType.SPAN else "")
    if not measured or not c.kind.startswith(("quantity", "numbered")):
        return 0.0
    k = c.first - 1
    while k >= 0 and sent.tokens[k].tag.startswith(("J", "SP", "SS", "SO")):
        k -= 1
    if k < 0:
        return 0.0
    if sent.tokens[k].form == "수" and k > 0:
        # ``교원 수는 89명``: the count the question's noun names with 수 is that noun's
        before = sent.tokens[k - 1].end
        return 0.3 if any(h.end == before and h.term.endswith(measured) for h in hits) else 0.0
    if q.measure is None and q.measured:
        return 0.0
    end = sent.tokens[k].end
    named = any(h.end == end and h.term.endswith(measured) for h in hits)
    return 0.3 if named else 0.0


def _ranked_sentences(units: list[tuple[Sentence, list]], weights: dict[str, float],
                      top: int) -> list[tuple[float, Sentence, Match]]:
    """The best-matching sentences, then their neighbours at a discount (coreference)."""
    matches = [(match_terms(weights, hits), sent) for sent, hits in units]
    order = sorted(range(len(units)), key=lambda i: -matches[i][0].coverage)
    if not order or matches[order[0]][0].coverage <= 0:
        return []
    best = matches[order[0]][0].coverage
    chosen = [i for i in order[:top] if matches[i][0].coverage >= 0.5 * best]
    out = [(matches[i][0].coverage, matches[i][1], matches[i][0]) for i in chosen]
    seen = set(chosen)
    for i in chosen:
        for j in (i + 1, i - 1):
            if 0 <= j < len(units) and j not in seen:
                seen.add(j)
                cov = matches[i][0].coverage * 0.75
                out.append((cov, matches[j][1], matches[j][0]))
    return out


@dataclass(slots=True)
class Scored:
    """A candidate with the sentence it is in and its feature vector."""

    candidate: Candidate
    sentence: Sentence
    coverage: float
    vector: list[float]


def scored_candidates(q: Question, text: str, units: list[tuple[Sentence, list]],
                      weights: dict[str, float], top_sentences: int = 3
                      ) -> tuple[list[tuple[float, Sentence, Match]], list[Scored]]:
    """(the ranked sentences, every candidate in them with its features)."""
    ranked = _ranked_sentences(units, weights, top_sentences)
    if not ranked:
        return ranked, []
    best_cov = ranked[0][0]
    hits_at = {sent.start: hits for sent, hits in units}
    out: list[Scored] = []
    for rank, (cov, sent, m) in enumerate(ranked):
        for c in candidates(q, sent, text):
            overlap, on_head = _question_overlap(q, sent, c)
            if overlap >= 1.0:
                continue
            surface = text[c.start:c.end]
            sig = Signals(cov, c.type_score, _closeness(c, m, weights, q.focus, on_head), overlap,
                          _length(q, c, surface), on_head, _unit_fit(q, c, surface, text[c.end:c.end + 20]),
                          _particle_fit(q, sent, c),
                          _names_figure(q, sent, hits_at.get(sent.start, []), c))
            out.append(Scored(c, sent, cov, features(sig, sent, c, m, text, rank, best_cov, q)))
    return ranked, out


_NAMES_FIGURE = NAMES.index("names_figure")


def _named_figures_first(q: Question, scored: list[Scored]) -> list[Scored]:
    """The candidates to choose from: in the sentence the scorer prefers, a figure written
    right after the noun an amount question asks about (``교원 수는 89명``, ``영업이익률은
    8.8%``) is that noun's value, whatever else the sentence counts nearer the question's year
    (``2008학년도에 20학급``); the fitted weights learn this from too few cases to hold it.
    A "what" question about a noun (``열람 좌석은?``) takes the figure its noun states as its
    subject or topic (``열람 좌석은 736석이다``), not one after another particle (``대학교에서
    2년간``)."""
    if not scored or q.answer_type not in (AnswerType.NUMBER, AnswerType.SPAN):
        return scored
    top = max(scored, key=lambda s: score(s.vector, SPAN_WEIGHTS))
    named = [s for s in scored if s.sentence.start == top.sentence.start and s.vector[_NAMES_FIGURE] > 0
             and (q.answer_type == AnswerType.NUMBER or _stated_as_topic(s))]
    return named or scored


def _stated_as_topic(s: Scored) -> bool:
    """Whether the figure follows its noun and a topic or subject particle only."""
    first = s.candidate.first
    return first >= 2 and s.sentence.tokens[first - 1].tag in ("JX", "JKS")


RERANKED = 3  # how many of the linear scorer's best candidates the trees choose among
LINEAR_SHARE = 0.3


def _reranked(q: Question, scored: list[Scored]) -> dict[int, float]:
    """Each candidate's rank score: among the linear scorer's ``RERANKED`` best, the trees'
    log-odds (``span_trees``) plus ``LINEAR_SHARE`` of the linear score, when the ensemble is
    there; below them, the linear score less a margin that puts them after every reranked
    one. Reranking only the best three chose as well as reranking all (three folds over
    KorQuAD articles 20-69: 0.530 and 0.528 top-1 against 0.514 for the linear scorer), and
    the trees' log-odds of two candidates are often all but equal, which the linear share
    then decides (0.527 three-fold)."""
    if not scored:
        return {}
    vectors = np.array([s.vector for s in scored])
    weights = np.array(SPAN_WEIGHTS)
    linear = vectors @ weights
    trees = load_trees()
    if trees is None:
        return {id(s): float(v) for s, v in zip(scored, linear, strict=True)}
    values = trees.score(tree_inputs(vectors, q.answer_type.value, weights)) + LINEAR_SHARE * linear
    top = linear >= np.sort(linear)[-min(RERANKED, len(linear))]
    floor = values[top].min() - 1.0
    values = np.where(top, values, floor - (linear.max() - linear))
    return {id(s): float(v) for s, v in zip(scored, values, strict=True)}


def answer_paragraph(q: Question, text: str, units: list[tuple[Sentence, list]],
                     weights: dict[str, float], top_sentences: int = 3) -> SpanAnswer | None:
    """Best answer span in ``text`` for ``q``, or None when no sentence matches at all."""
    ranked, scored = scored_candidates(q, text, units, weights, top_sentences)
    if not ranked:
        return None
    best: SpanAnswer | None = None
    best_id = 0
    order = _reranked(q, scored)
    for s in _named_figures_first(q, scored):
        value = score(s.vector, SPAN_WEIGHTS)
        if best is None or order[id(s)] > order[best_id]:
            c = s.candidate
            best_id = id(s)
            best = SpanAnswer(text[c.start:c.end], c.start, c.end, s.sentence.start,
                              s.sentence.end, s.coverage, value, f"paragraph.typed({c.kind})")
    top_cov, top_sent, top_match = ranked[0]
    if best is not None:
        best.evidence = evidence_features(q, units, weights, (top_cov, top_match), list(order.values()))
    if best is None and not q.factoid:
        body = top_sent.text.rstrip(" .?!")
        return SpanAnswer(body, top_sent.start, top_sent.start + len(body), top_sent.start,
                          top_sent.end, top_cov, top_cov, "paragraph.sentence")
    if best is None:
        return SpanAnswer("", top_sent.start, top_sent.start, top_sent.start, top_sent.end,
                          top_cov, 0.0, f"paragraph.no-{q.answer_type.value}-span")
    return best

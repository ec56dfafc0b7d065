"""Paragraph answers: pick the sentence that matches the question, then the answer span in it.

Rules, in the order they apply (the chosen one is reported as ``rule``):

- ``paragraph.typed(<kind>)``: a candidate of the expected type (a number with its unit, a
  date, a year, a named entity for person/place, a noun phrase or quoted title for "what", a
  reason clause for "why") in one of the best-matching sentences or a sentence next to one
  (Korean often names the subject once and says ``이 아파트는`` after), scored by the
  sentence's coverage, the candidate's closeness to the matched question terms (the predicate
  that modifies the question's head noun counts most: the answer to ``인계된 곳은?`` sits just
  before ``인계되었다``), and a penalty for repeating words of the question, which never
  answer it.
- ``paragraph.sentence``: no typed span, and the question is not a factoid (why/how): the
  sentence itself is the answer.
- ``paragraph.no-<type>-span``: a factoid with no span of its type in the matching sentences;
  the backend reports it as unanswerable rather than guessing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vlm.extractive.matching import Idf, Match, match_terms
from vlm.extractive.morph import Sentence, Token, soft_match, split_sentences, term_of, terms_of
from vlm.extractive.numbers import NUMERIC_KINDS, Quantity, QuantityKind, find_quantities
from vlm.extractive.question import AnswerType, Question

_CHUNK_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XSN", "XPN", "XR"})
_PLACE_SUFFIXES = ("시", "도", "군", "구", "동", "읍", "면", "리", "국", "섬", "산", "강", "역",
                   "대학교", "학교", "공항", "항", "궁", "성", "주", "현", "관", "청")
_QUOTED = re.compile(r"[\"“”'‘’「『《〈<]([^\"“”'‘’「」『』《》〈〉<>]{1,40})[\"“”'‘’」』》〉>]")
# "..., X 때문에" / "X를 위해": the clause before the marker states the reason or purpose.
_REASON = re.compile(r"(?:기\s*)?(?:때문|위해|위하여|인해|인하여|덕분|탓)")
_COUNTER_NNB = frozenset({"명", "개", "년", "월", "일", "대", "회", "차", "번", "세", "살", "권",
                          "위", "호", "층", "시", "분", "초", "원", "배", "곳", "가지", "년대",
                          "군데", "킬로미터", "미터", "킬로그램", "톤", "달러", "퍼센트", "주년"})
# Nouns that place or connect rather than name (이후, 반면, 당시): never an answer's edge.
_STOP_NOUNS = frozenset({
    "이후", "이전", "반면", "때", "당시", "아래", "위", "후", "전", "중", "현재", "이번", "최근",
    "경우", "정도", "가운데", "사이", "뒤", "앞", "다음", "이상", "이하", "대신", "자신", "동안",
    "처음", "마지막", "결과", "이후로", "사실", "오늘", "지금", "일부", "모두", "전체", "대부분",
    "외", "내", "속", "간", "측", "말", "초", "말기", "초기", "중기", "직후", "직전", "이래",
})


_TITLES = frozenset({"간사", "시장", "대통령", "의원", "장관", "총리", "교수", "박사", "감독", "선수",
                     "씨", "회장", "사장", "위원장", "대표", "총장", "원장", "국왕", "왕", "황제",
                     "장군", "대사", "지사", "군수", "구청장", "변호사", "기자", "작가"})
# Nouns that name a kind of thing, never a particular one: never an answer on their own.
_GENERIC = frozenset({"이름", "명칭", "계절", "지역", "관련", "일종", "기술", "결과", "방법", "이유",
                      "내용", "경우", "부분", "문제", "상황", "시작", "사용", "형태", "종류", "대상",
                      "이용", "역할", "의미", "사람", "인물", "장소", "시기"})


@dataclass(slots=True)
class Candidate:
    start: int                # char offsets in the crop text
    end: int
    first: int                # token index range in the sentence (inclusive)
    last: int
    type_score: float
    kind: str                 # "quantity:<kind>", "entity", "noun", "quoted", "reason"


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


def sentence_units(text: str) -> list[tuple[Sentence, list]]:
    """Sentences of a crop's text with their term hits (the matching units)."""
    return [(s, terms_of(s.tokens)) for s in split_sentences(text)]


def _eojeols(tokens: tuple[Token, ...], first: int, last: int) -> list[tuple[int, int]]:
    """Split a token range into space-separated words (token index ranges)."""
    groups, start = [], first
    for i in range(first + 1, last + 1):
        if tokens[i].start > tokens[i - 1].end:
            groups.append((start, i - 1))
            start = i
    groups.append((start, last))
    return groups


def _is_edge_stop(tok: Token, alone: bool = True) -> bool:
    """A token that cannot open or close an answer: bound nouns, suffixes, and (as a word of
    their own; 내자동 keeps its 내) nouns like 이후, 당시."""
    return tok.tag in ("NNB", "XSN") or (alone and tok.form in _STOP_NOUNS)


def _alone(toks: tuple[Token, ...], i: int) -> bool:
    before = i == 0 or toks[i - 1].end < toks[i].start
    after = i + 1 >= len(toks) or toks[i + 1].start > toks[i].end or toks[i + 1].tag.startswith("J")
    return before and after


def _noun_chunks(sent: Sentence) -> list[tuple[int, int]]:
    toks = sent.tokens
    chunks, i = [], 0
    while i < len(toks):
        if toks[i].tag not in _CHUNK_TAGS:
            i += 1
            continue
        j = i
        while j + 1 < len(toks) and toks[j + 1].tag in _CHUNK_TAGS:
            j += 1
        a, b = i, j
        while a <= b and _is_edge_stop(toks[a], _alone(toks, a)):
            a += 1
        while b >= a and _is_edge_stop(toks[b], _alone(toks, b)) and not (
                b > a and toks[b - 1].tag in ("SN", "NR") and toks[b].form in _COUNTER_NNB):
            b -= 1
        if a <= b:
            chunks.append((a, b))
        i = j + 1
    return chunks


def _token_range(sent: Sentence, start: int, end: int) -> tuple[int, int] | None:
    idx = [k for k, t in enumerate(sent.tokens) if t.end > start and t.start < end]
    return (idx[0], idx[-1]) if idx else None


def _type_score(q: Question, kind: str, has_nnp: bool, surface: str) -> float:
    """How well a candidate fits the expected answer type (0 = not allowed)."""
    t = q.answer_type
    if kind.startswith("quantity:"):
        qk = QuantityKind(kind.split(":", 1)[1])
        if t == AnswerType.NUMBER:
            return 1.0 if qk in NUMERIC_KINDS else 0.15
        if t == AnswerType.DATE:
            if qk == QuantityKind.DURATION or surface.endswith("일"):
                return 0.5  # 며칠: a number of days
            return {QuantityKind.DATE: 1.0, QuantityKind.TIME: 0.8, QuantityKind.YEAR: 0.8}.get(qk, 0.0)
        if t == AnswerType.YEAR:
            return 1.0 if qk == QuantityKind.YEAR else 0.0
        if t in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.REASON):
            return 0.0
        return 0.35
    if kind == "numbered":  # a number-led noun phrase: 250만 평방 킬로미터, 2국가 해법
        return {AnswerType.NUMBER: 0.9, AnswerType.SPAN: 0.4}.get(t, 0.0)
    if t in (AnswerType.NUMBER, AnswerType.DATE, AnswerType.YEAR):
        return 0.0
    if t == AnswerType.REASON:
        return 0.9 if kind == "reason" else 0.0
    if t == AnswerType.PERSON:
        return 1.0 if has_nnp else 0.45
    if t == AnswerType.PLACE:
        bonus = 0.15 if surface.endswith(_PLACE_SUFFIXES) else 0.0
        return (0.85 if has_nnp else 0.45) + bonus
    if kind == "quoted":
        return 0.85
    return 0.7 if has_nnp else 0.6


def _candidates(q: Question, sent: Sentence, text: str) -> list[Candidate]:
    toks = sent.tokens
    ends = {t.end for t in toks}
    out: list[Candidate] = []
    for qty in find_quantities(sent.text):
        s, e = sent.start + qty.start, sent.start + qty.end
        if e not in ends:
            continue  # "250만 평" out of "250만 평방": the unit is part of a longer word
        rng = _token_range(sent, s, e)
        if rng is not None:
            out.extend(_quantity_candidates(q, qty, s, e, rng))
    for a, b in _noun_chunks(sent):
        words = _eojeols(toks, a, b)[:6]
        for i in range(len(words)):
            for j in range(i, len(words)):
                f, l_ = words[i][0], words[j][1]
                if _is_edge_stop(toks[f], _alone(toks, f)) or (
                        _is_edge_stop(toks[l_], _alone(toks, l_)) and toks[l_].form not in _COUNTER_NNB):
                    continue
                nxt = toks[l_ + 1] if l_ + 1 < len(toks) else None
                if nxt is not None and nxt.start == toks[l_].end and nxt.tag in ("XSV", "XSA"):
                    continue  # 존재(하다), 발생(되다): an action or state, not a thing named
                if f == l_ and len(toks[f].form) == 1 and toks[f].tag not in ("NNP", "SL", "SH"):
                    continue  # 미, 한, 곳: one-syllable common nouns are fragments
                if f == l_ and toks[f].form in _GENERIC:
                    continue
                has_nnp = any(toks[k].tag == "NNP" for k in range(f, l_ + 1))
                surface = text[toks[f].start:toks[l_].end]
                kind = "numbered" if toks[f].tag == "SN" else ("entity" if has_nnp else "noun")
                out.append(Candidate(toks[f].start, toks[l_].end, f, l_,
                                     _type_score(q, kind, has_nnp, surface), kind))
    for m in _QUOTED.finditer(sent.text):
        s, e = sent.start + m.start(1), sent.start + m.end(1)
        rng = _token_range(sent, s, e)
        if rng is not None:
            out.append(Candidate(s, e, rng[0], rng[1], _type_score(q, "quoted", False, ""), "quoted"))
    if q.answer_type == AnswerType.REASON:
        out.extend(_reason_candidates(sent, text))
    return [c for c in out if c.type_score > 0]


def _reason_candidates(sent: Sentence, text: str) -> list[Candidate]:
    out = []
    for m in _REASON.finditer(sent.text):
        clause = max(sent.text.rfind(",", 0, m.start()), sent.text.rfind("，", 0, m.start()))
        s, e = sent.start + clause + 1, sent.start + m.start()
        while s < e and text[s].isspace():
            s += 1
        rng = _token_range(sent, s, e)
        if rng is not None and e - s >= 2:
            out.append(Candidate(s, e, rng[0], rng[1], 0.9, "reason"))
    return out


def _quantity_candidates(q: Question, qty: Quantity, s: int, e: int,
                         rng: tuple[int, int]) -> list[Candidate]:
    kind = f"quantity:{qty.kind.value}"
    out = [Candidate(s, e, rng[0], rng[1], _type_score(q, kind, False, qty.surface), kind)]
    if q.answer_type == AnswerType.YEAR and qty.kind == QuantityKind.DATE and qty.date and qty.date[0]:
        cut = qty.surface.find("년")
        if cut > 0:  # 1989년 2월 15일 answers "몇 년" with 1989년
            out.append(Candidate(s, s + cut + 1, rng[0], rng[0] + 1, 0.95, "quantity:year"))
    return out


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
    if q.answer_type == AnswerType.PLACE and all(w.endswith(_PLACE_SUFFIXES) for w in words):
        return 1 - 0.3 * (len(words) - 1)
    return len(words)


def _unit_fit(q: Question, c: Candidate, surface: str) -> float:
    """몇 명 wants a count of 명; a person is named without the title that follows the name."""
    if q.unit and c.kind.startswith(("quantity", "numbered")):
        return 0.3 if surface.endswith(q.unit) else 0.0
    if q.answer_type == AnswerType.PERSON and n_title(surface):
        return -0.15
    return 0.0


def n_title(surface: str) -> bool:
    words = surface.split()
    return len(words) > 1 and words[-1] in _TITLES


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


def answer_paragraph(q: Question, text: str, units: list[tuple[Sentence, list]], idf: Idf,
                     weights: dict[str, float], top_sentences: int = 3) -> SpanAnswer | None:
    """Best answer span in ``text`` for ``q``, or None when no sentence matches at all."""
    ranked = _ranked_sentences(units, weights, top_sentences)
    if not ranked:
        return None
    best: SpanAnswer | None = None
    for cov, sent, m in ranked:
        for c in _candidates(q, sent, text):
            overlap, on_head = _question_overlap(q, sent, c)
            if overlap >= 1.0:
                continue
            surface = text[c.start:c.end]
            n_words = _length(q, c, surface)
            score = (1.0 * cov + 0.8 * c.type_score
                     + 0.9 * _closeness(c, m, weights, q.focus, on_head)
                     - 0.8 * overlap - 0.08 * (n_words - 1) + (0.12 if on_head else 0.0)
                     + _unit_fit(q, c, surface))
            if best is None or score > best.score:
                best = SpanAnswer(text[c.start:c.end], c.start, c.end, sent.start, sent.end,
                                  cov, score, f"paragraph.typed({c.kind})")
    top_cov, top_sent, _ = ranked[0]
    if best is None and not q.factoid:
        body = top_sent.text.rstrip(" .?!")
        return SpanAnswer(body, top_sent.start, top_sent.start + len(body), top_sent.start,
                          top_sent.end, top_cov, top_cov, "paragraph.sentence")
    if best is None:
        return SpanAnswer("", top_sent.start, top_sent.start, top_sent.start, top_sent.end,
                          top_cov, 0.0, f"paragraph.no-{q.answer_type.value}-span")
    return best

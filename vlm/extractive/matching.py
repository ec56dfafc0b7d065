"""Weighted term overlap between a question and a piece of text.

Every sentence or table label the backend considers is a matching unit. Terms are weighted by
inverse document frequency over the units of the crops in one request, so a rare term
(``임종석``) counts for more than one every sentence shares (``경찰``). Coverage is the weighted
share of the question's terms a unit contains; it is both the ranking score and the evidence
for the "cannot answer" decision.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from vlm.extractive.morph import TermHit, soft_match
from vlm.extractive.question import Question

_NUMBER_WITH_COUNTER = re.compile(r"^\d[\d.]*[^\d.]+$")


class Idf:
    """BM25-style inverse document frequency over the units of one request."""

    def __init__(self, units: Iterable[set[str]]) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for terms in units:
            self.n += 1
            self.df.update(terms)

    def __call__(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))


@dataclass(slots=True)
class Match:
    """How one question matched one unit."""

    coverage: float                                   # weighted share in [0, 1]
    strength: dict[str, float] = field(default_factory=dict)  # question term -> 0..1
    positions: dict[str, list[int]] = field(default_factory=dict)  # question term -> token idx

    @property
    def matched(self) -> set[str]:
        return {t for t, s in self.strength.items() if s > 0}


def question_weights(question: Question, idf: Idf) -> dict[str, float]:
    """Weight per distinct question term. Compounds whose parts are also terms get half
    weight, so that ``지명수배`` does not count the same evidence three times; a number's
    counter compound (``2023년`` beside ``2023``) gets 0.3, enough to tell ``3년`` from
    ``3개월`` without missing a heading written ``2023``; one-syllable terms and the question's
    head noun get half."""
    terms = [h.term for h in question.terms]
    out: dict[str, float] = {}
    for t in dict.fromkeys(terms):
        w = idf(t)
        parts = [p for p in terms if p != t and p in t and len(p) < len(t)]
        if _NUMBER_WITH_COUNTER.match(t):
            w *= 0.3  # 2023년: the number carries the match, the counter only breaks ties
        elif len(t) == 1 and "가" <= t <= "힣":
            w *= 0.5  # one syllable: as often a fragment of a split name (가/온/건설) as a word
        if question.head and t.startswith(question.head):
            w *= 0.5  # the asked-for noun names what the answer is, which text often leaves
            # implicit: a table of returns holds numbers, not the word 수익률
        out[t] = w * (0.5 if len(parts) >= 2 else 1.0)
    return out


def match_terms(weights: dict[str, float], hits: list[TermHit],
                entities: frozenset[str] = frozenset()) -> Match:
    """Coverage of the weighted question terms by a unit's term hits. Each term of
    ``entities`` the unit lacks counts twice against it (a table of another company)."""
    total = sum(weights.values())
    if total <= 0 or not hits:
        return Match(0.0)
    by_term: dict[str, list[int]] = {}
    for h in hits:
        by_term.setdefault(h.term, []).append(h.index)
    strength: dict[str, float] = {}
    positions: dict[str, list[int]] = {}
    for qt in weights:
        if qt in by_term:
            strength[qt], positions[qt] = 1.0, by_term[qt]
            continue
        best, where = 0.0, []
        for t, idx in by_term.items():
            s = soft_match(qt, t)
            if s > best:
                best, where = s, idx
        if best > 0:
            strength[qt], positions[qt] = best, where
    covered = sum(weights[t] * s for t, s in strength.items())
    total += sum(weights[e] * (1.0 - strength.get(e, 0.0)) for e in entities if e in weights)
    return Match(covered / total, strength, positions)


def overlap_chars(a: str, b: str) -> int:
    """Characters shared by two strings (multiset), spaces ignored: the baseline's signal."""
    ca, cb = Counter(a.replace(" ", "")), Counter(b.replace(" ", ""))
    return sum((ca & cb).values())


def _bigrams(text: str) -> set[str]:
    s = "".join(text.split())
    return {s[i:i + 2] for i in range(len(s) - 1)} or {s}


def boost_absent_entities(weights: dict[str, float], question: Question, texts: list[str],
                          factor: float = 2.0) -> dict[str, float]:
    """Weigh more the proper nouns and numbers of the question that the crops never mention.

    A question about ``태평양물산`` (or about 2019) shown only other companies' (or years')
    tables matches every other term; the missing name is what says the crops are about
    something else. A name counts as
    mentioned when half of its character bigrams occur in the crops (Kiwi may split or join
    names differently in the question and the text).
    """
    joined = "".join("".join(t.split()) for t in texts)
    plain = joined.replace(",", "")
    out = dict(weights)
    for h in question.terms:
        tok = question.tokens[h.index]
        if h.term not in out:
            continue
        if tok.tag == "SN" and h.term == tok.form.replace(",", "").rstrip("."):
            if len(h.term) >= 2 and h.term not in plain:
                out[h.term] = weights[h.term] * factor  # a year or figure nowhere in the crops
            continue
        if tok.tag != "NNP":
            continue
        grams = _bigrams(h.term)
        if sum(g in joined for g in grams) < 0.5 * len(grams):
            out[h.term] = weights[h.term] * factor
    return out

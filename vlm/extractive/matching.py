"""Weighted term overlap between a question and a piece of text.

Every sentence or table label the backend considers is a matching unit. Terms are weighted by
inverse document frequency over the units of the crops in one request, so a rare term
(``임종석``) counts for more than one every sentence shares (``경찰``). Coverage is the weighted
share of the question's terms a unit contains; it is both the ranking score and the evidence
for the "cannot answer" decision.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from vlm.extractive.morph import TermHit, soft_match
from vlm.extractive.question import Question


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
    weight, so that ``지명수배`` does not count the same evidence three times."""
    terms = [h.term for h in question.terms]
    out: dict[str, float] = {}
    for t in dict.fromkeys(terms):
        w = idf(t)
        parts = [p for p in terms if p != t and p in t and len(p) < len(t)]
        out[t] = w * (0.5 if len(parts) >= 2 else 1.0)
    return out


def match_terms(weights: dict[str, float], hits: list[TermHit]) -> Match:
    """Coverage of the weighted question terms by a unit's term hits."""
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
    """Weigh more the proper nouns of the question that the crops never mention.

    A question about ``태평양물산`` shown only other companies' tables matches every other
    term; the missing name is what says the crops are about something else. A name counts as
    mentioned when half of its character bigrams occur in the crops (Kiwi may split or join
    names differently in the question and the text).
    """
    joined = "".join("".join(t.split()) for t in texts)
    out = dict(weights)
    for h in question.terms:
        tok = question.tokens[h.index]
        if tok.tag != "NNP" or h.term not in out:
            continue
        grams = _bigrams(h.term)
        if sum(g in joined for g in grams) < 0.5 * len(grams):
            out[h.term] = weights[h.term] * factor
    return out

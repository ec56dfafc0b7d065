"""What the span scorer knows about one answer candidate, as named numbers.

``spans.answer_paragraph`` ranks a sentence's candidates by a weighted sum of these features.
The first group are the hand-written signals (sentence coverage, type fit, closeness to the
matched question terms, repeating the question, length, unit and particle fit, a figure named
right after the asked noun); the rest describe the candidate's edges and surroundings, which
decide most boundary errors (``블루 노트`` against ``노트``): whether the noun phrase goes on
to either side, the particle glued after it, the script it is written in (a Hanja or English
gloss in parentheses rarely answers a Korean question), and how near the nearest matched term
sits on each side. The weights live in ``span_weights`` and are fitted by
``bench/fit_span_weights.py``; a feature added here needs a weight there (zero until refitted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vlm.extractive.candidates import Candidate, chunk_token
from vlm.extractive.matching import Match
from vlm.extractive.morph import Sentence

KINDS = ("quantity", "entity", "noun", "quoted", "reason", "numbered", "dated")
# Kiwi tags of the particle (or copula) written right after a candidate.
FOLLOWERS = ("JX", "JKS", "JKO", "JKG", "JKB", "JC", "VCP", "JKQ")

NAMES: tuple[str, ...] = (
    "coverage", "type_fit", "closeness", "question_overlap", "extra_words", "ends_on_head",
    "unit_fit", "particle_fit", "names_figure",
    "phrase_goes_on_left", "phrase_goes_on_right", "glued_on_left", "in_parentheses",
    "hanja_share", "latin_share",
    *(f"followed_by_{t}" for t in FOLLOWERS),
    "near_term_left", "near_term_right", "term_just_left", "term_just_right",
    "repeats_in_text", "words", "opens_sentence",
    "neighbour_sentence", "coverage_vs_best", "syllables", "best_sentence",
    *(f"kind_{k}" for k in KINDS),
)


@dataclass(frozen=True, slots=True)
class Signals:
    """The hand-written signals ``spans`` computes for a candidate (see its rules)."""

    coverage: float
    type_fit: float
    closeness: float
    question_overlap: float
    words: float          # the candidate's length in words, a quantity counting as one
    ends_on_head: bool
    unit_fit: float
    particle_fit: float
    names_figure: float


def _syllables(surface: str) -> float:
    """Length as Korean reads it: a Hangul or Hanja syllable is one, a Latin word two (an
    English phrase is not long because its letters are many)."""
    latin = sum(1 for w in surface.split() if any(ch.isascii() and ch.isalpha() for ch in w))
    return sum(not ch.isascii() and ch.isalpha() for ch in surface) + 2 * latin


def features(sig: Signals, sent: Sentence, c: Candidate, m: Match, text: str,
             rank: int, best_coverage: float) -> list[float]:
    """The feature vector of ``c`` in ``sent`` (order of ``NAMES``). ``rank`` is the
    sentence's place among the ranked ones (0 = best match); neighbours come after."""
    toks = sent.tokens
    surface = text[c.start:c.end]
    # a quantity is whole however its neighbours read (161,000 people, 2023년 매출액)
    phrase = not c.kind.startswith("quantity")
    left = phrase and c.first > 0 and chunk_token(toks[c.first - 1])
    right = phrase and c.last + 1 < len(toks) and chunk_token(toks[c.last + 1])
    glued_left = left and toks[c.first - 1].end == toks[c.first].start
    before = text[sent.start:c.start]
    n = max(len(surface), 1)
    nxt = toks[c.last + 1] if c.last + 1 < len(toks) else None
    follower = nxt.tag if nxt is not None and nxt.start == toks[c.last].end else ""
    d_left = d_right = 99
    for pos in m.positions.values():
        for p in pos:
            if p < c.first:
                d_left = min(d_left, c.first - p)
            elif p > c.last:
                d_right = min(d_right, p - c.last)
    kind = c.kind.split(":", 1)[0]
    return [
        sig.coverage, sig.type_fit, sig.closeness, sig.question_overlap, sig.words - 1,
        float(sig.ends_on_head), sig.unit_fit, sig.particle_fit, sig.names_figure,
        float(left), float(right), float(glued_left), float(before.count("(") > before.count(")")),
        sum("\u4e00" <= ch <= "\u9fff" for ch in surface) / n,
        sum(ch.isascii() and ch.isalpha() for ch in surface) / n,
        *(float(follower == t) for t in FOLLOWERS),
        math.exp(-d_left / 3), math.exp(-d_right / 3), float(d_left == 1), float(d_right == 1),
        min(text.count(surface), 5) / 5, float(len(surface.split())), float(c.first == 0),
        float(rank > 0), sig.coverage / best_coverage if best_coverage else 0.0,
        _syllables(surface) / 10, float(rank == 0),
        *(float(kind == k) for k in KINDS),
    ]


def score(vector: list[float], weights: tuple[float, ...]) -> float:
    return sum(x * w for x, w in zip(vector, weights, strict=True))

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
from vlm.extractive.morph import Sentence, soft_match, term_of
from vlm.extractive.name_shapes import ROLES, korean_name, place_word, role_after, speech
from vlm.extractive.question import AnswerType, Question

KINDS = ("quantity", "entity", "noun", "quoted", "reason", "numbered", "dated")
# Kinds added after the first fit; their one-hots come last so the older weights keep their places.
LATER_KINDS = ("words",)
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
    "person_shape", "person_shape_for_person", "place_shape", "place_shape_for_person",
    "place_shape_for_place", "role_after", "role_after_for_person", "speech_quote",
    "after_wh_follows", "after_wh_inside", "ends_on_role", "sentence_topic",
    "sentence_topic_for_span", *(f"{k}_for_span" for k in ("quantity", "numbered", "dated", "quoted",
                                                           "entity")),
    "entity_for_person", "quantity_for_number", "numbered_for_number", "head_follows",
    *(f"kind_{k}" for k in LATER_KINDS),
    "rarity",
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


def after_wh(q: Question) -> str:
    """The first content term after the question word and the noun it asks with, particles
    aside: 사장 in "어느 회사의 사장이었나?", 군사 in "누구의 군사들에게". The answer is written
    right before it ("대한통운 사장")."""
    toks = q.tokens
    at = next((i for i, t in enumerate(toks) if t.form == q.cue), -1)
    if at < 0 or q.cue not in ("누구", "무엇", "어디", "어느", "어떤", "무슨"):
        return ""
    j = at + 1
    if q.cue in ("어느", "어떤", "무슨") and j < len(toks) and toks[j].tag in ("NNG", "NNP"):
        j += 1
    if j >= len(toks) or toks[j].form not in ("의",):
        return ""  # only "누구의 X", "어느 회사의 X": the X the answer owns
    for t in toks[j + 1:]:
        term = term_of(t)
        if term is not None:
            return term
    return ""


def _shape(q: Question, sent: Sentence, c: Candidate, surface: str, text: str,
           follower: str) -> list[float]:
    """Person, place and speech cues (``name_shapes``), and each crossed with the question's
    type where the type changes what the cue means."""
    person_q = q.answer_type == AnswerType.PERSON
    person = float(korean_name(surface) or (" " in surface and c.kind == "entity"
                                             and not place_word(surface)))
    place = float(place_word(surface))
    role = float(role_after(text[c.end:c.end + 12]) if not follower or follower == "JKG" else 0.0)
    toks = sent.tokens
    target = after_wh(q)
    follows = inside = 0.0
    if target:
        last = term_of(toks[c.last])
        inside = float(last is not None and soft_match(last, target) >= 0.7)
        for t in toks[c.last + 1:c.last + 4]:
            term = term_of(t)
            if term is not None:
                follows = float(soft_match(term, target) >= 0.7)
                break
    words = surface.split()
    ends_role = float(len(words) > 1 and words[-1] in ROLES)
    topic = float(_opens(toks, c.first) and follower in ("JX", "JKS"))
    span_q = q.answer_type == AnswerType.SPAN
    kind = c.kind.split(":", 1)[0]
    return [person, person * person_q, place, place * person_q,
            place * (q.answer_type == AnswerType.PLACE), role, role * person_q,
            float(c.kind == "quoted" and speech(surface)), follows, inside, ends_role, topic,
            topic * span_q,
            *(float(span_q and kind == k) for k in ("quantity", "numbered", "dated", "quoted", "entity")),
            float(person_q and kind == "entity"),
            *(float(q.answer_type == AnswerType.NUMBER and kind == k) for k in ("quantity", "numbered")),
            float(kind != "quantity" and _head_follows(q, toks, c.last)),
            *(float(kind == k) for k in LATER_KINDS)]


def _head_follows(q: Question, toks: tuple, last: int) -> bool:
    """Whether the noun the question asks for comes right after the candidate: ``노터데임``
    before ``대학교`` for "공부한 대학교는?" is cut short of the name it is part of."""
    if not q.head or last + 1 >= len(toks):
        return False
    term = term_of(toks[last + 1])
    return term is not None and soft_match(term, q.head) >= 0.7


def _opens(toks: tuple, first: int) -> bool:
    """Whether a candidate opens its sentence, an adverb or a connective aside (또한, 한편)."""
    return all(t.tag in ("MAG", "MAJ", "SP", "SS", "SF") for t in toks[:first])


def features(sig: Signals, sent: Sentence, c: Candidate, m: Match, text: str,
             rank: int, best_coverage: float, q: Question) -> list[float]:
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
        *_shape(q, sent, c, surface, text, follower),
        *_rarity(toks[c.first:c.last + 1]),
    ]


_RARITY_TAGS = frozenset({"NNG", "NNP", "XR", "VV", "VA"})


def _rarity(toks: tuple) -> list[float]:
    """How unexpected the candidate's rarest content morpheme is to Kiwi's language model (in
    tens of nats): an answer names something (행정학, 화합적취), while the wrong spans of a right
    sentence are often everyday nouns (사람들, 자체, 하나, 최초). The rarest, not the mean: a
    name keeps its generic head (노터데임 대학교)."""
    # Hangul morphemes only: the model scores every Latin word or number as unknown
    return [max((-t.score / 10 for t in toks if t.tag in _RARITY_TAGS), default=0.0)]


def score(vector: list[float], weights: tuple[float, ...]) -> float:
    return sum(x * w for x, w in zip(vector, weights, strict=True))

"""Kiwi morphemes: one analyser per process, sentences with tokens, and content terms.

Korean glues particles and endings onto words (``매출액은``, ``매출액이``), so whole words rarely
match between a question and a document; content morphemes do. English words pass through
Kiwi as ``SL`` tokens and are lower-cased and lightly stemmed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# The service's Kiwi per process (built lazily, rebuilt in a forked child) lives with the
# retrieval tokenizer; short texts (questions, table cells) share it. Paragraphs are read with
# the space-tolerant config, since OCR puts spaces inside words (농 도는).
from indexing.tokenize import get_kiwi, reader_config

NOUN_TAGS = frozenset({"NNG", "NNP", "NR", "SN", "SL", "SH", "XR"})
# Tags whose tokens carry meaning; verbs and adjectives count (검거하다 ~ 검거된).
CONTENT_TAGS = NOUN_TAGS | {"VV", "VA"}
# Light verbs and copulas: they occur everywhere and carry no content of their own.
_LIGHT = frozenset({"하", "되", "있", "없", "이", "않", "같", "그렇", "아니", "위하", "대하", "통하"})
EN_STOPWORDS = frozenset("""a an the of in on at to for from by with and or is are was were be been
being as that this these those it its which what who whom whose when where why how did do does
has have had there their they he she his her not no into than then also about after before
during many much does""".split())


@dataclass(frozen=True, slots=True)
class Token:
    """One morpheme; ``text[start:end]`` is its surface in the analysed text. ``score`` is
    Kiwi's language-model log-probability of the morpheme in its context: everyday words
    (사람, 자체, 하나) score high, names and terms (행정학, 화합적취) low."""

    form: str
    tag: str
    start: int
    end: int
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int
    tokens: tuple[Token, ...]


def _tokens(raw: list) -> tuple[Token, ...]:
    return tuple(Token(t.form, t.tag.split("-")[0], t.start, t.start + t.len, t.score) for t in raw)


@lru_cache(maxsize=1024)
def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences of ``text`` with their tokens; offsets are into ``text``."""
    if not text.strip():
        return ()
    out = []
    for s in get_kiwi().split_into_sents(text, return_tokens=True, override_config=reader_config()):
        out.append(Sentence(s.text, s.start, s.end, _tokens(s.tokens)))
    return tuple(out)


@lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[Token, ...]:
    """Tokens of a short text (a question, a table cell); offsets are into ``text``."""
    if not text.strip():
        return ()
    return _tokens(get_kiwi().tokenize(text))


def _stem_en(word: str) -> str:
    w = word.lower().strip(".,'\"")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    for suffix in ("ing", "ed"):  # founded ~ found, employed ~ employ
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def term_of(tok: Token) -> str | None:
    """The comparison form of a content token, or None for particles, endings, light verbs."""
    if tok.tag not in CONTENT_TAGS:
        return None
    if tok.tag == "SN":
        num = tok.form.rstrip(".").replace(",", "")
        return num or None
    if tok.tag == "SL":
        w = _stem_en(tok.form)
        return None if (not w or w in EN_STOPWORDS) else w
    if tok.tag in ("VV", "VA") and tok.form in _LIGHT:
        return None
    return tok.form


@dataclass(frozen=True, slots=True)
class TermHit:
    """A content term found at token position ``index`` (char span ``start``-``end``)."""

    term: str
    index: int
    start: int
    end: int


def terms_of(tokens: tuple[Token, ...]) -> list[TermHit]:
    """Content terms, plus compounds of adjacent nouns written without a space, plus numbers
    with their counter (``3년``).

    ``영업이익률`` splits into 영업/이익/률; the compound ``영업이익률`` is added too, so a
    label that names the whole compound outranks one that shares only its parts.
    """
    hits: list[TermHit] = []
    run: list[tuple[int, Token]] = []

    def flush() -> None:
        if len(run) > 1:
            form = "".join(t.form for _, t in run)
            hits.append(TermHit(form, run[0][0], run[0][1].start, run[-1][1].end))
        run.clear()

    for i, tok in enumerate(tokens):
        term = term_of(tok)
        if term is not None:
            hits.append(TermHit(term, i, tok.start, tok.end))
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if (tok.tag == "SN" and nxt is not None and nxt.start == tok.end
                    and nxt.tag in ("NNB", "NNG") and len(nxt.form) <= 2):
                # "3년" and "3개월" both contain "3": keep the unit to tell them apart
                hits.append(TermHit(term + nxt.form, i, tok.start, nxt.end))
            if (tok.tag == "SN" and len(term) == 4 and nxt is not None and nxt.start == tok.end
                    and nxt.form in _YEAR_WORDS):
                # "2008학년도", "2008년도", "2008회계연도" name the year "2008년" asks for
                hits.append(TermHit(term + "년", i, tok.start, nxt.end))
        if tok.form == "현재" and _after_a_date(tokens, i):
            # "2022년 말 현재" states what "2022년 기준" asks (Kiwi reads this 현재 as an adverb)
            hits.append(TermHit("기준", i, tok.start, tok.end))
        glue = tok.tag in ("NNG", "NNP", "XSN", "XPN", "NR") and tok.form.isalpha()
        if glue and run and run[-1][1].end == tok.start:
            run.append((i, tok))
        else:
            flush()
            if glue:
                run.append((i, tok))
    flush()
    return hits


def _after_a_date(tokens: tuple[Token, ...], i: int) -> bool:
    """Whether token ``i`` follows a date: ``2022년``, ``12월``, ``31일``, then perhaps 말/초."""
    j = i - 1
    if j >= 0 and tokens[j].form in ("말", "초", "말일"):
        j -= 1
    return j >= 0 and tokens[j].form in ("년", "월", "일", "년도")


_YEAR_WORDS = frozenset({"학년도", "년도", "연도", "회계연도", "사업연도", "학년"})
_HANGUL = re.compile(r"[가-힣]")


def soft_match(a: str, b: str) -> float:
    """1.0 for equal terms; 0.7 when one Hangul term of two or more syllables starts the other
    (``경희대`` ~ ``경희대학교``), 0.5 when it sits inside it (``건설`` ~ ``가온건설``: Kiwi
    splits a name in one text and keeps it whole in another); 0 otherwise. Numbers match
    exactly or not at all."""
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 2 and _HANGUL.match(short):
        if long_.startswith(short):
            return 0.7
        if short in long_:
            return 0.5
    return 0.0

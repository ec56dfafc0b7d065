"""Answer spans that noun chunks miss: names and terms Kiwi splits into odd tags.

A noun chunk is a run of nominal morphemes, so it misses what Kiwi tags otherwise: an unknown
name (``마고 왓슨이`` is read 마/IC 고/MM 왓슨/NNP), a Latin name with symbols (``CD-ROM``,
``E!Online``, ``Bill & Melinda Gates Foundation``), a determiner before a noun (``새 멤버``),
a word whose suffix a chunk trims (``의원내각제``, ``교사들``). ``word_runs`` offers runs of
whole words written without a particle or ending, the last one with its particle cut off.

Two noun phrases joined by 의 or 와/과 (``진시황릉의 비밀``, ``미국과 중국``) are the gold
answer often enough, but offered as candidates they lost more answers to the ranker than they
added (KorQuAD articles 20-69, three-fold: F1 0.6253 to 0.6218), so they are not offered.
"""

from __future__ import annotations

from vlm.extractive.morph import Sentence, Token

# Tags a word of a name or a term may be made of (no particle, ending, verb or copula).
_WORD_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XPN", "XSN", "XR", "MM",
                        "IC", "SO", "SW"})
# Tags that may end a run's last word, cut off from the span: particles, and a copula.
_TRAILING = ("J", "VCP")
MAX_WORDS = 5
# What a noun chunk never holds, and a name or term may: a hyphen or ampersand (한-러, E-II,
# Bill & Melinda), a determiner (새 멤버), an interjection Kiwi made of a name's syllable (마고).
# A run with none of them and no suffix at its end (의원내각제, 교사들) is a noun chunk already.
_ODD_TAGS = frozenset({"SO", "MM", "IC"})


def _odd(tok: Token) -> bool:
    return tok.tag in _ODD_TAGS or (tok.tag == "SW" and tok.form == "&")  # not % or ℃


def _words(toks: tuple[Token, ...]) -> list[tuple[int, int]]:
    """Space-separated words as token index ranges (inclusive)."""
    out, start = [], 0
    for i in range(1, len(toks) + 1):
        if i == len(toks) or toks[i].start > toks[i - 1].end:
            out.append((start, i - 1))
            start = i
    return out


def _body(toks: tuple[Token, ...], a: int, b: int) -> int | None:
    """The last token of word ``a..b`` once a trailing particle is cut off, or None when the
    word holds anything else than name parts (an ending, a verb) or is only a particle."""
    end = b
    while end >= a and toks[end].tag.startswith(_TRAILING):
        end -= 1
    if end < a or any(toks[k].tag not in _WORD_TAGS for k in range(a, end + 1)):
        return None
    return end


def word_runs(sent: Sentence) -> list[tuple[int, int]]:
    """Runs of one to ``MAX_WORDS`` whole words, each nothing but name parts, the last
    perhaps with a particle after it (cut off): token ranges (inclusive)."""
    toks = sent.tokens
    words = _words(toks)
    bodies = [_body(toks, a, b) for a, b in words]
    out = []
    for i in range(len(words)):
        for j in range(i, min(i + MAX_WORDS, len(words))):
            last = bodies[j]
            if last is None or any(bodies[k] != words[k][1] for k in range(i, j)):
                break  # a word before the last one has a particle: the run ends there
            span = range(words[i][0], last + 1)
            if toks[words[i][0]].tag in ("SO", "SW") or toks[last].tag in ("SO", "SW"):
                continue  # "& Melinda": a run opens and closes on a word
            if any(toks[k].tag in ("NNG", "NNP", "SL", "SH", "NR", "SN") for k in span) and (
                    any(_odd(toks[k]) for k in span) or toks[last].tag == "XSN"):
                out.append((words[i][0], last))
    return out

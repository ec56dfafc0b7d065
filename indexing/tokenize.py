"""Terms for sparse retrieval of Korean and English text.

Korean glues particles and endings onto words (``매출액은``, ``매출액이``), so whitespace tokens
rarely match between a question and a passage. ``KoreanAnalyzer`` runs Kiwi (kiwipiepy) and keeps
only content morphemes, so both words above become the term ``매출액``:

- kept: nouns (NNG, NNP, NNB, NR, NP), verb/adjective stems (VV, VA), roots (XR), adverbs (MAG),
  Latin words (SL, lowercased), hanja (SH), numbers (SN) and Kiwi's URL/e-mail/hashtag tokens;
- dropped: particles (J*), endings (E*), copula (VCP/VCN), suffixes (XS*), punctuation and symbols.

Numbers are kept as written but normalised: thousands separators go (``3,450`` -> ``3450``),
decimals stay (``1.5``), so ``3,450억`` in a table and ``3450억`` in a question meet.

``bigrams(text)`` gives character bigrams of Hangul runs: a second lexical signal that needs no
analyser and survives analyser mistakes (proper nouns Kiwi splits oddly, OCR noise).

``index_terms`` is what goes into BM25 by default: morphemes plus Hangul bigrams (bigrams carry
``BIGRAM_PREFIX`` so a bigram never collides with a two-syllable morpheme). Measured on KorQuAD
1.0 dev (first 70 articles, 2,865 questions), each question against its passage:

    passages = sentences (2,940)     MRR    R@1    R@5
    morphemes + bigrams (default)    0.825  0.757  0.910
    morphemes                        0.823  0.757  0.904
    bigrams                          0.796  0.728  0.881
    RRF of the two separate BM25s    0.811  0.739  0.901
    passages = paragraphs (433): default 0.954, morphemes 0.951, bigrams 0.935 (MRR)

The margin over morphemes alone is small, and costs three times as many terms per passage (372
against 126 on the paragraphs). Bigrams are kept because they should also rescue matches that
Kiwi segments differently in question and passage (rare names, OCR-garbled words), which this
clean text does not measure.

Since then, each two nouns side by side also make a term (``열람+좌석``: ``noun_pairs``), and a
question's closing request (``알려 주세요``) and the syllables of its particles are left out of
its terms (``query_terms``); measured with ``bench.retrieval`` (KorQuAD text recall@1 0.961
either way; a template's scanned paragraph that says the question's phrase now outranks one
that holds its words apart).

Kiwi takes about a second and some memory to construct, so there is one instance per process,
built on first use (and rebuilt after a fork, since its worker threads do not survive one).
Batch calls use Kiwi's multi-threaded batch API. On two shared cores: 93k characters/s (47k
morphemes/s) against 69k one text at a time when the cores were quiet; 42-54k characters/s
either way when other processes kept them busy.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kiwipiepy is imported lazily: importing this module must stay cheap
    from kiwipiepy import Kiwi, KiwiConfig, Token

BIGRAM_PREFIX = "\u00b7"  # middle dot: not produced by Kiwi for content morphemes

# Kiwi tag (the part before "-", e.g. "VA-I" -> "VA") -> keep as a term.
CONTENT_TAGS = frozenset(
    {
        "NNG",  # common noun
        "NNP",  # proper noun
        "NNB",  # bound noun (년, 원, 개): carries units next to numbers
        "NR",  # numeral (억, 만)
        "NP",  # pronoun
        "VV",  # verb stem
        "VA",  # adjective stem
        "XR",  # root
        "MAG",  # general adverb
        "SL",  # Latin word
        "SH",  # hanja
        "SN",  # number
        "W_URL",
        "W_EMAIL",
        "W_HASHTAG",
        "W_MENTION",
        "W_SERIAL",
    }
)

# Question words: they say what is asked, not what the answer's passage contains, and a rare
# one ("가운데", "among") outranked the passage that answers (bench.retrieval). Dropped from
# queries only, with the bigrams they would make.
QUERY_STOPWORDS = frozenset({"얼마", "얼마나", "무엇", "누구", "언제", "어디", "어떻", "어떠", "왜",
                             "가운데"})

# "Tell me" verbs: ``X를 알려 주세요`` asks what ``X는?`` asks; the request says nothing a text
# holds, and its words matched passages that happen to use them (알리, 주세요).
REQUEST_VERBS = frozenset({"알리", "보이", "가르치", "말하"})

# Noun pairs (``noun_pairs``): tags that pair, and what joins the two forms (never in a noun).
PAIR_TAGS = frozenset({"NNG", "NNP"})
PAIR_JOINER = "+"
# A word's stem (``word_stems``) ends on one of these: a noun, a noun suffix (``보급률``) or a root.
STEM_END_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "XSN", "XR"})

_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]{2,}")
_WORD = re.compile(r"\S+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")

_lock = threading.Lock()
_kiwi: Kiwi | None = None
_kiwi_pid: int | None = None


def get_kiwi() -> Kiwi:
    """The process's Kiwi instance, built on first use (and again in a forked child)."""
    global _kiwi, _kiwi_pid
    pid = os.getpid()
    if _kiwi is None or _kiwi_pid != pid:
        with _lock:
            if _kiwi is None or _kiwi_pid != pid:
                from kiwipiepy import Kiwi

                # Without the multi-word proper-noun dictionary (WikiData names such as
                # "더글러스 맥아더" as one morpheme): loading it was 1.9 s of the 3.1 s that
                # Kiwi costs the first answer of a fresh process, and each word of such a name
                # is a term of its own without it (KorQuAD F1 0.654 with it, 0.657 without).
                _kiwi = Kiwi(load_multi_dict=False)
                _kiwi_pid = pid
    return _kiwi


# OCR splits words (``농 도는``, ``물 질 안 전``); a reader tolerates one space inside a
# morpheme when that reads better, at a small cost. Offsets stay those of the text, so spans
# still map onto word boxes. The index keeps the strict analyser: its terms must not change
# under collections already indexed. The reader passes this as a per-call config to the one
# Kiwi, since a second instance cost another second and a half on the first answer.
READER_SPACE_TOLERANCE = 1
READER_SPACE_PENALTY = 1.0


def reader_config() -> KiwiConfig:
    """The shared Kiwi's settings with the reader's tolerance of spaces inside morphemes."""
    return dataclasses.replace(get_kiwi().global_config, space_tolerance=READER_SPACE_TOLERANCE,
                               space_penalty=READER_SPACE_PENALTY)


def normalize_number(form: str) -> str:
    """``3,450`` -> ``3450``; ``1,234.5`` -> ``1234.5``; other forms unchanged."""
    return _THOUSANDS.sub("", form)


def bigrams(text: str) -> list[str]:
    """Character bigrams of each Hangul run; a one-syllable run is kept whole.

    Runs stop at anything that is not a Hangul syllable, so no bigram spans a space or a digit.
    """
    out: list[str] = []
    for run in _HANGUL_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def request_start(tokens: Sequence[Token]) -> int | None:
    """The index of the token where a closing request (``알려 주세요``, ``말해 줘``, ``보여
    주시겠어요?``) begins, or None: a telling verb, its connective ending, the auxiliary 주 and
    nothing after but endings and punctuation. Works on Kiwi's tokens and on any with
    ``form`` and ``tag``."""
    tags = [t.tag.split("-", 1)[0] for t in tokens]
    for j in range(2, len(tokens)):
        if tokens[j].form != "주" or tags[j] != "VX" or tags[j - 1] != "EC":
            continue
        if not all(tag.startswith(("E", "S")) for tag in tags[j + 1:]):
            return None
        verb = j - 2
        if tags[verb] == "XSV" and verb > 0 and tokens[verb - 1].form + tokens[verb].form in REQUEST_VERBS:
            verb -= 1  # 말 + 하
        elif not (tags[verb] == "VV" and tokens[verb].form in REQUEST_VERBS):
            return None
        return verb or None  # a request and nothing else asks nothing we could drop
    return None


def _content_terms(tokens: Iterable[Token]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        tag = tok.tag.split("-", 1)[0]
        if tag not in CONTENT_TAGS:
            continue
        if tag == "SN":
            out.append(normalize_number(tok.form))
        elif tag == "SL":
            out.append(tok.form.lower())
        else:
            out.append(tok.form)
    return out


def noun_pairs(tokens: Sequence[Token], skip: frozenset[str] = frozenset()) -> list[str]:
    """``열람+좌석`` for each two nouns in a row (``PAIR_TAGS``; a space between them or none).

    A question's noun phrase said as a phrase is stronger evidence than its words scattered:
    ``열람 좌석은 53석`` answers "열람 좌석은?", ``열람 공간을 고치고 ... 좌석을 늘릴`` does not,
    and both hold the two words (bench.retrieval). Kiwi gives every non-space character a
    token, so neighbours in the list have nothing but spaces between them. ``skip``: forms
    that pair with nothing (a query's question words)."""
    out: list[str] = []
    for a, b in zip(tokens, tokens[1:], strict=False):
        if a.tag in PAIR_TAGS and b.tag in PAIR_TAGS and a.form not in skip and b.form not in skip:
            out.append(f"{a.form}{PAIR_JOINER}{b.form}")
    return out


def word_stems(text: str, tokens: Sequence[Token]) -> list[str]:
    """The written stem of each word Kiwi cut into several morphemes: the word less its
    trailing particles and punctuation, when what is left ends on a noun and is all Hangul.

    Kiwi cuts the same written word differently by what surrounds it, and names worst: a
    title's ``늘봄군`` is one noun in one crop's context and ``늘`` + ``봄`` + ``군`` in
    another's, ``미리내군의`` reads as an adverb, a verb, an ending and a noun. Their
    morphemes then miss each other, and the word as written is the term both sides share
    (bench.retrieval). A word Kiwi keeps whole is already its own morpheme."""
    out: list[str] = []
    i = 0
    for word in _WORD.finditer(text):
        inside = []
        while i < len(tokens) and tokens[i].start < word.end():
            if tokens[i].start >= word.start():
                inside.append(tokens[i])
            i += 1
        while inside and inside[-1].tag.startswith(("J", "S")):
            inside.pop()
        if len(inside) < 2 or inside[-1].tag.split("-", 1)[0] not in STEM_END_TAGS:
            continue
        stem = text[word.start(): inside[-1].start + inside[-1].len]
        if _HANGUL_WORD.fullmatch(stem):
            out.append(stem)
    return out


class KoreanAnalyzer:
    """Content morphemes (and optional Hangul bigrams) of Korean/English text.

    Cheap to construct: all instances share the process's Kiwi.
    """

    def terms(self, text: str) -> list[str]:
        """Content morphemes of one text, in order, with repeats."""
        if not text.strip():
            return []
        return _content_terms(get_kiwi().tokenize(text))

    def terms_batch(self, texts: list[str]) -> list[list[str]]:
        """``terms`` of many texts through Kiwi's batch API (parallel, much faster)."""
        return [_content_terms(tokens) for tokens in self._iter_tokens(texts)]

    def bigrams(self, text: str) -> list[str]:
        """Hangul character bigrams of ``text`` (see the module function)."""
        return bigrams(text)

    def index_terms(self, text: str) -> list[str]:
        """The default BM25 terms: morphemes, noun pairs, then prefixed Hangul bigrams."""
        return _index_terms(text, get_kiwi().tokenize(text) if text.strip() else [])

    def query_terms(self, text: str) -> list[str]:
        """``index_terms`` of a question, without its question words (``QUERY_STOPWORDS``)
        and a closing request (``알려 주세요``: ``request_start``); its bigrams leave out the
        syllables of particles."""
        if not text.strip():
            return []
        tokens = get_kiwi().tokenize(text)
        request = request_start(tokens)
        if request is not None:
            text = text[: tokens[request].start]
            tokens = tokens[:request]
        kept = [t for t in tokens if t.form not in QUERY_STOPWORDS]
        masked = list(text)
        for t in tokens:
            # a particle's syllable makes a bigram of the question's phrasing, not of what it
            # asks: "좌석을" met "좌석을 늘릴" rather than "좌석은 53석" (bench.retrieval)
            if t.form in QUERY_STOPWORDS or t.tag.startswith("J"):
                masked[t.start : t.start + t.len] = " " * t.len
        return (_content_terms(kept) + noun_pairs(tokens, QUERY_STOPWORDS)
                + word_stems(text, tokens) + _prefixed_bigrams("".join(masked)))

    def query_terms_batch(self, texts: list[str]) -> list[list[str]]:
        return [self.query_terms(t) for t in texts]

    def index_terms_batch(self, texts: list[str]) -> list[list[str]]:
        """``index_terms`` of many texts; use the same function for documents and queries."""
        return [_index_terms(text, tokens) for text, tokens in zip(texts, self._iter_tokens(texts), strict=True)]

    def _iter_tokens(self, texts: list[str]) -> Iterator[list[Token]]:
        if isinstance(texts, str):
            raise TypeError("terms_batch takes a list of texts, not a single string")
        # Kiwi rejects empty batches and gains nothing from blank texts: skip them.
        nonblank = [i for i, t in enumerate(texts) if t.strip()]
        results: dict[int, list[Token]] = {}
        if nonblank:
            analysed = get_kiwi().tokenize([texts[i] for i in nonblank])
            results = dict(zip(nonblank, analysed, strict=True))
        for i in range(len(texts)):
            yield results.get(i, [])


def _index_terms(text: str, tokens: Sequence[Token]) -> list[str]:
    """What ``index_terms`` and ``index_terms_batch`` make of one analysed text."""
    return _content_terms(tokens) + noun_pairs(tokens) + word_stems(text, tokens) + _prefixed_bigrams(text)


def _prefixed_bigrams(text: str) -> list[str]:
    return [BIGRAM_PREFIX + b for b in bigrams(text)]

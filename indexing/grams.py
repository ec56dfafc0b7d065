"""Character n-grams of a title, for matching a question to a document by name despite OCR.

A scan's OCR splits or joins words where the print did not ("가 람병원" for "가람병원", "한빛
전자" for "한빛전자") and misreads a character now and then, so the analyser's terms of a title
(``indexing.tokenize``) and of a question naming the same entity often share nothing. Their
character n-grams, taken with every space and punctuation mark removed, still share most of
theirs: a split word loses none, a misread character only the n-grams that cover it.

``char_grams`` is what a document unit stores of its title (``indexing.passages``) and what a
question is matched with (``indexing.search``, ``Fusion.title``): BM25 over these n-grams ranks
the documents whose title the question names; n-grams every title of a collection shares (a
template's "운영 보고서") weigh little there, the entity's own weigh most.
"""

from __future__ import annotations

import unicodedata

GRAM_SIZES = (2, 3)


def squash(text: str) -> str:
    """``text`` in NFKC, case-folded, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def char_grams(text: str, sizes: tuple[int, ...] = GRAM_SIZES) -> list[str]:
    """The character n-grams of ``squash(text)`` for each size, in order (repeats kept); a text
    shorter than the smallest size is its own one gram."""
    s = squash(text)
    if not s:
        return []
    out = [s[i: i + n] for n in sizes for i in range(len(s) - n + 1)]
    return out or [s]

"""Is a reading supported by its evidence? Checked in code, whatever produced the reading.

A reading holds when its answer (the span, or each number of a series) occurs in the crop's
own text or table cells, every cited box lies inside the crop (a small margin allowed; the
other parts of a table that crosses pages are cited whole, each on its own page), a
sub-question that names an entity finds it in the crop's document (title, headings, text),
and a numeric sub-question got a number. A model's answer that fails is not repaired: the
next reading is tried.
"""

from __future__ import annotations

import re
from functools import lru_cache

from docagent.agent.evidence import Candidate
from docagent.agent.state import Reading, SubQuestion
from indexing.geometry import Box
from vlm.extractive.name_shapes import korean_name
from vlm.extractive.question import analyse_question

MARGIN_PT = 3.0
_LEADING_OWNER = re.compile(r"^\s*(?:\S+\s+){0,2}?([가-힣A-Za-z][가-힣A-Za-z0-9]{1,30})의\s")
_NAME_WORD = re.compile(r"[가-힣A-Za-z]{2,30}")
_HANGUL_WORD = re.compile(r"[가-힣]+")
_DATING = frozenset({"기준", "현재", "당시", "연말", "말"})  # 2001년 기준: when, not whose
_POINTING = frozenset({"이", "본", "해당", "그", "동"})  # 이 법안의, 본 보고서의: the document itself
# "어떤 사건의", "다른 후보의": the owner is what is asked or any one, not a name
_DETERMINERS = frozenset({"어떤", "어느", "무슨", "다른", "모든", "각", "여러", "몇몇"})
_PRONOUNS = frozenset({"자신", "자신들", "자기", "그들", "이들", "그녀", "우리", "저희", "모두"})
_GENERIC = frozenset({"사람", "상대", "인물", "그림", "표", "차트", "그래프", "문서", "보고서", "회사", "기업", "도시",
                      "나라", "국가", "학교", "병원", "펀드", "제품", "이름", "당시", "이후", "이전", "최초", "처음",
                      # question words: "누구의 보수당", "무엇의 약자" name nobody
                      "누구", "무엇", "어디", "언제", "어느", "어떤", "무슨", "몇", "얼마"})
# a question word glued to its noun (몇개의 코너, 어느나라의 국경, 얼마만큼의) names nobody either
_ASKING = ("누구", "무엇", "어디", "어느", "어떤", "무슨", "몇", "얼마")
# a particle Kiwi left on a name it did not know (송요찬이, 빅뱅이): the name is without it
_TRAILING_PARTICLE = re.compile(r"(?<=[가-힣]{2})(?:이|가|은|는|을|를|와|과|도|에게|에서|에)$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _squash(text: str) -> str:
    return "".join(text.split()).replace(",", "")


def _haystack(c: Candidate) -> str:
    cells = " ".join(cell.text for cell in c.crop.table.cells) if c.crop.table else ""
    words = " ".join(w.text for w in c.crop.words)
    return _squash(" ".join((c.crop.text, cells, words)))


def _inside(b: list[float], crop: Box) -> bool:
    return (b[0] >= crop.x0 - MARGIN_PT and b[1] >= crop.y0 - MARGIN_PT
            and b[2] <= crop.x1 + MARGIN_PT and b[3] <= crop.y1 + MARGIN_PT and b[2] > b[0] and b[3] > b[1])


def check(reading: Reading, sub: SubQuestion, c: Candidate, numeric: bool,
          document: str = "") -> str:
    """``""`` when the reading is supported, else why not (for the step log). ``document``:
    the text of the crop's whole document, where a name the question gives may be written
    (an article names 북한 in one paragraph and answers in the next); years must still be in
    the crop or its title."""
    if not reading.text and not reading.values:
        return reading.note or "no answer in this crop"
    hay = _haystack(c)
    if reading.values:
        missing = [v.text for v in reading.values if _squash(v.text).lstrip("-−△") not in hay]
        if missing:
            return f"{', '.join(missing)} not in the crop's text"
    elif _squash(reading.text) not in hay:
        return f"{reading.text!r} not in the crop's text"
    if numeric and not reading.values:
        return f"{reading.text!r} is not a number"
    crop = c.box
    for cite in reading.citations:
        if not _inside(cite.bbox, crop):
            return f"box {cite.bbox} lies outside the crop {c.result['bbox']}"
    stored = {(p.crop_id, p.page, tuple(p.bbox)) for p in c.parts}
    for part in reading.parts:  # the table's other pages: cited whole, as stored
        if (part.crop_id, part.page, tuple(part.bbox)) not in stored:
            return f"box {part.bbox} on p.{part.page} is no part of this crop's table"
    named = _squash(c.context) + hay
    if sub.entity and _squash(sub.entity) not in named \
            and not any(f in named for f in scanned_forms(_squash(sub.entity), sub.text)):
        return not_named(sub.entity, c.result["filename"])
    for year in sub_years(sub):
        if year not in named:
            return f"{year} is not in this crop or its document's title"
    named += _squash(_GLOSS.sub("", c.crop.text))
    document = document_key(document)
    for name in proper_nouns(sub.text):
        name = _squash(name)
        if not _named(name, named) and not _in_document(name.casefold(), document):
            written = spelt_otherwise(_TRAILING_PARTICLE.sub("", name), named + document)
            scanned = next((f for f in scanned_forms(name, sub.text)
                            if f in named or f.casefold() in document), None)
            if written is None and scanned is None:
                return not_named(name, c.result["filename"])
            read_as = (f"질문의 '{name}'은 문서에 '{written}'(으)로 쓰여 있습니다" if written else
                       f"질문의 '{name}'은 스캔에서 '{scanned}'(으)로 읽혔습니다 (OCR 모델이 쓸 수 없는 글자는 읽지 못함)")
            reading.note = f"{reading.note}; {read_as}" if reading.note else read_as
    return ""


def spelt_otherwise(name: str, text: str) -> str | None:
    """How ``text`` writes a name that the question misspells by one letter of one syllable
    (헤리슨 for 해리슨, 뉘르루르크링 for 뉘르부르크링), or None. Only names of three Hangul
    syllables or more that do not read as a Korean person's name: 김민수 and 김민서 are two
    people, and a two-syllable name a letter apart is another word."""
    if len(name) < 3 or not _HANGUL_WORD.fullmatch(name) or korean_name(name):
        return None
    half = len(name) // 2
    for part, offset in ((name[:half], 0), (name[half:], half)):  # one half is spelt right
        at = text.find(part)
        while at >= 0:
            start = at - offset
            window = text[start:start + len(name)] if start >= 0 else ""
            if len(window) == len(name) and _one_letter_apart(name, window):
                return window
            at = text.find(part, at + 1)
    return None


def scanned_forms(name: str, question: str) -> list[str]:
    """How a scan holds a name (spaces out) with syllables the OCR model cannot write: each
    of them as the mark OCR writes for a square it could not read (``솔뫼군`` -> ``솔\ufffd군``,
    :mod:`indexing.ocr_unsure`). Where fewer than two syllables are left readable, the rest of
    the question's word or its next word goes with them (``꽃뫼 시립도서관`` ->
    ``꽃\ufffd시립도서관``): one syllable and a mark name nobody."""
    from indexing.ocr_charset import UNREAD, unreadable  # reads the OCR model's file, once

    missing = set(unreadable(name))
    if not missing:
        return []
    form = "".join(UNREAD if ch in missing else ch for ch in name)
    if _syllables(form) >= 2:
        return [form]
    m = re.search(re.escape(name) + r"(\S*)(?:\s+(\S+))?", _squash_spaces(question))
    tail = (m.group(1) or m.group(2) or "") if m and _syllables(form) else ""
    tail = _POSSESSIVE.sub("", _TRAILING_PARTICLE.sub("", tail))
    return [form + tail] if tail and _syllables(form + tail) >= 2 else []


def _syllables(text: str) -> int:
    return sum("가" <= ch <= "힣" for ch in text)


def _squash_spaces(text: str) -> str:
    return " ".join(text.split())


_POSSESSIVE = re.compile(r"(?<=[가-힣])의$")


def _one_letter_apart(a: str, b: str) -> bool:
    """Same length, one syllable different, and that syllable by one jamo (initial, vowel or
    final consonant)."""
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(diff) != 1 or not all("가" <= ch <= "힣" for ch in diff[0]):
        return False
    x, y = (ord(ch) - 0xAC00 for ch in diff[0])
    parts = ((x // 588, y // 588), (x // 28 % 21, y // 28 % 21), (x % 28, y % 28))
    return sum(p != q for p, q in parts) == 1


# A gloss in brackets after a word (송(宋)나라, 우니쉬(Unish)): the question writes the word without it.
_GLOSS = re.compile(r"\([^()]{1,30}\)")
# Names a question shortens that documents write in full, and the reverse.
_ALIASES = {
    "한국": ("대한민국", "남한"), "남한": ("대한민국",), "대한민국": ("한국",),
    "북한": ("조선민주주의인민공화국", "북조선"), "북조선": ("조선민주주의인민공화국", "북한"),
    "조선민주주의인민공화국": ("북한", "북조선"), "미국": ("미합중국",), "중국": ("중화인민공화국",),
}


@lru_cache(maxsize=16)
def document_key(text: str) -> str:
    """A document's text as names are looked for in it: spaces out, casefolded, and again
    without its glosses. Cached: every reading of a verify round checks the same few
    documents, each its whole text."""
    return _squash(text + " " + _GLOSS.sub("", text)).casefold()


def _in_document(name: str, document: str) -> bool:
    """The name (casefolded, spaces out) in the document, without a particle Kiwi left on it,
    or under another name for the same country."""
    bare = _TRAILING_PARTICLE.sub("", name)
    return name in document or bare in document or any(a in document for a in _ALIASES.get(bare, ()))


def not_named(name: str, filename: str) -> str:
    """Why a crop does not do for a name; a name with a syllable the OCR model cannot write
    says so, since a scan of the document cannot hold it as written."""
    from indexing.ocr_charset import unreadable  # reads the OCR model's file, once

    reason = f"{name} is not named in {filename}"
    missing = unreadable(name)
    if missing:
        reason += (f"; the Korean OCR model cannot write {', '.join(missing)}, so a scanned page "
                   "holds the name spelt otherwise")
    return reason


def document_texts(candidates: list[Candidate]) -> dict[str, str]:
    """The retrieved crops' own text joined per document id (what ``check`` calls
    ``document``)."""
    out: dict[str, list[str]] = {}
    for c in candidates:
        out.setdefault(str(c.result.get("document_id")), []).append(_haystack(c))
    return {doc: " ".join(texts) for doc, texts in out.items()}


def sub_years(sub: SubQuestion) -> list[str]:
    """The years a sub-question asks about (a series' range is filtered, not required)."""
    if sub.series:
        return []
    return sorted({m.group(1) for m in _YEAR.finditer(sub.text)})


def proper_nouns(text: str) -> list[str]:
    """The question's names (Kiwi NNP, with nouns glued on: 한빛전자)."""
    q = analyse_question(text)
    # a name Kiwi took with its possessive (젯플로 절삭유의 점도): the name is without it
    names = {e[:-1] if len(e) > 2 and e.endswith("의") else e for e in q.entities if not e.isdigit()}
    names = {n for n in names if n not in _GENERIC and not n.startswith(_ASKING)}
    m = _LEADING_OWNER.match(text)
    if m and set(text[:m.start(1)].split()[-1:]) & (_POINTING | _DETERMINERS):
        m = None  # "이 법안의 제안 이유", "어떤 사건의 여파": no one is named
    if m and _owner_word(m.group(1)):
        names.add(m.group(1))  # "가공학교의 ...": whose value is asked, even when Kiwi does not tag it
        names.update(owner_words(text[:m.start(1)]))
    return sorted(names)


def _names_no_one(word: str) -> bool:
    """A generic noun, a pronoun or a date word: no part of a name."""
    return word in _GENERIC or word in _PRONOUNS or word.endswith(("년", "월", "일"))


def _owner_word(word: str) -> bool:
    """Whether the word before a possessive names someone: not a year or date, a generic
    noun, a question word, a pronoun (자신들의), or a word ending in a particle (후보들과의)."""
    if _YEAR.match(word) or _names_no_one(word) or word.startswith(_ASKING):
        return False
    last = analyse_question(word).tokens[-1:]
    return not (last and last[0].tag.startswith("J"))


def owner_words(text: str) -> list[str]:
    """The words of a name before the owner's last word (``text`` ends there): up to two plain
    words, neither dates (2001년, 기준) nor words with a particle on them. Each must be found
    too: in "바람개비 도서관의" the last word alone is in every library's report, and a question
    about a library no report names was answered from another one."""
    out: list[str] = []
    for word in reversed(text.split()):
        if len(out) == 2 or not _plain_word(word):
            break
        out.insert(0, word)
    return out


def _plain_word(word: str) -> bool:
    """A word that can be part of a name: nouns only (not 귀국했을때, not 도서관이)."""
    if not _NAME_WORD.fullmatch(word) or _names_no_one(word) or word in _DATING or word in _DETERMINERS:
        return False
    return all(t.tag.startswith(("N", "S", "XS", "XP")) for t in analyse_question(word).tokens)


def _named(name: str, hay: str) -> bool:
    """The name in the text (letters in any case, or without a particle Kiwi left on it), or
    three quarters of its character bigrams (a spacing or a particle apart); the shared ending
    of names alike (병원, 전자) is not enough alone."""
    name, hay = name.casefold(), hay.casefold()  # jtbc, JTBC
    bare = _TRAILING_PARTICLE.sub("", name)
    if name in hay or bare in hay:
        return True
    grams = {name[i:i + 2] for i in range(len(name) - 1)}
    return len(grams) >= 3 and sum(g in hay for g in grams) >= 0.75 * len(grams)

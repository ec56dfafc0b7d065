"""Answer candidates in a sentence: quantities, noun phrases, quoted titles, reason clauses.

Each candidate carries how well it fits the expected answer type (``type_score``; 0 drops it).
Noun phrases are runs of nominal morphemes, trimmed of bound nouns and connective nouns
(이후, 당시, 대비) at their edges, and offered whole and as every run of their words, so that
the scorer in ``spans`` can choose ``학생회관 건물 계단`` out of ``경희대학교 학생회관 건물 계단``.

A quantity is a unit of its own: no noun phrase cuts one (``3,450억`` of ``3,450억 원``, ``대비
12.5`` of ``대비 12.5%``) or repeats one alone (the quantity candidate types it by its kind).
A phrase led by a year or date (``2023년 회사``, ``2011년 시리아 혁명``) may name a thing but
never counts one. A figure the question states is never offered for it, nor, for number, date
and year questions, a phrase containing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vlm.extractive.morph import EN_STOPWORDS, Sentence, Token
from vlm.extractive.numbers import (
    NUMERIC_KINDS,
    TEMPORAL_KINDS,
    Quantity,
    QuantityKind,
    find_quantities,
)
from vlm.extractive.phrases import word_runs
from vlm.extractive.question import AnswerType, Question

_CHUNK_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XSN", "XPN", "XR"})
PLACE_SUFFIXES = ("시", "도", "군", "구", "동", "읍", "면", "리", "국", "섬", "산", "강", "역",
                   "대학교", "학교", "공항", "항", "궁", "성", "주", "현", "관", "청")
# A quotation opens on an opening mark and closes on a closing one: with either kind at either
# end, a quotation too long to match left its closing mark to open what follows it (”이라며 “).
_QUOTED = re.compile(r"[\"'“‘「『《〈<]([^\"“”'‘’「」『』《》〈〉<>]{1,40})[\"'”’」』》〉>]")
# Title brackets pair up, so what they enclose may hold an apostrophe (《Let's Talk About Love》).
_BRACKETED = re.compile(r"《([^《》]{1,60})》|〈([^〈〉]{1,60})〉|「([^「」]{1,60})」|『([^『』]{1,60})』")
# "..., X 때문에" / "X를 위해": the clause before the marker states the reason or purpose.
_REASON = re.compile(r"(?:기\s*)?(?:때문|위해|위하여|인해|인하여|덕분|탓)")
_COUNTER_NNB = frozenset({"명", "개", "년", "월", "일", "대", "회", "차", "번", "세", "살", "권",
                          "위", "호", "층", "시", "분", "초", "원", "배", "곳", "가지", "년대",
                          "군데", "킬로미터", "미터", "킬로그램", "톤", "달러", "퍼센트", "주년"})
# Nouns that place or connect rather than name (이후, 반면, 당시, 전년 대비): never an
# answer's edge.
_STOP_NOUNS = frozenset({
    "이후", "이전", "반면", "때", "당시", "아래", "위", "후", "전", "중", "현재", "이번", "최근",
    "경우", "정도", "가운데", "사이", "뒤", "앞", "다음", "이상", "이하", "대신", "자신", "동안",
    "처음", "마지막", "결과", "이후로", "사실", "오늘", "지금", "일부", "모두", "전체", "대부분",
    "외", "내", "속", "간", "측", "말", "초", "말기", "초기", "중기", "직후", "직전", "이래",
    "대비", "전년", "전년도", "작년", "지난해", "올해", "금년", "내년", "이듬해", "전월", "전날",
})


_EN_GENERIC = frozenset({"inc.", "inc", "co.", "ltd.", "ltd", "corp.", "corp", "llc", "plc", "it",
                         "its", "one", "year", "people", "company"})
_QUANTITY_TYPES = frozenset({AnswerType.NUMBER, AnswerType.DATE, AnswerType.YEAR})
TITLES = frozenset({"간사", "시장", "대통령", "의원", "장관", "총리", "교수", "박사", "감독", "선수",
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
    kind: str  # "quantity:<kind>", "entity", "noun", "quoted", "reason", "numbered", "dated",
    # "words" (a run of whole words a noun chunk does not make, ``phrases.word_runs``)


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


def chunk_token(tok: Token) -> bool:
    """Tokens a noun phrase is made of; English function words (by, in, the) end one."""
    if tok.tag == "SL":
        return tok.form.lower().strip(".,") not in EN_STOPWORDS
    return tok.tag in _CHUNK_TAGS


def _named(tok: Token, english: bool) -> bool:
    """A name: Kiwi's proper noun, or a capitalised word of an English sentence (in Korean
    text, Latin words are mostly acronyms and terms: IT, HMD)."""
    return tok.tag == "NNP" or (english and tok.tag == "SL" and tok.form[:1].isupper())


def _noun_chunks(sent: Sentence) -> list[tuple[int, int]]:
    toks = sent.tokens
    chunks, i = [], 0
    while i < len(toks):
        if not chunk_token(toks[i]):
            i += 1
            continue
        j = i
        while j + 1 < len(toks):
            if chunk_token(toks[j + 1]) and not toks[j].form.endswith(","):
                j += 1
            elif _joined(toks, j + 1):
                j += 2
            else:
                break
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


_JOINERS = frozenset({"-", "!", "&", "+"})


def _joined(toks: tuple[Token, ...], i: int) -> bool:
    """Whether ``toks[i]`` is a mark set between two parts of one name with no space either
    side (마이르-하팅, E!Online, KH-2); a figure after it joins only a Latin name or a figure
    (``NHL규격-200 ft`` sets a size apart)."""
    if i + 1 >= len(toks) or toks[i].form not in _JOINERS or not chunk_token(toks[i + 1]):
        return False
    if toks[i + 1].tag == "SN" and toks[i - 1].tag not in ("SL", "SN"):
        return False
    return toks[i - 1].end == toks[i].start and toks[i].end == toks[i + 1].start


def _token_range(sent: Sentence, start: int, end: int) -> tuple[int, int] | None:
    idx = [k for k, t in enumerate(sent.tokens) if t.end > start and t.start < end]
    return (idx[0], idx[-1]) if idx else None


def _type_score(q: Question, kind: str, has_nnp: bool, surface: str, unit: str = "") -> float:
    """How well a candidate fits the expected answer type (0 = not allowed); ``unit`` is a
    quantity's unit."""
    t = q.answer_type
    if kind.startswith("quantity:"):
        qk = QuantityKind(kind.split(":", 1)[1])
        if t == AnswerType.NUMBER:
            if qk not in NUMERIC_KINDS:  # 19세기 answers 몇 세기, never 얼마
                return 0.0 if q.amount else 0.15
            # a bare figure (400조) leaves its unit to the context; a counted one (22명) does not
            fits = q.measure is None or qk == q.measure or (qk == QuantityKind.NUMBER and not unit)
            return 1.0 if fits else 0.8
        if t == AnswerType.DATE:
            if qk == QuantityKind.DURATION or surface.endswith("일"):
                return 0.5  # 며칠: a number of days
            return {QuantityKind.DATE: 1.0, QuantityKind.TIME: 0.8, QuantityKind.YEAR: 0.8}.get(qk, 0.0)
        if t == AnswerType.YEAR:
            # "징역 몇 년을" asks a number of years (12년) as often as "몇 년에" a year; a
            # question that names the year it asks (해는 몇 년인가, 몇 년도) wants a year
            years = q.unit == "년" and q.head not in ("해", "연도", "년도")
            return {QuantityKind.YEAR: 1.0, QuantityKind.DURATION: 0.4 if years else 0.0}.get(qk, 0.0)
        if t in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.REASON):
            return 0.0
        if t == AnswerType.SPAN and not q.head and any(
                qq.kind not in TEMPORAL_KINDS for qq in q.quantities):
            return 0.0  # "12.5% 증가한 것은?" gives the figure and asks what it is of
        return 0.35
    if kind == "numbered":  # a number-led noun phrase: 250만 평방 킬로미터, 2국가 해법
        return {AnswerType.NUMBER: 0.9, AnswerType.SPAN: 0.4}.get(t, 0.0)
    if kind == "dated":  # a noun phrase after a year or date: 2011년 시리아 혁명
        return 0.4 if t == AnswerType.SPAN else 0.0
    if t in (AnswerType.NUMBER, AnswerType.DATE, AnswerType.YEAR):
        return 0.0
    if t == AnswerType.REASON:
        return 0.9 if kind == "reason" else 0.0
    if t == AnswerType.PERSON:
        return 1.0 if has_nnp else 0.45
    if t == AnswerType.PLACE:
        bonus = 0.15 if surface.endswith(PLACE_SUFFIXES) else 0.0
        return (0.85 if has_nnp else 0.45) + bonus
    if kind == "quoted":
        return 0.85
    return 0.7 if has_nnp else 0.6


def candidates(q: Question, sent: Sentence, text: str) -> list[Candidate]:
    """Every candidate answer in ``sent`` (offsets into ``text``) that fits ``q``'s type."""
    toks = sent.tokens
    ends = {t.end for t in toks}
    out: list[Candidate] = []
    given = {qq.key for qq in q.quantities}
    quantities: list[tuple[int, int, Quantity]] = []  # offsets into text
    for qty in find_quantities(sent.text):
        s, e = sent.start + qty.start, sent.start + qty.end
        if e not in ends:
            continue  # "250만 평" out of "250만 평방": the unit is part of a longer word
        rng = _token_range(sent, s, e)
        if rng is not None:
            quantities.append((s, e, qty))
            if qty.key not in given and not _glued(toks, rng[1], qty):
                out.extend(_quantity_candidates(q, qty, s, e, rng))
    english = 2 * sum(t.tag == "SL" for t in toks) > len(toks)
    for a, b in _noun_chunks(sent):
        words = _eojeols(toks, a, b)[:6]
        for i in range(len(words)):
            for j in range(i, len(words)):
                f, l_ = words[i][0], words[j][1]
                if _is_edge_stop(toks[f], _alone(toks, f)) or (
                        _is_edge_stop(toks[l_], _alone(toks, l_)) and toks[l_].form not in _COUNTER_NNB):
                    continue
                nxt = toks[l_ + 1] if l_ + 1 < len(toks) else None
                if nxt is not None and nxt.start == toks[l_].end and (
                        nxt.tag in ("XSV", "XSA") or (nxt.tag == "XSN" and nxt.form in ("적", "화"))):
                    continue  # 존재(하다), 발생(되다), 합리(적): an action or a quality, not a thing named
                if f == l_ and len(toks[f].form) == 1 and (
                        toks[f].tag not in ("NNP", "SL", "SH") or q.answer_type == AnswerType.PERSON):
                    continue  # 곳, 한; and 미 (미국) is no one's name
                if f == l_ and (toks[f].form in _GENERIC or toks[f].form.lower() in _EN_GENERIC):
                    continue
                c = _phrase(q, toks, text, f, l_, quantities, given, english)
                if c is not None:
                    out.append(c)
    seen = {(c.start, c.end) for c in out}
    for f, l_ in word_runs(sent):
        if (toks[f].start, toks[l_].end) in seen or _is_edge_stop(toks[f], _alone(toks, f)) or (
                toks[l_].tag != "XSN" and _is_edge_stop(toks[l_], _alone(toks, l_))):
            continue  # 전년 대비 12.5%: what opens or closes it is no part of a name
        c = _phrase(q, toks, text, f, l_, quantities, given, english, "words")
        if c is not None and (c.start, c.end) not in seen:
            seen.add((c.start, c.end))
            out.append(c)
    quoted = {(m.start(1), m.end(1)) for m in _QUOTED.finditer(sent.text)}
    quoted |= {m.span(g) for m in _BRACKETED.finditer(sent.text) for g in range(1, 5) if m.group(g)}
    for a, b in sorted(quoted):
        s, e = sent.start + a, sent.start + b
        rng = _token_range(sent, s, e)
        if rng is not None:
            out.append(Candidate(s, e, rng[0], rng[1], _type_score(q, "quoted", False, ""), "quoted"))
    if q.answer_type == AnswerType.REASON:
        out.extend(_reason_candidates(sent, text))
    return [c for c in out if c.type_score > 0]


def _phrase(q: Question, toks: tuple[Token, ...], text: str, f: int, l_: int,
            quantities: list[tuple[int, int, Quantity]], given: set, english: bool,
            kind: str = "") -> Candidate | None:
    """Tokens ``f..l_`` as a phrase candidate typed for ``q``, or None when the span cuts a
    quantity, repeats one the question gives, or is a quantity alone (offered as such).
    ``kind`` names where a span came from other than a noun chunk (``phrases``); it is typed
    as a chunk of the same words would be."""
    has_nnp = any(_named(toks[k], english) for k in range(f, l_ + 1))
    end = toks[l_].end
    if toks[l_].tag == "SL" and len(toks[l_].form) > 4 and toks[l_].form.endswith("."):
        end -= 1  # "California." ends a sentence; "Inc." keeps its period
    surface = text[toks[f].start:end]
    typed = "numbered" if toks[f].tag == "SN" else ("entity" if has_nnp else "noun")
    inside = _quantities_in(quantities, toks[f].start, end)
    if inside is None:
        return None  # 3,450억 of 3,450억 원, 대비 12.5 of 대비 12.5%: a cut quantity
    if q.answer_type in _QUANTITY_TYPES and any(qty.key in given for _, _, qty in inside):
        return None  # 2023년 회사 for "2023년 매출액은?": it repeats the question
    lead = inside[0] if inside and inside[0][0] == toks[f].start else None
    if lead is not None and lead[1] == end:
        return None  # the quantity alone: offered above, typed by its kind
    if lead is not None and lead[2].kind in TEMPORAL_KINDS:
        typed = "dated"  # 2023년 회사: a year before a noun dates it, not counts it
    ts = _type_score(q, typed, has_nnp, surface)
    if q.answer_type == AnswerType.REASON and typed != "numbered":
        ts = REASON_CAUSE if _cause_follows(toks, l_) else REASON_PHRASE
    if (q.answer_type == AnswerType.PLACE and f > 0
            and toks[f - 1].form.lower() in ("in", "at", "from", "near")):
        ts += 0.15  # "in Cupertino": English marks places with a preposition
    return Candidate(toks[f].start, end, f, l_, ts, kind or typed)


# "이유는?", "방법은?", "의미는?" are answered with a noun phrase as often as with a clause: the
# cause written as "기관지확장증으로 진단받아", "제비뽑기로", "... 때문에" most of all.
REASON_CAUSE, REASON_PHRASE = 0.8, 0.45
_CAUSE_WORDS = frozenset({"때문", "덕분", "탓", "인하", "의하"})


def _cause_follows(toks: tuple[Token, ...], last: int) -> bool:
    """Whether a phrase is marked as a cause or means: ``로``/``으로`` glued after it, or
    때문/덕분/탓/인하여 just after."""
    nxt = toks[last + 1] if last + 1 < len(toks) else None
    if nxt is not None and nxt.start == toks[last].end and nxt.tag == "JKB" and nxt.form in ("로", "으로"):
        return True
    return any(t.form in _CAUSE_WORDS for t in toks[last + 1:last + 4])


def _glued(toks: tuple[Token, ...], last: int, qty: Quantity) -> bool:
    """A quantity written together with the noun after it (``1랩에``, ``5%물가``) is part of a
    word: a counter the parser does not know, or a figure modifying that noun. Kiwi tags
    some particles after a symbol as nouns (``%의``), so a unit's one-syllable follower and
    approximations (``4번정도``) do not count."""
    nxt = toks[last + 1] if last + 1 < len(toks) else None
    if nxt is None or nxt.start > toks[last].end or nxt.tag not in ("NNG", "NNP", "SL"):
        return False
    return nxt.form not in _STOP_NOUNS and (not qty.unit or len(nxt.form) >= 2)


def _quantities_in(quantities: list[tuple[int, int, Quantity]], start: int,
                   end: int) -> list[tuple[int, int, Quantity]] | None:
    """The quantities lying within ``start``-``end``, or None when the span cuts one (takes
    its number without its unit, or its unit without its number)."""
    inside = []
    for s, e, qty in quantities:
        if s >= end or e <= start:
            continue
        if not (start <= s and e <= end):
            return None
        inside.append((s, e, qty))
    return inside


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
    out = [Candidate(s, e, rng[0], rng[1], _type_score(q, kind, False, qty.surface, qty.unit),
                     kind)]
    if q.answer_type == AnswerType.YEAR and qty.kind == QuantityKind.DATE and qty.date and qty.date[0]:
        cut = qty.surface.find("년")
        if cut > 0:  # 1989년 2월 15일 answers "몇 년" with 1989년
            out.append(Candidate(s, s + cut + 1, rng[0], rng[0] + 1, 0.95, "quantity:year"))
    return out

"""What a question asks for: its content terms and the type of answer it expects.

Korean questions end on their focus: ``... 파견된 인물은?`` (a person), ``... 인계된 곳은
어디인가?`` (a place), ``몇 명이 ...`` (a number). The type is decided by the question word or
the head noun nearest the end; the cue words themselves are removed from the content terms,
since documents state answers, not questions. A number question also names what it measures
(``매출액`` in ``2023년 매출액은 얼마인가?``), which says what kind of figure answers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from indexing.tokenize import request_start
from vlm.extractive.morph import TermHit, Token, terms_of, tokenize
from vlm.extractive.numbers import COUNTERS, Quantity, QuantityKind, find_quantities


class AnswerType(StrEnum):
    NUMBER = "number"   # 몇 명, 얼마, how many: a number with its unit
    DATE = "date"       # 언제, 날, when: a date or time
    YEAR = "year"       # 연도, 몇 년도, what year
    PERSON = "person"   # 누구, 인물, who
    PLACE = "place"     # 어디, 장소, where
    SPAN = "span"       # 무엇, 어떤, what: a noun phrase
    REASON = "reason"   # 왜, 이유, how, why: not a factoid; a sentence is an acceptable answer


FACTOID_TYPES = frozenset(AnswerType) - {AnswerType.REASON}

_WH = {
    "누구": AnswerType.PERSON, "누가": AnswerType.PERSON, "어디": AnswerType.PLACE,
    "언제": AnswerType.DATE, "며칠": AnswerType.DATE, "얼마": AnswerType.NUMBER,
    "무엇": AnswerType.SPAN, "뭐": AnswerType.SPAN, "무슨": AnswerType.SPAN,
    "어떤": AnswerType.SPAN, "어느": AnswerType.SPAN, "왜": AnswerType.REASON,
    "얼마나": AnswerType.NUMBER,
    "어떻": AnswerType.REASON, "어째서": AnswerType.REASON, "몇": AnswerType.NUMBER,
}
_HEADS: dict[AnswerType, tuple[str, ...]] = {
    AnswerType.PERSON: ("인물", "사람", "선수", "감독", "작가", "저자", "왕", "대통령", "주인공",
                        "배우", "가수", "작곡가", "화가", "학자", "장군", "황제", "인명", "대표",
                        "회장", "총리", "위원장", "설립자", "창업자", "주연"),
    AnswerType.PLACE: ("장소", "곳", "지역", "도시", "나라", "국가", "위치", "지명", "마을", "섬",
                       "대륙", "국적", "출신지", "고향"),
    AnswerType.DATE: ("날", "날짜", "일자", "시기", "때", "시점", "일시", "생일", "요일", "시각",
                      "생년월일", "출생일", "설립일", "기준일"),
    AnswerType.YEAR: ("연도", "년도", "해", "년", "설립연도"),
    AnswerType.NUMBER: ("수", "숫자", "인원", "금액", "액", "가격", "비율", "비중", "규모", "액수",
                        "점수", "거리", "높이", "길이", "나이", "기간", "횟수", "개수", "인구",
                        "매출", "매출액", "수익률", "값", "수치", "금리", "무게", "면적", "차례",
                        "순위", "갯수", "층수", "고도", "속도", "온도", "평균", "인구수",
                        "이익", "순이익", "영업이익", "손실", "자산", "부채", "자본", "비용",
                        "예산", "수익", "주가", "점유율", "성장률", "증가율", "감소율", "수량",
                        "총액", "잔액", "정원", "배당금", "시가총액", "임금", "연봉", "요금", "득표율"),
    AnswerType.REASON: ("이유", "원인", "방법", "까닭", "목적", "과정", "의미", "차이", "방식",
                        "배경", "계기"),
}
_HEAD_TYPE = {w: t for t, ws in _HEADS.items() for w in ws}
# Nouns that only frame a question (what kind of thing is asked for): never matched against
# text. Domain heads (매출액, 대통령, 인구) stay content terms because documents use them too.
_FRAME_NOUNS = frozenset({
    "이름", "명칭", "것", "무엇", "제목", "단어", "용어", "말", "인물", "사람", "장소", "곳",
    "위치", "날", "날짜", "일자", "시기", "때", "시점", "연도", "년도", "해", "수", "숫자", "값",
    "수치", "이유", "원인", "방법", "까닭", "목적", "얼마나",
})
_AMOUNT_ENDINGS = ("수", "률", "율", "액", "량", "개발비", "운영비", "인건비", "사업비", "관리비", "비용")
_NOT_AMOUNTS = frozenset({"가수", "교수", "선수", "목수", "투수", "포수", "기수", "후수", "호수",
                          "정수", "변수", "함수", "다수", "소수", "특수", "무수", "자율",
                          "효율", "법률", "규율", "선율", "음률", "역량", "도량"})
_PERSONISH = frozenset({"여자", "남자", "상대", "부인", "아내", "남편", "아들", "딸", "아버지",
                        "어머니", "동생", "형", "친구", "인물", "사람", "선수", "배우", "친형",
                        "누나", "언니", "오빠", "삼촌", "조카", "손자", "스승", "제자",
                        "후임", "전임", "후계자", "주인공", "작가", "감독"})

_HANGUL_RE = re.compile(r"[가-힣]")
_EN_RULES: list[tuple[re.Pattern[str], AnswerType]] = [
    (re.compile(r"\bhow (many|much)\b|\bwhat (percentage|share|amount|number)\b", re.I),
     AnswerType.NUMBER),
    (re.compile(r"\b(what|which|in what) year\b", re.I), AnswerType.YEAR),
    (re.compile(r"\bwhat\b.*\b(revenue|sales|price|cost|population|profit|income|amount|"
                r"rate|percentage|share|size|height|length|age|salary|budget|value)s?\b", re.I),
     AnswerType.NUMBER),
    (re.compile(r"\bwhen\b|\bwhat (date|day|time)\b", re.I), AnswerType.DATE),
    (re.compile(r"\bwho(m|se)?\b", re.I), AnswerType.PERSON),
    (re.compile(r"\bwhere\b", re.I), AnswerType.PLACE),
    (re.compile(r"\bwhy\b|\bhow\b|\bexplain\b|\bdescribe\b", re.I), AnswerType.REASON),
    (re.compile(r"\bwhat\b|\bwhich\b", re.I), AnswerType.SPAN),
]
_EN_CUES = frozenset({"year", "date", "day", "time", "amount", "number", "percentage", "share",
                      "name", "many", "much"})
# What an amount question measures, from the noun it asks about: 영업이익률 a rate, 매출액 and
# 추징금 a sum of money. Rates are tested first: 수익률 is a rate, 수익 a sum.
_RATE_ENDINGS = ("률", "율", "비율", "비중", "퍼센트", "보수")  # 총보수: a fund's fee, in %
_MONEY_ENDINGS = ("액", "금", "가격", "매출", "이익", "손실", "비용", "경비", "예산", "자산",
                  "부채", "자본", "수익", "임금", "연봉", "요금", "수지", "채무", "흑자", "적자",
                  "주가", "운임")
_CURRENCY_UNITS = frozenset({"원", "달러", "엔", "위안", "유로", "파운드"})
_EN_RATE = re.compile(r"\b(percentage|rate|share|margin|ratio)s?\b", re.I)
_EN_MONEY = re.compile(r"\b(revenue|sales|price|cost|profit|income|budget|salary|spending|"
                       r"earnings|turnover)s?\b", re.I)


@dataclass(slots=True)
class Question:
    """A question reduced to what matching needs."""

    text: str
    tokens: tuple[Token, ...]
    terms: list[TermHit]
    answer_type: AnswerType
    cue: str = ""                      # the word that decided the type ("" if none)
    focus: str = ""                    # the content term that modifies the cue (파견 in 파견된 인물)
    quantities: list[Quantity] = field(default_factory=list)
    head: str = ""                     # the asked-for noun: 대학교 in "나온 대학교는?"
    unit: str = ""                     # the counter after 몇 (명 in "몇 명이"), or a count's noun ends on
    words: set[str] = field(default_factory=set)  # every content term, frame nouns included
    particle: str = ""                 # the particle on the question word: 에서 in 어디에서
    # for a number: the noun it measures (매출액 in "2023년 매출액은 얼마인가?") and the kind of
    # figure that noun takes (MONEY; PERCENT for 영업이익률; None when it does not say)
    measured: str = ""
    measure: QuantityKind | None = None

    @property
    def amount(self) -> bool:
        """An amount is asked for (얼마, 매출액은?): a year or date never answers it."""
        return self.answer_type == AnswerType.NUMBER and (
            self.measure is not None or self.cue in ("얼마", "얼마나"))

    @property
    def factoid(self) -> bool:
        return self.answer_type in FACTOID_TYPES

    @property
    def entities(self) -> frozenset[str]:
        """Names and figures of the question: proper nouns (with the nouns glued to them:
        ``한빛전자`` from 한빛/NNP + 전자), numbers of two or more digits."""
        out = set()
        for h in self.terms:
            tok = self.tokens[h.index]
            if tok.tag == "NNP" and (h.term == tok.form or h.term.startswith(tok.form)):
                out.add(h.term)
            elif tok.tag == "SN" and len(h.term) >= 2 and h.term.isdigit():
                out.add(h.term)
        return frozenset(out)

    @property
    def term_set(self) -> set[str]:
        return {h.term for h in self.terms}


def _korean_type(tokens: tuple[Token, ...]) -> tuple[AnswerType | None, int, str]:
    """(type, token index of the cue, cue word): the last question word, or without one the
    head noun nearest the end."""
    best: tuple[AnswerType | None, int, str] = (None, -1, "")
    wh_found = False
    for i, tok in enumerate(tokens):
        form = tok.form
        if form in _WH and tok.tag in ("NP", "MM", "MAG", "NNG", "VA", "NR"):
            kind = _WH[form]
            nxt = tokens[i + 1].form if i + 1 < len(tokens) else ""
            after = tokens[i + 2].form if i + 2 < len(tokens) else ""
            if form == "몇":
                if nxt in ("년도", "해"):
                    kind = AnswerType.YEAR
                elif nxt == "년":
                    kind = (AnswerType.NUMBER if after in ("동안", "간", "만", "이내", "전", "후")
                            else AnswerType.YEAR)
                elif nxt in ("월", "일", "시"):
                    kind = AnswerType.DATE
            elif form in ("무슨", "어떤", "어느") and nxt in _HEAD_TYPE:
                kind = _HEAD_TYPE[nxt]
                if kind == AnswerType.REASON:
                    kind = AnswerType.SPAN
            # a head noun just before the question word decides the type: 이유는 무엇인가
            # (a reason), 퇴역한 해는 언제인가 (a year, not a full date)
            prev = _prev_noun(tokens, i)
            if form in ("무엇", "뭐", "언제") and prev is not None and tokens[prev].form in _HEAD_TYPE:
                kind = _HEAD_TYPE[tokens[prev].form]
            best = (kind, i, form)
            wh_found = True
        elif wh_found:
            continue  # an explicit question word outranks a later head noun: 무엇을 경영한 사람
        elif form == "이름" and _is_head(tokens, i):
            prev = _prev_noun(tokens, i)
            personish = prev is not None and (tokens[prev].form in _PERSONISH
                                              or _HEAD_TYPE.get(tokens[prev].form) == AnswerType.PERSON)
            best = (AnswerType.PERSON if personish else AnswerType.SPAN, i, form)
        elif (tok.tag == "XSN" and form in ("률", "율", "액", "량") and i > 0
              and tokens[i - 1].tag in ("NNG", "NNP") and _is_head(tokens, i)):
            best = (AnswerType.NUMBER, i, form)  # 영업이익률, 판매량: a rate or an amount
        elif (tok.tag == "NNG" and len(form) >= 2 and form.endswith(_AMOUNT_ENDINGS)
              and form not in _HEAD_TYPE and form not in _NOT_AMOUNTS and _is_head(tokens, i)):
            best = (AnswerType.NUMBER, i, form)  # 인원수, 등수, 판매량, 점유율: a count or rate
        elif tok.tag in ("NNG", "NNB") and form in _HEAD_TYPE and _is_head(tokens, i):
            kind = _HEAD_TYPE[form]
            if form == "년" and not (i > 0 and tokens[i - 1].tag == "ETM"):
                continue  # "2023년" is a year in the question, not the asked-for year
            best = (kind, i, form)
    return best


def _amount_noun(form: str) -> set[str]:
    """``{form}`` when it is an amount or rate noun (발전량, 점유율, 연구개발비), else empty."""
    amount = len(form) >= 2 and form.endswith(_AMOUNT_ENDINGS) and form not in _NOT_AMOUNTS
    return {form} if amount else set()


def _prev_noun(tokens: tuple[Token, ...], i: int) -> int | None:
    j = i - 1
    while j >= 0 and tokens[j].tag.startswith(("J", "SF", "SP")):
        j -= 1
    return j if j >= 0 and tokens[j].tag in ("NNG", "NNB", "NNP") else None


def _is_head(tokens: tuple[Token, ...], i: int) -> bool:
    """A noun heads the question when nothing but particles, endings, a copula and question
    words follow it (파견된 *인물*은?, *장소*는 어디인가?)."""
    rest = [t for t in tokens[i + 1:] if not t.tag.startswith(("S", "J", "E", "VC", "XS"))]
    return all(t.form in _WH or t.tag in ("NNB", "MM", "VV", "VA") and t.form in
               ("명", "개", "년", "인가", "되", "이") for t in rest)


def _focus(tokens: tuple[Token, ...], terms: list[TermHit], cue_index: int) -> str:
    """The predicate the answer attaches to: the first content term after a question word in
    the middle of the question (누구*를 재조명*하는), else the nearest one before the cue
    (*파견*된 인물은?)."""
    after = [h for h in terms if h.index > cue_index]
    if after and cue_index >= 0 and tokens[cue_index].form in _WH:
        return after[0].term
    before = [h for h in terms if h.index < cue_index]
    return before[-1].term if before else ""


def analyse_question(text: str) -> Question:
    """Content terms and expected answer type of ``text`` (Korean or English)."""
    tokens = tokenize(text)
    request = request_start(tokens)
    if request is not None:  # "X를 알려 주세요" asks what "X는?" asks: X heads it
        text = text[: tokens[request].start].rstrip()
        tokens = tokenize(text)
    all_terms = terms_of(tokens)
    kind, cue_index, cue = _korean_type(tokens)
    if kind is None:
        for pattern, en_kind in _EN_RULES:
            m = pattern.search(text)
            if m:
                kind, cue = en_kind, m.group(0).lower()
                break
    if kind is None:
        kind = AnswerType.SPAN
    # a question word or a type noun is not what a document states; an amount noun that types
    # the question (2016년 발전량은?) is the label its table or sentence gives, so it is kept
    drop = _FRAME_NOUNS | set(_WH) | ({cue} - set(_HEAD_TYPE) - _amount_noun(cue))
    if cue and not _HANGUL_RE.search(cue):
        # the rule's question words, not the nouns it spans: "what was *revenue*" keeps revenue
        drop |= _EN_CUES
    terms = [h for h in all_terms if h.term not in drop]
    if not terms:  # "총보수는?": the noun that types the question is all it asks about
        terms = [h for h in all_terms if h.term not in _FRAME_NOUNS | set(_WH)]
    quantities = list(find_quantities(text))
    focus = _focus(tokens, terms, cue_index if cue_index >= 0 else len(tokens))
    unit = _counter(tokens)
    measured, measure = "", None
    if kind == AnswerType.NUMBER:
        measured, measure = _measure(tokens, all_terms, cue_index, cue, focus, unit, text)
        unit = unit or _noun_counter(measured, measure)
    return Question(text, tokens, terms, kind, cue, focus, quantities, _head_noun(tokens),
                    unit, {h.term for h in all_terms}, _wh_particle(tokens, cue_index, cue),
                    measured, measure)


def _measure(tokens: tuple[Token, ...], terms: list[TermHit], cue_index: int, cue: str,
             focus: str, unit: str, text: str) -> tuple[str, QuantityKind | None]:
    """(the noun a number question measures, the kind of figure it wants): the kind its unit
    names (몇 %), or the one the noun takes (영업이익률은 얼마인가, 얼마의 추징금, 2023년
    매출액은?)."""
    if not _HANGUL_RE.search(text):
        if _EN_RATE.search(text):
            return "", QuantityKind.PERCENT
        return "", QuantityKind.MONEY if _EN_MONEY.search(text) else None
    noun = focus
    if cue and cue not in _WH and cue not in _FRAME_NOUNS and 0 <= cue_index < len(tokens):
        # the compound the cue ends: 영업이익률 for the suffix 률
        end = tokens[cue_index].end
        noun = max((h.term for h in terms if h.end == end), key=len, default=cue)
    if not _is_noun_term(tokens, terms, noun):
        noun = ""  # 늘 in 얼마나 늘었나, 증가 in 얼마나 증가했나: a predicate measures nothing
    if unit in ("%", "퍼센트", "%p"):
        return noun, QuantityKind.PERCENT
    if unit in _CURRENCY_UNITS:
        return noun, QuantityKind.MONEY
    if noun.endswith(_RATE_ENDINGS):
        return noun, QuantityKind.PERCENT
    if noun.endswith(_MONEY_ENDINGS):
        return noun, QuantityKind.MONEY
    return noun, None


def _noun_counter(noun: str, measure: QuantityKind | None) -> str:
    """The counter a counted noun ends on, which its figure is written with: ``열람 좌석`` and
    ``관람석`` are counted in 석 (``489석``). Only for a count (no money or rate) whose question
    names no counter itself (몇 석); a noun is never its own counter."""
    if measure is not None or len(noun) < 2:
        return ""
    return next((c for c in COUNTERS if noun.endswith(c) and len(c) < len(noun)), "")


def _is_noun_term(tokens: tuple[Token, ...], terms: list[TermHit], term: str) -> bool:
    """A Hangul noun (or compound) of two or more syllables that is not a verb's root."""
    if len(term) < 2 or not _HANGUL_RE.match(term):
        return False
    for h in terms:
        if h.term == term:
            last = max(i for i, t in enumerate(tokens) if t.start < h.end)
            nxt = tokens[last + 1] if last + 1 < len(tokens) else None
            return tokens[h.index].tag in ("NNG", "NNP") and not (
                nxt is not None and nxt.start == tokens[last].end and nxt.tag in ("XSV", "XSA"))
    return False


_PARTICLE_FORMS = {"을": "를", "이": "가", "은": "는", "으로": "로", "과": "와", "으로서": "로서",
                   "으로써": "로써"}


def particle_class(form: str) -> str:
    """One spelling per particle: 을/를, 이/가, 은/는, 으로/로 differ only by the noun's ending."""
    return _PARTICLE_FORMS.get(form, form)


def _wh_particle(tokens: tuple[Token, ...], index: int, cue: str) -> str:
    """The particle on the question word (누구*에게*, 어디*에서*, 무엇*으로*): the answer in the
    text usually carries the same one."""
    if index < 0 or cue not in _WH:
        return ""
    j = index + 1
    if cue == "몇" and j < len(tokens) and tokens[j].tag in ("NNB", "NNG"):
        j += 1  # 몇 명*이*
    if j < len(tokens) and tokens[j].tag.startswith("J") and tokens[j].tag != "JX":
        return particle_class(tokens[j].form)
    return ""


def _counter(tokens: tuple[Token, ...]) -> str:
    for i, tok in enumerate(tokens[:-1]):
        if tok.form == "몇":
            return tokens[i + 1].form
    return ""


def _head_noun(tokens: tuple[Token, ...]) -> str:
    """The noun the question asks for: the one after 어느/어떤/무슨, else the last noun that
    only particles, a copula and question words follow (``나온 대학교는?``)."""
    for i, tok in enumerate(tokens[:-1]):
        if tok.form in ("어느", "어떤", "무슨") and tokens[i + 1].tag in ("NNG", "NNP"):
            return tokens[i + 1].form
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i].tag in ("NNG", "NNP") and _is_head(tokens, i):
            return tokens[i].form
    return ""

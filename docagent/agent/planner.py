"""The rule-based planner: what kind of question this is, and what must be found to answer it.

Korean questions carry their operation in a few fixed phrases (``얼마나 늘었나``, ``증가폭``,
``차이``, ``가장 많은 해``, ``넘었나``) and their values in years (``2019년``) and entities
joined by ``와/과``. A sub-question is the question with the operation taken out and one
year or entity put back, so that retrieval and reading see what one value needs. Anything
the rules do not recognise is one lookup of the whole question: never worse than search.
"""

from __future__ import annotations

import re

from docagent.agent.arithmetic import parse_value
from docagent.agent.state import Kind, Op, Plan, SubQuestion

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)\s*(?:년도?|년)?")
_PERCENT = re.compile(r"증가율|감소율|변화율|성장률|몇\s*%|몇\s*퍼센트|percent(?:age)?\s+change|growth\s+rate|by what percent", re.I)
_RATIO = re.compile(r"몇\s*배|how many times", re.I)
_TOTAL = re.compile(r"합계|합산|총합|모두 합|더하면|in total|\btotal\b|\bsum\b", re.I)
# "평균은?", "X의 평균": an average asked for; "평균 재원일수" is a metric's name
_AVERAGE = re.compile(r"평균\s*(?:은|는|값|치|이|을|을\s*구)|의\s*평균|연평균|\baverage\b|\bmean\b", re.I)
_DIFF = re.compile(
    r"얼마나\s*(?:더\s*)?(?:늘|증가|줄|감소|올랐|올라|떨어|상승|하락|변|많|적|커|작)|증가폭|감소폭|증감|"
    r"차이|변화량|how much (?:did|has|was).*?(?:grow|increase|rise|fall|decrease|drop|change)|"
    r"\bdifference\b|\bchange\b", re.I)
# 최고/최대/최저/최소 are superlatives when a particle, a copula or 치/값 follows (최고치, 최대인,
# 최저를); before a noun they name a thing (최고 사령관, 최고사령부, 최소 단위) and ask no extreme.
_PREFIX_END = r"(?=[치값였로를을인이의가는은]|\s*[?？.,]|\s*$|[^\s가-힣])"
_MAX = re.compile(r"가장\s*(?:많|높|크|컸|많았|길)|최(?:대|고)" + _PREFIX_END
                  + r"|제일\s*(?:많|높|크)|highest|largest|most|peak|maximum", re.I)
_MIN = re.compile(r"가장\s*(?:적|낮|작|짧)|최(?:저|소)" + _PREFIX_END
                  + r"|제일\s*(?:적|낮|작)|lowest|smallest|least|minimum", re.I)
_RANK = re.compile(r"순서대로|순으로|순위|rank|in order", re.I)
_SERIES_END = re.compile(
    r"(?:해|연도|년도|시기|때|시점|값|수치|얼마|곳|항목|지표|부문|분야|지역|구분|종류|달|월|분기)"
    r"(?:는|은|가|이)?\s*(?:언제\S*|몇\s*년\S*|몇\s*월\S*|어디\S*|얼마\S*|무엇\S*)?\s*[?？.]?\s*$")
_WHICH_YEAR = re.compile(r"어느\s*(?:해|연도|년도|시기|때)|몇\s*년(?:도)?에|언제")
_TREND = re.compile(r"추세|추이.*(?:증가|감소|늘|줄)|계속\s*(?:증가|감소|늘|줄)|꾸준히|매년\s*(?:증가|감소|늘|줄)|trend|steadily|every year", re.I)
_LIST = re.compile(r"모두 나열|나열|목록|모든 (?:항목|지표|연도)|무엇무엇|list (?:all|the)", re.I)
_MORE = re.compile(r"더\s*(?:많|높|크|컸|길)|more|higher|larger|greater|bigger", re.I)
_LESS = re.compile(r"더\s*(?:적|낮|작|짧)|fewer|less|lower|smaller", re.I)
_ABOVE = re.compile(r"넘었|넘는|넘나|넘습|초과|이상인|이상이|exceed|above|more than|over", re.I)
_BELOW = re.compile(r"미만|밑돌|이하인|이하이|below|less than|under", re.I)
_THRESHOLD = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:\s*[^\s?]+?){0,2}?\s*(?:넘었|넘는|넘나|넘습|초과|이상|미만|밑돌|이하)\S*"
                        r"|(?:more|less) than\s*\S+|(?:exceed|exceeded|above|below|over|under)\s*\S+", re.I)
_WH = re.compile(r"얼마|몇|무엇|누구|어디|언제|어느|어떤|무슨|왜|어떻|what|which|who|where|when|how", re.I)
_YESNO_END = re.compile(r"(?:나요|습니까|ㅂ니까|니까|는가|은가|인가|었나|였나|했나|었는가|나|까)\s*\?*\s*$|^(?:is|was|did|does|do|has|have|are|were)\b", re.I)
_PAIR = re.compile(r"^\s*(?P<a>[^,]+?)(?:와|과|,)\s+(?P<b>[^,]+?)(?:의|에서|중|가운데)\s+(?P<rest>.+)$")
_PAIR_EN = re.compile(r"\b(?:between\s+)?(?P<a>[A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*)*)\s+(?:and|or|vs\.?)\s+(?P<b>[A-Z][\w.&-]*(?:\s[A-Z][\w.&-]*)*)")
_OP_WORDS = re.compile(
    r"(?:에서|부터|까지|대비|와|과)?\s*(?:얼마나\s*(?:더\s*)?\S+|증가폭은?|감소폭은?|증감은?|차이는?|변화량은?|"
    r"증가율은?|감소율은?|변화율은?|몇\s*배\S*|중\s*어느\s*\S+\s*더\s*\S+|어느\s*\S+\s*더\s*\S+|"
    r"비교하여|비교해|비교하면|비교할\s*때|더\s*\S+|가장\s*\S+\s*(?:해|연도|곳)?\S*|최대\S*|최고\S*|최저\S*|최소\S*)")
_EN_OP = re.compile(
    r"\b(?:how much (?:did|has|had|was|were)|by how much|what (?:was|is|were) the|from|to|between|in|of|"
    r"grow|grew|grown|increase[sd]?|rise|rose|fall|fell|decrease[sd]?|drop(?:ped)?|change[sd]?|"
    r"average|total|sum|difference|percent(?:age)?|the|over|period)\b", re.I)
_Q_TAIL = re.compile(r"\s*(?:은|는|이|가)?\s*(?:얼마(?:인가|입니까|였나|인지)?|무엇(?:인가|입니까)?)?\s*[?？.]*\s*$")


_REQUEST = re.compile(r"^(?P<what>.*?\S)(?:을|를)\s*(?:알려\s*(?:주세요|줘|주십시오|주시겠어요)|말해\s*(?:주세요|줘)|"
                      r"알고\s*싶(?:어요|습니다|다))\s*[.?!]*$")


def as_question(text: str) -> str:
    """A request (``예산을 알려 주세요``) as the question it stands for (``예산은?``),
    so that the answer type comes from what is asked about."""
    m = _REQUEST.match(text)
    if not m:
        return text
    what = m.group("what")
    last = what[-1]
    final = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0
    return f"{what}{'은' if final else '는'}?"


def years_in(text: str) -> list[int]:
    return [int(m.group(1)) for m in _YEAR.finditer(text)]


def _without_years(text: str) -> str:
    text = re.sub(r"(?<!\d)(?:19|20)\d\d(?!\d)\s*(?:년도?|년)?\s*(?:부터|에서|까지|대비|과|와|~|–|-|to|and|from)?",
                  " ", text)
    return " ".join(text.split())


def _core(question: str) -> str:
    """The question without its years and its operation words: what is measured, and of whom."""
    core = _without_years(question)
    core = _OP_WORDS.sub(" ", core)
    core = _Q_TAIL.sub("", core)
    core = _EN_OP.sub(" ", core)
    return " ".join(core.split()).strip(" ,?")


def _ask(core: str, year: int | None = None, entity: str = "") -> str:
    """A lookup question for one value: ``{entity}의 {year}년 {core} 얼마인가?``."""
    korean = bool(re.search(r"[가-힣]", core))
    if korean:
        parts = [f"{entity}의" if entity else "", f"{year}년" if year else "", core, "값은 얼마인가?"]
    else:
        parts = ["What is", core, f"of {entity}" if entity else "", f"in {year}" if year else "", "?"]
    return " ".join(p for p in parts if p)


def plan_question(question: str) -> Plan:
    """Classify ``question`` and split it into what must be found (see the module docstring)."""
    q = as_question(" ".join(question.split()))
    years = years_in(q)
    pair = _entities(q)
    if pair is not None and (_MORE.search(q) or _LESS.search(q) or _DIFF.search(q) or re.search(r"어느|which", q, re.I)):
        return _compare(q, pair, years)
    if _LIST.search(q):
        return Plan(Kind.LIST, Op.NONE, [SubQuestion(0, q, series=True, years=tuple(years))])
    if _TREND.search(q):
        return Plan(Kind.TREND, Op.TREND, [SubQuestion(0, _ask(_core(q)), series=True, years=tuple(years))])
    extreme = _extreme_op(q)
    if extreme is not None and len(years) != 1 and _asks_of_a_series(q):
        return Plan(Kind.EXTREME, extreme, [SubQuestion(0, _ask(_core(q)), series=True, years=tuple(years))])
    arith = _arith_op(q, years)
    if arith is not None:
        return arith
    threshold = _threshold(q, years)
    if threshold is not None:
        op, value = threshold
        core = _core(_THRESHOLD.sub(" ", q))
        sub = SubQuestion(0, _ask(core, years[0] if len(years) == 1 else None), label=f"{years[0]}년" if years else "",
                          years=tuple(years[:1]))
        return Plan(Kind.YESNO, op, [sub], threshold=value)
    return whole_lookup(q)


def whole_lookup(question: str) -> Plan:
    """The question read as one lookup, as it is asked."""
    q = as_question(" ".join(question.split()))
    years = years_in(q)
    return Plan(Kind.LOOKUP, Op.NONE, [SubQuestion(0, q, label=f"{years[0]}년" if len(years) == 1 else "")])


def replannable(plan: Plan, question: str) -> bool:
    """Whether a plan that found no answer may be tried again as one lookup of the question:
    any plan but a lookup of it or a yes/no (whose answer a lookup cannot give). The phrases
    the rules read as an operation also occur in questions that ask for one fact (``가장
    높은 국가신용등급을 받은 때``, ``과주와 전장은 어느 나라의``)."""
    if plan.kind == Kind.YESNO:
        return False
    return plan.kind != Kind.LOOKUP or len(plan.subs) != 1 or plan.subs[0].text != whole_lookup(question).subs[0].text


def _asks_of_a_series(q: str) -> bool:
    """Whether a superlative question asks which year, row or value of a series holds the
    extreme ("가장 많았던 해는?", "최댓값은 얼마인가?", "가장 큰 부문은?"). Where the
    superlative only describes what is asked ("아시아 최대의 수송함은?", "가장 높은 개연성이
    있는 원인은 무엇인가?"), the question is a lookup. English questions are not told apart."""
    if not re.search(r"[가-힣]", q):
        return True
    return bool(_SERIES_END.search(q) or _WHICH_YEAR.search(q))


def _extreme_op(q: str) -> Op | None:
    if _RANK.search(q):
        return Op.RANK
    if _MAX.search(q):
        return Op.MAX
    if _MIN.search(q):
        return Op.MIN
    return None


def _arith_op(q: str, years: list[int]) -> Plan | None:
    # "평균 재원일수 ... 얼마나 줄었나" is a difference: a metric may be named for an average
    op = (Op.PERCENT if _PERCENT.search(q) else Op.RATIO if _RATIO.search(q) else
          Op.DIFFERENCE if _DIFF.search(q) else Op.TOTAL if _TOTAL.search(q) else
          Op.AVERAGE if _AVERAGE.search(q) else None)
    # An average or total of one year, or of no years at all (``1 삭망월의 평균치``, a 합계
    # row), is a value to look up: there is no span of years to compute it over.
    if op is None or (op in (Op.TOTAL, Op.AVERAGE) and len(years) < 2):
        return None
    core = _core(q)
    if len(years) >= 2 and op in (Op.DIFFERENCE, Op.PERCENT, Op.RATIO):
        y1, y2 = sorted(years[:2])
        subs = [SubQuestion(i, _ask(core, y), label=f"{y}년", years=(y,)) for i, y in enumerate((y1, y2))]
        return Plan(Kind.ARITHMETIC, op, subs)
    if op in (Op.TOTAL, Op.AVERAGE):
        if len(years) == 2 and re.search(r"부터|까지|~|–|from|through", q):
            return Plan(Kind.ARITHMETIC, op, [SubQuestion(0, _ask(core), series=True, years=tuple(range(min(years), max(years) + 1)))])
        subs = [SubQuestion(i, _ask(core, y), label=f"{y}년", years=(y,)) for i, y in enumerate(years)]
        return Plan(Kind.ARITHMETIC, op, subs)
    return None


def _threshold(q: str, years: list[int]) -> tuple[Op, object] | None:
    if _WH.search(q) or not _YESNO_END.search(q):
        return None
    op = Op.ABOVE if _ABOVE.search(q) else Op.BELOW if _BELOW.search(q) else None
    if op is None:
        return None
    rest = _YEAR.sub(" ", q)
    value = parse_value(rest)
    return (op, value) if value is not None else None


def _entities(q: str) -> tuple[str, str] | None:
    m = _PAIR.match(q)
    if m and not _YEAR.fullmatch(m.group("a")) and not _YEAR.fullmatch(m.group("b")):
        return m.group("a"), m.group("b")
    m = _PAIR_EN.search(q)
    if m and not re.search(r"[가-힣]", q):
        return m.group("a"), m.group("b")
    return None


def _compare(q: str, pair: tuple[str, str], years: list[int]) -> Plan:
    a, b = pair
    m = _PAIR.match(q)
    rest = m.group("rest") if m else q.replace(a, " ").replace(b, " ")
    core = _core(rest)
    core = re.sub(r"^(?:중|가운데)\s*", "", core)
    year = years[0] if len(years) == 1 else None
    subs = [SubQuestion(i, _ask(core, year, e), label=e, entity=e, years=(year,) if year else ())
            for i, e in enumerate((a, b))]
    if _DIFF.search(q) and not (_MORE.search(q) or _LESS.search(q)):
        return Plan(Kind.COMPARE, Op.DIFFERENCE, subs)
    return Plan(Kind.COMPARE, Op.MIN if _LESS.search(q) else Op.MAX, subs)

"""What a training document is about: its title, fact paragraphs, table and chart content.

The Korean topics reuse the report ``templates`` (title, entities, fact paragraphs, chart
quantity) and add a table by group (district, segment, department ...) for the merged-header
tables; the English topics are written here. :func:`sample_content` draws one document's
entity, edition year and every number from a topic, formatted as printed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from vlm.synth.canvas import KEEP
from vlm.synth.charts import Series
from vlm.synth.report import number, series
from vlm.synth.templates import TEMPLATES, Quantity, Section

Q = Quantity
CHART_KINDS = ("bar", "barh", "line", "stacked", "pie")


@dataclass(frozen=True, slots=True)
class TableTopic:
    caption: str
    corner: str  # the header of the label column
    group: str  # what a row is, as a question names it ("부문", "segment")
    rows: tuple[str, ...]
    metrics: tuple[Quantity, Quantity]


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    lang: str
    title: str  # {entity}, {edition}
    subtitle: str
    entities: tuple[str, ...]
    sections: tuple[Section, ...]  # paragraphs with {edition} and fact placeholders
    facts: tuple[Quantity, ...]
    table: TableTopic
    chart_title: str
    chart: Quantity


KO_TABLES = {
    "city_yearbook": TableTopic("구별 인구와 세대 현황", "구분", "구",
                                ("중구", "동구", "서구", "남구", "북구", "수성구"),
                                (Q("인구", "명", 20_000, 450_000), Q("세대 수", "세대", 9_000, 190_000))),
    "company_annual": TableTopic("사업 부문별 실적", "부문", "부문",
                                 ("반도체", "가전", "디스플레이", "통신", "기타"),
                                 (Q("매출액", "억 원", 800, 40_000),
                                  Q("영업이익", "억 원", 30, 5_000, drift=(-0.2, 0.3)))),
    "fund_monthly": TableTopic("자산 유형별 운용 현황", "자산 유형", "자산 유형",
                               ("국내 주식", "해외 주식", "국내 채권", "해외 채권", "유동성 자산"),
                               (Q("평가액", "억 원", 10, 6_000),
                                Q("수익률", "%", -12, 25, decimals=1, walk=False, two_step=False))),
    "hospital_ops": TableTopic("진료과별 환자 수", "진료과", "진료과",
                               ("내과", "외과", "소아청소년과", "정형외과", "안과", "산부인과"),
                               (Q("외래 환자", "명", 4_000, 180_000), Q("입원 환자", "명", 300, 14_000))),
    "school_ops": TableTopic("학년별 학생 현황", "학년", "학년", ("1학년", "2학년", "3학년"),
                             (Q("학생 수", "명", 80, 520, drift=(-0.05, 0.04)),
                              Q("방과후 참여", "명", 20, 300))),
    "msds": TableTopic("성분별 시험 결과", "성분", "성분",
                       ("계면활성제", "유기 용제", "방청제", "첨가제", "정제수"),
                       (Q("검출량", "mg/kg", 5, 900, decimals=1),
                        Q("함유량", "%", 1, 45, decimals=1, walk=False, two_step=False))),
}
# The safety data sheet template has no chart; its documents chart a measured quantity.
KO_CHART_FALLBACK = ("연도별 평균 검출량 (mg/kg)", Q("평균 검출량", "mg/kg", 5, 900, decimals=1))


def _korean(key: str) -> Topic:
    t = TEMPLATES[key]
    keys = {q.key for q in t.facts}
    # Only the paragraphs that state a fact, under their headings: a page holds them whole.
    sections = tuple(
        Section(s.heading, tuple(p for p in s.paragraphs if any("{" + k + "}" in p for k in keys)))
        for s in t.intro)
    sections = tuple(s for s in sections if s.paragraphs)
    title, quantity = (t.chart.title, t.chart.quantity) if t.chart else KO_CHART_FALLBACK
    return Topic(key, "ko", t.title, t.subtitle, t.entities, sections, t.facts, KO_TABLES[key],
                 title, quantity)


EN_TOPICS = (
    Topic(
        "company_annual_en", "en", "{entity} Annual Report {edition}",
        "Fiscal year January 1 to December 31, {edition}",
        ("Hanbit Electronics", "Daesung Chemical", "Mirae Bio", "Seoul Foods", "Nuri Telecom",
         "Gaon Construction", "Saesol Pharma", "Geumgang Steel", "Ara Airlines"),
        (Section("1. Company overview", (
            "At the end of {edition} the company had {employees} on its payroll and ran several "
            "overseas subsidiaries in addition to its domestic plants.",)),
         Section("2. Business", (
             "In {edition} the company invested {rnd} in research and development to improve its "
             "products and processes despite volatile raw material prices.",))),
        (Q("number of employees", "employees", 300, 40_000, key="employees"),
         Q("research and development spending", "billion won", 5, 900, key="rnd")),
        TableTopic("Results by business segment", "Segment", "segment",
                   ("Semiconductors", "Appliances", "Displays", "Telecom", "Other"),
                   (Q("Revenue", "billion won", 80, 4_000),
                    Q("Operating profit", "billion won", 3, 500, drift=(-0.2, 0.3)))),
        "Dividend per share (won)", Q("dividend per share", "won", 100, 3_000, drift=(0.0, 0.15)),
    ),
    Topic(
        "city_yearbook_en", "en", "{entity} Statistical Yearbook {edition}",
        "As of December 31, {edition} - Statistics Team, Planning and Budget Office",
        ("Suwon", "Changwon", "Goyang", "Yongin", "Cheongju", "Jeonju", "Cheonan", "Gimhae"),
        (Section("2. Finance and organisation", (
            "The city's general account budget for {edition} was set at {budget}, reflecting "
            "higher demand for welfare and public transport.",
            "The city employs {staff}, most of them in front-line service departments.")),),
        (Q("general account budget", "billion won", 500, 4_000, key="budget"),
         Q("number of public officials", "officials", 1_200, 5_000, key="staff")),
        TableTopic("Population and households by district", "District", "district",
                   ("Jung-gu", "Dong-gu", "Seo-gu", "Nam-gu", "Buk-gu"),
                   (Q("Population", "persons", 20_000, 450_000),
                    Q("Households", "households", 9_000, 190_000))),
        "Tourists by year (thousand)", Q("number of tourists", "thousand", 800, 9_000,
                                         drift=(-0.1, 0.2)),
    ),
    Topic(
        "hospital_ops_en", "en", "{entity} Operations Report {edition}",
        "Management Planning Office - for internal use",
        ("Hanmaeum Hospital", "Saebit Hospital", "Pureunsup Hospital", "Dasom Hospital",
         "Haetsal Hospital", "Eunha Hospital", "Miso Hospital", "Garam Hospital"),
        (Section("1. Overview", (
            "At the end of {edition} the hospital operated {beds} and employed {doctors} "
            "including specialists.",
            "The hospital runs a regional emergency centre that treats severe cases around the "
            "clock.")),),
        (Q("number of beds", "beds", 150, 1_800, key="beds"),
         Q("number of medical staff", "medical staff", 80, 2_500, key="doctors")),
        TableTopic("Patients by department", "Department", "department",
                   ("Internal medicine", "Surgery", "Pediatrics", "Orthopedics", "Ophthalmology"),
                   (Q("Outpatients", "persons", 4_000, 180_000),
                    Q("Inpatients", "persons", 300, 14_000))),
        "Emergency room visits (persons)", Q("emergency room visits", "persons", 10_000, 90_000,
                                             drift=(-0.08, 0.12)),
    ),
)
KO_TOPICS = tuple(_korean(k) for k in KO_TABLES)
TOPICS: dict[str, Topic] = {t.key: t for t in (*KO_TOPICS, *EN_TOPICS)}


def with_unit(text: str, unit: str, lang: str) -> str:
    """A printed number with its unit: ``3,450억 원`` in Korean, ``3,450 billion won``, ``12.5%``."""
    if not unit:
        return text
    if lang == "ko" or unit.startswith("%"):
        return text + unit
    return f"{text} {unit}"


def year_label(year: int, lang: str) -> str:
    return f"{year}년" if lang == "ko" else str(year)


@dataclass(frozen=True, slots=True)
class Fact:
    key: str
    name: str
    unit: str
    value: float
    text: str  # as printed, without the unit
    printed: str  # with the unit, as the paragraph writes it


@dataclass(slots=True)
class TableData:
    caption: str
    corner: str
    group: str
    rows: list[str]
    metrics: list[Quantity]
    years: list[int]
    texts: dict[tuple[str, str, int], str]  # (row, metric name, year) -> printed value

    def value(self, row: str, metric: str, year: int) -> float:
        return float(self.texts[(row, metric, year)].replace(",", ""))


@dataclass(slots=True)
class ChartData:
    kind: str
    title: str
    quantity: str  # what the values are, as a question names it
    unit: str
    categories: list[str]
    series: list[Series]


@dataclass(slots=True)
class Content:
    """One document's text and numbers; paragraphs keep a fact and its unit KEEP-joined."""

    lang: str
    topic: str
    entity: str
    edition: int
    title: str
    subtitle: str
    sections: list[tuple[str, list[str]]]
    facts: list[Fact]
    table: TableData
    chart: ChartData
    extra: dict[str, str] = field(default_factory=dict)


def sample_content(topic: Topic, rng: random.Random, chart_kind: str | None = None) -> Content:
    """One document of ``topic``: entity, edition, facts, table (2-3 years) and chart values."""
    entity, edition = rng.choice(topic.entities), rng.randint(2012, 2025)
    facts = []
    for q in topic.facts:
        text = number(rng.uniform(q.low, q.high), q.decimals)
        facts.append(Fact(q.key, q.name, q.unit, float(text.replace(",", "")), text,
                          with_unit(text, q.unit, topic.lang)))
    fields = {"edition": str(edition), "entity": entity}
    fields.update({f.key: f.printed.replace(" ", KEEP) for f in facts})
    sections = [(s.heading.format(**fields), [p.format(**fields) for p in s.paragraphs])
                for s in topic.sections]
    table = _table(topic, edition, rng)
    kind = chart_kind or rng.choice(CHART_KINDS)
    return Content(topic.lang, topic.key, entity, edition,
                   topic.title.format(entity=entity, edition=edition),
                   topic.subtitle.format(edition=edition), sections, facts, table,
                   _chart(topic, table, kind, edition, rng))


def _table(topic: Topic, edition: int, rng: random.Random) -> TableData:
    t = topic.table
    n_rows = rng.randint(min(3, len(t.rows)), min(5, len(t.rows)))
    chosen = set(rng.sample(t.rows, n_rows))
    rows = [r for r in t.rows if r in chosen]  # in the topic's order
    years = list(range(edition - rng.randint(1, 2), edition + 1))
    texts = {}
    for row in rows:
        for q in t.metrics:
            for year, text in zip(years, series(q, len(years), rng), strict=True):
                texts[(row, q.name, year)] = text
    return TableData(t.caption, t.corner, t.group, rows, list(t.metrics), years, texts)


def _chart(topic: Topic, table: TableData, kind: str, edition: int,
           rng: random.Random) -> ChartData:
    lang, n = topic.lang, rng.randint(4, 6)
    years = [year_label(y, lang) for y in range(edition - n + 1, edition + 1)]
    q = table.metrics[0]
    if kind == "pie":
        shares = _shares([table.value(r, q.name, table.years[-1]) for r in table.rows])
        title = (f"{table.years[-1]}년 {table.group}별 {q.name} 비중 (%)" if lang == "ko"
                 else f"Share of {q.name.lower()} by {table.group}, {table.years[-1]} (%)")
        texts = [f"{s:.1f}%" for s in shares]
        return ChartData(kind, title, f"{q.name} 비중" if lang == "ko" else "share", "%",
                         list(table.rows), [Series("", shares, texts)])
    if kind == "stacked" or (kind == "line" and rng.random() < 0.6):
        names = rng.sample(table.rows, min(len(table.rows), rng.randint(2, 3)))
        level = rng.uniform(q.low, q.high * 0.6)
        out = []
        for i, name in enumerate(names):
            # Lines far apart and stacked segments of like size keep every label legible.
            base = level * ((1 - 0.3 * i) if kind == "line" else rng.uniform(0.55, 1.0))
            values = _distinct([base * rng.uniform(0.93, 1.07) for _ in years], q.decimals)
            out.append(Series(name, values, [number(v, q.decimals) for v in values]))
        title = (f"{table.group}별 {q.name} 추이 ({q.unit})" if lang == "ko"
                 else f"{q.name} by {table.group} ({q.unit})")
        return ChartData(kind, title, q.name, q.unit, years, out)
    cq = topic.chart
    values = _distinct([float(t.replace(",", "")) for t in series(cq, len(years), rng)],
                       cq.decimals)
    return ChartData(kind, topic.chart_title, cq.name, cq.unit, years,
                     [Series("", values, [number(v, cq.decimals) for v in values])])


def _distinct(values: list[float], decimals: int) -> list[float]:
    """``values`` rounded as printed, nudged by one last digit until no two are equal (a
    question about the largest value must have one answer)."""
    step, out = 10.0 ** -decimals, []
    for v in values:
        v = round(v, decimals)
        while v in out:
            v = round(v + step, decimals)
        out.append(v)
    return out


def _shares(values: list[float]) -> list[float]:
    """Percent shares with one decimal that add up to exactly 100."""
    total = sum(values)
    shares = [round(100 * v / total, 1) for v in values]
    big = shares.index(max(shares))
    shares[big] = round(100 - sum(s for i, s in enumerate(shares) if i != big), 1)
    return shares

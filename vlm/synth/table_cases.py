"""Synthetic Korean table questions with known answers, for measuring table lookup.

Three families of table (financial statements: metrics x years, some transposed; product
lists: products x attributes; regional statistics: regions x indicators), laid out on a page
with cell boxes and words, and questions written from templates that name a row and a column.
Each case shows the target table among distractor tables of the same family, some with the
same structure and different owner, so the owner named in the caption must be matched too.
A share of cases ask for something no table holds; the right response is to refuse.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from indexing.geometry import Box, CropFrame, Space
from indexing.model import Table, TableCell, Word
from vlm.backends.base import CropInput

COMPANIES = ["한빛전자", "대성화학", "미래바이오", "서울식품", "동해조선", "누리통신", "가온건설",
             "태평양물산", "새솔제약", "하나로에너지", "금강철강", "청운소프트"]
METRICS = ["매출액", "영업이익", "당기순이익", "자산총계", "부채총계", "자본총계", "영업이익률",
           "부채비율", "연구개발비"]
MAKERS = ["삼광", "대한정밀", "유니온", "성진", "코리아텍", "한성", "에이스", "동방"]
PRODUCTS = ["노트북 A15", "스마트폰 X3", "태블릿 T8", "모니터 M27", "이어폰 B2", "스마트워치 W5",
            "프린터 P9", "공유기 R4"]
ATTRS = ["가격", "재고", "출시일", "무게", "제조사"]
REGIONS = ["서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "강원", "제주"]
INDICATORS = ["인구", "면적", "인구밀도", "증가율", "가구 수"]


@dataclass(slots=True)
class TableCase:
    question: str
    crops: list[CropInput]
    answer: str | None        # None: no table holds it, the backend should refuse
    crop_index: int = 0
    cell_box: Box | None = None
    family: str = ""


def _josa(word: str, pair: tuple[str, str]) -> str:
    """은/는, 이/가 by whether the last syllable has a final consonant (digits read aloud)."""
    last = word.strip()[-1]
    if "가" <= last <= "힣":
        has_final = (ord(last) - 0xAC00) % 28 != 0
    else:
        has_final = last in "0136789LMNRlmnr"
    return word + (pair[0] if has_final else pair[1])


def _amount(rng: random.Random, lo: int, hi: int) -> str:
    return f"{rng.randint(lo, hi):,}"


def _financial(rng: random.Random, owner: str) -> tuple[str, list[str], list[str], dict]:
    metrics = rng.sample(METRICS[:-1], rng.randint(3, 5))
    start = rng.randint(2019, 2021)
    years = [str(y) for y in range(start, start + rng.randint(3, 4))]
    values = {}
    for m in metrics:
        for y in years:
            if m in ("영업이익률", "부채비율"):
                values[(m, y)] = f"{rng.uniform(-5, 180 if m == '부채비율' else 25):.1f}%"
            else:
                values[(m, y)] = _amount(rng, 100, 9_999)
    return f"{owner} 요약 재무제표 (단위: 억 원)", metrics, years, values


def _products(rng: random.Random, owner: str) -> tuple[str, list[str], list[str], dict]:
    products = rng.sample(PRODUCTS, rng.randint(3, 5))
    attrs = rng.sample(ATTRS, rng.randint(3, 5))
    values = {}
    for p in products:
        values[(p, "가격")] = f"{rng.randint(3, 250) * 10_000:,}원"
        values[(p, "재고")] = f"{rng.randint(0, 900)}개"
        values[(p, "출시일")] = f"{rng.randint(2019, 2024)}.{rng.randint(1, 12):02d}"
        values[(p, "무게")] = f"{rng.uniform(0.05, 3):.2f}kg"
        values[(p, "제조사")] = rng.choice(MAKERS)  # never a seller: sellers own the tables
    return f"{owner} 판매 제품 현황", products, attrs, values


def _regions(rng: random.Random, owner: str) -> tuple[str, list[str], list[str], dict]:
    regions = rng.sample(REGIONS, rng.randint(4, 6))
    inds = rng.sample(INDICATORS, rng.randint(3, 4))
    values = {}
    for r in regions:
        values[(r, "인구")] = f"{rng.randint(100, 13_000):,}천 명"
        values[(r, "면적")] = f"{rng.uniform(400, 20_000):,.1f}㎢"
        values[(r, "인구밀도")] = f"{rng.randint(80, 16_000):,}명/㎢"
        values[(r, "증가율")] = f"{rng.uniform(-1.5, 3):.2f}%"
        values[(r, "가구 수")] = f"{rng.randint(50, 5_500):,}천 가구"
    return f"{owner}년 시도별 주요 지표", regions, inds, values


_FAMILIES = {"financial": _financial, "products": _products, "regions": _regions}


def layout_table(grid: list[list[str]], header_rows: int, origin: tuple[float, float],
                 with_cell_boxes: bool, title_row: str | None = None
                 ) -> tuple[Table, list[Word], Box]:
    """Place a grid on a page: cells 92 x 20 pt, words inside cells, an optional spanning
    title row on top. Returns the table, its words and its page box."""
    x0, y0 = origin
    cw, rh = 92.0, 20.0
    rows = ([[title_row] + [""] * (len(grid[0]) - 1)] if title_row else []) + grid
    cells, words = [], []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if title_row and r == 0 and c > 0:
                continue
            span = len(row) if (title_row and r == 0) else 1
            box = Box(x0 + c * cw, y0 + r * rh, x0 + (c + span) * cw, y0 + (r + 1) * rh, Space.PAGE)
            cells.append(TableCell(r, c, text, box if with_cell_boxes else None, 1, span))
            x = box.x0 + 4
            for token in text.split():
                w = 5.5 * len(token) + 1.0
                words.append(Word(token, Box(x, box.y0 + 5, x + w, box.y1 - 5, Space.PAGE)))
                x += w + 3.0
    n_rows, n_cols = len(rows), len(grid[0])
    page_box = Box(x0, y0, x0 + n_cols * cw, y0 + n_rows * rh, Space.PAGE)
    return (Table(cells, n_rows, n_cols, header_rows + (1 if title_row else 0)), words, page_box)


def _crop(rng: random.Random, family: str, owner: str, transposed: bool
          ) -> tuple[CropInput, list[str], list[str], dict, str]:
    title, rows, cols, values = _FAMILIES[family](rng, owner)
    corner = {"financial": "구분", "products": "제품명", "regions": "시도"}[family]
    if transposed:
        grid = [[corner] + rows] + [[c] + [values[(r, c)] for r in rows] for c in cols]
    else:
        grid = [[corner] + cols] + [[r] + [values[(r, c)] for c in cols] for r in rows]
    title_inside = rng.random() < 0.5
    table, words, page_box = layout_table(grid, 1, (60.0, 120.0), rng.random() < 0.6,
                                          title if title_inside else None)
    frame = CropFrame(Box(page_box.x0 - 6, page_box.y0 - 6, page_box.x1 + 6, page_box.y1 + 6),
                      (int(page_box.width * 2) + 24, int(page_box.height * 2) + 24))
    text = ("" if title_inside else title + "\n") + table.to_markdown()
    crop = CropInput(text=text, words=words, table=table, frame=frame, kind="table")
    return crop, rows, cols, values, title


def _question(rng: random.Random, family: str, owner: str, row: str, col: str) -> str:
    if family == "financial":
        forms = [f"{owner}의 {col}년 {_josa(row, ('은', '는'))}?",
                 f"{col}년 {owner} {_josa(row, ('은', '는'))} 얼마인가?",
                 f"{owner} {row} ({col}년)",
                 f"{owner}의 {row} 중 {col}년 값은 얼마입니까?"]
    elif family == "products":
        forms = [f"{owner}에서 파는 {row}의 {_josa(col, ('은', '는'))}?",
                 f"{owner} {row} {_josa(col, ('이', '가'))} 얼마야?",
                 f"{owner} 판매 제품 중 {row} {col}"]
    else:
        forms = [f"{owner}년 {row}의 {_josa(col, ('은', '는'))}?",
                 f"{owner}년 {row} {_josa(col, ('은', '는'))} 얼마인가?",
                 f"{owner}년 기준 {row} 지역의 {col}"]
    return rng.choice(forms)


def make_cases(n: int = 48, seed: int = 7, unanswerable_share: float = 0.15) -> list[TableCase]:
    """``n`` questions over freshly generated tables, each with one or two distractors."""
    rng = random.Random(seed)
    cases: list[TableCase] = []
    families = list(_FAMILIES)
    for i in range(n):
        family = families[i % len(families)]
        pool = ([str(y) for y in range(2015, 2024)] if family == "regions" else COMPANIES)
        owners = rng.sample(pool, 3)
        n_crops = rng.randint(2, 3)
        built = [_crop(rng, family, o, family == "financial" and rng.random() < 0.35)
                 for o in owners[:n_crops]]
        target = rng.randrange(n_crops)
        crop, rows, cols, values, _ = built[target]
        owner = owners[target]
        crops = [b[0] for b in built]
        if rng.random() < unanswerable_share:
            # a metric no table has, or an owner none of the shown tables belongs to
            if family == "financial":
                q = _question(rng, family, owner, "연구개발비", rng.choice(cols))
            else:
                absent = rng.choice([o for o in pool if o not in owners[:n_crops]])
                q = _question(rng, family, absent, rng.choice(rows), rng.choice(cols))
            cases.append(TableCase(q, crops, None, -1, None, family))
            continue
        r, c = rng.choice(rows), rng.choice(cols)
        q = _question(rng, family, owner, r, c)
        answer = values[(r, c)]
        box = _gold_box(crop, answer, r, c)
        cases.append(TableCase(q, crops, answer, target, box, family))
    return cases


def _gold_box(crop: CropInput, answer: str, row: str, col: str) -> Box | None:
    """The page box of the answer cell as laid out (computed from the layout, not the words)."""
    table = crop.table
    assert table is not None
    grid = table.grid()
    for r, cells in enumerate(grid):
        for c, text in enumerate(cells):
            if text != answer:
                continue
            row_label, col_label = cells[0], next(
                (grid[k][c] for k in range(r) if grid[k][c] and grid[k][c] != grid[0][0]), "")
            if {row_label, col_label} == {row, col}:
                x0, y0 = crop.frame.page_box.x0 + 6, crop.frame.page_box.y0 + 6
                return Box(x0 + c * 92.0, y0 + r * 20.0, x0 + (c + 1) * 92.0, y0 + (r + 1) * 20.0)
    return None

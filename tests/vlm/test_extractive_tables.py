"""Table lookup of the extractive backend: row and column labels, boxes, layouts."""

from __future__ import annotations

import pytest

from indexing.geometry import Box, CropFrame, Space
from indexing.model import Table, TableCell, Word
from vlm.backends.base import CropInput, VisionRequest
from vlm.backends.extractive import ExtractiveBackend
from vlm.synth.table_cases import make_cases

CW, RH, X0, Y0 = 80.0, 20.0, 100.0, 300.0

FINANCIAL = [
    ["구분", "2021년", "2022년", "2023년"],
    ["매출액", "2,810", "3,067", "3,450"],
    ["영업이익", "210", "251", "302"],
    ["영업이익률", "7.5%", "8.2%", "8.8%"],
]


def cell_rect(r: int, c: int) -> Box:
    return Box(X0 + c * CW, Y0 + r * RH, X0 + (c + 1) * CW, Y0 + (r + 1) * RH, Space.PAGE)


def table_crop(grid: list[list[str]], *, cell_boxes: bool = True, caption: str = "",
               header_rows: int = 1) -> CropInput:
    """A table crop as the indexing pipeline makes one: cells, words with page boxes, frame."""
    cells, words = [], []
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            rect = cell_rect(r, c)
            cells.append(TableCell(r, c, text, rect if cell_boxes else None))
            x = rect.x0 + 3
            for token in text.split():
                w = 6.0 * len(token)
                words.append(Word(token, Box(x, rect.y0 + 4, x + w, rect.y1 - 4, Space.PAGE)))
                x += w + 3
    table = Table(cells, len(grid), len(grid[0]), header_rows)
    page_box = Box(X0 - 10, Y0 - 10, X0 + len(grid[0]) * CW + 10, Y0 + len(grid) * RH + 10)
    frame = CropFrame(page_box, (int(page_box.width * 2), int(page_box.height * 2)))
    text = (caption + "\n" if caption else "") + table.to_markdown()
    return CropInput(text=text, words=words, table=table, frame=frame, kind="table")


def ask(question: str, *crops: CropInput):
    req = VisionRequest(question, list(crops))
    return req, ExtractiveBackend().answer([req])[0]


def centre_in(box: Box, rect: Box) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return rect.x0 <= cx <= rect.x1 and rect.y0 <= cy <= rect.y1


@pytest.mark.parametrize(
    ("question", "answer", "cell"),
    [
        ("2023년 매출액은?", "3,450", (1, 3)),
        ("매출액이 2022년에 얼마였나?", "3,067", (1, 2)),
        ("2021년 영업이익은 얼마인가?", "210", (2, 1)),
        ("2023년 영업이익률은?", "8.8%", (3, 3)),   # not the 영업이익 row
        ("영업이익 (2022년)", "251", (2, 2)),
    ],
)
def test_row_and_column_headers_pick_the_cell(question: str, answer: str,
                                              cell: tuple[int, int]) -> None:
    crop = table_crop(FINANCIAL)
    req, ans = ask(question, crop)
    assert ans.answerable and ans.text == answer
    assert "rule=table.cell" in ans.raw
    (index, page_box), *_ = ans.page_boxes(req)
    assert index == 0
    assert page_box.iou(cell_rect(*cell)) > 0.99  # the cell's own box, mapped back to the page
    for ev in ans.evidence:
        for b in ev.boxes:
            assert b.space == Space.NORM and 0.0 <= b.x0 <= b.x1 <= 1.0 and 0.0 <= b.y0 <= b.y1 <= 1.0


def test_row_evidence_quotes_the_row() -> None:
    req, ans = ask("2023년 매출액은?", table_crop(FINANCIAL))
    assert ans.evidence[1].text == "매출액 | 2,810 | 3,067 | 3,450"
    row_page = req.crops[0].frame.norm_to_page(ans.evidence[1].boxes[0])
    assert row_page.iou(cell_rect(1, 0).union(cell_rect(1, 3))) > 0.99


def test_transposed_table_metrics_as_columns() -> None:
    transposed = [list(col) for col in zip(*FINANCIAL, strict=True)]
    assert transposed[0] == ["구분", "매출액", "영업이익", "영업이익률"]
    req, ans = ask("2023년 매출액은?", table_crop(transposed))
    assert ans.text == "3,450"
    assert ans.page_boxes(req)[0][1].iou(cell_rect(3, 1)) > 0.99


def test_cell_box_estimated_from_words_when_cells_have_none() -> None:
    grid = [["구분", "2022년", "2023년"], ["매출", "100", "100"], ["비용", "100", "90"]]
    req, ans = ask("2023년 매출은?", table_crop(grid, cell_boxes=False))
    assert ans.text == "100"
    (_, box), *_ = ans.page_boxes(req)
    # "100" occurs three times; the estimate takes the one under 2023년 in the 매출 row
    assert centre_in(box, cell_rect(1, 2))


def test_units_line_above_the_header_row() -> None:
    grid = [["", "", "", "(단위: %)"], ["구분", "1개월", "3개월", "1년"],
            ["Class A", "-2.85", "-2.24", "16.17"], ["BM", "-3.57", "-3.87", "14.36"],
            ["BM대비", "0.72", "1.63", "1.81"]]
    crop = table_crop(grid)
    assert ask("Class A의 1년 수익률은?", crop)[1].text == "16.17"
    assert ask("BM의 3개월 수익률은?", crop)[1].text == "-3.87"
    assert ask("BM대비 1개월 수익률은?", crop)[1].text == "0.72"


def test_key_value_table() -> None:
    grid = [["펀드규모", "746억원"], ["설정일", "2009.08.27"], ["비교지수", "KOSPI"]]
    req, ans = ask("펀드 규모는 얼마인가?", table_crop(grid, header_rows=0))
    assert ans.answerable and ans.text == "746억원"
    assert "rule=table.row" in ans.raw


def test_distractor_table_caption_decides_the_crop() -> None:
    a = table_crop(FINANCIAL, caption="한빛전자 요약 재무제표 (단위: 억 원)")
    other = [row[:] for row in FINANCIAL]
    other[1] = ["매출액", "1,111", "2,222", "9,999"]
    b = table_crop(other, caption="대성화학 요약 재무제표 (단위: 억 원)")
    for crops, index in (((a, b), 0), ((b, a), 1)):
        req, ans = ask("한빛전자의 2023년 매출액은?", *crops)
        assert ans.text == "3,450"
        assert ans.evidence[0].crop_index == index
        assert all(i == index for i, _ in ans.page_boxes(req))


def test_a_metric_no_table_has_is_refused() -> None:
    req, ans = ask("2023년 연구개발비는?", table_crop(FINANCIAL, caption="한빛전자 요약 재무제표"))
    assert not ans.answerable
    assert ans.evidence == []


def test_synthetic_cases_are_answered() -> None:
    """The generated benchmark tables: answerable ones right, with boxes in the right cell."""
    cases = [c for c in make_cases(n=12, seed=3) if c.answer is not None]
    assert len(cases) >= 8
    backend = ExtractiveBackend()
    for case in cases:
        req = VisionRequest(case.question, case.crops)
        ans = backend.answer([req])[0]
        assert ans.text == case.answer, case.question
        assert ans.evidence[0].crop_index == case.crop_index
        assert centre_in(ans.page_boxes(req)[0][1], case.cell_box)


def test_a_label_misread_by_one_letter_still_names_its_row() -> None:
    grid = [["구분", "2008년", "2009년"], ["인 화점(6)", "74.5", "76.6"], ["끌 는점(c)", "169.1", "168.8"]]
    table = Table([TableCell(r, c, t) for r, row in enumerate(grid) for c, t in enumerate(row)], 3, 3, 1)
    crop = CropInput(text=table.to_markdown(), table=table, kind="table")
    answer = ExtractiveBackend().answer([VisionRequest("2009년 끓는점은 얼마인가?", [crop])])[0]
    assert answer.answerable and answer.text == "168.8"

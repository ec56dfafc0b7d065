"""Index units of a document: crops with their context, table rows with header cells, pages
and the document; and the multi-level search over them."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.context import Block, document_context
from indexing.geometry import Box, Space
from indexing.model import RegionKind as K
from indexing.model import Table, TableCell
from indexing.passages import PassageOptions, document_passages, table_rows
from indexing.search import CollectionIndex, Fusion, Unit


def words(text: str) -> list[str]:
    return text.replace("|", " ").replace(":", " ").split()


def analyse(texts: list[str]) -> list[list[str]]:
    return [words(t) for t in texts]


def grid_table() -> Table:
    grid = [["구분", "2021년", "2022년"], ["매출액", "2,810", "3,067"], ["영업이익", "412", "455"]]
    cells = [TableCell(r, c, text, Box(100 * c, 20 * r, 100 * c + 90, 20 * r + 18, Space.PAGE))
             for r, row in enumerate(grid) for c, text in enumerate(row)]
    return Table(cells, 3, 3)


def test_rows_carry_their_header_cells_and_boxes():
    rows = table_rows(grid_table())
    assert [r.text for r in rows] == ["구분: 매출액 | 2021년: 2,810 | 2022년: 3,067",
                                     "구분: 영업이익 | 2021년: 412 | 2022년: 455"]
    assert rows[1].index == 2 and rows[1].box == Box(0, 40, 290, 58, Space.PAGE)


def test_two_header_rows_are_joined_per_column():
    cells = [TableCell(0, 1, "매출"), TableCell(1, 0, "연도"), TableCell(1, 1, "국내"),
             TableCell(2, 0, "2023"), TableCell(2, 1, "10"), TableCell(3, 0, "2024"),
             TableCell(3, 1, "12")]
    rows = table_rows(Table(cells, 4, 2, header_rows=2))
    assert [r.text for r in rows] == ["연도: 2023 | 매출 국내: 10", "연도: 2024 | 매출 국내: 12"]


def document() -> tuple[list[Block], list[Table | None]]:
    blocks = [Block(1, K.TEXT, Box(72, 60, 500, 90, Space.PAGE), "부산 도시 보고서", 20.0),
              Block(1, K.SECTION_HEADER, Box(72, 120, 500, 134, Space.PAGE), "1. 재무", 14.0),
              Block(1, K.TEXT, Box(72, 150, 500, 200, Space.PAGE), "본 시의 재정은 건전하다.", 10.0),
              Block(2, K.CAPTION, Box(72, 60, 500, 74, Space.PAGE), "표 1. 요약 재무", 10.0),
              Block(2, K.TABLE, Box(0, 80, 300, 140, Space.PAGE), "| 구분 | 2021년 |", 10.0)]
    return blocks, [None, None, None, None, grid_table()]


def test_units_of_a_document():
    blocks, tables = document()
    ctx = document_context(blocks, filename="busan.pdf")
    units = document_passages(blocks, tables, ctx, analyse)
    levels = [u.level for u in units]
    assert levels == ["crop", "crop", "row", "row", "column", "column", "page", "page", "document"]
    assert units[4].text.endswith("2021년 | 매출액: 2,810 | 영업이익: 412") and units[4].row == 1
    paragraph, table = units[0], units[1]
    assert paragraph.text == "부산 도시 보고서\n1. 재무\n본 시의 재정은 건전하다."
    assert table.text.startswith("부산 도시 보고서\n1. 재무\n표 1. 요약 재무\n")
    assert units[2].text.endswith("구분: 매출액 | 2021년: 2,810 | 2022년: 3,067")
    assert units[2].block == 4 and units[2].row == 1 and units[2].box is not None
    assert "부산" in units[3].context_terms and "부산" not in units[3].terms  # two fields
    assert units[6].page == 1 and "부산" in units[7].terms  # page 2 knows the title too
    assert all(u.embed == (u.level in ("crop", "row", "column")) for u in units)


def test_context_and_its_parts_are_options():
    blocks, tables = document()
    ctx = document_context(blocks, filename="busan.pdf")
    plain = document_passages(blocks, tables, ctx, analyse, PassageOptions(
        context=False, table_rows=False, page_units=False, document_units=False))
    assert [u.level for u in plain] == ["crop", "crop"] and not plain[1].context_terms
    unfolded = document_passages(blocks, tables, ctx, analyse, PassageOptions(
        context=False, fold=False, table_rows=False, page_units=False, document_units=False))
    assert [u.text for u in unfolded][:2] == ["부산 도시 보고서", "1. 재무"]  # headings as results
    titled = document_passages(blocks, tables, ctx, analyse, PassageOptions(context_parts=("title",)))
    assert titled[0].context_terms == ["부산", "도시", "보고서"]
    assert titled[0].text.startswith("부산 도시 보고서\n본")
    with pytest.raises(ValueError, match="context_parts"):
        PassageOptions(context_parts=("outline",))


def _index(tmp_path) -> CollectionIndex:
    """Two documents: document 10 (page units 11, 12) and document 20 (page unit 21)."""
    index = CollectionIndex.open(tmp_path / "c", "none", 2)
    v = np.array([1.0, 0.0], np.float32)
    index.add_units([
        Unit(10, "document", ["부산", "재무", "매출액"]), Unit(20, "document", ["대구", "매출액"]),
        Unit(11, "page", ["부산", "재무"], document=10), Unit(12, "page", ["부산", "매출액"], document=10),
        Unit(21, "page", ["대구", "매출액"], document=20),
        Unit(1, "crop", ["재무"], v, page=11, document=10),
        Unit(2, "crop", ["매출액", "영업이익"], v, page=12, document=10),
        Unit(3, "row", ["매출액", "2021"], v, crop=2, page=12, document=10),
        Unit(4, "crop", ["매출액", "영업이익"], v, page=21, document=20),
        Unit(5, "crop", ["요약"], v, ["부산", "보고서"], page=12, document=10),
        Unit(6, "crop", ["매출액", "증가"], v, ["부산", "보고서"], page=12, document=10),
    ])
    return index


def test_rows_fold_into_their_table_crop(tmp_path):
    hits = _index(tmp_path).search(["매출액", "2021"], None, 5, mode="sparse")
    assert hits[0].id == 2 and hits[0].unit == 3  # the row matched best: its crop, its unit
    assert [h.id for h in hits].count(2) == 1


def test_page_and_document_ranks_lift_the_crop_of_the_matching_document(tmp_path):
    index = _index(tmp_path)
    terms = ["대구", "매출액", "영업이익"]
    assert {h.id for h in index.search(terms, None, 2, mode="sparse")[:2]} == {2, 4}
    for method in ("rrf", "score"):
        fusion = Fusion(page=1.0, document=1.0, method=method)
        fused = index.search(terms, None, 3, mode="sparse", fusion=fusion)
        assert fused[0].id == 4 and fused[0].page_rank == 1 and fused[0].document_rank == 1


def test_crops_of_the_best_pages_join_the_candidates(tmp_path):
    index = _index(tmp_path)
    hits = index.search(["부산"], None, 5, mode="sparse", fusion=Fusion(page=1.0))
    assert 1 in [h.id for h in hits]  # matched only through its page (and document)
    assert all(h.sparse_rank is None for h in hits if h.id == 1)


def test_the_context_field_finds_the_document_and_the_own_text_the_crop(tmp_path):
    index = _index(tmp_path)
    terms = ["부산", "매출액"]
    assert index.search(terms, None, 1, mode="sparse", fusion=Fusion(context=0))[0].id != 6
    assert index.search(terms, None, 1, mode="sparse", fusion=Fusion(context=1.0))[0].id == 6
    # Within one document (same context) the own text decides, whatever the weight.
    ranked = [h.id for h in index.search(terms, None, 5, mode="sparse", fusion=Fusion(context=4.0))]
    assert ranked.index(6) < ranked.index(5)


def test_a_saved_index_keeps_its_levels(tmp_path):
    index = _index(tmp_path)
    index.save()
    reopened = CollectionIndex.open(tmp_path / "c", "none", 2)
    fusion = Fusion(page=1.0, document=1.0)
    terms = ["대구", "매출액", "부산"]
    assert reopened.search(terms, None, 3, mode="sparse", fusion=fusion) == \
        index.search(terms, None, 3, mode="sparse", fusion=fusion)
    assert reopened.fingerprint() == index.fingerprint() and len(reopened) == 11


def test_table_columns_carry_the_row_labels():
    from indexing.passages import table_columns

    cols = table_columns(grid_table())
    assert [c.text for c in cols] == ["2021년 | 매출액: 2,810 | 영업이익: 412",
                                      "2022년 | 매출액: 3,067 | 영업이익: 455"]
    assert cols[0].box == Box(100, 0, 190, 58, Space.PAGE)  # the header cell too


def test_an_ocr_read_title_is_also_indexed_with_its_syllables_joined():
    from indexing.tokenize import KoreanAnalyzer

    real = KoreanAnalyzer().index_terms_batch
    split = "은 빛 고 등 학교2005학년도 학교 운영 보고서"  # Tesseract on a scanned title
    question = set(KoreanAnalyzer().query_terms("은빛고등학교의 학급 수를 알려 주세요."))

    def units(ocr: bool) -> list:
        blocks = [Block(1, K.TITLE, Box(72, 60, 500, 90, Space.PAGE), split, 20.0, ocr=ocr),
                  Block(1, K.TEXT, Box(72, 150, 500, 200, Space.PAGE), "본교는 23학급을 편성하였다.",
                        10.0, ocr=ocr)]
        ctx = document_context(blocks, filename="s.pdf")
        assert ctx.title == split and ctx.title_ocr == ocr
        return document_passages(blocks, [None, None], ctx, real)

    scanned, typed = units(True), units(False)
    assert "은빛" in scanned[0].context_terms and "·은빛" in scanned[0].context_terms
    assert "은빛" in next(u for u in scanned if u.level == "document").terms
    as_read = typed[0].context_terms
    added = scanned[0].context_terms[len(as_read):]
    assert scanned[0].context_terms[:len(as_read)] == as_read  # the title as read stays
    assert added and len(set(added)) == len(added) and not set(added) & set(as_read)
    assert "은빛" not in typed[0].context_terms  # a text layer's spaces are the author's
    assert question & set(scanned[0].context_terms) > question & set(typed[0].context_terms)


def test_an_ocr_read_paragraph_is_also_indexed_with_its_syllables_joined():
    from indexing.tokenize import KoreanAnalyzer

    real = KoreanAnalyzer().index_terms_batch
    split = "2009년 말 현재 소장 도서는 509,927권이고 열람 좌 석은 107석이다."  # Tesseract

    def crop_terms(ocr: bool) -> list[str]:
        blocks = [Block(1, K.TITLE, Box(72, 60, 500, 90, Space.PAGE), "한가람 도서관 2009", 20.0, ocr=ocr),
                  Block(1, K.TEXT, Box(72, 150, 500, 200, Space.PAGE), split, 10.0, ocr=ocr)]
        units = document_passages(blocks, [None, None], document_context(blocks, filename="s.pdf"), real)
        return next(u for u in units if u.level == "crop").terms

    scanned, typed = crop_terms(True), crop_terms(False)
    assert scanned[:len(typed)] == typed  # the text as read keeps its terms
    assert "좌석" not in typed and {"좌석", "열람+좌석", "·좌석"} <= set(scanned)
    asked = set(KoreanAnalyzer().query_terms("열람 좌석은 얼마인가?"))
    assert asked & set(scanned) > asked & set(typed)
    assert len(set(scanned[len(typed):])) == len(scanned) - len(typed)  # each added once


def test_every_crop_of_a_document_gets_its_title_s_terms_alike():
    """A context is analysed line by line: joined to the next line, an OCR-read title gave
    some crops ``늘`` + ``봄`` + ``군`` and others ``늘봄군``, and the question naming it
    matched some of the document's crops better than others."""
    from indexing.tokenize import KoreanAnalyzer

    seen: list[str] = []

    def real(texts: list[str]) -> list[list[str]]:
        seen.extend(texts)
        return KoreanAnalyzer().index_terms_batch(texts)

    title = "2024 상수도 사업 현황 · 늘봄군"
    blocks = [Block(1, K.TITLE, Box(72, 60, 500, 90, Space.PAGE), title, 20.0, ocr=True),
              Block(1, K.SECTION_HEADER, Box(72, 110, 300, 125, Space.PAGE), "사업 개요", 12.0, ocr=True),
              Block(1, K.TEXT, Box(72, 130, 500, 160, Space.PAGE), "가동 중인 정수장은 4 곳이다.", 10.0, ocr=True),
              Block(2, K.SECTION_HEADER, Box(72, 60, 300, 75, Space.PAGE), "노후관 교체", 12.0, ocr=True),
              Block(2, K.TEXT, Box(72, 80, 500, 110, Space.PAGE), "노후관 교체 연장은 해마다 늘었다.", 10.0, ocr=True)]
    ctx = document_context(blocks, filename="w.pdf")
    units = document_passages(blocks, [None] * len(blocks), ctx, real, PassageOptions(
        table_rows=False, page_units=False, document_units=False))
    question = set(KoreanAnalyzer().query_terms("늘봄군의 정수장 수를 알려 주세요."))
    crops = [u for u in units if u.level == "crop"]
    assert len(crops) == 2 and all(c.context_terms for c in crops)
    named = [[t for t in c.context_terms if t in question] for c in crops]
    assert named[0] == named[1] and "늘봄군" in named[0]
    assert not any("늘봄군" in t and "\n" in t for t in seen)  # the title went in alone

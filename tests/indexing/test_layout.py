"""Layout regions: the model's kinds and boxes, scan regions from OCR lines, reading order."""

from __future__ import annotations

import pymupdf

from indexing import layout, tables
from indexing.geometry import Box, Space
from indexing.model import Region, RegionKind, Word
from indexing.ocr import OcrLine


def test_model_finds_heading_text_and_table_inside_the_page(table_doc):
    page = pymupdf.open(stream=table_doc.pdf, filetype="pdf")[0]
    regions = layout.detect_regions(page)
    kinds = [r.kind for r in regions]
    assert kinds[0] in (RegionKind.TITLE, RegionKind.SECTION_HEADER)
    assert RegionKind.TEXT in kinds and RegionKind.TABLE in kinds
    assert [r.order for r in regions] == list(range(len(regions)))
    for r in regions:
        assert r.box.space == Space.PAGE and not r.box.is_empty
        assert 0 <= r.box.x0 < r.box.x1 <= page.rect.width and 0 <= r.box.y0 < r.box.y1 <= page.rect.height
    table = next(r for r in regions if r.kind == RegionKind.TABLE)
    assert table.box.overlap_ratio(table_doc.box) > 0.9  # the model's box lies on the drawn table


def test_paragraphs_come_in_reading_order(korean_pdf):
    page = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")[0]
    regions = layout.detect_regions(page)
    assert len(regions) >= 5  # the title and four paragraphs
    tops = [r.box.y0 for r in regions]
    assert tops == sorted(tops)


def test_rows_map_to_kinds_and_are_clipped():
    rows = [[10, 10, 100, 40, "title"], [-5, 50, 700, 90, "table"], [10, 100, 10, 120, "text"],
            [10, 130, 200, 160, "something-new"]]
    regions = layout.regions_from_rows(rows, 595, 842)
    assert [r.kind for r in regions] == [RegionKind.TITLE, RegionKind.TABLE, RegionKind.TEXT]
    assert regions[1].box == Box(0, 50, 595, 90, Space.PAGE)  # clipped; the empty box dropped


def test_missed_raster_picture_becomes_a_region(korean_pdf):
    doc = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    page = doc[0]
    figure = pymupdf.Rect(72, 400, 372, 600)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 300, 200), 0)
    pix.set_rect(pix.irect, (200, 30, 30))
    page.insert_image(figure, pixmap=pix)
    found = layout.missed_pictures(page, [])
    assert [r.kind for r in found] == [RegionKind.PICTURE]
    assert found[0].box.iou(Box(72, 400, 372, 600, Space.PAGE)) > 0.99
    covering = Region(RegionKind.PICTURE, Box(70, 390, 380, 610, Space.PAGE))
    assert layout.missed_pictures(page, [covering]) == []


def test_xy_cut_reads_columns_left_then_right():
    def region(x0, y0, x1, y1):
        return Region(RegionKind.TEXT, Box(x0, y0, x1, y1, Space.PAGE))

    title = region(50, 40, 545, 70)
    left = [region(50, 100, 290, 200), region(50, 210, 290, 400)]
    right = [region(305, 100, 545, 300), region(305, 310, 545, 420)]
    footer = region(50, 800, 545, 820)
    ordered = layout.reading_order([footer, right[1], left[1], title, right[0], left[0]])
    assert ordered == [title, *left, *right, footer]
    assert [r.order for r in ordered] == [0, 1, 2, 3, 4, 5]


def line(x0, y0, x1, y1, text="가나다") -> OcrLine:
    box = Box(x0, y0, x1, y1, Space.PAGE)
    return OcrLine([Word(text, box, 90.0)], box)


def test_ocr_lines_group_into_blocks_and_headings():
    lines = [line(72, 70, 300, 92, "제목"),  # a large heading
             line(72, 110, 500, 122), line(72, 126, 480, 138),  # a paragraph
             line(72, 170, 500, 182)]  # a second paragraph after a gap
    regions = layout.scan_regions(lines, [], 595, 842)
    assert [r.kind for r in regions] == [RegionKind.SECTION_HEADER, RegionKind.TEXT, RegionKind.TEXT]
    assert regions[1].box == Box(72, 110, 500, 138, Space.PAGE)
    assert regions[1].text == "가나다\n가나다"


def test_scan_regions_put_lines_inside_a_ruled_grid_into_a_table():
    grid = tables.RuledGrid(rows=[200, 220, 240], cols=[72, 200, 330])
    lines = [line(80, 204, 120, 216, "매출액"), line(210, 204, 250, 216, "3,450"),
             line(80, 224, 130, 236, "영업이익"), line(210, 224, 240, 236, "521"),
             line(72, 100, 400, 112, "다음 표는 재무 현황이다.")]
    regions = layout.scan_regions(lines, [grid], 595, 842)
    assert [r.kind for r in regions] == [RegionKind.TEXT, RegionKind.TABLE]
    assert regions[1].table.grid() == [["매출액", "3,450"], ["영업이익", "521"]]


def test_blank_scan_falls_back_to_one_picture_region():
    regions = layout.scan_regions([], [], 595, 842)
    assert len(regions) == 1 and regions[0].kind == RegionKind.PICTURE
    assert regions[0].box == Box(0, 0, 595, 842, Space.PAGE)


def _words_line(words: list[tuple[str, float, float, float, float]]) -> OcrLine:
    ws = [Word(t, Box(x0, y0, x1, y1, Space.PAGE)) for t, x0, y0, x1, y1 in words]
    box = ws[0].box
    for w in ws[1:]:
        box = box.union(w.box)
    return OcrLine(ws, box)


def test_a_body_line_with_a_word_boxed_tall_stays_body_and_joins_its_paragraph():
    # Tesseract boxes a word it glued together twice as tall as its neighbours
    first = _words_line([("본제품은산업용세척과표면", 62, 226, 180, 244.4), ("처리", 190, 231.4, 210, 240.8),
                         ("용도로", 214, 231.8, 240, 240.8), ("단위는", 250, 231.4, 280, 240.8),
                         ("191", 284, 232.2, 300, 240.1), ("리터이며", 304, 231.4, 340, 240.8)])
    second = _words_line([("사용", 63, 248, 80, 257.4), ("농도는", 84, 248.4, 110, 257.4),
                          ("8.4%이다.", 114, 248.7, 162, 257.4)])
    heading = _words_line([("1.", 64, 208, 70, 221), ("화학제품과", 74, 208, 130, 221)])
    regions = layout.scan_regions([heading, first, second], [], 595, 842)
    assert [r.kind for r in regions] == [RegionKind.SECTION_HEADER, RegionKind.TEXT]
    assert "191" in regions[1].text and "8.4%" in regions[1].text
    assert first.core_box.height < 10 and first.core_box.x0 == 62
    # a short last line with half its words boxed tall still has the body's height
    short = _words_line([("사용", 62.6, 248.0, 80, 257.4), ("농", 84, 248.4, 92, 257.4),
                         ("도는", 96, 244.8, 112, 262.1), ("13.6%이다.", 116, 244.8, 168, 262.1)])
    assert short.core_box.height < 10
    regions = layout.scan_regions([heading, first, short], [], 595, 842)
    assert [r.kind for r in regions] == [RegionKind.SECTION_HEADER, RegionKind.TEXT]


def test_a_block_that_ends_a_sentence_is_never_a_heading():
    big = Box(63, 314, 204, 332.6, Space.PAGE)
    assert layout.block_kind([big], 9.4, "장갑과보안경을 착용하여야 한다.") == RegionKind.TEXT
    assert layout.block_kind([big], 9.4, "콜드락 냉각수 첨가제 물질안전보건자료") == RegionKind.SECTION_HEADER
    assert layout.ends_sentence("It was founded in 1976.") and not layout.ends_sentence("1. Introduction")


def test_a_long_line_cut_from_its_paragraph_is_never_a_heading():
    tall = Box(62, 226, 530, 244.4, Space.PAGE)  # glued words boxed tall
    line = "본시의 2004년 일반회계 예산은 38,735억 원으로편성되었으며 이는복지와 교통분야의 수요증가를반영한"
    assert layout.block_kind([tall], 9.4, line) == RegionKind.TEXT
    assert layout.block_kind([tall], 9.4, "포항시 통계연보 2004") == RegionKind.SECTION_HEADER
    assert layout.block_kind([tall], 9.4, "변화에따라해마다조정된다.") == RegionKind.TEXT  # glued


def test_a_line_whose_shortest_words_match_the_line_above_continues_its_paragraph():
    # Tesseract boxed three of five words of the second line to the full line height
    first = _words_line([("이", 63, 196.9, 70, 206.3), ("도서관은", 74, 195.5, 120, 209.5),
                         ("지역", 124, 196.9, 146, 206.3), ("현재", 150, 196.9, 172, 206.3),
                         ("소장", 176, 196.9, 198, 206.3), ("도서는", 202, 195.5, 236, 209.5)])
    second = _words_line([("509,927권이고", 63, 211.3, 130, 226.4), ("열람", 134, 213.5, 156, 222.8),
                          ("좌", 160, 213.5, 168, 222.8), ("석은", 172, 211.3, 194, 226.4),
                          ("107석이다.", 198, 211.3, 233, 226.4)])
    assert second.core_box.height > 1.5 * first.core_box.height  # the usual height says "apart"
    regions = layout.scan_regions([first, second], [], 595, 842)
    assert len(regions) == 1 and "도서는\n509,927권이고" in regions[0].text
    # a title set twice as large stays apart: its shortest words are large too
    title = _words_line([("2009년도", 63, 172, 143, 192), ("한가람", 149, 172, 203, 192)])
    regions = layout.scan_regions([title, first], [], 595, 842)
    assert len(regions) == 2


def _page_lines(page: pymupdf.Page) -> list[OcrLine]:
    from indexing.textlayer import page_lines

    return [OcrLine.of(words) for words in page_lines(page)]


def test_a_plain_text_page_is_cut_from_its_lines_as_the_model_cuts_it(korean_pdf):
    page = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")[0]
    assert layout.plain_page(page) == layout.PlainPage([], [])
    ours = layout.text_layer_regions(_page_lines(page), page.rect.width, page.rect.height)
    model = layout.detect_regions(page)
    assert len(ours) == len(model)  # the title and four paragraphs
    for a, b in zip(ours, model, strict=True):
        assert a.box.overlap_ratio(b.box) > 0.8


def test_paragraphs_are_cut_at_an_indent_and_a_short_sentence_end():
    lines = [line(72, 100, 500, 112, "첫 문단의 첫 줄"), line(72, 114, 300, 126, "끝나는 줄입니다."),
             line(72, 128, 500, 140, "둘째 문단의 첫 줄"), line(72, 142, 500, 154, "이어지는 줄"),
             line(90, 156, 500, 168, "들여 쓴 셋째 문단"), line(72, 170, 400, 182, "마지막 줄")]
    regions = layout.text_layer_regions(lines, 595, 842)
    assert [r.box.y0 for r in regions] == [100, 128, 156]


def test_a_centred_title_keeps_its_lines_and_a_section_number_its_heading():
    lines = [line(150, 100, 450, 116, "A New Horizon of Data"), line(220, 118, 380, 134, "Quantum Entanglement"),
             line(72, 200, 80, 210, "1"), line(100, 200, 170, 210, "Introduction"),
             line(72, 214, 500, 224, "The first line of the body.")]
    regions = layout.text_layer_regions(lines, 595, 842)
    assert regions[0].text == "A New Horizon of Data\nQuantum Entanglement"
    assert any(r.text == "1 Introduction" for r in regions)


def test_a_numbered_item_that_wraps_is_a_paragraph_and_a_short_one_a_heading():
    # a bill's list: each item runs to the right margin and goes on under its text (hanging)
    def item(y: float, number: str, first: str, rest: str, rest_x1: float) -> list[OcrLine]:
        return [_words_line([(number, 85, y, 92, y + 17), (first, 99, y, 524, y + 17)]),
                line(95, y + 32, rest_x1, y + 49, rest)]

    lines = [line(71, 400, 524, 417, "같은 항에 각 호를 다음과 같이 신설하며 그 내용은 다음과 같다"),
             *item(458, "1.", "아동ㆍ청년ㆍ여성을 각각 대표할 수 있는 대통령령으로 정하는", "요건을 갖춘 단체", 305),
             *item(522, "2.", "「농업ㆍ농촌 및 식품산업 기본법」 제3조제4호에 따른 생산자",
                   "단체 및 「수산업ㆍ어촌 발전 기본법」 제3조제5호에 따른 생산자", 524),
             line(85, 650, 200, 667, "3. 주요 지표"), line(71, 690, 524, 707, "본문은 여기서 시작하여 다음 줄로")]
    regions = layout.text_layer_regions(lines, 595, 842)
    texts = [r.text for r in regions]
    assert "1. 아동ㆍ청년ㆍ여성을 각각 대표할 수 있는 대통령령으로 정하는\n요건을 갖춘 단체" in texts
    assert any(t.startswith("2. 「농업") and t.endswith("생산자") and "\n" in t for t in texts)
    heading = next(r for r in regions if r.text == "3. 주요 지표")  # short: it names a section
    assert heading.kind == RegionKind.SECTION_HEADER
    assert not any(r.kind == RegionKind.SECTION_HEADER for r in regions if r is not heading)
    assert not layout.fragmented(regions)


def test_rules_keep_a_page_plain_unless_they_rule_a_table_across():
    def page_with_rules(width: float, *ys: float) -> pymupdf.Page:
        doc = pymupdf.open()
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 100), "Text above a rule.")
        for y in ys:
            page.draw_line((72, y), (72 + width, y), width=0.5)
        return page

    assert layout.plain_page(page_with_rules(40, 110)) == layout.PlainPage([], [])  # an underline
    assert layout.plain_page(page_with_rules(400, 110)) == layout.PlainPage([], [])  # a separator
    assert layout.plain_page(page_with_rules(400, 110, 150, 190)) is None  # a table's rules across


def test_words_set_one_by_one_join_into_their_line():
    words = [line(72, 100, 110, 110, "Quantum"), line(116, 100, 150, 110, "Entanglement"),
             line(156, 100, 170, 110, "&"), line(300, 100, 340, 110, "column")]
    joined = layout.join_pieces(words)
    assert [ln.text for ln in joined] == ["Quantum Entanglement &", "column"]  # a wide gap parts columns


def test_a_page_of_formula_scraps_is_left_to_the_model():
    prose = [Region(RegionKind.TEXT, Box(72, 100 + 40 * i, 500, 130 + 40 * i, Space.PAGE),
                    text="a paragraph of several words") for i in range(6)]
    scraps = [Region(RegionKind.SECTION_HEADER, Box(72, 400, 90, 410, Space.PAGE), text="∑ x")] * 4
    assert not layout.fragmented(prose)
    assert layout.fragmented(prose + scraps)


def _page_with_image(rect: pymupdf.Rect, texts: list[tuple[float, float, str]]) -> pymupdf.Page:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 40), 0)
    pix.set_rect(pix.irect, (30, 90, 200))
    page.insert_image(rect, pixmap=pix, keep_proportion=False)
    for x, y, text in texts:
        page.insert_text((x, y), text, fontsize=10)
    return page


def test_a_raster_figure_apart_from_the_text_keeps_the_page_off_the_model():
    figure = pymupdf.Rect(100, 300, 400, 500)
    body = [(72, 100 + 14 * i, f"Body line {i} of the first paragraph, set in ten point type.") for i in range(5)]
    label = [(120, 320, "Label A")]
    caption = [(72, 520, "Figure 1. A raster figure with one label on it.")]
    page = _page_with_image(figure, body + label + caption)
    pictures = layout.plain_page(page).pictures
    assert len(pictures) == 1 and pictures[0].overlap_ratio(Box(*figure, Space.PAGE)) > 0.99
    regions = layout.text_layer_regions(_page_lines(page), 595, 842, pictures)
    picture = next(r for r in regions if r.kind == RegionKind.PICTURE)
    assert picture.text == "Label A" and picture.box.overlap_ratio(Box(*figure, Space.PAGE)) > 0.9
    assert any(r.text.startswith("Body line 0") and r.kind == RegionKind.TEXT for r in regions)
    assert any(r.text.startswith("Figure 1.") for r in regions)
    assert layout.plain_page(page).pictures != []  # a page of text alone it is not


def test_text_over_an_image_or_an_image_behind_the_page_needs_the_model():
    panel = pymupdf.Rect(60, 90, 540, 400)
    prose = [(72, 110 + 14 * i, f"Line {i}: several words of prose printed on a tinted panel here.") for i in range(6)]
    page = _page_with_image(panel, prose)
    pictures = layout.plain_page(page).pictures
    assert layout.text_layer_regions(_page_lines(page), 595, 842, pictures) is None
    background = _page_with_image(pymupdf.Rect(0, 0, 595, 842), prose)
    assert layout.plain_page(background) is None

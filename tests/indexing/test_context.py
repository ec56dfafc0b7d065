"""Context building: the document title, heading paths across pages, captions, roles."""

from __future__ import annotations

from indexing.context import Block, Role, document_context, is_caption
from indexing.geometry import Box, Space
from indexing.model import RegionKind as K


def block(page: int, kind: K, y: float, text: str, size: float = 10.0, x0: float = 72.0,
          x1: float = 520.0, height: float = 14.0) -> Block:
    return Block(page, kind, Box(x0, y, x1, y + height, Space.PAGE), text, size)


def report() -> list[Block]:
    """Three pages: a title, numbered sections of two levels, a captioned table and chart."""
    return [
        block(1, K.TEXT, 60, "부산 도시 현황 보고서 2024", size=20.0),
        block(1, K.SECTION_HEADER, 120, "1. 개요", size=14.0),
        block(1, K.TEXT, 150, "본 시의 인구는 꾸준히 늘었다.", size=10.0),
        block(1, K.SECTION_HEADER, 200, "1.1 연혁", size=12.0),
        block(1, K.TEXT, 230, "본 시는 1914년에 설치되었다.", size=10.0),
        block(1, K.PAGE_FOOTER, 800, "- 1 -", size=8.0),
        block(2, K.SECTION_HEADER, 60, "2. 주요 지표", size=14.0),
        block(2, K.CAPTION, 100, "표 1. 연도별 주요 지표", size=10.0),
        block(2, K.TABLE, 120, "| 지표 | 2019년 |", size=10.0, height=200.0),
        block(3, K.TEXT, 60, "연도별 관광객 수를 나타낸다.", size=10.0),
        block(3, K.PICTURE, 100, "2019 2020 1,204 1,310", size=7.0, height=300.0),
        block(3, K.TEXT, 410, "그림 1. 연도별 관광객 수", size=10.0),
    ]


def test_title_comes_from_the_largest_type_on_page_one():
    ctx = document_context(report(), filename="busan.pdf", metadata_title="Untitled")
    assert (ctx.title, ctx.title_source) == ("부산 도시 현황 보고서 2024", "layout")
    assert ctx.roles[0] == Role.TITLE
    assert all(c.title == ctx.title for c in ctx.contexts)


def test_a_title_that_opens_on_its_year_is_a_title_not_a_numbered_section():
    blocks = report()
    blocks[0] = block(1, K.SECTION_HEADER, 60, "2019 상수도 사업 현황 · 솔뫼군", size=20.0)
    ctx = document_context(blocks, filename="water-00.pdf")
    assert (ctx.title, ctx.title_source) == ("2019 상수도 사업 현황 · 솔뫼군", "layout")


def test_a_title_region_wins_and_metadata_then_filename_are_fallbacks():
    blocks = [block(1, K.TEXT, 60, "작은 글씨"), block(2, K.TITLE, 60, "제2장 본문 제목"),
              block(2, K.TEXT, 90, "본문")]
    assert document_context(blocks, filename="x.pdf").title == "제2장 본문 제목"
    flat = [block(1, K.TEXT, 60, "본문 한 줄"), block(1, K.TEXT, 90, "본문 두 줄")]
    meta = document_context(flat, filename="x.pdf", metadata_title="2023년 사업보고서")
    assert (meta.title, meta.title_source) == ("2023년 사업보고서", "metadata")
    named = document_context(flat, filename="fund_report-2023-09.pdf", metadata_title="Untitled")
    assert (named.title, named.title_source) == ("fund report 2023 09", "filename")


def test_heading_paths_nest_by_size_and_carry_across_pages():
    ctx = document_context(report(), filename="busan.pdf")
    assert ctx.contexts[2].headings == ("1. 개요",)
    assert ctx.contexts[4].headings == ("1. 개요", "1.1 연혁")
    assert ctx.contexts[8].headings == ("2. 주요 지표",)  # the sibling replaced 1. and 1.1
    assert ctx.contexts[10].headings == ("2. 주요 지표",)  # page 3 is still under section 2
    assert ctx.roles[1] == ctx.roles[3] == ctx.roles[6] == Role.HEADING


def test_same_size_headings_nest_by_their_numbers():
    blocks = [block(1, K.SECTION_HEADER, 60, "1. 개요", size=12.0),
              block(1, K.SECTION_HEADER, 90, "1.1 목적", size=12.0),
              block(1, K.TEXT, 120, "본문"),
              block(1, K.SECTION_HEADER, 150, "2. 현황", size=12.0),
              block(1, K.TEXT, 180, "본문 둘")]
    ctx = document_context(blocks, filename="x.pdf")
    assert ctx.contexts[2].headings == ("1. 개요", "1.1 목적")
    assert ctx.contexts[4].headings == ("2. 현황",)


def test_captions_attach_to_the_nearest_table_or_figure_and_leave_the_results():
    ctx = document_context(report(), filename="busan.pdf")
    assert ctx.contexts[8].caption == "표 1. 연도별 주요 지표"  # a caption region above
    assert ctx.contexts[10].caption == "그림 1. 연도별 관광객 수"  # a text line below, read as one
    assert ctx.roles[7] == ctx.roles[11] == Role.CAPTION
    assert ctx.roles[9] == Role.BODY  # an ordinary sentence near the chart stays a result
    assert ctx.roles[5] == Role.FURNITURE


def test_a_caption_far_from_any_figure_or_beside_it_stays_a_result():
    blocks = [block(1, K.TEXT, 60, "표 1. 외딴 표제"),
              block(1, K.TABLE, 600, "| a |", height=100.0),
              block(1, K.CAPTION, 420, "그림 9. 옆 칸", x0=400.0, x1=560.0),
              block(1, K.PICTURE, 400, "", x0=72.0, x1=300.0, height=100.0)]
    ctx = document_context(blocks, filename="x.pdf")
    assert ctx.roles[0] == Role.BODY and ctx.contexts[2].caption == ""
    assert ctx.roles[2] == Role.BODY  # side by side with the picture, not under it


def test_a_heading_with_nothing_under_it_is_its_own_evidence():
    blocks = [block(1, K.TEXT, 60, "본문"), block(1, K.SECTION_HEADER, 700, "부록 없음", size=14.0)]
    ctx = document_context(blocks, filename="x.pdf")
    assert ctx.roles[1] == Role.BODY


def test_caption_patterns():
    for text in ("표 1. 매출", "<표 2> 현황", "그림 3 추이", "Table 4: sales", "Figure 1. A", "Fig. 2"):
        assert is_caption(block(1, K.TEXT, 0, text)), text
    for text in ("표를 보면 알 수 있다", "그림자", "Tables are nice"):
        assert not is_caption(block(1, K.TEXT, 0, text)), text


def test_a_title_block_drops_the_smaller_subtitle_it_took_along():
    title = Block(1, K.SECTION_HEADER, Box(190, 85, 400, 145, Space.PAGE),
                  "목포시 통계연보 2003\n2003년 12월 31일 기준 발간", 20.0,
                  lines=(("목포시 통계연보 2003", 20.0), ("2003년 12월 31일 기준 발간", 11.0)))
    body = block(1, K.TEXT, 200, "본 시의 인구는 늘었다.")
    assert document_context([title, body], filename="x.pdf").title == "목포시 통계연보 2003"


def test_a_title_under_small_print_in_one_region_is_found_without_the_print():
    # a safety data sheet: the layout model took the form fields and the title as one region
    head = Block(1, K.TEXT, Box(136, 49, 545, 121, Space.PAGE),
                 "MSDS번호 : AA05999\n물 질 안 전 보 건 자 료\n(Material Safety Data Sheets)", 10.0,
                 lines=(("MSDS번호 : AA05999", 9.5), ("물 질 안 전 보 건 자 료", 20.0),
                        ("(Material Safety Data Sheets)", 14.0)))
    body = [block(1, K.TEXT, 200 + 30 * i, "가. 제품명 : CGA-35", size=10.0) for i in range(3)]
    assert document_context([head, *body], filename="msds-cga35.pdf").title == "물 질 안 전 보 건 자 료"


def test_the_first_region_a_little_larger_than_the_body_is_the_title_on_a_text_layer_only():
    # a bill: its 15.9 pt title over 14 pt body, the first region on page 1
    title = Block(1, K.TEXT, Box(70, 79, 520, 140, Space.PAGE), "기후위기 대응 기본법 일부개정법률안", 15.9,
                  lines=(("기후위기 대응 기본법 일부개정법률안", 15.9),))
    body = [block(1, K.TEXT, 200 + 40 * i, "현행법은 기본계획을 수립하도록 하고 있음.", size=14.0)
            for i in range(3)]
    assert document_context([title, *body], filename="bill-2125318.pdf").title == title.text
    later = [body[0], title, *body[1:]]  # not the first region: the usual margin applies
    assert document_context(later, filename="bill-2125318.pdf").title_source == "filename"
    scanned = Block(1, K.TEXT, title.box, title.text, 15.9, lines=title.lines, ocr=True)
    assert document_context([scanned, *body], filename="bill-2125318.pdf").title_source == "filename"


def test_text_layer_lines_keep_the_words_of_their_largest_type():
    from indexing.context import text_lines
    from indexing.model import Word

    words = [Word("물질안전보건자료", Box(200, 65, 380, 85, Space.PAGE)),
             Word("문서번호", Box(384, 71, 420, 81, Space.PAGE)), Word(":", Box(422, 71, 424, 81, Space.PAGE))]
    assert text_lines(words, exact=True) == (("물질안전보건자료", 20.0),)
    assert text_lines(words)[0][0] == "물질안전보건자료 문서번호 :"  # OCR heights: kept whole


def test_text_repeated_in_the_margins_of_pages_is_furniture():
    blocks = [block(p, K.TEXT, y, text) for p in (1, 2) for y, text in
              ((30, "통계 연보"), (100, f"본문 {p}"), (800, f"- {p} -"))]
    roles = document_context(blocks, filename="x.pdf").roles
    assert [r.value for r in roles] == ["furniture", "body", "furniture"] * 2


def test_an_ocr_block_is_judged_whole_and_keeps_a_small_first_line():
    # OCR heights vary within a line and between lines: nothing is skipped on them
    head = Block(1, K.TEXT, Box(150, 60, 450, 130, Space.PAGE), "2019\n상수도 사업 현황", 18.0,
                 lines=(("2019", 12.0), ("상수도 사업 현황", 20.0)), ocr=True)
    body = [Block(1, K.TEXT, Box(72, 200 + 40 * i, 520, 230 + 40 * i, Space.PAGE),
                  "상수도사업소는 먹는 물을 공급한다.", 10.0, ocr=True) for i in range(3)]
    assert document_context([head, *body], filename="w.pdf").title == "2019 상수도 사업 현황"


def bill() -> list[Block]:
    """A bill's first pages: its title, then an unlabelled body-size heading over prose that
    runs on to page 2, and a patent-like name over a short address."""
    para = ("현행법은 기후위기 대응을 위해 국가 탄소중립 녹색성장 기본계획을 수립ㆍ시행하도록 하고\n"
            "탄소중립 녹색성장위원회를 두도록 하고 있음. 그리고 모든 국민의 민주적 참여를 보장함.")
    return [
        block(1, K.TEXT, 80, "기후위기 대응을 위한 탄소중립ㆍ녹색성장 기본법 일부개정법률안", size=16.0),
        block(1, K.TEXT, 345, "제안이유 및 주요내용", size=14.0, x0=75.0, x1=221.0, height=17.0),
        block(1, K.TEXT, 386, para, size=14.0, x0=71.0, x1=524.0, height=370.0),
        block(2, K.TEXT, 80, para, size=14.0, x0=71.0, x1=524.0, height=80.0),
    ]


def test_a_short_line_over_a_paragraph_heads_it_though_nothing_labels_it():
    ctx = document_context(bill(), filename="bill.pdf")
    assert ctx.roles[1] == Role.HEADING
    assert ctx.contexts[2].headings == ("제안이유 및 주요내용",)
    assert ctx.contexts[3].headings == ("제안이유 및 주요내용",)  # the section goes on over the page


def test_a_line_that_says_something_or_heads_a_short_field_is_no_heading():
    para = bill()[2].text
    for line in ("상기 더미 이미지 생성부는", "발의연월일 : 2023. 11. 9.", "정비하고자 함.", "표 1. 주요 지표"):
        blocks = bill()
        blocks[1] = block(1, K.TEXT, 345, line, size=14.0, x0=75.0, x1=221.0, height=17.0)
        assert document_context(blocks, filename="bill.pdf").roles[1] != Role.HEADING, line
    address = [block(1, K.TEXT, 80, "주식회사 한글과컴퓨터", x0=330.0, x1=423.0, height=8.0),
               block(1, K.TEXT, 92, "경기도 성남시 분당구 대왕판교로644번길 49,\n10층(삼평동, 한컴타워)",
                     x0=330.0, x1=531.0, height=20.0)]
    assert document_context(address, filename="patent.pdf").roles[0] == Role.BODY
    apart = bill()
    apart[2] = block(1, K.TEXT, 600, para, size=14.0, x0=71.0, x1=524.0, height=150.0)  # far below
    assert document_context(apart, filename="bill.pdf").roles[1] != Role.HEADING

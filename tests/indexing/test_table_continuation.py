"""Tables that cross pages: which table crops continue the one at the foot of the page before,
what their context records, and the header the row units of a continuation borrow."""

from __future__ import annotations

from indexing.context import Block, CropContext, Role, document_context
from indexing.continuation import link_tables
from indexing.geometry import Box, Space
from indexing.model import RegionKind as K
from indexing.model import Table, TableCell
from indexing.passages import document_passages, table_columns, table_rows

HEADER = ["구분", "2021년", "2022년", "2023년"]
EDGES = [72.0, 180.0, 260.0, 340.0, 420.0]


def ruled(rows: list[list[str]], top: float, edges: list[float] = EDGES, header_rows: int = 1) -> Table:
    cells = [TableCell(r, c, text, Box(edges[c], top + 20 * r, edges[c + 1], top + 20 * (r + 1), Space.PAGE))
             for r, row in enumerate(rows) for c, text in enumerate(row)]
    return Table(cells, len(rows), len(edges) - 1, header_rows)


def body(start: int, n: int) -> list[list[str]]:
    return [[f"지역 {i:02d}", f"{1000 + i:,}", f"{2000 + i:,}", f"{3000 + i:,}"] for i in range(start, start + n)]


def table_block(page: int, table: Table) -> Block:
    xs = [c.box.x0 for c in table.cells] + [c.box.x1 for c in table.cells]  # type: ignore[union-attr]
    ys = [c.box.y0 for c in table.cells] + [c.box.y1 for c in table.cells]  # type: ignore[union-attr]
    return Block(page, K.TABLE, Box(min(xs), min(ys), max(xs), max(ys), Space.PAGE), table.to_markdown(), 9.0)


def footer(page: int) -> Block:
    return Block(page, K.PAGE_FOOTER, Box(290, 800, 305, 806, Space.PAGE), f"- {page} -", 8.0)


def document(*later: Table, first: Table | None = None, top: list[Block] | None = None
             ) -> tuple[list[Block], list[Table | None]]:
    """A title and a paragraph, then ``first`` (a header and 30 rows) at the foot of page 1,
    then each of ``later`` at the top of the next page; page numbers at every foot."""
    first = first or ruled([HEADER, *body(1, 30)], 150.0)
    blocks = [Block(1, K.TITLE, Box(72, 72, 300, 90, Space.PAGE), "지역별 사업체 수", 18.0),
              Block(1, K.TEXT, Box(72, 100, 500, 130, Space.PAGE), "다음 표는 지역별 사업체 수이다.", 10.0),
              table_block(1, first), footer(1)]
    tables: list[Table | None] = [None, None, first, None]
    for page, table in enumerate(later, 2):
        for b in top or []:
            blocks.append(Block(page, b.kind, b.box, b.text, b.size))
            tables.append(None)
        blocks += [table_block(page, table), footer(page)]
        tables += [table, None]
    return blocks, tables


def linked(blocks: list[Block], tables: list[Table | None]) -> list[CropContext]:
    return link_tables(blocks, tables, document_context(blocks, filename="x.pdf")).contexts


def test_a_continuation_without_header_is_linked_and_gets_the_header():
    blocks, tables = document(ruled(body(31, 20), 72.0))
    ctx = linked(blocks, tables)
    assert (ctx[2].part, ctx[2].parts, ctx[2].continues, ctx[2].header) == (1, (2, 4), None, ())
    assert (ctx[4].part, ctx[4].parts, ctx[4].continues) == (2, (2, 4), 2)
    assert ctx[4].header == (tuple(HEADER),)
    assert not ctx[0].linked and not ctx[1].linked and not ctx[3].linked


def test_three_parts_are_one_chain_and_a_repeated_header_is_not_lent():
    blocks, tables = document(ruled([HEADER, *body(31, 30)], 72.0), ruled([HEADER, *body(61, 5)], 72.0))
    ctx = linked(blocks, tables)
    parts = [i for i, c in enumerate(ctx) if c.linked]
    assert parts == [2, 4, 6]
    assert [ctx[i].part for i in parts] == [1, 2, 3]
    assert all(ctx[i].parts == (2, 4, 6) for i in parts)
    assert ctx[6].continues == 2 and ctx[4].header == () and ctx[6].header == ()


def test_columns_must_line_up():
    moved = ruled(body(31, 20), 72.0, edges=[72.0, 150.0, 260.0, 340.0, 420.0])
    assert not any(c.linked for c in linked(*document(moved)))
    nudged = ruled(body(31, 20), 72.0, edges=[e + 3.0 for e in EDGES])  # within the tolerance
    assert linked(*document(nudged))[4].part == 2
    fewer = ruled([r[:3] for r in body(31, 20)], 72.0, edges=EDGES[:4])
    assert not any(c.linked for c in linked(*document(fewer)))


def test_a_new_table_with_its_own_header_is_not_a_continuation():
    other = ruled([["구분", "상반기", "하반기", "합계"], *body(1, 10)], 72.0)
    assert not any(c.linked for c in linked(*document(other)))


def test_a_heading_or_text_between_the_parts_breaks_the_link():
    heading = Block(2, K.SECTION_HEADER, Box(72, 40, 300, 60, Space.PAGE), "2. 다음 장", 14.0)
    blocks, tables = document(ruled(body(31, 20), 72.0), top=[heading])
    assert not any(c.linked for c in linked(blocks, tables))
    # nor does a table that is not the last body region of its page continue
    blocks, tables = document(ruled(body(31, 20), 72.0))
    blocks.insert(3, Block(1, K.TEXT, Box(72, 770, 500, 790, Space.PAGE), "주: 단위는 개", 9.0))
    tables.insert(3, None)
    assert not any(c.linked for c in linked(blocks, tables))


def test_a_continued_caption_is_passed_and_the_caption_is_inherited():
    caption = Block(1, K.CAPTION, Box(72, 132, 300, 146, Space.PAGE), "표 1. 지역별 사업체 수", 10.0)
    blocks, tables = document(ruled(body(31, 20), 72.0),
                              top=[Block(2, K.CAPTION, Box(72, 50, 300, 64, Space.PAGE), "표 1. 지역별 사업체 수 (계속)", 10.0)])
    blocks.insert(2, caption)
    tables.insert(2, None)
    ctx = document_context(blocks, filename="x.pdf")
    out = link_tables(blocks, tables, ctx).contexts
    table_at = [i for i, b in enumerate(blocks) if b.kind == K.TABLE]
    assert [out[i].part for i in table_at] == [1, 2]
    assert out[table_at[0]].caption == "표 1. 지역별 사업체 수"
    assert out[table_at[1]].caption == "표 1. 지역별 사업체 수 (계속)"
    assert ctx.roles[table_at[1] - 1] == Role.CAPTION
    # without a caption of its own, the continuation takes the first part's
    blocks, tables = document(ruled(body(31, 20), 72.0))
    blocks.insert(2, caption)
    tables.insert(2, None)
    assert linked(blocks, tables)[5].caption == "표 1. 지역별 사업체 수"


def test_a_table_under_a_caption_of_its_own_is_not_a_continuation():
    blocks, tables = document(ruled(body(31, 20), 72.0),
                              top=[Block(2, K.CAPTION, Box(72, 50, 300, 64, Space.PAGE), "표 2. 시도별 종사자 수", 10.0)])
    assert not any(c.linked for c in linked(blocks, tables))


def test_row_and_column_units_of_a_continuation_carry_the_first_parts_headers():
    blocks, tables = document(ruled(body(31, 20), 72.0))
    ctx = link_tables(blocks, tables, document_context(blocks, filename="x.pdf"))
    units = document_passages(blocks, tables, ctx, lambda texts: [t.split() for t in texts])
    rows = [u for u in units if u.level == "row" and u.block == 4]
    assert len(rows) == 20 and rows[0].row == 0 and rows[0].page == 2
    assert rows[6].text.endswith("구분: 지역 37 | 2021년: 1,037 | 2022년: 2,037 | 2023년: 3,037")
    assert rows[6].box == Box(72, 192, 420, 212, Space.PAGE)
    cols = [u for u in units if u.level == "column" and u.block == 4]
    assert cols[1].text.split("\n")[-1].startswith("2022년 | 지역 31: 2,031 | 지역 32: 2,032")
    # the first part's own units are as before
    first = [u.text.split("\n")[-1] for u in units if u.level == "row" and u.block == 2]
    assert first == [r.text for r in table_rows(tables[2])]  # type: ignore[arg-type]


def test_lent_headers_in_table_rows_and_columns():
    part = ruled(body(31, 3), 72.0)
    # alone, its first body row is taken for a header: the row of 지역 31 is lost
    assert table_rows(part)[0].text.startswith("지역 31: 지역 32 | 1,031: 1,032")
    rows = table_rows(part, [HEADER])
    assert [r.index for r in rows] == [0, 1, 2]
    assert rows[0].text == "구분: 지역 31 | 2021년: 1,031 | 2022년: 2,031 | 2023년: 3,031"
    two = table_columns(part, [["", "매출", "매출", "이익"], HEADER])
    assert two[0].text.startswith("매출 2021년 | 지역 31: 1,031")


def test_context_json_keeps_old_rows_and_round_trips_links():
    old = {"title": "부산 보고서", "headings": ["1. 재무"], "caption": "표 1"}
    ctx = CropContext.from_json(old)
    assert ctx == CropContext("부산 보고서", ("1. 재무",), "표 1") and not ctx.linked
    assert ctx.to_json() == old  # unlinked crops store exactly what they stored before
    assert CropContext.from_json(None) == CropContext()
    part = CropContext("t", (), "", continues=11, part=2, parts=(11, 14), header=(("구분", "2021년"),))
    data = part.to_json()
    assert data["continues"] == 11 and data["parts"] == [11, 14] and data["header"] == [["구분", "2021년"]]
    assert CropContext.from_json(data) == part
    assert "continues" not in CropContext("t", part=1, parts=(11, 14)).to_json()

"""A table that crosses pages, end to end: ingest links its parts, a row on page 2 is searched
and read by the first part's column headers, and the answer cites every page the table covers.

Two collections: ``long`` holds a 50-row table over two pages with the header on page 1
only, beside a one-page table; ``repeat`` a 60-row table over three pages that repeats its
header on each page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from docagent.ask import ask
from docagent.db.models import Crop, Document, Page, Passage
from docagent.db.session import session_scope
from docagent.search import search
from indexing.context import CropContext

YEAR = "2022년"


@pytest.fixture(scope="module")
def tables():
    from vlm.synth.long_table import long_table

    first = long_table(50, header="first", seed=1)
    repeat = long_table(60, header="repeat", row_height=24.0, seed=2, label="권역",
                        title="권역별 종사자 수 현황")
    assert first.page_count == 2 and repeat.page_count == 3
    return first, repeat


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, tables):
    from docagent.db.migrate import upgrade
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings
    from vlm.synth.pdf import table_pdf

    home: Path = tmp_path_factory.mktemp("long-tables")
    settings = Settings(home=home, ingest_workers=1, warm_idle_s=0)
    upgrade(settings.database_url)
    first, repeat = tables
    ing = Ingestor(settings)
    for name, uploads in (("long", [Upload("regions.pdf", first.pdf), Upload("finance.pdf", table_pdf())]),
                          ("repeat", [Upload("areas.pdf", repeat.pdf)])):
        job, _ = ing.submit("default", name, uploads)
        assert all(r.status == "indexed" for r in ing.run_job(job))
    return settings


def table_crops(settings, filename: str) -> list[tuple[Crop, int]]:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as s:
        rows = s.execute(select(Crop, Page.number).join(Page, Crop.page_id == Page.id)
                         .join(Document, Crop.document_id == Document.id)
                         .where(Document.filename == filename, Crop.kind == "table")
                         .order_by(Page.number, Crop.order)).all()
        s.expunge_all()
        return [(c, n) for c, n in rows]


def centre_in(bbox: list[float], box) -> bool:  # type: ignore[no-untyped-def]
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return box.x0 - 1 <= cx <= box.x1 + 1 and box.y0 - 1 <= cy <= box.y1 + 1


def near(bbox: list[float], box, tol: float = 3.0) -> bool:  # type: ignore[no-untyped-def]
    return all(abs(a - b) <= tol for a, b in zip(bbox, box.as_list(), strict=True))


def test_the_continuation_is_linked_and_borrows_the_header(settings, tables):
    first, _ = tables
    crops = table_crops(settings, "regions.pdf")
    assert [n for _, n in crops] == [1, 2]
    (one, _), (two, _) = crops
    a, b = CropContext.from_json(one.context), CropContext.from_json(two.context)
    assert (a.part, a.parts, a.continues, a.header) == (1, (one.id, two.id), None, ())
    assert (b.part, b.parts, b.continues) == (2, (one.id, two.id), one.id)
    assert b.header == (tuple(first.header),)
    assert two.context["continues"] == one.id and two.context["header"] == [first.header]
    # the one-page table of the other document is no part of anything
    ((single, _),) = table_crops(settings, "finance.pdf")
    assert not CropContext.from_json(single.context).linked and "part" not in (single.context or {})


def test_a_repeated_header_is_still_a_continuation(settings, tables):
    crops = table_crops(settings, "areas.pdf")
    assert [n for _, n in crops] == [1, 2, 3]
    ctx = [CropContext.from_json(c.context) for c, _ in crops]
    ids = tuple(c.id for c, _ in crops)
    assert [c.part for c in ctx] == [1, 2, 3] and all(c.parts == ids for c in ctx)
    assert [c.continues for c in ctx] == [None, ids[0], ids[0]]
    assert all(c.header == () for c in ctx)  # each part prints its own header


def test_a_row_on_page_2_is_found_with_the_headers_attached(settings, tables):
    first, _ = tables
    label = first.label_on(2)
    gold = first.values[(label, YEAR)]
    results = search(settings, "default", "long", f"{label} {YEAR}", k=3)
    top = results[0]
    assert (top.filename, top.page, top.kind) == ("regions.pdf", 2, "table")
    assert top.row is not None
    assert top.row["text"].startswith(f"구분: {label} | 2019년: ")
    assert f"{YEAR}: {gold}" in top.row["text"]
    cell = first.cells[(label, YEAR)][1]
    assert abs(top.row["bbox"][1] - cell.y0) <= 1 and abs(top.row["bbox"][3] - cell.y1) <= 1  # the row's box


@pytest.mark.parametrize("question", ["{year} {label}의 값은?", "{label}의 {year} 사업체 수는?"])
def test_a_value_on_page_2_cites_the_cell_and_the_first_part(settings, tables, question):
    first, _ = tables
    label = first.label_on(2, 3)
    page, cell = first.cells[(label, YEAR)]
    assert page == 2
    answer, _ = ask(settings, "default", "long", question.format(year=YEAR, label=label))
    assert answer.answerable and answer.answer == first.values[(label, YEAR)]
    assert sorted({c.page for c in answer.citations}) == [1, 2]
    by_page = {c.page: c for c in answer.citations}
    assert answer.citations[0].page == 2 and centre_in(answer.citations[0].bbox, cell)
    part = by_page[1]
    assert part.kind == "table" and part.filename == "regions.pdf"
    assert near(part.bbox, first.parts[0].box)
    assert part.quote.startswith("구분 | 2019년 | 2020년")


def test_a_value_on_page_1_cites_the_continuation_too(settings, tables):
    first, _ = tables
    label = first.label_on(1)
    page, cell = first.cells[(label, "2020년")]
    assert page == 1
    answer, _ = ask(settings, "default", "long", f"2020년 {label}의 값은?")
    assert answer.answerable and answer.answer == first.values[(label, "2020년")]
    assert [c.page for c in answer.citations] == [1, 2]
    assert centre_in(answer.citations[0].bbox, cell)
    rest = answer.citations[1]
    continuation = first.parts[1]
    assert rest.kind == "table" and near(rest.bbox, continuation.box)
    assert rest.quote.startswith(first.rows[continuation.rows[0]][0])  # its first row


def test_two_values_from_the_continuation_cite_their_cells_then_the_other_page(settings, tables):
    first, _ = tables
    label = first.label_on(2, 1)
    answer, _ = ask(settings, "default", "long", f"2021년과 2023년 {label}의 차이는?")
    assert answer.answerable and answer.kind == "arithmetic"
    cells = [first.cells[(label, y)][1] for y in ("2021년", "2023년")]
    assert [c.page for c in answer.citations] == [2, 2, 1]
    assert all(centre_in(c.bbox, cell) for c, cell in zip(answer.citations, cells, strict=False))
    assert "표가 여러 쪽에 걸쳐 있음: regions.pdf p.1, p.2" in answer.reasoning


def test_a_single_page_table_is_cited_once(settings):
    answer, _ = ask(settings, "default", "long", "2022년 영업이익은?")
    assert answer.answerable and answer.answer.startswith("455")
    assert len(answer.citations) == 1
    assert answer.citations[0].filename == "finance.pdf" and answer.citations[0].page == 1


def test_three_pages_with_the_header_repeated(settings, tables):
    _, repeat = tables
    label = repeat.label_on(3)
    page, cell = repeat.cells[(label, YEAR)]
    assert page == 3
    answer, _ = ask(settings, "default", "repeat", f"{YEAR} {label}의 값은?")
    assert answer.answerable and answer.answer == repeat.values[(label, YEAR)]
    assert [c.page for c in answer.citations] == [3, 1, 2]
    assert centre_in(answer.citations[0].bbox, cell)
    for c, part in zip(answer.citations[1:], repeat.parts[:2], strict=True):
        assert near(c.bbox, part.box) and c.quote.startswith("구분 | 2019년")  # each page's own header
    label = repeat.label_on(2)
    answer, _ = ask(settings, "default", "repeat", f"2019년 {label}의 값은?")
    assert answer.answer == repeat.values[(label, "2019년")]
    assert [c.page for c in answer.citations] == [2, 1, 3]


def test_reading_the_continuation_needs_the_lent_header(settings, tables):
    """Without the first part's header the page-2 crop cannot be read by column: the link is
    what answers."""
    from docagent.agent.evidence import crop_input
    from vlm.backends.base import VisionRequest
    from vlm.backends.extractive import ExtractiveBackend

    first, _ = tables
    label = first.label_on(2)
    (_, _), (two, _) = table_crops(settings, "regions.pdf")
    result = {"bbox": two.bbox}
    header = CropContext.from_json(two.context).header
    q = f"{YEAR} {label}의 값은?"
    backend = ExtractiveBackend()
    bare = backend.answer([VisionRequest(q, [crop_input(result, two.text, two.words, two.table, "table")])])[0]
    lent = backend.answer([VisionRequest(q, [crop_input(result, two.text, two.words, two.table, "table", header)])])[0]
    assert not (bare.answerable and bare.text == first.values[(label, YEAR)])
    assert lent.answerable and lent.text == first.values[(label, YEAR)]


def test_reindex_rebuilds_the_same_links_and_units(settings):
    from docagent.reindex import reindex

    def snapshot() -> tuple[dict, list]:
        with session_scope(settings.database_url) as s:
            contexts = {c.id: c.context for c in s.scalars(select(Crop))}
            units = sorted((p.crop_id or 0, p.level, p.row or 0, p.text) for p in s.scalars(
                select(Passage).where(Passage.level.in_(["row", "column", "crop"]))))
        return contexts, units

    before = snapshot()
    report = reindex(settings, "default", "long")
    assert report.documents == 2
    after = snapshot()
    assert after[0] == before[0]
    assert after[1] == before[1]


def test_a_scanned_long_table_is_linked_and_answered(tmp_path: Path, tables):
    """The same table as page images (OCR, ruled grids found in the render)."""
    from docagent.db.migrate import upgrade
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings
    from vlm.synth.pdf import rasterise

    first, _ = tables
    scan = Settings(home=tmp_path, ingest_workers=1, warm_idle_s=0)
    upgrade(scan.database_url)
    ing = Ingestor(scan)
    job, _ = ing.submit("default", "scans", [Upload("scan.pdf", rasterise(first.pdf))])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    crops = table_crops(scan, "scan.pdf")
    assert [CropContext.from_json(c.context).part for c, _ in crops] == [1, 2]
    label = first.label_on(2)
    answer, _ = ask(scan, "default", "scans", f"{YEAR} {label}의 값은?")
    assert answer.answer == first.values[(label, YEAR)]
    assert [c.page for c in answer.citations] == [2, 1]


def test_verify_accepts_only_the_stored_parts_of_the_table():
    """A part citation must be one of the candidate's own parts, box and page as stored."""
    from dataclasses import replace

    from docagent.agent.answer import Citation
    from docagent.agent.evidence import Candidate, crop_input
    from docagent.agent.reading import lookup_cell
    from docagent.agent.state import SubQuestion
    from docagent.agent.verify import check
    from indexing.geometry import Box
    from indexing.model import Table, TableCell

    rows = [["지역 30", "1,030", "2,030"], ["지역 31", "1,031", "2,031"]]
    cells = [TableCell(r, c, t, Box(72 + 100 * c, 72 + 20 * r, 172 + 100 * c, 92 + 20 * r))
             for r, row in enumerate(rows) for c, t in enumerate(row)]
    result = {"document_id": "d", "filename": "r.pdf", "page": 2, "kind": "table", "bbox": [72, 72, 372, 112],
              "page_size": [595.0, 842.0], "crop_id": "9", "title": "", "headings": [], "caption": ""}
    ci = crop_input(result, "", None, Table(cells, 2, 3, 1).to_dict(), "table", [["구분", "2021년", "2022년"]])
    assert ci.table is not None and ci.table.header_rows == 1 and ci.table.n_rows == 3
    first = Citation("d", "r.pdf", 1, [72.0, 150.0, 372.0, 750.0], [595.0, 842.0], "8", "table", "구분 | 2021년 | 2022년")
    c = Candidate(result, ci, "", 0, [first])
    sub = SubQuestion(0, "2022년 지역 31의 값은?", label="2022년")
    reading = lookup_cell(sub, c)
    assert reading is not None and reading.text == "2,031" and reading.parts == [first]
    assert reading.citations[0].bbox == [272.0, 92.0, 372.0, 112.0]
    assert check(reading, sub, c, numeric=False) == ""
    reading.parts = [replace(first, bbox=[72.0, 150.0, 372.0, 700.0])]
    assert "no part of this crop's table" in check(reading, sub, c, numeric=False)

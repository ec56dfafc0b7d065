"""Search over a template collection: a table on page 2 is found by the entity its title on
page 1 names, with the matching row; headings and captions are context, not results; the index
rebuilt from the database (and the passages rebuilt from the crops) gives the same answers."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from docagent.db.models import Collection, Crop, Document, Passage
from docagent.db.session import session_scope
from docagent.indexes import embedder_for
from docagent.ingest import Ingestor
from docagent.intake import Upload
from docagent.passages import reindex_document
from docagent.reindex import reindex
from docagent.search import search
from indexing.passages import PassageOptions
from vlm.synth.collections import template_collection


@pytest.fixture(scope="module")
def reports():
    return template_collection("city_yearbook", n_documents=3, seed=5)


@pytest.fixture
def ingested(settings, reports):
    ing = Ingestor(settings)
    job, _ = ing.submit("default", "reports", [Upload(d.filename, d.pdf) for d in reports.documents])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    return settings


def _top(settings, question: str, k: int = 5):
    return search(settings, "default", "reports", question, k=k)


def test_a_table_question_finds_its_document_by_the_title(ingested, reports):
    for q in [q for q in reports.questions if q.kind in ("table", "two-step")]:
        top = _top(ingested, q.text)[0]
        assert (top.filename, top.page, top.kind) == (q.filename, q.pages[0], "table"), q.text
        entity = next(d.entity for d in reports.documents if d.filename == q.filename)
        assert entity in top.title and "|" in top.text and entity not in top.text
        assert top.caption.startswith("표 1") and top.headings
        assert top.row is not None and top.row["bbox"] is not None
        x0, y0, x1, y1 = top.row["bbox"]
        box = q.boxes[0].box
        assert x0 - 1 <= (box.x0 + box.x1) / 2 <= x1 + 1 and y0 - 1 <= (box.y0 + box.y1) / 2 <= y1 + 1


def test_headings_and_captions_are_not_results(ingested, reports):
    with session_scope(ingested.database_url) as s:
        roles = dict(s.execute(select(Crop.id, Crop.role)).all())
        titles = {d.filename: d.title for d in s.scalars(select(Document))}
    assert {"heading", "caption", "title"} <= set(roles.values())
    assert titles == {d.filename: d.title for d in reports.documents}
    for q in reports.questions:
        for hit in _top(ingested, q.text, k=10):
            assert roles[int(hit.crop_id)] == "body", (q.text, hit.text)


def test_the_index_rebuilt_from_the_database_answers_the_same(ingested, reports):
    questions = [q.text for q in reports.questions]
    before = [[(r.crop_id, r.score, r.row) for r in _top(ingested, q)] for q in questions]
    with session_scope(ingested.database_url) as s:
        coll = s.scalars(select(Collection)).one()
    shutil.rmtree(ingested.index_dir / coll.id)
    import docagent.indexes

    docagent.indexes._open.clear()  # as a fresh process would find it
    assert [[(r.crop_id, r.score, r.row) for r in _top(ingested, q)] for q in questions] == before


def test_reindex_restores_context_from_the_crops_alone(ingested, reports):
    q = next(q for q in reports.questions if q.kind == "table")
    expected = _top(ingested, q.text)[0]
    plain = PassageOptions(context=False, fold=False, table_rows=False, page_units=False,
                           document_units=False)
    with session_scope(ingested.database_url) as s:  # as migration 0003 leaves an old collection
        for doc in s.scalars(select(Document)):
            reindex_document(s, doc, embedder_for("hash-ngram"), plain)
        for crop in s.scalars(select(Crop)):
            crop.context, crop.role = None, None
        assert {p.level for p in s.scalars(select(Passage))} == {"crop"}
    report = reindex(ingested, "default", "reports")
    assert report.documents == 3 and report.passages > 0
    top = _top(ingested, q.text)[0]
    assert (top.filename, top.page, top.crop_id, top.row) == (
        expected.filename, expected.page, expected.crop_id, expected.row)


def test_reindex_joins_the_syllables_of_an_ocr_read_title(ingested, reports):
    """The split title Tesseract reads (``수 원 시 통계연보``) is stored as read; the rebuilt
    passages hold its joined terms too, so the city's table is found by its name."""
    q = next(q for q in reports.questions if q.kind == "table")
    entity = next(d.entity for d in reports.documents if d.filename == q.filename)
    with session_scope(ingested.database_url) as s:
        doc = s.scalars(select(Document).where(Document.filename == q.filename)).one()
        crops = list(s.scalars(select(Crop).where(Crop.document_id == doc.id)))
        title = next(c for c in crops if c.role == "title")
        title.text = title.text.replace(entity, " ".join(entity))  # 수 원 시
        for crop in crops:
            crop.text_source = "ocr"
        reindex_document(s, doc, embedder_for("hash-ngram"))
        assert doc.title.startswith(" ".join(entity))  # the title as read
        table = next(c for c in crops if c.kind == "table")
        unit = s.scalars(select(Passage).where(Passage.crop_id == table.id, Passage.level == "crop")).one()
        assert entity in unit.context_terms or f"·{entity[:2]}" in unit.context_terms
    reindex(ingested, "default", "reports")
    top = _top(ingested, q.text)[0]
    assert (top.filename, top.page, top.kind) == (q.filename, q.pages[0], "table")

"""The deployment path: ingestion, search and index consistency on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from docagent.db.models import Crop, Document
from docagent.db.session import session_scope
from docagent.ingest import Ingestor
from docagent.intake import Upload
from docagent.search import search

pytestmark = pytest.mark.integration


def test_ingest_search_and_repair_on_postgres(settings, pg_url, sample_pdf, sample_png, bad_inputs):
    settings.database_url = pg_url
    ing = Ingestor(settings)
    job, _ = ing.submit("acme", "c", [Upload("a.pdf", sample_pdf), Upload("b.png", sample_png),
                                      Upload("locked.pdf", bad_inputs["locked.pdf"])])
    rows = {r.filename: r for r in ing.run_job(job)}
    assert rows["a.pdf"].status == rows["b.png"].status == "indexed"
    assert rows["locked.pdf"].status == "failed" and "password" in rows["locked.pdf"].error.lower()
    hits = search(settings, "acme", "c", "광합성은 무엇인가", k=3)
    assert hits and "광합성" in hits[0].text
    # ids are PostgreSQL's; removing a document's rows behind the index's back is repaired
    with session_scope(pg_url) as s:
        s.execute(delete(Crop).where(Crop.document_id == rows["a.pdf"].id))
        s.execute(delete(Document).where(Document.id == rows["a.pdf"].id))
    assert all(h.filename == "b.png" for h in search(settings, "acme", "c", "광합성은 무엇인가", k=5))

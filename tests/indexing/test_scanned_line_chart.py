"""A line chart on a scanned report page is found as one figure and read as a table, though
OCR reads bits of the plotted line as words (``^``, ``"``) and the tick labels sit against the
y axis: neither may cut the plot into pieces too small to be a figure."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.figures import _closed, _is_text
from indexing.model import Word


def test_punctuation_and_unsure_words_are_ink_not_text():
    from indexing.geometry import Box, Space

    box = Box(0, 0, 10, 10, Space.PAGE)
    assert _is_text(Word("2,954", box, confidence=96))
    assert not _is_text(Word("^", box, confidence=52))
    assert not _is_text(Word('"', box, confidence=99))
    assert not _is_text(Word("5e", box, confidence=60))
    assert _is_text(Word("매출액", box))  # a text-layer word has no confidence


def test_a_thin_axis_cut_by_masked_labels_is_closed_again():
    ink = np.zeros((80, 30), bool)
    ink[5:20, 15] = ink[26:45, 15] = ink[51:70, 15] = True  # an axis with two label gaps
    closed = _closed(ink, 5.2)
    assert closed[5:70, 15].all()


@pytest.mark.slow
def test_a_scanned_report_line_chart_is_one_picture_read_as_its_series(tmp_path):
    from sqlalchemy import select

    from docagent.db.models import Crop
    from docagent.db.session import session_scope
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings
    from indexing.model import Table
    from vlm.synth.collections import template_collection

    reports = template_collection("company_annual", n_documents=1, seed=0)
    doc = reports.documents[0]
    gold = next(q for q in reports.questions if q.kind == "chart")
    settings = Settings(home=tmp_path, ingest_workers=1)
    ingestor = Ingestor(settings)
    job, _ = ingestor.submit("t", "c", [Upload(doc.filename, reports.scanned(dpi=200).documents[0].pdf)])
    ingestor.run_job(job)
    with session_scope(settings.database_url) as s:
        pictures = list(s.scalars(select(Crop).where(Crop.kind == "picture")))
    assert len(pictures) == 1 and pictures[0].table is not None
    table = Table.from_dict(pictures[0].table)
    values = [c.text.replace(",", "").replace(".", "") for c in table.cells if c.row == 1 and c.col > 0]
    assert len(values) == 5 and gold.answer.replace(",", "") in values

"""Generated Korean documents shared by the generator tests (built once per run)."""

from __future__ import annotations

import pytest

from vlm.synth import pdf as synth

TITLE = "2023년 사업 보고서"


@pytest.fixture(scope="session")
def korean_pdf() -> synth.SynthPdf:
    """One page: a title and four Korean paragraphs with a real text layer."""
    return synth.text_pdf(TITLE, synth.KOREAN_PARAGRAPHS)


@pytest.fixture(scope="session")
def long_pdf() -> synth.SynthPdf:
    """The same paragraphs repeated until they flow over three pages."""
    return synth.text_pdf(TITLE, synth.KOREAN_PARAGRAPHS * 14)


@pytest.fixture(scope="session")
def table_doc() -> synth.SynthTable:
    return synth.table_sample()


@pytest.fixture(scope="session")
def collections():
    """Three documents of every template, seed 0."""
    from vlm.synth.collections import TEMPLATES, template_collection

    return {key: template_collection(key, 3, seed=0) for key in TEMPLATES}

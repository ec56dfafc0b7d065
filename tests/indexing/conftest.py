"""Generated Korean documents shared by the document-side indexing tests (built once per run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vlm.synth import pdf as synth

REAL_PDFS = Path(os.environ.get(
    "DOCAGENT_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")) / "real-ko-pdfs"

TITLE = "2023년 사업 보고서"


@pytest.fixture(scope="session")
def ocr_ready() -> None:
    """Skips the test where Tesseract with Korean and English is not installed."""
    from indexing.ocr import tesseract_available

    if not tesseract_available("kor+eng"):
        pytest.skip("tesseract with kor+eng is not installed")


@pytest.fixture(scope="session")
def real_pdf():
    """``real_pdf(name)``: bytes of one of the shared real Korean PDFs (always present)."""
    def load(name: str) -> bytes:
        return (REAL_PDFS / name).read_bytes()

    return load


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
def scanned_pdf(korean_pdf: synth.SynthPdf) -> bytes:
    return synth.rasterise(korean_pdf.pdf, dpi=200)


@pytest.fixture(scope="session")
def scanned_table(table_doc: synth.SynthTable) -> bytes:
    return synth.rasterise(table_doc.pdf, dpi=200)

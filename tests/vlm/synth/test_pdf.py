"""The sample generators produce what their ground truth says."""

from __future__ import annotations

import io

import pymupdf
from PIL import Image

from vlm.synth import pdf as synth


def test_text_pdf_has_a_korean_text_layer(korean_pdf):
    doc = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    text = doc[0].get_text()
    assert "2023년 사업 보고서" in text
    for para in synth.KOREAN_PARAGRAPHS:
        assert para.split()[0] in text
    assert korean_pdf.paragraph_pages == [(1,), (1,), (1,), (1,)]


def test_word_truth_matches_where_mupdf_finds_the_words(korean_pdf):
    doc = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    found = {(w[4], round(w[0])): w[:4] for w in doc[0].get_text("words")}
    checked = 0
    for word in korean_pdf.words:
        rect = found.get((word.text, round(word.box.x0)))
        if rect is not None:
            assert abs(rect[0] - word.box.x0) < 1 and abs(rect[2] - word.box.x1) < 1
            assert abs(rect[1] - word.box.y0) < 2 and abs(rect[3] - word.box.y1) < 2
            checked += 1
    assert checked >= 0.9 * len(korean_pdf.words)


def test_long_text_flows_over_pages_and_reports_them(long_pdf):
    doc = pymupdf.open(stream=long_pdf.pdf, filetype="pdf")
    assert doc.page_count == long_pdf.page_count == 3
    assert long_pdf.paragraph_pages[0] == (1,) and long_pdf.paragraph_pages[-1] == (3,)
    for para, pages in zip(synth.KOREAN_PARAGRAPHS * 14, long_pdf.paragraph_pages, strict=True):
        first_words = " ".join(para.split()[:2])
        assert first_words in doc[pages[0] - 1].get_text().replace("\n", " ")
    spans = [p for p in long_pdf.paragraph_pages if len(p) > 1]
    assert all(p[1] == p[0] + 1 for p in spans)


def test_table_sample_draws_its_grid(table_doc):
    doc = pymupdf.open(stream=table_doc.pdf, filetype="pdf")
    text = doc[0].get_text()
    for row in table_doc.grid:
        for cell in row:
            assert cell in text
    assert table_doc.grid[1] == ["매출액", "2,810", "3,067", "3,450"]
    rules = [d for d in doc[0].get_drawings() if d["items"]]
    assert rules and all(table_doc.box.x0 - 1 <= d["rect"].x0 and d["rect"].x1 <= table_doc.box.x1 + 1
                         for d in rules)


def test_rasterise_keeps_geometry_and_drops_the_text_layer(long_pdf):
    scan = pymupdf.open(stream=synth.rasterise(long_pdf.pdf, dpi=72), filetype="pdf")
    src = pymupdf.open(stream=long_pdf.pdf, filetype="pdf")
    assert scan.page_count == src.page_count
    for a, b in zip(scan, src, strict=True):
        assert a.rect == b.rect
        assert a.get_text().strip() == ""
        assert len(a.get_images()) == 1


def _page_pixels(pdf: bytes) -> list[bytes]:
    return [page.get_pixmap(dpi=36).samples for page in pymupdf.open(stream=pdf, filetype="pdf")]


def test_degraded_scan_is_a_worn_copy_deterministic_by_seed(korean_pdf):
    worn = synth.degraded_scan(korean_pdf.pdf, seed=3, dpi=72)
    scan = pymupdf.open(stream=worn, filetype="pdf")
    src = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    assert [p.rect for p in scan] == [p.rect for p in src]
    assert all(p.get_text().strip() == "" and len(p.get_images()) == 1 for p in scan)
    assert _page_pixels(worn) == _page_pixels(synth.degraded_scan(korean_pdf.pdf, seed=3, dpi=72))
    assert _page_pixels(worn) != _page_pixels(synth.degraded_scan(korean_pdf.pdf, seed=4, dpi=72))
    # Worn, not clean: the paper is not white where the clean render is.
    clean = _page_pixels(synth.rasterise(korean_pdf.pdf, dpi=72))
    assert _page_pixels(worn) != clean
    corner = scan[0].get_pixmap(dpi=36, clip=pymupdf.Rect(0, 0, 20, 20))
    assert sum(corner.samples) / len(corner.samples) < 252


def test_image_bytes_formats(long_pdf):
    png = Image.open(io.BytesIO(synth.image_bytes(long_pdf.pdf, "png", dpi=72)))
    jpg = Image.open(io.BytesIO(synth.image_bytes(long_pdf.pdf, "jpeg", dpi=72)))
    tif = Image.open(io.BytesIO(synth.image_bytes(long_pdf.pdf, "tiff", dpi=72)))
    assert (png.format, jpg.format, tif.format) == ("PNG", "JPEG", "TIFF")
    assert png.size == (595, 842)
    assert tif.n_frames == 3

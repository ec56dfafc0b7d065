"""process_document: regions with text and crops, OCR for scans, failures per page, parallel = serial."""

from __future__ import annotations

import pymupdf
import pytest

from indexing import layout
from indexing.errors import CorruptDocumentError
from indexing.model import RegionKind, TextSource
from indexing.pagepool import process_document, shutdown_pool
from indexing.pipeline import PipelineOptions
from indexing.sources import open_source
from vlm.synth import pdf as synth

EXPECTED = ["사업", "보고서", "회사의", "경영", "주주에게", "반도체", "디스플레이", "가동률이",
            "연구개발", "경쟁력을"]


def run(data: bytes, name: str = "doc.pdf", **options) -> list:
    return list(process_document(open_source(data, name), PipelineOptions(**options)))


def page_text(record) -> str:
    return " ".join(r.text.replace("\n", " ") for r in record.regions)


def test_text_pdf_regions_carry_text_words_and_crops(korean_pdf):
    (page,) = run(korean_pdf.pdf)
    assert page.number == 1 and page.text_source == TextSource.TEXT_LAYER
    assert page.image.size == (1190, 1684) and page.dpi == 144
    text = page_text(page)
    assert "2023년 사업 보고서" in text
    for para in synth.KOREAN_PARAGRAPHS:
        assert para in text
    assert [r.order for r in page.regions] == list(range(len(page.regions)))
    for region in page.regions:
        assert region.words and all(region.box.x0 - 1 <= w.box.x0 and w.box.x1 <= region.box.x1 + 1
                                    for w in region.words)
        w, h = region.image.size
        assert abs(w - (region.box.width + 4) * 2) <= 2 and abs(h - (region.box.height + 4) * 2) <= 2
        assert region.frame().page_box == region.box


def test_table_pdf_gets_its_grid_and_markdown(table_doc):
    (page,) = run(table_doc.pdf)
    table = next(r for r in page.regions if r.kind == RegionKind.TABLE)
    assert table.table.grid() == table_doc.grid
    assert table.text == table.table.to_markdown() and "| 영업이익 | 412 | 455 | 521 |" in table.text
    assert table.box.iou(table_doc.box) > 0.97


def test_scanned_copy_is_read_by_ocr(scanned_pdf):
    (page,) = run(scanned_pdf, "scan.pdf")
    assert page.text_source == TextSource.OCR
    assert page.dpi == 144 and page.image.mode == "RGB" and page.image.width == 1190
    words = set(page_text(page).split())
    assert len([w for w in EXPECTED if w in words]) >= 8, page_text(page)
    assert all(r.image is not None and r.box.x1 <= page.width for r in page.regions)
    assert page.regions[0].box.y0 < 100  # the title is read first


def test_scanned_table_comes_out_as_a_grid(scanned_table, table_doc):
    (page,) = run(scanned_table, "table-scan.pdf")
    table = next(r for r in page.regions if r.kind == RegionKind.TABLE)
    squash = [[c.replace(" ", "") for c in row] for row in table.table.grid()]
    assert squash == [[c.replace(" ", "") for c in row] for row in table_doc.grid]


def test_png_page_goes_through_ocr(korean_pdf):
    (page,) = run(synth.image_bytes(korean_pdf.pdf, "png", dpi=200), "page.png")
    assert page.text_source == TextSource.OCR
    assert "반도체" in page_text(page)


def test_blank_page_is_a_warning_not_an_error(korean_pdf):
    doc = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    doc.new_page()
    first, blank = run(doc.tobytes())
    assert first.regions and not first.warnings
    assert blank.text_source == TextSource.NONE and blank.regions == []
    assert blank.warnings == ["blank page: nothing to read"] and blank.image is not None


def test_a_failing_page_gets_a_warning_and_the_rest_go_on(long_pdf, monkeypatch):
    real = layout.detect_regions

    def flaky(page):
        if page.number == 1:
            raise RuntimeError("model exploded")
        return real(page)

    monkeypatch.setattr(layout, "detect_regions", flaky)
    monkeypatch.setattr(layout, "plain_page", lambda page: None)  # every page to the model
    pages = run(long_pdf.pdf)
    assert [bool(p.warnings) for p in pages] == [False, True, False]
    assert "layout failed: RuntimeError: model exploded" in pages[1].warnings[0]
    assert len(pages[1].regions) == 1 and "보고서는" in pages[1].regions[0].text  # whole-page fallback


def test_no_page_working_fails_the_document(long_pdf, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("renderer gone")

    monkeypatch.setattr("indexing.pipeline.render_page", broken)
    seen = []
    with pytest.raises(CorruptDocumentError, match="none of its 3 pages could be processed"):
        for page in process_document(open_source(long_pdf.pdf, "long.pdf"), PipelineOptions()):
            seen.append(page)
    assert len(seen) == 3 and all(p.image is None and p.warnings for p in seen)


def test_parallel_pages_equal_serial_pages(long_pdf):
    def signature(pages):
        return [(p.number, p.text_source, p.dpi, p.image.size, p.warnings,
                 [(r.kind, r.box, r.order, r.text, r.image.size, [w.text for w in r.words])
                  for r in p.regions]) for p in pages]

    progress: list[tuple[int, int]] = []
    source = open_source(long_pdf.pdf, "long.pdf")
    try:
        parallel = list(process_document(source, PipelineOptions(workers=2),
                                         progress=lambda done, total: progress.append((done, total))))
    finally:
        shutdown_pool()
    assert signature(parallel) == signature(run(long_pdf.pdf))
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_encoded_images_match_pixels_serial_and_parallel(long_pdf):
    """With encode_images the images arrive encoded, from the workers in parallel mode: the
    page as JPEG, crops as lossless PNG."""
    import io

    from PIL import Image

    plain = run(long_pdf.pdf)
    for workers in (1, 2):
        source = open_source(long_pdf.pdf, "long.pdf")
        try:
            encoded = list(process_document(source, PipelineOptions(workers=workers, encode_images=True)))
        finally:
            shutdown_pool()
        for a, b in zip(plain, encoded, strict=True):
            assert b.image is None and b.encoded is not None and b.has_image
            page = Image.open(io.BytesIO(b.encoded))
            assert page.size == a.image.size
            assert page.format == "JPEG"
            for ra, rb in zip(a.regions, b.regions, strict=True):
                crop = Image.open(io.BytesIO(rb.encoded))
                assert crop.format == "PNG" and crop.convert("RGB").tobytes() == ra.image.convert("RGB").tobytes()
                assert rb.image is None and Image.open(io.BytesIO(rb.encoded)).size == ra.image.size
                assert rb.pixel_size == ra.image.size and rb.frame() == ra.frame()


def test_gray_images_are_encoded_with_one_channel_and_keep_their_pixels():
    import io

    from PIL import Image, ImageDraw

    from indexing.geometry import Box, Space
    from indexing.model import PageRecord, Region, RegionKind
    from indexing.render import encode_images

    page = Image.new("RGB", (300, 200), "white")
    draw = ImageDraw.Draw(page)
    draw.text((10, 10), "black text", fill=(0, 0, 0))
    draw.rectangle((10, 100, 90, 180), fill=(200, 30, 30))  # a red figure
    text, figure = page.crop((0, 0, 150, 50)), page.crop((0, 90, 150, 190))
    box = Box(0, 0, 10, 10, Space.PAGE)
    rec = PageRecord(1, 150.0, 100.0, image=page, dpi=144.0,
                     regions=[Region(RegionKind.TEXT, box, image=text), Region(RegionKind.PICTURE, box, image=figure)])
    encode_images(rec)
    decoded = [Image.open(io.BytesIO(r.encoded)) for r in rec.regions]
    assert [d.mode for d in decoded] == ["L", "RGB"]
    assert decoded[0].convert("RGB").tobytes() == text.tobytes()
    assert decoded[1].tobytes() == figure.tobytes()
    assert Image.open(io.BytesIO(rec.encoded)).mode == "RGB"  # the page holds red


def test_real_bill_skips_its_blank_page(real_pdf):
    pages = run(real_pdf("bill-2125318.pdf"), "bill.pdf")
    assert len(pages) == 10
    assert [p.number for p in pages if p.text_source != TextSource.TEXT_LAYER] == [6]
    assert "이 법은 공포 후 6개월이 경과한 날부터 시행한다" in page_text(pages[4])


def test_options_name_the_bad_field():
    with pytest.raises(ValueError, match="PipelineOptions.workers"):
        PipelineOptions(workers=0)
    with pytest.raises(ValueError, match="PipelineOptions.ocr_dpi"):
        PipelineOptions(ocr_dpi=20)


def test_without_page_images_nothing_is_drawn_in_colour_and_the_text_is_the_same(korean_pdf, scanned_pdf):
    (drawn,) = run(korean_pdf.pdf)
    (page,) = run(korean_pdf.pdf, page_images=False)
    assert page.image is None and not page.failed and page.dpi == drawn.dpi == 144
    assert all(r.image is None for r in page.regions)
    assert [(r.kind, r.box, r.text) for r in page.regions] == [(r.kind, r.box, r.text) for r in drawn.regions]
    (scan,) = run(scanned_pdf, "scan.pdf", page_images=False)
    assert scan.text_source == TextSource.OCR and scan.image is None and not scan.failed
    assert len([w for w in EXPECTED if w in set(page_text(scan).split())]) >= 8


def test_a_crop_drawn_alone_has_the_pixels_cut_from_the_whole_page(real_pdf):
    import numpy as np

    from indexing.geometry import Box, Space
    from indexing.render import crop_pixels, draw_crop, draw_page

    with pymupdf.open(stream=real_pdf("msds-cga35.pdf"), filetype="pdf") as doc:
        for number, dpi in ((0, 144.0), (3, 97.5)):
            page = doc[number]
            whole = draw_page(page, dpi)
            for x0, y0, x1, y1, *_ in page.get_text("blocks")[:8]:
                box = Box(x0, y0, x1, y1, Space.PAGE)
                want = np.asarray(whole.crop(crop_pixels(box, dpi / 72, whole.size)), dtype=int)
                got = np.asarray(draw_crop(page, box, dpi), dtype=int)
                assert got.shape == want.shape and np.abs(got - want).max() <= 8
            off_page = Box(page.rect.width + 10, 0, page.rect.width + 50, 20, Space.PAGE)
            assert draw_crop(page, off_page, dpi) is None


def test_a_plain_text_page_needs_no_layout_model(korean_pdf, table_doc, monkeypatch):
    def broken(page):
        raise RuntimeError("model not needed here")

    monkeypatch.setattr(layout, "detect_regions", broken)
    (page,) = run(korean_pdf.pdf)
    assert not page.warnings and len(page.regions) >= 5
    assert "반도체" in page_text(page)
    (page,) = run(table_doc.pdf)  # a ruled table: its cells from its rules
    table = next(r for r in page.regions if r.kind == RegionKind.TABLE)
    assert not page.warnings and table.table.grid() == table_doc.grid
    (page,) = run(korean_pdf.pdf, plain_pages_by_lines=False)  # the model, when asked for
    assert "layout failed: RuntimeError: model not needed here" in page.warnings[0]

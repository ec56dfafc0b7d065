"""Text layer vs OCR routing, words rebuilt from glyph positions, words into regions."""

from __future__ import annotations

import pymupdf
import pytest

from indexing import textlayer
from indexing.geometry import Box, Space
from indexing.model import Region, RegionKind, Word
from vlm.synth import pdf as synth


def page_of(pdf: bytes, index: int = 0) -> pymupdf.Page:
    return pymupdf.open(stream=pdf, filetype="pdf")[index]


def test_words_match_the_generated_words_at_their_boxes(korean_pdf):
    words = textlayer.page_words(page_of(korean_pdf.pdf))
    assert [w.text for w in words] == [w.text for w in korean_pdf.words]
    for got, truth in zip(words, korean_pdf.words, strict=True):
        assert got.box.space == Space.PAGE
        assert abs(got.box.x0 - truth.box.x0) < 1.0 and abs(got.box.x1 - truth.box.x1) < 1.0
        assert abs(got.box.y0 - truth.box.y0) < 2.0 and abs(got.box.y1 - truth.box.y1) < 2.0


def test_korean_spacing_is_rebuilt_when_the_pdf_has_no_space_characters():
    """Words placed one by one, without a single space character, as many Korean PDFs are."""
    doc = pymupdf.open()
    page = doc.new_page()
    font = synth.korean_font()
    writer = pymupdf.TextWriter(page.rect)
    x = 72.0
    for word in ["이", "법은", "공포", "후", "6개월이", "경과한", "날부터", "시행한다."]:
        writer.append((x, 100), word, font=font, fontsize=12)
        x += font.text_length(word, 12) + 6  # half an em between words, no space glyph
    writer.write_text(page)
    page = page_of(doc.tobytes())
    assert " " not in page.get_text().strip()  # MuPDF itself sees one run of glyphs
    text = " ".join(w.text for w in textlayer.page_words(page))
    assert text == "이 법은 공포 후 6개월이 경과한 날부터 시행한다."


def test_text_page_uses_its_text_layer(korean_pdf):
    check = textlayer.check_text_layer(page_of(korean_pdf.pdf))
    assert not check.needs_ocr and check.chars > 100 and check.garbage_ratio == 0


def test_scanned_copy_needs_ocr(scanned_pdf):
    check = textlayer.check_text_layer(page_of(scanned_pdf))
    assert check.needs_ocr and check.reason == "no text layer"
    assert check.image_cover > 0.95


def test_scan_with_a_thin_text_layer_still_needs_ocr(scanned_pdf):
    doc = pymupdf.open(stream=scanned_pdf, filetype="pdf")
    doc[0].insert_text((72, 820), "스캔 일시 2023-06-16 관리번호 AB-1234 담당자 홍길동", fontname="korea", fontsize=9)
    check = textlayer.check_text_layer(page_of(doc.tobytes()))
    assert check.chars > 0 and check.needs_ocr
    assert check.reason.startswith("scanned page")


def test_garbage_text_layer_needs_ocr(korean_pdf):
    page = page_of(korean_pdf.pdf)
    chars = [{"c": c} for c in "\ue000\ue001\ufffd\ue002\ue003가나\ue004\ue005\ufffd\ue006\ue007" * 3]
    raw = {"blocks": [{"lines": [{"spans": [{"chars": chars}]}]}]}
    check = textlayer.check_text_layer(page, raw=raw)
    assert check.needs_ocr and "garbage" in check.reason


def test_bill_page_6_is_routed_to_ocr_and_no_other_page(real_pdf):
    doc = pymupdf.open(stream=real_pdf("bill-2125318.pdf"), filetype="pdf")
    routed = [p.number + 1 for p in doc if textlayer.needs_ocr(p)]
    assert routed == [6]


def test_patent_figure_pages_keep_their_text_layer(real_pdf):
    """Figure pages carry a header and captions; their images are pictures, not scans."""
    doc = pymupdf.open(stream=real_pdf("patent-1020210175798.pdf"), filetype="pdf")
    assert not any(textlayer.needs_ocr(doc[i]) for i in range(16, 22))


def test_fill_regions_by_word_centre_and_smallest_region():
    def word(text, x0, y0, x1, y1):
        return Word(text, Box(x0, y0, x1, y1, Space.PAGE))

    picture = Region(RegionKind.PICTURE, Box(0, 0, 300, 300, Space.PAGE))
    caption = Region(RegionKind.CAPTION, Box(0, 250, 300, 300, Space.PAGE))
    words = [word("그림", 10, 100, 40, 112), word("그림 1.", 10, 260, 60, 272),
             word("매출", 10, 262, 40, 274), word("밖", 400, 400, 420, 412)]
    left = textlayer.fill_regions([picture, caption], words)
    assert picture.text == "그림"
    assert [w.text for w in caption.words] == ["그림 1.", "매출"]
    assert [w.text for w in left] == ["밖"]


def test_join_words_breaks_lines_by_position():
    line1 = [Word("매출액은", Box(72, 100, 120, 112, Space.PAGE)),
             Word("증가했다", Box(125, 100, 170, 112, Space.PAGE))]
    line2 = [Word("전년", Box(72, 118, 100, 130, Space.PAGE))]
    assert textlayer.join_words(line1 + line2) == "매출액은 증가했다\n전년"


def test_leftover_words_become_text_regions():
    words = [Word("첫째", Box(72, 100, 100, 112, Space.PAGE)),
             Word("줄", Box(104, 100, 116, 112, Space.PAGE)),
             Word("둘째", Box(72, 115, 100, 127, Space.PAGE)),
             Word("먼", Box(72, 400, 90, 412, Space.PAGE))]
    regions = textlayer.leftover_regions(words)
    assert [r.text for r in regions] == ["첫째 줄\n둘째", "먼"]
    assert regions[0].box == Box(72, 100, 116, 127, Space.PAGE)


@pytest.mark.parametrize("area_scale", [1, 4])
def test_tiny_text_threshold_scales_with_page_area(area_scale):
    doc = pymupdf.open()
    page = doc.new_page(width=595 * area_scale, height=842)
    page.insert_text((72, 100), "1234567890123456", fontsize=10)
    check = textlayer.check_text_layer(page_of(doc.tobytes()))
    assert check.needs_ocr == (area_scale == 4)  # 16 characters: fine on A4, tiny on 4x A4

"""OCR of rendered Korean text: the words, where they are, and how pieces are joined."""

from __future__ import annotations

import pymupdf
import pytest

from indexing import ocr
from indexing.geometry import Box, Space
from indexing.model import Word

EXPECTED = ["사업", "보고서", "회사의", "경영", "주주에게", "반도체", "디스플레이", "가동률이",
            "연구개발", "경쟁력을"]


@pytest.fixture(scope="module")
def page_ocr(korean_pdf, ocr_ready):
    page = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")[0]
    result, image, dpi = ocr.ocr_page(page, dpi=300)
    return result, image, dpi


def test_reads_the_korean_sentence(page_ocr):
    result, image, dpi = page_ocr
    words = {w.text for w in result.words}
    found = [w for w in EXPECTED if w in words]
    assert len(found) >= 8, (found, result.text)
    assert dpi == 300 and image.mode == "L" and abs(image.height - 842 * 300 / 72) <= 1


def test_word_boxes_land_on_the_drawn_words(page_ocr, korean_pdf):
    result = page_ocr[0]
    truth = {}
    for w in korean_pdf.words:
        truth.setdefault(w.text, w.box)
    matched = 0
    for word in result.words:
        box = truth.get(word.text)
        if box is None:
            continue
        assert word.box.space == Space.PAGE
        assert abs(word.box.x0 - box.x0) < 4 and abs(word.box.x1 - box.x1) < 4
        assert box.y0 - 4 < (word.box.y0 + word.box.y1) / 2 < box.y1 + 4
        assert word.confidence is not None and 0 <= word.confidence <= 100
        matched += 1
    assert matched >= 15


def test_lines_follow_the_page(page_ocr):
    lines = page_ocr[0].lines
    assert "보고서" in lines[0].text
    tops = [line.box.y0 for line in lines]
    assert tops == sorted(tops)


def test_region_ocr_maps_back_to_page_points(korean_pdf, ocr_ready):
    page = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")[0]
    truth = next(w for w in korean_pdf.words if w.text == "반도체")
    clip = pymupdf.Rect(60, truth.box.y0 - 8, 540, truth.box.y1 + 8)
    pix = page.get_pixmap(dpi=300, clip=clip, colorspace=pymupdf.csGRAY)
    from PIL import Image

    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    result = ocr.ocr_image(image, 300, origin=(clip.x0, clip.y0), psm=7)
    word = next(w for w in result.words if w.text == "반도체")
    assert abs(word.box.x0 - truth.box.x0) < 4 and abs(word.box.y0 - truth.box.y0) < 5


def piece(text: str, x0: float, width: float = 10.0, y0: float = 100.0) -> Word:
    return Word(text, Box(x0, y0, x0 + width, y0 + 12, Space.PAGE), 90.0)


def test_syllables_of_letter_spaced_text_are_joined():
    # "전자 문서에 삽입되는" read as "전자 문 서 에 삽 입 되 는": letter gaps ~3, word gaps ~10
    pieces = [piece("전자", 0, 22), piece("문", 32), piece("서", 45), piece("에", 58),
              piece("삽", 71), piece("입", 84), piece("되", 97), piece("는", 110)]
    pieces[4] = piece("삽", 78)
    pieces[5:] = [piece("입", 91), piece("되", 104), piece("는", 117)]
    line = ocr.build_lines(pieces)
    assert [w.text for w in line[0].words] == ["전자", "문서에", "삽입되는"]


def test_whole_words_are_left_alone():
    words = [piece("본", 0), piece("보고서는", 14, 40), piece("회사의", 58, 30), piece("경영", 92, 20)]
    assert ocr.build_lines(words)[0].text == "본 보고서는 회사의 경영"


def test_number_and_counter_join_and_wide_gaps_split_cells():
    words = [piece("2021", 0, 24), piece("년", 27), piece("3,450", 200, 30), piece("억", 232)]
    lines = ocr.build_lines(words)
    assert [ln.text for ln in lines] == ["2021년", "3,450억"]
    assert lines[1].box.x0 == 200

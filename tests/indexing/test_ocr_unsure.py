"""A word read unsure on a line of Korean is read again a syllable at a time: where it is cut,
what is kept, and a title with a syllable the OCR model cannot write read from pixels."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest
from PIL import Image

from indexing.ocr import ocr_image
from indexing.ocr_charset import UNREAD, unreadable
from indexing.ocr_segments import Read
from indexing.ocr_unsure import reread_unsure, syllable_squares

LINE = (1, 1, 1)


def title_line() -> tuple[list[Read], np.ndarray]:
    """A 50-px line: 상수도 (three 40-px syllables at a 50-px pitch), an unsure word over two
    squares at 300-390 whose box runs into the confident 군 after it, and the ink of each
    syllable a filled 40 x 50 block."""
    reads = [Read("상수도", 95.0, (100, 20, 240, 70), LINE),
             Read("쇠", 0.0, (300, 20, 420, 70), LINE),
             Read("군", 93.0, (410, 20, 440, 70), LINE)]
    ink = np.zeros((100, 500), dtype=bool)
    for x0 in (100, 150, 200, 300, 350, 400):
        ink[20:70, x0:x0 + 40] = True
    return reads, ink


def test_an_unsure_word_is_cut_into_squares_at_its_line_s_pitch():
    reads, ink = title_line()
    squares = syllable_squares(reads[1], [reads[0], reads[2]], ink)
    # two squares: the ink of 군 that its box leaves out (400-410) is not taken for a third
    assert len(squares) == 2
    (a0, _, a1, _), (b0, _, b1, _) = squares
    assert a0 == 300 and 340 <= a1 <= 350 and a1 == b0 and b1 == 390


def test_no_squares_without_confident_hangul_beside_or_for_a_word_of_another_height():
    reads, ink = title_line()
    assert syllable_squares(reads[1], [], ink) == []
    tiny = Read("·", 0.0, (300, 40, 305, 45), LINE)
    assert syllable_squares(tiny, [reads[0]], ink) == []


def scripted(texts: list[tuple[str, float]]):  # type: ignore[no-untyped-def]
    """A reader that answers each square in turn with the next scripted reading."""
    calls: list[Image.Image] = []

    def read(image: Image.Image) -> list[Read]:
        calls.append(image)
        text, conf = texts[len(calls) - 1]
        return [Read(text, conf, (2, 2, image.width - 2, image.height - 2), LINE)] if text else []
    return read, calls


def test_squares_read_surely_replace_the_word_and_the_others_are_marked():
    reads, ink = title_line()
    image = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    read, calls = scripted([("솔", 92.0), (":", 0.0)])
    out = reread_unsure(image, reads, read, below=40.0)
    assert len(calls) == 2
    assert [r.text for r in out] == ["상수도", f"솔{UNREAD}", "군"]
    assert out[1].conf == 92.0 and out[1].box[0] == 300 and out[1].box[2] == 390


def test_a_word_none_of_whose_squares_reads_surely_is_left_as_it_was():
    reads, ink = title_line()
    image = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    read, _ = scripted([("솔", 41.0), ("", 0.0)])
    assert reread_unsure(image, reads, read, below=40.0) == reads


def test_a_word_fewer_than_half_of_whose_squares_read_surely_is_left_as_it_was():
    reads, ink = title_line()
    image = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    wide = [reads[0], Read("쇠", 0.0, (300, 20, 440, 70), LINE)]  # three squares, no 군 read
    read, calls = scripted([("고", 80.0), ("", 0.0), (":", 0.0)])
    assert reread_unsure(image, wide, read, below=40.0) == wide
    assert len(calls) == 3


def test_a_number_read_unsure_is_not_cut_into_syllables():
    # a table cell's figure beside its row label: the Latin pass reads it again, not this one
    reads, ink = title_line()
    figure = [reads[0], Read("2,865.2", 12.0, (300, 20, 390, 70), LINE)]
    read, calls = scripted([("고", 80.0), ("", 0.0)])
    image = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))
    assert reread_unsure(image, figure, read, below=40.0) == figure
    assert calls == []


def test_a_confident_page_costs_no_reading():
    reads, ink = title_line()
    sure = [reads[0], reads[2]]
    read, calls = scripted([])
    assert reread_unsure(Image.new("L", (500, 100), 255), sure, read, below=40.0) == sure
    assert calls == []


@pytest.mark.parametrize("name", ["솔뫼군", "꽃뫼"])
def test_a_scanned_title_keeps_what_the_model_can_write_of_a_name(name: str):
    from indexing.ocr import tesseract_available
    from vlm.synth.pdf import NANUM

    if not tesseract_available("kor+eng"):
        pytest.skip("tesseract with kor+eng is not installed")
    assert unreadable(name) == ["뫼"]
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=200)
    page.insert_font(fontname="nanum", fontfile=str(NANUM.with_name("NanumGothicBold.ttf")))
    page.insert_text((60, 80), f"2019 상수도 사업 현황 · {name} 시립도서관", fontname="nanum", fontsize=24)
    page.insert_text((60, 140), "상수도 보급률은 해마다 조금씩 늘었다.", fontname="nanum", fontsize=11)
    pix = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    text = ocr_image(image, 200).text.replace(" ", "")
    kept = name.replace("뫼", UNREAD)
    assert kept in text, text

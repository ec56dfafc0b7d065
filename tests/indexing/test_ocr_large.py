"""Large text read again on its own: which lines are bands, and how their reading replaces the
page's."""

from __future__ import annotations

import numpy as np
import pymupdf

from indexing import ocr, ocr_large
from indexing.ocr_large import Band
from indexing.ocr_segments import Read
from indexing.render import render_page
from vlm.synth.collections import template_collection


def body_page(extra: list[Read]) -> tuple[list[Read], np.ndarray]:
    """Two lines of ten 20-px body words each, at y 200 and 240, plus ``extra``; the ink mask
    is each word's box filled."""
    reads = [Read(f"본문{i}", 93.0, (20 + 60 * i, y, 70 + 60 * i, y + 20), (1, 1, n))
             for n, y in ((1, 200), (2, 240)) for i in range(10)]
    reads += extra
    ink = np.zeros((400, 700), dtype=bool)
    for r in reads:
        x0, y0, x1, y1 = r.box
        ink[y0:y1, x0:x1] = True
    return reads, ink


def test_a_line_of_large_words_with_short_pieces_between_is_one_band():
    title = [Read("제목", 90.0, (100, 40, 200, 90), (1, 0, 1)),
             Read("으", 90.0, (230, 55, 260, 75), (1, 0, 1)),  # a piece read short
             Read("보고서", 90.0, (330, 40, 470, 90), (1, 0, 1))]
    reads, ink = body_page(title)
    bands = ocr_large.find_bands(reads, ink)
    assert len(bands) == 1
    x0, y0, x1, y1 = bands[0].box
    assert x0 <= 100 and x1 >= 470 and y0 <= 40 and y1 >= 90 and y1 < 200
    assert abs(bands[0].scale - 1.2 * 20 / 50) < 0.01  # scaled to 1.2 body heights


def test_a_title_read_as_short_pieces_is_found_by_its_ink():
    # Worn scans: the first pass reads a 50-px title line as one body-height fragment and a
    # stroke; the ink shows the line, and the band spans all of it.
    pieces = [Read("으", 78.0, (230, 55, 260, 75), (1, 0, 1)),
              Read("=", 45.0, (300, 60, 330, 70), (1, 0, 1))]
    reads, ink = body_page(pieces)
    for x0 in range(100, 470, 40):  # the title's glyphs, 30 px wide and 50 tall, in strokes
        ink[40:90, x0:x0 + 6] = True
        for y in (40, 62, 84):
            ink[y:y + 6, x0:x0 + 30] = True
    (band,) = ocr_large.find_bands(reads, ink)
    x0, y0, x1, y1 = band.box
    assert x0 <= 100 and x1 >= 450 and y0 <= 40 and 90 <= y1 < 200, band.box


def test_a_word_on_a_solid_drawing_is_no_band():
    # A label on a chart's bar: tall ink around it, but solid, not glyphs.
    reads, ink = body_page([Read("12", 90.0, (300, 60, 330, 80), (1, 0, 1))])
    ink[30:110, 280:350] = True
    assert ocr_large.find_bands(reads, ink) == []


def test_a_body_word_boxed_over_two_lines_is_no_band():
    # Tesseract boxes a word of the first line down over the second: ink has a gap inside.
    reads, ink = body_page([])
    reads[3] = Read("본문3", 93.0, (200, 200, 250, 260), (1, 1, 1))
    assert ocr_large.find_bands(reads, ink) == []


def test_large_words_apart_by_a_column_gap_are_two_bands():
    left = [Read("왼쪽", 90.0, (20, 40, 120, 90), (1, 0, 1))]
    right = [Read("오른쪽", 90.0, (500, 40, 640, 90), (1, 0, 1))]
    reads, ink = body_page(left + right)
    assert len(ocr_large.find_bands(reads, ink)) == 2


def test_merge_swaps_what_lies_inside_the_band_and_keeps_the_rest():
    reads = [Read("머리", 90.0, (10, 5, 50, 20), (1, 0, 1)),
             Read("호하", 88.0, (100, 40, 160, 65), (1, 1, 2)),
             Read("즈귀", 88.0, (170, 60, 230, 90), (1, 1, 3)),
             Read("본문", 93.0, (20, 200, 70, 220), (1, 2, 1))]
    band = Band((90, 30, 240, 100), 0.5)
    second = [Read("제목", 95.0, (100, 40, 230, 90), (-1, 1, 1))]
    assert [r.text for r in ocr_large.merge_bands(reads, [band], [second])] == ["머리", "제목", "본문"]
    junk = [Read("'", 30.0, (100, 40, 104, 45), (-1, 1, 1))]  # says nothing: first kept
    assert [r.text for r in ocr_large.merge_bands(reads, [band], [junk])] == [r.text for r in reads]


def test_a_band_read_again_short_of_a_number_s_last_digit_keeps_its_first_reading():
    reads = [Read("(2013", 90.0, (610, 343, 760, 422), (1, 0, 1)),
             Read("년", 90.0, (770, 343, 820, 422), (1, 0, 2)),
             Read("개정판)", 90.0, (830, 343, 1040, 422), (1, 0, 3))]
    band = Band((600, 340, 1045, 425), 0.5)
    cut = [Read("(201", 95.0, (610, 343, 740, 422), (-1, 0, 1)), Read("년", 95.0, (770, 343, 820, 422), (-1, 0, 2)),
           Read("개정판)", 95.0, (830, 343, 1040, 422), (-1, 0, 3))]
    assert [r.text for r in ocr_large.merge_bands(reads, [band], [cut])] == ["(2013", "년", "개정판)"]
    fixed = [Read("(2014", 95.0, (610, 343, 760, 422), (-1, 0, 1))] + cut[1:]  # a change, not a cut
    assert [r.text for r in ocr_large.merge_bands(reads, [band], [fixed])][0] == "(2014"


def test_words_read_in_the_mosaic_go_back_to_page_pixels():
    from PIL import Image

    image = Image.new("L", (800, 400), 255)
    bands = [Band((100, 40, 500, 100), 0.5), Band((50, 300, 250, 340), 1.0)]
    mosaic, pasted = ocr_large.band_mosaic(image, bands)
    assert pasted.size[0] >= 200 + 2 * mosaic.margin
    top = mosaic.tops[0]
    hit = ocr_large.place(mosaic, bands, Read("제목", 90.0, (mosaic.margin + 10, top + 5,
                                                            mosaic.margin + 60, top + 25), (1, 1, 1)))
    assert hit is not None
    row, read = hit
    assert row == 0 and read.box == (120, 50, 220, 90) and ocr_large.is_band_read(read)
    top = mosaic.tops[1]
    row, read = ocr_large.place(mosaic, bands, Read("본문", 90.0, (mosaic.margin, top,
                                                                mosaic.margin + 40, top + 20), (1, 1, 1)))
    assert row == 1 and read.box == (50, 300, 90, 320)


def test_a_scanned_title_twice_the_body_size_reads_whole(ocr_ready):
    """Read with the page as one block, this bold title came out as two half-height lines of
    junk ("호 하 즈 귀 트 [신탁 월? ..."); read alone, at body size, it reads right."""
    doc = template_collection("fund_monthly", 1).scanned(200).documents[0]
    page = pymupdf.open(stream=doc.pdf, filetype="pdf")[0]
    image, dpi = render_page(page, 200, gray=True)
    result = ocr.ocr_image(image, dpi)
    box = doc.title_box.box
    lines = [ln for ln in result.lines if box.y0 - 3 <= (ln.box.y0 + ln.box.y1) / 2 <= box.y1 + 3]
    read = "".join("".join(ln.text for ln in lines).split())
    wanted = "".join(doc.title.split("(")[0].split())  # "아라채권혼합증권투자신탁월간운용보고서"
    assert wanted in read, read
    assert len(read) <= len("".join(doc.title.split())) + 2  # no junk beside it

"""OCR of rendered Korean text: the words, where they are, and how pieces are joined."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest
from PIL import Image

from indexing import mosaic, ocr, ocr_segments, tables
from indexing.geometry import Box, Space
from indexing.model import Word
from indexing.ocr_segments import Read
from vlm.synth import pdf as synth

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
    truth: dict[str, list[Box]] = {}
    for w in korean_pdf.words:
        truth.setdefault(w.text, []).append(w.box)
    matched = 0
    for word in result.words:
        if word.text not in truth:
            continue
        box = min(truth[word.text], key=lambda b: abs(b.x0 - word.box.x0) + abs(b.y0 - word.box.y0))
        assert word.box.space == Space.PAGE
        # Text-layer boxes run to the glyphs' advance, OCR boxes to their ink: the side
        # bearings between grow with the font size (5 pt on the 20-pt title).
        tol = max(4.0, 0.25 * box.height)
        assert abs(word.box.x0 - box.x0) < tol and abs(word.box.x1 - box.x1) < tol
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


def test_a_column_gap_on_the_line_does_not_glue_the_words_of_each_column():
    # psm 6 reads two columns as one line: "이 항은 처리 하는" | "세계 경기와 해운": letter gaps
    # ~3, word gaps ~10, and a column gap of 60 that alone would pass for the word spacing
    pieces, x = [], 0.0
    for word in ("이", "항은", "처리", "하는"):
        for syllable in word:
            pieces.append(piece(syllable, x))
            x += 13
        x += 7
    x += 60
    for word in ("세계", "경기와", "해운"):
        for syllable in word:
            pieces.append(piece(syllable, x))
            x += 13
        x += 7
    assert [ln.text for ln in ocr.build_lines(pieces)] == ["이 항은 처리 하는", "세계 경기와 해운"]


def test_number_and_counter_join_and_wide_gaps_split_cells():
    words = [piece("2021", 0, 24), piece("년", 27), piece("3,450", 200, 30), piece("억", 232)]
    lines = ocr.build_lines(words)
    assert [ln.text for ln in lines] == ["2021년", "3,450억"]
    assert lines[1].box.x0 == 200


# -- two passes: kor, then eng on what has no Hangul ----------------------------------------------

MIXED = [
    "이 문서는 용접봉 제품의 물질안전보건자료 (Material Safety Data Sheets) 이다.",
    "제품명은 CGA-35 (AWS A5.2 R45) 이며 산업용 가스 용접에 쓰인다.",
    "유해 위험 문구는 H317 이고 예방조치 문구는 P201 및 P280 이다.",
    "문의는 전화 또는 Fax. 02-3456-7890 으로 하면 된다.",
]
LATIN = ["(Material", "Safety", "Data", "Sheets)", "CGA-35", "(AWS", "A5.2", "R45)", "H317",
         "P201", "P280", "Fax."]


@pytest.fixture(scope="module")
def mixed_ocr(ocr_ready):
    pdf = synth.text_pdf("물질안전보건자료", MIXED)
    page = pymupdf.open(stream=pdf.pdf, filetype="pdf")[0]
    return ocr.ocr_page(page, dpi=200)[0], pdf


def test_mixed_page_reads_korean_and_latin(mixed_ocr):
    result = mixed_ocr[0]
    text = result.text
    missing = [w for w in LATIN if w not in text]
    assert not missing, (missing, text)
    for word in ["용접봉", "제품의", "산업용", "가스", "이며", "으로", "전화"]:
        assert word in {w.text for w in result.words}, (word, text)


def test_mixed_page_has_no_latin_junk_on_korean(mixed_ocr):
    # One kor+eng pass turns Korean words into Latin ("BME", "BPE"): here every Latin word
    # read must be part of a Latin word that was drawn.
    drawn = " ".join(LATIN)
    latin = [w.text for w in mixed_ocr[0].words if any(c.isascii() and c.isalpha() for c in w.text)]
    assert latin and all(_ascii_part(t) in drawn for t in latin), latin


def _ascii_part(text: str) -> str:
    return "".join(c for c in text if c.isascii())


def test_mixed_page_latin_boxes_land_on_the_drawn_words(mixed_ocr):
    result, pdf = mixed_ocr
    drawn = {w.text: w.box for w in pdf.words if w.text in LATIN}
    matched = 0
    for word in result.words:
        box = drawn.get(word.text)
        if box is None:
            continue
        assert abs(word.box.x0 - box.x0) < 3 and abs(word.box.x1 - box.x1) < 3, (word, box)
        assert box.y0 - 3 < (word.box.y0 + word.box.y1) / 2 < box.y1 + 3, (word, box)
        matched += 1
    assert matched >= 8


def test_korean_only_page_makes_no_second_call(ocr_ready, monkeypatch):
    paras = [p for p in synth.KOREAN_PARAGRAPHS if not any(c.isdigit() for c in p)]
    page = pymupdf.open(stream=synth.text_pdf("사업 보고서", paras).pdf, filetype="pdf")[0]
    calls = spy_calls(monkeypatch)
    result = ocr.ocr_page(page, dpi=200)[0]
    assert calls == ["kor", "kor"]  # the page, then its large title alone; never "eng"
    assert "주주에게" in result.text


def spy_calls(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = ocr.run_tesseract

    def spy(image, dpi, **kw):
        calls.append(kw["languages"])
        return real(image, dpi, **kw)

    monkeypatch.setattr(ocr, "run_tesseract", spy)
    return calls


def test_languages_choose_the_passes():
    assert ocr.split_languages("kor+eng") == ("kor", "eng")
    assert ocr.split_languages("eng+kor") == ("kor", "eng")
    assert ocr.split_languages("kor+eng+jpn") == ("kor", "eng+jpn")
    assert ocr.split_languages("kor") == ("kor", "")
    assert ocr.split_languages("eng") == ("eng", "")


def tess_row(text: str, conf: float, box: tuple[int, int, int, int], line: int = 1) -> dict[str, str]:
    x0, y0, x1, y1 = box
    return {"level": "5", "text": text, "conf": str(conf), "left": str(x0), "top": str(y0),
            "width": str(x1 - x0), "height": str(y1 - y0), "block_num": "1", "par_num": "1",
            "line_num": str(line)}


def fake_page() -> Image.Image:
    """White, with three dark 'words' on one line: Hangul, a Latin code, Hangul."""
    image = Image.new("L", (300, 60), 255)
    for x0, x1 in ((20, 80), (100, 170), (190, 250)):
        image.paste(0, (x0, 20, x1, 40))
    return image


def fake_tesseract(calls: list[str], second_conf: float = 95.0):
    """kor reads the page as Tesseract would, boxes a little off; eng reads every mosaic as
    one word "H317" boxed on its ink, wherever the mosaic put the crop."""
    def run(image, dpi, *, languages, psm, threads=1):
        calls.append(languages)
        if languages == "kor":
            return [tess_row("경고", 93, (20, 20, 82, 40)), tess_row("11317", 60, (104, 20, 186, 40)),
                    tess_row("문구", 93, (190, 20, 250, 40))]
        ys, xs = np.nonzero(np.asarray(image) < 128)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        return [tess_row("H317", second_conf, box)]

    return run


def test_second_reading_replaces_the_latin_segment_with_page_boxes(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(ocr, "run_tesseract", fake_tesseract(calls))
    result = ocr.ocr_image(fake_page(), 144, origin=(10.0, 20.0))
    assert calls == ["kor", "eng"]
    assert [w.text for w in result.words] == ["경고", "H317", "문구"]
    box = result.words[1].box  # the drawn word: pixels 100-170 x 20-40 at 144 dpi (0.5 pt/px)
    assert (box.x0, box.y0, box.x1, box.y1) == (60.0, 30.0, 95.0, 40.0)


def test_a_less_confident_second_reading_is_dropped(monkeypatch):
    monkeypatch.setattr(ocr, "run_tesseract", fake_tesseract([], second_conf=50.0))
    result = ocr.ocr_image(fake_page(), 144)
    assert [w.text for w in result.words] == ["경고", "11317", "문구"]


def test_one_pass_for_one_language_or_when_asked(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(ocr, "run_tesseract", fake_tesseract(calls))
    ocr.ocr_image(fake_page(), 144, languages="kor")
    ocr.ocr_image(fake_page(), 144, single_pass=True)
    assert calls == ["kor", "kor+eng"]


def test_hangul_only_reading_makes_no_second_call(monkeypatch):
    calls: list[str] = []
    rows = [tess_row("경고", 93, (20, 20, 82, 40)), tess_row("문구", 93, (190, 20, 250, 40))]

    def run(image, dpi, *, languages, psm, threads=1):
        calls.append(languages)
        return rows

    monkeypatch.setattr(ocr, "run_tesseract", run)
    assert [w.text for w in ocr.ocr_image(fake_page(), 144).words] == ["경고", "문구"]
    assert calls == ["kor"]


# -- the mosaic and the segments, without Tesseract -----------------------------------------------

def test_mosaic_stacks_crops_and_maps_boxes_back():
    sources = [(10, 5, 50, 25), (100, 40, 120, 70)]
    m = mosaic.plan(sources, gap=6, margin=4)
    assert m.tops == [4, 30] and m.size == (48, 64)
    page = Image.fromarray((np.arange(200 * 100) % 251).astype(np.uint8).reshape(100, 200))
    pasted = mosaic.paste(page, m)
    assert pasted.crop((4, 30, 24, 60)).tobytes() == page.crop(sources[1]).tobytes()
    assert pasted.getpixel((30, 27)) == 255  # the gap between rows is white
    assert mosaic.locate(m, (7, 6, 14, 20)) == (0, (13, 7, 20, 21))
    assert mosaic.locate(m, (4, 35, 40, 80)) == (1, (100, 45, 120, 70))  # clipped to the crop
    assert mosaic.locate(m, (4, 25, 20, 29)) is None  # in the gap


def read(text: str, x0: int, x1: int, conf: float = 90.0, line: int = 1) -> Read:
    return Read(text, conf, (x0, 10 * line, x1, 10 * line + 20), (1, 1, line))


def test_segments_are_runs_without_hangul_syllables():
    reads = [read("경고", 0, 40), read("11317", 50, 90), read("(AWS", 100, 140), read("문구", 150, 190),
             read("ㄷ", 200, 210), read("다14", 215, 240), read("1", 300, 310, line=2)]
    ink = np.zeros((60, 400), dtype=bool)
    spans = [(s.start, s.stop) for s in ocr_segments.find_segments(reads, ink)]
    assert spans == [(1, 3), (4, 5), (6, 7)]


def test_an_unsure_syllable_touching_a_number_joins_its_segment():
    # a cell's 2,516 read 기 (confidence 0) and .516: the number's first glyphs went to the
    # syllable, and the Latin pass read only .516 again
    reads = [read("2022", 0, 40), read("년", 42, 60), read("기", 200, 218, conf=0.0),
             read(".516", 217, 265, conf=32.0), read("기", 320, 338, conf=0.0), read("구조", 400, 440),
             read("1,886.9", 500, 560), read("ha이다", 561, 600, conf=20.0)]
    spans = [(s.start, s.stop) for s in ocr_segments.find_segments(reads, np.zeros((60, 700), bool))]
    # the second 기 touches no number, and a unit after a number is Korean: neither is read again
    assert spans == [(0, 1), (2, 4), (6, 7)]
    sure = [read("기", 200, 218, conf=90.0), read(".516", 217, 265, conf=32.0)]
    assert [(s.start, s.stop) for s in ocr_segments.find_segments(sure, np.zeros((60, 500), bool))] == [(1, 2)]


def test_segments_split_at_a_column_gap():
    reads = [read("2021", 0, 40), read("3,450", 200, 240)]  # 160 px apart, line height 20
    spans = [(s.start, s.stop) for s in ocr_segments.find_segments(reads, np.zeros((40, 300), bool))]
    assert spans == [(0, 1), (1, 2)]


def test_segment_cut_keeps_whole_glyphs_where_boxes_overlap():
    # "치(110)는" as Tesseract boxes it: "치" ends inside "(", "(110)" runs over "는".
    ink = np.zeros((40, 120), dtype=bool)
    for x0, x1 in ((0, 20), (24, 27), (31, 60), (66, 86)):  # 치, (, 110), 는
        ink[12:28, x0:x1] = True
    reads = [read("치", 2, 26), read("(110)", 25, 88), read("는", 66, 86)]
    (seg,) = ocr_segments.find_segments(reads, ink)
    x0, _, x1, _ = seg.box
    assert 20 <= x0 <= 24 and 60 <= x1 <= 66, seg.box


def test_second_reading_is_kept_by_weighted_confidence():
    first = [read("1", 0, 5, 99.0), read("1317", 10, 40, 50.0)]  # plain mean 74.5, weighted 59.8
    assert ocr_segments.keep_second(first, [read("H317", 0, 40, 70.0)])
    assert not ocr_segments.keep_second(first, [read("H317", 0, 40, 55.0)])
    assert not ocr_segments.keep_second(first, [])


def test_a_number_read_again_short_of_its_last_digits_keeps_its_first_reading():
    # The segment of "2013" in "2013년" cut through the "3": a confident "201" is a cut glyph.
    assert not ocr_segments.keep_second([read("2013", 0, 40, 60.0)], [read("201", 0, 30, 95.0)])
    # A changed number is a reading: "11534" is "1,534" with its comma read as "1".
    assert ocr_segments.keep_second([read("11534", 0, 50, 60.0)], [read("1,534", 0, 50, 95.0)])
    assert ocr_segments.keep_second([read("11317", 0, 50, 60.0)], [read("H317", 0, 50, 95.0)])
    # The comma Tesseract boxes with the number (", 2010" before 년) makes it no less a cut.
    assert not ocr_segments.keep_second([read(",", 0, 5, 90.0), read("2010", 8, 40, 80.0)],
                                        [read("201", 0, 30, 96.0)])


def test_a_grouped_number_whose_commas_the_first_pass_read_as_ones_is_kept_and_kept_sure():
    first = [read("11561.412", 0, 50, 46.0)]  # "1,561.4ha" in kor: commas as "1", ha as "12"
    second = [read("1,561.4ha", 0, 50, 39.0)]
    assert ocr_segments.keep_second(first, second)
    merged = ocr_segments.merge(first, [ocr_segments.Segment(0, 1, (0, 5, 50, 35))], [second])
    assert [(r.text, r.conf) for r in merged] == [("1,561.4ha", 46.0)]  # passes the 40 filter
    assert ocr_segments.keep_second([read("1416.81", 0, 50, 60.0)], [read("1,416.8MW", 0, 50, 45.0)])
    assert not ocr_segments.keep_second([read("11534", 0, 50, 60.0)], [read("1,634", 0, 50, 40.0)])


def test_merge_puts_second_words_on_the_segment_line():
    reads = [read("경고", 0, 40), read("11317", 50, 90, 40.0), read("문구", 100, 140)]
    seg = ocr_segments.Segment(1, 2, (45, 5, 95, 35))
    second = [Read("H317", 95.0, (51, 10, 88, 30), (9, 9, 9))]
    merged = ocr_segments.merge(reads, [seg], [second])
    assert [r.text for r in merged] == ["경고", "H317", "문구"]
    assert merged[1].line == (1, 1, 1) and merged[1].box == (51, 10, 88, 30)


def test_runs_of_single_syllables_in_a_table_label_are_glued_into_one_word():
    def at(text: str, x0: float) -> Word:
        return Word(text, Box(x0, 0, x0 + 6 * len(text), 9, Space.PAGE), 90.0)

    pieces = [at("등록", 0), at("자", 17), at("동", 26), at("차", 35), at("(대)", 45)]
    assert [w.text for w in ocr.glue_syllable_runs(pieces, 9.0)] == ["등록", "자동차", "(대)"]
    apart = [at("수", 0), at("세", 30), at("대", 60)]  # wide gaps: separate words
    assert [w.text for w in ocr.glue_syllable_runs(apart, 9.0)] == ["수", "세", "대"]
    assert [w.text for w in ocr.glue_syllable_runs([at("인", 0), at("구", 9)], 9.0)] == ["인구"]


def test_thin_gray_rules_are_found_at_scan_resolution():
    from PIL import Image, ImageDraw

    image = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(image)
    for y in (100, 200, 300):
        draw.line([(100, y), (1100, y)], fill=80, width=1)
    for x in (100, 400, 700, 1100):
        draw.line([(x, 100), (x, 300)], fill=80, width=1)
    grids = tables.find_ruled_grids(image, 300.0)
    assert len(grids) == 1 and len(grids[0].cols) == 4 and len(grids[0].rows) == 3


def test_a_point_before_three_digits_of_a_count_is_a_thousands_comma():
    def line(*texts: str) -> str:
        words = [Word(t, Box(100 * i, 0, 100 * i + 80, 12, Space.PAGE), 90.0) for i, t in enumerate(texts)]
        return ocr.build_lines(words)[0].text

    assert line("임직원은", "8.309명이다.") == "임직원은 8,309명이다."
    assert line("가입자", "1.234.567명") == "가입자 1,234,567명"
    # a measure, a ratio or a sum of money may print three decimals
    assert line("3.5명", "2.500억", "0.125건당", "8.309") == "3.5명 2.500억 0.125건당 8.309"

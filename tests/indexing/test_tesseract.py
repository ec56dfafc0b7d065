"""The two ways of calling Tesseract: in process (libtesseract's C API) and the program give the
same rows."""

from __future__ import annotations

import threading

import pymupdf
import pytest
from PIL import Image

from indexing import tesseract
from indexing.render import render_page
from vlm.synth import pdf as synth


@pytest.fixture(scope="module")
def korean_render(ocr_ready) -> tuple[Image.Image, float]:
    doc = synth.text_pdf("사업 보고서", synth.KOREAN_PARAGRAPHS[:2])
    page = pymupdf.open(stream=doc.pdf, filetype="pdf")[0]
    return render_page(page, 200, gray=True)


def words(rows: list[dict[str, str]]) -> list[str]:
    return [r["text"].strip() for r in rows if r["level"] == "5" and r["text"].strip()]


def read(image: Image.Image, dpi: float, engine: str, languages: str = "kor") -> list[dict[str, str]]:
    with tesseract.engine_in_use(engine):
        return tesseract.run_tesseract(image, dpi, languages=languages, psm=6)


def test_library_and_program_give_the_same_rows(korean_render):
    image, dpi = korean_render
    rows = {}
    for languages in ("kor", "eng"):
        rows[languages] = read(image, dpi, "library", languages)
        # the same libtesseract: the same words, boxes and confidences
        assert rows[languages] == read(image, dpi, "program", languages)
    assert "사업" in words(rows["kor"]) and len(words(rows["kor"])) >= 20
    assert set(rows["kor"][0]) == set(tesseract.TSV_COLUMNS)


def test_library_rows_have_pixel_boxes_and_confidences(korean_render):
    image, dpi = korean_render
    rows = [r for r in read(image, dpi, "library") if r["level"] == "5"]
    for r in rows:
        x, y, w, h = (int(r[k]) for k in ("left", "top", "width", "height"))
        assert 0 <= x < x + w <= image.width and 0 <= y < y + h <= image.height
        assert 0.0 <= float(r["conf"]) <= 100.0


def test_each_thread_keeps_its_own_engine(korean_render):
    image, dpi = korean_render
    found: list[list[str]] = []
    threads = [threading.Thread(target=lambda: found.append(words(read(image, dpi, "library"))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 2 and found[0] == found[1] and found[0]


def test_a_missing_language_is_a_clear_error(ocr_ready):
    blank = Image.new("L", (120, 40), 255)
    for engine in ("library", "program"):
        with pytest.raises(tesseract.OcrUnavailableError, match="xyz"):
            read(blank, 200, engine, languages="xyz")


def test_models_are_found_and_unknown_engines_refused(ocr_ready):
    assert {"kor", "eng"} <= tesseract.installed_languages()
    assert tesseract.available("kor+eng") and not tesseract.available("kor+xyz")
    with pytest.raises(ValueError, match="unknown Tesseract engine"):
        with tesseract.engine_in_use("gpu"):
            pass


def test_a_blank_image_reads_as_no_words(ocr_ready):
    assert words(read(Image.new("L", (300, 100), 255), 200, "library")) == []


def test_the_image_library_says_nothing_on_stderr(korean_render, capfd):
    import ctypes
    import ctypes.util

    read(*korean_render, "library")  # loading the library silences leptonica
    lept = ctypes.CDLL(ctypes.util.find_library("lept"))
    lept.boxClipToRectangle(None, 10, 10)  # an error leptonica would report on stderr
    assert "boxClipToRectangle" not in capfd.readouterr().err

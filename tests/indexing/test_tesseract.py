"""The two ways of calling Tesseract: in process (libtesseract's C API) and the program give the
same rows; in process is used only where OpenMP is capped at one thread, as in page workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from indexing import tesseract

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: OMP_THREAD_LIMIT counts only if set before the OpenMP runtime loads.
IN_A_PAGE_WORKER = r"""
import json, threading
import pymupdf
from indexing import tesseract
from indexing.render import render_page
from vlm.synth import pdf as synth

doc = synth.text_pdf("사업 보고서", synth.KOREAN_PARAGRAPHS[:2])
image, dpi = render_page(pymupdf.open(stream=doc.pdf, filetype="pdf")[0], 200, gray=True)

def read(engine, languages):
    with tesseract.engine_in_use(engine):
        return tesseract.run_tesseract(image, dpi, languages=languages, psm=6)

out = {"installed": tesseract.library_installed()}
for lang in ("kor", "eng"):
    out[lang] = read("library", lang)
    out[lang + "_same"] = out[lang] == read("program", lang)
found = []
threads = [threading.Thread(target=lambda: found.append(read("library", "kor"))) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
out["threads_same"] = len(found) == 2 and found[0] == found[1] == out["kor"]
print(json.dumps(out, ensure_ascii=False))
"""


def run_as_page_worker(code: str, limit: str = "1") -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_THREAD_LIMIT=limit, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=True)


def words(rows: list[dict[str, str]]) -> list[str]:
    return [r["text"].strip() for r in rows if r["level"] == "5" and r["text"].strip()]


@pytest.fixture(scope="module")
def worker_reads(ocr_ready) -> dict:
    return json.loads(run_as_page_worker(IN_A_PAGE_WORKER).stdout.splitlines()[-1])


def test_in_a_page_worker_the_library_reads_as_the_program_does(worker_reads):
    assert worker_reads["installed"]
    # the same libtesseract: the same words, boxes and confidences
    assert worker_reads["kor_same"] and worker_reads["eng_same"]
    kor = worker_reads["kor"]
    assert "사업" in words(kor) and len(words(kor)) >= 20
    assert set(kor[0]) == set(tesseract.TSV_COLUMNS)


def test_each_thread_keeps_its_own_engine(worker_reads):
    assert worker_reads["threads_same"]


def test_without_the_thread_cap_the_program_is_called(ocr_ready):
    code = "from indexing import tesseract; print(tesseract.library_installed())"
    assert run_as_page_worker(code, limit="1").stdout.strip() == "True"
    assert run_as_page_worker(code, limit="4").stdout.strip() == "False"


def test_a_missing_language_is_a_clear_error(ocr_ready):
    code = ("from PIL import Image; from indexing import tesseract\n"
            "try:\n"
            "    tesseract.run_tesseract(Image.new('L', (120, 40), 255), 200, languages='xyz', psm=6)\n"
            "except tesseract.OcrUnavailableError as exc:\n"
            "    print(exc)\n")
    assert "xyz" in run_as_page_worker(code).stdout
    with pytest.raises(tesseract.OcrUnavailableError, match="xyz"):
        with tesseract.engine_in_use("program"):
            tesseract.run_tesseract(Image.new("L", (120, 40), 255), 200, languages="xyz", psm=6)


def test_models_are_found_and_unknown_engines_refused(ocr_ready):
    assert {"kor", "eng"} <= tesseract.installed_languages()
    assert tesseract.available("kor+eng") and not tesseract.available("kor+xyz")
    with pytest.raises(ValueError, match="unknown Tesseract engine"):
        with tesseract.engine_in_use("gpu"):
            pass


def test_the_image_library_says_nothing_on_stderr(ocr_ready):
    complain = "ctypes.CDLL(ctypes.util.find_library('lept')).boxClipToRectangle(None, 10, 10)\n"
    load = "assert tesseract.library_installed()  # loading the library silences leptonica\n"
    head = "import ctypes, ctypes.util; from indexing import tesseract\n"
    assert "boxClipToRectangle" not in run_as_page_worker(head + load + complain).stderr
    # the check can fail: with the library not loaded, leptonica prints the error
    assert "boxClipToRectangle" in run_as_page_worker(head + complain).stderr

"""Tesseract's word table (TSV rows) for an image: in this process through tesserocr, with one
engine per language string kept for the life of the thread, or from the ``tesseract`` program
where tesserocr is not installed.

In process is the default because it costs far less: a program call loads its models again
each time (about 35 ms for ``kor``, 100 ms for ``eng``, and a scanned page makes three or four
calls), and on the real PDFs rendered at 200 dpi the two OCR passes took 0.6x the CPU of the
program's (``bench/ocr_accuracy.py``). tesserocr's wheels carry their own libtesseract; the
models are the system's (``TESSDATA_PREFIX``, else where the ``tesseract`` program finds them).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image

TESSERACT = "tesseract"
TIMEOUT_S = 300
# the columns of Tesseract's TSV, which the program prints as a header and the library does not
TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top",
               "width", "height", "conf", "text")
_KNOWN_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
               "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata")
_LIST_HEADER = re.compile(r'"([^"]+)"')
L_SEVERITY_NONE = 6  # leptonica's level above every message
ENGINES = ("auto", "library", "program")
# "library" (tesserocr), "program" (the executable) or "auto", the library where installed;
# set through ``engine_in_use`` (benchmarks compare the two)
_engine_choice = "auto"


class OcrUnavailableError(RuntimeError):
    """Tesseract or a requested language is not installed (a deployment defect, not bad input)."""


def run_tesseract(image: Image.Image, dpi: float, *, languages: str, psm: int,
                  threads: int = 1) -> list[dict[str, str]]:
    """Tesseract's word rows for ``image`` read in ``languages`` with page segmentation ``psm``.
    ``threads`` caps the program's OpenMP threads; the library's build has none."""
    if _engine_choice == "library" or (_engine_choice == "auto" and library_installed()):
        return _library_rows(image, dpi, languages, psm)
    return _program_rows(image, dpi, languages, psm, threads)


@contextlib.contextmanager
def engine_in_use(engine: str) -> Iterator[None]:
    """Read with ``engine`` (one of ``ENGINES``) inside the block."""
    global _engine_choice
    if engine not in ENGINES:
        raise ValueError(f"unknown Tesseract engine {engine!r}; one of {', '.join(ENGINES)}")
    before, _engine_choice = _engine_choice, engine
    try:
        yield
    finally:
        _engine_choice = before


@functools.cache
def library_installed() -> bool:
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def tessdata_dir() -> str | None:
    """Where the ``*.traineddata`` models lie: ``TESSDATA_PREFIX``, else the directory the
    ``tesseract`` program reports, else the usual system places; None where none has any."""
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = [env] if env else []
    reported = _program_tessdata()
    if reported:
        candidates.append(reported)
    candidates.extend(_KNOWN_DIRS)
    for d in candidates:
        if d and any(Path(d).glob("*.traineddata")):
            return d.rstrip("/") + "/"
    return None


def installed_languages() -> set[str]:
    """The language models Tesseract can load."""
    d = tessdata_dir()
    return {p.stem for p in Path(d).glob("*.traineddata")} if d else set()


def available(languages: str) -> bool:
    """Whether ``languages`` ("kor+eng") can be read, by the library or the program."""
    if not library_installed() and shutil.which(TESSERACT) is None:
        return False
    return set(languages.split("+")) <= installed_languages()


def _program_tessdata() -> str | None:
    exe = shutil.which(TESSERACT)
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    m = _LIST_HEADER.search(out.stdout.splitlines()[0] if out.stdout else "")
    return m.group(1) if m else None


class _Engines(threading.local):
    """A thread's engines by language string: a tesserocr API object is not thread-safe."""

    def __init__(self) -> None:
        self.by_languages: dict[str, Any] = {}


_ENGINES = _Engines()


def _engine(languages: str) -> Any:
    api = _ENGINES.by_languages.get(languages)
    if api is None:
        import tesserocr

        _quiet_leptonica()
        path = tessdata_dir()
        if path is None:
            raise OcrUnavailableError("no Tesseract models found (apt-get install tesseract-ocr-kor, "
                                      "or set TESSDATA_PREFIX)")
        try:
            api = tesserocr.PyTessBaseAPI(path=path, lang=languages, oem=tesserocr.OEM.LSTM_ONLY,
                                          variables={"debug_file": os.devnull})
        except RuntimeError as exc:
            raise OcrUnavailableError(f"tesseract cannot load {languages!r} from {path}") from exc
        _ENGINES.by_languages[languages] = api
    return api


@functools.cache
def _quiet_leptonica() -> None:
    """Silence the image library's messages ("Error in boxClipToRectangle: box outside
    rectangle", harmless), which would otherwise reach this process's stderr: the program's
    went to a pipe nobody read."""
    import tesserocr

    libs = Path(tesserocr.__file__).resolve().parent.parent / "tesserocr.libs"
    for lib in sorted(libs.glob("libleptonica*.so*")) or [None]:
        try:
            ctypes.CDLL(str(lib) if lib else "libleptonica.so.6").setMsgSeverity(L_SEVERITY_NONE)
            return
        except (OSError, AttributeError):
            continue


def _library_rows(image: Image.Image, dpi: float, languages: str, psm: int) -> list[dict[str, str]]:
    api = _engine(languages)
    api.SetPageSegMode(psm)
    api.SetImage(image.convert("L"))
    api.SetSourceResolution(round(dpi))
    if not api.Recognize(timeout=TIMEOUT_S * 1000):
        api.Clear()
        raise OcrUnavailableError(f"tesseract took longer than {TIMEOUT_S} s")
    text = api.GetTSVText(0)
    api.Clear()  # the page's results are not kept until the next image
    return [dict(zip(TSV_COLUMNS, r.split("\t"), strict=False)) for r in text.splitlines() if r]


def _program_rows(image: Image.Image, dpi: float, languages: str, psm: int,
                  threads: int) -> list[dict[str, str]]:
    """The rows from the ``tesseract`` program, the image fed through a pipe (no temporary files).

    One OpenMP thread is the right default: on a busy machine its spinning threads were seen to
    make a page three times slower, and pages are parallelised a level up instead.
    """
    exe = shutil.which(TESSERACT)
    if exe is None:
        raise OcrUnavailableError("tesseract is not installed (apt-get install tesseract-ocr-kor)")
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PPM")  # uncompressed: cheaper than PNG to hand over
    cmd = [exe, "-", "-", "-l", languages, "--psm", str(psm), "--dpi", str(round(dpi)), "tsv"]
    env = dict(os.environ, OMP_THREAD_LIMIT=str(threads))
    try:
        done = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, env=env,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailableError(f"tesseract took longer than {TIMEOUT_S} s") from exc
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise OcrUnavailableError(f"tesseract failed ({languages}): {msg}")
    rows = done.stdout.decode("utf-8", "replace").splitlines()
    if not rows:
        return []
    header = rows[0].split("\t")
    return [dict(zip(header, r.split("\t"), strict=False)) for r in rows[1:] if r]

"""Tesseract's word table (TSV rows) for an image: in this process through Tesseract's C API in
the system's libtesseract, with one engine per language string kept for the life of the
thread, where OpenMP is capped at one thread (page workers); else from the ``tesseract``
program.

In process costs less for the same words: a program call loads its models again each time,
and a scanned page makes several calls. The library is the one the ``tesseract`` program links
(Debian's ``libtesseract5``), so both read alike; ``bench/ocr_accuracy.py`` measures the two. A
Python binding with its own newer libtesseract (tesserocr's wheels, 5.5) was faster still but
read differently, and a little worse on the scanned benchmark sets.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import functools
import io
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

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
# "library" (libtesseract in process), "program" (the executable) or "auto", the library where installed;
# set through ``engine_in_use`` (benchmarks compare the two)
_engine_choice = "auto"


class OcrUnavailableError(RuntimeError):
    """Tesseract or a requested language is not installed (a deployment defect, not bad input)."""


def run_tesseract(image: Image.Image, dpi: float, *, languages: str, psm: int,
                  threads: int = 1) -> list[dict[str, str]]:
    """Tesseract's word rows for ``image`` read in ``languages`` with page segmentation ``psm``.
    ``threads`` caps the program's OpenMP threads; in process Tesseract runs on one."""
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


def library_installed() -> bool:
    """Whether Tesseract is called in this process (libtesseract loads, one OpenMP thread)."""
    return _capi() is not None


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
    """Whether ``languages`` ("kor+eng") can be read, by the library or the program. Nothing is
    loaded: asking must not fix this process's engine before its OpenMP limit is set."""
    if ctypes.util.find_library("tesseract") is None and shutil.which(TESSERACT) is None:
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
    """A thread's engines by language string: one Tesseract API object is not thread-safe."""

    def __init__(self) -> None:
        self.by_languages: dict[str, int] = {}


_ENGINES = _Engines()
_ALL_HANDLES: list[int] = []  # every thread's, ended at exit (Tesseract reports leaks otherwise)
_HANDLES_LOCK = threading.Lock()


@functools.cache
def _capi() -> ctypes.CDLL | None:
    """libtesseract with the C API's signatures declared, or None where it cannot be loaded or
    would run on several threads."""
    name = ctypes.util.find_library("tesseract") or "libtesseract.so.5"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    if not _openmp_threads_capped():
        return None
    p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for fn, args, res in (
        ("TessBaseAPICreate", [], p), ("TessBaseAPIDelete", [p], None), ("TessBaseAPIEnd", [p], None),
        ("TessBaseAPISetVariable", [p, s, s], i), ("TessBaseAPIInit3", [p, s, s], i),
        ("TessBaseAPISetPageSegMode", [p, i], None), ("TessBaseAPISetImage", [p, s, i, i, i, i], None),
        ("TessBaseAPISetSourceResolution", [p, i], None), ("TessBaseAPIRecognize", [p, p], i),
        ("TessBaseAPIGetTsvText", [p, i], ctypes.POINTER(ctypes.c_char)),
        ("TessDeleteText", [ctypes.POINTER(ctypes.c_char)], None), ("TessBaseAPIClear", [p], None),
        ("TessMonitorCreate", [], p), ("TessMonitorDelete", [p], None),
        ("TessMonitorSetDeadlineMSecs", [p, i], None),
    ):
        getattr(lib, fn).argtypes, getattr(lib, fn).restype = args, res
    _quiet_leptonica()
    atexit.register(_end_all, lib)
    return lib


def _quiet_leptonica() -> None:
    """Silence the image library's messages ("Error in boxClipToRectangle: box outside
    rectangle", harmless), which would reach this process's stderr: the program's went to a
    pipe nobody read."""
    for name in (ctypes.util.find_library("lept"), ctypes.util.find_library("leptonica")):
        try:
            ctypes.CDLL(name).setMsgSeverity(L_SEVERITY_NONE)
            return
        except (OSError, AttributeError, TypeError):
            continue


def _openmp_threads_capped() -> bool:
    """Whether Tesseract's OpenMP loops run on one thread in this process. Debian builds it
    with OpenMP and some loops ask for several threads whatever ``omp_set_num_threads`` says;
    only ``OMP_THREAD_LIMIT``, read when the runtime loads, caps them. Page workers set it
    (``pagepool.single_threaded``): pages are parallelised a level up, and spinning threads
    cost 2.7x the CPU where it was not set. Elsewhere the program is called, with the limit
    in its environment."""
    name = ctypes.util.find_library("gomp")
    if not name:
        return True  # no OpenMP runtime: a build without it
    try:
        return int(ctypes.CDLL(name).omp_get_thread_limit()) <= 1
    except (OSError, AttributeError):
        return True


def _end_all(lib: ctypes.CDLL) -> None:
    with _HANDLES_LOCK:
        for handle in _ALL_HANDLES:
            lib.TessBaseAPIEnd(handle)
            lib.TessBaseAPIDelete(handle)
        _ALL_HANDLES.clear()


def _engine(lib: ctypes.CDLL, languages: str) -> int:
    handle = _ENGINES.by_languages.get(languages)
    if handle is None:
        path = tessdata_dir()
        if path is None:
            raise OcrUnavailableError("no Tesseract models found (apt-get install tesseract-ocr-kor, "
                                      "or set TESSDATA_PREFIX)")
        handle = lib.TessBaseAPICreate()
        lib.TessBaseAPISetVariable(handle, b"debug_file", os.devnull.encode())
        if lib.TessBaseAPIInit3(handle, path.encode(), languages.encode()) != 0:
            lib.TessBaseAPIDelete(handle)
            raise OcrUnavailableError(f"tesseract cannot load {languages!r} from {path}")
        _ENGINES.by_languages[languages] = handle
        with _HANDLES_LOCK:
            _ALL_HANDLES.append(handle)
    return handle


def _library_rows(image: Image.Image, dpi: float, languages: str, psm: int) -> list[dict[str, str]]:
    lib = _capi()
    if lib is None:
        raise OcrUnavailableError("libtesseract cannot be loaded, or OMP_THREAD_LIMIT is not 1 in "
                                  "this process (apt-get install tesseract-ocr)")
    handle = _engine(lib, languages)
    gray = image.convert("L")
    lib.TessBaseAPISetPageSegMode(handle, psm)
    lib.TessBaseAPISetImage(handle, gray.tobytes(), gray.width, gray.height, 1, gray.width)
    lib.TessBaseAPISetSourceResolution(handle, round(dpi))
    monitor = lib.TessMonitorCreate()
    try:
        lib.TessMonitorSetDeadlineMSecs(monitor, TIMEOUT_S * 1000)
        if lib.TessBaseAPIRecognize(handle, monitor) != 0:
            raise OcrUnavailableError(f"tesseract failed or took longer than {TIMEOUT_S} s ({languages})")
        raw = lib.TessBaseAPIGetTsvText(handle, 0)
        text = ctypes.cast(raw, ctypes.c_char_p).value or b""
        lib.TessDeleteText(raw)
    finally:
        lib.TessMonitorDelete(monitor)
        lib.TessBaseAPIClear(handle)  # the page's results are not kept until the next image
    rows = text.decode("utf-8", "replace").splitlines()
    return [dict(zip(TSV_COLUMNS, r.split("\t"), strict=False)) for r in rows if r]


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

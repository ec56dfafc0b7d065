"""Generated Korean PDFs: flowing text, a ruled table, scanned copies and page images.

Every generator returns the document bytes together with the ground truth a test needs
(which page a paragraph landed on, where each word was drawn, the cells of a table), so that
tests can check extraction against known values instead of against themselves.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pymupdf
from PIL import Image

from indexing.geometry import Box, Space
from vlm.synth.degrade import degrade

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
A4 = (595.0, 842.0)
MARGIN = 72.0


@dataclass(frozen=True, slots=True)
class SynthWord:
    """One drawn word: its 1-based page and its box in page points."""

    page: int
    text: str
    box: Box


@dataclass(slots=True)
class SynthPdf:
    """A generated PDF and where its content went."""

    pdf: bytes
    paragraph_pages: list[tuple[int, ...]]  # the 1-based pages each paragraph's lines are on
    words: list[SynthWord] = field(default_factory=list)
    page_count: int = 0


@dataclass(slots=True)
class SynthTable:
    """A generated PDF holding one ruled table, with the table's known grid and box."""

    pdf: bytes
    grid: list[list[str]]  # header row first
    box: Box  # the table's outer ruling, page points, page 1


@lru_cache(maxsize=1)
def korean_font() -> pymupdf.Font:
    """NanumGothic when installed, else PyMuPDF's built-in CJK font (both cover Hangul)."""
    if NANUM.exists():
        return pymupdf.Font(fontfile=str(NANUM))
    return pymupdf.Font("cjk")


class _Writer:
    """Places words on pages line by line and records each word's box."""

    def __init__(self, fontsize: float, page_size: tuple[float, float]) -> None:
        self.doc = pymupdf.open()
        self.font = korean_font()
        self.fontsize = fontsize
        self.size = page_size
        self.line_height = fontsize * 1.7
        self.words: list[SynthWord] = []
        self.writers: list[pymupdf.TextWriter] = []
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        page = self.doc.new_page(width=self.size[0], height=self.size[1])
        self.writers.append(pymupdf.TextWriter(page.rect))
        self.y = MARGIN

    @property
    def page_number(self) -> int:
        return len(self.writers)

    def line(self, words: list[str], fontsize: float | None = None, x: float = MARGIN) -> None:
        """Write one line of words at the current position, breaking the page when full."""
        fs = fontsize or self.fontsize
        if self.y + fs * 1.7 > self.size[1] - MARGIN:
            self.new_page()
        baseline = self.y + fs * self.font.ascender
        # One string per line with real spaces, as word processors write it.
        self.writers[-1].append((x, baseline), " ".join(words), font=self.font, fontsize=fs)
        space = self.font.text_length(" ", fs)
        for word in words:
            width = self.font.text_length(word, fs)
            box = Box(x, baseline - fs * self.font.ascender, x + width,
                      baseline - fs * self.font.descender, Space.PAGE)
            self.words.append(SynthWord(self.page_number, word, box))
            x += width + space
        self.y += fs * 1.7

    def wrap(self, text: str, fontsize: float | None = None) -> None:
        """Greedy word wrap of one paragraph into the text column."""
        fs = fontsize or self.fontsize
        limit = self.size[0] - 2 * MARGIN
        line: list[str] = []
        for word in text.split():
            trial = " ".join([*line, word])
            if line and self.font.text_length(trial, fs) > limit:
                self.line(line, fs)
                line = [word]
            else:
                line.append(word)
        if line:
            self.line(line, fs)

    def finish(self) -> bytes:
        for page, writer in zip(self.doc, self.writers, strict=True):
            writer.write_text(page)
        # Embedding only the glyphs used keeps a sample a few kB instead of 4 MB.
        self.doc.subset_fonts()
        _spaces_as_spaces(self.doc)
        return self.doc.tobytes(garbage=3, deflate=True)


def _spaces_as_spaces(doc: pymupdf.Document) -> None:
    """Map the space glyph back to U+0020 in every ToUnicode table.

    NanumGothic draws U+0020 and U+00A0 with one glyph, and the generated ToUnicode map
    names the glyph U+00A0, so the text layer would otherwise hold no-break spaces.
    """
    for xref in range(1, doc.xref_length()):
        kind, value = doc.xref_get_key(xref, "ToUnicode")
        if kind != "xref":
            continue
        cmap_xref = int(value.split()[0])
        cmap = doc.xref_stream(cmap_xref)
        fixed = re.sub(rb"(<[0-9a-fA-F]+> )<00[aA]0>", rb"\1<0020>", cmap)
        if fixed != cmap:
            doc.update_stream(cmap_xref, fixed)


def text_pdf(
    title: str, paragraphs: list[str], *, fontsize: float = 11.0,
    page_size: tuple[float, float] = A4,
) -> SynthPdf:
    """A PDF with a real Korean text layer: a title, then paragraphs flowing over pages."""
    w = _Writer(fontsize, page_size)
    w.line(title.split(), fontsize=fontsize * 1.8)
    w.y += fontsize
    pages: list[tuple[int, ...]] = []
    for para in paragraphs:
        if w.y + fontsize * 1.7 > page_size[1] - MARGIN:
            w.new_page()
        first = w.page_number
        w.wrap(para)
        pages.append(tuple(range(first, w.page_number + 1)))
        w.y += fontsize * 0.8
    data = w.finish()
    return SynthPdf(data, pages, w.words, len(w.writers))


DEFAULT_TABLE = [
    ["구분", "2021년", "2022년", "2023년"],
    ["매출액", "2,810", "3,067", "3,450"],
    ["영업이익", "412", "455", "521"],
    ["당기순이익", "298", "331", "389"],
    ["부채비율", "85.2%", "79.4%", "72.8%"],
]


def table_pdf(**kwargs: Any) -> bytes:
    """The PDF of :func:`table_sample` (same arguments), without the ground truth."""
    return table_sample(**kwargs).pdf


def table_sample(
    title: str = "주요 재무 현황 (단위: 억 원)",
    grid: list[list[str]] | None = None,
    *, intro: str = "다음 표는 최근 3개년 요약 재무 정보를 나타낸다.",
    col_width: float = 100.0, row_height: float = 26.0, fontsize: float = 11.0,
) -> SynthTable:
    """A Korean financial table drawn with ruling lines under a title and a sentence."""
    grid = [list(r) for r in (grid or DEFAULT_TABLE)]
    w = _Writer(fontsize, A4)
    w.line(title.split(), fontsize=fontsize * 1.6)
    w.y += fontsize * 0.5
    w.wrap(intro)
    w.y += fontsize
    n_rows, n_cols = len(grid), max(len(r) for r in grid)
    x0, y0 = MARGIN, w.y
    box = Box(x0, y0, x0 + n_cols * col_width, y0 + n_rows * row_height, Space.PAGE)
    page = w.doc[0]
    shape = page.new_shape()
    for r in range(n_rows + 1):
        shape.draw_line((box.x0, y0 + r * row_height), (box.x1, y0 + r * row_height))
    for c in range(n_cols + 1):
        shape.draw_line((x0 + c * col_width, box.y0), (x0 + c * col_width, box.y1))
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    for r, row in enumerate(grid):
        w.y = y0 + r * row_height + (row_height - fontsize * 1.15) / 2
        for c, text in enumerate(row):
            saved = w.y
            w.line(text.split(), x=x0 + c * col_width + 6)
            w.y = saved
    return SynthTable(w.finish(), grid, box)


def rasterise(pdf_bytes: bytes, dpi: int = 200, *, jpeg_quality: int = 85) -> bytes:
    """An image-only copy of a PDF: each page replaced by its render, no text layer left.

    This is the "scanned" twin of a generated document: same geometry, same look, but every
    word has to come from OCR.
    """
    src = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    out = pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        scan = out.new_page(width=page.rect.width, height=page.rect.height)
        scan.insert_image(scan.rect, stream=pix.tobytes("jpeg", jpg_quality=jpeg_quality))
    return out.tobytes(garbage=3, deflate=True)


def degraded_scan(pdf_bytes: bytes, seed: int, dpi: int = 200, max_angle: float = 1.0) -> bytes:
    """An image-only copy of a PDF as a worn scanner makes it: each page's render turned a
    little, on gray paper, blurred, noisy and JPEG-compressed (``vlm.synth.degrade``), every
    parameter drawn from ``seed`` and the page number. The page geometry stays; a gold box
    moves by at most the small rotation."""
    src = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    out = pymupdf.open()
    for number, page in enumerate(src):
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB)
        image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
        scan = degrade(image, random.Random(f"{seed}/{number}"), max_angle=max_angle)
        target = out.new_page(width=page.rect.width, height=page.rect.height)
        target.insert_image(target.rect, stream=scan.data)
    return out.tobytes(garbage=3, deflate=True)


def image_bytes(pdf_bytes: bytes, fmt: str = "png", *, dpi: int = 150) -> bytes:
    """Page renders of a PDF as an image file: PNG or JPEG of page 1, or a multi-page TIFF."""
    src = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    images = []
    for page in src:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB)
        images.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
    buf = io.BytesIO()
    match fmt.lower():
        case "png":
            images[0].save(buf, format="PNG", dpi=(dpi, dpi))
        case "jpeg" | "jpg":
            images[0].save(buf, format="JPEG", quality=90, dpi=(dpi, dpi))
        case "tiff" | "tif":
            images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:],
                           compression="tiff_deflate", dpi=(dpi, dpi))
        case _:
            raise ValueError(f"unknown image format {fmt!r}; use png, jpeg or tiff")
    return buf.getvalue()


KOREAN_PARAGRAPHS = [
    "본 보고서는 회사의 경영 성과와 재무 상태를 주주에게 알리기 위하여 작성되었다.",
    "당사의 매출액은 전년 대비 12.5% 증가한 3,450억 원을 기록하였으며 영업이익은 521억 원이다.",
    "반도체 부문은 수요 회복에 힘입어 흑자로 전환하였고 디스플레이 부문은 가동률이 개선되었다.",
    "향후 당사는 연구개발 투자를 확대하여 차세대 제품의 경쟁력을 강화할 계획이다.",
]

"""open_source: every supported format opens; every kind of bad input fails with its own error."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import pymupdf
import pytest

from indexing.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    TooLargeError,
    UnsupportedFormatError,
)
from indexing.sources import DocumentKind, SourceLimits, open_source, sniff_kind
from vlm.synth import formats
from vlm.synth import pdf as synth


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``; the pixels are never allocated."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


# -- formats that open ------------------------------------------------------------------------

def test_pdf_opens_with_kind_and_pages(long_pdf):
    src = open_source(long_pdf.pdf, "report.pdf")
    assert src.kind == DocumentKind.PDF
    assert src.page_count == long_pdf.page_count == 3
    assert "보고서" in src.load_page(0).get_text()
    assert src.warnings == []


@pytest.mark.parametrize("fmt, kind", [("png", DocumentKind.PNG), ("jpeg", DocumentKind.JPEG)])
def test_single_images_open(korean_pdf, fmt, kind):
    src = open_source(synth.image_bytes(korean_pdf.pdf, fmt), f"page.{fmt}")
    assert src.kind == kind and src.page_count == 1
    assert src.load_page(0).rect.width == pytest.approx(595, abs=2)  # 150 dpi image -> A4 points


def test_multipage_tiff_opens_every_page(long_pdf):
    src = open_source(synth.image_bytes(long_pdf.pdf, "tiff", dpi=60), "scan.tiff")
    assert src.kind == DocumentKind.TIFF
    assert src.page_count == 3


def test_epub_and_xps_are_told_apart_by_their_members():
    epub = open_source(formats.epub_bytes("제목", ["첫 문단입니다.", "둘째 문단입니다."]), "book.epub")
    xps = open_source(formats.xps_bytes(pages=2), "form.xps")
    assert epub.kind == DocumentKind.EPUB and "둘째 문단입니다" in epub.load_page(0).get_text()
    assert xps.kind == DocumentKind.XPS and xps.page_count == 2


def test_name_without_extension_is_judged_by_content(korean_pdf):
    assert open_source(korean_pdf.pdf, "upload").kind == DocumentKind.PDF


# -- bad input --------------------------------------------------------------------------------

def test_zero_bytes_is_empty():
    with pytest.raises(EmptyDocumentError, match="empty"):
        open_source(b"", "blank.pdf")


def test_random_bytes_are_unsupported():
    with pytest.raises(UnsupportedFormatError, match="unrecognised binary data"):
        open_source(os.urandom(4096), "blob.bin")


def test_plain_korean_text_is_unsupported_and_says_so():
    with pytest.raises(UnsupportedFormatError, match="plain text"):
        open_source("회의록: 다음 주 월요일 오전 10시\n".encode() * 20, "notes.txt")


def test_word_document_gets_advice():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(UnsupportedFormatError, match=r"Word \(.docx\).*save it as PDF"):
        open_source(buf.getvalue(), "계약서.docx")


def test_png_named_pdf_is_refused_with_the_right_name(korean_pdf):
    png = synth.image_bytes(korean_pdf.pdf, "png", dpi=40)
    with pytest.raises(UnsupportedFormatError) as err:
        open_source(png, "scan.pdf")
    assert "content is a PNG image" in str(err.value)
    assert "rename it to scan.png" in str(err.value)


def test_truncated_pdf_header_only_is_corrupt(korean_pdf):
    with pytest.raises(CorruptDocumentError, match="damaged"):
        open_source(korean_pdf.pdf[:300], "cut.pdf")


def test_pdf_cut_in_half_is_repaired_or_refused(long_pdf):
    """MuPDF repairs what it can: pages that survive are kept with a warning; none -> corrupt."""
    try:
        src = open_source(long_pdf.pdf[: len(long_pdf.pdf) // 2], "half.pdf")
    except CorruptDocumentError as exc:
        assert "damaged" in str(exc)
    else:
        assert src.page_count >= 1
        assert any("repaired" in w for w in src.warnings)


def test_corrupt_pdf_body_is_refused():
    junk = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF"
    with pytest.raises(CorruptDocumentError):
        open_source(junk, "junk.pdf")


def test_truncated_png_is_corrupt(korean_pdf):
    png = synth.image_bytes(korean_pdf.pdf, "png", dpi=60)
    with pytest.raises(CorruptDocumentError):
        open_source(png[: len(png) // 3], "cut.png")


def test_encrypted_pdf_asks_for_the_password_to_be_removed(korean_pdf):
    doc = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    with pytest.raises(EncryptedDocumentError, match="password"):
        open_source(locked, "locked.pdf")


def test_owner_password_only_pdf_opens(korean_pdf):
    """Permissions-only encryption needs no password to read, so it is not refused."""
    doc = pymupdf.open(stream=korean_pdf.pdf, filetype="pdf")
    restricted = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", permissions=0)
    assert open_source(restricted, "restricted.pdf").page_count == 1


def test_huge_image_is_refused_from_its_header_alone():
    bomb = png_header_only(30_000, 30_000)
    assert len(bomb) < 200  # nothing like 2.7 GB of pixels exists anywhere
    with pytest.raises(TooLargeError, match="30,000 x 30,000 pixels"):
        open_source(bomb, "poster.png")


def test_pixel_limit_is_configurable(korean_pdf):
    png = synth.image_bytes(korean_pdf.pdf, "png", dpi=60)
    with pytest.raises(TooLargeError, match="megapixels"):
        open_source(png, "page.png", SourceLimits(max_image_pixels=10_000))


def test_pdf_over_the_page_limit(long_pdf):
    with pytest.raises(TooLargeError, match="3 pages; the limit is 2 pages"):
        open_source(long_pdf.pdf, "long.pdf", SourceLimits(max_pages=2))


def test_tiff_over_the_page_limit_is_refused_before_decoding(long_pdf):
    with pytest.raises(TooLargeError, match="3 pages"):
        open_source(synth.image_bytes(long_pdf.pdf, "tiff", dpi=30), "scan.tif",
                    SourceLimits(max_pages=2))


def test_byte_limit():
    with pytest.raises(TooLargeError, match="MB"):
        open_source(b"%PDF-1.7\n" + b"0" * 2_000_000, "big.pdf", SourceLimits(max_bytes=1_000_000))


def test_sniff_kind_reads_content_not_names(korean_pdf):
    assert sniff_kind(b"junk before the header %PDF-1.4 ...") == DocumentKind.PDF
    assert sniff_kind(synth.image_bytes(korean_pdf.pdf, "jpeg", dpi=30)) == DocumentKind.JPEG
    with pytest.raises(UnsupportedFormatError, match="GIF image"):
        sniff_kind(b"GIF89a" + b"\0" * 20)

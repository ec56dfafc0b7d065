"""Open an uploaded file as a document: sniff what it really is, check it, hand back pages.

``open_source`` decides the format from the content (magic bytes, and for zip containers
their members), never from the name alone, and refuses with a specific ``BadInputError``
whatever cannot be ingested: empty, not a document, named as one format but holding another,
damaged, password-protected, too many pixels or pages. Image dimensions are read from the
header before anything is decoded, so a decompression bomb never allocates its pixels.
Everything that passes is opened with PyMuPDF.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath

import pymupdf
from PIL import JpegImagePlugin, PngImagePlugin, TiffImagePlugin

from indexing.errors import (
    BadInputError,
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    TooLargeError,
    UnsupportedFormatError,
)


class DocumentKind(StrEnum):
    PDF = "pdf"
    XPS = "xps"
    EPUB = "epub"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"


IMAGE_KINDS = frozenset({DocumentKind.PNG, DocumentKind.JPEG, DocumentKind.TIFF})

# What a user would call each kind, and the extension to suggest for it.
_LABEL = {
    DocumentKind.PDF: ("a PDF document", ".pdf"),
    DocumentKind.XPS: ("an XPS document", ".xps"),
    DocumentKind.EPUB: ("an EPUB e-book", ".epub"),
    DocumentKind.PNG: ("a PNG image", ".png"),
    DocumentKind.JPEG: ("a JPEG image", ".jpg"),
    DocumentKind.TIFF: ("a TIFF image", ".tif"),
}
_EXTENSIONS = {
    ".pdf": DocumentKind.PDF, ".xps": DocumentKind.XPS, ".oxps": DocumentKind.XPS,
    ".epub": DocumentKind.EPUB, ".png": DocumentKind.PNG, ".jpg": DocumentKind.JPEG,
    ".jpeg": DocumentKind.JPEG, ".jpe": DocumentKind.JPEG, ".tif": DocumentKind.TIFF,
    ".tiff": DocumentKind.TIFF,
}


@dataclass(frozen=True, slots=True)
class SourceLimits:
    max_bytes: int = 512 * 2**20
    max_pages: int = 2000
    max_image_pixels: int = 200_000_000  # per image (or TIFF page): about 14,000 x 14,000


@dataclass(slots=True)
class DocumentSource:
    """An opened document. ``data`` is kept so that worker processes can reopen it."""

    filename: str
    kind: DocumentKind
    data: bytes
    document: pymupdf.Document
    warnings: list[str] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return self.document.page_count

    def load_page(self, index: int) -> pymupdf.Page:
        """The 0-based page ``index``."""
        return self.document.load_page(index)

    def close(self) -> None:
        self.document.close()

    def __enter__(self) -> DocumentSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_source(data: bytes, filename: str, limits: SourceLimits | None = None) -> DocumentSource:
    """Check ``data`` and open it; raises a ``BadInputError`` subclass with a readable reason."""
    limits = limits or SourceLimits()
    name = PurePath(filename).name or "the file"
    if not data:
        raise EmptyDocumentError(f"{name} is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise TooLargeError(
            f"{name} is {len(data) / 2**20:.1f} MB; the limit is {limits.max_bytes / 2**20:.0f} MB")
    kind = sniff_kind(data, name)
    _check_extension(name, kind)
    if kind in IMAGE_KINDS:
        _check_image_header(data, name, kind, limits)
    doc = open_document(data, kind, name)
    source = DocumentSource(name, kind, data, doc)
    try:
        _check_pages(source, limits)
    except BaseException:
        doc.close()
        raise
    return source


def open_document(data: bytes, kind: DocumentKind | str, name: str = "the file") -> pymupdf.Document:
    """Open already-checked bytes with PyMuPDF (worker processes use this to reopen)."""
    pymupdf.TOOLS.mupdf_warnings()  # drop warnings left over from earlier documents
    try:
        doc = pymupdf.open(stream=data, filetype=str(kind))
    except Exception as exc:  # MuPDF raises several unrelated classes for a damaged file
        label = _LABEL[DocumentKind(kind)][0]
        raise CorruptDocumentError(
            f"{name} looks like {label} but is damaged and cannot be opened ({_short(exc)})"
        ) from exc
    if doc.needs_pass:
        doc.close()
        raise EncryptedDocumentError(
            f"{name} is password-protected; remove the password (or print it to a new PDF) "
            "and upload it again")
    return doc


# -- sniffing ------------------------------------------------------------------------------

def sniff_kind(data: bytes, name: str = "the file") -> DocumentKind:
    """The document kind of ``data`` by its content; ``UnsupportedFormatError`` otherwise."""
    head = data[:16]
    # A PDF header may sit after some junk bytes; readers accept it within the first 1 KB.
    if b"%PDF-" in data[:1024]:
        return DocumentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return DocumentKind.TIFF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, name)
    raise UnsupportedFormatError(_unsupported(name, describe_content(data)))


def _sniff_zip(data: bytes, name: str) -> DocumentKind:
    """XPS and EPUB are zip packages; tell them from each other and from other zips."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = _read_small(zf, "mimetype") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CorruptDocumentError(f"{name} is a damaged ZIP container ({_short(exc)})") from exc
    lowered = [n.lower() for n in names]
    if mimetype == "application/epub+zip" or "meta-inf/container.xml" in lowered and any(
            n.endswith(".opf") for n in lowered):
        return DocumentKind.EPUB
    if any(n.endswith(".fdseq") for n in lowered) or any(n.endswith(".fpage") for n in lowered):
        return DocumentKind.XPS
    raise UnsupportedFormatError(_unsupported(name, _describe_zip(mimetype, lowered)))


def _unsupported(name: str, what: str) -> str:
    label, _, advice = what.partition("; ")
    text = f"{name} is {label}, not a supported document (PDF, XPS, EPUB, PNG, JPEG or TIFF)"
    return f"{text}; {advice}" if advice else text


def _read_small(zf: zipfile.ZipFile, member: str, limit: int = 256) -> str:
    with zf.open(member) as f:
        return f.read(limit).decode("ascii", "replace").strip()


def _describe_zip(mimetype: str, names: list[str]) -> str:
    if mimetype == "application/hwp+zip":
        return "an HWPX (Hangul) document; save it as PDF first"
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return "an OpenDocument file; save it as PDF first"
    for prefix, label in (("word/", "Word (.docx)"), ("xl/", "Excel (.xlsx)"),
                          ("ppt/", "PowerPoint (.pptx)")):
        if any(n.startswith(prefix) for n in names):
            return f"a {label} document; save it as PDF first"
    return "a ZIP archive; upload it as a .zip so that its documents are ingested one by one"


def describe_content(data: bytes) -> str:
    """A short human description of unsupported content, for error messages."""
    head = data[:16]
    known = (
        (b"GIF8", "a GIF image"), (b"BM", "a BMP image"), (b"\x00\x00\x01\x00", "an icon file"),
        (b"\xd0\xcf\x11\xe0", "an HWP or legacy Office document; save it as PDF first"),
        (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x1f\x8b", "a gzip file"),
        (b"{\\rtf", "an RTF document; save it as PDF first"), (b"%!PS", "a PostScript file"),
    )
    for magic, label in known:
        if head.startswith(magic):
            return label
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "a WebP image"
    if _looks_like_text(data[:4096]):
        sample = data[:512].lstrip().lower()
        if sample.startswith((b"<!doctype html", b"<html")):
            return "an HTML page"
        return "plain text"
    return "unrecognised binary data"


def _looks_like_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    for encoding in ("utf-8", "cp949"):  # cp949: Korean text files saved on Windows
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 4:  # a character cut at the sample's end
                return True
    return False


def _check_extension(name: str, kind: DocumentKind) -> None:
    """A name that promises one format while the content is another is refused, with advice."""
    ext = PurePath(name).suffix.lower()
    named = _EXTENSIONS.get(ext)
    if named is None or named == kind:
        return
    label, right_ext = _LABEL[kind]
    stem = PurePath(name).stem
    raise UnsupportedFormatError(
        f"{name} is named as {_LABEL[named][0]} but its content is {label}; "
        f"rename it to {stem}{right_ext} and upload it again")


# -- limits and damage -----------------------------------------------------------------------

def _check_image_header(data: bytes, name: str, kind: DocumentKind, limits: SourceLimits) -> None:
    """Refuse too-large images from their header alone (PIL opens lazily: no pixels decoded)."""
    # The plugin classes are used directly because Image.open() applies PIL's own global
    # pixel limit; here the configured limit decides, with a message that says so.
    plugin = {DocumentKind.PNG: PngImagePlugin.PngImageFile,
              DocumentKind.JPEG: JpegImagePlugin.JpegImageFile,
              DocumentKind.TIFF: TiffImagePlugin.TiffImageFile}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = plugin(io.BytesIO(data))
            frames = getattr(img, "n_frames", 1)
            if frames > limits.max_pages:
                raise TooLargeError(
                    f"{name} has {frames} pages; the limit is {limits.max_pages} pages")
            for i in range(frames):
                if i:
                    img.seek(i)  # reads the next TIFF directory, not its pixels
                _check_pixels(name, img.size, limits, page=i + 1 if frames > 1 else None)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptDocumentError(
            f"{name} looks like {_LABEL[kind][0]} but its header is damaged ({_short(exc)})"
        ) from exc


def _check_pixels(name: str, size: tuple[int, int], limits: SourceLimits, page: int | None) -> None:
    w, h = size
    if w * h > limits.max_image_pixels:
        where = f" (page {page})" if page else ""
        raise TooLargeError(
            f"{name}{where} is {w:,} x {h:,} pixels ({w * h / 1e6:,.0f} megapixels); the limit "
            f"is {limits.max_image_pixels / 1e6:,.0f} megapixels")


def _check_pages(source: DocumentSource, limits: SourceLimits) -> None:
    name, doc = source.filename, source.document
    if doc.page_count > limits.max_pages:
        raise TooLargeError(
            f"{name} has {doc.page_count:,} pages; the limit is {limits.max_pages:,} pages")
    if doc.page_count == 0:
        raise CorruptDocumentError(f"{name} contains no pages")
    if not _any_page_loads(doc):
        raise CorruptDocumentError(f"{name} is damaged: none of its pages can be read")
    if _was_repaired(doc):
        source.warnings.append(
            "the file was damaged and has been repaired; some content may be missing")
        if source.kind == DocumentKind.PDF and not any(_has_content(p) for p in doc):
            raise CorruptDocumentError(
                f"{name} is damaged: its pages were found but none has any content left")


def _any_page_loads(doc: pymupdf.Document) -> bool:
    for i in range(doc.page_count):
        try:
            page = doc.load_page(i)
            if doc.is_pdf:
                page.get_contents()
            else:
                page.get_pixmap(matrix=pymupdf.Matrix(0.05, 0.05))  # images decode lazily
            return True
        except Exception:  # MuPDF's error classes vary by cause; any of them means unreadable
            continue
    return False


def _was_repaired(doc: pymupdf.Document) -> bool:
    """A rebuilt PDF cross-reference table, or an image that ended early. (MuPDF also logs
    "repaired" for harmless fixes such as a broken outline, so the log alone is not enough.)"""
    log = pymupdf.TOOLS.mupdf_warnings().lower()
    if doc.is_pdf:
        return bool(doc.is_repaired)
    return any(sign in log for sign in ("premature end", "truncated", "corrupt", "damaged"))


def _has_content(page: pymupdf.Page) -> bool:
    try:
        return bool(page.get_text("text").strip() or page.get_images() or page.get_drawings())
    except Exception:  # see _any_page_loads
        return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = [
    "BadInputError", "DocumentKind", "DocumentSource", "SourceLimits", "describe_content",
    "open_document", "open_source", "sniff_kind",
]

"""Sample documents for service-level tests, generated on the fly."""

from __future__ import annotations

import pytest

PARAGRAPHS = [
    "대한민국의 수도는 서울특별시이며, 서울은 한강을 끼고 발달한 도시이다.",
    "2023년 회사의 매출액은 3,450억 원으로 전년 대비 12.5% 증가하였다.",
    "광합성은 식물이 빛 에너지를 이용하여 이산화탄소와 물로 포도당을 만드는 과정이다.",
]


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    from vlm.synth.pdf import text_pdf

    return text_pdf("샘플 문서", PARAGRAPHS).pdf


@pytest.fixture(scope="session")
def sample_png(sample_pdf: bytes) -> bytes:
    import pymupdf

    with pymupdf.open(stream=sample_pdf, filetype="pdf") as doc:
        return doc[0].get_pixmap(dpi=150).tobytes("png")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``; the pixels are never allocated."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def bad_inputs(sample_pdf: bytes, sample_png: bytes) -> dict[str, bytes]:
    """One file per bad-input case, keyed by file name."""
    import io
    import zipfile

    import pymupdf

    with pymupdf.open(stream=sample_pdf, filetype="pdf") as doc:
        encrypted = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escaped.pdf", sample_pdf)
        zf.writestr("inner/ok.pdf", sample_pdf)
    return {
        "empty.pdf": b"",
        "notes.pdf": "이것은 PDF가 아닌 일반 텍스트 파일입니다.\n".encode() * 20,
        "truncated.pdf": sample_pdf[: len(sample_pdf) // 3],
        "garbage.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 40,
        "locked.pdf": encrypted,
        "scan.pdf": sample_png,
        "huge.png": _png_header_only(30_000, 30_000),
        "traversal.zip": buf.getvalue(),
    }


@pytest.fixture(scope="session")
def long_pdf() -> bytes:
    from vlm.synth.pdf import text_pdf

    return text_pdf("긴 문서", [f"{i}번째 문단입니다. " * 60 for i in range(12)]).pdf

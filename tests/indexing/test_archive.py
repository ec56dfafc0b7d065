"""iter_archive: good members come out in memory; each dangerous member fails on its own."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from indexing.archive import ArchiveLimits, iter_archive
from indexing.errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    TooLargeError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)
from vlm.synth import formats
from vlm.synth import pdf as synth

PDF = synth.text_pdf("보고서", ["첫 문단입니다."]).pdf


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], **kw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, **kw) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def members(data: bytes, limits: ArchiveLimits | None = None) -> dict:
    return {m.filename: m for m in iter_archive(data, "upload.zip", limits)}


def test_good_members_come_out_whole_and_junk_is_skipped():
    out = members(make_zip([
        ("docs/a.pdf", PDF), ("docs/", b""), ("__MACOSX/docs/._a.pdf", b"junk"),
        ("docs/.DS_Store", b"junk"), ("Thumbs.db", b"junk"), ("book.epub", formats.epub_bytes("t", ["p"])),
    ]))
    assert set(out) == {"docs/a.pdf", "book.epub"}
    assert out["docs/a.pdf"].ok and out["docs/a.pdf"].data == PDF
    assert out["book.epub"].ok  # an EPUB is a zip but a document, not a nested archive


@pytest.mark.parametrize("name", ["../evil.pdf", "docs/../../evil.pdf", "/etc/evil.pdf", "C:/evil.pdf",
                                  "..\\evil.pdf"])
def test_path_traversal_member_fails_alone(name):
    out = members(make_zip([(name, PDF), ("fine.pdf", PDF)]))
    bad = next(m for n, m in out.items() if n != "fine.pdf")
    assert isinstance(bad.error, UnsafeArchiveError) and bad.data is None
    assert "outside the archive" in str(bad.error)
    assert out["fine.pdf"].ok


def test_symlink_member_fails_alone():
    link = zipfile.ZipInfo("link.pdf")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    out = members(make_zip([(link, b"/etc/passwd"), ("fine.pdf", PDF)]))
    assert isinstance(out["link.pdf"].error, UnsafeArchiveError)
    assert "symbolic link" in str(out["link.pdf"].error)
    assert out["fine.pdf"].ok


def test_encrypted_member_fails_alone():
    data = bytearray(make_zip([("locked.pdf", PDF), ("fine.pdf", PDF)]))
    # zipfile cannot write encrypted members: set the "encrypted" flag bit of the first member
    # in its local header (flags at +6) and its central directory entry (flags at +8).
    data[6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    out = members(bytes(data))
    assert isinstance(out["locked.pdf"].error, EncryptedDocumentError)
    assert out["fine.pdf"].ok


def test_zip_bomb_member_is_refused_by_its_ratio():
    out = members(make_zip([("bomb.pdf", b"\0" * (20 * 2**20)), ("fine.pdf", PDF)]))
    assert isinstance(out["bomb.pdf"].error, UnsafeArchiveError)
    assert "zip bomb" in str(out["bomb.pdf"].error)
    assert out["fine.pdf"].ok


def test_oversize_member_and_total_limit():
    data = make_zip([("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)])
    one = members(data, ArchiveLimits(max_member_bytes=len(PDF) - 1))
    assert all(isinstance(m.error, TooLargeError) for m in one.values())
    total = members(data, ArchiveLimits(max_total_bytes=2 * len(PDF)))
    assert [m.ok for m in total.values()] == [True, True, False]
    assert "add up to more than" in str(total["c.pdf"].error)


def test_member_count_limit():
    out = members(make_zip([(f"{i}.pdf", PDF) for i in range(4)]), ArchiveLimits(max_members=3))
    assert [m.ok for m in out.values()] == [True, True, True, False]


def test_nested_archive_is_unsupported_with_a_reason():
    inner = make_zip([("x.pdf", PDF)])
    out = members(make_zip([("inner.zip", inner), ("disguised.pdf", inner)]))
    for name in ("inner.zip", "disguised.pdf"):
        assert isinstance(out[name].error, UnsupportedFormatError)
        assert "nested archives are not expanded" in str(out[name].error)


def test_korean_name_stored_in_cp949_is_decoded():
    """Windows zip tools store Korean names in CP949 without the UTF-8 flag."""
    placeholder, korean = "abcdef.pdf", "보고서.pdf".encode("cp949")
    assert len(korean) == len(placeholder)
    data = make_zip([(placeholder, PDF)]).replace(placeholder.encode(), korean)
    assert list(members(data)) == ["보고서.pdf"]


def test_unreadable_archive_raises_for_the_whole_upload():
    with pytest.raises(CorruptDocumentError, match="not a readable ZIP"):
        list(iter_archive(b"PK\x03\x04 truncated", "broken.zip"))


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    list(iter_archive(make_zip([("../escape.pdf", PDF), ("a/b.pdf", PDF)]), "u.zip"))
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "escape.pdf").exists()

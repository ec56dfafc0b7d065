"""Expand a zip archive into memory, one member at a time, refusing the dangerous ones.

Members are only ever read into bytes; nothing is written to disk, so a member's name is
just a label. A member that is unsafe (path traversal, absolute path, drive letter, symlink),
encrypted, too large, suspiciously compressed (a zip bomb) or itself an archive fails on its
own with a readable reason; the other members go on. Folders and operating-system litter
(``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``) are skipped silently.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from indexing.errors import (
    BadInputError,
    CorruptDocumentError,
    EncryptedDocumentError,
    TooLargeError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)
from indexing.sources import DocumentKind, sniff_kind

_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", ".localized"})
_DRIVE = re.compile(r"^[A-Za-z]:")
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNIX = 3  # ZipInfo.create_system of archives made on Unix-like systems


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_member_bytes: int = 512 * 2**20  # uncompressed size of one member
    max_total_bytes: int = 2 * 2**30  # uncompressed size of all members together
    max_ratio: float = 200.0  # uncompressed / compressed, for members over ratio_floor_bytes
    ratio_floor_bytes: int = 2**20  # small members may compress as well as they like


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """One member: its name inside the archive and either its bytes or why it was refused."""

    filename: str
    data: bytes | None = None
    error: BadInputError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def iter_archive(data: bytes, name: str, limits: ArchiveLimits | None = None) -> Iterator[ArchiveMember]:
    """Yield the archive's file members in order. Raises only if the archive itself is unreadable."""
    limits = limits or ArchiveLimits()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CorruptDocumentError(f"{name} is not a readable ZIP archive ({exc})") from exc
    with zf:
        total = 0
        count = 0
        for info in zf.infolist():
            member_name = _member_name(info)
            if info.is_dir() or _is_junk(member_name):
                continue
            count += 1
            error = _refusal(info, member_name, count, total, limits)
            if error is None:
                total += info.file_size
                yield _read(zf, info, member_name)
            else:
                yield ArchiveMember(member_name, error=error)


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, fixing Korean names that Windows tools store in CP949 unflagged."""
    raw = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        try:  # zipfile decoded the bytes as CP437; undo that and try the Korean code page
            raw = raw.encode("cp437").decode("cp949")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return raw.replace("\\", "/")


def _is_junk(name: str) -> bool:
    parts = [p for p in name.split("/") if p]
    if not parts:
        return True
    base = parts[-1]
    return parts[0] == "__MACOSX" or base.lower() in _JUNK_NAMES or base.startswith("._")


def _refusal(info: zipfile.ZipInfo, name: str, count: int, total: int,
             limits: ArchiveLimits) -> BadInputError | None:
    """Why this member must not be read, or None. Checks come from the central directory only."""
    if count > limits.max_members:
        return TooLargeError(f"{name}: the archive has more than {limits.max_members:,} files")
    if _escapes(name):
        return UnsafeArchiveError(f"{name}: the path points outside the archive; refused")
    if _is_symlink(info):
        return UnsafeArchiveError(f"{name}: the member is a symbolic link; refused")
    if info.flag_bits & _ENCRYPTED_FLAG:
        return EncryptedDocumentError(
            f"{name}: the member is password-protected; zip it again without a password")
    if info.file_size > limits.max_member_bytes:
        return TooLargeError(f"{name} is {info.file_size / 2**20:,.1f} MB uncompressed; the limit "
                             f"is {limits.max_member_bytes / 2**20:,.0f} MB")
    if info.file_size > limits.ratio_floor_bytes and (
            info.file_size > limits.max_ratio * max(info.compress_size, 1)):
        ratio = info.file_size / max(info.compress_size, 1)
        return UnsafeArchiveError(
            f"{name} expands {ratio:,.0f}-fold ({info.compress_size:,} to {info.file_size:,} bytes), "
            "which is how zip bombs look; refused")
    if total + info.file_size > limits.max_total_bytes:
        return TooLargeError(f"{name}: the archive's files add up to more than "
                             f"{limits.max_total_bytes / 2**30:,.1f} GB uncompressed")
    if PurePosixPath(name).suffix.lower() in (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz"):
        return _nested(name)
    return None


def _escapes(name: str) -> bool:
    if name.startswith("/") or _DRIVE.match(name):
        return True
    return any(part == ".." for part in name.split("/"))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == _UNIX and stat.S_ISLNK(mode)


def _nested(name: str) -> UnsupportedFormatError:
    return UnsupportedFormatError(
        f"{name} is an archive inside the archive; nested archives are not expanded, "
        "upload it on its own")


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> ArchiveMember:
    """Read at most the declared size (zipfile stops there), so a lying header cannot bomb us."""
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError) as exc:
        return ArchiveMember(name, error=CorruptDocumentError(
            f"{name}: the member is damaged and cannot be extracted ({exc})"))
    if len(data) > info.file_size:
        return ArchiveMember(name, error=UnsafeArchiveError(
            f"{name}: the member is larger than its header says; refused"))
    if data.startswith(b"PK\x03\x04") and not _is_zip_document(data):
        return ArchiveMember(name, error=_nested(name))
    return ArchiveMember(name, data=data)


def _is_zip_document(data: bytes) -> bool:
    """EPUB and XPS are zip containers too, and are documents, not nested archives."""
    try:
        return sniff_kind(data) in (DocumentKind.EPUB, DocumentKind.XPS)
    except BadInputError:
        return False

"""Turn what a user hands over (files, folders, zip archives, uploaded bytes) into uploads.

Each ``Upload`` is one would-be document: its bytes, or the reason it cannot be read. A bad
item never stops the others. Archive members are read into memory through
``indexing.archive`` (path-traversal, symlink and bomb members fail on their own), so no file
is ever written from a name inside an archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexing.archive import ArchiveLimits, iter_archive
from indexing.errors import BadInputError, TooLargeError


@dataclass(slots=True)
class Upload:
    filename: str
    data: bytes | None = None
    error: str | None = None
    error_code: str | None = None
    meta: dict | None = None  # key/value metadata set at upload (search filters)
    external_id: str | None = None  # the caller's own id, for joining with an outside index

    @classmethod
    def failed(cls, filename: str, exc: BadInputError) -> Upload:
        return cls(filename, None, str(exc), exc.code)


def is_archive(filename: str) -> bool:
    return filename.lower().endswith(".zip")


def uploads_from_bytes(filename: str, data: bytes, max_bytes: int, limits: ArchiveLimits) -> Iterator[Upload]:
    """One upload per document in ``data``: the file itself, or each member of a zip."""
    if len(data) > max_bytes:
        yield Upload.failed(filename, _too_large(filename, len(data), max_bytes))
        return
    if not is_archive(filename):
        yield Upload(filename, data)
        return
    try:
        for member in iter_archive(data, filename, limits):
            name = f"{filename}/{member.filename}"
            if member.error is not None:
                yield Upload.failed(name, member.error)
            else:
                yield Upload(name, member.data)
    except BadInputError as exc:  # the archive as a whole is unreadable
        yield Upload.failed(filename, exc)


def uploads_from_paths(paths: list[Path], max_bytes: int, limits: ArchiveLimits) -> Iterator[Upload]:
    """Expand files, folders (recursively, hidden entries skipped) and zips into uploads."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path)):
                yield from _from_file(child, max_bytes, limits, label=str(child.relative_to(path.parent)))
        else:
            yield from _from_file(path, max_bytes, limits, label=path.name)


def _from_file(path: Path, max_bytes: int, limits: ArchiveLimits, label: str) -> Iterator[Upload]:
    if not path.exists():
        yield Upload(label, None, f"no such file: {path}", "not_found")
        return
    if not path.is_file():
        yield Upload(label, None, f"not a regular file: {path}", "unsupported_format")
        return
    size = path.stat().st_size
    if size > max_bytes:  # refuse before reading it into memory
        yield Upload.failed(label, _too_large(label, size, max_bytes))
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Upload(label, None, f"cannot read {path}: {exc.strerror or exc}", "unreadable")
        return
    yield from uploads_from_bytes(label, data, max_bytes, limits)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _too_large(name: str, size: int, max_bytes: int) -> TooLargeError:
    return TooLargeError(
        f"{name} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB "
        "(DOCAGENT_MAX_UPLOAD_MB)"
    )

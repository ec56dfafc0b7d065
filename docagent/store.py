"""Local file store under ``DOCAGENT_HOME/files``, keyed by the SHA-256 of the content.

Writes are atomic (temp file + rename), so a crash never leaves a half-written blob under its
final name, and writing the same bytes twice is a no-op. Paths are derived only from hashes,
never from user-supplied names, so nothing can be written outside the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if not _HEX64.match(digest):
            raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

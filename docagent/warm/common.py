"""What the warm client and server share: the key that names a server, its files, the framing.

A server answers only clients that computed the same key: a hash of the effective settings
(which include ``HOME`` and the database URL) and of the installed code. Its socket, lock and
log live under ``$DOCAGENT_HOME/run/`` (mode 0700), named by that key.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from docagent.settings import Settings

PROTOCOL = 1
# Error codes after which a client does the work itself instead of reporting them.
INTERNAL = "internal"
WRONG_SERVER = "wrong_server"
FALLBACK_CODES = frozenset({INTERNAL, WRONG_SERVER})
MAX_REQUEST = 1 << 20
MAX_REPLY = 256 << 20
_PACKAGES = ("docagent", "indexing", "vlm")
_ROOT = Path(__file__).resolve().parents[2]
_MAX_SOCKET_PATH = 107  # Linux's sun_path holds 108 bytes with the terminating NUL


def code_stamp() -> str:
    """Changes whenever code the server runs may have: sizes and mtimes of our packages' .py
    files, the environment and Python version (not the executable's name: ``python`` and
    ``python3`` are one interpreter), and the mtime of site-packages (installing, upgrading
    or removing a distribution adds or removes its dist-info directory there)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{sys.prefix}\0{sys.version}\0".encode())
    for package in _PACKAGES:
        _stamp_tree(str(_ROOT / package), h)
    h.update(str(os.stat(sysconfig.get_path("purelib")).st_mtime_ns).encode())
    return h.hexdigest()


def _stamp_tree(directory: str, h: hashlib.blake2b) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                _stamp_tree(entry.path, h)
        elif entry.name.endswith(".py"):
            st = entry.stat()
            h.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def server_key(settings: Settings) -> str:
    h = hashlib.blake2b(digest_size=10)
    h.update(settings.model_dump_json().encode())
    h.update(code_stamp().encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class WarmPaths:
    key: str
    run_dir: Path

    @classmethod
    def of(cls, settings: Settings) -> WarmPaths:
        return cls(server_key(settings), settings.home / "run")

    @property
    def sock(self) -> Path:
        return self.run_dir / f"warm-{self.key}.sock"

    @property
    def lock(self) -> Path:
        return self.run_dir / f"warm-{self.key}.lock"

    @property
    def log(self) -> Path:
        return self.run_dir / f"warm-{self.key}.log"

    def usable(self) -> bool:
        """False when the socket path is too long for AF_UNIX (then there is no warm process)."""
        return len(os.fsencode(self.sock)) <= _MAX_SOCKET_PATH


def ensure_run_dir(run_dir: Path) -> None:
    """Create the run directory (0700) inside an existing home; refuse one that is not ours."""
    run_dir.mkdir(mode=0o700, exist_ok=True)
    st = os.lstat(run_dir)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise PermissionError(f"{run_dir} is not a directory owned by this user")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(run_dir, 0o700)


def run_dir_is_private(run_dir: Path) -> bool:
    try:
        st = os.lstat(run_dir)
    except FileNotFoundError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and stat.S_IMODE(st.st_mode) == 0o700)


def encode(message: dict) -> bytes:
    # ASCII JSON: lone surrogates in document text survive the trip as escapes
    return json.dumps(message).encode("ascii") + b"\n"


def send(sock: socket.socket, message: dict) -> None:
    sock.sendall(encode(message))


def receive(sock: socket.socket, limit: int, deadline: float) -> dict:
    """One newline-terminated JSON object, read before ``deadline`` (``time.monotonic``)."""
    buf = bytearray()
    while not buf.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no complete message in time")
        sock.settimeout(remaining)
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed before a complete message")
        buf += chunk
        if len(buf) > limit:
            raise ValueError(f"message longer than {limit} bytes")
    message = json.loads(buf)
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message

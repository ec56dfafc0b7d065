"""The warm server: ``python -P -m docagent.warm.server KEY``, started detached by the client.

It runs only if the settings and code it sees give KEY, holds ``warm-KEY.lock`` for its
lifetime (one server per key: a second one exits at once), binds its socket, loads Kiwi and
the embedder and runs the request that started it (read from stdin) so that the caches that
request needs are warm, then answers one request per connection, each in its own thread. It
exits after ``WARM_IDLE_S`` seconds without a request, or when its socket file is removed or
replaced (its home was deleted, or another server took over).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docagent.errors import BadRequestError, DocagentError
from docagent.settings import Settings
from docagent.warm.common import (
    INTERNAL,
    MAX_REQUEST,
    PROTOCOL,
    WRONG_SERVER,
    WarmPaths,
    encode,
    ensure_run_dir,
    receive,
)

log = logging.getLogger("docagent.warm")
REQUEST_TIMEOUT_S = 10.0  # a client that connects and sends nothing holds a thread no longer
SEARCH_MODES = ("hybrid", "sparse", "dense")


@dataclass(frozen=True, slots=True)
class Op:
    run: Callable[[Settings, dict], Any]
    lock: threading.Lock | None = None  # set: calls of this operation run one at a time


def _text(args: dict, name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str):
        raise BadRequestError(f"{name} must be a string")
    return value


def _search(settings: Settings, args: dict) -> list[dict]:
    """The service's own search; results as ``SearchResult.to_json()`` dicts."""
    from docagent.search import search

    k, mode = args.get("k", 5), args.get("mode", "hybrid")
    if type(k) is not int:
        raise BadRequestError("k must be an integer")
    if mode not in SEARCH_MODES:
        raise BadRequestError(f"mode must be one of {', '.join(SEARCH_MODES)}")
    results = search(settings, _text(args, "tenant"), _text(args, "collection"),
                     _text(args, "query"), k=k, mode=mode)
    return [r.to_json() for r in results]


def _ask(settings: Settings, args: dict) -> dict:
    """The agent's answer and its steps, as JSON (the extractive backend only: see the CLI)."""
    from docagent.ask import ask

    k = args.get("k", 5)
    if type(k) is not int:
        raise BadRequestError("k must be an integer")
    if settings.vlm_backend != "extractive":
        raise BadRequestError("the warm process answers with the extractive backend only")
    answer, steps = ask(settings, _text(args, "tenant"), _text(args, "collection"),
                        _text(args, "question"), k=k)
    return {"answer": answer.to_json(), "steps": [s.to_json() for s in steps]}


def _ping(settings: Settings, _args: dict) -> dict:
    return {"pid": os.getpid(), "home": str(settings.home)}


# Kiwi and the cached indexes are not documented as safe to share between threads, and a
# search takes milliseconds: searches run one at a time while connections stay concurrent.
_ONE_AT_A_TIME = threading.Lock()
OPS: dict[str, Op] = {"ping": Op(_ping), "search": Op(_search, _ONE_AT_A_TIME),
                      "ask": Op(_ask, _ONE_AT_A_TIME)}


class WarmServer:
    def __init__(self, settings: Settings, paths: WarmPaths, listener: socket.socket) -> None:
        self.settings, self.paths, self.listener = settings, paths, listener
        self._inode = os.stat(paths.sock).st_ino
        self._state = threading.Lock()
        self._busy = 0
        self._last = time.monotonic()

    def answer(self, request: dict) -> dict:
        try:
            return {"ok": True, "result": self._dispatch(request)}
        except DocagentError as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        except Exception as exc:  # a defect: logged here, and the client does the work itself
            log.exception("operation %r failed", request.get("op"))
            message = f"{type(exc).__name__}: {exc}"
            return {"ok": False, "error": {"code": INTERNAL, "message": message}}

    def _dispatch(self, request: dict) -> Any:
        if request.get("v") != PROTOCOL or request.get("key") != self.paths.key:
            raise _WrongServer("this warm process serves other settings or code")
        op = OPS.get(request.get("op"))  # type: ignore[arg-type]
        args = request.get("args", {})
        if op is None or not isinstance(args, dict):
            raise BadRequestError(f"unknown operation {request.get('op')!r} or arguments not an object")
        if op.lock is None:
            return op.run(self.settings, args)
        with op.lock:
            return op.run(self.settings, args)

    def serve(self) -> None:
        self._last = time.monotonic()  # idle from now: start-up is not idleness
        self.listener.settimeout(min(0.5, self.settings.warm_idle_s))
        while not self._should_stop():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with self._state:
                self._busy += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                request = receive(conn, MAX_REQUEST, time.monotonic() + REQUEST_TIMEOUT_S)
                data = self._encode(self.answer(request))
                conn.settimeout(REQUEST_TIMEOUT_S)
                conn.sendall(data)
        except (OSError, ValueError) as exc:  # the client went away or sent garbage
            log.warning("connection dropped: %s", exc)
        finally:
            with self._state:
                self._busy -= 1
                self._last = time.monotonic()

    @staticmethod
    def _encode(reply: dict) -> bytes:
        try:
            return encode(reply)
        except (TypeError, ValueError) as exc:  # a result that is not JSON: a defect
            log.exception("reply cannot be encoded")
            return encode({"ok": False, "error": {"code": INTERNAL, "message": str(exc)}})

    def _should_stop(self) -> bool:
        if not self.socket_is_ours():
            log.info("socket %s was removed or replaced; exiting", self.paths.sock)
            return True
        with self._state:
            idle = self._busy == 0 and time.monotonic() - self._last > self.settings.warm_idle_s
        if idle:
            log.info("idle for %g s; exiting", self.settings.warm_idle_s)
        return idle

    def socket_is_ours(self) -> bool:
        try:
            return os.stat(self.paths.sock).st_ino == self._inode
        except FileNotFoundError:
            return False


class _WrongServer(DocagentError):
    code = WRONG_SERVER


def _take_lock(path: os.PathLike) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for people and tests
    return fd


def _prune(paths: WarmPaths, older_than_s: float = 86400.0) -> None:
    """Remove the lock and log files that servers of other keys (other settings or code) left
    more than a day ago. Should one start at this moment, its socket check sorts it out."""
    cutoff = time.time() - older_than_s
    for lock in paths.run_dir.glob("warm-*.lock"):
        log_file = lock.with_suffix(".log")
        if lock == paths.lock or _mtime(log_file, lock) > cutoff:
            continue
        fd = _take_lock(lock)
        if fd is not None:  # nobody holds it: that server is gone
            for f in (log_file, lock.with_suffix(".sock"), lock):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()
            os.close(fd)


def _mtime(*paths: os.PathLike) -> float:
    times = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            times.append(os.stat(p).st_mtime)
    return max(times, default=0.0)


def _listen(paths: WarmPaths) -> socket.socket:
    # We hold the lock, so a socket file already there is a dead server's: replace it.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(paths.sock)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(paths.sock))
    listener.listen(64)
    return listener


def warm_up(settings: Settings) -> None:
    """Load what every search needs; the first Kiwi analysis costs as much as building Kiwi."""
    from docagent.indexes import embedder_for
    from docagent.passages import analyzer  # not via pagewriter: that imports PyMuPDF (0.45 s)
    from docagent.search import search  # noqa: F401  (its imports are a second of the cost)

    analyzer().index_terms("2023년 회사의 매출액은 얼마인가")
    embedder_for(settings.embedder).encode_query("매출액")


def _prime(server: WarmServer, raw: bytes) -> None:
    """Run the request that started the server, so that its collection's index is loaded."""
    try:
        request = json.loads(raw) if raw.strip() else None
    except ValueError:
        return
    if isinstance(request, dict):
        request.update(v=PROTOCOL, key=server.paths.key)
        server.answer(request)


def _process_start() -> float:
    """When this process started (Linux /proc; now elsewhere), to log the start-up cost."""
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
    except (OSError, ValueError, IndexError):
        return time.time()
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)  # through the finally blocks, which remove the socket


def run(key: str, prime: bytes = b"") -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    settings = Settings()
    paths = WarmPaths.of(settings)
    if paths.key != key or settings.warm_idle_s <= 0 or not paths.usable():
        log.error("settings or code differ from the client's, or warm is off; exiting")
        return 2
    ensure_run_dir(paths.run_dir)
    lock = _take_lock(paths.lock)
    if lock is None:
        log.info("another warm process holds %s; exiting", paths.lock)
        return 0
    _prune(paths)
    listener = _listen(paths)
    server = WarmServer(settings, paths, listener)
    try:
        log.info("pid %d serving %s for %s", os.getpid(), paths.sock, settings.home)
        warm_up(settings)
        if WarmPaths.of(settings).key != key:  # code changed while it loaded: serve nothing
            log.info("code changed during start-up; exiting")
            return 0
        _prime(server, prime)
        log.info("ready %.2f s after the interpreter started", time.time() - _process_start())
        server.serve()
    finally:
        listener.close()
        if server.socket_is_ours():
            os.unlink(paths.sock)
        os.close(lock)
    return 0


def _log_filter(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.name == log.name


def main() -> int:
    # stderr is the log file under run/: warnings, ours and libraries', and our start and
    # stop lines. A handler filter, because bm25s sets its own logger to DEBUG at import.
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_log_filter)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    log.setLevel(logging.INFO)
    prime = sys.stdin.buffer.read(MAX_REQUEST) if not sys.stdin.isatty() else b""
    return run(sys.argv[1] if len(sys.argv) > 1 else "", prime)


if __name__ == "__main__":
    sys.exit(main())

"""The client side of the warm process: what a CLI command calls before doing the work itself.

Imports the standard library, the settings class and the error types only, so that a command
the warm process answers starts in a fraction of a second. With no server for this key, the
first call starts one and waits for its answer; a server that does not answer in time, or
fails with a defect, leaves the work to the caller.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from typing import Any

from docagent.errors import DocagentError
from docagent.settings import Settings
from docagent.warm.common import (
    FALLBACK_CODES,
    MAX_REPLY,
    PROTOCOL,
    WarmPaths,
    ensure_run_dir,
    receive,
    run_dir_is_private,
    send,
)

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 2.0
REPLY_TIMEOUT_S = 60.0
# A new server imports, loads Kiwi and the embedder, and then the request's index.
START_TIMEOUT_S = 90.0
_POLL_S = 0.02


class ServedError(DocagentError):
    """An error the operation reported in the warm process: the message the command gives."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NoServer(Exception):
    """Nothing listens on the socket (never started, exited, or died and left its file)."""


def call(settings: Settings, op: str, args: dict[str, Any]) -> Any | None:
    """The warm process's result of ``op``, or None: then the caller does the work.

    Raises ``ServedError`` for the errors the operation itself reports (unknown collection,
    bad query), so they read exactly as when the caller runs it.
    """
    paths = _paths(settings)
    if paths is None:
        return None
    try:
        return request(paths, op, args)
    except NoServer:
        return _start_and_call(paths, op, args)
    except (OSError, ValueError) as exc:  # TimeoutError is an OSError
        log.warning("the warm process did not answer (%s); working in this process", exc)
        return None


def _paths(settings: Settings) -> WarmPaths | None:
    if settings.warm_idle_s <= 0 or _nothing_to_serve(settings):
        return None
    paths = WarmPaths.of(settings)
    return paths if paths.usable() else None


def _nothing_to_serve(settings: Settings) -> bool:
    """No home, or no SQLite file in it yet: the caller's own error says so, and no server
    (nor a run directory) is created for it."""
    if not settings.home.is_dir():
        return True
    url = settings.database_url
    return url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///").split("?")[0])


def request(paths: WarmPaths, op: str, args: dict[str, Any],
            timeout_s: float | None = None) -> Any:
    """Send one request and return its result; ``NoServer`` when nobody listens. The reply
    timeout defaults to ``REPLY_TIMEOUT_S`` as it is when called."""
    if not run_dir_is_private(paths.run_dir):
        raise NoServer(f"{paths.run_dir} is missing or not private")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONNECT_TIMEOUT_S)
        try:
            sock.connect(str(paths.sock))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise NoServer(str(exc)) from exc
        send(sock, {"v": PROTOCOL, "key": paths.key, "op": op, "args": args})
        wait = REPLY_TIMEOUT_S if timeout_s is None else timeout_s
        reply = receive(sock, MAX_REPLY, time.monotonic() + wait)
    if reply.get("ok") is True:
        return reply.get("result")
    error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
    code, message = str(error.get("code", "")), str(error.get("message", ""))
    if code in FALLBACK_CODES or not message:
        raise ValueError(f"the warm process failed: {message or reply!r}")
    raise ServedError(code, message)


def _start_and_call(paths: WarmPaths, op: str, args: dict[str, Any]) -> Any | None:
    """Start a server and wait for its answer; None if it does not come up."""
    server = start(paths, {"op": op, "args": args})
    if server is None:
        return None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            return request(paths, op, args, timeout_s=max(deadline - time.monotonic(), 0.1))
        except NoServer:
            if server.poll() is not None:  # it exited: another server won, or it failed
                return _answer_of_winner(paths, op, args)
            time.sleep(_POLL_S)
        except (OSError, ValueError) as exc:
            log.warning("the new warm process did not answer (%s); see %s", exc, paths.log)
            return None
    log.warning("the warm process did not start in %.0f s; see %s", START_TIMEOUT_S, paths.log)
    return None


def _answer_of_winner(paths: WarmPaths, op: str, args: dict[str, Any]) -> Any | None:
    try:
        return request(paths, op, args)
    except (NoServer, OSError, ValueError):
        return None


def start(paths: WarmPaths, prime: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """Start a detached server for ``paths`` (``subprocess.Popen``), or None if it cannot be.

    ``prime``, the request that caused the start, is handed over on stdin rather than argv,
    which other users can read; the server runs it before it answers anyone.
    """
    import json
    import subprocess

    try:
        ensure_run_dir(paths.run_dir)
        fd = os.open(paths.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            # -P: never import our packages from the caller's working directory
            proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "docagent.warm.server", paths.key],
                stdin=subprocess.PIPE, stdout=fd, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True)
        finally:
            os.close(fd)
        with proc.stdin:  # type: ignore[union-attr]
            proc.stdin.write(json.dumps(prime or {}).encode())  # type: ignore[union-attr]
    except OSError as exc:
        log.warning("cannot start the warm process: %s", exc)
        return None
    return proc

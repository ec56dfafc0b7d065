"""The service as child processes on loopback: ``docagent serve`` and ``docagent worker`` in
their own process groups, a free port, readiness over HTTP, API keys from the CLI. Used by
``make demo`` (``docagent.demo_http``), the end-to-end tests and the service benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

DOCAGENT = [sys.executable, "-m", "docagent.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A ``docagent`` command in its own process group (so a kill takes its children too),
    logging to ``log``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([*DOCAGENT, *args], env=env, stdout=open(log, "ab"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            os.killpg(self.proc.pid, sig)
            self.proc.wait(30)

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after 30 s."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


def wait_ready(base: str, proc: Proc, timeout: float = 120) -> None:
    """Until ``GET /readyz`` answers 200; RuntimeError with the log's tail if the process exits
    or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"the service exited:\n{proc.tail()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service did not get ready:\n{proc.tail()}")


def create_key(env: dict[str, str], tenant: str) -> str:
    """A new API key for ``tenant``, through ``docagent keys create``."""
    out = subprocess.run([*DOCAGENT, "keys", "create", "--tenant", tenant], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip().splitlines()[-1]

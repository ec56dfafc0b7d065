"""The service as real processes for end-to-end tests: ``docagent serve`` (and workers) as
subprocesses on a free loopback port, talked to over HTTP."""

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


def service_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCAGENT_")}
    env.update({"DOCAGENT_HOME": str(home), "DOCAGENT_INGEST_WORKERS": "1", "DOCAGENT_JOB_LEASE_S": "3",
                "DOCAGENT_RATE_LIMIT_PER_MINUTE": "0", "DOCAGENT_WARM_IDLE_S": "0", **extra})
    return env


class Proc:
    """A child process in its own process group (so a kill takes its children too)."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(argv, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
                                     start_new_session=True, cwd=Path(__file__).parents[3])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


class Api:
    def __init__(self, env: dict[str, str], home: Path, *, worker: bool) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        flag = "--worker" if worker else "--no-worker"
        self.proc = Proc([*DOCAGENT, "serve", "--port", str(self.port), flag], env, home / "api.log")
        self.http = httpx.Client(base_url=self.base, timeout=60)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.proc.poll() is not None:
                raise AssertionError(f"the API exited:\n{self.proc.tail()}")
            try:
                if self.http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the API never got ready:\n{self.proc.tail()}")

    def wait_job(self, job_id: str, headers: dict, timeout: float = 240, until=None) -> dict:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        view: dict = {}
        while time.monotonic() < deadline:
            view = self.http.get(f"/v1/jobs/{job_id}", headers=headers).json()
            if (until or (lambda v: v["status"] in ("succeeded", "failed", "cancelled")))(view):
                return view
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} stuck: {view}\n{self.proc.tail()}")

    def close(self) -> None:
        self.http.close()
        self.proc.stop()


def create_key(env: dict[str, str], tenant: str) -> str:
    out = subprocess.run([*DOCAGENT, "keys", "create", "--tenant", tenant], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip().splitlines()[-1]


def worker_pids(parent_pid: int) -> list[int]:
    """Process ids of the Celery workers a ``serve`` process started (its direct children)."""
    out = subprocess.run(["pgrep", "-P", str(parent_pid)], capture_output=True, text=True)
    pids = [int(p) for p in out.stdout.split()]
    return [p for p in pids if "celery" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]


def ingest_worker_pid(parent_pid: int) -> int:
    for pid in worker_pids(parent_pid):
        if b"ingest@" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise AssertionError("no ingest worker is running")

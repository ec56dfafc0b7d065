"""The service as real processes for end-to-end tests: ``docagent serve`` (and workers) as
subprocesses on a free loopback port, talked to over HTTP."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from docagent.processes import Proc, create_key, free_port, wait_ready

__all__ = ["Api", "Proc", "create_key", "service_env"]


def service_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCAGENT_")}
    env.update({"DOCAGENT_HOME": str(home), "DOCAGENT_INGEST_WORKERS": "1", "DOCAGENT_JOB_LEASE_S": "3",
                "DOCAGENT_RATE_LIMIT_PER_MINUTE": "0", "DOCAGENT_WARM_IDLE_S": "0", **extra})
    return env


class Api:
    def __init__(self, env: dict[str, str], home: Path, *, worker: bool) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        flag = "--worker" if worker else "--no-worker"
        self.proc = Proc(["serve", "--port", str(self.port), flag], env, home / "api.log")
        self.http = httpx.Client(base_url=self.base, timeout=60)

    def wait_ready(self, timeout: float = 90) -> None:
        wait_ready(self.base, self.proc, timeout)

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

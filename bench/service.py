"""The service as processes for benchmarks: embedded (``docagent serve`` with its workers) or
deployed (Redis broker, PostgreSQL, ``docagent worker`` processes, ``docagent serve
--no-worker``), an API key, uploads over HTTP, and the CPU seconds of the whole process tree."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import httpx

from bench.cpu import _live_child_seconds
from docagent.processes import Proc, create_key, free_port, wait_ready

PG_ADMIN = os.environ.get("DOCAGENT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("DOCAGENT_TEST_REDIS", "redis://127.0.0.1:6379/13")


def tree_seconds(pid: int) -> float:
    """CPU seconds of a live process and all its live descendants (reaped ones included in
    their parents' figures)."""
    total = _live_child_seconds(pid)
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(tree_seconds(int(k)) for k in kids)


class Service:
    def __init__(self, home: Path, mode: str) -> None:
        self.home, self.mode = home, mode
        home.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DOCAGENT_")}
        self.env.update({"DOCAGENT_HOME": str(home), "DOCAGENT_RATE_LIMIT_PER_MINUTE": "0",
                         "DOCAGENT_WARM_IDLE_S": "0"})
        self.pg_db: str | None = None
        if mode == "deployment":
            self._deployment_env()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: list[Proc] = []

    def _deployment_env(self) -> None:
        import redis
        from sqlalchemy import create_engine

        self.pg_db = f"docagent_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.pg_db}"')
        redis.Redis.from_url(REDIS).flushdb()
        self.env["DOCAGENT_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.pg_db}"
        self.env["DOCAGENT_BROKER_URL"] = REDIS

    @property
    def database_url(self) -> str:
        return self.env.get("DOCAGENT_DATABASE_URL") or f"sqlite:///{self.home / 'docagent.db'}"

    def _spawn(self, args: list[str], log: str) -> None:
        self.procs.append(Proc(args, self.env, self.home / log))

    def start(self) -> str:
        """Start the processes, wait until ready; returns an API key."""
        key = create_key(self.env, "bench")
        if self.mode == "deployment":
            self._spawn(["worker", "--queues", "ingest"], "worker-ingest.log")
            self._spawn(["worker", "--queues", "vlm", "--concurrency", "4"], "worker-vlm.log")
            self._spawn(["serve", "--port", str(self.port), "--no-worker"], "api.log")
        else:
            self._spawn(["serve", "--port", str(self.port)], "api.log")
        wait_ready(self.base, self.procs[-1])
        return key

    def cpu_seconds(self) -> float:
        return sum(tree_seconds(p.pid) for p in self.procs if p.alive())

    def stop(self) -> None:
        for p in self.procs:
            p.stop()
        if self.pg_db:
            from sqlalchemy import create_engine

            from docagent.db.session import get_engine

            get_engine(self.database_url).dispose()
            with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')


def upload_and_wait(http: httpx.Client, coll: str, docs: list[tuple[str, bytes]], per_request: int = 25,
                    timeout: float = 3600) -> float:
    """Upload in requests of ``per_request`` files, wait for every job; seconds taken."""
    t0 = time.perf_counter()
    jobs = []
    for i in range(0, len(docs), per_request):
        part = docs[i:i + per_request]
        res = http.post(f"/v1/collections/{coll}/documents",
                        files=[("files", (n, d, "application/pdf")) for n, d in part])
        res.raise_for_status()
        jobs.append(res.json()["job_id"])
    deadline = time.monotonic() + timeout
    for job in jobs:
        while time.monotonic() < deadline:
            view = http.get(f"/v1/jobs/{job}").json()
            if view["status"] in ("succeeded", "failed", "cancelled"):
                if view["status"] != "succeeded":
                    raise RuntimeError(f"job {job} {view['status']}: {view['error']}")
                break
            time.sleep(0.5)
    return time.perf_counter() - t0

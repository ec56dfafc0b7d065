"""``docagent serve``, ``docagent worker`` and ``docagent keys``.

Workers are started as ``celery -A workers.app worker`` processes, never imported: ``docagent``
sends tasks by name. ``serve`` in the embedded default (a server-less broker) also starts and
supervises the workers, so one command runs the whole service on one machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Annotated

import typer

from docagent.cli.common import fail, load_settings

QUEUES = ("ingest", "vlm")
# the page pool parallelises one job's pages over the cores: an ingest worker runs one job
# at a time in its own process; the GPU worker runs concurrent queries as threads that share
# the one loaded model (their reads are batched)
DEFAULT_POOL = {"ingest": "solo", "vlm": "threads"}

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(tenant: Annotated[str, typer.Option(help="The tenant the key belongs to.")]) -> None:
    """Print a new API key for TENANT (stored hashed; shown only now)."""
    from docagent.errors import DocagentError
    from docagent.keys import create_key

    try:
        typer.echo(create_key(load_settings(), tenant))
    except DocagentError as exc:
        fail(exc.message)


def worker_argv(queues: list[str], pool: str | None, concurrency: int | None, name: str | None) -> list[str]:
    unknown = [q for q in queues if q not in QUEUES]
    if unknown or not queues:
        fail(f"--queues takes {', '.join(QUEUES)}, not {','.join(unknown) or 'nothing'}")
    pool = pool or DEFAULT_POOL[queues[0]] if len(queues) == 1 else (pool or "threads")
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "-Q", ",".join(queues),
            "--pool", pool, "--loglevel", "INFO", "-E"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if name:
        argv += ["-n", name]
    return argv


def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated: ingest, vlm.")] = "ingest,vlm",
    pool: Annotated[str | None, typer.Option(help="Celery pool (solo, threads, prefork).")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Tasks at once (threads, prefork).")] = None,
    name: Annotated[str | None, typer.Option(help="Node name, e.g. ingest@%h.")] = None,
) -> None:
    """Run a worker for the given queues (the process becomes the Celery worker)."""
    argv = worker_argv([q.strip() for q in queues.split(",") if q.strip()], pool, concurrency, name)
    os.execv(argv[0], argv)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Supervisor:
    """Worker processes kept running: one that exits (a crash, an OOM kill) is started again."""

    def __init__(self, commands: list[list[str]], log_dir) -> None:  # type: ignore[no-untyped-def]
        self.commands, self.log_dir = commands, log_dir
        self.procs: list[subprocess.Popen | None] = [None] * len(commands)
        self.stopping = threading.Event()

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for i in range(len(self.commands)):
            self._spawn(i)
        threading.Thread(target=self._watch, name="worker-supervisor", daemon=True).start()

    def _spawn(self, i: int) -> None:
        log = open(self.log_dir / f"worker-{i}.log", "ab")  # noqa: SIM115 - owned by the child
        self.procs[i] = subprocess.Popen(self.commands[i], stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=_die_with_parent)

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            for i, proc in enumerate(self.procs):
                if proc is not None and proc.poll() is not None and not self.stopping.is_set():
                    typer.echo(f"worker {i} exited ({proc.returncode}); starting it again", err=True)
                    self._spawn(i)

    def stop(self) -> None:
        self.stopping.set()
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    with_worker: Annotated[bool | None, typer.Option("--worker/--no-worker",
                                                     help="Also run the workers (default: in the embedded default).")] = None,
) -> None:
    """Run the REST API (and, in the embedded default, its workers)."""
    import uvicorn

    from docagent.api.app import create_app
    from docagent.db.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    embedded = settings.broker_url.startswith("sqla+")
    supervisor = None
    if with_worker if with_worker is not None else embedded:
        supervisor = Supervisor([worker_argv(["ingest"], None, None, "ingest@%h"),
                                 worker_argv(["vlm"], None, 4, "vlm@%h")], settings.home / "run")
        supervisor.start()
    # uvicorn re-raises SIGTERM/SIGINT after its shutdown, so the workers are stopped in the
    # app's own shutdown, not in a finally here
    app = create_app(settings, on_shutdown=supervisor.stop if supervisor else None)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_keep_alive=5,
                timeout_graceful_shutdown=10)

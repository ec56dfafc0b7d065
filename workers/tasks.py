"""Thin tasks: each takes a job id and calls a service of ``docagent``; all state is in the
job row (``docagent.jobs``), so a task may run twice or after a crash and do the work once."""

from __future__ import annotations

from functools import lru_cache

from docagent.callbacks import on_job_end
from docagent.jobs import Transient, execute
from docagent.settings import get_settings
from workers.app import app

_RETRY = {"max_retries": 5}


def _backoff(retries: int) -> int:
    return min(60, 2 ** (retries + 1))


@lru_cache(maxsize=1)
def _ingestor():  # type: ignore[no-untyped-def]
    from docagent.ingest import Ingestor

    return Ingestor(get_settings())


@lru_cache(maxsize=1)
def _backend():  # type: ignore[no-untyped-def]
    """The VLM, loaded once per worker process on its first query, then shared by threads."""
    from docagent.ask import configured_backend
    from vlm.backends.batching import BatchingBackend

    settings = get_settings()
    return BatchingBackend(configured_backend(settings), window_s=settings.vlm_batch_window_ms / 1000,
                           max_batch=settings.vlm_max_batch)


def _run(task, job_id: str, work) -> str:  # type: ignore[no-untyped-def]
    settings = get_settings()
    try:
        return execute(settings.database_url, job_id, settings.job_lease_s, work, on_end=on_job_end)
    except Transient as exc:
        raise task.retry(exc=exc, countdown=_backoff(task.request.retries)) from exc


@app.task(name="docagent.ingest", bind=True, **_RETRY)
def ingest(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    def work() -> None:
        _ingestor().run_job(job_id)  # finishes the job itself (succeeded or cancelled)

    return _run(self, job_id, work)


@app.task(name="docagent.batch", bind=True, **_RETRY)
def batch(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    from docagent.batch import run_batch_job

    return _run(self, job_id, lambda: run_batch_job(_ingestor(), job_id))


@app.task(name="docagent.query", bind=True, **_RETRY)
def query(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    from docagent.queries import run_query_job

    return _run(self, job_id, lambda: run_query_job(get_settings(), job_id, _backend()))

"""Jobs: the database row is the state of every long piece of work (ingest, batch, query).

Any API replica answers any job because nothing lives in a process. A task *claims* its job
with one conditional UPDATE (queued, or running with a lapsed lease), so a message delivered
twice runs once; while it runs, a heartbeat renews the lease; a job whose worker died (its
lease lapsed) is claimed again by the next delivery or by the sweeper (``stale_jobs``), and
the work is idempotent, so it resumes where the database says it stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from docagent.db.models import Job, JobStatus
from docagent.db.session import session_scope
from docagent.errors import DocagentError, NotFoundError

log = logging.getLogger(__name__)
FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobCancelled(Exception):
    """Raised inside a task between pages or steps when its job was cancelled."""


def _now() -> datetime:
    return datetime.now(UTC)


def get_job(s: Session, tenant_id: str, job_id: str) -> Job:
    """The tenant's job; another tenant's id reads as unknown."""
    job = s.get(Job, job_id)
    if job is None or job.tenant_id != tenant_id:
        raise NotFoundError(f"job {job_id!r} does not exist")
    return job


def job_view(job: Job) -> dict:
    """The job as the API shows it."""
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "collection_id": job.collection_id,
        "progress": round(job.progress or 0.0, 4), "done": job.done, "total": job.total,
        "error": ({"code": job.error_code or "error", "message": job.error} if job.error else None),
        "result": job.result, "document_ids": job.document_ids or [],
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def request_cancel(s: Session, job: Job) -> None:
    """Ask a job to stop: a queued one is cancelled now, a running one at its next page."""
    if job.status in FINAL:
        return
    job.cancel_requested = True
    if job.status == JobStatus.QUEUED:
        finish(s, job, JobStatus.CANCELLED)


def finish(s: Session, job: Job, status: JobStatus, *, error: str | None = None,
           code: str | None = None, result: dict | None = None) -> None:
    job.status, job.finished_at = status, _now()
    if error is not None:
        job.error, job.error_code = error, code or "error"
    if result is not None:
        job.result = result
    if status == JobStatus.SUCCEEDED:
        job.progress = 1.0


def claim(url: str, job_id: str, lease_s: float) -> bool:
    """Take the job for this process: True when it was queued, or running under a lease that
    lapsed (its worker died). False when another process holds it or it is finished."""
    stale = _now() - timedelta(seconds=lease_s)
    with session_scope(url) as s:
        res = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.cancel_requested.is_(False), or_(
                Job.status == JobStatus.QUEUED,
                (Job.status == JobStatus.RUNNING) & (Job.updated_at < stale)))
            .values(status=JobStatus.RUNNING, updated_at=_now(), attempts=Job.attempts + 1)
        )
        if res.rowcount:
            return True
        job = s.get(Job, job_id)
        if job is not None and job.cancel_requested and job.status not in FINAL:
            finish(s, job, JobStatus.CANCELLED)
        return False


def cancelled(url: str, job_id: str) -> bool:
    with session_scope(url) as s:
        return bool(s.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def stale_jobs(url: str, lease_s: float) -> list[tuple[str, str]]:
    """``(id, kind)`` of running jobs whose lease lapsed: their worker is gone."""
    stale = _now() - timedelta(seconds=lease_s)
    with session_scope(url) as s:
        return [(j.id, j.kind) for j in s.scalars(select(Job).where(
            Job.status == JobStatus.RUNNING, Job.updated_at < stale))]


@contextmanager
def heartbeat(url: str, job_id: str, lease_s: float) -> Iterator[None]:
    """Renew the job's lease every third of it while the body runs (a slow page included)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease_s / 3):
            try:
                with session_scope(url) as s:
                    s.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                              .values(updated_at=_now()))
            except Exception:  # a missed beat only shortens the lease
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def fail_job(url: str, job_id: str, exc: BaseException) -> None:
    """Record why the job failed: bad input by its code, anything else as internal."""
    code = exc.code if isinstance(exc, DocagentError) else "internal"
    message = str(exc) if isinstance(exc, DocagentError) else f"internal error: {exc.__class__.__name__}: {exc}"
    with session_scope(url) as s:
        job = s.get(Job, job_id)
        if job is not None and job.status not in FINAL:
            finish(s, job, JobStatus.FAILED, error=message, code=code)


class Transient(Exception):
    """Wraps an error worth retrying (database or broker unreachable); the job is requeued."""


def execute(url: str, job_id: str, lease_s: float, work, on_end=None) -> str:  # type: ignore[no-untyped-def]
    """Claim the job, run ``work()`` under a heartbeat, and record how it ended.

    ``work`` returns the job's result (a dict) or finishes the job itself (returns None).
    Returns the job's final status, or "skipped" when another process holds it. A transient
    error puts the job back to queued and raises ``Transient`` so the task is retried; any
    other error fails the job with its reason. ``on_end(view)`` runs once the job is final.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    if not claim(url, job_id, lease_s):
        return "skipped"
    try:
        with heartbeat(url, job_id, lease_s):
            result = work()
    except JobCancelled:
        _finish_now(url, job_id, JobStatus.CANCELLED)
    except (OperationalError, InterfaceError) as exc:
        _requeue(url, job_id)
        raise Transient(str(exc)) from exc
    except Exception as exc:
        if not isinstance(exc, DocagentError):
            log.exception("job %s failed", job_id)
        fail_job(url, job_id, exc)
    else:
        if result is not None:
            with session_scope(url) as s:
                job = s.get_one(Job, job_id)
                job.result = result
                if job.status not in FINAL:
                    finish(s, job, JobStatus.SUCCEEDED)
    with session_scope(url) as s:
        job = s.get_one(Job, job_id)
        view, callbacks = job_view(job), job.callbacks
        if job.status not in FINAL:  # work returned without finishing: an internal defect
            finish(s, job, JobStatus.FAILED, error="the task ended without a result", code="internal")
            view = job_view(job)
    if on_end is not None:
        on_end(view, callbacks)
    return view["status"]


def _finish_now(url: str, job_id: str, status: JobStatus) -> None:
    with session_scope(url) as s:
        job = s.get_one(Job, job_id)
        if job.status not in FINAL:
            finish(s, job, status)


def _requeue(url: str, job_id: str) -> None:
    try:
        with session_scope(url) as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                      .values(status=JobStatus.QUEUED))
    except Exception:  # the database is what failed; the lease lapses and the sweeper requeues
        log.warning("could not requeue job %s", job_id, exc_info=True)


# queued jobs not claimed for this many leases are resent (their message may be lost)
_UNSENT_LEASES = 10


def requeue_lapsed(url: str, lease_s: float) -> list[tuple[str, str]]:
    """Put running jobs whose lease lapsed back to queued, and pick queued ones left unclaimed
    for long; returns ``(job id, task name)`` for the caller to send again."""
    now = _now()
    lapsed, unsent = now - timedelta(seconds=lease_s), now - timedelta(seconds=lease_s * _UNSENT_LEASES)
    with session_scope(url) as s:
        jobs = list(s.scalars(select(Job).where(or_(
            (Job.status == JobStatus.RUNNING) & (Job.updated_at < lapsed),
            (Job.status == JobStatus.QUEUED) & (Job.updated_at < unsent))).with_for_update(skip_locked=True)))
        for job in jobs:
            job.status, job.updated_at = JobStatus.QUEUED, now
        return [(j.id, f"docagent.{j.kind}") for j in jobs]

"""The Celery app of the workers: the shared configuration of ``docagent.tasks`` plus what
only a worker needs (process recycling, the sweeper that requeues jobs whose worker died)."""

from __future__ import annotations

import logging
import os
import signal
import threading

from celery import Celery
from celery.signals import task_postrun, worker_ready, worker_shutting_down

from docagent.settings import get_settings
from docagent.tasks import ROUTES, celery_config

log = logging.getLogger(__name__)
settings = get_settings()
app = Celery("docagent", include=["workers.tasks"])
app.conf.update(celery_config(settings))
app.conf.update(
    # Recycle pool processes before memory growth on long archives ends in an OOM kill.
    worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
    worker_max_memory_per_child=settings.worker_max_memory_mb * 1024,  # KiB
    worker_send_task_events=True,  # for flower
)
_stop = threading.Event()


def sweep_once() -> int:
    """Requeue running jobs whose lease lapsed and resend queued ones left unsent for long
    (a message lost with a killed worker); a duplicate is harmless, the claim dedupes."""
    from docagent.jobs import requeue_lapsed

    resend = requeue_lapsed(settings.database_url, settings.job_lease_s)
    for job_id, task in resend:
        if task in ROUTES:
            app.send_task(task, args=[job_id], queue=ROUTES[task])
    if resend:
        log.warning("requeued %d job(s) whose worker stopped: %s", len(resend), [j for j, _ in resend])
    return len(resend)


def _sweeper() -> None:
    while not _stop.wait(max(1.0, settings.job_lease_s / 2)):
        try:
            sweep_once()
        except Exception:
            log.warning("job sweep failed", exc_info=True)


@worker_ready.connect
def _start_sweeper(**_kwargs) -> None:  # type: ignore[no-untyped-def]
    threading.Thread(target=_sweeper, name="job-sweeper", daemon=True).start()


@worker_shutting_down.connect
def _stop_sweeper(**_kwargs) -> None:  # type: ignore[no-untyped-def]
    _stop.set()


def rss_mb() -> float:
    """This process's resident memory, from /proc (0 where there is none)."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@task_postrun.connect
def _recycle_when_large(**_kwargs) -> None:  # type: ignore[no-untyped-def]
    """Solo and thread pools run tasks in the worker process itself, which Celery's
    ``max_memory_per_child`` does not watch: past the limit, the worker stops warmly after
    this task and its supervisor (``docagent serve``, compose's restart policy) starts a
    fresh one. Prefork children are recycled by Celery."""
    if os.getpid() != _MAIN_PID:
        return  # a prefork child: Celery's own limit applies
    if rss_mb() > settings.worker_max_memory_mb:
        log.warning("worker memory %.0f MB is over %d MB: stopping after this task to be restarted",
                    rss_mb(), settings.worker_max_memory_mb)
        os.kill(os.getpid(), signal.SIGTERM)


_MAIN_PID = os.getpid()

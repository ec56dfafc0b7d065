"""Sending work to the Celery workers by task name; ``docagent`` never imports ``workers``.

The configuration here is shared by the client and the worker app (``workers.app``), so both
agree on queues, routes and broker options. Job state lives in the database (``docagent.jobs``);
Celery only carries job ids, so no result backend is needed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from docagent.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

INGEST_QUEUE, VLM_QUEUE = "ingest", "vlm"
# task name -> queue. Queries run where the model is loaded: the agent and its reads share
# the GPU worker's process, so concurrent reads can be batched there.
ROUTES = {
    "docagent.ingest": INGEST_QUEUE,
    "docagent.batch": INGEST_QUEUE,
    "docagent.query": VLM_QUEUE,
}


def celery_config(settings: Settings) -> dict:
    embedded = settings.broker_url.startswith(("sqla+", "sqlalchemy+"))
    if embedded:
        from docagent.broker import install

        install()
    transport = {} if embedded else {"visibility_timeout": 3600}
    return {
        "broker_url": settings.broker_url,
        "result_backend": settings.result_backend or None,
        "task_ignore_result": True,
        "task_acks_late": True,  # a message is acknowledged after its task ends...
        "task_reject_on_worker_lost": True,  # ...and requeued when its worker dies
        "worker_prefetch_multiplier": 1,  # long tasks: do not hoard messages
        "task_routes": {name: {"queue": q} for name, q in ROUTES.items()},
        "task_default_queue": INGEST_QUEUE,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "accept_content": ["json"],
    }


@lru_cache(maxsize=4)
def _client(broker_url: str, result_backend: str) -> Celery:
    from celery import Celery

    app = Celery("docagent", set_as_current=False)
    app.conf.update(celery_config(Settings(broker_url=broker_url, result_backend=result_backend)))
    return app


def client(settings: Settings) -> Celery:
    """The Celery client for these settings' broker (one per process)."""
    return _client(settings.broker_url, settings.result_backend)


def send(settings: Settings, name: str, job_id: str) -> None:
    """Queue task ``name`` for ``job_id`` on its queue."""
    client(settings).send_task(name, args=[job_id], queue=ROUTES[name])

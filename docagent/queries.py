"""Queries as jobs: the API records the question, a worker runs the agent and stores its steps
as they end and then the answer, so a waited, an async, a streamed and a stored answer are
the same object read from the same row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from docagent.agent.state import Step
from docagent.ask import ask, validate_question
from docagent.db.models import Collection, Job, Tenant
from docagent.db.session import session_scope
from docagent.settings import Settings
from vlm.backends.base import VLMBackend


def create_query_job(s: Session, collection: Collection, question: str, k: int,
                     callbacks: list[dict] | None = None) -> Job:
    question = validate_question(question, k)
    job = Job(tenant_id=collection.tenant_id, collection_id=collection.id, kind="query",
              payload={"question": question, "k": k}, total=1, steps=[],
              callbacks=callbacks or None)
    s.add(job)
    s.flush()
    return job


def run_query_job(settings: Settings, job_id: str, backend: VLMBackend | None = None) -> dict:
    """Answer the job's question; each step is committed as it ends (for streaming)."""
    url = settings.database_url
    with session_scope(url) as s:
        job = s.get_one(Job, job_id)
        coll = s.get_one(Collection, job.collection_id)
        tenant = s.get_one(Tenant, job.tenant_id)
        names, payload = (tenant.name, coll.name), dict(job.payload or {})

    def record(step: Step) -> None:
        with session_scope(url) as s:
            row = s.get_one(Job, job_id)
            row.steps = [*(row.steps or []), step.to_json()]
            row.progress = min(0.95, len(row.steps) / 6)

    with session_scope(url) as s:  # a re-run starts its steps again
        s.get_one(Job, job_id).steps = []
    answer, steps = ask(settings, *names, payload["question"], k=int(payload.get("k", 5)),
                        on_step=record, backend=backend)
    return {"answer": answer.to_json()}


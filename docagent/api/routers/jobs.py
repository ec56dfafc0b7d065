"""Jobs: progress, result, errors, cancellation. Any API replica answers any job."""

from __future__ import annotations

from fastapi import APIRouter

from docagent.api.deps import CallerDep, SessionDep
from docagent.api.schemas import JobOut
from docagent.jobs import get_job, job_view, request_cancel

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut, summary="A job's status, progress and result")
def get(job_id: str, who: CallerDep, s: SessionDep) -> dict:
    return job_view(get_job(s, who.tenant_id, job_id))


@router.delete("/{job_id}", status_code=202, response_model=JobOut,
               summary="Cancel a job (a running one stops at its next page)")
def cancel(job_id: str, who: CallerDep, s: SessionDep) -> dict:
    job = get_job(s, who.tenant_id, job_id)
    request_cancel(s, job)
    s.flush()
    return job_view(job)

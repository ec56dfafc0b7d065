"""Questions to the agent: waited, async (a job) or streamed (server-sent events).

The API never runs the agent or the model: it records a query job and a worker answers it.
All three forms read the same stored answer, so their citations are identical.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from docagent.api.deps import CallerDep, ServicesDep, SessionDep, collection_of
from docagent.api.routers.documents import start_job
from docagent.api.schemas import AnswerOut, ErrorResponse, QueryAccepted, QueryIn
from docagent.db.models import Job
from docagent.db.session import session_scope
from docagent.jobs import FINAL, JobStatus, job_view
from docagent.queries import create_query_job
from docagent.settings import Settings

router = APIRouter(prefix="/v1/collections", tags=["query"])
_POLL_S = 0.05
_KEEPALIVE_S = 10.0
_FAILED_STATUS = {"bad_request": 400, "not_found": 404, "database_not_ready": 503}


def snapshot(settings: Settings, job_id: str) -> tuple[dict, list]:
    with session_scope(settings.database_url) as s:
        job = s.get_one(Job, job_id)
        return job_view(job), list(job.steps or [])


def answer_body(view: dict) -> dict:
    return {**(view["result"] or {}).get("answer", {}), "job_id": view["id"]}


def _ended(view: dict) -> JSONResponse:
    if view["status"] == JobStatus.SUCCEEDED:
        return JSONResponse(answer_body(view))
    error = view["error"] or {"code": "cancelled", "message": "the query was cancelled"}
    return JSONResponse({"error": error, "job_id": view["id"]},
                        status_code=_FAILED_STATUS.get(error["code"], 500 if view["status"] == "failed" else 409))


@router.post("/{collection_id}/query", summary="Ask the agent a question",
             response_model=AnswerOut,
             responses={202: {"model": QueryAccepted, "description": "async, or not answered in time"},
                        200: {"content": {"text/event-stream": {}},
                              "description": "stream: `step` events, then `answer` (or `error`)"},
                        404: {"model": ErrorResponse}})
async def query(collection_id: str, body: QueryIn, who: CallerDep, s: SessionDep,
                svc: ServicesDep):  # type: ignore[no-untyped-def]
    from docagent.callbacks import validate_callbacks

    coll = collection_of(s, who, collection_id)
    hooks = validate_callbacks([c.model_dump() for c in body.callbacks] if body.callbacks else None)
    job = create_query_job(s, coll, body.question, body.k, hooks)
    s.commit()
    job_id = job.id
    view = await run_in_threadpool(start_job, svc.settings, job_id, "docagent.query")
    if body.async_:
        return JSONResponse({"job_id": job_id, "job": view}, status_code=202)
    if body.stream:
        return StreamingResponse(_events(svc.settings, job_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    deadline = time.monotonic() + (body.timeout_s or svc.settings.query_timeout_s)
    while time.monotonic() < deadline:
        view, _ = await run_in_threadpool(snapshot, svc.settings, job_id)
        if view["status"] in FINAL:
            return _ended(view)
        await asyncio.sleep(_POLL_S)
    return JSONResponse({"job_id": job_id, "job": view}, status_code=202)


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _events(settings: Settings, job_id: str) -> AsyncIterator[str]:
    """Each step once, as the worker commits it, then the answer (or the error)."""
    sent, quiet_since = 0, time.monotonic()
    yield _sse("job", {"job_id": job_id})
    while True:
        view, steps = await run_in_threadpool(snapshot, settings, job_id)
        for step in steps[sent:]:
            yield _sse("step", step)
            quiet_since = time.monotonic()
        sent = max(sent, len(steps))
        if view["status"] in FINAL:
            if view["status"] == JobStatus.SUCCEEDED:
                yield _sse("answer", answer_body(view))
            else:
                yield _sse("error", {"error": view["error"] or {"code": "cancelled", "message": "cancelled"},
                                     "job_id": job_id})
            return
        if time.monotonic() - quiet_since > _KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(_POLL_S)

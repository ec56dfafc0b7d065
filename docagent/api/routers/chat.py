"""OpenAI-compatible chat completions over a collection: ``model`` names the collection.

Like ``POST /v1/collections/{id}/query`` the API never runs the agent: the question becomes a
query job, a worker answers it, and the reply is read from the job row. Any OpenAI client
works (``base_url=http://host:8000/v1``, ``api_key`` = a docagent key, ``model`` = a
collection's name or id); the reply carries the answer's ``citations`` (unchanged, as the
query route returns them) and ``answerable`` beside the OpenAI fields.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docagent.api.deps import CallerDep, ServicesDep, SessionDep
from docagent.api.errors import error_body
from docagent.api.routers.documents import start_job
from docagent.api.routers.query import answer_body, snapshot
from docagent.api.schemas import ErrorResponse, QueryAccepted
from docagent.api.schemas_search import ChatCompletionOut, ChatIn, ChatMessage
from docagent.db.models import Collection
from docagent.errors import BadRequestError, NotFoundError
from docagent.jobs import FINAL, JobStatus
from docagent.keys import Principal
from docagent.queries import create_query_job
from docagent.settings import Settings

router = APIRouter(prefix="/v1", tags=["chat"])
_POLL_S = 0.05
_KEEPALIVE_S = 10.0
_FAILED_STATUS = {"bad_request": 400, "not_found": 404, "database_not_ready": 503}
_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def collection_for_model(s: Session, who: Principal, model: str) -> Collection:
    """The caller's collection whose id, or else whose name, is ``model``."""
    coll = s.get(Collection, model)
    if coll is None or coll.tenant_id != who.tenant_id:
        coll = s.scalar(select(Collection).where(Collection.tenant_id == who.tenant_id,
                                                 Collection.name == model.strip()))
    if coll is None:
        raise NotFoundError(f"model {model!r} is not one of your collections (name or id)")
    return coll


def question_of(messages: list[ChatMessage]) -> str:
    """The text of the last user message: a string, or its ``text`` parts joined (other
    parts, such as images, are ignored)."""
    last = next((m for m in reversed(messages) if m.role == "user"), None)
    if last is None:
        raise BadRequestError("messages has no user message: the last one is the question")
    if isinstance(last.content, str):
        text = last.content
    else:
        text = "\n".join(p.text for p in last.content or [] if p.type == "text" and p.text)
    if not text.strip():
        raise BadRequestError("the last user message has no text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # JSON may escape a lone surrogate; no text holds one
        raise BadRequestError("the last user message holds a lone surrogate: not text") from exc
    return text


def reply_text(answer: dict) -> str:
    """The answer, then its reasoning lines, then its sources numbered as its citations."""
    reason = None
    if answer.get("answerable", False):
        parts = [answer.get("answer", "")]
    else:
        reason = answer.get("reason") or answer.get("answer") or "the evidence does not support an answer"
        parts = [f"I cannot answer this from the collection: {reason}"]
    reasoning = [r for r in answer.get("reasoning") or [] if r and r != reason]  # said once
    if reasoning:
        parts.append("Reasoning:\n" + "\n".join(f"- {r}" for r in reasoning))
    citations = answer.get("citations") or []
    if citations:
        parts.append("Sources:\n" + "\n".join(f"[{i}] {c['filename']} p.{c['page']}"
                                              for i, c in enumerate(citations, 1)))
    return "\n\n".join(parts)


def completion(job_id: str, model: str, answer: dict, created: int) -> dict:
    return {"id": f"chatcmpl-{job_id}", "object": "chat.completion", "created": created,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply_text(answer)},
                         "finish_reason": "stop"}],
            "usage": dict(_USAGE), "citations": answer.get("citations") or [],
            "answerable": bool(answer.get("answerable", False))}


def _failure(view: dict | None, timeout_s: float, job_id: str) -> tuple[int, dict]:
    """Status and error body of a query job that did not succeed (None: not in time; only
    a stream reports that as an error, its 200 being sent already)."""
    if view is None:
        return 503, {**error_body("timeout", f"no answer within {timeout_s:g} s; the job {job_id} "
                                  "goes on: GET /v1/jobs/{id} reads its answer later"), "job_id": job_id}
    error = view["error"] or {"code": "cancelled", "message": "the query was cancelled"}
    status = _FAILED_STATUS.get(error["code"], 500 if view["status"] == JobStatus.FAILED else 409)
    return status, {"error": error, "job_id": job_id}


async def _wait(settings: Settings, job_id: str, timeout_s: float) -> tuple[dict, bool]:
    """The job's last view, and whether it is final (False: not within ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        view, _ = await run_in_threadpool(snapshot, settings, job_id)
        if view["status"] in FINAL:
            return view, True
        if time.monotonic() >= deadline:
            return view, False
        await asyncio.sleep(_POLL_S)


@router.post("/chat/completions", response_model=ChatCompletionOut,
             summary="OpenAI-compatible chat: the last user message asked of a collection",
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "stream: `data: {chat.completion.chunk}` lines, then `data: [DONE]`"},
                        202: {"model": QueryAccepted,
                              "description": "not answered within DOCAGENT_QUERY_TIMEOUT_S: the job"},
                        400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})
async def chat(body: ChatIn, who: CallerDep, s: SessionDep, svc: ServicesDep):  # type: ignore[no-untyped-def]
    """Ask the collection named by ``model`` the last user message. Earlier turns, system
    messages and sampling fields (temperature, max_tokens, ...) are ignored: the agent answers
    one question from the collection's evidence, so a follow-up must be asked in full. When
    the evidence does not support an answer the reply still is 200, says so with the reason,
    and has ``answerable: false``. Not answered within ``DOCAGENT_QUERY_TIMEOUT_S`` (no worker
    free), the reply is ``202`` with the job, as the query route answers: the job goes on and
    ``GET /v1/jobs/{id}`` reads its answer; a stream sends a ``timeout`` error instead."""
    coll = collection_for_model(s, who, body.model)
    question = question_of(body.messages)
    job = create_query_job(s, coll, question, 5)
    s.commit()
    job_id, created, settings = job.id, int(time.time()), svc.settings
    await run_in_threadpool(start_job, settings, job_id, "docagent.query")
    timeout_s = settings.query_timeout_s
    if body.stream:
        return StreamingResponse(_chunks(settings, job_id, body.model, created, timeout_s),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    view, final = await _wait(settings, job_id, timeout_s)
    if not final:
        return JSONResponse({"job_id": job_id, "job": view}, status_code=202)
    if view["status"] != JobStatus.SUCCEEDED:
        status, error = _failure(view, timeout_s, job_id)
        return JSONResponse(error, status_code=status)
    return JSONResponse(completion(job_id, body.model, answer_body(view), created))


def _data(obj: dict | str) -> str:
    return f"data: {obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)}\n\n"


def _chunk(job_id: str, model: str, created: int, delta: dict, finish: str | None, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"id": f"chatcmpl-{job_id}", "object": "chat.completion.chunk", "created": created,
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra}


async def _chunks(settings: Settings, job_id: str, model: str, created: int,
                  timeout_s: float) -> AsyncIterator[str]:
    """Keep-alive comments while the worker answers, then one chunk with the whole content,
    a final chunk with ``finish_reason`` and the citations, and ``[DONE]``; a failed job
    sends ``data: {"error": ...}`` (as OpenAI's stream does) before ``[DONE]``."""
    deadline, quiet_since, view = time.monotonic() + timeout_s, time.monotonic(), None
    while time.monotonic() < deadline:
        view, _ = await run_in_threadpool(snapshot, settings, job_id)
        if view["status"] in FINAL:
            break
        view = None
        if time.monotonic() - quiet_since > _KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(_POLL_S)
    if view is None or view["status"] != JobStatus.SUCCEEDED:
        yield _data(_failure(view, timeout_s, job_id)[1])
    else:
        answer = answer_body(view)
        yield _data(_chunk(job_id, model, created, {"role": "assistant", "content": reply_text(answer)},
                           None))
        yield _data(_chunk(job_id, model, created, {}, "stop", usage=dict(_USAGE),
                           citations=answer.get("citations") or [],
                           answerable=bool(answer.get("answerable", False))))
    yield _data("[DONE]")

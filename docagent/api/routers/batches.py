"""Batches: a zip of many documents (or a folder under the server's batch root), resumable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from docagent.api.deps import CallerDep, ServicesDep, SessionDep, collection_of
from docagent.api.errors import ApiError
from docagent.api.routers.documents import parse_json_form, start_job
from docagent.api.schemas import QueryAccepted
from docagent.batch import create_batch_job, server_path
from docagent.callbacks import validate_callbacks
from docagent.errors import BadRequestError
from docagent.intake import is_archive
from docagent.store import FileStore

router = APIRouter(prefix="/v1/collections", tags=["batches"])


@router.post("/{collection_id}/batches", status_code=202, response_model=QueryAccepted,
             summary="Ingest a zip archive or a server folder as a resumable batch")
def create(collection_id: str, who: CallerDep, s: SessionDep, svc: ServicesDep,
           file: Annotated[UploadFile | None, File(description="a zip archive")] = None,
           path: Annotated[str | None, Form(description="a folder or zip under DOCAGENT_BATCH_ROOT")] = None,
           callbacks: Annotated[str | None, Form(description='JSON list of {"url", "headers"}')] = None,
           ) -> dict:
    coll = collection_of(s, who, collection_id)
    hooks = validate_callbacks(parse_json_form(callbacks, "callbacks"))
    if (file is None) == (path is None):
        raise BadRequestError("send either a zip file or a server path")
    if file is not None:
        name = (file.filename or "batch.zip").replace("\\", "/").rsplit("/", 1)[-1]
        if not is_archive(name):
            raise ApiError(415, f"{name}: a batch upload must be a zip archive")
        source = {"digest": FileStore(svc.settings.files_dir).put(file.file.read()), "filename": name}
    else:
        source = {"path": str(server_path(svc.settings, path or ""))}
    job_id = create_batch_job(svc.settings, who.tenant_name, coll.name, source, hooks)
    return {"job_id": job_id, "job": start_job(svc.settings, job_id, "docagent.batch")}

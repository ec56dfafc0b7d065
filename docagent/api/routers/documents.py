"""Uploads, documents, and page and crop images."""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from sqlalchemy import func, select

from docagent.api.deps import (
    CallerDep,
    ServicesDep,
    SessionDep,
    collection_of,
    crop_of,
    document_of,
)
from docagent.api.errors import ApiError
from docagent.api.schemas import DocumentOut, PageOut, UploadOut
from docagent.callbacks import validate_callbacks
from docagent.db.models import Collection, Crop, Job, Page, Passage
from docagent.db.session import session_scope
from docagent.errors import BadRequestError, NotFoundError
from docagent.indexes import remove_from_index
from docagent.ingest import Ingestor
from docagent.intake import Upload, uploads_from_bytes
from docagent.jobs import JobStatus, finish, job_view
from docagent.settings import Settings
from indexing.archive import ArchiveLimits
from indexing.errors import BadInputError
from indexing.sources import sniff_kind

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["documents"])
_IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def parse_json_form(raw: str | None, what: str) -> object:
    if raw is None or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"{what} is not valid JSON: {exc.msg}") from exc


def read_uploads(settings: Settings, files: list[UploadFile], meta: dict | None,
                 external_id: str | None) -> list[Upload]:
    """Each file (or zip member) as an upload; its type sniffed now, so an unsupported file
    fails its own row at once."""
    max_bytes = settings.max_upload_mb * 2**20
    limits = ArchiveLimits(max_member_bytes=max_bytes, max_members=settings.max_archive_members)
    out: list[Upload] = []
    for f in files:
        name = (f.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
        data = f.file.read(max_bytes + 1)
        for up in uploads_from_bytes(name, data, max_bytes, limits):
            if up.data is not None:
                try:
                    sniff_kind(up.data, up.filename)
                except BadInputError as exc:
                    up = Upload.failed(up.filename, exc)
            up.meta = meta
            out.append(up)
    if len(out) == 1:  # an external id names one document
        out[0].external_id = external_id
    return out


@router.post("/collections/{collection_id}/documents", status_code=202, response_model=UploadOut,
             summary="Upload documents (one or many files, or a zip); indexed by a worker")
def upload(collection_id: str, who: CallerDep, s: SessionDep, svc: ServicesDep,
           files: Annotated[list[UploadFile], File(description="PDF, XPS, EPUB, PNG, JPEG, TIFF or zip")],
           metadata: Annotated[str | None, Form(description="JSON object of key/value metadata")] = None,
           external_id: Annotated[str | None, Form(max_length=200)] = None,
           callbacks: Annotated[str | None, Form(description='JSON list of {"url", "headers"}')] = None,
           ) -> UploadOut:
    coll = collection_of(s, who, collection_id)
    meta = parse_json_form(metadata, "metadata")
    if meta is not None and not isinstance(meta, dict):
        raise BadRequestError("metadata must be a JSON object")
    hooks = validate_callbacks(parse_json_form(callbacks, "callbacks"))
    if not files:
        raise BadRequestError("no files in the upload")
    uploads = read_uploads(svc.settings, files, meta, external_id)
    if all(u.error_code == "unsupported_format" for u in uploads):
        raise ApiError(415, "; ".join(u.error or "" for u in uploads)[:2000])
    job_id, rows = Ingestor(svc.settings).submit(who.tenant_name, coll.name, uploads, callbacks=hooks)
    return UploadOut(job_id=job_id, job=start_job(svc.settings, job_id, "docagent.ingest"),
                     documents=[r.to_json() for r in rows])


def start_job(settings: Settings, job_id: str, task: str) -> dict:
    """Send the job's task; a job with nothing to do ends now. If the broker is down the job
    stays queued and a worker's sweeper sends it later: nothing is lost."""
    from docagent.tasks import send

    with session_scope(settings.database_url) as s:
        job = s.get_one(Job, job_id)
        if job.kind == "ingest" and not job.document_ids:
            finish(s, job, JobStatus.SUCCEEDED, result={"documents": []})
            return job_view(job)
    try:
        send(settings, task, job_id)
    except Exception:
        log.warning("could not queue job %s now; it stays queued", job_id, exc_info=True)
    with session_scope(settings.database_url) as s:
        return job_view(s.get_one(Job, job_id))


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="One document")
def get(document_id: str, who: CallerDep, s: SessionDep) -> DocumentOut:
    doc = document_of(s, who, document_id)
    pages = s.scalars(select(Page).where(Page.document_id == doc.id).order_by(Page.number))
    return DocumentOut(
        id=doc.id, collection_id=doc.collection_id, filename=doc.filename, status=doc.status,
        error=doc.error, kind=doc.kind, crops=doc.crop_count, title=doc.title, metadata=doc.meta,
        external_id=doc.external_id, created_at=doc.created_at.isoformat(),
        pages=[PageOut(number=p.number, width=p.width, height=p.height, text_source=p.text_source)
               for p in pages])


@router.delete("/documents/{document_id}", status_code=204, response_class=Response,
               summary="Delete a document and its crops from the index")
def delete(document_id: str, who: CallerDep, s: SessionDep, svc: ServicesDep) -> Response:
    doc = document_of(s, who, document_id)
    unit_ids = list(s.scalars(select(Passage.id).where(Passage.document_id == doc.id)))
    coll = s.get_one(Collection, doc.collection_id)
    s.delete(doc)
    s.commit()
    remove_from_index(svc.settings, s, coll, unit_ids)
    return Response(status_code=204)


def _image(data: bytes) -> Response:
    media = next((t for magic, t in _IMAGE_TYPES.items() if data.startswith(magic)), "application/octet-stream")
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/documents/{document_id}/pages/{number}/image", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}}, summary="A page as rendered")
def page_image(document_id: str, number: int, who: CallerDep, s: SessionDep, svc: ServicesDep) -> Response:
    doc = document_of(s, who, document_id)
    page = s.scalar(select(Page).where(Page.document_id == doc.id, Page.number == number))
    if page is None:
        count = s.scalar(select(func.count()).select_from(Page).where(Page.document_id == doc.id))
        raise NotFoundError(f"page {number} does not exist (the document has {count} pages)")
    return _image(svc.images.page(doc, page))


@router.get("/crops/{crop_id}/image", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}}, summary="A crop's image")
def crop_image(crop_id: str, who: CallerDep, s: SessionDep, svc: ServicesDep) -> Response:
    crop: Crop = crop_of(s, who, crop_id)
    return _image(svc.images.crop(crop))

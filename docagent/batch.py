"""Batches: a folder or zip archive of thousands of pages, ingested resumably.

A batch is a job whose documents are registered as the archive is read (one file's bytes in
memory at a time) and then processed like an upload's. Re-running the same batch skips
documents already indexed (same bytes, same collection), takes up those a crash or Ctrl-C
left queued or running, and retries those that failed. The job's result ends with a report
of the failures and their reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from docagent.catalog import get_or_create_collection, get_or_create_tenant
from docagent.db.models import Job
from docagent.db.session import session_scope
from docagent.errors import BadRequestError, NotFoundError
from docagent.indexes import embedder_for
from docagent.ingest import DocumentRow, Ingestor
from docagent.intake import Upload, uploads_from_bytes, uploads_from_paths
from docagent.settings import Settings
from docagent.store import FileStore
from indexing.archive import ArchiveLimits


def create_batch_job(settings: Settings, tenant_name: str, collection_name: str, source: dict,
                     callbacks: list[dict] | None = None) -> str:
    """A queued batch job; ``source`` is ``{"path": folder or zip}`` or ``{"digest",
    "filename"}`` of an archive already in the file store."""
    embedder = embedder_for(settings.embedder)
    with session_scope(settings.database_url) as s:
        tenant = get_or_create_tenant(s, tenant_name)
        coll = get_or_create_collection(s, tenant, collection_name, embedder.name, embedder.dim)
        job = Job(tenant_id=tenant.id, collection_id=coll.id, kind="batch", payload={"source": source},
                  document_ids=[], callbacks=callbacks or None)
        s.add(job)
        s.flush()
        return job.id


def server_path(settings: Settings, raw: str) -> Path:
    """A folder or zip named by an API caller, allowed only under ``DOCAGENT_BATCH_ROOT``."""
    if settings.batch_root is None:
        raise BadRequestError("server folders are not enabled (DOCAGENT_BATCH_ROOT is unset); upload a zip")
    root = settings.batch_root.resolve()
    path = (root / raw).resolve()
    if not path.is_relative_to(root):
        raise BadRequestError("the path must lie under the batch root")
    if not path.exists():
        raise NotFoundError(f"no such folder or archive under the batch root: {raw}")
    return path


def _uploads(settings: Settings, source: dict) -> Iterator[Upload]:
    max_bytes = settings.max_upload_mb * 2**20
    limits = ArchiveLimits(max_member_bytes=max_bytes, max_members=settings.max_archive_members)
    if "path" in source:
        yield from uploads_from_paths([Path(source["path"])], max_bytes, limits)
    else:
        data = FileStore(settings.files_dir).get(source["digest"])
        yield from uploads_from_bytes(source["filename"], data, 2**62, limits)


def run_batch_job(ingestor: Ingestor, job_id: str,
                  on_document: Callable[[DocumentRow], None] | None = None,
                  progress=None) -> dict:  # type: ignore[no-untyped-def]
    """Register the batch's documents, process them, and return the report."""
    settings = ingestor.settings
    with session_scope(settings.database_url) as s:
        source = dict((s.get_one(Job, job_id).payload or {})["source"])
    registered = ingestor.register_into(job_id, _uploads(settings, source), on_document=on_document)
    skipped = {r.id for r in registered if r.status == "indexed"}  # by an earlier run

    def batch_report(done: list[DocumentRow]) -> dict:
        by_id = {r.id: r for r in done}
        return report([by_id.get(r.id, r) for r in registered], skipped)

    return batch_report(ingestor.run_job(job_id, progress, result=batch_report))


def report(rows: list[DocumentRow], skipped: set[str | None]) -> dict:
    """What this run did: documents indexed now (and their pages), those skipped as already
    indexed, and every failure with its reason."""
    now = [r for r in rows if r.status == "indexed" and r.id not in skipped]
    failed = [{"filename": r.filename, "error": r.error} for r in rows if r.status == "failed"]
    return {"documents": [r.to_json() for r in rows], "indexed": len(now), "skipped": len(skipped),
            "failed": failed, "pages": sum(r.pages for r in now)}

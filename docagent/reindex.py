"""Rebuild a collection's search units from its stored crops, then its index.

For collections written before crops had context (migration 0003 carries their crops over
as plain crop passages), or after the rules in ``indexing.context`` / ``indexing.passages``
change. Only the database is read: no original file is reopened, no page is re-read. Each
document is rewritten in its own transaction, so an interrupted run leaves every document
either as it was or done, and running it again finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from docagent.catalog import find_tenant, get_collection
from docagent.db.migrate import upgrade
from docagent.db.models import Collection, Document, DocumentStatus
from docagent.db.session import session_scope
from docagent.indexes import embedder_for, rebuild_collection
from docagent.passages import reindex_document
from docagent.settings import Settings


@dataclass(slots=True)
class ReindexReport:
    collection: str
    documents: int
    passages: int


def reindex(settings: Settings, tenant_name: str, collection_name: str,
            progress: Callable[[int, int, str], None] | None = None) -> ReindexReport:
    """Recompute context and passages of every indexed document, then rebuild the index."""
    url = settings.database_url
    upgrade(url)  # a write command, like ingest
    with session_scope(url) as s:
        coll = get_collection(s, find_tenant(s, tenant_name), collection_name)
        coll_id, embedder = coll.id, embedder_for(coll.embedder)
        docs = list(s.execute(select(Document.id, Document.filename).where(
            Document.collection_id == coll_id, Document.status == DocumentStatus.INDEXED)
            .order_by(Document.created_at, Document.id)))
    passages = 0
    for i, (doc_id, filename) in enumerate(docs):
        with session_scope(url) as s:
            passages += len(reindex_document(s, s.get_one(Document, doc_id), embedder))
        if progress:
            progress(i + 1, len(docs), filename)
    with session_scope(url) as s:
        rebuild_collection(settings, s, s.get_one(Collection, coll_id))
    return ReindexReport(collection_name, len(docs), passages)

"""Hybrid search over one collection: ranked, located evidence."""

from __future__ import annotations

from fastapi import APIRouter

from docagent.api.deps import CallerDep, ServicesDep, SessionDep, collection_of
from docagent.api.schemas import SearchIn, SearchOut
from docagent.search import search as run_search

router = APIRouter(prefix="/v1/collections", tags=["search"])


@router.post("/{collection_id}/search", response_model=SearchOut,
             summary="Hybrid search: document, page, box, kind, text and score per result")
def search(collection_id: str, body: SearchIn, who: CallerDep, s: SessionDep, svc: ServicesDep) -> dict:
    coll = collection_of(s, who, collection_id)
    results = run_search(svc.settings, who.tenant_name, coll.name, body.query, k=body.k, mode=body.mode)
    return {"results": [r.to_json() for r in results]}

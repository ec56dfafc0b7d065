"""Enterprise search: hybrid search across all of the caller's collections, with filters,
facets, highlights and a cursor (the logic is ``docagent.enterprise``)."""

from __future__ import annotations

from fastapi import APIRouter

from docagent.api.deps import CallerDep, ServicesDep, SessionDep
from docagent.api.schemas import ErrorResponse
from docagent.api.schemas_search import EnterpriseSearchIn, EnterpriseSearchOut
from docagent.enterprise import Filters, enterprise_search

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=EnterpriseSearchOut,
             responses={400: {"model": ErrorResponse, "description": "bad filters or cursor"}},
             summary="Search across all your collections: filters, facets, highlights, cursor")
def search(body: EnterpriseSearchIn, who: CallerDep, s: SessionDep, svc: ServicesDep) -> dict:
    """Ranked, located evidence from every collection of the caller's tenant (never another
    tenant's). ``total`` and ``facets`` count the filtered candidate pool (each collection's
    best crops); pass ``next_cursor`` with the same query and filters for the next page."""
    filters = Filters(**body.filters.model_dump())
    page = enterprise_search(svc.settings, s, who.tenant_id, body.query, limit=body.limit,
                             cursor=body.cursor, filters=filters)
    return page.to_json()

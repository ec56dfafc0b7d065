"""Collections of the caller's tenant."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Response
from sqlalchemy import func, select

from docagent.api.deps import CallerDep, ServicesDep, SessionDep, collection_of
from docagent.api.schemas import CollectionIn, CollectionList, CollectionOut
from docagent.catalog import find_collection, validate_collection_name
from docagent.db.models import Collection, Document, Tenant
from docagent.errors import ConflictError
from docagent.indexes import embedder_for, forget_index

router = APIRouter(prefix="/v1/collections", tags=["collections"])


def _out(coll: Collection, documents: int) -> CollectionOut:
    return CollectionOut(id=coll.id, name=coll.name, documents=documents,
                         created_at=coll.created_at.isoformat())


def _count(s, coll_id: str) -> int:  # type: ignore[no-untyped-def]
    return s.scalar(select(func.count()).select_from(Document).where(Document.collection_id == coll_id)) or 0


@router.post("", status_code=201, response_model=CollectionOut, summary="Create a collection")
def create(body: CollectionIn, who: CallerDep, s: SessionDep, svc: ServicesDep) -> CollectionOut:
    name = validate_collection_name(body.name)
    tenant = s.get_one(Tenant, who.tenant_id)
    if find_collection(s, tenant, name) is not None:
        raise ConflictError(f"collection {name!r} exists")
    embedder = embedder_for(svc.settings.embedder)
    coll = Collection(tenant_id=tenant.id, name=name, embedder=embedder.name, embedding_dim=embedder.dim)
    s.add(coll)
    s.flush()
    return _out(coll, 0)


@router.get("", response_model=CollectionList, summary="List the caller's collections")
def list_(who: CallerDep, s: SessionDep) -> CollectionList:
    counts = dict(s.execute(select(Document.collection_id, func.count()).where(
        Document.tenant_id == who.tenant_id).group_by(Document.collection_id)).all())
    colls = s.scalars(select(Collection).where(Collection.tenant_id == who.tenant_id).order_by(Collection.name))
    return CollectionList(collections=[_out(c, counts.get(c.id, 0)) for c in colls])


@router.get("/{collection_id}", response_model=CollectionOut, summary="One collection")
def get(collection_id: str, who: CallerDep, s: SessionDep) -> CollectionOut:
    coll = collection_of(s, who, collection_id)
    return _out(coll, _count(s, coll.id))


@router.delete("/{collection_id}", status_code=204, response_class=Response,
               summary="Delete a collection, its documents and its index")
def delete(collection_id: str, who: CallerDep, s: SessionDep, svc: ServicesDep) -> Response:
    coll = collection_of(s, who, collection_id)
    s.delete(coll)
    s.flush()
    directory = svc.settings.index_dir / collection_id
    forget_index(directory)
    shutil.rmtree(directory, ignore_errors=True)
    return Response(status_code=204)

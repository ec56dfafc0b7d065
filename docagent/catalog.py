"""Tenants and collections: look-ups that are always scoped to one tenant."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from docagent.db.models import Collection, Tenant
from docagent.errors import BadRequestError, NotFoundError

DEFAULT_TENANT = "default"
_MAX_NAME = 200


def find_tenant(session: Session, name: str = DEFAULT_TENANT) -> Tenant | None:
    """The tenant called ``name``, or None; reads only (the read path creates nothing)."""
    return session.scalar(select(Tenant).where(Tenant.name == name))


def get_or_create_tenant(session: Session, name: str = DEFAULT_TENANT) -> Tenant:
    tenant = find_tenant(session, name)
    if tenant is None:
        tenant = Tenant(name=name)
        session.add(tenant)
        session.flush()
    return tenant


def validate_collection_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > _MAX_NAME or any(ord(c) < 32 for c in name):
        raise BadRequestError(f"collection name must be 1-{_MAX_NAME} printable characters")
    return name


def find_collection(session: Session, tenant: Tenant, name: str) -> Collection | None:
    return session.scalar(
        select(Collection).where(Collection.tenant_id == tenant.id, Collection.name == name)
    )


def get_collection(session: Session, tenant: Tenant | None, name: str) -> Collection:
    """The tenant's collection; an unknown tenant (None) reads as an unknown collection, so a
    caller learns nothing about which tenants exist."""
    coll = None if tenant is None else find_collection(session, tenant, name)
    if coll is None:
        raise NotFoundError(f"collection {name!r} does not exist")
    return coll


def get_or_create_collection(
    session: Session, tenant: Tenant, name: str, embedder: str, dim: int
) -> Collection:
    name = validate_collection_name(name)
    coll = find_collection(session, tenant, name)
    if coll is None:
        coll = Collection(tenant_id=tenant.id, name=name, embedder=embedder, embedding_dim=dim)
        session.add(coll)
        session.flush()
    return coll

"""What routes depend on: the services opened at start-up, a database session, the caller
(every route is scoped to the caller's tenant), and tenant-scoped look-ups by id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from docagent.api.errors import ApiError
from docagent.api.ratelimit import RateLimiter, retry_after
from docagent.db.models import Collection, Crop, Document
from docagent.db.session import session_scope
from docagent.errors import NotFoundError
from docagent.images import PageImages
from docagent.keys import KeyRing, Principal
from docagent.settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    keys: KeyRing
    limiter: RateLimiter
    images: PageImages


def services(request: Request) -> Services:
    return request.app.state.services


def session(svc: Annotated[Services, Depends(services)]) -> Iterator[Session]:
    with session_scope(svc.settings.database_url) as s:
        yield s


def principal(request: Request, svc: Annotated[Services, Depends(services)],
              s: Annotated[Session, Depends(session)]) -> Principal:
    """The caller, from ``Authorization: Bearer <key>``; 401 without a key, 403 for an
    unknown one, 429 with ``Retry-After`` over the key's rate."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "missing API key: send Authorization: Bearer <key>",
                       headers={"WWW-Authenticate": "Bearer"})
    who = svc.keys.resolve(s, key.strip())
    if who is None:
        raise ApiError(403, "unknown or revoked API key")
    wait = svc.limiter.take(who.key_id)
    if wait > 0:
        raise ApiError(429, "rate limit exceeded for this key", headers={"Retry-After": retry_after(wait)})
    request.state.tenant = who.tenant_name
    return who


ServicesDep = Annotated[Services, Depends(services)]
SessionDep = Annotated[Session, Depends(session)]
CallerDep = Annotated[Principal, Depends(principal)]


def collection_of(s: Session, who: Principal, collection_id: str) -> Collection:
    coll = s.get(Collection, collection_id)
    if coll is None or coll.tenant_id != who.tenant_id:
        raise NotFoundError(f"collection {collection_id!r} does not exist")
    return coll


def document_of(s: Session, who: Principal, document_id: str) -> Document:
    doc = s.get(Document, document_id)
    if doc is None or doc.tenant_id != who.tenant_id:
        raise NotFoundError(f"document {document_id!r} does not exist")
    return doc


def crop_of(s: Session, who: Principal, crop_id: str) -> Crop:
    crop = s.get(Crop, int(crop_id)) if crop_id.isascii() and crop_id.isdigit() and len(crop_id) < 19 else None
    if crop is None or crop.tenant_id != who.tenant_id:
        raise NotFoundError(f"crop {crop_id!r} does not exist")
    return crop

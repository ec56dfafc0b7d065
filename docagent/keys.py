"""API keys: each belongs to a tenant. Keys come from ``DOCAGENT_API_KEYS`` (``tenant:key``
pairs) or from ``docagent keys create``, which stores only the key's SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from docagent.catalog import get_or_create_tenant
from docagent.db.models import ApiKey, Tenant
from docagent.db.session import session_scope
from docagent.errors import BadRequestError
from docagent.settings import Settings

KEY_PREFIX = "dak_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant every query is scoped to, and the key (for rate limits)."""

    tenant_id: str
    tenant_name: str
    key_id: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(settings: Settings, tenant_name: str) -> str:
    """A new random key for ``tenant_name`` (created if new); only its hash is stored."""
    tenant_name = tenant_name.strip()
    if not tenant_name or len(tenant_name) > 200:
        raise BadRequestError("the tenant name must be 1-200 characters")
    from docagent.db.migrate import upgrade

    upgrade(settings.database_url)  # a writer: the first key may come before any upload
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with session_scope(settings.database_url) as s:
        tenant = get_or_create_tenant(s, tenant_name)
        s.add(ApiKey(tenant_id=tenant.id, key_hash=hash_key(key), prefix=key[:12]))
    return key


class KeyRing:
    """Resolves keys to tenants: the configured pairs (tenants created once, at start-up) and
    the stored hashes (looked up per request, so a key created later works at once)."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self._configured: dict[str, Principal] = {}
        with session_scope(self.url) as s:
            for tenant_name, key in settings.api_key_pairs():
                tenant = get_or_create_tenant(s, tenant_name)
                self._configured[hash_key(key)] = Principal(tenant.id, tenant.name, "env:" + hash_key(key)[:12])

    def resolve(self, s: Session, key: str) -> Principal | None:
        digest = hash_key(key)
        for known, principal in self._configured.items():
            if hmac.compare_digest(known, digest):
                return principal
        row = s.execute(select(ApiKey, Tenant.name).join(Tenant, ApiKey.tenant_id == Tenant.id)
                        .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))).first()
        if row is None:
            return None
        return Principal(row.ApiKey.tenant_id, row.name, row.ApiKey.id)

    @property
    def empty(self) -> bool:
        return not self._configured

"""The FastAPI application: ``create_app(settings)``.

Heavy resources (database engine, migrations, keys, the Celery client) are opened in
``lifespan``; routes are one router per resource. The API runs no model: queries are jobs
answered by workers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from docagent.api import errors
from docagent.api.deps import Services
from docagent.api.limits import BodyLimit
from docagent.api.metrics import Metrics
from docagent.api.ratelimit import RateLimiter
from docagent.api.routers import (
    batches,
    chat,
    collections,
    documents,
    enterprise,
    health,
    jobs,
    query,
    search,
)
from docagent.settings import Settings, get_settings

DESCRIPTION = """Agentic document understanding for Korean and English documents, tables and
charts. Upload collections, search located evidence, ask questions answered with reasoning
and cited boxes. Every route but the health ones needs `Authorization: Bearer <key>`; a key
sees only its tenant's data. Errors are `{"error": {"code", "message"}}`."""


def create_app(settings: Settings | None = None, on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """The app; ``on_shutdown`` runs when the server stops (``docagent serve`` stops its
    workers there)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        from docagent.db.migrate import upgrade
        from docagent.images import PageImages
        from docagent.keys import KeyRing
        from docagent.passages import analyzer
        from docagent.store import FileStore
        from docagent.tasks import client

        upgrade(settings.database_url)
        analyzer()  # Kiwi loads once, here, not on the first search
        client(settings)
        app.state.services = Services(settings, KeyRing(settings),
                                      RateLimiter(settings.rate_limit_per_minute),
                                      PageImages(FileStore(settings.files_dir)))
        try:
            yield
        finally:
            if on_shutdown is not None:
                on_shutdown()

    app = FastAPI(title="docagent", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  responses={401: {"model": errors_model()}, 403: {"model": errors_model()},
                             422: {"model": errors_model()}, 429: {"model": errors_model()}})
    app.state.metrics = Metrics()
    errors.install(app)
    app.state.metrics.install(app)
    for module in (health, collections, documents, jobs, search, query, batches, enterprise, chat):
        app.include_router(module.router)
    # the body limit wraps everything: an oversized upload is refused before it is read
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_mb * 2**20 + 2**20)
    return app


def errors_model():  # type: ignore[no-untyped-def]
    from docagent.api.schemas import ErrorResponse

    return ErrorResponse

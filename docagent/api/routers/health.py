"""Liveness, readiness and metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from docagent.api.deps import ServicesDep
from docagent.db.migrate import require_current
from docagent.errors import DocagentError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and at the code's schema")
def readyz(svc: ServicesDep) -> JSONResponse:
    try:
        require_current(svc.settings.database_url)
    except DocagentError as exc:
        return JSONResponse({"status": "unavailable", "reason": exc.message}, status_code=503)
    except Exception as exc:  # the database is down
        return JSONResponse({"status": "unavailable", "reason": exc.__class__.__name__}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return request.app.state.metrics.render()

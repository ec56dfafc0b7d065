"""Every error leaves as ``{"error": {"code", "message"}}`` with its status; nothing else does.

Service errors carry their own status (``docagent.errors``); validation errors are 422;
anything unexpected is logged and answered 500 with no internals in the body.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from docagent.errors import DocagentError

log = logging.getLogger(__name__)
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
          415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited",
          503: "unavailable"}


class ApiError(DocagentError):
    """An error with an explicit status (auth, rate limits, media types)."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code or _CODES.get(status, "error")
        self.headers = headers or {}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DocagentError)
    async def _service(_req: Request, exc: DocagentError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _response(422, "invalid_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _response(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail),
                         getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _defect(req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return _response(500, "internal", "internal error")

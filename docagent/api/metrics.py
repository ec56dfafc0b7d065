"""Prometheus metrics: requests by route template and status, and their latency."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("docagent_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("docagent_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.jobs = Counter("docagent_jobs_submitted_total", "Jobs submitted", ["kind"],
                            registry=self.registry)

    def install(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def _measure(request: Request, call_next):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            status = 500
            try:
                response = await call_next(request)
                status = response.status_code
                return response
            finally:
                route = request.scope.get("route")
                path = getattr(route, "path", "unmatched")
                self.requests.labels(request.method, path, str(status)).inc()
                self.latency.labels(request.method, path).observe(time.perf_counter() - start)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

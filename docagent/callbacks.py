"""Callbacks: a URL (and headers) that a caller asks to be called when its job ends."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from docagent.errors import BadRequestError

log = logging.getLogger(__name__)
MAX_CALLBACKS = 5
_ATTEMPTS = 3


def validate_callbacks(raw: object) -> list[dict] | None:
    """``[{"url", "headers"}]`` checked: http(s) URLs, string headers, at most five."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_CALLBACKS:
        raise BadRequestError(f"callbacks must be a list of at most {MAX_CALLBACKS} objects")
    out = []
    for item in raw:
        url = item.get("url") if isinstance(item, dict) else None
        headers = item.get("headers") or {} if isinstance(item, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise BadRequestError("each callback needs an http(s) url")
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in headers.items()):
            raise BadRequestError("callback headers must map strings to strings")
        out.append({"url": url, "headers": headers})
    return out


def notify(callbacks: list[dict] | None, body: dict) -> None:
    """POST ``body`` to each callback, retried with backoff; a failure is logged, not raised
    (the job's outcome is in the database whatever the receiver does)."""
    if not callbacks:
        return
    import httpx

    for cb in callbacks:
        for attempt in range(_ATTEMPTS):
            try:
                httpx.post(cb["url"], json=body, headers=cb.get("headers") or {}, timeout=10.0).raise_for_status()
                break
            except httpx.HTTPError as exc:
                if attempt == _ATTEMPTS - 1:
                    log.warning("callback %s failed: %s", cb["url"], exc)
                else:
                    time.sleep(0.5 * 2**attempt)


def on_job_end(view: dict, callbacks: list[dict] | None) -> None:
    """What a worker does when a job ends: tell its callbacks (``{"job": view}``)."""
    notify(callbacks, {"job": view})

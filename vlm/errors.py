"""Exceptions raised by the ``vlm`` package.

``VLMError`` is the root. ``BackendError`` carries the endpoint's URL and the reason, and splits
into ``BackendUnavailableError`` (cannot reach the model: connection refused, timeout, 5xx, rate
limit, authentication — worth retrying later or reporting as 503) and ``BackendRequestError``
(the endpoint rejected this request: 400/413/422 — retrying the same request will not help).
``MissingTokenError`` says a tokenizer lacks one of VARCO-VISION's special tokens.
"""

from __future__ import annotations


class VLMError(Exception):
    """Base class of every error raised by ``vlm``."""


class MissingTokenError(VLMError, ValueError):
    """A tokenizer does not know a special token the model needs."""

    def __init__(self, token: str, detail: str = "") -> None:
        self.token = token
        msg = f"tokenizer has no special token {token!r}"
        super().__init__(f"{msg}: {detail}" if detail else msg)


class BackendError(VLMError):
    """A model endpoint failed; ``url`` says which, ``reason`` says why."""

    def __init__(self, url: str, reason: str, status_code: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status_code = status_code
        status = f" (HTTP {status_code})" if status_code is not None else ""
        super().__init__(f"VLM endpoint {url}{status}: {reason}")


class BackendUnavailableError(BackendError):
    """The endpoint could not be reached or could not serve (down, timeout, 5xx, 429, auth)."""


class BackendRequestError(BackendError):
    """The endpoint refused this particular request (bad request, too large, unprocessable)."""

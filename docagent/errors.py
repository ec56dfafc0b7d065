"""Service errors: each has a stable ``code`` and the HTTP status it maps to.

Bad input is reported with a readable message; anything not derived from ``DocagentError`` is
a defect.
"""

from __future__ import annotations


class DocagentError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(DocagentError):
    code = "bad_request"
    status = 400


class NotFoundError(DocagentError):
    code = "not_found"
    status = 404


class ConflictError(DocagentError):
    code = "conflict"
    status = 409


class PayloadTooLargeError(DocagentError):
    code = "payload_too_large"
    status = 413

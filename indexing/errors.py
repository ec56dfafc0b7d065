"""Exceptions of the indexing package.

``BadInputError`` and its subclasses mean the *input* is at fault: they are reported to the
user in the document's row and the rest of a batch goes on. Anything else is a defect.
"""


class IndexingError(Exception):
    """Base class of indexing errors."""


class BadInputError(IndexingError):
    """The input cannot be ingested; the message is shown to the user as the reason."""

    code = "bad_input"


class UnsupportedFormatError(BadInputError):
    code = "unsupported_format"


class CorruptDocumentError(BadInputError):
    code = "corrupt"


class EncryptedDocumentError(BadInputError):
    code = "encrypted"


class EmptyDocumentError(BadInputError):
    code = "empty"


class TooLargeError(BadInputError):
    code = "too_large"


class UnsafeArchiveError(BadInputError):
    code = "unsafe_archive"

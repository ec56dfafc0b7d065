"""A page-worker task that kills its process on documents whose first page says CRASH.

Page workers are spawned processes, so a crash has to come from code they can import: tests
put this directory on ``sys.path`` before the pool starts and swap this task in.
"""

from __future__ import annotations

import os

from indexing import pagepool


def crash_on_marker(key, kind, options, numbers):
    pagepool._work_chunk(key, kind, options, [])  # opens (and caches) the document only
    doc = pagepool._WORKER_DOCS[key]
    if "CRASH" in doc[0].get_text():
        os._exit(13)  # as MuPDF dying on a malformed page would
    return pagepool._work_chunk(key, kind, options, numbers)

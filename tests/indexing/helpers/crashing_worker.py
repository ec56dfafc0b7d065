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


CRASH_ONCE = "DOCAGENT_TEST_CRASH_ONCE"  # a path: the first chunk holding page 2 creates it and dies


def crash_once_on_page_two(key, kind, options, numbers):
    """Kill the worker the first time any worker is given page 2, as a worker killed for its
    memory would die once; the same chunk run again goes through."""
    marker = os.environ.get(CRASH_ONCE)
    if marker and 2 in numbers:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL)  # one worker wins, even two at once
        except FileExistsError:
            pass
        else:
            os.close(fd)
            os._exit(13)
    return pagepool._work_chunk(key, kind, options, numbers)

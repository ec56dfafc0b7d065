"""A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI, --json)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # docagent.ingest loads PyMuPDF and its layout models: only for the type
    from docagent.ingest import Progress as ProgressFn


@contextmanager
def ingest_progress(unit: str = "pages") -> Iterator[ProgressFn | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.fields[doc]}"), BarColumn(), MofNCompleteColumn(),
        TextColumn(unit), TimeElapsedColumn(), console=Console(stderr=True), transient=False,
    )
    with bar:
        task = bar.add_task("ingest", total=None, doc="")

        def update(doc_i: int, n_docs: int, done: int, n_pages: int, name: str) -> None:
            label = f"[{doc_i + 1}/{n_docs}] {name[-40:]}"
            bar.update(task, completed=done, total=n_pages, doc=label)

        yield update

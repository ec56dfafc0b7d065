"""``docagent`` CLI entry point. Commands follow the contract in DESIGN.md."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from docagent.catalog import DEFAULT_TENANT
from docagent.cli.common import fail, load_settings
from docagent.cli.progress import ingest_progress
from docagent.cli.vlm import vlm_app
from docagent.errors import DocagentError

app = typer.Typer(help="docagent: agentic document understanding for Korean and English.",
                  no_args_is_help=True, add_completion=False)
app.add_typer(vlm_app, name="vlm")
console = Console()
TenantOpt = Annotated[str, typer.Option(help="Tenant the collection belongs to.")]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or zip archives.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    tenant: TenantOpt = DEFAULT_TENANT,
) -> None:
    """Ingest documents into a collection and wait until they are indexed."""
    from docagent.ingest import Ingestor
    from docagent.intake import uploads_from_paths
    from indexing.archive import ArchiveLimits

    settings = load_settings()
    max_bytes = settings.max_upload_mb * 2**20
    limits = ArchiveLimits(max_member_bytes=max_bytes, max_members=settings.max_archive_members)
    try:
        ingestor = Ingestor(settings)
        uploads = list(uploads_from_paths(paths, max_bytes, limits))
        job_id, rows = ingestor.submit(tenant, collection, uploads)
        with ingest_progress() as progress:
            done = {r.id: r for r in ingestor.run_job(job_id, progress)}
    except DocagentError as exc:
        fail(exc.message)
    rows = [done.get(r.id, r) for r in rows]
    if as_json:
        typer.echo(json.dumps({"collection": collection, "documents": [r.to_json() for r in rows]},
                              ensure_ascii=False))
    else:
        _print_rows(collection, rows)
    if not any(r.status == "indexed" for r in rows):
        raise typer.Exit(1)


def _print_rows(collection: str, rows) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"collection {collection}")
    for col in ("document", "pages", "crops", "status", "error"):
        table.add_column(col)
    for r in rows:
        style = "green" if r.status == "indexed" else "red"
        table.add_row(r.filename, str(r.pages), str(r.crops), f"[{style}]{r.status}", r.error or "")
    console.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")],
    k: Annotated[int, typer.Option("--k", help="Number of results.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, sparse or dense.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    tenant: TenantOpt = DEFAULT_TENANT,
) -> None:
    """Hybrid search: ranked, located evidence (page, box, kind, text, score)."""
    from docagent.search import search as run_search

    if mode not in ("hybrid", "sparse", "dense"):
        fail(f"--mode must be hybrid, sparse or dense, not {mode!r}")
    try:
        results = run_search(load_settings(), tenant, collection, query, k=k, mode=mode)  # type: ignore[arg-type]
    except DocagentError as exc:
        fail(exc.message)
    if as_json:
        keys = ("document_id", "filename", "page", "bbox", "kind", "text", "score")
        payload = [{key: r.to_json()[key] for key in keys} for r in results]
        typer.echo(json.dumps({"results": payload}, ensure_ascii=False))
        return
    if not results:
        console.print("no results")
    for i, r in enumerate(results, 1):
        snippet = " ".join(r.text.split())[:160]
        console.print(f"[bold]{i}.[/bold] {r.filename} p.{r.page} {r.kind} {r.bbox} "
                      f"score={r.score:.4f}\n   {snippet}")


if __name__ == "__main__":
    app()

"""``docagent`` CLI entry point. Commands follow the contract in DESIGN.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from docagent.cli.batch import batch
from docagent.cli.common import DEFAULT_TENANT, configure_logging, fail, load_settings
from docagent.cli.db import db_app
from docagent.cli.eval import eval_command
from docagent.cli.progress import ingest_progress
from docagent.cli.service import keys_app, serve, worker
from docagent.cli.synth import synth
from docagent.cli.train import train
from docagent.cli.vlm import vlm_app
from docagent.errors import DocagentError
from docagent.settings import Settings

# Imports stay light here and heavy ones live in the commands that use them: `--help` and a
# search answered by the warm process must not pay for PyMuPDF, SQLAlchemy, torch or rich.
app = typer.Typer(help="docagent: agentic document understanding for Korean and English.",
                  no_args_is_help=True, add_completion=False)
app.add_typer(vlm_app, name="vlm")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.command()(serve)
app.command()(batch)
app.command()(worker)
app.command()(train)
app.command("eval")(eval_command)
app.command()(synth)
TenantOpt = Annotated[str, typer.Option(help="Tenant the collection belongs to.")]
SEARCH_MODES = ("hybrid", "sparse", "dense")
# The contract's keys first, then what was added: where the crop sits (page size, crop id,
# document title, heading path, caption) and the table row, column or chart point that matched.
RESULT_KEYS = ("document_id", "filename", "page", "bbox", "kind", "text", "score", "page_size",
               "crop_id", "title", "headings", "caption", "row", "column")


@app.callback()
def _main(ctx: typer.Context,
          verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Show INFO and DEBUG logs, libraries' too.")] = False,
          ) -> None:
    ctx.obj = {"verbose": verbose}
    ctx.call_on_close(configure_logging(verbose))


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
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"collection {collection}")
    for col in ("document", "pages", "crops", "status", "error"):
        table.add_column(col)
    for r in rows:
        style = "green" if r.status == "indexed" else "red"
        table.add_row(r.filename, str(r.pages), str(r.crops), f"[{style}]{r.status}", r.error or "")
    Console().print(table)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")],
    k: Annotated[int, typer.Option("--k", help="Number of results.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, sparse or dense.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    tenant: TenantOpt = DEFAULT_TENANT,
) -> None:
    """Hybrid search: ranked, located evidence (page, box, kind, text, score)."""
    if mode not in SEARCH_MODES:
        fail(f"--mode must be hybrid, sparse or dense, not {mode!r}")
    args = {"tenant": tenant, "collection": collection, "query": query, "k": k, "mode": mode}
    try:
        results = _search(load_settings(), args, warm=not (ctx.obj or {}).get("verbose"))
    except DocagentError as exc:
        fail(exc.message)
    if as_json:
        payload = [{key: r[key] for key in RESULT_KEYS} for r in results]
        typer.echo(json.dumps({"results": payload}, ensure_ascii=False))
        return
    _print_results(results)


def _search(settings: Settings, args: dict[str, Any], *, warm: bool) -> list[dict]:
    """Results as ``SearchResult.to_json()`` dicts, from the warm process when one answers.

    ``--verbose`` searches here, so that the log lines it asks for reach this terminal.
    """
    if warm:
        from docagent.warm.client import call

        served = call(settings, "search", args)
        if served is not None:
            return served
    from docagent.search import search as run_search

    results = run_search(settings, args["tenant"], args["collection"], args["query"],
                         k=args["k"], mode=args["mode"])
    return [r.to_json() for r in results]


def _print_results(results: list[dict]) -> None:
    from rich.console import Console

    console = Console()
    if not results:
        console.print("no results")
    for i, r in enumerate(results, 1):
        snippet = " ".join(r["text"].split())[:160]
        where = " > ".join([r["title"], *r["headings"]] if r["title"] else r["headings"])
        part = r["row"] or r["column"]
        console.print(f"[bold]{i}.[/bold] {r['filename']} p.{r['page']} {r['kind']} {r['bbox']} "
                      f"score={r['score']:.4f}", highlight=False)
        if where:
            console.print(f"   [dim]{where}[/dim]", highlight=False)
        console.print(f"   {snippet}", highlight=False)
        if part:
            console.print(f"   matched: {part['text']} {part['bbox']}", highlight=False)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, Korean or English.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")],
    k: Annotated[int, typer.Option("--k", help="Crops read per sub-question.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="The answer object only.")] = False,
    tenant: TenantOpt = DEFAULT_TENANT,
) -> None:
    """Answer a question from a collection, with reasoning and cited boxes."""
    from docagent.cli.answer_view import print_answer, print_step

    settings = load_settings()
    args = {"tenant": tenant, "collection": collection, "question": question, "k": k}
    live = None if as_json else print_step
    try:
        reply = _ask(settings, args, warm=not (ctx.obj or {}).get("verbose"), on_step=live)
    except DocagentError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(reply["answer"], ensure_ascii=False))
        return
    if reply.get("served"):
        for step in reply["steps"]:
            print_step(step)
    print_answer(reply["answer"])


def _ask(settings: Settings, args: dict[str, Any], *, warm: bool, on_step=None) -> dict:  # type: ignore[no-untyped-def]
    """``{"answer", "steps"}``; from the warm process when the backend is the extractive one
    (a generative backend is loaded where it runs, not in a shared CLI process)."""
    if warm and settings.vlm_backend == "extractive":
        from docagent.warm.client import call

        served = call(settings, "ask", args)
        if served is not None:
            return {**served, "served": True}
    from docagent.ask import ask as run_ask

    answer, steps = run_ask(settings, args["tenant"], args["collection"], args["question"], k=args["k"],
                            on_step=(lambda s: on_step(s.to_json())) if on_step else None)
    return {"answer": answer.to_json(), "steps": [s.to_json() for s in steps]}


@app.command()
def reindex(
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")],
    tenant: TenantOpt = DEFAULT_TENANT,
) -> None:
    """Rebuild a collection's context, search units and index from its stored crops."""
    from docagent.reindex import reindex as run_reindex

    try:
        with ingest_progress("documents") as progress:
            report = run_reindex(load_settings(), tenant, collection,
                                 (lambda done, n, name: progress(0, 1, done, n, name)) if progress else None)
    except DocagentError as exc:
        fail(exc.message)
    typer.echo(f"reindexed {report.documents} documents of {collection}: {report.passages} search units")


if __name__ == "__main__":
    app()

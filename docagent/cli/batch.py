"""``docagent batch``: a folder or zip of many documents, resumable, with a final report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from docagent.cli.common import DEFAULT_TENANT, fail, load_settings
from docagent.cli.progress import ingest_progress


def batch(
    path: Annotated[Path, typer.Argument(help="A folder (searched recursively) or a zip archive.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name.")],
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    tenant: Annotated[str, typer.Option(help="Tenant the collection belongs to.")] = DEFAULT_TENANT,
) -> None:
    """Ingest a scanned archive. A re-run skips what is indexed and retries what failed."""
    from docagent.batch import create_batch_job, run_batch_job
    from docagent.db.models import Job
    from docagent.db.session import session_scope
    from docagent.errors import DocagentError
    from docagent.ingest import Ingestor
    from docagent.jobs import claim

    if not path.exists():
        fail(f"no such folder or archive: {path}")
    settings = load_settings()
    try:
        ingestor = Ingestor(settings)
        job_id = create_batch_job(settings, tenant, collection, {"path": str(path.resolve())})
        claim(settings.database_url, job_id, settings.job_lease_s)
        with ingest_progress() as bar:
            progress = _per_document(bar, quiet=as_json)
            try:
                report = run_batch_job(ingestor, job_id, progress=progress)
            except KeyboardInterrupt:
                with session_scope(settings.database_url) as s:
                    ids = list(s.get_one(Job, job_id).document_ids or [])
                ingestor._cancelled(job_id, ids)
                typer.echo("stopped: run the same command again to go on", err=True)
                raise typer.Exit(130) from None
    except DocagentError as exc:
        fail(exc.message)
    with session_scope(settings.database_url) as s:
        job = s.get_one(Job, job_id)
        job.result = report
    if as_json:
        typer.echo(json.dumps({"collection": collection, **report}, ensure_ascii=False))
    else:
        _print_report(report)
    if report["failed"] and not report["indexed"] and not report["skipped"]:
        raise typer.Exit(1)


def _per_document(bar, *, quiet: bool):  # type: ignore[no-untyped-def]
    """The bar's update, plus one line per document read (on a pipe: the only progress)."""
    def update(doc_i: int, n_docs: int, done: int, n_pages: int, name: str) -> None:
        if bar is not None:
            bar(doc_i, n_docs, done, n_pages, name)
        if done == n_pages and not quiet:
            typer.echo(f"[{doc_i + 1}/{n_docs}] {name}: {n_pages} pages read", err=True)
    return update


def _print_report(report: dict) -> None:
    typer.echo(f"indexed {report['indexed']} documents ({report['pages']} pages), "
               f"skipped {report['skipped']} already indexed, {len(report['failed'])} failed")
    for f in report["failed"]:
        typer.echo(f"  failed: {f['filename']}: {f['error']}")

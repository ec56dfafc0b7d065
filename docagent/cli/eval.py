"""``docagent eval``: score a VLM backend on evaluation items (our JSONL or K-DTCBench)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from docagent.cli.common import fail, load_settings
from docagent.cli.progress import ingest_progress

if TYPE_CHECKING:  # vlm.eval loads PIL and the backends' types: only for the annotations
    from docagent.settings import Settings
    from vlm.backends.base import VLMBackend
    from vlm.eval.report import EvalReport

FAILURES_SHOWN = 10


def build_backend(name: str, model: str | None, settings: Settings) -> VLMBackend:
    """The backend ``name``; ``model`` (a checkpoint directory, hub id or served model name)
    replaces DOCAGENT_VLM_MODEL, the other settings are the service's, except that a local
    model may write as many tokens as an OCR reply needs."""
    from dataclasses import replace

    from docagent.vlm_backend import vlm_config
    from vlm.backends import get_backend
    from vlm.eval.runner import MAX_NEW_TOKENS

    key = name.strip().lower()
    match key:
        case "transformers" | "vllm":
            config = vlm_config(settings)
            # the ceiling, raised so that OCR replies fit; each request asks only what its task needs
            limit = max(config.max_new_tokens, *MAX_NEW_TOKENS.values())
            config = replace(config, model=model or config.model, max_new_tokens=limit)
            return get_backend(key, config=config)
        case "openai":
            return get_backend("openai", base_url=settings.openai_base_url,
                               model=model or settings.vlm_model, api_key=settings.openai_api_key)
        case _:
            return get_backend(key)


def eval_command(
    data: Annotated[Path, typer.Argument(help="Items: eval.jsonl (EvalItems) or K-DTCBench .tsv/.jsonl.")],
    backend: Annotated[str, typer.Option(help="extractive, transformers, vllm or openai.")] = "extractive",
    model: Annotated[str | None, typer.Option(help="Checkpoint directory or model id (default: DOCAGENT_VLM_MODEL).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Evaluate only the first N items.")] = None,
    circular: Annotated[bool, typer.Option(help="Also ask each multiple-choice item with its options rotated; it counts only if every rotation is right.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    with_items: Annotated[bool, typer.Option("--items", help="With --json: every item's score and reply too.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Items per backend call.")] = 8,
) -> None:
    """Evaluate a VLM backend: accuracy, ANLS, exact match, relaxed accuracy, IoU, OCR F1."""
    from indexing.ocr import OcrUnavailableError
    from vlm.errors import VLMError
    from vlm.eval import EvalOptions, evaluate, load_items
    from vlm.synth.records import RecordError

    settings = load_settings()
    try:
        items = load_items(data, limit)
    except (FileNotFoundError, RecordError, UnicodeDecodeError) as exc:
        fail(str(exc))
    if not items:
        fail(f"{data} holds no items")
    options = EvalOptions(circular=circular, batch_size=batch_size,
                          ocr_languages=settings.ocr_languages)
    try:
        runner = build_backend(backend, model, settings)
        try:
            with ingest_progress("items") as bar:
                update = (lambda done, n: bar(0, 1, done, n, data.name)) if bar else None
                report = evaluate(items, runner, options, update, data=str(data))
        finally:
            runner.close()
    except (VLMError, RecordError, OcrUnavailableError, ImportError, OSError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report.to_json(with_items=with_items), ensure_ascii=False))
    else:
        print_report(report)


def _metrics_text(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())


def print_report(report: EvalReport) -> None:
    """Scores by task (bold) and by category under it, then the first failures."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=f"{report.backend} on {report.data} ({len(report.items)} items, "
                        f"{report.seconds:.1f} s)")
    for col in ("task", "category", "n", "scores"):
        table.add_column(col)
    for row in report.tasks:
        table.add_row(f"[bold]{row.task}", "all", str(row.n), f"[bold]{_metrics_text(row.metrics)}")
        for cat in (c for c in report.categories if c.task == row.task):
            table.add_row("", escape(cat.category), str(cat.n), _metrics_text(cat.metrics))
    console.print(table)
    failures = report.failures
    console.print(f"{len(failures)} of {len(report.items)} items not fully right", highlight=False)
    for f in failures[:FAILURES_SHOWN]:
        console.print(f"  {escape(f.id)} ({f.task}): gold {escape(f.gold[:80])!r} "
                      f"predicted {escape(f.prediction[:80])!r}", highlight=False)
    if len(failures) > FAILURES_SHOWN:
        console.print(f"  ... and {len(failures) - FAILURES_SHOWN} more (--json lists them all)",
                      highlight=False)

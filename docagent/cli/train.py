"""``docagent train --recipe FILE [key.path=value ...]``: run one stage of the training recipe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def train(
    recipe: Annotated[Path, typer.Option("--recipe", "-r", help="A stage's YAML (vlm/recipes/...).")],
    overrides: Annotated[list[str] | None, typer.Argument(
        help="Recipe overrides, e.g. train.max_steps=10 lora.enabled=true.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the stage's last saved trainer state.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Validate the recipe and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stage record as JSON.")] = False,
) -> None:
    """Train one stage of the recipe (align, sft, sft_hr, dpo) from the stage before it.

    The checkpoint goes to $DOCAGENT_HOME/checkpoints/<model>/<stage>/ unless the recipe's
    ``output`` says otherwise."""
    from docagent.cli.common import fail, load_settings
    from vlm.errors import VLMError
    from vlm.train.recipe import load_recipe, output_dir

    settings = load_settings()
    try:
        spec = load_recipe(recipe, overrides or [])
    except VLMError as exc:
        fail(f"recipe {recipe}: {exc}")
    if check:
        typer.echo(f"{recipe}: valid ({spec.model} {spec.stage}, from {spec.source}, "
                   f"writes {output_dir(spec, settings.home)})")
        return
    from vlm.train.stage import run_stage

    try:
        result = run_stage(spec, settings.home, resume=resume)
    except (VLMError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    rec = result.record
    if as_json:
        typer.echo(json.dumps({k: v for k, v in rec.items() if k != "log"}, ensure_ascii=False))
        return
    before, after = rec["held_out_before"].get("loss"), rec["held_out_after"].get("loss")
    typer.echo(f"{spec.model} {spec.stage}: {rec['steps']} steps on {rec['samples']} samples "
               f"in {rec['train_seconds']:.1f} s; held-out loss {before:.4f} -> {after:.4f}")
    typer.echo(f"checkpoint: {result.out}")

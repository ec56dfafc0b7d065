"""``docagent vlm ...``: model utilities."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

vlm_app = typer.Typer(help="Vision-language model utilities.", no_args_is_help=True)


@vlm_app.command("tiny")
def tiny(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the checkpoint to.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a tiny, randomly initialised checkpoint of the VARCO-VISION architecture."""
    from vlm.tiny import build_tiny_checkpoint

    path = build_tiny_checkpoint(out, seed=seed)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    typer.echo(f"wrote {path} ({size / 2**20:.1f} MB)")

"""``docagent synth``: write the synthetic training and evaluation set (``vlm.synth``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write images/, the JSONL files "
                                                    "and manifest.json to.")],
    documents: Annotated[int, typer.Option(help="Training documents (each: a page and three "
                                                "crops).", min=1)] = 24,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bytes.")] = 0,
    scans: Annotated[float, typer.Option(help="Share of documents degraded as scans.",
                                         min=0.0, max=1.0)] = 0.3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    english: Annotated[float, typer.Option(help="Share of documents in English.",
                                           min=0.0, max=1.0)] = 0.2,
) -> None:
    """Generate captions, instructions, OCR, grounding, text-only, whole-page, preference and
    evaluation records with their images, deterministic by seed."""
    from vlm.synth.training_set import build_training_set

    manifest = build_training_set(out, documents, seed, scan_fraction=scans,
                                  english_fraction=english)
    if as_json:
        typer.echo(json.dumps(manifest, ensure_ascii=False))
        return
    typer.echo(f"wrote {manifest['images']} images and these records under {out}:")
    for name, count in manifest["counts"].items():
        typer.echo(f"  {name:<18} {count:>6}")
    typer.echo(f"manifest: {out / 'manifest.json'} (sha256 {manifest['sha256'][:12]})")

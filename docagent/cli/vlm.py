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


@vlm_app.command("answer")
def answer(
    image: Annotated[Path, typer.Argument(help="An image (a crop or a page).", exists=True, dir_okay=False)],
    question: Annotated[str, typer.Argument(help="The question.")],
    grounding: Annotated[bool, typer.Option(help="Ask for boxes (<gro>).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Ask the configured backend (DOCAGENT_VLM_BACKEND) a question about one image."""
    import json

    from PIL import Image, UnidentifiedImageError

    from docagent.cli.common import fail, load_settings
    from docagent.vlm_backend import backend_from_settings, crop_from_image
    from vlm.backends.base import VisionRequest
    from vlm.errors import VLMError

    settings = load_settings()
    try:
        img = Image.open(image)
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        fail(f"cannot read {image} as an image: {exc}")
    ocr = settings.ocr_languages if settings.vlm_backend == "extractive" else None
    request = VisionRequest(question, [crop_from_image(img, ocr)], grounding=grounding)
    try:
        backend = backend_from_settings(settings)
        (result,) = backend.answer([request])
    except (VLMError, ImportError, OSError, ValueError) as exc:
        fail(str(exc))
    frame = request.crops[0].frame
    boxes = [frame.page_to_pixel(b).as_list(1) for _, b in result.page_boxes(request)]
    payload = {"backend": settings.vlm_backend, "answer": result.text, "answerable": result.answerable,
               "boxes_px": boxes, "raw": result.raw}
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        typer.echo(f"{result.text}\n(answerable={result.answerable}; boxes in image pixels: {boxes})")

"""Evaluation items from disk: our JSONL of ``EvalItem`` records, or a K-DTCBench file.

:func:`load_items` reads

- JSONL (``.jsonl``/``.json``): one :class:`~vlm.synth.records.EvalItem` per line, or
  K-DTCBench's flat fields (``index, question, choice_a..choice_d, answer, category, image``);
- TSV (``.tsv``, the VLMEvalKit layout of K-DTCBench): the same flat fields as columns.

An item's ``image`` is a path relative to the data file's folder (made absolute here), an
absolute path, or the image itself as base64 (optionally a ``data:`` URL), as K-DTCBench's TSV
carries it. :func:`open_image` turns either into a PIL image. Every bad record raises
:class:`~vlm.synth.records.RecordError` naming the file and line.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from vlm.synth.records import EvalItem, RecordError, eval_item_from_json, read_jsonl

_BASE64_RE = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_DATA_URL_RE = re.compile(r"^data:image/[\w.+-]+;base64,", re.IGNORECASE)
MIN_BASE64_CHARS = 64  # shorter strings are names, not images


def _is_file(ref: str) -> bool:
    try:
        return Path(ref).is_file()
    except OSError:  # a name too long for the file system
        return False


def is_inline_image(ref: str) -> bool:
    """True when ``ref`` is an image written out as base64 (or a base64 ``data:`` URL): long,
    of base64's alphabet only (a JPEG's starts with ``/9j/``), and not a file's name."""
    if _DATA_URL_RE.match(ref):
        return True
    return (len(ref) >= MIN_BASE64_CHARS and bool(_BASE64_RE.match(ref[:4096]))
            and not _is_file(ref))


def open_image(ref: str) -> Image.Image:
    """The image ``ref`` names (a file path) or holds (base64), loaded and in RGB."""
    try:
        if is_inline_image(ref):
            data = base64.b64decode(_DATA_URL_RE.sub("", ref), validate=False)
            img = Image.open(io.BytesIO(data))
        else:
            img = Image.open(ref)
        img.load()
    except (OSError, UnidentifiedImageError, binascii.Error, ValueError) as exc:
        shown = ref if len(ref) < 120 else ref[:40] + "..."
        raise RecordError(f"cannot read the image {shown}: {exc}") from exc
    return img.convert("RGB")


def _resolve(item: EvalItem, folder: Path, where: str) -> EvalItem:
    ref = item.image
    if not ref or is_inline_image(ref):
        return item
    path = Path(ref) if Path(ref).is_absolute() else folder / ref
    if not path.is_file():
        raise RecordError(f"{where}.image: no such file {path}")
    item.image = str(path)
    return item


def _flat(obj: dict[str, Any]) -> dict[str, Any]:
    """K-DTCBench's fields as the record reader expects them (answer letter upper-cased)."""
    if "choice_a" in obj and isinstance(obj.get("answer"), str):
        obj = {**obj, "answer": obj["answer"].strip().upper()}
    return obj


def _tsv_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    csv.field_size_limit(sys.maxsize)  # base64 images are long fields
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        for i, row in enumerate(reader, 2):
            lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
            if "choice_a" not in lowered:  # VLMEvalKit names the options A..D
                for letter in "abcd":
                    if letter in lowered:
                        lowered[f"choice_{letter}"] = lowered.pop(letter)
            yield f"{path}:{i}", lowered


def iter_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` per record of a JSONL or TSV file (by its suffix)."""
    if path.suffix.lower() == ".tsv":
        yield from _tsv_rows(path)
    else:
        yield from read_jsonl(path)


def load_items(path: Path, limit: int | None = None) -> list[EvalItem]:
    """The items of ``path`` (see the module docstring), at most ``limit`` of them.

    Raises ``FileNotFoundError`` for a missing file and ``RecordError`` for a bad record.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    items: list[EvalItem] = []
    for where, obj in iter_records(path):
        if limit is not None and len(items) >= limit:
            break
        if not isinstance(obj, dict):
            raise RecordError(f"{where}: expected a JSON object")
        try:
            item = eval_item_from_json(_flat(obj), where)
        except (TypeError, AttributeError) as exc:  # a field of the wrong type
            raise RecordError(f"{where}: malformed record ({exc})") from exc
        items.append(_resolve(item, path.parent, where))
    return items

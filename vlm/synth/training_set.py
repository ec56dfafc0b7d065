"""Training and evaluation data for the four VARCO-VISION stages, from the one generator.

:func:`build_training_set` renders ``n_documents`` documents (page + paragraph, table and
chart crops; some English, some scanned) and writes under ``out/``:

- ``images/``: PNG, or JPEG for scans, named by record id;
- ``captions.jsonl`` (stage 1), ``instruct.jsonl`` (qa + mcq), ``ocr.jsonl``,
  ``grounding.jsonl`` (grounding + referring), ``text.jsonl`` (text only) for stage 2;
  ``pages_hr.jsonl`` (OCR and questions on whole pages) for stage 3;
  ``preference.jsonl`` (``Preference``) for stage 4;
- ``eval.jsonl``: ``EvalItem`` records of held-out documents: their random streams are
  keyed by split, so no training seed ever draws an evaluation document;
- ``manifest.json``: the arguments, the count per file and a SHA-256 of the JSONL files.

Everything is a function of the arguments: every document draws from its own
``random.Random`` keyed by (split, seed, index), so one document's records do not depend on
how many others were asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from pathlib import Path
from typing import Any

from vlm.synth.documents import Document, make_document
from vlm.synth.evalset import eval_items
from vlm.synth.mcq import make_mcq, mcq_conversation, owner_mcq
from vlm.synth.preference import Rejections, preference
from vlm.synth.questions import QA, questions_for
from vlm.synth.records import write_jsonl
from vlm.synth.rendered import Rendered
from vlm.synth.tasks import (
    caption,
    grounding_conversations,
    image_ref,
    ocr_conversation,
    qa_conversations,
    referring_conversations,
)
from vlm.synth.text_tasks import arithmetic_sample, paragraph_sample, table_sample

FILES = ("captions.jsonl", "instruct.jsonl", "ocr.jsonl", "grounding.jsonl", "text.jsonl",
         "pages_hr.jsonl", "preference.jsonl", "eval.jsonl")
CROPS = ("document", "table", "chart")
PNG_LEVEL = 3  # zlib level: a third of the time of the default for a few percent more bytes


def document_rng(split: str, seed: int, index: int) -> random.Random:
    return random.Random(f"docagent-synth/{split}/{seed}/{index}")


def draw_document(split: str, seed: int, index: int, *, scan_fraction: float,
                  english_fraction: float) -> tuple[Document, random.Random]:
    """Document ``index`` of a split, and its random stream (records draw from it next)."""
    rng = document_rng(split, seed, index)
    lang = "en" if rng.random() < english_fraction else "ko"
    scan = rng.random() < scan_fraction
    prefix = "s" if split == "train" else "e"
    return make_document(f"{prefix}{seed}-{index:04d}", rng, lang=lang, scan=scan), rng


def image_bytes(r: Rendered) -> bytes:
    if r.encoded is not None:
        return r.encoded
    buf = io.BytesIO()
    r.image.save(buf, format="PNG", compress_level=PNG_LEVEL)
    return buf.getvalue()


def write_images(doc: Document, out: Path) -> list[str]:
    """Write the document's images; their paths relative to ``out``."""
    refs = [image_ref(r) for r in doc.parts.values()]
    for r, ref in zip(doc.parts.values(), refs, strict=True):
        (out / ref).write_bytes(image_bytes(r))
    return refs


def remove_stale_images(out: Path, keep: set[str]) -> None:
    """Images of an earlier run into the same folder that this run did not write."""
    for path in (out / "images").iterdir():
        if path.suffix in (".png", ".jpg") and f"images/{path.name}" not in keep:
            path.unlink()


def document_records(doc: Document, rng: random.Random, rejections: Rejections
                     ) -> dict[str, list[Any]]:
    """Every training record of one document, by the file it goes to."""
    recs: dict[str, list[Any]] = {name: [] for name in FILES}
    page = doc.parts["page"]
    recs["captions.jsonl"] = [caption(r, rng) for r in doc.parts.values()]
    by_part: dict[str, list[QA]] = {}
    for part in CROPS:
        r = doc.parts[part]
        qas = by_part[part] = questions_for(r, rng)
        recs["instruct.jsonl"] += qa_conversations(r, qas, rng)
        mcqs = [make_mcq(qa, r, rng) for qa in rng.sample(qas, len(qas))]
        if part == "document":
            mcqs.insert(rng.randint(0, len(mcqs)), owner_mcq(r, rng))
        recs["instruct.jsonl"] += [mcq_conversation(r, m, 0)
                                   for m in [m for m in mcqs if m is not None][:1]]
        recs["ocr.jsonl"].append(ocr_conversation(r))
        recs["grounding.jsonl"] += grounding_conversations(r, rng)
        recs["grounding.jsonl"] += referring_conversations(r, rng)
        for qa in rng.sample(qas, len(qas)):
            pair = preference(r, qa, rejections.kind, rng, rejections.n)
            if pair is not None:
                recs["preference.jsonl"].append(pair)
                rejections.advance()
                break
    recs["text.jsonl"] = _text_samples(doc, by_part)
    page_qas = questions_for(page, rng)
    picks = [rng.choice([q for q in page_qas if q.category == c]) for c in CROPS]
    recs["pages_hr.jsonl"] = [ocr_conversation(page), *qa_conversations(page, picks, rng)]
    return recs


def _text_samples(doc: Document, by_part: dict[str, list[QA]]) -> list[Any]:
    table = doc.parts["table"].layout.table
    assert table is not None
    lang, base = doc.meta.lang, doc.meta.id
    out = [paragraph_sample(f"{base}-text-0", doc.content, by_part["document"][0])]
    steps = [q for q in by_part["table"] if q.kind in ("pct", "diff")]
    out.append(arithmetic_sample(f"{base}-text-1", table, steps[0], lang))
    over = [q for q in by_part["table"] if q.kind in ("sum", "max", "min")] or by_part["table"]
    out.append(table_sample(f"{base}-text-2", table, over[0], lang))
    return [s for s in out if s is not None]


def build_training_set(out: Path, n_documents: int = 24, seed: int = 0, *,
                       scan_fraction: float = 0.3, english_fraction: float = 0.2,
                       eval_documents: int | None = None) -> dict[str, Any]:
    """Write the data set under ``out`` (see the module docstring); returns the manifest.

    ``eval_documents`` held-out documents feed ``eval.jsonl`` (default: a quarter of
    ``n_documents``, at least 2).
    """
    if n_documents < 1:
        raise ValueError(f"n_documents must be at least 1, got {n_documents}")
    if not (0.0 <= scan_fraction <= 1.0 and 0.0 <= english_fraction <= 1.0):
        raise ValueError("scan_fraction and english_fraction must lie in [0, 1]")
    n_eval = max(2, n_documents // 4) if eval_documents is None else eval_documents
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    records: dict[str, list[Any]] = {name: [] for name in FILES}
    rejections = Rejections()
    written: set[str] = set()
    for split, count in (("train", n_documents), ("eval", n_eval)):
        for i in range(count):
            doc, rng = draw_document(split, seed, i, scan_fraction=scan_fraction,
                                     english_fraction=english_fraction)
            written.update(write_images(doc, out))
            if split == "eval":
                records["eval.jsonl"] += eval_items(doc, rng)
                continue
            for name, recs in document_records(doc, rng, rejections).items():
                records[name] += recs
    remove_stale_images(out, written)
    counts = {name: write_jsonl(out / name, records[name]) for name in FILES}
    manifest = {"seed": seed, "n_documents": n_documents, "eval_documents": n_eval,
                "scan_fraction": scan_fraction, "english_fraction": english_fraction,
                "images": len(written), "counts": counts, "sha256": content_hash(out)}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return manifest


def content_hash(out: Path) -> str:
    """SHA-256 over the JSONL files, each as its name and bytes, in ``FILES`` order."""
    h = hashlib.sha256()
    for name in FILES:
        h.update(name.encode() + b"\0" + (out / name).read_bytes() + b"\0")
    return h.hexdigest()

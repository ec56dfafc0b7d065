"""Evaluation items (``records.EvalItem``) from a rendered document of the held-out split.

Per crop, K-DTCBench's shape: two four-option questions (categories document, table,
chart). Beside them what the benchmark lacks: open questions with exact answers (``qa``),
numeric chart questions (``chart_qa``), a grounding box per crop and the OCR words of the
paragraph and table crops. Questions carry no task token: the evaluator asks them with the
prompt its task needs (``<gro>``, ``<ocr>``, the choices).
"""

from __future__ import annotations

import random
from typing import Any

from indexing.geometry import Box
from vlm.synth.documents import Document
from vlm.synth.mcq import make_mcq, mcq_eval, owner_mcq
from vlm.synth.questions import NUMBER_RE, QA, questions_for
from vlm.synth.records import EvalItem
from vlm.synth.rendered import Rendered
from vlm.synth.tasks import grounding_targets, image_ref, ocr_items

MCQ_PER_IMAGE = 2


def norm_list(box: Box) -> list[float]:
    return [round(min(max(v, 0.0), 1.0), 3) for v in (box.x0, box.y0, box.x1, box.y1)]


def answers(qa: QA) -> list[str]:
    """Every accepted form: as written, the number alone, the number without commas."""
    out = [qa.short]
    if qa.numeric and (m := NUMBER_RE.search(qa.short)):
        out += [m.group(), m.group().replace(",", "")]
    return list(dict.fromkeys(out))


def _item(r: Rendered, task: str, k: int, question: str, **fields: Any) -> EvalItem:
    return EvalItem(f"{r.id}-{task}-{k}", task, question, image_ref(r), r.category, **fields)


def crop_items(r: Rendered, rng: random.Random) -> list[EvalItem]:
    qas = questions_for(r, rng)
    out: list[EvalItem] = []
    candidates = [make_mcq(qa, r, rng) for qa in rng.sample(qas, len(qas))]
    if r.part == "document":
        candidates.append(owner_mcq(r, rng))
    mcqs = [m for m in candidates if m is not None][:MCQ_PER_IMAGE]
    out += [mcq_eval(r, m, k) for k, m in enumerate(mcqs)]
    for k, qa in enumerate(qas):
        accepted = answers(qa)
        if qa.category == "chart" and qa.numeric:  # the bare number, as ChartQA scores it
            out.append(_item(r, "chart_qa", k, qa.question, answer=accepted[-1],
                             answers=accepted))
        else:
            out.append(_item(r, "qa", k, qa.question, answer=accepted[0], answers=accepted))
    for k, (instruction, target, _kind) in enumerate(grounding_targets(r, rng)):
        out.append(_item(r, "grounding", k, instruction, answer=target.text,
                         answers=[target.text], bbox=norm_list(target.box)))
    if r.part in ("document", "table"):
        words = [{"text": w.text, "bbox": norm_list(w.box)} for w in ocr_items(r)]
        out.append(_item(r, "ocr", 0, "", words=words))
    return out


def eval_items(doc: Document, rng: random.Random) -> list[EvalItem]:
    """The items of the document's three crops."""
    return [item for part in ("document", "table", "chart")
            for item in crop_items(doc.parts[part], rng)]

"""Run evaluation items through any backend, in batches, and score them into a report.

:func:`evaluate` takes items (see :func:`vlm.eval.data.load_items`) and a backend from
``vlm.backends.get_backend``; :func:`evaluate_file` loads a file first. Items are asked
``batch_size`` at a time (one ``backend.answer`` call per batch; an mcq item in circular mode
asks four requests). Identical requests in a batch are sent once: the extractive backend,
which is asked mcq questions without their options, gets one request for all four rotations.
How each task is asked and read is in :mod:`vlm.eval.tasks`; the crops are built by
:class:`vlm.eval.reading.CropReader`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vlm.backends.base import CropInput, GroundedAnswer, VisionRequest, VLMBackend
from vlm.eval import metrics, tasks
from vlm.eval.data import load_items
from vlm.eval.reading import CropReader
from vlm.eval.report import EvalReport, ItemScore, aggregate
from vlm.parsing import parse_ocr
from vlm.synth.records import EvalItem

ProgressFn = Callable[[int, int], None]
TEXT_READING_BACKENDS = ("extractive",)
"""Backends that answer from a crop's text, words and table rather than its pixels."""

MAX_NEW_TOKENS = {"mcq": 16, "qa": 128, "chart_qa": 128, "grounding": 256, "ocr": 1024}
"""Tokens each task's request asks for; a backend caps them at its own ``max_new_tokens``."""
REPLY_CHARS = 300  # how much of a reply a report keeps


@dataclass(slots=True)
class EvalOptions:
    """How to run: ``circular`` reruns mcq with rotated options; ``grounding_qa`` asks open
    questions with ``<gro>``; ``options_in_prompt`` lists mcq options in the prompt (None: yes,
    except for a text-reading backend, which answers the bare question and is scored by option
    text); ``ocr_languages`` for the text-reading backend's OCR."""

    circular: bool = False
    batch_size: int = 8
    grounding_qa: bool = False
    options_in_prompt: bool | None = None
    ocr_languages: str = "kor+eng"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"EvalOptions.batch_size: must be at least 1, got {self.batch_size}")


def requests_for(item: EvalItem, crop: CropInput, options: EvalOptions,
                 with_options: bool) -> list[VisionRequest]:
    """The requests an item asks (for mcq, one per rotation), in rotation order."""
    limit = MAX_NEW_TOKENS.get(item.task, 128)
    question = tasks.bare_question(item.question)
    match item.task:
        case "mcq":
            rotations = range(len(item.choices)) if options.circular else range(1)
            return [VisionRequest(tasks.mcq_question(question, tasks.rotate(item.choices, r),
                                                     with_options), [crop], False, limit)
                    for r in rotations]
        case "grounding":
            return [VisionRequest(question, [crop], True, limit)]
        case "ocr":
            return [VisionRequest(tasks.OCR_QUESTION, [crop], False, limit)]
        case _:
            return [VisionRequest(question, [crop], options.grounding_qa, limit)]


def _golds(item: EvalItem) -> list[str]:
    return list(item.answers) or ([item.answer] if item.answer else [])


def _score_mcq(item: EvalItem, answers: Sequence[GroundedAnswer], circular: bool,
               reads_text: bool) -> ItemScore:
    letters = []
    for r, ans in enumerate(answers):
        shown = tasks.mcq_choice(ans, tasks.rotate(item.choices, r))
        letters.append(tasks.LETTERS[(shown + r) % len(item.choices)] if shown is not None else "")
    scores = {"accuracy": float(letters[0] == item.answer)}
    if not reads_text:  # format: the reply names a letter itself (not found from option text)
        scores["format"] = float(tasks.parse_letter(answers[0].raw or answers[0].text) is not None)
    if circular:
        scores["circular_accuracy"] = float(all(x == item.answer for x in letters))
    return ItemScore(item.id, item.task, item.category or "-", item.answer, letters[0], scores,
                     answers[0].text[:REPLY_CHARS], letters if circular else [])


def _score_open(item: EvalItem, answer: GroundedAnswer) -> dict[str, float]:
    pred, golds = tasks.open_prediction(answer), _golds(item)
    scores = {"exact_match": metrics.exact_match(pred, golds), "anls": metrics.anls(pred, golds)}
    if item.task == "chart_qa":
        scores = {"relaxed_accuracy": metrics.relaxed_accuracy(pred, golds), **scores}
    return scores


def _score_ocr(item: EvalItem, answer: GroundedAnswer, crop: CropInput,
               reads_text: bool) -> tuple[dict[str, float], str, str]:
    pred = tasks.ocr_prediction(answer, crop, reads_text)
    gold = tasks.gold_words(item.words)
    prf = metrics.word_f1([t for t, _ in pred], [t for t, _ in gold])
    boxed = metrics.word_f1_boxes(pred, gold)
    scores = {"precision": prf.precision, "recall": prf.recall, "f1": prf.f1, "f1_box": boxed.f1}
    return scores, " ".join(t for t, _ in gold), " ".join(t for t, _ in pred)


def _box_text(box: Sequence[float] | None) -> str:
    return str([round(float(v), 3) for v in box]) if box else ""


def score_item(item: EvalItem, answers: Sequence[GroundedAnswer], crop: CropInput,
               reads_text: bool, circular: bool) -> ItemScore:
    """Score one item from its answers (one per request of :func:`requests_for`)."""
    if item.task == "mcq":
        return _score_mcq(item, answers, circular, reads_text)
    answer = answers[0]
    reply = (answer.raw or answer.text)[:REPLY_CHARS]
    category = item.category or "-"
    if item.task == "grounding":
        box = tasks.first_box(answer)
        iou = metrics.box_iou(box, item.bbox)
        return ItemScore(item.id, item.task, category, _box_text(item.bbox), _box_text(box),
                         {"iou": iou, "acc@0.5": float(iou >= metrics.IOU_THRESHOLD),
                          "format": float(box is not None)}, reply)
    if item.task == "ocr":
        scores, gold, pred = _score_ocr(item, answer, crop, reads_text)
        if not reads_text:  # format: the reply holds <char>…</char><bbox>…</bbox> lines
            scores["format"] = float(any(s.boxes for s in parse_ocr(answer.raw or answer.text)))
        return ItemScore(item.id, item.task, category, gold, pred, scores,
                         "" if reads_text else reply)  # a text reader's words are its crop's
    return ItemScore(item.id, item.task, category, " | ".join(_golds(item)),
                     tasks.open_prediction(answer), _score_open(item, answer), reply)


def _answer_unique(backend: VLMBackend, requests: list[VisionRequest]) -> list[GroundedAnswer]:
    """Answers for ``requests``, asking each distinct one once."""
    keys = [(id(r.crops[0]) if r.crops else 0, r.question, r.grounding, r.max_new_tokens)
            for r in requests]
    index: dict[tuple, int] = {}
    unique: list[VisionRequest] = []
    for key, request in zip(keys, requests, strict=True):
        if key not in index:
            index[key] = len(unique)
            unique.append(request)
    answers = backend.answer(unique)
    if len(answers) != len(unique):
        raise ValueError(f"backend {backend.name!r} gave {len(answers)} answers to {len(unique)} requests")
    return [answers[index[k]] for k in keys]


def _run_batch(batch: Sequence[EvalItem], backend: VLMBackend, reader: CropReader,
               options: EvalOptions, with_options: bool) -> list[ItemScore]:
    crops = [reader.crop(it.image, it.category) for it in batch]
    per_item = [requests_for(it, c, options, with_options) for it, c in zip(batch, crops, strict=True)]
    answers = _answer_unique(backend, [r for reqs in per_item for r in reqs])
    out, pos = [], 0
    for item, crop, reqs in zip(batch, crops, per_item, strict=True):
        out.append(score_item(item, answers[pos:pos + len(reqs)], crop, reader.read_text,
                              options.circular))
        pos += len(reqs)
    return out


def evaluate(items: Sequence[EvalItem], backend: VLMBackend, options: EvalOptions | None = None,
             progress: ProgressFn | None = None, data: str = "") -> EvalReport:
    """Ask every item, score it, and aggregate per task and category."""
    options = options or EvalOptions()
    reads_text = backend.name in TEXT_READING_BACKENDS
    with_options = options.options_in_prompt if options.options_in_prompt is not None else not reads_text
    reader = CropReader(reads_text, options.ocr_languages)
    start = time.perf_counter()
    scored: list[ItemScore] = []
    for i in range(0, len(items), options.batch_size):
        scored.extend(_run_batch(items[i:i + options.batch_size], backend, reader, options,
                                 with_options))
        if progress is not None:
            progress(len(scored), len(items))
    task_rows, category_rows = aggregate(scored, options.circular)
    return EvalReport(backend.name, data, options.circular, time.perf_counter() - start, scored,
                      task_rows, category_rows)


def evaluate_file(path: Path, backend: VLMBackend, options: EvalOptions | None = None,
                  limit: int | None = None, progress: ProgressFn | None = None) -> EvalReport:
    """:func:`evaluate` on the items of a JSONL or TSV file (at most ``limit``)."""
    return evaluate(load_items(path, limit), backend, options, progress, data=str(path))

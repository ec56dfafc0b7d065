"""The records the synthetic data is written as, and read back by training and evaluation.

Three kinds, one JSON object per line, image paths relative to the JSONL file's folder:

- :class:`Conversation` (stages 1-3): LLaVA-style ``conversations`` of ``human``/``gpt`` turns;
  a human turn that shows the image starts with ``<image>\\n``. ``image`` is ``None`` for a
  text-only sample. ``task`` is one of :data:`TASKS`.
- :class:`Preference` (stage 4): the ``prompt`` turns (ending with a human turn), the
  ``chosen`` and ``rejected`` replies, and why the rejected one is wrong (:data:`REJECTIONS`).
- :class:`EvalItem` (``vlm.eval``): a question with its gold: K-DTCBench-style multiple choice
  (``choices`` A-D, ``answer`` a letter), an open answer (``answers``), a grounding box
  (``bbox``), or OCR words (``words``, each text with its box). Boxes are ``[x1, y1, x2, y2]``
  normalised to the image, as VARCO writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

TASKS = ("caption", "qa", "ocr", "grounding", "referring", "mcq", "text")
REJECTIONS = ("wrong_number", "unsupported_claim", "dropped_box", "format")
EVAL_TASKS = ("mcq", "qa", "chart_qa", "grounding", "ocr")
CATEGORIES = ("document", "table", "chart")
Role = Literal["human", "gpt"]
NormBox = list[float]


class RecordError(ValueError):
    """A record that does not follow the format; the message names the file, line and field."""


@dataclass(slots=True)
class Turn:
    role: Role  # written as "from"
    value: str

    def to_json(self) -> dict[str, str]:
        return {"from": self.role, "value": self.value}


@dataclass(slots=True)
class Conversation:
    id: str
    task: str
    turns: list[Turn]
    image: str | None = None
    source: str = ""  # the generator that made it (mixture weights are per source)
    category: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "task": self.task, "source": self.source, "category": self.category,
                "image": self.image, "conversations": [t.to_json() for t in self.turns]}


@dataclass(slots=True)
class Preference:
    id: str
    prompt: list[Turn]
    chosen: str
    rejected: str
    rejection: str
    image: str | None = None
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "image": self.image,
                "prompt": [t.to_json() for t in self.prompt], "chosen": self.chosen,
                "rejected": self.rejected, "rejection": self.rejection}


@dataclass(slots=True)
class EvalItem:
    id: str
    task: str
    question: str
    image: str | None = None
    category: str = ""
    choices: list[str] = field(default_factory=list)  # mcq: the four options, A..D
    answer: str = ""  # mcq: "A".."D"; open: the first gold answer
    answers: list[str] = field(default_factory=list)  # open: every accepted answer
    bbox: NormBox | None = None  # grounding gold
    words: list[dict[str, Any]] = field(default_factory=list)  # ocr gold: {"text", "bbox"}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _turns(raw: Any, where: str) -> list[Turn]:
    if not isinstance(raw, list) or not raw:
        raise RecordError(f"{where}: expected a non-empty list of turns")
    out: list[Turn] = []
    for i, t in enumerate(raw):
        role, value = (t or {}).get("from"), (t or {}).get("value")
        if role not in ("human", "gpt") or not isinstance(value, str):
            raise RecordError(f"{where}[{i}]: a turn needs 'from' (human|gpt) and a string 'value'")
        out.append(Turn(role, value))
    return out


def conversation_from_json(obj: dict[str, Any], where: str = "record") -> Conversation:
    task = obj.get("task", "qa")
    if task not in TASKS:
        raise RecordError(f"{where}.task: {task!r} is not one of {', '.join(TASKS)}")
    turns = _turns(obj.get("conversations"), f"{where}.conversations")
    if turns[-1].role != "gpt":
        raise RecordError(f"{where}.conversations: the last turn must be the assistant's (gpt)")
    return Conversation(id=str(obj.get("id", "")), task=task, turns=turns, image=obj.get("image"),
                        source=obj.get("source", ""), category=obj.get("category", ""))


def preference_from_json(obj: dict[str, Any], where: str = "record") -> Preference:
    prompt = _turns(obj.get("prompt"), f"{where}.prompt")
    if prompt[-1].role != "human":
        raise RecordError(f"{where}.prompt: the last turn must be the user's (human)")
    for key in ("chosen", "rejected"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise RecordError(f"{where}.{key}: expected a non-empty string")
    rejection = obj.get("rejection", "")
    if rejection not in REJECTIONS:
        raise RecordError(f"{where}.rejection: {rejection!r} is not one of {', '.join(REJECTIONS)}")
    return Preference(id=str(obj.get("id", "")), prompt=prompt, chosen=obj["chosen"],
                      rejected=obj["rejected"], rejection=rejection, image=obj.get("image"),
                      source=obj.get("source", ""))


def eval_item_from_json(obj: dict[str, Any], where: str = "record") -> EvalItem:
    """An evaluation item; K-DTCBench's flat fields (``choice_a``..``choice_d``, ``index``) too."""
    if "choice_a" in obj:  # K-DTCBench layout
        obj = {**obj, "task": "mcq", "id": str(obj.get("index", obj.get("id", ""))),
               "choices": [str(obj.get(f"choice_{c}", "")) for c in "abcd"]}
    task = obj.get("task", "")
    if task not in EVAL_TASKS:
        raise RecordError(f"{where}.task: {task!r} is not one of {', '.join(EVAL_TASKS)}")
    if task == "mcq" and (len(obj.get("choices", [])) != 4 or obj.get("answer") not in tuple("ABCD")):
        raise RecordError(f"{where}: a multiple-choice item needs four choices and an answer A-D")
    known = set(EvalItem.__slots__)  # type: ignore[attr-defined]
    fields = {k: v for k, v in obj.items() if k in known}
    fields["id"] = str(fields.get("id", ""))
    if task != "mcq" and not fields.get("answers") and fields.get("answer"):
        fields["answers"] = [fields["answer"]]
    return EvalItem(**fields)


def write_jsonl(path: Path, records: Iterable[Any]) -> int:
    """Write records (anything with ``to_json`` or a dict) one per line; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            obj = rec.to_json() if hasattr(rec, "to_json") else rec
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` per non-empty line; ``where`` is ``file:line`` for error messages."""
    with Path(path).open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{i}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"{where}: not JSON ({exc.msg})") from exc

"""The evaluation report: one score row per item, aggregated per task and per category.

Each task has a primary metric (:data:`PRIMARY`); an item whose primary score is below 1 is a
failure. Multiple choice aggregates through :func:`~vlm.eval.metrics.accuracy_by_category`
and :func:`~vlm.eval.metrics.circular_accuracy_by_category`; every other metric is the mean
of the items' scores.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from vlm.eval.metrics import ALL, accuracy_by_category, circular_accuracy_by_category

PRIMARY = {"mcq": "accuracy", "qa": "exact_match", "chart_qa": "relaxed_accuracy",
           "grounding": "acc@0.5", "ocr": "f1"}
"""The metric that decides whether an item failed; with ``circular``, mcq's is
``circular_accuracy``."""


@dataclass(slots=True)
class ItemScore:
    """One item's prediction and scores (``category`` is ``"-"`` for none). ``rotations``: for mcq, the option letter (in the
    item's own lettering, ``""`` for none) picked in each rotation, the unrotated first."""

    id: str
    task: str
    category: str
    gold: str
    prediction: str
    scores: dict[str, float]
    reply: str = ""
    rotations: list[str] = field(default_factory=list)

    def primary(self, circular: bool = False) -> float:
        key = "circular_accuracy" if circular and self.task == "mcq" else PRIMARY[self.task]
        return self.scores.get(key, 0.0)


@dataclass(slots=True)
class MetricRow:
    """Scores of one task over ``n`` items, all of them (``category == "all"``) or one
    category's."""

    task: str
    category: str
    n: int
    metrics: dict[str, float]


@dataclass(slots=True)
class EvalReport:
    backend: str
    data: str
    circular: bool
    seconds: float
    items: list[ItemScore]
    tasks: list[MetricRow] = field(default_factory=list)
    categories: list[MetricRow] = field(default_factory=list)

    @property
    def failures(self) -> list[ItemScore]:
        return [it for it in self.items if it.primary(self.circular) < 1.0]

    def row(self, task: str, category: str = ALL) -> MetricRow | None:
        rows = self.tasks if category == ALL else self.categories
        return next((r for r in rows if r.task == task and r.category == category), None)

    def to_json(self, with_items: bool = False) -> dict[str, Any]:
        """The report as plain data: totals, per task, per category and the failures."""
        out: dict[str, Any] = {
            "backend": self.backend, "data": self.data, "circular": self.circular,
            "seconds": round(self.seconds, 3), "n": len(self.items),
            "tasks": [asdict(r) for r in self.tasks],
            "categories": [asdict(r) for r in self.categories],
            "failures": [_failure(it) for it in self.failures],
        }
        if with_items:
            out["items"] = [asdict(it) for it in self.items]
        return out


def _failure(item: ItemScore) -> dict[str, Any]:
    return {"id": item.id, "task": item.task, "category": item.category, "gold": item.gold,
            "prediction": item.prediction, "reply": item.reply, "rotations": item.rotations}


def _means(items: list[ItemScore]) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for it in items:
        for key, value in it.scores.items():
            sums[key] += value
    return {k: v / len(items) for k, v in sums.items()}


def _mcq_metrics(items: list[ItemScore], circular: bool) -> dict[str, dict[str, float]]:
    plain = accuracy_by_category((it.category, it.scores.get("accuracy", 0.0) == 1.0)
                                 for it in items)
    out = {cat: {"accuracy": v} for cat, v in plain.items()}
    fmt: dict[str, list[float]] = defaultdict(list)
    for it in items:
        if "format" in it.scores:
            fmt[it.category].append(it.scores["format"])
            fmt[ALL].append(it.scores["format"])
    for cat, vals in fmt.items():
        out.setdefault(cat, {})["format"] = sum(vals) / len(vals)
    if circular:
        rows = [(str(i), it.category, letter == it.gold)
                for i, it in enumerate(items) for letter in it.rotations]
        for cat, v in circular_accuracy_by_category(rows).items():
            out.setdefault(cat, {})["circular_accuracy"] = v
    return out


def aggregate(items: list[ItemScore], circular: bool) -> tuple[list[MetricRow], list[MetricRow]]:
    """``(per task, per task and category)`` rows, tasks and categories in first-seen order."""
    by_task: dict[str, list[ItemScore]] = defaultdict(list)
    for it in items:
        by_task[it.task].append(it)
    tasks: list[MetricRow] = []
    categories: list[MetricRow] = []
    for task, group in by_task.items():
        cats: dict[str, list[ItemScore]] = defaultdict(list)
        for it in group:
            cats[it.category].append(it)
        mcq = _mcq_metrics(group, circular) if task == "mcq" else {}
        tasks.append(MetricRow(task, ALL, len(group), mcq.get(ALL) or _means(group)))
        for cat, members in cats.items():
            metrics = mcq.get(cat) or _means(members)
            categories.append(MetricRow(task, cat, len(members), metrics))
    return tasks, categories

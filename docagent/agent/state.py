"""The agent's typed state: the plan, the evidence per sub-question, the readings, the steps.

Every node returns a partial update; ``steps`` accumulates (one record per node run) so that a
caller can stream them, and ``calls`` counts model calls against the budget.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, TypedDict

from docagent.agent.answer import Answer, Citation
from docagent.agent.arithmetic import Value


class Kind(StrEnum):
    FACT = "fact"                # a fact stated in a paragraph (or any one value)
    LOOKUP = "lookup"            # one table cell or chart point
    ARITHMETIC = "arithmetic"    # values combined: difference, sum, ratio, change, average
    EXTREME = "extreme"          # the largest / smallest of a series
    TREND = "trend"              # how a series moves
    COMPARE = "compare"          # one measure across documents or entities
    YESNO = "yesno"              # a claim checked against a value
    LIST = "list"                # the labels of a series


class Op(StrEnum):
    NONE = "none"
    DIFFERENCE = "difference"
    TOTAL = "total"
    AVERAGE = "average"
    RATIO = "ratio"
    PERCENT = "percent"
    MAX = "max"
    MIN = "min"
    RANK = "rank"
    TREND = "trend"
    ABOVE = "above"  # yes/no: the value is above a threshold
    BELOW = "below"


@dataclass(slots=True)
class SubQuestion:
    """One thing to find. ``series``: the whole row (or column) of a table or chart is needed,
    not one value; ``years`` then filters it. ``entity`` is who or what it is about, if named."""

    id: int
    text: str
    label: str = ""  # how the value is named in reasoning ("2023년", "서울특별시")
    entity: str = ""
    years: tuple[int, ...] = ()
    series: bool = False


@dataclass(slots=True)
class Plan:
    kind: Kind
    op: Op
    subs: list[SubQuestion]
    threshold: Value | None = None  # for yes/no against a number
    source: str = "rules"  # "rules" or "model"


@dataclass(slots=True)
class Reading:
    """What one sub-question found: its value(s), where, and whether the evidence held."""

    sub_id: int
    text: str = ""
    values: list[Value] = field(default_factory=list)  # one, or a series
    citations: list[Citation] = field(default_factory=list)
    crop_id: str = ""
    rule: str = ""
    supported: bool = False
    note: str = ""  # why it was given up, or how a value was read (printed vs geometry)
    # the other parts of a table that crosses pages, each cited whole on its own page
    parts: list[Citation] = field(default_factory=list)


@dataclass(slots=True)
class Step:
    node: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"node": self.node, "summary": self.summary, "detail": self.detail}


class AgentState(TypedDict, total=False):
    question: str
    k: int
    plan: Plan
    candidates: dict[int, list]  # sub id -> [Candidate] of this round, best first
    tried: dict[int, list[str]]  # sub id -> crop ids read already
    proposals: dict[int, list[Reading]]  # sub id -> readings of this round, best first
    readings: dict[int, Reading]
    attempts: int  # read -> verify rounds so far
    calls: int  # model calls so far
    replanned: bool  # the plan found nothing and the question is now asked as one lookup
    steps: Annotated[list[Step], operator.add]
    answer: Answer

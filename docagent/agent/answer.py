"""The answer object of the contract (CLI ``ask --json``, REST query): answer, reasoning, citations.

``page`` is 1-based; ``bbox`` is ``[x0, y0, x1, y1]`` in the page's own points (origin top
left), with ``page_size`` so that a client can normalise. Fields may be added, never renamed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class Citation:
    document_id: str
    filename: str
    page: int
    bbox: list[float]
    page_size: list[float]
    crop_id: str
    kind: str
    quote: str

    def key(self) -> tuple:
        return (self.crop_id, tuple(round(v, 1) for v in self.bbox))


@dataclass(slots=True)
class Answer:
    answer: str
    reasoning: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    answerable: bool = True
    # Added fields: the question kind the plan chose, and why an answer was refused.
    kind: str = ""
    reason: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def refusal(reason: str, reasoning: list[str] | None = None, kind: str = "") -> Answer:
    """``answerable: false`` with the reason as the answer text: never a guess."""
    return Answer(answer=reason, reasoning=list(reasoning or []) + [reason], citations=[],
                  answerable=False, kind=kind, reason=reason)

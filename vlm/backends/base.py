"""The one interface every VLM backend speaks.

A backend answers questions about crops (``answer``, batched, with grounding) and completes
text-only prompts for planning and synthesis (``complete``, batched). Boxes in answers are
normalised to the crop image they refer to (``Space.NORM``); ``GroundedAnswer.page_boxes``
maps them to page points through each crop's ``CropFrame`` when one was given.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from PIL import Image

from indexing.geometry import Box, CropFrame, Space
from indexing.model import Table, Word


@dataclass(slots=True)
class CropInput:
    """One crop shown to the model.

    ``image`` is what a real VLM sees. ``text``, ``words`` (page-space boxes) and ``table``
    are what the crop's text layer or OCR read; the extractive backend answers from them and
    the others may ignore them. ``frame`` places the crop on its page.
    """

    image: Image.Image | None = None
    text: str = ""
    words: list[Word] = field(default_factory=list)
    table: Table | None = None
    frame: CropFrame | None = None
    kind: str = "text"


@dataclass(slots=True)
class VisionRequest:
    question: str
    crops: list[CropInput]
    grounding: bool = True
    max_new_tokens: int = 128


@dataclass(slots=True)
class Evidence:
    """A grounded span: ``text`` located by ``boxes`` (normalised) in crop ``crop_index``."""

    text: str
    boxes: list[Box]
    crop_index: int = 0


@dataclass(slots=True)
class GroundedAnswer:
    text: str
    answerable: bool
    evidence: list[Evidence] = field(default_factory=list)
    raw: str = ""

    def page_boxes(self, request: VisionRequest) -> list[tuple[int, Box]]:
        """``(crop_index, box in page points)`` for every evidence box whose crop has a frame."""
        out: list[tuple[int, Box]] = []
        for ev in self.evidence:
            if not 0 <= ev.crop_index < len(request.crops):
                continue
            frame = request.crops[ev.crop_index].frame
            if frame is None:
                continue
            out.extend((ev.crop_index, frame.norm_to_page(b)) for b in ev.boxes if b.space == Space.NORM)
        return out


class VLMBackend(ABC):
    """A way to run the vision-language model (or to stand in for it)."""

    name: str = "base"

    @abstractmethod
    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        """Answer each request about its crops; one answer per request, in order."""

    @abstractmethod
    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        """Complete text-only prompts (planning, synthesis); one completion per prompt."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (engines, sessions). Safe to call twice."""

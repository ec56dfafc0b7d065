"""Parse VARCO-VISION's output: plain text, ``<char>``/``<obj>`` spans and their boxes.

The model writes spans like ``<obj>two cats</obj><bbox>0.014, 0.106, 0.51, 0.996<delim>0.51,
0.054, 0.996, 0.787</bbox>``. :func:`parse_output` turns a reply into a :class:`ParsedOutput`:
the text with every tag removed, and the spans in order, each with its boxes in ``Space.NORM``.
It never raises; malformed output is repaired or dropped by these rules:

- The reply ends at the first ``<|im_end|>`` / ``<|endoftext|>`` / ``<|im_start|>`` (a leading
  ``<|im_start|>assistant`` header is skipped); what follows is ignored.
- A ``<bbox>`` right after a ``<char>``/``<obj>`` span attaches to it; a bare ``<bbox>`` attaches
  to the plain text just before it (or, with only spaces in between, to the previous span).
- Unclosed tags close at the next tag that cannot nest or at the end; stray closing tags and
  stray ``<delim>`` are ignored; a label opened inside another closes the outer one; a
  ``<bbox>`` inside a ``<bbox>`` acts as ``<delim>``. ``<gro>``, ``<ocr>``, ``<image>`` vanish.
- A box needs exactly four plain decimal numbers (commas and/or spaces, brackets ignored);
  2/3/5 numbers, words, NaN or infinities drop that box only.
- Grid rule: if all four numbers are integers in [0, 1000] and at least one is above 1, the box
  is read on a 0–1000 grid and divided by 1000 (Qwen-style output). Otherwise every value is
  clipped to [0, 1] (pixel boxes, being above 1000, mostly collapse and are dropped).
- Corners are put in order; boxes narrower or lower than ``MIN_EXTENT`` are dropped.

:func:`parse_ocr` reads ``<ocr>`` output line by line; :func:`is_unanswerable` and
:func:`grounded_answer` turn a reply into the backends' ``GroundedAnswer``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from indexing.geometry import Box, Space

if TYPE_CHECKING:
    from vlm.backends.base import GroundedAnswer

SpanKind = Literal["char", "obj", "plain"]

MIN_EXTENT = 1e-6
"""Boxes with a width or height at or below this (normalised) are dropped as empty."""

_TAG_RE = re.compile(
    r"<\s*(/?)\s*(char|obj|bbox|delim|gro|ocr|image)\s*/?\s*>", re.IGNORECASE
)
_END_RE = re.compile(r"<\|(?:im_end|endoftext|im_start)\|>")
_HEADER_RE = re.compile(r"^\s*<\|im_start\|>\s*(?:assistant)?\s*\n?", re.IGNORECASE)
_NUMBER_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_DELIM_MARK = "\x00"  # stands for <delim> inside a box buffer


@dataclass(slots=True)
class Span:
    """A piece of the reply: ``<char>`` text, an ``<obj>``, or plain text; boxes are NORM."""

    text: str
    kind: SpanKind = "plain"
    boxes: list[Box] = field(default_factory=list)


@dataclass(slots=True)
class ParsedOutput:
    text: str
    spans: list[Span] = field(default_factory=list)

    @property
    def grounded(self) -> list[Span]:
        """The spans that carry at least one box."""
        return [s for s in self.spans if s.boxes]

    @property
    def boxes(self) -> list[Box]:
        return [b for s in self.spans for b in s.boxes]


def tidy(text: str) -> str:
    """Collapse runs of spaces, trim spaces around line breaks, keep at most one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\u00a0\u3000]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def parse_box(raw: str) -> Box | None:
    """One box from ``"x1, y1, x2, y2"``, repaired by the module's rules, or None."""
    fields = [f for f in re.split(r"[\s,;]+", re.sub(r"[\[\]()]", " ", raw)) if f]
    if len(fields) != 4 or not all(_NUMBER_RE.fullmatch(f) for f in fields):
        return None
    vals = [float(f) for f in fields]
    if not all(math.isfinite(v) for v in vals):
        return None
    if max(vals) > 1.0 and min(vals) >= 0.0 and max(vals) <= 1000.0 and all(
        v.is_integer() for v in vals
    ):
        vals = [v / 1000.0 for v in vals]
    x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) + 0.0 for v in vals)
    box = Box.from_corners(x0, y0, x1, y1, Space.NORM)
    if box.x1 - box.x0 <= MIN_EXTENT or box.y1 - box.y0 <= MIN_EXTENT:
        return None
    return box


def _trim(text: str) -> str:
    text = _HEADER_RE.sub("", text, count=1)
    end = _END_RE.search(text)
    return text[: end.start()] if end else text


class _Scanner:
    """Walks the reply's text and tags once, building spans (see the module's rules)."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.text_parts: list[str] = []
        self.plain: list[str] = []
        self.label: tuple[SpanKind, list[str]] | None = None
        self.bbox: list[str] | None = None
        self.bbox_target: Span | None = None
        self.last: Span | None = None

    def text(self, chunk: str) -> None:
        if self.bbox is not None:
            self.bbox.append(chunk)
            return
        self.text_parts.append(chunk)
        if self.label is not None:
            self.label[1].append(chunk)
        else:
            self.plain.append(chunk)

    def tag(self, name: str, closing: bool) -> None:
        if name in ("char", "obj"):
            self._close_bbox()
            self._close_label()
            if not closing:
                self._flush_plain()
                self.label = ("char" if name == "char" else "obj", [])
        elif name == "bbox":
            if closing:
                self._close_bbox()
            elif self.bbox is not None:
                self.bbox.append(_DELIM_MARK)
            else:
                self._open_bbox()
        elif name == "delim" and self.bbox is not None:
            self.bbox.append(_DELIM_MARK)
        # gro / ocr / image, and delim outside a box: dropped

    def finish(self) -> ParsedOutput:
        self._close_bbox()
        self._close_label()
        self._flush_plain()
        spans = [s for s in self.spans if s.text or s.boxes]
        return ParsedOutput(text=tidy("".join(self.text_parts)), spans=spans)

    def _flush_plain(self) -> Span | None:
        text = tidy("".join(self.plain))
        self.plain = []
        if not text:
            return None
        span = Span(text, "plain")
        self.spans.append(span)
        self.last = span
        return span

    def _close_label(self) -> None:
        if self.label is None:
            return
        kind, parts = self.label
        self.label = None
        span = Span(tidy("".join(parts)), kind)
        self.spans.append(span)
        self.last = span

    def _open_bbox(self) -> None:
        self._close_label()
        target = self._flush_plain()
        self.bbox_target = target if target is not None else self.last
        self.bbox = []

    def _close_bbox(self) -> None:
        if self.bbox is None:
            return
        groups = "".join(self.bbox).split(_DELIM_MARK)
        self.bbox = None
        boxes = [b for b in (parse_box(g) for g in groups) if b is not None]
        if not boxes:
            return
        target = self.bbox_target
        if target is None:
            target = Span("", "plain")
            self.spans.append(target)
            self.last = target
        target.boxes.extend(boxes)


def parse_output(text: str) -> ParsedOutput:
    """Parse one model reply; never raises (see the module docstring for the repair rules)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    scanner = _Scanner()
    pos = 0
    body = _trim(text)
    for m in _TAG_RE.finditer(body):
        if m.start() > pos:
            scanner.text(body[pos : m.start()])
        scanner.tag(m.group(2).lower(), closing=bool(m.group(1)))
        pos = m.end()
    if pos < len(body):
        scanner.text(body[pos:])
    return scanner.finish()


def parse_ocr(text: str) -> list[Span]:
    """Spans of ``<ocr>`` output (one ``<char>word</char><bbox>…</bbox>`` a line), in order.

    Lines are parsed one at a time so a broken line cannot swallow the next; a line holding
    only a box gives it to the previous line's last span if that has none. Spans without
    text are dropped.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    out: list[Span] = []
    for line in _trim(text).splitlines():
        spans = parse_output(line).spans
        if spans and not spans[0].text and out and not out[-1].boxes:
            out[-1].boxes.extend(spans[0].boxes)
        out.extend(s for s in spans if s.text)
    return out


UNANSWERABLE_MARKERS: tuple[str, ...] = (
    "cannot answer", "can't answer", "can not answer", "unable to answer", "cannot be answered",
    "cannot be determined", "cannot determine", "can't determine", "not enough information",
    "insufficient information", "unanswerable",
    "답변할 수 없", "대답할 수 없", "답할 수 없", "알 수 없", "확인할 수 없", "찾을 수 없",
    "판단할 수 없", "정보가 없", "정보가 부족",
)
"""Phrases that, in a reply's first sentence, mean the model declined to answer."""

_SENTENCE_END_RE = re.compile(r"[.!?。](?:\s|$)|\n")


def is_unanswerable(text: str, markers: tuple[str, ...] = UNANSWERABLE_MARKERS) -> bool:
    """True when the (tag-free) reply is empty, has no letter or digit, or its first sentence
    contains one of ``markers`` (case-insensitive)."""
    text = text.strip()
    if not any(ch.isalnum() for ch in text):
        return True
    end = _SENTENCE_END_RE.search(text)
    first = (text[: end.start()] if end else text).lower()
    return any(m.lower() in first for m in markers)


def grounded_answer(
    raw: str, crop_index: int = 0, markers: tuple[str, ...] = UNANSWERABLE_MARKERS
) -> GroundedAnswer:
    """A ``GroundedAnswer`` from one reply about crop ``crop_index``.

    The answer's text is the tag-free text; each span with boxes becomes one ``Evidence``.
    An unanswerable reply (see :func:`is_unanswerable`) keeps its text but no evidence.
    """
    from vlm.backends.base import Evidence, GroundedAnswer  # late: keeps parsing import-light

    parsed = parse_output(raw)
    if is_unanswerable(parsed.text, markers):
        return GroundedAnswer(text=parsed.text, answerable=False, evidence=[], raw=raw or "")
    evidence = [Evidence(s.text, list(s.boxes), crop_index) for s in parsed.grounded]
    return GroundedAnswer(text=parsed.text, answerable=True, evidence=evidence, raw=raw)

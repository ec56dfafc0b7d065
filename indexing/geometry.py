"""Boxes that know their coordinate space, and the geometry of a crop.

Three spaces occur in docagent:

- ``PAGE``: PDF points of one page, origin top-left, as PyMuPDF reports them.
- ``PIXEL``: pixels of one raster (a rendered page or a crop image), origin top-left.
- ``NORM``: fractions in [0, 1] of some image's width and height (the VLM's box format).

A conversion returns a new box; combining boxes of different spaces raises
``CoordinateSpaceError`` so that a pixel box can never be stored as a page box by accident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Space(StrEnum):
    PAGE = "page"
    PIXEL = "pixel"
    NORM = "norm"


class CoordinateSpaceError(ValueError):
    """Two boxes of different coordinate spaces were combined, or a conversion was misused."""


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box ``[x0, y0, x1, y1]`` in one coordinate space."""

    x0: float
    y0: float
    x1: float
    y1: float
    space: Space = Space.PAGE

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float, space: Space) -> Box:
        """Build a box from any two opposite corners (swapped corners are put in order)."""
        return cls(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), space)

    @property
    def width(self) -> float:
        return max(0.0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        return max(0.0, self.y1 - self.y0)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def is_empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def as_list(self, ndigits: int | None = 2) -> list[float]:
        if ndigits is None:
            return [self.x0, self.y0, self.x1, self.y1]
        # written out: ingest stores every word's box, tens of thousands for a long document
        return [round(self.x0, ndigits), round(self.y0, ndigits), round(self.x1, ndigits), round(self.y1, ndigits)]

    def _same_space(self, other: Box) -> None:
        if self.space != other.space:
            raise CoordinateSpaceError(f"cannot combine a {self.space} box with a {other.space} box")

    def intersect(self, other: Box) -> Box:
        self._same_space(other)
        return Box(
            max(self.x0, other.x0), max(self.y0, other.y0),
            min(self.x1, other.x1), min(self.y1, other.y1), self.space,
        )

    def union(self, other: Box) -> Box:
        self._same_space(other)
        return Box(
            min(self.x0, other.x0), min(self.y0, other.y0),
            max(self.x1, other.x1), max(self.y1, other.y1), self.space,
        )

    def iou(self, other: Box) -> float:
        inter = self.intersect(other).area
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def overlap_ratio(self, other: Box) -> float:
        """Share of *this* box's area that lies inside ``other``."""
        return self.intersect(other).area / self.area if self.area > 0 else 0.0

    def clip(self, width: float, height: float) -> Box:
        """Clip to ``[0, width] x [0, height]`` of this box's own space."""
        return Box(
            min(max(self.x0, 0.0), width), min(max(self.y0, 0.0), height),
            min(max(self.x1, 0.0), width), min(max(self.y1, 0.0), height), self.space,
        )

    def scale(self, sx: float, sy: float, space: Space) -> Box:
        """Multiply coordinates and declare the result's space (the caller names the target)."""
        return Box(self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy, space)

    def translate(self, dx: float, dy: float) -> Box:
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy, self.space)


def union_of(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all of ``boxes`` (at least one, all in one space)."""
    it = iter(boxes)
    out = next(it)
    for box in it:
        out = out.union(box)
    return out


def centre_in(box: Box, outer: Box) -> bool:
    """Whether ``box``'s centre lies in ``outer`` (edges included): the word-in-cell test."""
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return outer.x0 <= cx <= outer.x1 and outer.y0 <= cy <= outer.y1


@dataclass(frozen=True, slots=True)
class CropFrame:
    """Where a crop image sits on its page.

    ``page_box`` is the crop's region in page points; ``pixel_size`` is the crop image's
    ``(width, height)`` in pixels. Together they map boxes between the crop's normalised
    space (what the VLM sees), the crop's pixels and the page.
    """

    page_box: Box
    pixel_size: tuple[int, int]

    def __post_init__(self) -> None:
        if self.page_box.space != Space.PAGE:
            raise CoordinateSpaceError("CropFrame.page_box must be in page space")
        if self.pixel_size[0] <= 0 or self.pixel_size[1] <= 0:
            raise ValueError(f"CropFrame.pixel_size must be positive, got {self.pixel_size}")

    def norm_to_page(self, box: Box) -> Box:
        _expect(box, Space.NORM)
        pb = self.page_box
        return Box(
            pb.x0 + box.x0 * pb.width, pb.y0 + box.y0 * pb.height,
            pb.x0 + box.x1 * pb.width, pb.y0 + box.y1 * pb.height, Space.PAGE,
        )

    def page_to_norm(self, box: Box) -> Box:
        _expect(box, Space.PAGE)
        pb = self.page_box
        if pb.is_empty:
            raise CoordinateSpaceError("cannot normalise against an empty crop")
        return Box(
            (box.x0 - pb.x0) / pb.width, (box.y0 - pb.y0) / pb.height,
            (box.x1 - pb.x0) / pb.width, (box.y1 - pb.y0) / pb.height, Space.NORM,
        )

    def pixel_to_norm(self, box: Box) -> Box:
        _expect(box, Space.PIXEL)
        w, h = self.pixel_size
        return box.scale(1.0 / w, 1.0 / h, Space.NORM)

    def norm_to_pixel(self, box: Box) -> Box:
        _expect(box, Space.NORM)
        w, h = self.pixel_size
        return box.scale(w, h, Space.PIXEL)

    def pixel_to_page(self, box: Box) -> Box:
        return self.norm_to_page(self.pixel_to_norm(box))

    def page_to_pixel(self, box: Box) -> Box:
        return self.norm_to_pixel(self.page_to_norm(box))


def _expect(box: Box, space: Space) -> None:
    if box.space != space:
        raise CoordinateSpaceError(f"expected a {space} box, got a {box.space} box")

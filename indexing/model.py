"""The values the indexing pipeline passes between its stages.

A document becomes ``PageRecord`` objects; each page carries its rendered image and its
``Region`` list (one region per layout box, later one Crop row). All boxes are in page points
(``Space.PAGE``) unless a field says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PIL import Image

from indexing.geometry import Box, CropFrame


class RegionKind(StrEnum):
    """Kinds of layout region. Names follow PyMuPDF's layout classes where they overlap."""

    TEXT = "text"
    TITLE = "title"
    SECTION_HEADER = "section-header"
    LIST_ITEM = "list-item"
    TABLE = "table"
    PICTURE = "picture"
    CHART = "chart"
    CAPTION = "caption"
    FOOTNOTE = "footnote"
    FORMULA = "formula"
    PAGE_HEADER = "page-header"
    PAGE_FOOTER = "page-footer"


class TextSource(StrEnum):
    TEXT_LAYER = "text-layer"
    OCR = "ocr"
    NONE = "none"


@dataclass(slots=True)
class Word:
    text: str
    box: Box
    confidence: float | None = None  # OCR confidence in [0, 100]; None for the text layer


@dataclass(slots=True)
class TableCell:
    row: int
    col: int
    text: str
    box: Box | None = None
    row_span: int = 1
    col_span: int = 1
    estimated: bool = False  # measured from a chart's geometry, not printed


@dataclass(slots=True)
class Table:
    """A table as a grid of cell texts plus markdown. ``header_rows`` rows head the columns."""

    cells: list[TableCell]
    n_rows: int
    n_cols: int
    header_rows: int = 1

    def grid(self) -> list[list[str]]:
        rows = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            if 0 <= c.row < self.n_rows and 0 <= c.col < self.n_cols:
                rows[c.row][c.col] = c.text
        return rows

    def to_markdown(self) -> str:
        grid = self.grid()
        if not grid:
            return ""

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(t.replace("|", "\\|").replace("\n", " ") for t in cells) + " |"

        head = max(1, self.header_rows)
        out = [line(r) for r in grid[:head]]
        out.append("| " + " | ".join("---" for _ in range(self.n_cols)) + " |")
        out.extend(line(r) for r in grid[head:])
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {
            "n_rows": self.n_rows,
            "n_cols": self.n_cols,
            "header_rows": self.header_rows,
            "cells": [_cell_dict(c) for c in self.cells],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Table:
        cells = [
            TableCell(
                row=c["row"], col=c["col"], text=c["text"],
                box=Box(*c["bbox"]) if c.get("bbox") else None,
                row_span=c.get("row_span", 1), col_span=c.get("col_span", 1),
                estimated=bool(c.get("estimated", False)),
            )
            for c in d["cells"]
        ]
        return cls(cells, d["n_rows"], d["n_cols"], d.get("header_rows", 1))


def _cell_dict(c: TableCell) -> dict:
    d = {
        "row": c.row, "col": c.col, "text": c.text,
        "bbox": c.box.as_list() if c.box else None,
        "row_span": c.row_span, "col_span": c.col_span,
    }
    if c.estimated:  # only then: stored tables without the key read back unchanged
        d["estimated"] = True
    return d


@dataclass(slots=True)
class Region:
    """One layout region of a page: becomes one Crop."""

    kind: RegionKind
    box: Box
    order: int = 0
    text: str = ""
    words: list[Word] = field(default_factory=list)
    table: Table | None = None
    image: Image.Image | None = None  # the cropped image, cut from the page render
    encoded: bytes | None = None  # the same as PNG (when the pipeline encodes images)
    pixel_size: tuple[int, int] | None = None  # the crop image's (width, height)

    @property
    def markdown(self) -> str:
        """A table region's grid as markdown, else its text: a chart read into a table keeps
        its words as its text (what search indexes), the table rides along."""
        if self.table is not None and self.kind == RegionKind.TABLE:
            return self.table.to_markdown()
        return self.text

    def frame(self) -> CropFrame:
        size = self.image.size if self.image is not None else self.pixel_size
        if size is None:
            raise ValueError("region has no image yet")
        return CropFrame(self.box, size)


@dataclass(slots=True)
class PageRecord:
    """One page travelling through the pipeline. ``number`` is 1-based."""

    number: int
    width: float
    height: float
    image: Image.Image | None = None  # the page render
    encoded: bytes | None = None  # the page render as JPEG (when the pipeline encodes images)
    dpi: float = 144.0
    text_source: TextSource = TextSource.NONE
    regions: list[Region] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: bool = False  # the page could not be loaded or drawn; its warnings say why

    @property
    def size(self) -> tuple[float, float]:
        return (self.width, self.height)

    @property
    def has_image(self) -> bool:
        return self.image is not None or self.encoded is not None

    def page_to_pixel_scale(self) -> float:
        return self.dpi / 72.0

"""Many small crops of one image pasted into one image, and boxes read there mapped back.

A mosaic holds one crop per row, left-aligned at ``margin``, with ``gap`` white pixels
between rows, so that one OCR call reads them all and every word found can be traced to its
crop by its vertical position alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

PixelBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive


@dataclass(frozen=True, slots=True)
class Mosaic:
    sources: list[PixelBox]  # each row's crop, in the source image
    tops: list[int]  # each row's top in the mosaic
    size: tuple[int, int]
    margin: int


def plan(sources: list[PixelBox], *, gap: int, margin: int) -> Mosaic:
    """Rows stacked top to bottom in the order given."""
    tops, y = [], margin
    for _, y0, _, y1 in sources:
        tops.append(y)
        y += (y1 - y0) + gap
    width = max((x1 - x0 for x0, _, x1, _ in sources), default=0) + 2 * margin
    height = y - gap + margin if sources else 2 * margin
    return Mosaic(list(sources), tops, (width, height), margin)


def paste(image: Image.Image, mosaic: Mosaic) -> Image.Image:
    """The mosaic's pixels: white, with each source crop of ``image`` at its row."""
    out = Image.new("L", mosaic.size, 255)
    gray = image.convert("L")
    for box, top in zip(mosaic.sources, mosaic.tops, strict=True):
        out.paste(gray.crop(box), (mosaic.margin, top))
    return out


def locate(mosaic: Mosaic, box: PixelBox) -> tuple[int, PixelBox] | None:
    """(row, ``box`` in source pixels) for a box read in the mosaic; None off every row.

    A box belongs to the row that holds its vertical centre; it is clipped to that row's
    crop, so that a box can never spill over onto the page outside the crop.
    """
    cy = (box[1] + box[3]) / 2
    for row, (src, top) in enumerate(zip(mosaic.sources, mosaic.tops, strict=True)):
        if top <= cy < top + src[3] - src[1]:
            dx, dy = src[0] - mosaic.margin, src[1] - top
            x0, x1 = max(box[0] + dx, src[0]), min(box[2] + dx, src[2])
            y0, y1 = max(box[1] + dy, src[1]), min(box[3] + dy, src[3])
            return (row, (x0, y0, x1, y1)) if x1 > x0 and y1 > y0 else None
    return None

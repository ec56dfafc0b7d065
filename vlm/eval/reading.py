"""The crop an evaluation item shows a backend, built once per image.

Generative backends (transformers, vLLM, OpenAI) get the pixels. The extractive backend reads
text, not pixels, so :class:`CropReader` with ``read_text=True`` reads the image the way
ingest reads a scanned page: ruling lines found and erased, Tesseract OCR (``indexing.ocr``),
then for a table item the largest ruled grid filled with the words (or a grid from word positions),
and for a chart item its labels read again with the marks erased and the chart's table
measured (``indexing.chart_data``). Both kinds of backend thus answer the same items.

The image is taken to be rendered at ``dpi`` (144 by default, as ``docagent vlm answer``
assumes for a standalone image), which fixes the crop's size in page points.
"""

from __future__ import annotations

from collections import OrderedDict

from PIL import Image

from indexing.geometry import Box, CropFrame, Space
from indexing.model import Table, Word
from vlm.backends.base import CropInput
from vlm.eval.data import open_image

DEFAULT_DPI = 144.0
CACHE_SIZE = 256  # crops kept; K-DTCBench asks two questions per image, circular mode four times
KINDS = {"document": "text", "table": "table", "chart": "chart"}


def frame_for(image: Image.Image, dpi: float = DEFAULT_DPI) -> CropFrame:
    """The frame of a standalone image: its top-left at the page origin, ``dpi`` pixels/inch."""
    scale = 72.0 / dpi
    return CropFrame(Box(0.0, 0.0, image.width * scale, image.height * scale, Space.PAGE),
                     image.size)


def _table(grids: list, words: list[Word]) -> Table | None:
    from indexing.tables import grid_from_words, table_from_grid

    if grids:
        grid = max(grids, key=lambda g: g.box.area)
        inside = [w for w in words if w.box.overlap_ratio(grid.box) > 0.5]
        return table_from_grid(grid, inside)
    return grid_from_words(words)


def _chart(image: Image.Image, dpi: float, box: Box, words: list[Word],
           languages: str) -> tuple[list[Word], Table | None]:
    from indexing.chart_data import read_chart, reread_words

    words = reread_words(image, box, dpi, words, languages)
    return words, read_chart(words, box, image=image)


def read_text(crop: CropInput, category: str, languages: str, dpi: float = DEFAULT_DPI) -> None:
    """Fill ``crop.text``, ``crop.words`` (page points) and ``crop.table`` from its image."""
    from indexing.ocr import ocr_image
    from indexing.tables import erase_rulings, find_ruled_grids

    assert crop.image is not None and crop.frame is not None
    gray = crop.image.convert("L")
    grids = find_ruled_grids(gray, dpi)
    result = ocr_image(erase_rulings(gray, dpi, grids), dpi, languages=languages)
    crop.text, crop.words = result.text, result.words
    if category == "table":  # a document's ruled box is not read as a table: its text is
        crop.table = _table(grids, crop.words)
    elif category == "chart" and crop.words:
        crop.words, crop.table = _chart(gray, dpi, crop.frame.page_box, crop.words, languages)


class CropReader:
    """Crops for image references (paths or base64), the last :data:`CACHE_SIZE` cached per
    reference (and category, which decides how text is read)."""

    def __init__(self, read_text: bool, languages: str = "kor+eng", dpi: float = DEFAULT_DPI) -> None:
        self.read_text = read_text
        self.languages = languages
        self.dpi = dpi
        self._cache: OrderedDict[tuple[str, str], CropInput] = OrderedDict()

    def crop(self, ref: str | None, category: str) -> CropInput:
        """The crop for image ``ref`` (an empty crop when the item has no image)."""
        if not ref:
            return CropInput(kind=KINDS.get(category, "text"))
        key = (ref, category if self.read_text else "")
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        image = open_image(ref)
        crop = CropInput(image=image, frame=frame_for(image, self.dpi),
                         kind=KINDS.get(category, "text"))
        if self.read_text:
            read_text(crop, category, self.languages, self.dpi)
        self._cache[key] = crop
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return crop

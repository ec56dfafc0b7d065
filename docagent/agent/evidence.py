"""Crops as the reader sees them: text, words, table cells, frame; and the question per crop.

A search result names a crop; the reader needs what ingest read from it (words with page
boxes, the table's cell grid) and where it sits (``CropFrame``). A chart crop without a table
becomes one from its printed points (``indexing.charts``), so that a chart value is read like
a table cell. The question shown to the reader leaves out what the crop's context already
satisfies: a table on page 2 never names the city its document's title names. A part of a
table that crosses pages printed without the header row is read under the first part's header
(``CropContext.header``), and a candidate knows the table's other parts, to cite them too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from PIL import Image

from docagent.agent.answer import Citation
from indexing.charts import chart_points, chart_title
from indexing.geometry import Box, CropFrame, Space
from indexing.model import Table, TableCell, Word
from vlm.backends.base import CropInput

FRAME_PIXELS = (1000, 1000)  # the frame of a crop shown without an image (extractive)
CHART_KINDS = frozenset({"chart", "picture", "figure"})
_JOSA = re.compile(r"(?:의|은|는|이|가|을|를|에|에서|과|와|로|으로|도|만|부터|까지)$")


@dataclass(slots=True)
class Candidate:
    """One retrieved crop, ready to read. ``parts``: when the crop is one part of a table
    that crosses pages, the other parts, each cited as a whole (page, box, first row)."""

    result: dict  # SearchResult.to_json()
    crop: CropInput
    context: str  # title and headings: what the crop's own text does not say
    rank: int
    parts: list[Citation] = field(default_factory=list)

    @property
    def crop_id(self) -> str:
        return str(self.result["crop_id"])

    @property
    def box(self) -> Box:
        return Box(*self.result["bbox"], Space.PAGE)


def words_of(raw: list | None) -> list[Word]:
    return [Word(str(w[4]), Box(float(w[0]), float(w[1]), float(w[2]), float(w[3]), Space.PAGE))
            for w in raw or [] if len(w) >= 5]


def chart_table(words: list[Word]) -> Table | None:
    """A one-series table of a chart's printed points (label -> value), cells boxed."""
    points = chart_points(words)
    if not points:
        return None
    title = chart_title(words) or "값"
    cells = [TableCell(0, 0, "구분")]
    cells += [TableCell(0, i, p.label) for i, p in enumerate(points, 1)]
    cells.append(TableCell(1, 0, title))
    cells += [TableCell(1, i, p.value, _value_box(words, p.value, p.box)) for i, p in enumerate(points, 1)]
    return Table(cells, 2, len(points) + 1, 1)


def _value_box(words: list[Word], value: str, near: Box) -> Box:
    inside = [w.box for w in words if w.text == value and not near.intersect(w.box).is_empty]
    return inside[0] if inside else near


def with_header(table: Table, header: Sequence[Sequence[str]]) -> Table:
    """``table`` under lent header rows (a later part of a table that crosses pages, printed
    without them): the header cells come first, with no box, since they lie on another page."""
    if not header:
        return table
    h = len(header)
    cells = [TableCell(r, c, str(text)) for r, row in enumerate(header) for c, text in enumerate(row[:table.n_cols])]
    cells += [replace(cell, row=cell.row + h) for cell in table.cells]
    return Table(cells, table.n_rows + h, table.n_cols, h)


def crop_input(result: dict, text: str, words_raw: list | None, table_raw: dict | None,
               kind: str, header: Sequence[Sequence[str]] = ()) -> CropInput:
    """What the reader gets of a crop; ``header``: the header rows a continued table's first
    part lends it (``CropContext.header``), read as its own."""
    words = words_of(words_raw)
    table = Table.from_dict(table_raw) if table_raw else None
    if table is not None and header:
        table = with_header(table, header)
        text = table.to_markdown()
    if table is None and kind in CHART_KINDS:
        table = chart_table(words)
    box = Box(*result["bbox"], Space.PAGE)
    return CropInput(image=None, text=text, words=words, table=table,
                     frame=CropFrame(box, FRAME_PIXELS), kind=kind)


def with_image(crop: CropInput, data: bytes) -> None:
    """Attach the crop's stored image; the frame then maps boxes through its pixels."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    crop.image = image
    if crop.frame is not None:
        crop.frame = CropFrame(crop.frame.page_box, image.size)


def context_of(result: dict) -> str:
    parts = [result.get("title") or "", *(result.get("headings") or []), result.get("caption") or ""]
    return " ".join(p for p in parts if p)


def reader_question(question: str, candidate: Candidate) -> str:
    """``question`` without the words that only the crop's context (title, headings) holds.

    ``서울특별시의 2023년 관광객 수는?`` shown the table of ``2024 서울특별시 통계연보``
    becomes ``2023년 관광객 수는?``: the reader matches what the table itself says, and the
    entity was matched already by retrieval through the context.
    """
    own = _squash(candidate.crop.text + " " + " ".join(c.text for c in (candidate.crop.table.cells if candidate.crop.table else [])))
    context = _squash(candidate.context)
    if not context:
        return question
    words = question.split()
    stems = [_JOSA.sub("", word.strip("?,.!")) for word in words]
    named = _context_names(stems, context, own)
    kept: list[str] = []
    dropped_year = False
    for i, (word, stem) in enumerate(zip(words, stems, strict=True)):
        if i in named:
            continue
        year = re.sub(r"^((?:19|20)\d\d)년도?$", r"\1", stem)  # a title says "2024", a question "2024년"
        if len(year) >= 2 and year in context and year not in own:
            dropped_year = dropped_year or year != stem
            continue
        if dropped_year and stem in ("기준", "현재", "당시"):  # "2024년 기준": the edition, said by the title
            continue
        kept.append(word)
    return " ".join(kept) if kept else question


def _context_names(stems: list[str], context: str, own: str) -> set[int]:
    """Indices of the words that together spell a name the context holds and the crop's own
    text does not: "윤슬 도서관" in the title goes whole, though "도서관" alone is in a paragraph
    that says "이 도서관은"; kept, that word cost the paragraph the coverage a paragraph of
    another page without it had."""
    out: set[int] = set()
    for i in range(len(stems)):
        for j in range(min(len(stems), i + 4), i + 1, -1):  # the longest run of 2 to 4 words
            phrase = "".join(stems[i:j])
            if len(phrase) >= 3 and phrase in context and phrase not in own:
                out.update(range(i, j))
                break
    return out


def _squash(text: str) -> str:
    return "".join(text.split())

"""The units a collection index holds, made from one document's crops and their context.

A crop is searched through the text a reader would use: its context (title, heading path,
caption; see ``indexing.context``) followed by its own text. A table is searched also row by
row, each row with its header cells attached (``구분: 영업이익 | 2021년: 2,330 | ...``), and
column by column with the row labels attached (``2021년 | 매출액: 2,810 | 영업이익: 412``), so
a question about one row, or about two years of one metric in a table that runs years down
the side, meets a short passage instead of the whole grid. A chart is searched also point by
point (``indexing.charts``: ``title | 2021년: 8,280``). A part of a table that crosses pages,
printed without the header row, is searched with the first part's headers
(``indexing.continuation``). Such a hit is still the table or chart
crop, with the row's, column's or point's box for the answer step. Each page and the document as a whole
are units of their own (sparse only), so a crop on a page or document that matches the whole
question can rank higher.

Terms: a crop or row unit keeps its own terms and its context's apart (search weighs the two
fields; ``indexing.search.Fusion.context``); page and document units reuse their crops' own
terms (no second analysis), plus the title. A document unit's context terms are its title's
character n-grams (``indexing.grams``), matched against the question's by ``Fusion.title``.
Text read by OCR adds the terms of its Hangul syllables joined (``은 빛 고 등 학교`` ->
은빛, 고등학교; ``열람 좌 석은`` -> 좌석): a title wherever its terms go, a crop's own text,
its context and its rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from indexing.charts import chart_points, chart_title
from indexing.context import Block, DocumentContext, Role
from indexing.geometry import Box
from indexing.grams import char_grams
from indexing.model import RegionKind, Table, Word

# "row": a table row or a chart point; "column": a table column. Codes are stored: append only.
Level = Literal["crop", "row", "page", "document", "column"]
LEVELS: tuple[Level, ...] = ("crop", "row", "page", "document", "column")
PARTS: tuple[Level, ...] = ("row", "column")  # units that stand for a part of a crop
Analyse = Callable[[list[str]], list[list[str]]]  # texts -> term lists (KoreanAnalyzer batch)


@dataclass(frozen=True, slots=True)
class PassageOptions:
    """How a document's units are made. The defaults are the measured best (bench.retrieval)."""

    context: bool = True  # False: crops are indexed by their own text alone
    context_parts: tuple[str, ...] = ("title", "headings", "caption")
    fold: bool = True  # titles, headings, captions and running heads are context, not results
    table_rows: bool = True  # and columns, and chart points
    page_units: bool = True
    document_units: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.context_parts) - {"title", "headings", "caption"}
        if unknown:
            raise ValueError(f"PassageOptions.context_parts: unknown part(s) {sorted(unknown)}")


@dataclass(slots=True)
class Passage:
    """One unit to index. ``block`` is the index of its crop in the document's block list
    (crop and row units), ``page`` its 1-based page (all but document units)."""

    level: Level
    text: str  # what a reader of this unit sees: context, then own text (empty for page/doc)
    terms: list[str]  # of its own text
    embed: bool  # crop and row units get a dense vector too
    context_terms: list[str] = field(default_factory=list)
    block: int | None = None
    page: int | None = None
    row: int | None = None
    box: Box | None = None


@dataclass(slots=True)
class TableRow:
    """A row (or a column, or a chart point) as one line of text, with its box."""

    index: int
    text: str
    box: Box | None


def _lent(header: Sequence[Sequence[str]], n_cols: int) -> list[str]:
    """Column headings from header rows lent by a table's first part (a continuation)."""
    return [" ".join(t for t in (" ".join(row[c].split()) for row in header if c < len(row)) if t)
            for c in range(n_cols)]


def table_rows(table: Table, header: Sequence[Sequence[str]] = ()) -> list[TableRow]:
    """Body rows of ``table`` as ``header: cell | header: cell`` texts with their boxes.

    ``header``: the header rows of the part where a table that crosses pages began, for a
    later part printed without them; every row of ``table`` is then a body row."""
    grid = table.grid()
    head = 0 if header else max(0, min(table.header_rows, table.n_rows))
    headers = _lent(header, table.n_cols) if header else [
        " ".join(t for t in (grid[r][c].strip() for r in range(head)) if t) for c in range(table.n_cols)]
    boxes: dict[int, Box] = {}
    for cell in table.cells:
        if cell.box is not None and cell.row >= head:
            boxes[cell.row] = cell.box if cell.row not in boxes else boxes[cell.row].union(cell.box)
    rows = []
    for r in range(head, table.n_rows):
        parts = []
        for c, value in enumerate(grid[r]):
            value = " ".join(value.split())
            if value:
                parts.append(f"{headers[c]}: {value}" if headers[c] else value)
        if parts:
            rows.append(TableRow(r, " | ".join(parts), boxes.get(r)))
    return rows


def table_columns(table: Table, header: Sequence[Sequence[str]] = ()) -> list[TableRow]:
    """Value columns of ``table`` as ``header | row label: cell | ...`` texts with boxes; the
    first column holds the row labels. ``header`` as for ``table_rows``."""
    grid = table.grid()
    head = 0 if header else max(0, min(table.header_rows, table.n_rows))
    lent = _lent(header, table.n_cols) if header else []
    if table.n_cols < 3 or table.n_rows - head < 2:
        return []
    labels = [" ".join(grid[r][0].split()) for r in range(table.n_rows)]
    boxes: dict[int, Box] = {}
    for cell in table.cells:
        if cell.box is not None and cell.col > 0:
            boxes[cell.col] = cell.box if cell.col not in boxes else boxes[cell.col].union(cell.box)
    columns = []
    for c in range(1, table.n_cols):
        name = lent[c] if lent else " ".join(t for t in (" ".join(grid[r][c].split()) for r in range(head)) if t)
        parts = [f"{labels[r]}: {v}" if labels[r] else v
                 for r in range(head, table.n_rows) if (v := " ".join(grid[r][c].split()))]
        if parts:
            columns.append(TableRow(c, " | ".join([name, *parts] if name else parts), boxes.get(c)))
    return columns


def chart_rows(words: Sequence[Word]) -> list[TableRow]:
    points = chart_points(list(words))
    title = chart_title(list(words)) if points else ""
    return [TableRow(i, f"{title} | {p.label}: {p.value}" if title else f"{p.label}: {p.value}", p.box)
            for i, p in enumerate(points)]


def document_passages(blocks: Sequence[Block], tables: Sequence[Table | None],
                      context: DocumentContext, analyse: Analyse,
                      options: PassageOptions | None = None,
                      words: Sequence[Sequence[Word]] | None = None) -> list[Passage]:
    """The units of one document: crops (and their rows, columns, chart points) of body
    blocks, pages, the document. ``words[i]`` are block i's words (for chart points)."""
    options = options or PassageOptions()
    own_terms = _with_unsplit([b.text if b.ocr else "" for b in blocks],
                              analyse([b.text for b in blocks]), analyse)
    ctx_texts = [c.text(options.context_parts) if options.context else "" for c in context.contexts]
    ctx_terms = _with_unsplit([t if b.ocr else "" for t, b in zip(ctx_texts, blocks, strict=True)],
                              _analyse_lines(ctx_texts, analyse), analyse, by_line=True)
    unsplit = _unsplit_title_terms(context, analyse)
    if unsplit and options.context and "title" in options.context_parts:
        ctx_terms = [_with(terms, unsplit) if c.title else terms
                     for terms, c in zip(ctx_terms, context.contexts, strict=True)]
    out: list[Passage] = []
    for i, block in enumerate(blocks):
        if options.fold and context.roles[i] != Role.BODY:
            continue
        has_own = bool(block.text.strip())
        if has_own or (block.kind in (RegionKind.PICTURE, RegionKind.CHART) and context.contexts[i].caption):
            out.append(Passage("crop", _join(ctx_texts[i], block.text), own_terms[i], True,
                               ctx_terms[i], block=i, page=block.page))
        if options.table_rows:
            parts = _parts(block, tables[i], words[i] if words else (), context.contexts[i].header)
            out.extend(_part_passages(i, block, parts, ctx_texts[i], ctx_terms[i], analyse))
    if options.page_units or options.document_units:
        title_terms = _with(analyse([context.title])[0], unsplit) if context.title else []
        out.extend(_page_and_document(blocks, own_terms, title_terms, char_grams(context.title),
                                      options))
    return out


def _parts(block: Block, table: Table | None, words: Sequence[Word],
           header: Sequence[Sequence[str]] = ()) -> list[tuple[Level, TableRow]]:
    if table is not None:
        rows = table_rows(table, header)
        if len(rows) < 2:  # one body row says no more than the table crop itself
            rows = []
        return [("row", r) for r in rows] + [("column", c) for c in table_columns(table, header)]
    if block.kind in (RegionKind.PICTURE, RegionKind.CHART) and words:
        return [("row", p) for p in chart_rows(words)]
    return []


def _part_passages(i: int, block: Block, parts: list[tuple[Level, TableRow]], ctx_text: str,
                   ctx_terms: list[str], analyse: Analyse) -> list[Passage]:
    terms = analyse([part.text for _, part in parts]) if parts else []
    if block.ocr:
        terms = _with_unsplit([part.text for _, part in parts], terms, analyse)
    return [Passage(level, _join(ctx_text, part.text), t, True, ctx_terms, block=i,
                    page=block.page, row=part.index, box=part.box)
            for (level, part), t in zip(parts, terms, strict=True)]


def _page_and_document(blocks: Sequence[Block], own_terms: list[list[str]], title_terms: list[str],
                       title_grams: list[str], options: PassageOptions) -> list[Passage]:
    pages: dict[int, list[str]] = {}
    for block, terms in zip(blocks, own_terms, strict=True):
        pages.setdefault(block.page, []).extend(terms)
    out = []
    if options.page_units:
        out.extend(Passage("page", "", title_terms + terms, False, page=number)
                   for number, terms in sorted(pages.items()) if terms)
    if options.document_units:
        everything = [t for _, terms in sorted(pages.items()) for t in terms]
        if everything or title_terms:
            out.append(Passage("document", "", title_terms + everything, False, title_grams))
    return out


_SPLIT_SYLLABLES = re.compile(r"(?<=[\uac00-\ud7a3])\s+(?=[\uac00-\ud7a3])")


def _unsplit_title_terms(context: DocumentContext, analyse: Analyse) -> list[str]:
    """Terms of an OCR-read title with the spaces between Hangul syllables taken out.

    Tesseract sets spaces inside the large type of a title as readily as between its words
    ("은 빛 고 등 학교2005학년도" for "은빛고등학교 2005학년도"), and nothing in the gaps tells
    the two apart; a question names the entity whole. Korean words run together still analyse
    into the same nouns ("창원시통계연보" -> 창원시, 통계, 연보), so the joined title's terms are
    added to what the title as read gives."""
    if not context.title_ocr or not context.title:
        return []
    joined = _SPLIT_SYLLABLES.sub("", context.title)
    return analyse([joined])[0] if joined != context.title else []


def _with_unsplit(texts: list[str], terms: list[list[str]], analyse: Analyse,
                  by_line: bool = False) -> list[list[str]]:
    """``terms[i]`` of OCR-read ``texts[i]`` (a crop's own text, a part's, a context), and the
    terms of its Hangul syllables joined (``""``: a text to leave as it is).

    Tesseract splits body text too (``열람 좌 석은``, ``설 립 된``), and a split noun matches
    nothing a question says. The text with the spaces between Hangul syllables taken out
    analyses into the same nouns as written whole (as a title does, above); the terms it gives
    that the text as read lacks are added. (Without the joined run's bigrams, the split
    paragraph still lost to another that holds the question's two words apart.) ``by_line``:
    the joined text is analysed line by line (a context: ``_analyse_lines``)."""
    joined = ["\n".join(_SPLIT_SYLLABLES.sub("", line) for line in t.split("\n")) if by_line
              else _SPLIT_SYLLABLES.sub("", t) for t in texts]
    todo = list(dict.fromkeys(j for t, j in zip(texts, joined, strict=True) if j != t))
    if not todo:
        return terms
    extra = dict(zip(todo, _analyse_lines(todo, analyse) if by_line else analyse(todo), strict=True))
    return [_with(old, extra[j]) if j != t else old
            for t, j, old in zip(texts, joined, terms, strict=True)]


def _with(terms: list[str], extra: list[str]) -> list[str]:
    """``terms`` and the ``extra`` terms it does not already hold."""
    have = set(terms)
    return terms + [t for t in dict.fromkeys(extra) if t not in have]


def _analyse_lines(texts: list[str], analyse: Analyse) -> list[list[str]]:
    """Each text's terms, line by line: a context's title, heading path and caption are
    analysed apart and once each, since most crops of a document share them. Analysed
    together, Kiwi cut the same title by what followed it (``늘봄군`` one noun over one
    section's crops, ``늘`` + ``봄`` + ``군`` over another's), and a question naming the entity
    matched some of the document's crops better than others (bench.retrieval)."""
    lines = [t.split("\n") for t in texts]
    by_line = dict(zip(*_distinct_terms([line for ls in lines for line in ls], analyse), strict=True))
    return [[term for line in ls for term in by_line[line]] for ls in lines]


def _distinct_terms(texts: list[str], analyse: Analyse) -> tuple[list[str], list[list[str]]]:
    distinct = list(dict.fromkeys(texts))
    return distinct, analyse(distinct)


def _join(context: str, own: str) -> str:
    return f"{context}\n{own}" if context and own else context or own

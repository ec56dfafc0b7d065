"""Layout regions of a page, in reading order.

Pages with a text layer go through PyMuPDF's layout model (``pymupdf.layout``, ONNX models in
the wheel): ``page.get_layout()`` fills ``page.layout_information`` with
``[x0, y0, x1, y1, class]`` rows, already sorted into reading order.

The model reads the text layer's boxes, so on an image-only page it finds nothing: measured
on rasterised copies of the sample PDFs it returned no region at all, after about 0.3 s of
work. Scanned pages therefore skip it; their regions are built from OCR lines instead (lines
grouped into blocks by spacing and alignment, ruled tables found in the image), ordered by a
recursive XY cut. A page where nothing is found becomes one whole-page region.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import pymupdf

from indexing.context import looks_like_caption, looks_like_heading
from indexing.figures import Figure
from indexing.formulas import split_formulas
from indexing.geometry import Box, Space, centre_in, union_of
from indexing.model import Region, RegionKind
from indexing.ocr import OcrLine
from indexing.table_reread import repair_decimals
from indexing.tables import CellGrid, RuledGrid, fill_cells, table_from_grid
from indexing.textlayer import image_info
from indexing.vector_grids import RULE_THICKNESS, page_grids

LAYOUT_KINDS: dict[str, RegionKind] = {
    "text": RegionKind.TEXT,
    "title": RegionKind.TITLE,
    "section-header": RegionKind.SECTION_HEADER,
    "list-item": RegionKind.LIST_ITEM,
    "table": RegionKind.TABLE,
    "picture": RegionKind.PICTURE,
    "chart": RegionKind.CHART,
    "caption": RegionKind.CAPTION,
    "footnote": RegionKind.FOOTNOTE,
    "formula": RegionKind.FORMULA,
    "page-header": RegionKind.PAGE_HEADER,
    "page-footer": RegionKind.PAGE_FOOTER,
}


def detect_regions(page: pymupdf.Page) -> list[Region]:
    """The layout model's regions for ``page``, numbered in the model's reading order."""
    page.get_layout()
    rows = page.layout_information or []
    return regions_from_rows(rows, page.rect.width, page.rect.height)


def regions_from_rows(rows: list, width: float, height: float) -> list[Region]:
    """``[x0, y0, x1, y1, class]`` rows -> regions clipped to the page, empty ones dropped."""
    regions: list[Region] = []
    for row in rows:
        x0, y0, x1, y1, cls = row[:5]
        box = Box.from_corners(x0, y0, x1, y1, Space.PAGE).clip(width, height)
        if box.is_empty:
            continue
        kind = LAYOUT_KINDS.get(str(cls).lower(), RegionKind.TEXT)
        regions.append(Region(kind, box, order=len(regions)))
    return regions


# A raster image is a figure from this share of the page and this side (points) up; above
# the largest share it is the page's background.
PICTURE_MIN_SHARE, PICTURE_MIN_SIDE, PICTURE_MAX_SHARE = 0.01, 24.0, 0.9


def missed_pictures(page: pymupdf.Page, regions: list[Region], *, min_share: float = PICTURE_MIN_SHARE,
                    max_share: float = PICTURE_MAX_SHARE, min_side: float = PICTURE_MIN_SIDE) -> list[Region]:
    """Raster images the layout model left without a region, as PICTURE regions.

    The model was seen to skip whole figures (the scanned drawings of a patent got no region
    at all). Left out: images below ``min_share`` of the page (logos, bullets) or thinner than
    ``min_side`` (rules, strips), above ``max_share`` (a page background), and images that
    mostly sit under regions already found (a tinted panel behind text).
    """
    area = page.rect.width * page.rect.height
    found: list[Region] = []
    for info in image_info(page):
        box = Box.from_corners(*info["bbox"], Space.PAGE).clip(page.rect.width, page.rect.height)
        if not min_share * area <= box.area <= max_share * area or min(box.width, box.height) < min_side:
            continue
        covered = sum(box.intersect(r.box).area for r in regions) / box.area
        if covered > 0.3 or any(box.overlap_ratio(r.box) > 0.5 for r in found):
            continue
        found.append(Region(RegionKind.PICTURE, box))
    return found


def insert_by_position(regions: list[Region], extra: list[Region]) -> list[Region]:
    """Add regions before the first region (in reading order) that starts below them."""
    out = list(regions)
    for region in extra:
        at = len(out)
        for i, r in enumerate(out):
            if r.box.y0 > region.box.y0 + 1.0 and r.box.x1 > region.box.x0:
                at = i
                break
        out.insert(at, region)
    return renumber(out)


def whole_page_region(width: float, height: float) -> Region:
    return Region(RegionKind.TEXT, Box(0.0, 0.0, width, height, Space.PAGE), order=0)


def renumber(regions: list[Region]) -> list[Region]:
    for i, region in enumerate(regions):
        region.order = i
    return regions


# -- regions for scanned pages ----------------------------------------------------------------

def blocks_from_lines(line_boxes: list[Box], texts: Sequence[str] | None = None,
                      lows: Sequence[float] | None = None) -> list[list[int]]:
    """Group OCR line boxes (in any order) into blocks; returns line indices per block.

    Two lines share a block when the second starts within about one line height below the
    first, overlaps it horizontally, and has a similar height (a title stays apart from the
    paragraph under it). With the lines' ``texts``, a line that reads as a numbered heading or
    a caption stands alone: OCR line heights differ too little to tell them from the body.
    ``lows``: each line's shortest word height; two lines whose shortest words are alike are
    alike too (Tesseract boxes some Hangul words to the full line height and others to their
    ink, and a short line may have more of the first: ``509,927권이고 열람 좌 석은 107석이다.``
    was cut from the line above it). A numbered line that runs to the right edge of the lines
    around it is a list item that wraps (``1. ... 대통령령으로 정하는`` | ``요건을 갖춘 ...``): it
    starts a block and the lines under it go on in it.
    """
    alone = {i for i, t in enumerate(texts or ()) if looks_like_heading(t) or looks_like_caption(t)}
    wraps = {i for i in alone if not looks_like_caption(texts[i]) and _runs_to_edge(i, line_boxes)} \
        if texts else set()
    order = sorted(range(len(line_boxes)), key=lambda i: (line_boxes[i].y0, line_boxes[i].x0))
    blocks: list[list[int]] = []
    tails: list[int] = []  # each block's last line
    for i in order:
        box = line_boxes[i]
        for b, tail in enumerate(tails):
            low = (lows[tail], lows[i]) if lows is not None else None
            open_tail = tail not in alone or (tail in wraps and len(blocks[b]) == 1)
            if i not in alone and open_tail and _continues(line_boxes[tail], box, low):
                blocks[b].append(i)
                tails[b] = i
                break
        else:
            blocks.append([i])
            tails.append(i)
    return blocks


WRAP_REACH = 1.5  # line heights: a line ending this near the edge of its column ran on


def _runs_to_edge(i: int, line_boxes: list[Box]) -> bool:
    """Whether line ``i`` ends at the right edge of the widest line it overlaps horizontally
    (its column's edge) and is most of that line's width: set to the margin, it wrapped."""
    box = line_boxes[i]
    column = [b for b in line_boxes if min(b.x1, box.x1) - max(b.x0, box.x0) > 0.5 * box.width]
    widest = max(column, key=lambda b: b.width)
    return box.width > 0.6 * widest.width and box.x1 >= widest.x1 - WRAP_REACH * box.height


def _continues(tail: Box, line: Box, lows: tuple[float, float] | None = None) -> bool:
    h = max(tail.height, line.height, 1.0)
    gap = line.y0 - tail.y1
    overlap = min(tail.x1, line.x1) - max(tail.x0, line.x0)
    similar = _alike(tail.height, line.height) or (lows is not None and _alike(*lows))
    return -0.5 * h < gap < 1.0 * h and overlap > 0.2 * min(tail.width, line.width) and similar


def _alike(a: float, b: float) -> bool:
    return min(a, b) / max(a, b, 1.0) > 0.65


_SENTENCE_END = re.compile(r"(?:다|요|니다|습니다)\s*[.!?。]\s*$|\w{3,}[.!?]\s*$")


def ends_sentence(text: str) -> bool:
    """Text that closes a sentence (``...착용하여야 한다.``, ``... in 2023.``)."""
    last = text.strip().splitlines()[-1] if text.strip() else ""
    # one "word" may be a whole clause Tesseract glued together (변화에따라해마다조정된다.)
    return bool(_SENTENCE_END.search(last)) and (len(last.split()) >= 2 or len(last) >= 8)


HEADING_MAX_WORDS = 8  # an unnumbered heading is shorter than this many words


def block_kind(block_boxes: list[Box], body_height: float, text: str = "") -> RegionKind:
    """A block of one or two lines set clearly larger than the body text is a heading; so is
    one short numbered line without a colon (OCR line heights barely tell a bold heading from
    the body; a colon marks a list item: ``가. 제품명 : ...``). A line that reads ``표 1. ...``
    is a caption."""
    height = median(b.height for b in block_boxes)
    if len(block_boxes) == 1 and looks_like_caption(text):
        return RegionKind.CAPTION
    if ends_sentence(text):
        return RegionKind.TEXT  # a heading names; it does not end on 다. (OCR heights can lie)
    if len(text.split()) >= HEADING_MAX_WORDS and not looks_like_heading(text):
        return RegionKind.TEXT  # nor does it run on for a line of prose cut from its paragraph
    if len(block_boxes) <= 2 and height > 1.35 * body_height:
        return RegionKind.SECTION_HEADER
    if len(block_boxes) == 1 and looks_like_heading(text) and ":" not in text \
            and height > 0.8 * body_height:
        return RegionKind.SECTION_HEADER
    return RegionKind.TEXT


def reading_order(regions: list[Region]) -> list[Region]:
    """Regions sorted by a recursive XY cut: columns left to right, bands top to bottom."""
    return renumber(_xy_cut(list(regions)))


def _xy_cut(regions: list[Region]) -> list[Region]:
    if len(regions) <= 1:
        return regions
    for axis in ("y", "x"):  # horizontal bands first: headings span columns
        groups = _split(regions, axis)
        if len(groups) > 1:
            return [r for g in groups for r in _xy_cut(g)]
    return sorted(regions, key=lambda r: (round(r.box.y0), r.box.x0))


def _split(regions: list[Region], axis: str) -> list[list[Region]]:
    """Split where no region crosses a gap along ``axis``; groups in increasing position."""
    def span(r: Region) -> tuple[float, float]:
        return (r.box.y0, r.box.y1) if axis == "y" else (r.box.x0, r.box.x1)

    items = sorted(regions, key=lambda r: span(r)[0])
    groups: list[list[Region]] = [[items[0]]]
    reach = span(items[0])[1]
    for r in items[1:]:
        start, end = span(r)
        if start >= reach - 1.0:  # a clean gap (1 pt of overlap tolerated)
            groups.append([])
        groups[-1].append(r)
        reach = max(reach, end)
    return groups


def scan_regions(lines: list[OcrLine], grids: list[RuledGrid], width: float, height: float,
                 figures: Sequence[Figure] = (), paragraphs: bool = False,
                 tables: Sequence[Region] = ()) -> list[Region]:
    """Regions of a scanned page: ruled tables, figures with their labels, then blocks of the
    other OCR lines (with ``paragraphs``, each block cut where a paragraph starts). ``tables``:
    regions already made (tables, formulas), ``lines`` holding none of their words."""
    regions: list[Region] = [_figure_region(fig, lines) for fig in figures] + list(tables)
    labels = {i for fig in figures for i in fig.lines}
    outside = [ln for i, ln in enumerate(lines) if i not in labels
               and not any(ln.box.overlap_ratio(g.box) > 0.5 for g in grids)]
    for grid in grids:
        words = [w for line in lines for w in line.words if w.box.overlap_ratio(grid.box) > 0.5]
        table = table_from_grid(grid, words)
        repair_decimals(table)
        regions.append(Region(RegionKind.TABLE, grid.box, text=table.to_markdown(), words=words,
                              table=table))
    cores = [line.core_box for line in outside]
    body = sorted(b.height for b in cores)
    body_height = body[len(body) // 2] if body else 0.0
    lows = [_lowest_word(line) for line in outside]
    blocks = blocks_from_lines(cores, [line.text for line in outside], lows)
    if paragraphs:
        blocks = [part for block in blocks for part in split_paragraphs(block, outside)]
    for block in blocks:
        block_lines = [outside[i] for i in block]
        box = union_of(line.box for line in block_lines)
        kind = block_kind([cores[i] for i in block], body_height,
                          "\n".join(line.text for line in block_lines))
        regions.append(Region(kind, box, text="\n".join(line.text for line in block_lines),
                              words=[w for line in block_lines for w in line.words]))
    if not regions:  # ink but no text: a picture, or text Tesseract could not read
        regions = [Region(RegionKind.PICTURE, Box(0.0, 0.0, width, height, Space.PAGE))]
    return reading_order(regions)


def split_paragraphs(block: list[int], lines: Sequence[OcrLine]) -> list[list[int]]:
    """A block of lines (top to bottom) cut before each line that starts a paragraph: one
    indented from the block's left edge under a line that is not, or one under a line that
    closes a sentence well short of the right edge. Text-layer lines are exact enough for
    this; the layout model cut paragraphs the same way on the pages measured."""
    left = min(lines[i].box.x0 for i in block)
    right = max(lines[i].box.x1 for i in block)
    parts: list[list[int]] = [[block[0]]]
    for prev, i in zip(block, block[1:], strict=False):
        h = max(lines[i].box.height, 1.0)
        # a first line runs to the right edge: a centred title's second line does not
        indented = (lines[i].box.x0 - left > 0.6 * h and lines[prev].box.x0 - left <= 0.6 * h
                    and right - lines[i].box.x1 <= 2.0 * h and not _hangs(lines[prev], lines[i]))
        short_end = right - lines[prev].box.x1 > 2.0 * h and ends_sentence(lines[prev].text)
        if indented or short_end:
            parts.append([i])
        else:
            parts[-1].append(i)
    return parts


def _hangs(item: OcrLine, line: OcrLine) -> bool:
    """Whether ``line`` is the indented run-on of a numbered item (``3. 「농업ㆍ농촌 ...``):
    it starts no further in than the item's text after its number."""
    words = item.words
    if len(words) < 2 or not _SECTION_NUMBER.match(words[0].text):
        return False
    return line.box.x0 <= words[1].box.x0 + 0.6 * max(line.box.height, 1.0)


@dataclass(frozen=True, slots=True)
class PlainPage:
    """What a page laid out from its text-layer lines holds besides them: raster pictures set
    apart from the text, and tables ruled in its vector drawing (cells known, not yet filled)."""

    pictures: list[Box]
    grids: list[CellGrid]


def plain_page(page: pymupdf.Page) -> PlainPage | None:
    """The pictures and ruled tables of a page whose text-layer lines are all a layout needs
    besides them. None where the page needs the layout model: a drawing other than rules,
    small marks, shading behind a line and ruled tables (a vector chart, a diagram; see
    ``indexing.vector_grids``), or an image behind the whole page. Images too small to be a
    figure (logos, bullets, an inline formula) are left out, as the model path leaves them
    (``missed_pictures``), and so are images inside a table (its crop shows them). A few ms
    to tell, against 0.2 s of CPU for the layout model."""
    grids = page_grids(page)
    if grids is None:
        return None
    width, height = page.rect.width, page.rect.height
    pictures: list[Box] = []
    for info in image_info(page):
        box = Box.from_corners(*info["bbox"], Space.PAGE).clip(width, height)
        if min(box.width, box.height) <= RULE_THICKNESS:
            continue  # TeX's fraction bars are 1-pixel images
        if box.area > PICTURE_MAX_SHARE * width * height:
            return None
        if box.area >= PICTURE_MIN_SHARE * width * height and min(box.width, box.height) >= PICTURE_MIN_SIDE \
                and not any(box.overlap_ratio(g.box) > 0.5 for g in grids):
            pictures.append(box)
    return PlainPage(_merged(pictures), grids)


PICTURE_LABEL_WORDS = 30  # more words than this inside a picture: text set over an image


def _merged(boxes: list[Box]) -> list[Box]:
    """Boxes with those that overlap joined: a figure drawn as several images is one picture."""
    out: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b.y0, b.x0)):
        for i, have in enumerate(out):
            if have.intersect(box).area > 0:
                out[i] = have.union(box)
                break
        else:
            out.append(box)
    return out


def text_layer_regions(lines: list[OcrLine], width: float, height: float,
                       pictures: Sequence[Box] = (), grids: Sequence[CellGrid] = ()) -> list[Region] | None:
    """Regions of a plain page from its text-layer lines, as a scan's from OCR lines, with
    paragraphs cut at indents and short sentence ends. Each ruled grid is a table of the
    words centred in its cells (as ``find_tables`` cells are filled on the model path); a line
    mostly inside a picture is one of its labels. None when a picture holds more words than
    labels (text set over an image: the layout model decides)."""
    tables = [_grid_table(grid, lines) for grid in grids]
    lines = join_pieces([rest for ln in lines if (rest := _outside(ln, grids)) is not None])
    figures = _figures(pictures, lines)
    if figures is None:
        return None
    regions = fold_labels(scan_regions(lines, [], width, height, figures, paragraphs=True,
                                       tables=tables))
    if not fragmented(regions):
        return regions
    # scraps: displayed formulas, each made one region before the prose is grouped
    labels = {i for fig in figures for i in fig.lines}
    formulas, prose = split_formulas([ln for i, ln in enumerate(lines) if i not in labels])
    if not formulas:
        return regions
    lines = prose + [lines[i] for i in sorted(labels)]
    return fold_labels(scan_regions(lines, [], width, height, _figures(pictures, lines) or [],
                                    paragraphs=True, tables=[*tables, *formulas]))


_LABEL = re.compile(r"^[\[【]\d{1,5}[\]】]$")  # a paragraph's number set in the margin: [0012]
_BODY = (RegionKind.TEXT, RegionKind.LIST_ITEM, RegionKind.SECTION_HEADER)


def fold_labels(regions: list[Region]) -> list[Region]:
    """Paragraph numbers set in the margin (a patent's ``[0012]``) joined to the paragraph
    beside them, at its start, as the layout model takes them: alone, each is a crop that
    can answer nothing."""
    out = list(regions)
    for label in [r for r in regions if r.kind in _BODY and _LABEL.match(r.text.strip())]:
        mid = (label.box.y0 + label.box.y1) / 2
        beside = [r for r in out if r is not label and r.kind in _BODY and r.box.x0 >= label.box.x1
                  and r.box.y0 - label.box.height <= mid <= r.box.y1]
        if not beside:
            continue
        body = min(beside, key=lambda r: r.box.x0)
        body.text = f"{label.text} {body.text}"
        body.words = label.words + body.words
        body.box = body.box.union(label.box)
        out.remove(label)
    return renumber(out)


def _figures(pictures: Sequence[Box], lines: Sequence[OcrLine]) -> list[Figure] | None:
    """Each picture with the lines on it as its labels; None when one holds more words than
    labels (text set over an image)."""
    figures = []
    for box in pictures:
        inside = [i for i, ln in enumerate(lines) if ln.box.overlap_ratio(box) > 0.5]
        if sum(len(lines[i].words) for i in inside) > PICTURE_LABEL_WORDS:
            return None
        figures.append(Figure(union_of([box, *(lines[i].box for i in inside)]), inside))
    return figures


def _grid_table(grid: CellGrid, lines: Sequence[OcrLine]) -> Region:
    words = [w for line in lines for w in line.words if centre_in(w.box, grid.box)]
    table = fill_cells(grid.cells, grid.n_rows, grid.n_cols, words)
    return Region(RegionKind.TABLE, grid.box, text=table.to_markdown(), words=words, table=table)


def _outside(line: OcrLine, grids: Sequence[CellGrid]) -> OcrLine | None:
    """The part of ``line`` outside every grid (as a rule the whole line, or nothing)."""
    words = [w for w in line.words if not any(centre_in(w.box, g.box) for g in grids)]
    if len(words) == len(line.words):
        return line
    return OcrLine.of(words, line.block) if words else None


_SECTION_NUMBER = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+\.?|[가-하]\.)$")
WORD_SPACE = 1.0  # line heights: a wider gap on a baseline parts columns, not words
NUMBER_GAP = 4.0  # line heights: a section number may stand this far from its heading


def join_pieces(lines: list[OcrLine]) -> list[OcrLine]:
    """Pieces of one printed line that the text layer keeps apart joined left to right: the
    words of a justified line set one by one, and a section number and its heading
    (``1`` | ``Introduction``). Pieces join on the same baseline across a word space, or a
    few letters' space after a section number."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].box.x0, lines[i].box.y0))
    out: list[OcrLine] = []
    by_bottom: list[tuple[float, int]] = []  # (y1, index into out), sorted: the lines near a baseline
    tallest = 1.0
    for i in order:
        line = lines[i]
        near = 0.3 * max(tallest, line.box.height)
        lo = bisect_left(by_bottom, (line.box.y1 - near, -1))
        hi = bisect_right(by_bottom, (line.box.y1 + near, len(out)))
        k = next((k for k in sorted(k for _, k in by_bottom[lo:hi]) if _joins(out[k], line)), None)
        if k is None:
            insort(by_bottom, (line.box.y1, len(out)))
            out.append(line)
            tallest = max(tallest, line.box.height)
            continue
        prev = out[k]
        out[k] = OcrLine(prev.words + line.words, prev.box.union(line.box), prev.block)
        if out[k].box.y1 != prev.box.y1:
            by_bottom.remove((prev.box.y1, k))
            insort(by_bottom, (out[k].box.y1, k))
        tallest = max(tallest, out[k].box.height)
    return sorted(out, key=lambda ln: (ln.box.y0, ln.box.x0))


def _joins(prev: OcrLine, line: OcrLine) -> bool:
    """Whether ``line`` continues ``prev`` (to its left) on the same printed line."""
    h = max(prev.box.height, line.box.height, 1.0)
    if abs(prev.box.y1 - line.box.y1) >= 0.3 * h:
        return False
    gap = line.box.x0 - prev.box.x1
    reach = NUMBER_GAP if _SECTION_NUMBER.match(prev.text) else WORD_SPACE
    return -0.5 * h <= gap < reach * h


FRAGMENT_WORDS = 2  # a region of this many words or fewer is a scrap, as is a "heading"...
FRAGMENTED = 0.35  # ...and a page with more than this share of scraps (formulas) needs the model


def fragmented(regions: Sequence[Region]) -> bool:
    """Regions cut from lines that fell apart into scraps: a page of displayed formulas, whose
    symbols the text layer places one by one (tall ones read as headings)."""
    # a figure's labels are few by nature, and a formula region is one display, whole
    texts = [r for r in regions if r.kind not in (RegionKind.PICTURE, RegionKind.FORMULA)]
    scraps = sum(len(r.text.split()) <= FRAGMENT_WORDS or r.kind == RegionKind.SECTION_HEADER
                 for r in texts)
    return len(texts) >= 6 and scraps > FRAGMENTED * len(texts)


def _lowest_word(line: OcrLine) -> float:
    """The height of the line's shortest word of letters or digits (not a dot or a dash)."""
    return min((w.box.height for w in line.words if _LETTER.search(w.text)), default=line.height)


_LETTER = re.compile(r"[\uac00-\ud7a30-9A-Za-z]")


def _figure_region(fig: Figure, lines: list[OcrLine]) -> Region:
    """A figure's labels read top to bottom, left to right, as its text."""
    taken = sorted((lines[i] for i in fig.lines), key=lambda ln: (round(ln.box.y0 / 4), ln.box.x0))
    return Region(RegionKind.PICTURE, fig.box, text="\n".join(ln.text for ln in taken),
                  words=[w for ln in taken for w in ln.words])

"""What a reader knows about a crop beyond its own text: the document's title, the section
headings above it (across pages) and its caption.

A table on page 2 of a city report holds ``지표 | 2019년 | 2020년 ...`` and numbers, but not
the city, which only the title on page 1 names; a question that names the city reaches the
table only if the title travels with it. ``document_context`` reads a document's regions in
reading order and gives every region its ``CropContext`` and a ``Role``: body regions are
results; the title, headings and attached captions are context folded into the body regions
they head, and running heads/feet are furniture. Nothing here reads pixels: it works from the
region kinds of the layout step, their boxes, texts and word heights (a font-size proxy that
the text layer and OCR both give).

Title: the first ``title`` region on the first two pages; else the page-1 region set in the
clearly largest type near the top (the layout model often labels a title ``text`` or
``page-header``); else the PDF's metadata title; else the file name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath
from statistics import median

from indexing.geometry import Box
from indexing.model import RegionKind, Word

TITLE_PAGES = 2
MAX_CONTEXT_CHARS = 200  # a "heading" longer than this is a misread paragraph: cut it
TITLE_SIZE_RATIO = 1.2  # a fallback title is set at least this much larger than the body
TITLE_FIRST_RATIO = 1.1  # ...or this much, as page 1's first text-layer region (a bill's 16 pt over 14)
LINE_SIZE_SHARE = 0.75  # a line set at least this share of a region's largest type is of its title
TITLE_TOP = 0.2  # ...and starts in this top share of page 1
SAME_SIZE = 0.08  # headings whose sizes differ by less than this share are the same level
CAPTION_GAP = 72.0  # points between a caption and the table or figure it names, at most
MARGIN_SHARE = 0.08  # running heads and feet sit within this share of the page height

FIGURES = frozenset({RegionKind.TABLE, RegionKind.PICTURE, RegionKind.CHART})
HEADINGS = frozenset({RegionKind.SECTION_HEADER, RegionKind.TITLE})
FURNITURE = frozenset({RegionKind.PAGE_HEADER, RegionKind.PAGE_FOOTER})
_CAPTION = re.compile(
    r"^\s*[<\[(〈《【]?\s*(표|그림|도표|차트|사진|도|Table|Figure|Fig\.?|Chart|Exhibit)"
    r"\s*[0-9０-９IVXⅠ-Ⅻ]", re.IGNORECASE)
# a section number, not a year ("2019 상수도 사업 현황" is a title)
_NUMBERING = re.compile(r"^\s*(\d{1,3}(?:\.\d+)*)[.)]?\s")
# how a section is numbered: 3., 1.2, 가., IV., 제2장
SECTION_NUMBER = r"\d+(?:\.\d+)*\.?|[가-하]\.|[IVXⅠ-Ⅻ]+\.|제\s*\d+\s*[장절관]"
_HEADING_NUMBER = re.compile(rf"^\s*(?:{SECTION_NUMBER})\s+\S")
HEADING_MAX_CHARS = 40
_JUNK_META = re.compile(r"^(untitled|제목 ?없음|microsoft word - .*|document\d*)$", re.IGNORECASE)


class Role(StrEnum):
    BODY = "body"  # a result: evidence that can answer
    TITLE = "title"
    HEADING = "heading"
    CAPTION = "caption"
    FURNITURE = "furniture"  # running heads and feet, page numbers


@dataclass(frozen=True, slots=True)
class Block:
    """What context building needs of one region. ``size`` is the median word height in
    points (0 when the region has no words), a proxy for the font size."""

    page: int
    kind: RegionKind
    box: Box
    text: str
    size: float = 0.0
    page_height: float = 842.0
    lines: tuple[tuple[str, float], ...] = ()  # (text, median word height) per line, if known
    ocr: bool = False  # its text was read by OCR


@dataclass(frozen=True, slots=True)
class CropContext:
    """What a reader knows about a crop beyond its own text.

    A table that crosses pages is one table in several crops, one per page
    (``indexing.continuation``): each part knows the ``parts`` in page order and its own 1-based
    ``part``; a later part names the first in ``continues``, and one printed without the
    header row gets the first part's ``header`` rows (cell texts) to be read and searched by.
    Parts are named by block index while a document is planned and by crop id once written.
    ``part`` 0 is a crop that is not such a part."""

    title: str = ""
    headings: tuple[str, ...] = ()
    caption: str = ""
    continues: int | None = None
    part: int = 0
    parts: tuple[int, ...] = ()
    header: tuple[tuple[str, ...], ...] = ()

    def text(self, parts: Sequence[str] = ("title", "headings", "caption")) -> str:
        """The context as one text, one line per part (headings joined by ``>``)."""
        lines = []
        if "title" in parts and self.title:
            lines.append(self.title)
        if "headings" in parts and self.headings:
            lines.append(" > ".join(self.headings))
        if "caption" in parts and self.caption:
            lines.append(self.caption)
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The stored form (``Crop.context``); the link keys only on parts of a long table, so
        every other crop's context reads as it did before they existed."""
        out: dict = {"title": self.title, "headings": list(self.headings), "caption": self.caption}
        if self.part:
            out["part"] = self.part
            out["parts"] = list(self.parts)
            if self.continues is not None:
                out["continues"] = self.continues
            if self.header:
                out["header"] = [list(row) for row in self.header]
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> CropContext:
        """A stored context back; rows written before a key existed get its default."""
        data = data or {}
        continues = data.get("continues")
        return cls(str(data.get("title") or ""), tuple(str(h) for h in data.get("headings") or ()),
                   str(data.get("caption") or ""), int(continues) if continues is not None else None,
                   int(data.get("part") or 0), tuple(int(p) for p in data.get("parts") or ()),
                   tuple(tuple(str(t) for t in row) for row in data.get("header") or ()))

    @property
    def linked(self) -> bool:
        """Whether the crop is a part of a table that crosses pages."""
        return self.part > 0


@dataclass(slots=True)
class DocumentContext:
    title: str
    title_source: str  # "layout", "metadata" or "filename"
    roles: list[Role] = field(default_factory=list)
    contexts: list[CropContext] = field(default_factory=list)
    title_ocr: bool = False  # the title was read by OCR (its spaces may fall inside words)


def block_size(heights: Sequence[float]) -> float:
    return float(median(heights)) if heights else 0.0


def document_context(blocks: Sequence[Block], *, filename: str,
                     metadata_title: str | None = None) -> DocumentContext:
    """Roles and contexts of ``blocks`` (one document's regions in reading order)."""
    title_at = _title_block(blocks)
    if title_at is not None:
        title, source = _clean(_title_text(blocks[title_at])), "layout"
    elif metadata_title and _clean(metadata_title) and not _JUNK_META.match(metadata_title.strip()):
        title, source = _clean(metadata_title), "metadata"
    else:
        title, source = _title_from_filename(filename), "filename"
    roles = [_initial_role(i, b, title_at) for i, b in enumerate(blocks)]
    for i in _running_heads(blocks):
        if roles[i] == Role.BODY:
            roles[i] = Role.FURNITURE
    for i in _implied_headings(blocks, roles):
        roles[i] = Role.HEADING
    captions = _attach_captions(blocks, roles)
    headings = _heading_paths(blocks, roles)
    used = {h for i, path in enumerate(headings) if roles[i] == Role.BODY for h in path}
    contexts = []
    for i in range(len(blocks)):
        if roles[i] == Role.HEADING and i not in used:
            roles[i] = Role.BODY  # heads nothing: it is its own evidence
        texts = tuple(_clean(blocks[h].text) for h in headings[i])
        contexts.append(CropContext(title, texts, " ".join(captions.get(i, []))))
    if title_at is not None and not any(r == Role.BODY for r in roles):
        roles[title_at] = Role.BODY  # a document that is only a title is still findable
    title_ocr = title_at is not None and blocks[title_at].ocr
    return DocumentContext(title, source, roles, contexts, title_ocr)


def text_lines(words: Sequence[Word], exact: bool = False) -> tuple[tuple[str, float], ...]:
    """Words (in reading order) -> (text, median word height) per line, top to bottom.

    ``exact`` (text-layer heights): a line keeps only its words set near its largest size, so
    a title and the small print beside it (``문서번호 : CSW-0034``) part; OCR heights vary
    too much within a line for that."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: ((w.box.y0 + w.box.y1) / 2, w.box.x0)):
        last = lines[-1][-1] if lines else None
        if last is not None and abs((w.box.y0 + w.box.y1 - last.box.y0 - last.box.y1) / 2) \
                <= 0.5 * max(w.box.height, last.box.height, 1.0):
            lines[-1].append(w)
        else:
            lines.append([w])
    if exact:
        lines = [_near_largest(line) for line in lines]
    return tuple((" ".join(w.text for w in sorted(line, key=lambda w: w.box.x0)),
                  block_size([w.box.height for w in line])) for line in lines)


def _near_largest(line: list[Word]) -> list[Word]:
    floor = LINE_SIZE_SHARE * max(w.box.height for w in line)
    return [w for w in line if w.box.height >= floor]


def _title_text(b: Block) -> str:
    return " ".join(_title_lines(b))


def _title_lines(b: Block) -> list[str]:
    """The first run of the block's lines set in its largest type: a scan's OCR block often
    takes the smaller subtitle under it too ("2003년 12월 31일 기준 ..."), and a text-layer
    region the small print above it (``MSDS번호 : ...`` over ``물질안전보건자료``)."""
    if len(b.lines) < 2:
        return _nonblank_lines(b.text)
    big = max(size for _, size in b.lines)
    kept: list[str] = []
    for text, size in b.lines:
        if size >= LINE_SIZE_SHARE * big and text.strip():
            kept.append(text)
        elif kept or b.ocr:  # OCR heights vary too much to skip lines on them
            break
    return kept or _nonblank_lines(b.text)


def _nonblank_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def _title_size(b: Block) -> float:
    """The type size a title candidate is judged by: a text-layer region's largest line (its
    heights are the fonts'), else its median word height."""
    if b.lines and not b.ocr:
        return max(size for _, size in b.lines)
    return b.size


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_CONTEXT_CHARS]


def _title_from_filename(filename: str) -> str:
    stem = PurePath(filename).stem
    return " ".join(re.sub(r"[_\-]+", " ", stem).split())


def _body_size(blocks: Sequence[Block]) -> float:
    sizes = [b.size for b in blocks if b.kind in (RegionKind.TEXT, RegionKind.LIST_ITEM) and b.size]
    return float(median(sizes)) if sizes else 0.0


def _title_block(blocks: Sequence[Block]) -> int | None:
    for i, b in enumerate(blocks):
        if b.page > TITLE_PAGES:
            break
        if b.kind == RegionKind.TITLE and b.text.strip():
            return i
    body = _body_size(blocks)
    best: int | None = None
    first = True  # the first region of page 1 that is not a running head
    for i, b in enumerate(blocks):
        if b.page != 1:
            if b.page > 1:
                break
            continue
        ratio = TITLE_FIRST_RATIO if first and not b.ocr else TITLE_SIZE_RATIO
        first = first and b.kind in FURNITURE
        if not _title_like(b) or (body and _title_size(b) < ratio * body):
            continue
        if best is None or _title_size(b) > _title_size(blocks[best]) * (1 + SAME_SIZE):
            best = i
    return best


def _title_like(b: Block) -> bool:
    # a text-layer region is judged by its title lines; an OCR block by all of it
    lines = _nonblank_lines(b.text) if b.ocr else _title_lines(b)
    text = "\n".join(lines)
    kinds = (RegionKind.TEXT, RegionKind.SECTION_HEADER, RegionKind.PAGE_HEADER)
    letters = sum(ch.isalpha() for ch in text)  # OCR specks ("x]") are no title
    return (b.kind in kinds and 0 < len(lines) <= 3 and len(text) <= MAX_CONTEXT_CHARS
            and letters >= 3 and b.size > 0 and b.box.y0 < TITLE_TOP * b.page_height
            and not _NUMBERING.match(text))  # "1. 개요" is a section, not the title


def _running_heads(blocks: Sequence[Block]) -> set[int]:
    """Blocks in the top or bottom margin whose text, digits aside, repeats on other pages:
    running heads and page numbers (a scan has no layout model to label them)."""
    def key(b: Block) -> str | None:
        margin = MARGIN_SHARE * b.page_height
        if len(b.text) > MAX_CONTEXT_CHARS or not (b.box.y1 < margin or b.box.y0 > b.page_height - margin):
            return None
        return re.sub(r"[\d\s\-–—.]+", "", b.text) + ("top" if b.box.y1 < margin else "bottom")

    pages: dict[str, set[int]] = {}
    for b in blocks:
        k = key(b)
        if k is not None:
            pages.setdefault(k, set()).add(b.page)
    return {i for i, b in enumerate(blocks) if (k := key(b)) is not None and len(pages[k]) >= 2}


def _initial_role(i: int, b: Block, title_at: int | None) -> Role:
    if i == title_at:
        return Role.TITLE
    if b.kind in FURNITURE:
        return Role.FURNITURE
    if b.kind in HEADINGS and b.text.strip():
        return Role.HEADING
    return Role.BODY


def _implied_headings(blocks: Sequence[Block], roles: list[Role]) -> list[int]:
    """Text blocks that head the paragraph under them though nothing labels them a heading:
    one short line that names rather than says (no sentence end, no colon, no figure),
    followed on its page by a paragraph of prose that starts within a few line heights
    below, no further left than the line's own indent allows, and runs at least twice as
    wide. A bill's ``제안이유 및 주요내용`` is set at body size in another face, which
    neither the layout model nor word heights see. (Word heights alone were tried for
    larger type too: on the real PDFs they promoted formula scraps and paragraph numbers.)"""
    out = []
    for i, b in enumerate(blocks[:-1]):
        nxt = blocks[i + 1]
        if roles[i] != Role.BODY or roles[i + 1] != Role.BODY or b.kind != RegionKind.TEXT \
                or nxt.kind not in (RegionKind.TEXT, RegionKind.LIST_ITEM) or nxt.page != b.page:
            continue
        if _names_a_section(b) and _heads(b, nxt):
            out.append(i)
    return out


IMPLIED_HEADING_CHARS = 24  # an unlabelled heading is one line this short, at most


def _names_a_section(b: Block) -> bool:
    text = b.text.strip()
    return (0 < len(text) <= IMPLIED_HEADING_CHARS and "\n" not in text and len(text.split()) <= 5
            and not re.search(r"[:：\d]", text) and not looks_like_caption(text)
            and sum(ch.isalpha() for ch in text) >= 2 and not _SAYS.search(text))


# a sentence's end, or a clause that goes on (``상기 더미 이미지 생성부는``): no heading
_SAYS = re.compile(r"(?:다|음|함)\.?$|[.!?,]$|[가-힣](?:은|는|을|를)$")
IMPLIED_BODY_CHARS = 80  # the paragraph under it is prose, not a short field such as an address


def _heads(b: Block, body: Block) -> bool:
    h = max(b.box.height, 1.0)
    lines = len(body.lines) if body.lines else body.text.count("\n") + 1
    return (lines >= 2 and len(body.text) >= IMPLIED_BODY_CHARS and -0.5 * h < body.box.y0 - b.box.y1 < 3.0 * h
            and abs(body.box.x0 - b.box.x0) < 2.0 * h and body.box.width >= 2 * b.box.width)


def is_caption(b: Block) -> bool:
    """A caption region, or a short text that reads like one (``표 1. ...``, ``그림 2 ...``)."""
    if b.kind == RegionKind.CAPTION:
        return bool(b.text.strip())
    return b.kind in (RegionKind.TEXT, RegionKind.LIST_ITEM, RegionKind.SECTION_HEADER) \
        and looks_like_caption(b.text)


def looks_like_caption(text: str) -> bool:
    return len(text) <= MAX_CONTEXT_CHARS and bool(_CAPTION.match(text))


def looks_like_heading(text: str) -> bool:
    """One short numbered line (``3. 주요 지표``, ``가. 목적``, ``제2장 ...``), not a sentence."""
    text = text.strip()
    return (len(text) <= HEADING_MAX_CHARS and "\n" not in text and bool(_HEADING_NUMBER.match(text))
            and not text.endswith(("다.", "다", ".")))


def _attach_captions(blocks: Sequence[Block], roles: list[Role]) -> dict[int, list[str]]:
    """Captions by the index of the table or figure they name (nearest on the same page)."""
    out: dict[int, list[str]] = {}
    for i, b in enumerate(blocks):
        if roles[i] not in (Role.BODY, Role.HEADING) or not is_caption(b):
            continue
        target = _nearest_figure(blocks, i)
        if target is not None:
            roles[i] = Role.CAPTION
            out.setdefault(target, []).append(_clean(b.text))
    return out


def _nearest_figure(blocks: Sequence[Block], i: int) -> int | None:
    cap = blocks[i].box
    best, best_gap = None, CAPTION_GAP
    for j, b in enumerate(blocks):
        if b.page != blocks[i].page or b.kind not in FIGURES:
            continue
        if min(cap.x1, b.box.x1) - max(cap.x0, b.box.x0) <= 0:
            continue  # side by side: not its caption
        gap = max(b.box.y0 - cap.y1, cap.y0 - b.box.y1, 0.0)
        if gap < best_gap:
            best, best_gap = j, gap
    return best


def _heading_paths(blocks: Sequence[Block], roles: list[Role]) -> list[tuple[int, ...]]:
    """For each block, the headings above it (outermost first), as block indices.

    Headings nest by reading order and size. A body block hangs under the closest heading
    above it on its page that shares its column (x overlap), because the layout model reads
    two-column pages row by row as often as column by column; a block with no such heading
    continues the section open where its page began.
    """
    stack: list[int] = []
    parents: dict[int, tuple[int, ...]] = {}
    page_start: dict[int, tuple[int, ...]] = {}
    for i, b in enumerate(blocks):
        page_start.setdefault(b.page, tuple(stack))
        if roles[i] == Role.HEADING:
            while stack and not _outranks(blocks[stack[-1]], b):
                stack.pop()
            parents[i] = tuple(stack)
            stack.append(i)
    paths: list[tuple[int, ...]] = []
    for i, b in enumerate(blocks):
        if i in parents:
            paths.append(parents[i])
            continue
        above = [h for h in parents if blocks[h].page == b.page and blocks[h].box.y1 <= b.box.y0 + 2
                 and min(blocks[h].box.x1, b.box.x1) > max(blocks[h].box.x0, b.box.x0)]
        if above:
            h = max(above, key=lambda h: (blocks[h].box.y1, h))
            paths.append(parents[h] + (h,))
        else:
            paths.append(page_start[b.page])
    return paths


def _outranks(parent: Block, child: Block) -> bool:
    """Whether heading ``parent`` is a level above ``child``: set larger, or the same size
    with a shallower number (``1.`` over ``1.2``)."""
    if parent.size and child.size:
        if parent.size > child.size * (1 + SAME_SIZE):
            return True
        if child.size > parent.size * (1 + SAME_SIZE):
            return False
    a, b = _depth(parent.text), _depth(child.text)
    return a is not None and b is not None and a < b


def _depth(text: str) -> int | None:
    m = _NUMBERING.match(text)
    return m.group(1).count(".") + 1 if m else None

"""A page's own text: is it usable, and which words fall into which region.

A page needs OCR when its text layer is empty or tiny for its size, when it is mostly garbage
(U+FFFD or private-use glyphs from fonts without a Unicode map), or when a raster image covers
most of the page and the text over it is too thin to be the page's real content (a scan with
a stamp or a page number in it).

Korean PDFs are often written without space characters; the words are separated only by
where the glyphs sit (a gap of about half an em). Words are therefore rebuilt from character
positions, so "이 법은 공포 후" does not come out as "이법은공포후".
"""

from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from indexing.geometry import Box, Space
from indexing.model import Region, RegionKind, Word

# Ligatures, whitespace, clip to the page; no CID substitution, so unknown glyphs show as
# U+FFFD and can be counted as garbage.
TEXT_FLAGS = (pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_PRESERVE_WHITESPACE
              | pymupdf.TEXT_MEDIABOX_CLIP)
A4_AREA = 595.0 * 842.0
WORD_GAP = 0.2  # a gap between glyphs wider than this share of the font size separates words


@dataclass(frozen=True, slots=True)
class TextLayerCheck:
    """What the text layer of one page looks like, and whether OCR is needed."""

    chars: int  # visible, non-space characters
    garbage_ratio: float
    image_cover: float  # share of the page covered by raster images
    reason: str | None  # why OCR is needed, or None

    @property
    def needs_ocr(self) -> bool:
        return self.reason is not None


@dataclass(frozen=True, slots=True)
class OcrPolicy:
    min_chars: int = 10  # per A4-sized area
    max_garbage: float = 0.3
    scan_cover: float = 0.6  # a raster covering this much of the page makes it a scan...
    scan_min_chars: int = 200  # ...unless its text layer holds at least this much text


def check_text_layer(page: pymupdf.Page, policy: OcrPolicy | None = None,
                     raw: dict | None = None) -> TextLayerCheck:
    """Decide text layer vs OCR for ``page``; ``raw`` is its rawdict if already extracted."""
    policy = policy or OcrPolicy()
    raw = raw if raw is not None else extract_raw(page)
    chars = garbage = 0
    for ch in _chars(raw):
        c = ch["c"]
        if c.isspace():
            continue
        chars += 1
        garbage += _is_garbage(c)
    area = max(page.rect.width * page.rect.height, 1.0)
    cover = image_cover(page)
    ratio = garbage / chars if chars else 0.0
    needed = max(1, round(policy.min_chars * area / A4_AREA))
    reason = None
    if chars == 0:
        reason = "no text layer"
    elif ratio > policy.max_garbage:
        reason = f"text layer is garbage ({ratio:.0%} unreadable characters)"
    elif chars - garbage < needed:
        reason = f"text layer too small ({chars - garbage} characters)"
    elif cover >= policy.scan_cover and chars < policy.scan_min_chars:
        reason = f"scanned page ({cover:.0%} image, {chars} characters of text)"
    return TextLayerCheck(chars, ratio, cover, reason)


def needs_ocr(page: pymupdf.Page, policy: OcrPolicy | None = None) -> bool:
    return check_text_layer(page, policy).needs_ocr


def extract_raw(page: pymupdf.Page) -> dict:
    return page.get_text("rawdict", flags=TEXT_FLAGS)


def image_info(page: pymupdf.Page) -> list[dict]:
    """``page.get_image_info()``, worked out once per page object. PyMuPDF keeps its answer only
    when the page has images: on a page without, every call builds a text page again (about
    1 ms), and routing, layout and rendering each ask."""
    known = getattr(page, "_image_info_cache", None)
    if known is None:
        known = page.get_image_info()
        page._image_info_cache = known
    return known


def image_cover(page: pymupdf.Page) -> float:
    """Share of the page area covered by raster images (overlaps counted once per image)."""
    area = page.rect.width * page.rect.height
    if area <= 0:
        return 0.0
    covered = 0.0
    for info in image_info(page):
        covered += (pymupdf.Rect(info["bbox"]) & page.rect).get_area()
    return min(covered / area, 1.0)


def _is_garbage(c: str) -> bool:
    code = ord(c)
    return (code == 0xFFFD or 0xE000 <= code <= 0xF8FF or code >= 0xF0000
            or (code < 0x20 and c not in "\t\n\r"))


def _chars(raw: dict):
    for block in raw.get("blocks", ()):
        for line in block.get("lines", ()):
            for span in line["spans"]:
                yield from span["chars"]


# -- words ----------------------------------------------------------------------------------

def page_words(page: pymupdf.Page, raw: dict | None = None) -> list[Word]:
    """The page's words in extraction order, split at spaces and at wide glyph gaps."""
    return [w for line in page_lines(page, raw) for w in line]


def page_lines(page: pymupdf.Page, raw: dict | None = None) -> list[list[Word]]:
    """The page's words by text-layer line, in extraction order (empty lines left out)."""
    raw = raw if raw is not None else extract_raw(page)
    lines: list[list[Word]] = []
    for block in raw.get("blocks", ()):
        for line in block.get("lines", ()):
            # horizontal text; vertical lines are kept whole
            words = _line_words(line) if line.get("wmode", 0) == 0 else _vertical_line(line)
            if words:
                lines.append(words)
    return lines


def _line_words(line: dict) -> list[Word]:
    words: list[Word] = []
    text: list[str] = []
    box: list[float] | None = None
    prev_x1: float | None = None
    for span in line["spans"]:
        size = span["size"] or 1.0
        for ch in span["chars"]:
            c, (x0, y0, x1, y1) = ch["c"], ch["bbox"]
            gap_break = prev_x1 is not None and x0 - prev_x1 > WORD_GAP * size
            if c.isspace() or gap_break:
                _flush(words, text, box)
                text, box = [], None
            if not c.isspace():
                text.append(c)
                box = [x0, y0, x1, y1] if box is None else [
                    min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            prev_x1 = x1
    _flush(words, text, box)
    return words


def _vertical_line(line: dict) -> list[Word]:
    text = "".join(ch["c"] for span in line["spans"] for ch in span["chars"]).strip()
    return [Word(text, Box(*line["bbox"], Space.PAGE))] if text else []


def _flush(words: list[Word], text: list[str], box: list[float] | None) -> None:
    if text and box is not None:
        words.append(Word("".join(text), Box(*box, Space.PAGE)))


# -- regions --------------------------------------------------------------------------------

def fill_regions(regions: list[Region], words: list[Word]) -> list[Word]:
    """Give each region the words whose centre lies in it; returns the words left over.

    A word inside several regions (a caption drawn over a picture) goes to the smallest.
    Words keep extraction order, which follows lines and columns. A region that already holds
    its table (a ruled grid filled at layout) keeps the table's text.
    """
    leftovers: list[Word] = []
    by_region: dict[int, list[Word]] = {i: [] for i in range(len(regions))}
    for word in words:
        cx, cy = (word.box.x0 + word.box.x1) / 2, (word.box.y0 + word.box.y1) / 2
        hits = [i for i, r in enumerate(regions)
                if r.box.x0 <= cx <= r.box.x1 and r.box.y0 <= cy <= r.box.y1]
        if hits:
            by_region[min(hits, key=lambda i: regions[i].box.area)].append(word)
        else:
            leftovers.append(word)
    for i, region in enumerate(regions):
        region.words = by_region[i]
        if region.table is None:
            region.text = join_words(region.words)
    return leftovers


def join_words(words: list[Word]) -> str:
    """Words -> text: spaces within a line, a newline where the next word starts a new line."""
    parts: list[str] = []
    prev: Word | None = None
    for word in words:
        if prev is not None:
            parts.append("\n" if _new_line(prev, word) else " ")
        parts.append(word.text)
        prev = word
    return "".join(parts)


def _new_line(prev: Word, word: Word) -> bool:
    mid_prev = (prev.box.y0 + prev.box.y1) / 2
    mid = (word.box.y0 + word.box.y1) / 2
    return abs(mid - mid_prev) > 0.5 * max(prev.box.height, word.box.height, 1.0) \
        or word.box.x0 < prev.box.x0


def leftover_regions(words: list[Word]) -> list[Region]:
    """Text the layout model left outside every region, as TEXT regions (one per line band)."""
    regions: list[Region] = []
    for word in words:
        last = regions[-1] if regions else None
        if last is not None and _same_block(last.box, word.box):
            last.words.append(word)
            last.box = last.box.union(word.box)
        else:
            regions.append(Region(RegionKind.TEXT, word.box, words=[word]))
    for region in regions:
        region.text = join_words(region.words)
    return regions


def _same_block(block: Box, word: Box) -> bool:
    line_height = max(word.height, 1.0)
    return word.y0 - block.y1 < 0.8 * line_height and word.x0 < block.x1 + 3 * line_height \
        and word.x1 > block.x0 - 3 * line_height

"""Page primitives for composed reports: text lines with word boxes, wrapping, ruled tables.

Everything drawn is recorded with its box in page points (origin top-left), so that a report
builder can point questions at the exact words, cells and labels that hold their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pymupdf

from indexing.geometry import Box, Space
from vlm.synth.pdf import A4, NANUM, SynthWord, korean_font

NANUM_BOLD = NANUM.with_name("NanumGothicBold.ttf")
# Joins words that a line break must not separate, such as a number and its unit.
KEEP = "\x1f"
Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)


@lru_cache(maxsize=1)
def bold_font() -> pymupdf.Font:
    """NanumGothic Bold when installed, else the regular Korean font."""
    if NANUM_BOLD.exists():
        return pymupdf.Font(fontfile=str(NANUM_BOLD))
    return korean_font()


def union(boxes: list[Box]) -> Box:
    """The smallest box around ``boxes`` (at least one)."""
    out = boxes[0]
    for box in boxes[1:]:
        out = out.union(box)
    return out


@dataclass(frozen=True, slots=True)
class Line:
    """One drawn line of text and its words."""

    words: tuple[SynthWord, ...]

    @property
    def box(self) -> Box:
        return union([w.box for w in self.words])

    @property
    def page(self) -> int:
        return self.words[0].page


class Canvas:
    """A PDF under construction: text goes through TextWriters, drawings through shapes."""

    def __init__(self, page_size: tuple[float, float] = A4,
                 fonts: tuple[pymupdf.Font, pymupdf.Font] | None = None) -> None:
        self.doc = pymupdf.open()
        self.size = page_size
        # (regular, bold): NanumGothic unless the caller sets another family.
        self.fonts = fonts or (korean_font(), bold_font())
        self._writers: dict[tuple[int, Color], pymupdf.TextWriter] = {}
        self._chars: set[str] = {" "}

    @property
    def page_count(self) -> int:
        return self.doc.page_count

    def new_page(self) -> int:
        """Add a page; returns its 1-based number."""
        self.doc.new_page(width=self.size[0], height=self.size[1])
        return self.doc.page_count

    def shape(self, page: int) -> pymupdf.Shape:
        """A shape on ``page``; the caller finishes and commits it."""
        return self.doc[page - 1].new_shape()

    def font(self, bold: bool = False) -> pymupdf.Font:
        return self.fonts[1] if bold else self.fonts[0]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return self.font(bold).text_length(text.replace(KEEP, " "), size)

    def text(self, page: int, x: float, top: float, text: str, size: float, *,
             bold: bool = False, align: str = "left", color: Color = BLACK) -> Line:
        """Draw one line whose top edge is at ``top``.

        ``x`` is the left edge, the centre or the right edge for ``align`` left, center, right.
        """
        text = text.replace(KEEP, " ")
        self._chars.update(text)
        font = self.font(bold)
        width = font.text_length(text, size)
        x0 = {"left": x, "center": x - width / 2, "right": x - width}[align]
        baseline = top + size * font.ascender
        # One string per line with real spaces, as word processors write it.
        self._writer(page, color).append((x0, baseline), text, font=font, fontsize=size)
        space = font.text_length(" ", size)
        words, cursor = [], x0
        for word in text.split():
            w = font.text_length(word, size)
            box = Box(cursor, top, cursor + w, baseline - size * font.descender, Space.PAGE)
            words.append(SynthWord(page, word, box))
            cursor += w + space
        return Line(tuple(words))

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """Greedy word wrap into lines no wider than ``width``; KEEP-joined words stay together."""
        lines: list[str] = []
        line: list[str] = []
        for token in text.split(" "):
            trial = " ".join([*line, token])
            if line and self.width(trial, size, bold) > width:
                lines.append(" ".join(line))
                line = [token]
            else:
                line.append(token)
        if line:
            lines.append(" ".join(line))
        return lines

    def finish(self) -> bytes:
        # Black (body) text first: stream order is the text layer's reading order.
        for (page, color), writer in sorted(self._writers.items(), key=lambda kv: kv[0][1] != BLACK):
            writer.write_text(self.doc[page - 1], color=color)
        # Embedding only the glyphs used keeps a report a few tens of kB instead of 8 MB.
        self.doc.subset_fonts()
        write_to_unicode(self.doc, self._chars, self.fonts)
        # No random file /ID, so that the bytes are a function of the seed.
        return self.doc.tobytes(garbage=3, deflate=True, no_new_id=True)

    def _writer(self, page: int, color: Color) -> pymupdf.TextWriter:
        key = (page, color)
        if key not in self._writers:
            self._writers[key] = pymupdf.TextWriter(self.doc[page - 1].rect)
        return self._writers[key]


def write_to_unicode(doc: pymupdf.Document, chars: set[str],
                     fonts: tuple[pymupdf.Font, ...] | None = None) -> None:
    """Replace every font's ToUnicode map by one holding just the characters drawn.

    Font subsetting leaves the map of the whole font (some 11,000 Hangul glyphs, 45 kB per
    font even compressed), and that map names one character per glyph where the font shares
    glyphs: NanumGothic's middle dot would read back as U+30FB, its space as U+00A0. A map
    built from the drawn characters is small and gives back exactly what was written.
    ``fonts`` are the fonts drawn with (NanumGothic regular and bold by default); each PDF font
    is matched to one by the name in its BaseFont.
    """
    fonts = fonts or (korean_font(), bold_font())
    for xref in range(1, doc.xref_length()):
        kind, value = doc.xref_get_key(xref, "ToUnicode")
        if kind != "xref":
            continue
        base = doc.xref_get_key(xref, "BaseFont")[1]
        font = next((f for f in fonts if f.name in base), fonts[0])
        by_glyph: dict[int, int] = {}
        for c in sorted(chars):
            gid = font.has_glyph(ord(c))
            if gid:
                by_glyph.setdefault(gid, ord(c))
        doc.update_stream(int(value.split()[0]), _cmap(sorted(by_glyph.items())).encode())


def _cmap(pairs: list[tuple[int, int]]) -> str:
    blocks = []
    for i in range(0, len(pairs), 100):  # a CMap block holds at most 100 entries
        chunk = pairs[i:i + 100]
        lines = "\n".join(f"<{g:04x}> <{u:04x}>" for g, u in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo <</Registry(Adobe)/Ordering(UCS)/Supplement 0>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )


@dataclass(slots=True)
class DrawnTable:
    """A ruled table as drawn: its outer box and each cell's box, keyed by (row, column)."""

    box: Box
    cells: dict[tuple[int, int], Box]


def ruled_table(canvas: Canvas, page: int, x0: float, top: float, grid: list[list[str]],
                col_widths: list[float], *, row_height: float = 20.0, size: float = 9.0,
                header: bool = True) -> DrawnTable:
    """Draw ``grid`` with full ruling, a shaded bold header row and a bold first column.

    Numbers are right-aligned in their cells as in printed reports; labels are left-aligned
    and the header row is centred. ``header=False`` draws body rows only (a table's
    continuation on a later page).
    """
    edges = [x0]
    for w in col_widths:
        edges.append(edges[-1] + w)
    bottom = top + row_height * len(grid)
    shape = canvas.shape(page)
    if header:
        shape.draw_rect(pymupdf.Rect(x0, top, edges[-1], top + row_height))
        shape.finish(fill=(0.88, 0.9, 0.93), width=0)
    for r in range(len(grid) + 1):
        shape.draw_line((x0, top + r * row_height), (edges[-1], top + r * row_height))
    for x in edges:
        shape.draw_line((x, top), (x, bottom))
    shape.finish(color=(0.3, 0.3, 0.3), width=0.6, closePath=False)
    shape.commit()
    cells: dict[tuple[int, int], Box] = {}
    text_top = (row_height - size * 1.15) / 2
    for r, row in enumerate(grid):
        y = top + r * row_height
        for c, text in enumerate(row):
            cell = Box(edges[c], y, edges[c + 1], y + row_height, Space.PAGE)
            cells[(r, c)] = cell
            if r == 0 and header:
                canvas.text(page, (cell.x0 + cell.x1) / 2, y + text_top, text, size,
                            bold=True, align="center")
            elif c == 0:
                canvas.text(page, cell.x0 + 5, y + text_top, text, size, bold=True)
            else:
                canvas.text(page, cell.x1 - 5, y + text_top, text, size, align="right")
    return DrawnTable(Box(x0, top, edges[-1], bottom, Space.PAGE), cells)

"""One synthetic document, rendered: its whole page and crops of its three blocks.

:func:`make_document` draws a topic, a chart kind, a style and the numbers from one
``random.Random``, lays the page out, renders it at page resolution and crops its paragraph
block (``document``), its table and its chart (a matplotlib chart's crop is its own image),
and, for a scanned document, degrades every image with its boxes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pymupdf
from PIL import Image

from indexing.geometry import Box, Space
from vlm.synth.degrade import degrade
from vlm.synth.pages import Page, lay_out, sample_style
from vlm.synth.pdf import A4
from vlm.synth.rendered import DocMeta, Layout, Rendered, affine, map_layout, select, to_image
from vlm.synth.topics import CHART_KINDS, EN_TOPICS, KO_TOPICS, Content, sample_content

PAGE_PX = 1300  # the page image's height: A4 at about 111 dpi
CROP_PX = 800  # a crop's longer side at most
MAX_ZOOM = 2.4
PARTS = ("page", "document", "table", "chart")


@dataclass(slots=True)
class Document:
    meta: DocMeta
    content: Content
    parts: dict[str, Rendered]  # by part: page, document, table, chart


def make_document(doc_id: str, rng: random.Random, *, lang: str = "ko", scan: bool = False,
                  page_px: int = PAGE_PX, crop_px: int = CROP_PX) -> Document:
    """Document ``doc_id`` in ``lang`` ("ko" or "en"), scanned or not; all from ``rng``."""
    topic = rng.choice(KO_TOPICS if lang == "ko" else EN_TOPICS)
    kind = rng.choice(CHART_KINDS)
    style = sample_style(rng, kind)
    content = sample_content(topic, rng, kind)
    page = lay_out(content, style, rng)
    meta = DocMeta(doc_id, lang, topic.key, content.title, content.entity, content.edition,
                   style.family, scan)
    parts = {name: Rendered(f"{doc_id}-{name}", name, image, layout, meta)
             for name, (image, layout) in render_parts(page, page_px, crop_px).items()}
    if scan:
        for r in parts.values():
            s = degrade(r.image, rng)
            r.image, r.layout, r.encoded, r.scan = s.image, map_layout(r.layout, s.move), \
                s.data, s.params
    return Document(meta, content, parts)


def render_parts(page: Page, page_px: int = PAGE_PX, crop_px: int = CROP_PX
                 ) -> dict[str, tuple[Image.Image, Layout]]:
    """The page image and the three crops, each with its layout in ``Space.NORM``."""
    doc = pymupdf.open(stream=page.pdf, filetype="pdf")
    pg = doc[0]
    whole = Box(0, 0, *A4, Space.PAGE)
    out = {"page": (_render(pg, whole, page_px / A4[1]), to_image(page.layout, whole))}
    for name in ("document", "table", "chart"):
        frame = page.frames[name]
        if name == "chart" and page.chart_image is not None:
            img = page.chart_image.image
            out[name] = (img, map_layout(page.chart_image.layout,
                                         affine(1 / img.width, 1 / img.height, 0, 0, Space.NORM)))
            continue
        zoom = min(crop_px / max(frame.width, frame.height), MAX_ZOOM)
        part = select(page.layout, frame, facts=name == "document", table=name == "table",
                      chart=name == "chart")
        out[name] = (_render(pg, frame, zoom), to_image(part, frame))
    return out


def _render(page: pymupdf.Page, frame: Box, zoom: float) -> Image.Image:
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False,
                          clip=pymupdf.Rect(frame.x0, frame.y0, frame.x1, frame.y1))
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


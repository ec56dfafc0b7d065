"""Page and crop images, from the file store or drawn from the stored original.

By default (``DOCAGENT_PAGE_IMAGES=on_demand``) ingest draws no page image: a render of every
page and a PNG of every crop cost about a seventh of a text-layer page's ingest time and
some 450 KB of storage a page, and most of them are never looked at. The API, the demos
and a VLM backend that reads pixels ask for them here instead; a page or crop is drawn from
the original (kept in the store under its SHA-256) at the DPI its page was processed with,
so located boxes land on the same pixels. Pages ingested with ``stored`` images (or by an
earlier version) are served from the store as they were.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import pymupdf

from docagent.db.models import Crop, Document, Page
from docagent.errors import NotFoundError
from docagent.store import FileStore
from indexing.geometry import Box, Space
from indexing.render import crop_png, draw_crop, draw_page, page_jpeg
from indexing.sources import open_document, sniff_kind

CROP_PADDING = 2.0  # points around a crop, as the pipeline cuts them (PipelineOptions.crop_padding)


class PageImages:
    """Images of one store's documents. Thread-safe: API requests share one instance; the
    last few originals opened stay open, since a page's crops are usually asked together."""

    def __init__(self, store: FileStore, keep_open: int = 4) -> None:
        self.store = store
        self.keep_open = keep_open
        self._open: OrderedDict[str, pymupdf.Document] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, document: Document, page: Page) -> bytes:
        """The page as JPEG (or the image stored for it)."""
        if page.image_sha256 and self.store.exists(page.image_sha256):
            return self.store.get(page.image_sha256)
        with self._lock:
            image = draw_page(self._page(document, page.number), page.image_dpi)
        return page_jpeg(image)

    def crop(self, crop: Crop) -> bytes:
        """The crop as PNG (or the image stored for it)."""
        if crop.image_sha256 and self.store.exists(crop.image_sha256):
            return self.store.get(crop.image_sha256)
        page = crop.page
        box = Box(crop.x0, crop.y0, crop.x1, crop.y1, Space.PAGE)
        with self._lock:
            image = draw_crop(self._page(page.document, page.number), box, page.image_dpi, CROP_PADDING)
        if image is None:
            raise NotFoundError(f"crop {crop.id} lies outside its page")
        return crop_png(image)

    def _page(self, document: Document, number: int) -> pymupdf.Page:
        doc = self._document(document)
        if not 1 <= number <= doc.page_count:
            raise NotFoundError(f"{document.filename} has no page {number}")
        return doc.load_page(number - 1)

    def _document(self, document: Document) -> pymupdf.Document:
        digest = document.sha256
        doc = self._open.get(digest) if digest else None
        if doc is not None:
            self._open.move_to_end(digest)
            return doc
        if not digest or not self.store.exists(digest):
            raise NotFoundError(f"{document.filename} has no image: its original is not in the file store")
        data = self.store.get(digest)
        # Opened as ingest opened it (the same kind, so a reflowed EPUB gets the same pages).
        doc = self._open[digest] = open_document(data, document.kind or sniff_kind(data, document.filename),
                                                 document.filename)
        while len(self._open) > self.keep_open:
            self._open.popitem(last=False)[1].close()
        return doc

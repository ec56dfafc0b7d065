"""Page and crop images drawn on demand from the stored original, or served as stored."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image
from sqlalchemy import select

from docagent.db.models import Crop, Page
from docagent.db.session import session_scope
from docagent.errors import NotFoundError
from docagent.images import CROP_PADDING, PageImages
from docagent.ingest import Ingestor
from docagent.intake import Upload
from docagent.store import FileStore
from indexing.geometry import Box, Space
from indexing.render import crop_pixels, draw_page, render_page


def _ingest(settings, name: str, data: bytes) -> None:
    ing = Ingestor(settings)
    job, _ = ing.submit("default", "images", [Upload(name, data)])
    (row,) = ing.run_job(job)
    assert row.status == "indexed", row.error


def _pages_and_crops(settings) -> tuple[list[Page], list[Crop]]:
    with session_scope(settings.database_url) as s:
        pages = list(s.scalars(select(Page).order_by(Page.number)))
        crops = list(s.scalars(select(Crop).order_by(Crop.id)))
        for c in crops:  # load what PageImages reads while the session is open
            _ = c.page.document
        for p in pages:
            _ = p.document
        s.expunge_all()
    return pages, crops


def test_text_layer_pages_store_no_images_and_are_drawn_where_their_boxes_say(settings, sample_pdf):
    _ingest(settings, "report.pdf", sample_pdf)
    pages, crops = _pages_and_crops(settings)
    assert pages and crops
    assert all(p.image_sha256 is None for p in pages) and all(c.image_sha256 is None for c in crops)
    images = PageImages(FileStore(settings.files_dir))
    page = pages[0]
    shown = Image.open(io.BytesIO(images.page(page.document, page)))
    assert shown.format == "JPEG"
    scale = page.image_dpi / 72.0
    assert shown.size == (round(page.width * scale), round(page.height * scale))
    # each crop is the part of the page render its box and padding cover
    with pymupdf.open(stream=sample_pdf, filetype="pdf") as doc:
        whole, _ = render_page(doc[0], page.image_dpi)
    for crop in (c for c in crops if c.page.number == 1):
        image = Image.open(io.BytesIO(images.crop(crop)))
        assert image.format == "PNG"
        box = Box(crop.x0, crop.y0, crop.x1, crop.y1, Space.PAGE)
        px = crop_pixels(box, scale, whole.size, CROP_PADDING)
        want = np.asarray(whole.crop(px).convert("L"), dtype=int)
        got = np.asarray(image.convert("L"), dtype=int)
        assert got.shape == want.shape and np.abs(got - want).max() <= 8


def test_stored_images_are_served_as_stored(settings, sample_pdf, monkeypatch):
    from docagent.settings import Settings

    monkeypatch.setenv("DOCAGENT_PAGE_IMAGES", "stored")
    stored = Settings()
    _ingest(stored, "report.pdf", sample_pdf)
    pages, crops = _pages_and_crops(stored)
    store = FileStore(stored.files_dir)
    assert all(p.image_sha256 and store.exists(p.image_sha256) for p in pages)
    images = PageImages(store)
    assert images.page(pages[0].document, pages[0]) == store.get(pages[0].image_sha256)
    assert images.crop(crops[0]) == store.get(crops[0].image_sha256)


def test_a_missing_original_or_page_is_not_found(settings, sample_pdf):
    _ingest(settings, "report.pdf", sample_pdf)
    pages, crops = _pages_and_crops(settings)
    store = FileStore(settings.files_dir)
    images = PageImages(store)
    page = pages[0]
    ghost = Page(document_id=page.document_id, number=99, width=page.width, height=page.height,
                 text_source=page.text_source, image_dpi=page.image_dpi)
    with pytest.raises(NotFoundError, match="no page 99"):
        images.page(page.document, ghost)
    store.delete(page.document.sha256)
    with pytest.raises(NotFoundError, match="not in the file store"):
        PageImages(store).crop(crops[0])


def test_scanned_pages_are_drawn_from_the_scan(settings, sample_png):
    _ingest(settings, "scan.png", sample_png)
    pages, crops = _pages_and_crops(settings)
    assert pages[0].text_source == "ocr" and crops
    images = PageImages(FileStore(settings.files_dir))
    shown = Image.open(io.BytesIO(images.page(pages[0].document, pages[0])))
    with pymupdf.open(stream=sample_png) as doc:
        want = draw_page(doc[0], pages[0].image_dpi)
    assert shown.size == want.size

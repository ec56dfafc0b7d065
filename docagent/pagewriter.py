"""Collect a document's processed pages and write them as Page, Crop and Passage rows.

Images go to the file store as pages arrive (content-addressed, so a crash leaves at worst an
unreferenced blob); rows, context, sparse terms and vectors are made in one go at the end,
where the whole document is known (a title on page 1 is context for a table on page 2) and
tokenising and embedding in batches is cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from docagent.db.models import Crop, Document, Page, Passage
from docagent.passages import analyzer, write_passages
from docagent.store import FileStore
from indexing.embedders import Embedder
from indexing.model import PageRecord, Region
from indexing.passages import PassageOptions
from indexing.render import encode_images

__all__ = ["PageWriter", "analyzer"]


@dataclass(slots=True)
class _PendingPage:
    record: PageRecord
    image_sha: str | None
    crop_shas: list[str | None] = field(default_factory=list)


class PageWriter:
    def __init__(self, store: FileStore, embedder: Embedder,
                 options: PassageOptions | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.options = options
        self._pages: list[_PendingPage] = []

    @property
    def page_count(self) -> int:
        return len(self._pages)

    def add(self, page: PageRecord) -> None:
        # The pipeline normally hands over encoded bytes (encoded in its workers); encode here
        # only what arrives as pixels.
        encode_images(page)
        image_sha = self.store.put(page.encoded) if page.encoded is not None else None
        crop_shas = [self.store.put(r.encoded) if r.encoded is not None else None for r in page.regions]
        # drop the bytes now: a long document must not hold every render in memory
        page.encoded = None
        for r in page.regions:
            r.encoded = None
        self._pages.append(_PendingPage(page, image_sha, crop_shas))

    def write(self, s: Session, doc: Document) -> tuple[list[Crop], list[Passage]]:
        """Add the document's Page, Crop and Passage rows to ``s`` and flush (ids assigned)."""
        crops: list[Crop] = []
        pages: list[Page] = []
        for pending in self._pages:
            rec = pending.record
            page = Page(document_id=doc.id, number=rec.number, width=rec.width, height=rec.height,
                        text_source=rec.text_source, image_sha256=pending.image_sha, image_dpi=rec.dpi,
                        warnings=rec.warnings or None)
            s.add(page)
            pages.append(page)
            for region, sha in zip(rec.regions, pending.crop_shas, strict=True):
                crop = _crop_row(doc, region, sha, rec.text_source)
                crop.page = page
                crops.append(crop)
        s.add_all(crops)
        s.flush()
        return crops, write_passages(s, doc, pages, crops, self.embedder, self.options)


def _crop_row(doc: Document, region: Region, image_sha: str | None, text_source: str) -> Crop:
    b = region.box
    return Crop(
        tenant_id=doc.tenant_id, collection_id=doc.collection_id, document_id=doc.id,
        order=region.order, kind=str(region.kind), x0=b.x0, y0=b.y0, x1=b.x1, y1=b.y1,
        text=region.markdown if region.table else region.text, text_source=str(text_source),
        words=[[*w.box.as_list(), w.text] for w in region.words] or None,
        table=region.table.to_dict() if region.table else None, image_sha256=image_sha,
    )

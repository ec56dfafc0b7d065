"""Collect a document's processed pages and write them as Page and Crop rows.

Images go to the file store as pages arrive (content-addressed, so a crash leaves at worst an
unreferenced blob); rows, sparse terms and vectors are made in one go at the end, where
tokenising and embedding in batches is cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sqlalchemy.orm import Session

from docagent.db.models import Crop, Document, Page
from docagent.store import FileStore
from indexing.embedders import Embedder
from indexing.model import PageRecord, Region
from indexing.render import encode_images
from indexing.tokenize import KoreanAnalyzer


@lru_cache(maxsize=1)
def analyzer() -> KoreanAnalyzer:
    return KoreanAnalyzer()


@dataclass(slots=True)
class _PendingPage:
    record: PageRecord
    image_sha: str | None
    crop_shas: list[str | None] = field(default_factory=list)


class PageWriter:
    def __init__(self, store: FileStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
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

    def write(self, s: Session, doc: Document) -> list[Crop]:
        """Add the document's Page and Crop rows to ``s`` and flush, so crops get their ids."""
        crops: list[Crop] = []
        for pending in self._pages:
            rec = pending.record
            page = Page(document_id=doc.id, number=rec.number, width=rec.width, height=rec.height,
                        text_source=rec.text_source, image_sha256=pending.image_sha, image_dpi=rec.dpi,
                        warnings=rec.warnings or None)
            s.add(page)
            for region, sha in zip(rec.regions, pending.crop_shas, strict=True):
                crop = _crop_row(doc, region, sha, rec.text_source)
                crop.page = page
                crops.append(crop)
        self._attach_terms_and_vectors(crops)
        s.add_all(crops)
        s.flush()
        return crops

    def _attach_terms_and_vectors(self, crops: list[Crop]) -> None:
        searchable = [c for c in crops if c.text.strip()]
        if not searchable:
            return
        texts = [c.text for c in searchable]
        terms = analyzer().index_terms_batch(texts)
        vectors = self.embedder.encode(texts)
        for crop, crop_terms, vec in zip(searchable, terms, vectors, strict=True):
            crop.terms = crop_terms
            crop.vector = np.asarray(vec, dtype=np.float32).tobytes()

    def vector_matrix(self, crops: list[Crop]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.vstack([np.frombuffer(c.vector, dtype=np.float32) for c in crops if c.vector])


def _crop_row(doc: Document, region: Region, image_sha: str | None, text_source: str) -> Crop:
    b = region.box
    return Crop(
        tenant_id=doc.tenant_id, collection_id=doc.collection_id, document_id=doc.id,
        order=region.order, kind=str(region.kind), x0=b.x0, y0=b.y0, x1=b.x1, y1=b.y1,
        text=region.markdown if region.table else region.text, text_source=str(text_source),
        words=[[*w.box.as_list(), w.text] for w in region.words] or None,
        table=region.table.to_dict() if region.table else None, image_sha256=image_sha,
    )

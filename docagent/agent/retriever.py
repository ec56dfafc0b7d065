"""Hybrid search for the agent: one session and one open index for all of a question's searches."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from docagent.agent.answer import Citation
from docagent.agent.evidence import Candidate, context_of, crop_input, with_image
from docagent.catalog import find_tenant, get_collection
from docagent.db.models import Crop
from docagent.errors import NotFoundError
from docagent.indexes import embedder_for, open_index
from docagent.passages import analyzer
from docagent.search import FUSION, located, validate_query
from indexing.context import CropContext
from indexing.model import Table
from vlm.backends import CropInput

if TYPE_CHECKING:  # PyMuPDF loads only where pixels are read
    from docagent.images import PageImages

log = logging.getLogger(__name__)


class Retriever(Protocol):
    def retrieve(self, query: str, k: int) -> list[Candidate]:
        """The ``k`` best crops for ``query``, best first, ready to read."""

    def document_text(self, document_id: str) -> str:
        """The text of every crop of a document: where a name the question gives is looked
        for when the crops read do not write it (an article names 창세기 on one page and
        answers on another)."""


class CollectionRetriever:
    """Searches one tenant's collection inside an open session (read-only)."""

    def __init__(self, session: Session, settings, tenant_name: str, collection_name: str,  # type: ignore[no-untyped-def]
                 images: PageImages | None = None) -> None:
        self.s = session
        self.images = images  # crop images are loaded only for a backend that looks at pixels
        self.tenant = find_tenant(session, tenant_name)
        self.collection = get_collection(session, self.tenant, collection_name)
        self.index = open_index(settings, session, self.collection)
        self.embedder = embedder_for(self.collection.embedder)
        self._documents: dict[str, str] = {}

    def retrieve(self, query: str, k: int) -> list[Candidate]:
        query = validate_query(query, k)
        hits = self.index.search(analyzer().query_terms(query), self.embedder.encode_query(query), k,
                                 mode="hybrid", dense_weight=self.embedder.fusion_weight, fusion=FUSION,
                                 query_text=query)
        results = [r.to_json() for r in located(self.s, self.tenant.id, self.collection.id, hits)]
        crops = {c.id: c for c in self.s.scalars(select(Crop).where(
            Crop.id.in_([int(r["crop_id"]) for r in results]), Crop.tenant_id == self.tenant.id))}
        contexts = {i: CropContext.from_json(c.context) for i, c in crops.items()}
        parts = self._parts({p for ctx in contexts.values() for p in ctx.parts} - set(crops))
        parts.update({i: c for i, c in crops.items() if contexts[i].linked})
        out = []
        for rank, r in enumerate(results):
            crop = crops.get(int(r["crop_id"]))
            if crop is None:
                continue
            ctx = contexts[crop.id]
            ci = crop_input(r, crop.text, crop.words, crop.table, crop.kind, ctx.header)
            self._attach_image(ci, crop)
            others = [part_citation(parts[p], r) for p in ctx.parts if p != crop.id and p in parts]
            out.append(Candidate(r, ci, context_of(r), rank, others))
        return out

    def document_text(self, document_id: str) -> str:
        if document_id not in self._documents:
            texts = self.s.scalars(select(Crop.text).where(
                Crop.document_id == document_id, Crop.tenant_id == self.tenant.id,
                Crop.collection_id == self.collection.id).order_by(Crop.page_id, Crop.order))
            self._documents[document_id] = "\n".join(t for t in texts if t)
        return self._documents[document_id]

    def _attach_image(self, ci: CropInput, crop: Crop) -> None:
        """The crop's pixels for a backend that reads them; without them (the original gone
        from the store) the crop is still read from its text."""
        if self.images is None:
            return
        try:
            with_image(ci, self.images.crop(crop))
        except NotFoundError as exc:
            log.warning("crop %s is read without its image: %s", crop.id, exc)

    def _parts(self, ids: set[int]) -> dict[int, Crop]:
        """The crops of other parts of tables that cross pages (their pages loaded)."""
        if not ids:
            return {}
        rows = self.s.scalars(select(Crop).options(joinedload(Crop.page)).where(
            Crop.id.in_(sorted(ids)), Crop.tenant_id == self.tenant.id,
            Crop.collection_id == self.collection.id))
        return {c.id: c for c in rows}


def part_citation(crop: Crop, result: dict) -> Citation:
    """A whole part of a table that crosses pages, as a citation: its page and box, quoting
    its first row (the header, on the first part)."""
    table = Table.from_dict(crop.table) if crop.table else None
    first = next((row for row in table.grid() if any(t.strip() for t in row)), []) if table else []
    quote = " | ".join(" ".join(t.split()) for t in first) or (crop.text or "").split("\n", 1)[0]
    page = crop.page
    return Citation(document_id=crop.document_id, filename=result["filename"], page=page.number,
                    bbox=crop.bbox, page_size=[round(page.width, 2), round(page.height, 2)],
                    crop_id=str(crop.id), kind=crop.kind, quote=quote[:300])

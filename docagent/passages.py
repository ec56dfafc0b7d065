"""A document's crops -> its search units (Passage rows), and Passage rows -> index units.

Ingest calls ``write_passages`` once a document's crops have ids; ``reindex_document`` does the
same later from the stored crops alone (a collection written before context existed, or after
the passage rules change), so the index never needs the original file again. Context includes
the links between the parts of a table that crosses pages (``indexing.continuation``), stored
by crop id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from docagent.db.models import Crop, Document, Page, Passage
from indexing.context import (
    Block,
    CropContext,
    DocumentContext,
    Role,
    block_size,
    document_context,
    text_lines,
)
from indexing.continuation import link_tables
from indexing.embedders import Embedder
from indexing.geometry import Box, Space
from indexing.model import RegionKind, Table, TextSource, Word
from indexing.passages import PARTS, Analyse, PassageOptions, document_passages
from indexing.passages import Passage as PassageSpec
from indexing.tokenize import KoreanAnalyzer
from indexing.units import Unit


@lru_cache(maxsize=1)
def analyzer() -> KoreanAnalyzer:
    return KoreanAnalyzer()


def block_of(crop: Crop, page: Page, words: list[Word] | None = None) -> Block:
    """``words``: the crop's ``words_of``, when the caller has them already."""
    words = words_of(crop) if words is None else words
    kind = RegionKind(crop.kind) if crop.kind in RegionKind._value2member_map_ else RegionKind.TEXT
    exact = crop.text_source != TextSource.OCR
    lines = text_lines(words, exact) if kind in (RegionKind.TITLE, RegionKind.SECTION_HEADER,
                                                 RegionKind.TEXT, RegionKind.PAGE_HEADER) else ()
    return Block(page.number, kind, _box(crop), crop.text or "",
                 block_size([w.box.height for w in words]), page.height, lines,
                 crop.text_source == TextSource.OCR)


@dataclass(slots=True)
class Plan:
    """A document's crops in reading order, their context, and the passages to write."""

    crops: list[Crop]
    context: DocumentContext
    passages: list[PassageSpec]


def plan_passages(doc: Document, pages: Sequence[Page], crops: Sequence[Crop],
                  options: PassageOptions | None = None, analyse: Analyse | None = None) -> Plan:
    """Context and passages of one document from its rows; writes nothing."""
    by_id = {p.id: p for p in pages}
    ordered = sorted(crops, key=lambda c: (by_id[c.page_id].number, c.order))
    words = [words_of(c) for c in ordered]
    blocks = [block_of(c, by_id[c.page_id], w) for c, w in zip(ordered, words, strict=True)]
    tables = [Table.from_dict(c.table) if c.table and c.kind == RegionKind.TABLE else None
              for c in ordered]
    ctx = link_tables(blocks, tables, document_context(blocks, filename=doc.filename,
                                                       metadata_title=doc.metadata_title))
    specs = document_passages(blocks, tables, ctx, analyse or analyzer().index_terms_batch, options,
                              words)
    return Plan(ordered, ctx, specs)


def words_of(crop: Crop) -> list[Word]:
    """A crop's stored words (``[x0, y0, x1, y1, text]`` in page points)."""
    return [Word(w[4], Box(w[0], w[1], w[2], w[3], Space.PAGE)) for w in crop.words or [] if len(w) >= 5]


def write_passages(s: Session, doc: Document, pages: Sequence[Page], crops: Sequence[Crop],
                   embedder: Embedder, options: PassageOptions | None = None) -> list[Passage]:
    """Context for each crop, then the document's passages; added to ``s`` and flushed.

    ``crops`` must have ids; ``pages`` are the document's pages (any order)."""
    s.execute(delete(Passage).where(Passage.document_id == doc.id))
    plan = plan_passages(doc, pages, crops, options)
    doc.title, doc.title_source = plan.context.title, plan.context.title_source
    for crop, role, context in zip(plan.crops, plan.context.roles, plan.context.contexts, strict=True):
        crop.role = str(role)
        context = with_crop_ids(context, plan.crops)
        crop.context = context.to_json() if context.text() or context.linked else None
    vectors = _vectors(embedder, [p.text for p in plan.passages if p.embed])
    page_id = {p.number: p.id for p in pages}
    rows = []
    for spec in plan.passages:
        crop = plan.crops[spec.block] if spec.block is not None else None
        box = spec.box
        rows.append(Passage(
            tenant_id=doc.tenant_id, collection_id=doc.collection_id, document_id=doc.id,
            page_id=page_id.get(spec.page) if spec.page else None,
            crop_id=crop.id if crop is not None else None, level=spec.level, row=spec.row,
            x0=box.x0 if box else None, y0=box.y0 if box else None,
            x1=box.x1 if box else None, y1=box.y1 if box else None,
            text=spec.text, terms=spec.terms, context_terms=spec.context_terms or None,
            vector=next(vectors).tobytes() if spec.embed else None))
    s.add_all(rows)
    s.flush()
    return rows


def with_crop_ids(context: CropContext, ordered: Sequence[Crop]) -> CropContext:
    """A planned context's links (block indices into ``ordered``) as crop ids."""
    if not context.linked:
        return context
    return replace(context, parts=tuple(int(ordered[i].id) for i in context.parts),
                   continues=int(ordered[context.continues].id) if context.continues is not None else None)


def reindex_document(s: Session, doc: Document, embedder: Embedder,
                     options: PassageOptions | None = None) -> list[Passage]:
    """Rebuild a stored document's context and passages from its crops."""
    pages = list(s.scalars(select(Page).where(Page.document_id == doc.id)))
    crops = list(s.scalars(select(Crop).where(Crop.document_id == doc.id)))
    return write_passages(s, doc, pages, crops, embedder, options)


def units_of(rows: Iterable[Passage]) -> list[Unit]:
    """Index units of one document's (or any complete set of documents') passage rows."""
    rows = list(rows)
    page_unit = {r.page_id: r.id for r in rows if r.level == "page"}
    doc_unit = {r.document_id: r.id for r in rows if r.level == "document"}
    return [unit_of(r, page_unit, doc_unit) for r in rows]


def unit_of(r: Passage, page_unit: dict[int, int], doc_unit: dict[str, int]) -> Unit:
    """A passage row (or a row of its columns) as an index unit, linked to its page and
    document units."""
    level, page_id, document_id = r.level, r.page_id, r.document_id
    return Unit(
        id=r.id, level=level, terms=r.terms or [], context_terms=r.context_terms or [],  # type: ignore[arg-type]
        vector=np.frombuffer(r.vector, dtype=np.float32) if r.vector else None,
        crop=r.crop_id, page=page_unit.get(page_id) if level in ("crop", *PARTS) else None,
        document=doc_unit.get(document_id) if level != "document" else None,
    )


def is_result(crop: Crop) -> bool:
    """Whether a crop is evidence (a body crop), not context folded into others."""
    return crop.role in (None, Role.BODY)


def _vectors(embedder: Embedder, texts: list[str]) -> Iterable[np.ndarray]:
    matrix = embedder.encode(texts) if texts else np.zeros((0, embedder.dim), np.float32)
    return iter(np.asarray(matrix, dtype=np.float32))


def _box(crop: Crop) -> Box:
    return Box(crop.x0, crop.y0, crop.x1, crop.y1, Space.PAGE)

"""Hybrid search over one tenant's collection: located evidence (document, page, box, text)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from docagent.catalog import find_tenant, get_collection
from docagent.db.migrate import require_current
from docagent.db.models import Crop, Document, Page, Passage
from docagent.db.session import session_scope
from docagent.errors import BadRequestError
from docagent.indexes import embedder_for, open_index
from docagent.passages import analyzer
from docagent.settings import Settings
from indexing.passages import PARTS
from indexing.search import Fusion, Hit

Mode = Literal["hybrid", "sparse", "dense"]
# How a crop's context, page and document count beside its own text, and how sparse and dense
# scores combine (measured: bench.retrieval; the dense weight is the embedder's).
FUSION = Fusion(context=1.0, page=0.25, document=0.25, method="score")
MAX_K = 200
MAX_QUERY_CHARS = 2000


@dataclass(slots=True)
class SearchResult:
    document_id: str
    filename: str
    page: int
    bbox: list[float]
    kind: str
    text: str
    score: float
    crop_id: str
    page_size: list[float]
    title: str = ""  # the document title, as indexed with the crop
    headings: list[str] = field(default_factory=list)  # section headings above it, outermost first
    caption: str = ""
    row: dict | None = None  # the table row or chart point that matched: {"index", "bbox", "text"}
    column: dict | None = None  # the table column that matched, alike

    def to_json(self) -> dict:
        return asdict(self)


def validate_text(text: str, k: int, *, noun: str, max_chars: int, max_k: int) -> str:
    """``text`` stripped, or a BadRequestError naming what is wrong with it or with ``k``."""
    text = text.strip()
    if not text:
        raise BadRequestError(f"the {noun} is empty")
    if len(text) > max_chars:
        raise BadRequestError(f"the {noun} is longer than {max_chars} characters")
    if not 1 <= k <= max_k:
        raise BadRequestError(f"k must be between 1 and {max_k}")
    return text


def validate_query(query: str, k: int) -> str:
    return validate_text(query, k, noun="query", max_chars=MAX_QUERY_CHARS, max_k=MAX_K)


def search(settings: Settings, tenant_name: str, collection_name: str, query: str,
           k: int = 5, mode: Mode = "hybrid") -> list[SearchResult]:
    query = validate_query(query, k)
    require_current(settings.database_url)  # reads never migrate or create
    with session_scope(settings.database_url) as s:
        tenant = find_tenant(s, tenant_name)
        coll = get_collection(s, tenant, collection_name)
        index = open_index(settings, s, coll)
        embedder = embedder_for(coll.embedder)
        hits = index.search(analyzer().query_terms(query), embedder.encode_query(query), k, mode=mode,
                            dense_weight=embedder.fusion_weight, fusion=FUSION, query_text=query)
        return located(s, tenant.id, coll.id, hits)


def located(s: Session, tenant_id: str, collection_id: str, hits: list[Hit]) -> list[SearchResult]:
    """Hits -> results with page, box, context and, for a row hit, the row (tenant-scoped)."""
    if not hits:
        return []
    rows = s.execute(
        select(Crop, Page.number, Page.width, Page.height, Document.filename)
        .join(Page, Crop.page_id == Page.id)
        .join(Document, Crop.document_id == Document.id)
        .where(Crop.id.in_([h.id for h in hits]), Crop.tenant_id == tenant_id,
               Crop.collection_id == collection_id)
    ).all()
    units = {p.id: p for p in s.scalars(select(Passage).where(
        Passage.id.in_([h.unit for h in hits if h.unit is not None]), Passage.level.in_(PARTS),
        Passage.tenant_id == tenant_id))}
    by_id = {row.Crop.id: row for row in rows}
    return [_result(by_id[h.id], h.score, units.get(h.unit)) for h in hits if h.id in by_id]


def _part(unit: Passage | None, level: str) -> dict | None:
    """The table row, column or chart point that matched (its own line of the unit's text)."""
    if unit is None or unit.level != level:
        return None
    return {"index": unit.row, "bbox": unit.box, "text": unit.text.rsplit("\n", 1)[-1]}


def _result(row, score: float, unit: Passage | None) -> SearchResult:  # type: ignore[no-untyped-def]
    crop: Crop = row.Crop
    context = crop.context or {}
    return SearchResult(
        document_id=crop.document_id, filename=row.filename, page=row.number, bbox=crop.bbox,
        kind=crop.kind, text=crop.text, score=round(float(score), 6), crop_id=str(crop.id),
        page_size=[round(row.width, 2), round(row.height, 2)],
        title=context.get("title", ""), headings=list(context.get("headings", [])),
        caption=context.get("caption", ""),
        row=_part(unit, "row"), column=_part(unit, "column"),
    )

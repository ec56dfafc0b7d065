"""Enterprise search: hybrid search across every collection of one tenant, with filters,
facets, word highlights and an opaque cursor (``POST /v1/search``).

How a request is answered:

1. Scope: the tenant's collections (``collection_ids`` narrows them; an id of another tenant,
   or an unknown one, is simply not in scope, so it finds nothing and reveals nothing). When
   ``document_ids`` or ``external_ids`` are given, only collections holding such a document
   of the tenant are searched.
2. Pool: each collection in scope is searched as ``docagent.search.search`` does (the same
   ``FUSION``, the collection's own embedder, ``located``) for its best ``POOL_DEPTH`` crops.
   The depth is a constant, not a function of the page asked for, so every page of a cursor
   walks the very same pool: pages never overlap and together equal one big page.
3. Filters narrow the pool: crop kind and page range on the located results; document ids,
   external ids, upload dates (``Document.created_at``) and metadata (equal to the values set
   at upload, ``Document.meta``) on the results' documents, read in one query. The index
   cannot filter while it searches, so a filter narrows the best ``POOL_DEPTH`` crops of each
   collection, it does not reach past them (to list everything of a document, read the
   document's crops instead).
4. Merge: collections are merged by score. With ``Fusion.method="score"`` a crop's score is
   its fused sparse+dense score divided by its collection's best, plus the weighted,
   likewise normalised scores of its page and document; so in every collection the best
   match scores about the same (near 1 + the page and document weights), however weakly the
   collection as a whole matches: merged as they are, a collection that only shares a year
   with the query would tie with the one that names its company. So each collection's
   scores are multiplied by a factor (``_factors``): its best raw BM25F score over the best
   of all collections in scope, and its best cosine over the best cosine, weighted 1 and the
   embedder's ``fusion_weight`` as the fusion weighs them. The collection that matches best
   keeps its scores (factor 1; a search of one collection gets exactly the per-collection
   scores); within a collection the order is unchanged. BM25 across collections is only
   roughly comparable (IDF and lengths are per collection), which is the usual trade of a
   federated search; it is far closer than the normalised scores. Ties keep each
   collection's own order (stable sort over collections in id order), so the merged order
   is deterministic.
5. Page: ``offset`` (from the cursor) and ``limit`` over the merged pool; ``total`` and the
   facets count the whole filtered pool; highlights are computed for the page only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docagent.db.models import Collection, Crop, Document
from docagent.errors import BadRequestError
from docagent.indexes import embedder_for, open_index
from docagent.passages import analyzer
from docagent.search import FUSION, SearchResult, located, validate_query
from docagent.settings import Settings
from indexing.model import RegionKind
from indexing.search import Fusion
from indexing.tokenize import BIGRAM_PREFIX, normalize_number

POOL_DEPTH = 400  # crops per collection in the candidate pool (see the module docstring)
MAX_LIMIT = 100
MAX_LIST = 1000  # ids or kinds in one filter
KINDS = tuple(k.value for k in RegionKind)
_CURSOR_VERSION = 1


@dataclass(slots=True)
class Filters:
    """What narrows the pool. Lists are "any of"; ``page_from``/``page_to`` are 1-based and
    inclusive; ``uploaded_after`` is inclusive, ``uploaded_before`` exclusive (naive datetimes
    are read as UTC); every ``metadata`` key must be present in the document's metadata with
    an equal value (same JSON type: ``1`` does not equal ``true`` or ``"1"``)."""

    collection_ids: list[str] | None = None
    document_ids: list[str] | None = None
    kinds: list[str] | None = None
    page_from: int | None = None
    page_to: int | None = None
    uploaded_after: datetime | None = None
    uploaded_before: datetime | None = None
    metadata: dict[str, Any] | None = None
    external_ids: list[str] | None = None

    def validate(self) -> Filters:
        for name in ("collection_ids", "document_ids", "kinds", "external_ids"):
            values = getattr(self, name)
            if values is not None and len(values) > MAX_LIST:
                raise BadRequestError(f"filters.{name} has more than {MAX_LIST} values")
        unknown = sorted(set(self.kinds or ()) - set(KINDS))
        if unknown:
            raise BadRequestError(f"filters.kinds: unknown kind(s) {', '.join(map(repr, unknown))}; "
                                  f"known: {', '.join(KINDS)}")
        for name in ("page_from", "page_to"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise BadRequestError(f"filters.{name} must be 1 or more (pages are 1-based)")
        if self.page_from is not None and self.page_to is not None and self.page_from > self.page_to:
            raise BadRequestError("filters.page_from is after filters.page_to")
        try:
            self.uploaded_after = _utc(self.uploaded_after)
            self.uploaded_before = _utc(self.uploaded_before)
        except OverflowError as exc:  # e.g. year 1 at +01:00 has no UTC
            raise BadRequestError("filters.uploaded_after/before: the date is out of range in UTC") from exc
        if self.uploaded_after and self.uploaded_before and self.uploaded_after >= self.uploaded_before:
            raise BadRequestError("filters.uploaded_after must be before filters.uploaded_before")
        return self

    def canonical(self) -> dict:
        """A stable form for the cursor's hash: lists as sorted sets, dates in UTC."""
        out: dict[str, Any] = {}
        for name in ("collection_ids", "document_ids", "kinds", "external_ids"):
            values = getattr(self, name)
            if values is not None:
                out[name] = sorted(set(values))
        for name in ("page_from", "page_to"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        for name in ("uploaded_after", "uploaded_before"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out

    @property
    def on_documents(self) -> bool:
        return any(v is not None for v in (self.document_ids, self.external_ids, self.metadata,
                                           self.uploaded_after, self.uploaded_before))


@dataclass(slots=True)
class Hit:
    """One result of the merged pool: the located crop and its collection and document."""

    result: SearchResult
    collection_id: str
    external_id: str | None = None
    metadata: dict = field(default_factory=dict)
    highlights: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        r = self.result
        return {"collection_id": self.collection_id, "document_id": r.document_id,
                "external_id": self.external_id, "filename": r.filename, "page": r.page,
                "bbox": r.bbox, "page_size": r.page_size, "kind": r.kind, "text": r.text,
                "score": r.score, "crop_id": r.crop_id, "title": r.title,
                "headings": r.headings, "caption": r.caption, "row": r.row, "column": r.column,
                "highlights": self.highlights, "metadata": self.metadata}


@dataclass(slots=True)
class Page:
    results: list[Hit]
    total: int
    facets: dict
    next_cursor: str | None

    def to_json(self) -> dict:
        return {"results": [h.to_json() for h in self.results], "total": self.total,
                "facets": self.facets, "next_cursor": self.next_cursor}


def enterprise_search(settings: Settings, s: Session, tenant_id: str, query: str, *,
                      limit: int = 10, cursor: str | None = None,
                      filters: Filters | None = None) -> Page:
    """One page of the tenant's merged, filtered pool for ``query`` (module docstring)."""
    query = validate_query(query, 1)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestError(f"limit must be between 1 and {MAX_LIMIT}")
    filters = (filters or Filters()).validate()
    fingerprint = query_fingerprint(query, filters)
    offset = decode_cursor(cursor, fingerprint) if cursor else 0

    pool = _pool(settings, s, tenant_id, query, filters)
    page = pool[offset: offset + limit]
    _highlight(s, tenant_id, page, query)
    end = offset + limit
    return Page(results=page, total=len(pool), facets=_facets(s, pool),
                next_cursor=encode_cursor(end, fingerprint) if end < len(pool) else None)


# -- the pool ------------------------------------------------------------------------------

def _scope(s: Session, tenant_id: str, filters: Filters) -> list[Collection]:
    stmt = select(Collection).where(Collection.tenant_id == tenant_id).order_by(Collection.id)
    if filters.collection_ids is not None:
        stmt = stmt.where(Collection.id.in_(filters.collection_ids))
    if filters.document_ids is not None or filters.external_ids is not None:
        docs = select(Document.collection_id).where(Document.tenant_id == tenant_id)
        if filters.document_ids is not None:
            docs = docs.where(Document.id.in_(filters.document_ids))
        if filters.external_ids is not None:
            docs = docs.where(Document.external_id.in_(filters.external_ids))
        stmt = stmt.where(Collection.id.in_(docs.distinct()))
    return list(s.scalars(stmt))


def _pool(settings: Settings, s: Session, tenant_id: str, query: str,
          filters: Filters) -> list[Hit]:
    terms = analyzer().query_terms(query)
    vectors: dict[str, Any] = {}
    per_collection: list[tuple[Collection, list[SearchResult], _Strength]] = []
    scope = _scope(s, tenant_id, filters)
    for coll in scope:
        index = open_index(settings, s, coll)
        embedder = embedder_for(coll.embedder)
        if coll.embedder not in vectors:
            vectors[coll.embedder] = embedder.encode_query(query)
        vector, weight = vectors[coll.embedder], embedder.fusion_weight
        found = index.search(terms, vector, POOL_DEPTH, mode="hybrid", dense_weight=weight,
                             fusion=FUSION, query_text=query)
        strength = _strength(index, terms, vector, weight) if len(scope) > 1 else _Strength()
        results = [r for r in located(s, tenant_id, coll.id, found) if _crop_passes(r, filters)]
        per_collection.append((coll, results, strength))
    factors = _factors([strength for _, _, strength in per_collection])
    hits: list[Hit] = []
    for (coll, results, _), factor in zip(per_collection, factors, strict=True):
        for r in results:
            r.score = round(r.score * factor, 6)
            hits.append(Hit(r, coll.id))
    hits = _with_documents(s, tenant_id, hits, filters)
    hits.sort(key=lambda h: -h.result.score)  # stable: ties keep each collection's order
    return hits


@dataclass(slots=True)
class _Strength:
    """How well a collection's best crop matches the query, in raw, comparable units: the
    best BM25F score and the best cosine (and the weight the dense signal has)."""

    sparse: float = 0.0
    dense: float = 0.0
    weight: float = 0.0


def _strength(index, terms: list[str], vector, weight: float) -> _Strength:  # type: ignore[no-untyped-def]
    sparse = index.search(terms, None, 1, mode="sparse", fusion=Fusion(context=FUSION.context))
    dense = index.search(terms, vector, 1, mode="dense") if weight > 0 else []
    return _Strength(max(sparse[0].score, 0.0) if sparse else 0.0,
                     max(dense[0].score, 0.0) if dense else 0.0, weight)


def _factors(strengths: list[_Strength]) -> list[float]:
    """Per collection, its best raw sparse and dense scores over the best of all collections,
    weighted as the fusion weighs the two signals: 1 for the collection that matches best,
    less for one whose best match is weaker. Fused scores are normalised per collection
    (every collection's best scores alike); times this factor they merge across collections
    (a collection that barely matches no longer ties with one that matches well)."""
    if len(strengths) < 2:
        return [1.0] * len(strengths)
    best_sparse = max(st.sparse for st in strengths)
    best_dense = max(st.dense for st in strengths)
    out = []
    for st in strengths:
        parts = []
        if best_sparse > 0:
            parts.append((1.0, st.sparse / best_sparse))
        if st.weight > 0 and best_dense > 0:
            parts.append((st.weight, st.dense / best_dense))
        total = sum(w for w, _ in parts)
        out.append(sum(w * v for w, v in parts) / total if total else 1.0)
    return out


def _crop_passes(r: SearchResult, f: Filters) -> bool:
    return ((f.kinds is None or r.kind in f.kinds)
            and (f.page_from is None or r.page >= f.page_from)
            and (f.page_to is None or r.page <= f.page_to))


def _with_documents(s: Session, tenant_id: str, hits: list[Hit], f: Filters) -> list[Hit]:
    """Each hit with its document's external id and metadata; those failing a document
    filter dropped."""
    ids = {h.result.document_id for h in hits}
    if not ids:
        return []
    docs = {row.id: row for row in s.execute(
        select(Document.id, Document.external_id, Document.meta, Document.created_at)
        .where(Document.id.in_(ids), Document.tenant_id == tenant_id))}
    keep = {i for i, d in docs.items() if _document_passes(d, f)}
    out = []
    for h in hits:
        if h.result.document_id in keep:
            d = docs[h.result.document_id]
            h.external_id, h.metadata = d.external_id, dict(d.meta or {})
            out.append(h)
    return out


def _document_passes(d, f: Filters) -> bool:  # type: ignore[no-untyped-def]
    if f.document_ids is not None and d.id not in f.document_ids:
        return False
    if f.external_ids is not None and d.external_id not in f.external_ids:
        return False
    created = _utc(d.created_at)
    if f.uploaded_after is not None and (created is None or created < f.uploaded_after):
        return False
    if f.uploaded_before is not None and (created is None or created >= f.uploaded_before):
        return False
    if f.metadata:
        meta = d.meta or {}
        return all(key in meta and _same(meta[key], value) for key, value in f.metadata.items())
    return True


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, ints and floats compare by value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- facets and highlights -----------------------------------------------------------------

def _facets(s: Session, pool: list[Hit]) -> dict:
    docs: Counter[str] = Counter(h.result.document_id for h in pool)
    colls: Counter[str] = Counter(h.collection_id for h in pool)
    kinds: Counter[str] = Counter(h.result.kind for h in pool)
    filenames = {h.result.document_id: h.result.filename for h in pool}
    names = dict(s.execute(select(Collection.id, Collection.name)
                           .where(Collection.id.in_(list(colls)))).all()) if colls else {}
    return {
        "documents": [{"document_id": d, "filename": filenames[d], "count": n}
                      for d, n in sorted(docs.items(), key=lambda x: (-x[1], filenames[x[0]], x[0]))],
        "collections": [{"collection_id": c, "name": names.get(c, ""), "count": n}
                        for c, n in sorted(colls.items(), key=lambda x: (-x[1], names.get(x[0], ""), x[0]))],
        "kinds": [{"kind": k, "count": n} for k, n in sorted(kinds.items(), key=lambda x: (-x[1], x[0]))],
    }


def highlight_terms(query: str) -> list[str]:
    """The query's content morphemes (the search analyzer's, without its bigrams), or its
    Hangul bigrams when it has none; lower-cased, numbers without thousands separators."""
    terms = analyzer().query_terms(query)
    morphemes = [t for t in terms if not t.startswith(BIGRAM_PREFIX)]
    chosen = morphemes or [t[len(BIGRAM_PREFIX):] for t in terms if t.startswith(BIGRAM_PREFIX)]
    return list(dict.fromkeys(_norm(t) for t in chosen if t.strip()))


def matching_words(words: Sequence[Sequence], terms: Sequence[str],
                   clip: Sequence[float] | None = None) -> list[dict]:
    """The words (``[x0, y0, x1, y1, text]``) that carry a query term: a term of two or more
    characters contained in the word (Korean words carry particles: ``매출액은`` holds
    ``매출액``), or a one-character term that is the whole word (so ``년`` does not light up
    every year). With ``clip`` (the crop's box) each box is cut to it: a word's box spans its
    line's full ascent and descent, a point or two past the layout box of its crop."""
    out = []
    for w in words:
        if len(w) < 5 or not str(w[4]).strip():
            continue
        text = str(w[4])
        norm = _norm(text)
        bare = norm.strip(".,:;!?()[]{}\"'·“”‘’「」『』%")
        if any((len(t) > 1 and t in norm) or t == bare for t in terms):
            box = [float(v) for v in w[:4]]
            if clip is not None:
                box = [max(box[0], clip[0]), max(box[1], clip[1]),
                       min(box[2], clip[2]), min(box[3], clip[3])]
                if box[0] >= box[2] or box[1] >= box[3]:
                    continue  # the word lies outside its crop
            out.append({"text": text, "bbox": [round(v, 2) for v in box]})
    return out


def _norm(text: str) -> str:
    return normalize_number(text.lower())


def _highlight(s: Session, tenant_id: str, page: list[Hit], query: str) -> None:
    if not page:
        return
    terms = highlight_terms(query)
    words = dict(s.execute(select(Crop.id, Crop.words).where(
        Crop.id.in_([int(h.result.crop_id) for h in page]), Crop.tenant_id == tenant_id)).all())
    for h in page:
        h.highlights = matching_words(words.get(int(h.result.crop_id)) or [], terms, h.result.bbox)


# -- the cursor ----------------------------------------------------------------------------

def query_fingerprint(query: str, filters: Filters) -> str:
    """What a cursor belongs to: the query and the filters (not the limit, which may change
    from page to page)."""
    blob = json.dumps({"q": query, "f": filters.canonical()}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    try:
        data = blob.encode("utf-8")
    except UnicodeEncodeError as exc:  # JSON may escape a lone surrogate; no text holds one
        raise BadRequestError("the query or a filter holds a lone surrogate (\\ud800-\\udfff): "
                              "not text") from exc
    return hashlib.sha256(data).hexdigest()[:32]


def _check(offset: int, fingerprint: str) -> str:
    # A checksum over the cursor's fields: an edited offset is evident. It is not a secret:
    # a cursor grants nothing (the key decides which data a request sees).
    return hashlib.sha256(f"docagent-cursor:{offset}:{fingerprint}".encode()).hexdigest()[:16]


def encode_cursor(offset: int, fingerprint: str) -> str:
    body = {"v": _CURSOR_VERSION, "o": offset, "h": fingerprint, "c": _check(offset, fingerprint)}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    """The offset in ``cursor``; a BadRequestError if it is malformed, edited, or was made
    for another query or other filters."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
        offset, hashed, check = body["o"], body["h"], body["c"]
        valid = (body.get("v") == _CURSOR_VERSION and isinstance(offset, int)
                 and not isinstance(offset, bool) and 0 <= offset
                 and isinstance(hashed, str) and check == _check(offset, hashed))
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        raise BadRequestError("the cursor is not valid: pass next_cursor from a previous page unchanged")
    if hashed != fingerprint:
        raise BadRequestError("the cursor belongs to another query or other filters: "
                              "send the same query and filters as the page it came from")
    return offset

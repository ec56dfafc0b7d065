"""What the retrieval benchmark measures, on any ingested set: page recall and located evidence
per question kind, for index variants built from the same database rows.

A variant is a way of making units (``PassageOptions``: context weight and parts, table rows,
page and document units, headings folded or not) plus a way of searching them (mode, dense
weight, ``Fusion``: context, page and document weights). Every variant is built from the crops the normal ingest stored, in
memory, so variants differ only in what the issue asks to compare. Analysis and embeddings are
cached by text across variants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select

from indexing.geometry import Box, Space
from indexing.passages import PARTS, PassageOptions
from indexing.search import CollectionIndex, Fusion, Unit

CROP_ONLY = PassageOptions(context=False, fold=False, table_rows=False, page_units=False,
                           document_units=False)


@dataclass
class Question:
    text: str
    kind: str
    filename: str
    pages: set[int]
    boxes: list[tuple[int, Box]] = field(default_factory=list)  # gold evidence, page points
    answer: str = ""


@dataclass(frozen=True)
class Variant:
    name: str
    options: PassageOptions
    mode: str = "sparse"
    dense_weight: float = 0.0
    fusion: Fusion | None = None


@dataclass
class Where:
    filename: str
    page: int
    box: Box
    text: str


@dataclass
class Corpus:
    """An ingested set's rows, loaded once: documents with their pages and crops."""

    docs: list  # (Document, [Page], [Crop])
    embedder: object
    terms_cache: dict[str, list[str]] = field(default_factory=dict)
    vector_cache: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def load(cls, settings) -> Corpus:
        from docagent.db.models import Collection, Crop, Document, Page
        from docagent.db.session import session_scope
        from docagent.indexes import embedder_for

        with session_scope(settings.database_url) as s:
            coll = s.scalars(select(Collection)).one()
            docs = []
            for doc in s.scalars(select(Document).where(Document.status == "indexed")):
                pages = list(s.scalars(select(Page).where(Page.document_id == doc.id)))
                crops = list(s.scalars(select(Crop).where(Crop.document_id == doc.id)))
                docs.append((doc, pages, crops))
            s.expunge_all()
        return cls(docs, embedder_for(coll.embedder))

    def analyse(self, texts: list[str]) -> list[list[str]]:
        from docagent.passages import analyzer

        todo = [t for t in dict.fromkeys(texts) if t not in self.terms_cache]
        if todo:
            self.terms_cache.update(zip(todo, analyzer().index_terms_batch(todo), strict=True))
        return [self.terms_cache[t] for t in texts]

    def query_terms(self, questions: list[str]) -> list[list[str]]:
        from docagent.passages import analyzer

        return [analyzer().query_terms(q) for q in questions]

    def embed(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.vector_cache]
        if todo:
            self.vector_cache.update(zip(todo, self.embedder.encode(todo), strict=True))
        return np.vstack([self.vector_cache[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim))

    def index(self, options: PassageOptions) -> tuple[CollectionIndex, dict[int, Where]]:
        """An in-memory index of the corpus made with ``options``; crop id -> where it is."""
        from docagent.passages import plan_passages

        index = CollectionIndex(Path("unsaved"), self.embedder.name, self.embedder.dim)  # never saved
        units: list[Unit] = []
        where: dict[int, Where] = {}
        next_id = iter(range(1, 10**9))
        for doc, pages, crops in self.docs:
            number = {p.id: p.number for p in pages}
            for crop in crops:
                where[crop.id] = Where(doc.filename, number[crop.page_id],
                                       Box(crop.x0, crop.y0, crop.x1, crop.y1, Space.PAGE), crop.text)
            plan = plan_passages(doc, pages, crops, options, self.analyse)
            units.extend(_units(plan, next_id, self.embed))
        index.rebuild_units(units)
        return index, where


def _units(plan, next_id, embed) -> list[Unit]:  # type: ignore[no-untyped-def]
    specs = plan.passages
    ids = [next(next_id) for _ in specs]
    doc_unit = next((i for i, p in zip(ids, specs, strict=True) if p.level == "document"), None)
    page_unit = {p.page: i for i, p in zip(ids, specs, strict=True) if p.level == "page"}
    vectors = iter(embed([p.text for p in specs if p.embed]))
    out = []
    for uid, p in zip(ids, specs, strict=True):
        crop = plan.crops[p.block].id if p.block is not None else None
        out.append(Unit(uid, p.level, p.terms, next(vectors) if p.embed else None,
                        context_terms=p.context_terms, crop=crop,
                        page=page_unit.get(p.page) if p.level in ("crop", *PARTS) else None,
                        document=doc_unit if p.level != "document" else None))
    return out


Outcome = tuple[str, int | None, bool]  # (kind, page rank or None, evidence in the top crop)


def evaluate(corpus: Corpus, questions: list[Question], variant: Variant,
             built: tuple[CollectionIndex, dict[int, Where]] | None = None) -> list[Outcome]:
    """One outcome per question for one variant."""
    index, where = built or corpus.index(variant.options)
    terms = corpus.query_terms([q.text for q in questions])
    vectors = corpus.embedder.encode([q.text for q in questions]) if variant.mode != "sparse" else None
    out: list[Outcome] = []
    for i, q in enumerate(questions):
        hits = index.search(terms[i], None if vectors is None else vectors[i], 20,
                            mode=variant.mode, dense_weight=variant.dense_weight,  # type: ignore[arg-type]
                            fusion=variant.fusion, query_text=q.text)
        located = [where[h.id] for h in hits if h.id in where]
        out.append((q.kind, _page_rank(located, q), bool(located) and _evidence(located[0], q)))
    return out


def summarise(outcomes: list[Outcome]) -> dict[str, dict]:
    """Metrics per question kind, and over all questions ("all")."""
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_kind[o[0]].append(o)
        by_kind["all"].append(o)
    return {kind: _summarise(rows) for kind, rows in by_kind.items()}


def _page_rank(located: list[Where], q: Question) -> int | None:
    pages: list[tuple[str, int]] = []
    for w in located:
        key = (w.filename, w.page)
        if key not in pages:
            pages.append(key)
    return next((r for r, (f, p) in enumerate(pages[:10], 1) if f == q.filename and p in q.pages), None)


def _evidence(top: Where, q: Question) -> bool:
    """The gold cells or span inside the top crop's box (or, without boxes, the answer text
    inside its text)."""
    if top.filename != q.filename:
        return False
    if not q.boxes:
        return bool(q.answer) and _squash(q.answer) in _squash(top.text)
    return all(page == top.page and _centre_in(box, top.box) for page, box in q.boxes)


def _centre_in(box: Box, outer: Box) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return outer.x0 - 1 <= cx <= outer.x1 + 1 and outer.y0 - 1 <= cy <= outer.y1 + 1


def _squash(text: str) -> str:
    return "".join(text.split())


def _summarise(rows: list[Outcome]) -> dict:
    n = max(len(rows), 1)
    return {
        "n": len(rows),
        "recall@1": round(sum(r == 1 for _, r, _ in rows) / n, 4),
        "recall@5": round(sum(r is not None and r <= 5 for _, r, _ in rows) / n, 4),
        "mrr@10": round(sum(1.0 / r for _, r, _ in rows if r) / n, 4),
        "evidence@1": round(sum(e for _, _, e in rows) / n, 4),
    }

"""Keep each collection's search index in step with the database.

The database assigns passage ids (the index's units: crops, table rows, pages, documents) and
stores each one's sparse terms and vector, so it is the source of truth. Writes go
database-first (commit), index-second (save). An index found behind or ahead of the database
after a crash is rebuilt from the stored terms and vectors; nothing is re-read or re-embedded.

Indexes are cached per process and reloaded when another process saved a newer manifest. How
"in step" is checked follows what the moment already costs:

- when an index is loaded from disk, and after a write, the full id fingerprint against every
  id the database holds (O(n), like the load or write itself);
- on every other query, the index's ``IdSummary`` against the same aggregates computed by the
  database in one statement over the index ``ix_passages_collection_id`` (no row is read).
  Another process's commit changes the aggregates at once, so a query never trusts a stale
  cache: new crops are picked up by the reload or, before that process saved its index, by a
  rebuild.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from docagent.db.models import Collection, Passage
from docagent.passages import unit_of
from docagent.settings import Settings
from indexing.embedders import Embedder, get_embedder
from indexing.search import MANIFEST, CollectionIndex, Fingerprint, IdSummary
from indexing.units import Unit

log = logging.getLogger(__name__)
_REBUILD_BATCH = 2000
_lock = threading.RLock()
_Stamp = tuple[int, int, int] | None
_open: dict[Path, tuple[_Stamp, CollectionIndex]] = {}


@lru_cache(maxsize=4)
def embedder_for(spec: str) -> Embedder:
    """One embedder per spec per process (models are expensive to load)."""
    return get_embedder(spec)


def db_unit_ids(session: Session, collection_id: str) -> list[int]:
    """Ids of the collection's passages: every one belongs in the index."""
    return list(session.scalars(select(Passage.id).where(Passage.collection_id == collection_id)))


def db_summary(session: Session, collection_id: str) -> IdSummary:
    """``IdSummary`` of the collection's passage ids, aggregated by the database.

    Plain 64-bit integer arithmetic on SQLite and PostgreSQL (see ``IdSummary``); SQLite's
    sum() would only overflow past 2^63, far beyond what autoincremented ids add up to.
    """
    return IdSummary.of_aggregates(*session.execute(summary_statement(collection_id)).one())


def summary_statement(collection_id: str) -> Select:
    """The one aggregate statement ``db_summary`` runs (tests EXPLAIN it)."""
    prime = IdSummary.SQUARE_PRIME
    residue = Passage.id % prime
    return select(
        func.count(), func.sum(Passage.id), func.max(Passage.id), func.sum((residue * residue) % prime)
    ).where(Passage.collection_id == collection_id)


def open_index(settings: Settings, session: Session, collection: Collection) -> CollectionIndex:
    """The collection's index, rebuilt from the database if it disagrees with it.

    A cached index is checked by summary (one aggregate query); one just loaded from disk is
    checked id by id.
    """
    with _lock:
        index, loaded = _load(settings, collection)
        _ensure_in_step(session, collection, index, full=loaded)
        return index


def _ensure_in_step(session: Session, collection: Collection, index: CollectionIndex, *,
                    full: bool) -> None:
    if full:
        in_step = index.fingerprint() == Fingerprint.of_ids(db_unit_ids(session, collection.id))
    else:
        in_step = index.summary() == db_summary(session, collection.id)
    if not in_step:
        log.warning("index of collection %s is out of step with the database; rebuilding",
                    collection.name)
        rebuild_index(session, collection, index)


def _load(settings: Settings, collection: Collection) -> tuple[CollectionIndex, bool]:
    """The cached index of the collection, reopened if its manifest changed on disk; the flag
    says whether it was (re)opened now."""
    directory = settings.index_dir / collection.id
    stamp = _manifest_stamp(directory)
    cached = _open.get(directory)
    if cached is not None and cached[0] == stamp:
        return cached[1], False
    index = CollectionIndex.open(directory, collection.embedder, collection.embedding_dim,
                                 on_mismatch="reset")
    _open[directory] = (stamp, index)
    return index, True


def save_index(index: CollectionIndex) -> None:
    """Save and remember the new manifest, so this process's cached copy stays current."""
    with _lock:
        index.save()
        _open[index.directory] = (_manifest_stamp(index.directory), index)


def _manifest_stamp(directory: Path) -> _Stamp:
    """Identifies one saved manifest: each save replaces the file, so its inode changes too."""
    try:
        st = (directory / MANIFEST).stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def rebuild_collection(settings: Settings, session: Session, collection: Collection) -> CollectionIndex:
    """Rebuild the collection's index from the database whatever its state, and save it."""
    with _lock:
        index, _ = _load(settings, collection)
        rebuild_index(session, collection, index)
        return index


def rebuild_index(session: Session, collection: Collection, index: CollectionIndex) -> None:
    index.rebuild_units(list(_stored_units(session, collection.id)))
    save_index(index)


def _stored_units(session: Session, collection_id: str) -> Iterator[Unit]:
    """Every passage of the collection as an index unit, streamed in id order."""
    links = session.execute(
        select(Passage.id, Passage.level, Passage.page_id, Passage.document_id)
        .where(Passage.collection_id == collection_id, Passage.level.in_(("page", "document")))
    ).all()
    page_unit = {r.page_id: r.id for r in links if r.level == "page"}
    doc_unit = {r.document_id: r.id for r in links if r.level == "document"}
    stmt = (
        select(Passage.id, Passage.level, Passage.terms, Passage.context_terms, Passage.vector,
               Passage.crop_id, Passage.page_id, Passage.document_id)
        .where(Passage.collection_id == collection_id)
        .order_by(Passage.id)
        .execution_options(yield_per=_REBUILD_BATCH)
    )
    for r in session.execute(stmt):
        yield unit_of(r, page_unit, doc_unit)  # type: ignore[arg-type]


def add_to_index(settings: Settings, session: Session, collection: Collection,
                 units: list[Unit]) -> None:
    """Add units whose rows are committed, then verify the index against the database."""
    with _lock:
        index, _ = _load(settings, collection)
        present = set(index.ids().tolist())
        new = [u for u in units if u.id not in present]
        if new:
            index.add_units(new)
            save_index(index)
        _ensure_in_step(session, collection, index, full=True)


def forget_index(directory: Path) -> None:
    """Drop a deleted collection's index from this process's cache."""
    with _lock:
        _open.pop(directory, None)


def remove_from_index(settings: Settings, session: Session, collection: Collection,
                      unit_ids: list[int]) -> None:
    """Remove units whose rows were deleted (a deleted document), then save."""
    with _lock:
        index, _ = _load(settings, collection)
        if unit_ids and index.remove(unit_ids):
            save_index(index)

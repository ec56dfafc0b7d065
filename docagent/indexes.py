"""Keep each collection's search index in step with the database.

The database assigns crop ids and stores each crop's sparse terms and vector, so it is the
source of truth. Writes go database-first (commit), index-second (save). An index found
behind or ahead of the database after a crash is rebuilt from the stored terms and vectors;
nothing is re-read or re-embedded.

Indexes are cached per process and reloaded when another process saved a newer manifest. How
"in step" is checked follows what the moment already costs:

- when an index is loaded from disk, and after a write, the full id fingerprint against every
  id the database holds (O(n), like the load or write itself);
- on every other query, the index's ``IdSummary`` against the same aggregates computed by the
  database in one statement over the partial index ``ix_crops_indexed`` (no crop row is read).
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

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docagent.db.models import Collection, Crop
from docagent.settings import Settings
from indexing.embedders import Embedder, get_embedder
from indexing.search import MANIFEST, CollectionIndex, Fingerprint, IdSummary

log = logging.getLogger(__name__)
_REBUILD_BATCH = 2000
_lock = threading.RLock()
_Stamp = tuple[int, int, int] | None
_open: dict[Path, tuple[_Stamp, CollectionIndex]] = {}


@lru_cache(maxsize=4)
def embedder_for(spec: str) -> Embedder:
    """One embedder per spec per process (models are expensive to load)."""
    return get_embedder(spec)


def db_crop_ids(session: Session, collection_id: str) -> list[int]:
    """Ids of the collection's crops that belong in the index (those with a vector)."""
    stmt = select(Crop.id).where(Crop.collection_id == collection_id, Crop.vector.is_not(None))
    return list(session.scalars(stmt))


def db_summary(session: Session, collection_id: str) -> IdSummary:
    """``IdSummary`` of the collection's indexable crop ids, aggregated by the database.

    Plain 64-bit integer arithmetic on SQLite and PostgreSQL (see ``IdSummary``); SQLite's
    sum() would only overflow past 2^63, far beyond what autoincremented ids add up to.
    """
    prime = IdSummary.SQUARE_PRIME
    residue = Crop.id % prime
    stmt = select(
        func.count(), func.sum(Crop.id), func.max(Crop.id), func.sum((residue * residue) % prime)
    ).where(Crop.collection_id == collection_id, Crop.vector.is_not(None))
    return IdSummary.of_aggregates(*session.execute(stmt).one())


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
        in_step = index.fingerprint() == Fingerprint.of_ids(db_crop_ids(session, collection.id))
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


def rebuild_index(session: Session, collection: Collection, index: CollectionIndex) -> None:
    ids: list[int] = []
    terms: list[list[str]] = []
    vectors: list[np.ndarray] = []
    for crop_id, crop_terms, vector in _stored_rows(session, collection.id):
        ids.append(crop_id)
        terms.append(crop_terms or [])
        vectors.append(np.frombuffer(vector, dtype=np.float32))
    matrix = np.vstack(vectors) if vectors else np.zeros((0, collection.embedding_dim), np.float32)
    index.rebuild(ids, terms, matrix)
    save_index(index)


def _stored_rows(session: Session, collection_id: str) -> Iterator[tuple[int, list | None, bytes]]:
    stmt = (
        select(Crop.id, Crop.terms, Crop.vector)
        .where(Crop.collection_id == collection_id, Crop.vector.is_not(None))
        .order_by(Crop.id)
        .execution_options(yield_per=_REBUILD_BATCH)
    )
    for row in session.execute(stmt):
        yield row.id, row.terms, row.vector


def add_to_index(settings: Settings, session: Session, collection: Collection, ids: list[int],
                 terms: list[list[str]], vectors: np.ndarray) -> None:
    """Add crops whose rows are committed, then verify the index against the database."""
    with _lock:
        index, _ = _load(settings, collection)
        present = set(index.ids().tolist())
        new = [i for i, crop_id in enumerate(ids) if crop_id not in present]
        if new:
            index.add([ids[i] for i in new], [terms[i] for i in new], vectors[new])
            save_index(index)
        _ensure_in_step(session, collection, index, full=True)


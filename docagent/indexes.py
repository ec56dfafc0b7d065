"""Keep each collection's search index in step with the database.

The database assigns crop ids and stores each crop's sparse terms and vector, so it is the
source of truth. Writes go database-first (commit), index-second (save). An index found
behind or ahead of the database after a crash (its id fingerprint differs from the
database's) is rebuilt from the stored terms and vectors; nothing is re-read or re-embedded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from docagent.db.models import Collection, Crop
from docagent.settings import Settings
from indexing.embedders import Embedder, get_embedder
from indexing.search import CollectionIndex, Fingerprint

log = logging.getLogger(__name__)
_REBUILD_BATCH = 2000
_lock = threading.Lock()


@lru_cache(maxsize=4)
def embedder_for(spec: str) -> Embedder:
    """One embedder per spec per process (models are expensive to load)."""
    return get_embedder(spec)


def db_crop_ids(session: Session, collection_id: str) -> list[int]:
    """Ids of the collection's crops that belong in the index (those with a vector)."""
    stmt = select(Crop.id).where(Crop.collection_id == collection_id, Crop.vector.is_not(None))
    return list(session.scalars(stmt))


def open_index(settings: Settings, session: Session, collection: Collection) -> CollectionIndex:
    """Open the collection's index, rebuilding it from the database if it disagrees."""
    with _lock:
        index = CollectionIndex.open(
            settings.index_dir / collection.id, collection.embedder, collection.embedding_dim
        )
        expected = Fingerprint.of_ids(db_crop_ids(session, collection.id))
        if index.fingerprint() != expected:
            log.warning("index of collection %s is out of step with the database; rebuilding", collection.name)
            rebuild_index(session, collection, index)
        return index


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
    index.save()


def _stored_rows(session: Session, collection_id: str) -> Iterator[tuple[int, list | None, bytes]]:
    stmt = (
        select(Crop.id, Crop.terms, Crop.vector)
        .where(Crop.collection_id == collection_id, Crop.vector.is_not(None))
        .order_by(Crop.id)
        .execution_options(yield_per=_REBUILD_BATCH)
    )
    for row in session.execute(stmt):
        yield row.id, row.terms, row.vector


def remove_from_index(settings: Settings, session: Session, collection: Collection, ids: list[int]) -> None:
    """Call after the crops' deletion has been committed."""
    index = open_index(settings, session, collection)
    with _lock:
        index.remove(ids)
        index.save()

"""SQLAlchemy 2 models. Every row below Tenant carries ``tenant_id`` so queries can be scoped.

A Crop keeps its own text and, in ``context``, what it is indexed with besides (document
title, heading path, caption). What the search index holds are Passages: crop, table-row, page
and document units with their indexed text, sparse terms and vector, under integer ids the
database assigns. The index stores exactly these ids, so the database is the source of truth
and an index can always be rebuilt from it; an index on (collection, id) lets the per-query
consistency check aggregate a collection's passage ids without reading the rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
BigId = BigInteger().with_variant(Integer, "sqlite")


def _uuid() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    INDEXED = "indexed"
    FAILED = "failed"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ApiKey(Base):
    """A tenant's API key, stored as the SHA-256 of the key (keys are random, 32 bytes, so a
    plain hash is enough); ``prefix`` is the key's first characters, shown to tell keys apart."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_uuid)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_uuid)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    embedder: Mapped[str] = mapped_column(String(500))
    embedding_dim: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    documents: Mapped[list[Document]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", passive_deletes=True
    )


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("collection_id", "sha256"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_uuid)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str | None] = mapped_column(String(64))  # None: bytes never read
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str | None] = mapped_column(String(20))
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    crop_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(Text)  # as resolved for context (indexing.context)
    title_source: Mapped[str | None] = mapped_column(String(20))  # layout | metadata | filename
    metadata_title: Mapped[str | None] = mapped_column(Text)  # the file's own, kept for reindexing
    meta: Mapped[dict | None] = mapped_column(JSON)  # key/value set at upload, for search filters
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)  # the caller's id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    collection: Mapped[Collection] = relationship(back_populates="documents")
    pages: Mapped[list[Page]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Page.number",
    )


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1-based
    width: Mapped[float] = mapped_column(Float)
    height: Mapped[float] = mapped_column(Float)
    text_source: Mapped[str] = mapped_column(String(20))
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    image_dpi: Mapped[float] = mapped_column(Float, default=144.0)
    warnings: Mapped[list | None] = mapped_column(JSON)

    document: Mapped[Document] = relationship(back_populates="pages")
    crops: Mapped[list[Crop]] = relationship(
        back_populates="page", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Crop.order",
    )


class Crop(Base):
    __tablename__ = "crops"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    order: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    x0: Mapped[float] = mapped_column(Float)
    y0: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    text_source: Mapped[str] = mapped_column(String(20))
    words: Mapped[list | None] = mapped_column(JSON)  # [[x0, y0, x1, y1, text], ...] page points
    table: Mapped[dict | None] = mapped_column(JSON)  # Table.to_dict()
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    # CropContext.to_json(): title, headings, caption; for a table over pages its parts and header
    context: Mapped[dict | None] = mapped_column(JSON)
    role: Mapped[str | None] = mapped_column(String(20))  # indexing.context.Role

    page: Mapped[Page] = relationship(back_populates="crops")

    @property
    def bbox(self) -> list[float]:
        return [round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2)]


class Passage(Base):
    """One unit of the search index: a crop, a table row, a page or a whole document."""

    __tablename__ = "passages"
    # Id aggregates per collection come from this index alone (SQLite keeps the rowid in
    # every index; PostgreSQL can scan index-only).
    __table_args__ = (Index("ix_passages_collection_id", "collection_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    crop_id: Mapped[int | None] = mapped_column(
        ForeignKey("crops.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(10))  # crop | row | page | document
    row: Mapped[int | None] = mapped_column(Integer)  # table row index (row units)
    x0: Mapped[float | None] = mapped_column(Float)  # the row's box (row units), page points
    y0: Mapped[float | None] = mapped_column(Float)
    x1: Mapped[float | None] = mapped_column(Float)
    y1: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")  # what was indexed: context + own text
    terms: Mapped[list] = mapped_column(JSON)  # sparse terms of its own text, kept to rebuild BM25
    context_terms: Mapped[list | None] = mapped_column(JSON)  # of its context (crop and row units)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32, kept to rebuild FAISS

    @property
    def box(self) -> list[float] | None:
        if self.x0 is None or self.y0 is None or self.x1 is None or self.y1 is None:
            return None
        return [round(self.x0, 2), round(self.y0, 2), round(self.x1, 2), round(self.y1, 2)]


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_uuid)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED)
    document_ids: Mapped[list | None] = mapped_column(JSON)
    done: Mapped[int] = mapped_column(Integer, default=0)  # documents finished
    total: Mapped[int] = mapped_column(Integer, default=0)  # documents to process
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1, advanced page by page
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(50))
    result: Mapped[dict | None] = mapped_column(JSON)
    payload: Mapped[dict | None] = mapped_column(JSON)  # what the task needs: question, batch source
    steps: Mapped[list | None] = mapped_column(JSON)  # the agent's steps so far (query jobs)
    callbacks: Mapped[list | None] = mapped_column(JSON)  # [{"url", "headers"}] called at the end
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # task runs started
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

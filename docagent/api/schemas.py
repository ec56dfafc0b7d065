"""Request and response bodies of the REST API, with the examples the OpenAPI schema shows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# the contract's own dataclasses, so the schema cannot drift from what is returned
from docagent.agent.answer import Citation
from docagent.ingest import DocumentRow


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["collection 'x' does not exist"])


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Callback(BaseModel):
    url: str = Field(examples=["https://example.com/hooks/docagent"])
    headers: dict[str, str] = Field(default_factory=dict)


class CollectionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "finance"}]})
    name: str = Field(min_length=1, max_length=200)


class CollectionOut(BaseModel):
    id: str
    name: str
    documents: int
    created_at: str


class CollectionList(BaseModel):
    collections: list[CollectionOut]


class JobError(BaseModel):
    code: str
    message: str


class JobOut(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    collection_id: str | None
    progress: float
    done: int
    total: int
    error: JobError | None
    result: dict | None
    document_ids: list[str]
    created_at: str | None
    finished_at: str | None


class UploadOut(BaseModel):
    job_id: str
    job: JobOut
    documents: list[DocumentRow]


class PageOut(BaseModel):
    number: int
    width: float
    height: float
    text_source: str


class DocumentOut(BaseModel):
    id: str
    collection_id: str
    filename: str
    status: str
    error: str | None
    kind: str | None
    pages: list[PageOut]
    crops: int
    title: str | None
    metadata: dict | None
    external_id: str | None
    created_at: str


class SearchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"query": "2023년 영업이익", "k": 5}]})
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, ge=1, le=200)
    mode: Literal["hybrid", "sparse", "dense"] = "hybrid"


class SearchHit(BaseModel):
    document_id: str
    filename: str
    page: int
    bbox: list[float]
    kind: str
    text: str
    score: float
    crop_id: str
    page_size: list[float]
    title: str = ""
    headings: list[str] = []
    caption: str = ""
    row: dict | None = None
    column: dict | None = None


class SearchOut(BaseModel):
    results: list[SearchHit]


class QueryIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"question": "2023년 영업이익은 2021년보다 얼마나 늘었나?"},
        {"question": "2022년 매출액은?", "async": True},
        {"question": "2022년 매출액은?", "stream": True}]})
    question: str = Field(min_length=1, max_length=1000)
    k: int = Field(5, ge=1, le=20)
    async_: bool = Field(False, alias="async", description="Return the job at once (202).")
    stream: bool = Field(False, description="Server-sent events: each step, then the answer.")
    timeout_s: float | None = Field(None, gt=0, le=600, description="How long to wait for the answer.")
    callbacks: list[Callback] | None = None


class AnswerOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    answer: str
    reasoning: list[str]
    citations: list[Citation]
    answerable: bool
    job_id: str


class QueryAccepted(BaseModel):
    job_id: str
    job: JobOut

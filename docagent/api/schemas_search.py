"""Bodies of enterprise search (``POST /v1/search``) and the OpenAI-compatible chat
(``POST /v1/chat/completions``), with the examples the OpenAPI schema shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from docagent.agent.answer import Citation
from docagent.api.schemas import SearchHit
from docagent.enterprise import MAX_LIMIT, MAX_LIST

# -- enterprise search ---------------------------------------------------------------------


class SearchFiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection_ids: list[str] | None = Field(None, max_length=MAX_LIST)
    document_ids: list[str] | None = Field(None, max_length=MAX_LIST)
    kinds: list[str] | None = Field(None, max_length=MAX_LIST,
                                    description="crop kinds: text, title, table, chart, picture, ...")
    page_from: int | None = Field(None, ge=1, description="first page, 1-based, inclusive")
    page_to: int | None = Field(None, ge=1, description="last page, 1-based, inclusive")
    uploaded_after: datetime | None = Field(None, description="uploaded at or after (UTC if no zone)")
    uploaded_before: datetime | None = Field(None, description="uploaded before (UTC if no zone)")
    metadata: dict[str, Any] | None = Field(
        None, description="key -> value; each must equal the document's metadata set at upload")
    external_ids: list[str] | None = Field(None, max_length=MAX_LIST)


class EnterpriseSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"query": "2023년 영업이익", "limit": 10},
        {"query": "매출액", "limit": 20,
         "filters": {"kinds": ["table"], "page_from": 1, "page_to": 3,
                     "metadata": {"dept": "finance"}, "uploaded_after": "2024-01-01T00:00:00Z"}},
        {"query": "매출액", "cursor": "eyJ2IjoxLCJvIjoxMCwiaCI6Ii4uLiIsImMiOiIuLi4ifQ"}]})
    query: str = Field(min_length=1, max_length=2000)
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000,
                               description="next_cursor of the previous page, with the same query and filters")
    filters: SearchFiltersIn = Field(default_factory=SearchFiltersIn)


class Highlight(BaseModel):
    text: str
    bbox: list[float]


class EnterpriseHit(SearchHit):
    collection_id: str
    external_id: str | None
    highlights: list[Highlight]
    metadata: dict[str, Any]


class DocumentFacet(BaseModel):
    document_id: str
    filename: str
    count: int


class CollectionFacet(BaseModel):
    collection_id: str
    name: str
    count: int


class KindFacet(BaseModel):
    kind: str
    count: int


class Facets(BaseModel):
    documents: list[DocumentFacet]
    collections: list[CollectionFacet]
    kinds: list[KindFacet]


class EnterpriseSearchOut(BaseModel):
    results: list[EnterpriseHit]
    total: int = Field(description="matches in the candidate pool after the filters")
    facets: Facets
    next_cursor: str | None


# -- chat completions ----------------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(max_length=50)
    content: str | list[ContentPart] | None = None


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"model": "finance", "messages": [{"role": "user", "content": "2023년 영업이익은?"}]},
        {"model": "finance", "stream": True, "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": [{"type": "text", "text": "2022년 매출액은?"}]}]}]})
    model: str = Field(min_length=1, max_length=200, description="a collection's name or id")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


class ChatReply(BaseModel):
    role: str
    content: str


class ChatChoice(BaseModel):
    index: int
    message: ChatReply
    finish_reason: str


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionOut(BaseModel):
    id: str
    object: str
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation]
    answerable: bool

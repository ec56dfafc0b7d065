"""Enterprise search (POST /v1/search) over two collections of one tenant and a copy of one of
them in another tenant: located results merged across collections, every filter narrowing the
same pool, tenants isolated, cursor pages that add up to one big page, facets that count the
results, and highlights inside their crop that carry the query's words."""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from docagent.enterprise import highlight_terms, matching_words
from tests.docagent.api.conftest import ACME, KEYS, OTHER

NET_INCOME = "청운소프트의 당기순이익 가운데 2002년 값은 얼마입니까?"


@dataclass
class Corpus:
    client: TestClient
    colls: dict[str, str]  # "acme/annual", "acme/yearbook", "other/annual" -> collection id
    docs: dict[str, str]  # "acme/A-0" ... -> document id
    annual: object
    yearbook: object


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from sqlalchemy import select, update

    from docagent.api.app import create_app
    from docagent.db.models import Collection, Document, Tenant
    from docagent.db.session import session_scope
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings
    from vlm.synth.collections import template_collection

    settings = Settings(home=tmp_path_factory.mktemp("enterprise") / "home", api_keys=KEYS,
                        ingest_workers=1, rate_limit_per_minute=0)
    annual = template_collection("company_annual", n_documents=3, seed=7)
    yearbook = template_collection("city_yearbook", n_documents=2, seed=5)
    metas = [{"dept": "finance", "year": 2023}, {"dept": "hr", "year": 2024}, None]
    ing = Ingestor(settings)
    docs: dict[str, str] = {}
    # the other tenant holds the same bytes under the same external ids and metadata
    for tenant in ("acme", "other"):
        uploads = [Upload(d.filename, d.pdf, meta=metas[i], external_id=f"A-{i}")
                   for i, d in enumerate(annual.documents)]
        job, rows = ing.submit(tenant, "annual", uploads)
        assert all(r.status == "indexed" for r in ing.run_job(job))
        docs.update({f"{tenant}/A-{i}": r.id for i, r in enumerate(rows)})
    job, rows = ing.submit("acme", "yearbook", [Upload(d.filename, d.pdf, external_id=f"Y-{i}")
                                                for i, d in enumerate(yearbook.documents)])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    docs.update({f"acme/Y-{i}": r.id for i, r in enumerate(rows)})
    with session_scope(settings.database_url) as s:
        s.execute(update(Document).where(Document.id == docs["acme/A-0"])
                  .values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
        colls = {f"{t}/{c}": i for i, t, c in s.execute(
            select(Collection.id, Tenant.name, Collection.name).join(Tenant))}
    with TestClient(create_app(settings)) as client:
        yield Corpus(client, colls, docs, annual, yearbook)


def _search(corpus: Corpus, query: str, headers: dict = ACME, status: int = 200, **body) -> dict:
    res = corpus.client.post("/v1/search", json={"query": query, **body}, headers=headers)
    assert res.status_code == status, res.text
    return res.json()


def _everything(corpus: Corpus, query: str, headers: dict = ACME, **filters) -> dict:
    """The whole filtered pool in one page (the pools here are under 100 crops)."""
    out = _search(corpus, query, headers, limit=100, filters=filters)
    assert out["next_cursor"] is None and len(out["results"]) == out["total"]
    return out


def _ids(out: dict) -> list[str]:
    return [r["crop_id"] for r in out["results"]]


def test_results_are_located_and_merged_across_collections(corpus):
    out = _search(corpus, NET_INCOME, limit=5)
    top = out["results"][0]
    q = next(q for q in corpus.annual.questions if q.text == NET_INCOME)
    assert (top["filename"], top["page"], top["kind"]) == (q.filename, q.pages[0], "table")
    assert top["collection_id"] == corpus.colls["acme/annual"]
    assert top["document_id"] == corpus.docs["acme/A-0"] and top["external_id"] == "A-0"
    assert top["metadata"] == {"dept": "finance", "year": 2023}
    assert "청운소프트" in top["title"] and top["page_size"][0] > 0 and len(top["bbox"]) == 4
    assert out["total"] > 5 and out["next_cursor"]
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)
    # a question about the city yearbook is answered from the other collection, first
    city = next(q for q in corpus.yearbook.questions if q.kind == "table")
    first = _search(corpus, city.text, limit=3)["results"][0]
    assert (first["collection_id"], first["filename"], first["page"]) == (
        corpus.colls["acme/yearbook"], city.filename, city.pages[0])
    # a collection that only shares a year with the question ranks below the one naming the company
    pool = _everything(corpus, NET_INCOME)["results"]
    best_yearbook = next(i for i, r in enumerate(pool) if r["collection_id"] == corpus.colls["acme/yearbook"])
    assert best_yearbook >= 3


def test_one_collection_in_scope_ranks_as_the_collection_search(corpus):
    coll = corpus.colls["acme/annual"]
    merged = _search(corpus, NET_INCOME, limit=5, filters={"collection_ids": [coll]})["results"]
    single = corpus.client.post(f"/v1/collections/{coll}/search", json={"query": NET_INCOME, "k": 5},
                                headers=ACME).json()["results"]
    assert [(r["crop_id"], r["score"]) for r in merged] == [(r["crop_id"], r["score"]) for r in single]


def test_tenants_see_only_their_own_data(corpus):
    acme_colls = {corpus.colls["acme/annual"], corpus.colls["acme/yearbook"]}
    acme_docs = {v for k, v in corpus.docs.items() if k.startswith("acme/")}
    other_docs = {v for k, v in corpus.docs.items() if k.startswith("other/")}
    mine = _everything(corpus, NET_INCOME)
    theirs = _everything(corpus, NET_INCOME, OTHER)
    assert mine["total"] and theirs["total"]
    assert {r["collection_id"] for r in mine["results"]} <= acme_colls
    assert {r["document_id"] for r in mine["results"]} <= acme_docs
    assert {r["collection_id"] for r in theirs["results"]} == {corpus.colls["other/annual"]}
    assert {r["document_id"] for r in theirs["results"]} <= other_docs
    assert not {f["document_id"] for f in mine["facets"]["documents"]} & other_docs
    assert {f["collection_id"] for f in theirs["facets"]["collections"]} == {corpus.colls["other/annual"]}
    # naming the other tenant's collection or documents finds nothing
    for filters in ({"collection_ids": [corpus.colls["other/annual"]]},
                    {"document_ids": sorted(other_docs)}):
        out = _search(corpus, NET_INCOME, limit=100, filters=filters)
        assert out["results"] == [] and out["total"] == 0 and out["next_cursor"] is None
        assert out["facets"] == {"documents": [], "collections": [], "kinds": []}
    # the same external id and metadata in both tenants: each sees its own document only
    ext = _everything(corpus, NET_INCOME, external_ids=["A-0"], metadata={"dept": "finance"})
    assert ext["total"] and {r["document_id"] for r in ext["results"]} == {corpus.docs["acme/A-0"]}


@pytest.mark.parametrize("filters, keep", [
    ({"kinds": ["table"]}, lambda r, c: r["kind"] == "table"),
    ({"kinds": ["text", "picture"]}, lambda r, c: r["kind"] in ("text", "picture")),
    ({"page_from": 2, "page_to": 2}, lambda r, c: r["page"] == 2),
    ({"page_from": 3}, lambda r, c: r["page"] >= 3),
    ({"page_to": 1}, lambda r, c: r["page"] <= 1),
    ({"metadata": {"dept": "finance"}}, lambda r, c: r["document_id"] == c.docs["acme/A-0"]),
    ({"metadata": {"year": 2024}}, lambda r, c: r["document_id"] == c.docs["acme/A-1"]),
    ({"metadata": {"dept": "hr", "year": 2024}}, lambda r, c: r["document_id"] == c.docs["acme/A-1"]),
    ({"external_ids": ["A-1", "Y-0"]},
     lambda r, c: r["document_id"] in (c.docs["acme/A-1"], c.docs["acme/Y-0"])),
    ({"document_ids": "acme/A-2"}, lambda r, c: r["document_id"] == c.docs["acme/A-2"]),
    ({"collection_ids": "acme/yearbook"}, lambda r, c: r["collection_id"] == c.colls["acme/yearbook"]),
    ({"uploaded_before": "2021-01-01T00:00:00Z"}, lambda r, c: r["document_id"] == c.docs["acme/A-0"]),
    ({"uploaded_after": "2021-01-01T00:00:00"}, lambda r, c: r["document_id"] != c.docs["acme/A-0"]),
    ({"kinds": ["table"], "page_from": 2, "metadata": {"dept": "hr"}},
     lambda r, c: r["kind"] == "table" and r["document_id"] == c.docs["acme/A-1"]),
])
def test_each_filter_narrows_the_pool_to_what_it_names(corpus, filters, keep):
    if isinstance(filters.get("document_ids"), str):
        filters = {**filters, "document_ids": [corpus.docs[filters["document_ids"]]]}
    if isinstance(filters.get("collection_ids"), str):
        filters = {**filters, "collection_ids": [corpus.colls[filters["collection_ids"]]]}
    query = "매출액 관광객 수 2002년 주당 배당금"
    pool = _everything(corpus, query)["results"]
    narrowed = _everything(corpus, query, **filters)
    expected = [r["crop_id"] for r in pool if keep(r, corpus)]
    assert expected, "the filter must keep something for the test to mean anything"
    assert len(expected) < len(pool)
    assert _ids(narrowed) == expected and narrowed["total"] == len(expected)


def test_metadata_equality_is_by_json_type(corpus):
    assert _everything(corpus, "매출액", metadata={"year": 2023})["total"] > 0
    for value in ("2023", True, [2023]):
        assert _everything(corpus, "매출액", metadata={"year": value})["total"] == 0
    assert _everything(corpus, "매출액", metadata={"missing": None})["total"] == 0


def test_cursor_pages_cover_one_big_page_without_overlap(corpus):
    query, filters = "매출액 관광객 수 2002년", {"page_from": 1}
    whole = _everything(corpus, query, **filters)
    assert whole["total"] > 12
    seen, cursor, pages = [], None, 0
    while True:
        body = {"limit": 5 if pages % 2 else 7, "filters": filters}  # the limit may change
        if cursor:
            body["cursor"] = cursor
        out = _search(corpus, query, **body)
        assert out["total"] == whole["total"] and out["facets"] == whole["facets"]
        seen += _ids(out)
        pages += 1
        cursor = out["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and seen == _ids(whole) and pages > 2


def test_a_tampered_or_foreign_cursor_is_refused(corpus):
    first = _search(corpus, "매출액 관광객", limit=3)
    cursor = first["next_cursor"]
    assert cursor
    assert _search(corpus, "매출액 관광객", limit=3, cursor=cursor)["results"]
    body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    edited = base64.urlsafe_b64encode(json.dumps({**body, "o": 0}).encode()).decode()
    cases = [
        ({"query": "매출액 관광객", "cursor": "not a cursor"}, "not valid"),
        ({"query": "매출액 관광객", "cursor": edited}, "not valid"),
        ({"query": "매출액 관광객", "cursor": cursor[:-4]}, "not valid"),
        ({"query": "영업이익", "cursor": cursor}, "another query"),
        ({"query": "매출액 관광객", "cursor": cursor, "filters": {"kinds": ["table"]}}, "another query"),
    ]
    for body, words in cases:
        res = corpus.client.post("/v1/search", json={"limit": 3, **body}, headers=ACME)
        assert res.status_code == 400, res.text
        error = res.json()["error"]
        assert error["code"] == "bad_request" and words in error["message"]


def test_facets_count_the_filtered_pool(corpus):
    for filters in ({}, {"kinds": ["table", "text"]}, {"collection_ids": [corpus.colls["acme/annual"]]}):
        out = _everything(corpus, "매출액 관광객 수 2002년", **filters)
        results = out["results"]
        facets = out["facets"]
        assert {f["document_id"]: f["count"] for f in facets["documents"]} == \
            Counter(r["document_id"] for r in results)
        assert {f["collection_id"]: f["count"] for f in facets["collections"]} == \
            Counter(r["collection_id"] for r in results)
        assert {f["kind"]: f["count"] for f in facets["kinds"]} == Counter(r["kind"] for r in results)
        names = {r["document_id"]: r["filename"] for r in results}
        assert all(f["filename"] == names[f["document_id"]] for f in facets["documents"])
        assert {f["name"] for f in facets["collections"]} <= {"annual", "yearbook"}
        counts = [f["count"] for f in facets["documents"]]
        assert counts == sorted(counts, reverse=True)
    # a small page still facets the whole pool
    page = _search(corpus, "매출액 관광객 수 2002년", limit=2)
    assert sum(f["count"] for f in page["facets"]["kinds"]) == page["total"] > 2


def test_highlights_are_the_query_words_inside_the_crop(corpus):
    out = _everything(corpus, "당기순이익 2002년 배당금")
    lit = [r for r in out["results"] if r["highlights"]]
    assert lit and lit[0] is out["results"][0]
    texts = set()
    for r in out["results"]:
        x0, y0, x1, y1 = r["bbox"]
        for h in r["highlights"]:
            hx0, hy0, hx1, hy1 = h["bbox"]
            assert x0 <= hx0 < hx1 <= x1 and y0 <= hy0 < hy1 <= y1, (r["bbox"], h)
            assert any(t in h["text"] for t in ("당기순이익", "2002", "배당금")), h
            assert h["text"] in r["text"] or r["kind"] == "table"
            texts.add(h["text"])
    assert {"당기순이익", "2002년"} <= texts
    assert "배당금은" in texts  # a word with its particle holds the query's morpheme
    # every word of a crop that holds a query term is lit, none other
    top = out["results"][0]
    assert all("당기순이익" in h["text"] or "2002" in h["text"] for h in top["highlights"])


def test_matching_words_rules():
    words = [[10, 10, 40, 20, "매출액은"], [45, 10, 60, 20, "3,450억"], [65, 10, 70, 20, "년"],
             [75, 10, 99, 20, "2023년"], [100, 10, 120, 20, "영업"], [0, 0, 5, 5, "매출액"]]
    terms = highlight_terms("2023년 매출액 3450억 원")
    got = matching_words(words, terms, clip=[8, 12, 110, 18])
    assert [h["text"] for h in got] == ["매출액은", "3,450억", "년", "2023년"]
    assert got[0]["bbox"] == [10.0, 12.0, 40.0, 18.0]  # cut to the crop's box; one outside it dropped
    assert [h["text"] for h in matching_words(words, highlight_terms("영업이익"))] == ["영업"]  # a morpheme
    assert matching_words(words, highlight_terms("관광객")) == []


@pytest.mark.parametrize("body, status", [
    ({"query": ""}, 422), ({"query": "   "}, 400), ({"query": "x" * 2001}, 422),
    ({"query": "매출액", "limit": 0}, 422), ({"query": "매출액", "limit": 101}, 422),
    ({"query": "매출액", "filters": {"page_from": 3, "page_to": 2}}, 400),
    ({"query": "매출액", "filters": {"page_from": 0}}, 422),
    ({"query": "매출액", "filters": {"kinds": ["spreadsheet"]}}, 400),
    ({"query": "매출액", "filters": {"uploaded_after": "2024-01-02", "uploaded_before": "2024-01-01"}}, 400),
    ({"query": "매출액", "filters": {"uploaded_after": "yesterday"}}, 422),
    ({"query": "매출액", "filters": {"collection_ids": "abc"}}, 422),
    ({"query": "매출액", "filters": {"metadata": ["dept"]}}, 422),
    ({"query": "매출액", "filter": {"kinds": ["table"]}}, 422),
    ({"query": "매출액", "cursor": 5}, 422),
])
def test_bad_requests_are_answered_in_the_error_form(corpus, body, status):
    res = corpus.client.post("/v1/search", json=body, headers=ACME)
    assert res.status_code == status, res.text
    assert set(res.json()) == {"error"} and res.json()["error"]["message"]


@pytest.mark.parametrize("raw", [
    '{"query": "매출액", "filters": {"uploaded_after": "0001-01-01T00:00:00+01:00"}}',
    '{"query": "매출액", "filters": {"document_ids": ["\\ud800"]}}',
    '{"query": "매출액", "filters": {"metadata": {"dept": "\\udc00"}}}',
])
def test_dates_without_utc_and_lone_surrogates_are_400_not_500(corpus, raw):
    res = corpus.client.post("/v1/search", content=raw.encode(),
                             headers={**ACME, "content-type": "application/json"})
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] == "bad_request"


def test_search_needs_a_key_and_is_in_the_openapi_schema(corpus):
    assert corpus.client.post("/v1/search", json={"query": "매출액"}).status_code == 401
    res = corpus.client.post("/v1/search", json={"query": "매출액"}, headers={"Authorization": "Bearer nope"})
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    schema = corpus.client.get("/openapi.json").json()
    op = schema["paths"]["/v1/search"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    examples = schema["components"]["schemas"][ref]["examples"]
    assert any("filters" in e for e in examples) and all(e["query"] for e in examples)

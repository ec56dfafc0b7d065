"""The REST routes in process: upload -> job -> search and query in all three forms, with
auth, tenant scoping and every kind of bad request answered in the error form, never a 500."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.docagent.api.conftest import ACME, OTHER, make_collection, wait_job

QUESTION = "2023년 회사의 매출액은 얼마인가?"


@pytest.fixture()
def indexed(client, sample_pdf):
    coll = make_collection(client, "fin")
    res = client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                      files=[("files", ("report.pdf", sample_pdf, "application/pdf"))],
                      data={"metadata": json.dumps({"dept": "finance"}), "external_id": "ext-1"})
    assert res.status_code == 202, res.text
    body = res.json()
    assert body["documents"][0]["status"] == "queued"
    view = wait_job(client, body["job_id"], ACME)
    assert view["status"] == "succeeded" and view["progress"] == 1.0
    return coll, body["documents"][0]["id"], view


def test_upload_is_indexed_and_its_document_pages_and_images_are_served(client, indexed):
    coll, doc_id, view = indexed
    assert view["result"]["documents"][0]["status"] == "indexed"
    doc = client.get(f"/v1/documents/{doc_id}", headers=ACME).json()
    assert doc["metadata"] == {"dept": "finance"} and doc["external_id"] == "ext-1"
    assert doc["pages"][0]["number"] == 1 and doc["pages"][0]["width"] > 0
    img = client.get(f"/v1/documents/{doc_id}/pages/1/image", headers=ACME)
    magic = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff"}
    assert img.status_code == 200 and img.content.startswith(magic[img.headers["content-type"]])
    missing = client.get(f"/v1/documents/{doc_id}/pages/9/image", headers=ACME)
    assert missing.status_code == 404 and "1 pages" in missing.json()["error"]["message"]
    hits = client.post(f"/v1/collections/{coll}/search", json={"query": "매출액", "k": 3}, headers=ACME)
    assert hits.status_code == 200
    top = hits.json()["results"][0]
    assert top["document_id"] == doc_id and "매출액" in top["text"] and len(top["bbox"]) == 4
    crop = client.get(f"/v1/crops/{top['crop_id']}/image", headers=ACME)
    assert crop.status_code == 200 and crop.content.startswith(magic[crop.headers["content-type"]])


def test_reupload_of_the_same_bytes_returns_the_existing_document(client, indexed, sample_pdf):
    coll, doc_id, _ = indexed
    res = client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                      files=[("files", ("again.pdf", sample_pdf, "application/pdf"))]).json()
    assert res["documents"][0]["id"] == doc_id and res["job"]["status"] == "succeeded"
    assert client.get(f"/v1/collections/{coll}", headers=ACME).json()["documents"] == 1


def test_waited_async_and_streamed_answers_cite_the_same_boxes(client, indexed):
    coll, doc_id, _ = indexed
    waited = client.post(f"/v1/collections/{coll}/query", json={"question": QUESTION}, headers=ACME)
    assert waited.status_code == 200, waited.text
    answer = waited.json()
    assert answer["answerable"] and "3,450" in answer["answer"]
    cite = answer["citations"][0]
    assert cite["document_id"] == doc_id and cite["page"] == 1 and len(cite["bbox"]) == 4

    accepted = client.post(f"/v1/collections/{coll}/query", json={"question": QUESTION, "async": True},
                           headers=ACME)
    assert accepted.status_code == 202
    stored = wait_job(client, accepted.json()["job_id"], ACME)["result"]["answer"]

    events = []
    with client.stream("POST", f"/v1/collections/{coll}/query", headers=ACME,
                       json={"question": QUESTION, "stream": True}) as res:
        assert res.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in res.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    kinds = [e[0] for e in events]
    assert kinds[0] == "job" and kinds[-1] == "answer" and "step" in kinds
    assert [s["node"] for k, s in events if k == "step"][:2] == ["plan", "retrieve"]
    streamed = events[-1][1]
    assert answer["citations"] == stored["citations"] == streamed["citations"]
    assert answer["answer"] == stored["answer"] == streamed["answer"]


def test_keys_are_required_and_scope_every_id_to_the_callers_tenant(client, indexed):
    coll, doc_id, view = indexed
    assert client.get("/v1/collections").status_code == 401
    assert client.get("/v1/collections", headers={"Authorization": "Bearer nope"}).status_code == 403
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/collections", headers=OTHER).json() == {"collections": []}
    crop_id = client.post(f"/v1/collections/{coll}/search", json={"query": "매출액"},
                          headers=ACME).json()["results"][0]["crop_id"]
    for path in (f"/v1/collections/{coll}", f"/v1/documents/{doc_id}", f"/v1/jobs/{view['id']}",
                 f"/v1/documents/{doc_id}/pages/1/image", f"/v1/crops/{crop_id}/image"):
        res = client.get(path, headers=OTHER)
        assert res.status_code == 404 and res.json()["error"]["code"] == "not_found", path
    for path, body in ((f"/v1/collections/{coll}/search", {"query": "매출액"}),
                       (f"/v1/collections/{coll}/query", {"question": QUESTION})):
        assert client.post(path, json=body, headers=OTHER).status_code == 404
    assert client.delete(f"/v1/documents/{doc_id}", headers=OTHER).status_code == 404
    assert client.get(f"/v1/documents/{doc_id}", headers=ACME).status_code == 200


def test_bad_requests_get_their_status_in_the_error_form(client, api_settings):
    coll = make_collection(client, "bad")
    cases = [
        (client.post("/v1/collections", json={"name": "bad"}, headers=ACME), 409),
        (client.post("/v1/collections", content=b"{not json", headers={**ACME, "content-type": "application/json"}), 422),
        (client.post("/v1/collections", json={"name": ""}, headers=ACME), 422),
        (client.get("/v1/collections/nope", headers=ACME), 404),
        (client.get("/v1/jobs/nope", headers=ACME), 404),
        (client.get("/v1/crops/123456789012345678901234/image", headers=ACME), 404),
        (client.post(f"/v1/collections/{coll}/search", json={"query": "   "}, headers=ACME), 400),
        (client.post(f"/v1/collections/{coll}/search", json={"query": "x", "k": 0}, headers=ACME), 422),
        (client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                     files=[("files", ("notes.txt", b"plain text " * 50, "text/plain"))]), 415),
        (client.post(f"/v1/collections/{coll}/documents", headers=ACME, data={"metadata": "[1]"},
                     files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))]), 400),
        (client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                     data={"callbacks": json.dumps([{"url": "file:///etc/passwd"}])},
                     files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))]), 400),
        (client.post(f"/v1/collections/{coll}/batches", headers=ACME, data={"path": "x"}), 400),
    ]
    for res, status in cases:
        assert res.status_code == status, (res.request.url, res.text)
        assert set(res.json()["error"]) == {"code", "message"}, res.text


def test_an_oversized_upload_is_refused_before_it_is_read(client, api_settings):
    coll = make_collection(client, "big")
    too_big = b"%PDF-1.4\n" + b"0" * (api_settings.max_upload_mb * 2**20 + 2**21)
    res = client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                      files=[("files", ("big.pdf", too_big, "application/pdf"))])
    assert res.status_code == 413 and res.json()["error"]["code"] == "payload_too_large"
    assert client.get(f"/v1/collections/{coll}", headers=ACME).json()["documents"] == 0


def test_unsafe_archive_members_and_paths_in_names_fail_alone(client, sample_pdf):
    coll = make_collection(client, "zips")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../escaped.pdf", sample_pdf)
        zf.writestr("bomb.pdf", b"\0" * (300 * 2**20))  # 300 MB of zeros, a few hundred KB zipped
        zf.writestr("inner/ok.pdf", sample_pdf)
    res = client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                      files=[("files", ("../../../etc/archive.zip", buf.getvalue(), "application/zip"))])
    assert res.status_code == 202, res.text
    rows = {r["filename"]: r for r in res.json()["documents"]}
    assert all(name.startswith("archive.zip/") for name in rows)
    failed = {n for n, r in rows.items() if r["status"] == "failed"}
    assert any("escaped" in n for n in failed) and any("bomb" in n for n in failed)
    view = wait_job(client, res.json()["job_id"], ACME)
    statuses = {r["filename"]: r["status"] for r in view["result"]["documents"]}
    assert statuses == {"archive.zip/inner/ok.pdf": "indexed"}


def test_cancelling_a_queued_job_stops_it(client, api_settings, sample_pdf, monkeypatch):
    import docagent.tasks

    monkeypatch.setattr(docagent.tasks, "send", lambda *a: None)  # nothing picks the job up
    coll = make_collection(client, "cancel")
    job = client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                      files=[("files", ("r.pdf", sample_pdf, "application/pdf"))]).json()["job"]
    assert job["status"] == "queued"
    res = client.delete(f"/v1/jobs/{job['id']}", headers=ACME)
    assert res.status_code == 202 and res.json()["status"] == "cancelled"
    assert client.delete(f"/v1/jobs/{job['id']}", headers=OTHER).status_code == 404


def test_deleting_a_document_removes_it_from_search(client, indexed):
    coll, doc_id, _ = indexed
    assert client.delete(f"/v1/documents/{doc_id}", headers=ACME).status_code == 204
    assert client.get(f"/v1/documents/{doc_id}", headers=ACME).status_code == 404
    hits = client.post(f"/v1/collections/{coll}/search", json={"query": "매출액"}, headers=ACME).json()
    assert hits["results"] == []


def test_rate_limit_answers_429_with_retry_after(api_settings, inline_tasks):
    from fastapi.testclient import TestClient

    from docagent.api.app import create_app

    api_settings.rate_limit_per_minute = 6  # a burst of one
    with TestClient(create_app(api_settings)) as c:
        codes = [c.get("/v1/collections", headers=ACME).status_code for _ in range(3)]
        assert codes[0] == 200 and 429 in codes
        limited = c.get("/v1/collections", headers=ACME)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert c.get("/v1/collections", headers=OTHER).status_code == 200  # per key


def test_readiness_metrics_and_openapi(client):
    assert client.get("/readyz").json() == {"status": "ready"}
    client.get("/v1/collections", headers=ACME)
    metrics = client.get("/metrics").text
    assert 'docagent_http_requests_total{method="GET",route="/v1/collections",status="200"}' in metrics
    schema = client.get("/openapi.json").json()
    for path in ("/v1/collections", "/v1/collections/{collection_id}/documents", "/v1/jobs/{job_id}",
                 "/v1/collections/{collection_id}/query", "/v1/collections/{collection_id}/search",
                 "/v1/collections/{collection_id}/batches", "/v1/crops/{crop_id}/image"):
        assert path in schema["paths"], path

"""Jobs: callbacks called when a job ends, and a running ingest cancelled between pages."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.docagent.api.conftest import ACME, make_collection, wait_job


@pytest.fixture()
def receiver():
    got: list[tuple[dict, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((json.loads(body), dict(self.headers)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", got
    server.shutdown()


def test_callbacks_get_the_final_job_of_an_upload_and_of_a_query(client, sample_pdf, receiver):
    url, got = receiver
    coll = make_collection(client, "hooks")
    hooks = json.dumps([{"url": url, "headers": {"X-Token": "s3cret"}}])
    res = client.post(f"/v1/collections/{coll}/documents", headers=ACME, data={"callbacks": hooks},
                      files=[("files", ("r.pdf", sample_pdf, "application/pdf"))]).json()
    wait_job(client, res["job_id"], ACME)
    query = client.post(f"/v1/collections/{coll}/query", headers=ACME,
                        json={"question": "2023년 회사의 매출액은 얼마인가?", "async": True,
                              "callbacks": [{"url": url}]}).json()
    wait_job(client, query["job_id"], ACME)
    deadline = time.monotonic() + 10
    while len(got) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    (upload, headers), (answered, _) = got
    assert upload["job"]["id"] == res["job_id"] and upload["job"]["status"] == "succeeded"
    assert headers["X-Token"] == "s3cret"
    assert answered["job"]["kind"] == "query"
    assert "3,450" in answered["job"]["result"]["answer"]["answer"]


def test_a_running_ingest_is_cancelled_between_pages_and_keeps_nothing_half(client, api_settings):
    from vlm.synth.pdf import rasterise, text_pdf

    scan = rasterise(text_pdf("스캔", [f"{i}번째 문단: 매출액은 3,450억 원이다. " * 8 for i in range(30)]).pdf, dpi=150)
    coll = make_collection(client, "cancel-running")
    res = client.post(f"/v1/collections/{coll}/documents", headers=ACME,
                      files=[("files", ("scan.pdf", scan, "application/pdf"))]).json()
    deadline = time.monotonic() + 120
    while client.get(f"/v1/jobs/{res['job_id']}", headers=ACME).json()["progress"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.delete(f"/v1/jobs/{res['job_id']}", headers=ACME).status_code == 202
    view = wait_job(client, res["job_id"], ACME)
    assert view["status"] == "cancelled"
    doc = client.get(f"/v1/documents/{res['documents'][0]['id']}", headers=ACME).json()
    assert doc["status"] == "queued" and doc["pages"] == [] and doc["crops"] == 0
    hits = client.post(f"/v1/collections/{coll}/search", json={"query": "매출액"}, headers=ACME).json()
    assert hits["results"] == []

"""The embedded default end to end over real HTTP: ``docagent serve`` as a subprocess with
SQLite, the local store and the server-less broker, its workers as real Celery processes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.docagent.api.service import Api, create_key, ingest_worker_pid, service_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "2023년 회사의 매출액은 얼마인가?"


@pytest.fixture(scope="module")
def scanned_pdf() -> bytes:
    """Seven scanned pages (OCR makes each take a while: time to kill a worker mid-job)."""
    from vlm.synth.pdf import rasterise, text_pdf

    paragraphs = [f"{i}번째 문단: 2023년 회사의 매출액은 3,450억 원으로 전년 대비 12.5% 증가하였다. " * 6
                  for i in range(36)]
    return rasterise(text_pdf("스캔 보고서", paragraphs).pdf, dpi=150)


@pytest.fixture()
def service(tmp_path):
    home = tmp_path / "home"
    env = service_env(home)
    key = create_key(env, "acme")
    other = create_key(env, "other")
    api = Api(env, home, worker=True)
    try:
        api.wait_ready()
        yield api, {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {other}"}, home
    finally:
        api.close()


def test_upload_job_query_over_http_cites_the_right_page_and_box(service, sample_pdf):
    api, acme, other, _ = service
    coll = api.http.post("/v1/collections", json={"name": "fin"}, headers=acme).json()["id"]
    res = api.http.post(f"/v1/collections/{coll}/documents", headers=acme,
                        files=[("files", ("report.pdf", sample_pdf, "application/pdf"))])
    assert res.status_code == 202, res.text
    view = api.wait_job(res.json()["job_id"], acme)
    assert view["status"] == "succeeded", view
    answer = api.http.post(f"/v1/collections/{coll}/query", json={"question": QUESTION}, headers=acme)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["answerable"] and "3,450" in body["answer"]
    cite = body["citations"][0]
    assert cite["filename"] == "report.pdf" and cite["page"] == 1
    x0, y0, x1, y1 = cite["bbox"]
    assert 0 <= x0 < x1 <= cite["page_size"][0] and 0 <= y0 < y1 <= cite["page_size"][1]
    hits = api.http.post(f"/v1/collections/{coll}/search", json={"query": "매출액"}, headers=acme).json()
    top = hits["results"][0]
    tx0, ty0, tx1, ty1 = top["bbox"]  # the cited box lies in a crop the search finds
    assert tx0 - 1 <= x0 and x1 <= tx1 + 1 and ty0 - 1 <= y0 and y1 <= ty1 + 1
    assert api.http.get(f"/v1/collections/{coll}", headers=other).status_code == 404


def test_a_worker_killed_mid_ingest_loses_no_job_and_duplicates_nothing(service, scanned_pdf, sample_pdf):
    api, acme, _, home = service
    coll = api.http.post("/v1/collections", json={"name": "scans"}, headers=acme).json()["id"]
    res = api.http.post(f"/v1/collections/{coll}/documents", headers=acme, files=[
        ("files", ("scan.pdf", scanned_pdf, "application/pdf")),
        ("files", ("report.pdf", sample_pdf, "application/pdf"))]).json()
    api.wait_job(res["job_id"], acme, timeout=180, until=lambda v: v["status"] == "running" and v["progress"] > 0)
    pid = ingest_worker_pid(api.proc.proc.pid)
    os.killpg(os.getpgid(pid), signal.SIGKILL)  # the worker and its page processes
    killed_at = time.monotonic()
    view = api.wait_job(res["job_id"], acme, timeout=300)
    assert view["status"] == "succeeded", view
    assert time.monotonic() - killed_at > 2  # it really was taken over, not already done
    docs = {d["filename"]: d for d in view["result"]["documents"]}
    assert docs["scan.pdf"]["status"] == docs["report.pdf"]["status"] == "indexed"
    import pymupdf

    with pymupdf.open(stream=scanned_pdf, filetype="pdf") as pdf:
        assert docs["scan.pdf"]["pages"] == pdf.page_count >= 5
    assert api.http.get(f"/v1/collections/{coll}", headers=acme).json()["documents"] == 2
    _assert_index_equals_database(home, coll)
    hits = api.http.post(f"/v1/collections/{coll}/search", json={"query": "매출액 3,450억 원", "k": 50},
                         headers=acme).json()["results"]
    scan_pages = {h["page"] for h in hits if h["filename"] == "scan.pdf"}
    assert len(scan_pages) >= 4  # pages of the scan are searchable after the take-over


def _assert_index_equals_database(home, coll_id: str) -> None:
    from sqlalchemy import select

    from docagent.db.models import Collection, Crop, Passage
    from docagent.db.session import session_scope
    from docagent.indexes import db_unit_ids
    from indexing.search import CollectionIndex, Fingerprint

    url = f"sqlite:///{home / 'docagent.db'}"
    with session_scope(url) as s:
        coll = s.get_one(Collection, coll_id)
        ids = db_unit_ids(s, coll_id)
        crop_orders = s.execute(select(Crop.page_id, Crop.order).where(Crop.collection_id == coll_id)).all()
        passages = s.scalars(select(Passage.crop_id).where(Passage.collection_id == coll_id,
                                                           Passage.level == "crop")).all()
    assert len(crop_orders) == len(set(crop_orders))  # no crop written twice
    assert len(passages) == len(set(passages))
    index = CollectionIndex.open(home / "indexes" / coll_id, coll.embedder, coll.embedding_dim)
    assert index.fingerprint() == Fingerprint.of_ids(ids)

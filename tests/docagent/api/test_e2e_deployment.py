"""The deployment path end to end: Redis as broker, PostgreSQL as database, real Celery
worker processes (``docagent worker``) and the API (``docagent serve --no-worker``) over HTTP;
then the crashes: a worker SIGKILLed mid-ingest, the API SIGKILLed mid-upload, a slow client."""

from __future__ import annotations

import random
import socket
import time

import httpx
import pytest

from tests.docagent.api.service import Api, Proc, create_key, service_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REDIS = "redis://127.0.0.1:6379"
QUESTION = "2023년 회사의 매출액은 얼마인가?"


@pytest.fixture()
def redis_url():
    redis = pytest.importorskip("redis")
    db = random.randint(4, 15)
    client = redis.Redis.from_url(f"{REDIS}/{db}")
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    yield f"{REDIS}/{db}"
    client.flushdb()


@pytest.fixture()
def deployment(tmp_path, pg_url, redis_url):
    home = tmp_path / "home"
    home.mkdir()
    env = service_env(home, DOCAGENT_DATABASE_URL=pg_url, DOCAGENT_BROKER_URL=redis_url)
    key = create_key(env, "acme")
    procs: dict[str, Proc] = {}

    def start_worker(queues: str) -> Proc:
        procs[queues] = Proc(["worker", "--queues", queues], env, home / f"worker-{queues}.log")
        return procs[queues]

    start_worker("ingest")
    start_worker("vlm")
    api = Api(env, home, worker=False)
    try:
        api.wait_ready()
        yield api, {"Authorization": f"Bearer {key}"}, start_worker, procs, env, home
    finally:
        api.close()
        for p in procs.values():
            p.stop()


def test_redis_postgres_celery_upload_to_cited_answer(deployment, sample_pdf, pg_url):
    api, acme, *_ = deployment
    coll = api.http.post("/v1/collections", json={"name": "fin"}, headers=acme).json()["id"]
    res = api.http.post(f"/v1/collections/{coll}/documents", headers=acme,
                        files=[("files", ("report.pdf", sample_pdf, "application/pdf"))]).json()
    view = api.wait_job(res["job_id"], acme)
    assert view["status"] == "succeeded", view
    body = api.http.post(f"/v1/collections/{coll}/query", json={"question": QUESTION}, headers=acme).json()
    assert body["answerable"] and "3,450" in body["answer"], body
    assert body["citations"][0]["page"] == 1 and body["citations"][0]["filename"] == "report.pdf"
    from sqlalchemy import create_engine, text

    with create_engine(pg_url).connect() as conn:  # the job state is PostgreSQL's
        status = conn.execute(text("SELECT status FROM jobs WHERE id = :id"), {"id": res["job_id"]}).scalar()
    assert status == "succeeded"


def test_worker_sigkilled_mid_ingest_then_restarted_completes_the_job(deployment, sample_pdf):
    from vlm.synth.pdf import rasterise, text_pdf

    api, acme, start_worker, procs, *_ = deployment
    scan = rasterise(text_pdf("스캔", [f"{i}번째 문단: 매출액은 3,450억 원이다. " * 8 for i in range(30)]).pdf, dpi=150)
    coll = api.http.post("/v1/collections", json={"name": "scans"}, headers=acme).json()["id"]
    res = api.http.post(f"/v1/collections/{coll}/documents", headers=acme,
                        files=[("files", ("scan.pdf", scan, "application/pdf"))]).json()
    api.wait_job(res["job_id"], acme, timeout=180, until=lambda v: v["status"] == "running" and v["progress"] > 0)
    procs["ingest"].kill()  # SIGKILL, the whole process group
    time.sleep(1)
    start_worker("ingest")
    view = api.wait_job(res["job_id"], acme, timeout=300)
    assert view["status"] == "succeeded", view
    assert [d["status"] for d in view["result"]["documents"]] == ["indexed"]
    assert api.http.get(f"/v1/collections/{coll}", headers=acme).json()["documents"] == 1


def test_api_killed_mid_upload_leaves_no_half_document(deployment, sample_pdf):
    api, acme, _, _, env, home = deployment
    coll = api.http.post("/v1/collections", json={"name": "cut"}, headers=acme).json()["id"]
    body_head = (b"--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.pdf\"\r\n"
                 b"Content-Type: application/pdf\r\n\r\n") + sample_pdf
    with socket.create_connection(("127.0.0.1", api.port)) as sock:
        sock.sendall(f"POST /v1/collections/{coll}/documents HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: {acme['Authorization']}\r\n"
                     f"Content-Type: multipart/form-data; boundary=B\r\n"
                     f"Content-Length: {len(body_head) + 10_000_000}\r\n\r\n".encode() + body_head)
        time.sleep(0.5)
        api.proc.kill()  # mid-body: the upload never completes
    api2 = Api(env, home, worker=False)
    try:
        api2.wait_ready()
        assert api2.http.get(f"/v1/collections/{coll}", headers=acme).json()["documents"] == 0
        res = api2.http.post(f"/v1/collections/{coll}/documents", headers=acme,
                             files=[("files", ("big.pdf", sample_pdf, "application/pdf"))])
        assert res.status_code == 202
        assert api2.wait_job(res.json()["job_id"], acme)["status"] == "succeeded"
    finally:
        api2.close()


def test_a_slow_client_does_not_hold_up_others(deployment):
    api, acme, *_ = deployment
    slow = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(b"POST /v1/collections HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        start = time.monotonic()
        for _ in range(5):
            assert httpx.get(f"{api.base}/v1/collections", headers=acme, timeout=10).status_code == 200
        assert time.monotonic() - start < 10
    finally:
        for s in slow:
            s.close()
    assert api.http.get("/healthz").status_code == 200

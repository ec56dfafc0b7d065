"""An API over a temporary home, with tasks run in this process as a worker would run them
(``inline_tasks``), so routes can be tested without a broker; the real worker, broker and
HTTP are exercised by tests/integration."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from docagent.settings import Settings

KEYS = "acme:key-acme,other:key-other"
ACME = {"Authorization": "Bearer key-acme"}
OTHER = {"Authorization": "Bearer key-other"}


@pytest.fixture()
def api_settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", api_keys=KEYS, ingest_workers=1, rate_limit_per_minute=0)


def run_task(settings: Settings, name: str, job_id: str) -> str:
    """What ``workers.tasks`` does for task ``name``, here and now."""
    from docagent.batch import run_batch_job
    from docagent.ingest import Ingestor
    from docagent.jobs import execute
    from docagent.queries import run_query_job

    work = {
        "docagent.ingest": lambda: Ingestor(settings).run_job(job_id) and None,  # it ends the job
        "docagent.batch": lambda: run_batch_job(Ingestor(settings), job_id),
        "docagent.query": lambda: run_query_job(settings, job_id),
    }[name]
    from docagent.callbacks import on_job_end

    return execute(settings.database_url, job_id, settings.job_lease_s, work, on_end=on_job_end)


@pytest.fixture()
def inline_tasks(monkeypatch, api_settings):
    """Tasks sent by the API run in a thread of this process; ``sent`` lists them."""
    import docagent.tasks

    sent: list[tuple[str, str]] = []
    threads: list[threading.Thread] = []

    def send(settings, name, job_id):  # type: ignore[no-untyped-def]
        sent.append((name, job_id))
        t = threading.Thread(target=run_task, args=(settings, name, job_id), daemon=True)
        t.start()
        threads.append(t)

    monkeypatch.setattr(docagent.tasks, "send", send)
    yield sent
    for t in threads:
        t.join(60)


@pytest.fixture()
def client(api_settings, inline_tasks):
    from docagent.api.app import create_app

    with TestClient(create_app(api_settings)) as c:
        yield c


def wait_job(client: TestClient, job_id: str, headers: dict, timeout: float = 120.0) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if view["status"] in ("succeeded", "failed", "cancelled"):
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {view}")


def make_collection(client: TestClient, name: str, headers: dict = ACME) -> str:
    res = client.post("/v1/collections", json={"name": name}, headers=headers)
    assert res.status_code == 201, res.text
    return res.json()["id"]

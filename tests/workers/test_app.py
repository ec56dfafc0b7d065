"""The worker app: shared configuration, recycling past the memory limit, the sweeper."""

from __future__ import annotations

import signal

from docagent.db.migrate import upgrade
from docagent.db.models import Job, JobStatus
from docagent.db.session import session_scope


def test_the_worker_app_shares_the_clients_routes_and_acks_late():
    import workers.tasks  # noqa: F401 - registers the tasks
    from docagent.tasks import ROUTES
    from workers.app import app

    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    for name, queue in ROUTES.items():
        assert name in app.tasks and app.conf.task_routes[name] == {"queue": queue}


def test_a_worker_over_its_memory_limit_stops_itself_after_the_task(monkeypatch):
    import workers.app as wa

    killed = []
    monkeypatch.setattr(wa.os, "kill", lambda pid, sig: killed.append(sig))
    monkeypatch.setattr(wa.settings, "worker_max_memory_mb", 10**6)
    wa._recycle_when_large()
    assert killed == []
    monkeypatch.setattr(wa.settings, "worker_max_memory_mb", 1)
    assert wa.rss_mb() > 1
    wa._recycle_when_large()
    assert killed == [signal.SIGTERM]


def test_the_sweeper_requeues_lapsed_jobs_and_sends_them_again(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    import workers.app as wa

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    monkeypatch.setattr(wa.settings, "database_url", url)
    monkeypatch.setattr(wa.settings, "job_lease_s", 5.0)
    sent = []
    monkeypatch.setattr(wa.app, "send_task", lambda name, args, queue: sent.append((name, args[0], queue)))
    old = datetime.now(UTC) - timedelta(seconds=60)
    with session_scope(url) as s:
        from docagent.catalog import get_or_create_tenant

        t = get_or_create_tenant(s, "acme")
        s.add_all([Job(id="lapsed", tenant_id=t.id, kind="ingest", status=JobStatus.RUNNING),
                   Job(id="fresh", tenant_id=t.id, kind="query", status=JobStatus.RUNNING),
                   Job(id="done", tenant_id=t.id, kind="ingest", status=JobStatus.SUCCEEDED)])
    with session_scope(url) as s:  # updated_at is set on every write: age the lapsed one by hand
        s.get_one(Job, "lapsed").updated_at = old
        s.get_one(Job, "done").updated_at = old
    assert wa.sweep_once() == 1
    assert sent == [("docagent.ingest", "lapsed", "ingest")]
    with session_scope(url) as s:
        assert s.get_one(Job, "lapsed").status == JobStatus.QUEUED
        assert s.get_one(Job, "fresh").status == JobStatus.RUNNING
    assert wa.sweep_once() == 0  # requeued now: not lapsed again until its lease passes


def test_a_job_is_claimed_once(tmp_path):
    from docagent.jobs import claim

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    with session_scope(url) as s:
        from docagent.catalog import get_or_create_tenant

        s.add(Job(id="j", tenant_id=get_or_create_tenant(s, "acme").id, kind="ingest"))
    assert claim(url, "j", 60) is True
    assert claim(url, "j", 60) is False  # a second delivery while the first runs


def test_a_transient_database_error_requeues_the_job_for_a_retry(tmp_path):
    import pytest
    from sqlalchemy.exc import OperationalError

    from docagent.jobs import Transient, execute

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    with session_scope(url) as s:
        from docagent.catalog import get_or_create_tenant

        s.add(Job(id="j", tenant_id=get_or_create_tenant(s, "acme").id, kind="ingest"))

    def flaky():  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with pytest.raises(Transient):
        execute(url, "j", 60, flaky)
    with session_scope(url) as s:
        assert s.get_one(Job, "j").status == JobStatus.QUEUED  # the retry can claim it again
    assert execute(url, "j", 60, lambda: {"ok": True}) == "succeeded"
    with session_scope(url) as s:
        job = s.get_one(Job, "j")
        assert job.result == {"ok": True} and job.attempts == 2


def test_any_other_error_fails_the_job_with_its_reason(tmp_path):
    from docagent.errors import BadRequestError
    from docagent.jobs import execute

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    with session_scope(url) as s:
        from docagent.catalog import get_or_create_tenant

        s.add(Job(id="j", tenant_id=get_or_create_tenant(s, "acme").id, kind="query"))
    ended = []

    def bad():  # type: ignore[no-untyped-def]
        raise BadRequestError("the question is empty")

    assert execute(url, "j", 60, bad, on_end=lambda view, cb: ended.append(view)) == "failed"
    assert ended[0]["error"] == {"code": "bad_request", "message": "the question is empty"}

"""POST /collections/{id}/batches: a zip archive as a batch job with a report."""

from __future__ import annotations

from tests.docagent.api.conftest import ACME, make_collection, wait_job


def test_batch_route_takes_a_zip_and_reports(client, sample_pdf):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a/report.pdf", sample_pdf)
        zf.writestr("a/notes.pdf", b"not a document" * 20)
    coll = make_collection(client, "batch")
    res = client.post(f"/v1/collections/{coll}/batches", headers=ACME,
                      files=[("file", ("archive.zip", buf.getvalue(), "application/zip"))])
    assert res.status_code == 202, res.text
    view = wait_job(client, res.json()["job_id"], ACME)
    assert view["status"] == "succeeded" and view["kind"] == "batch"
    assert view["result"]["indexed"] == 1
    assert [f["filename"] for f in view["result"]["failed"]] == ["archive.zip/a/notes.pdf"]
    not_zip = client.post(f"/v1/collections/{coll}/batches", headers=ACME,
                          files=[("file", ("x.pdf", sample_pdf, "application/pdf"))])
    assert not_zip.status_code == 415


def test_a_batch_job_is_never_seen_succeeded_without_its_report(client, sample_pdf, monkeypatch):
    """The report is written in the transaction that marks the job succeeded: a client
    polling between the two would otherwise see a finished batch with no counts."""
    import io
    import zipfile

    import docagent.ingest as ingest_module
    from docagent.db.models import JobStatus

    seen: list[dict] = []
    real_finish = ingest_module.finish

    def spy(session, job, status, **kw):  # type: ignore[no-untyped-def]
        if status == JobStatus.SUCCEEDED:
            seen.append(dict(kw.get("result") or {}))
        return real_finish(session, job, status, **kw)

    monkeypatch.setattr(ingest_module, "finish", spy)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("report.pdf", sample_pdf)
    coll = make_collection(client, "batch-report")
    res = client.post(f"/v1/collections/{coll}/batches", headers=ACME,
                      files=[("file", ("archive.zip", buf.getvalue(), "application/zip"))])
    view = wait_job(client, res.json()["job_id"], ACME)
    assert view["result"]["indexed"] == 1
    assert seen and seen[0]["indexed"] == 1 and seen[0]["failed"] == []

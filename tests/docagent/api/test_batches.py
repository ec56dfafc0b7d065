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

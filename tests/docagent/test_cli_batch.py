"""``docagent batch``: a folder of scans, interrupted with Ctrl-C, then run again: the re-run
skips what was indexed, finishes the rest, retries the failures and reports them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
DOCAGENT = [sys.executable, "-m", "docagent.cli.main"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from vlm.synth.pdf import rasterise, text_pdf

    root = tmp_path_factory.mktemp("archive") / "scans"
    (root / "sub").mkdir(parents=True)
    for i in range(4):
        pdf = text_pdf(f"보고서 {i}", [f"{i}번 문서의 매출액은 {i + 1},000억 원이다. " * 5] * 6).pdf
        (root / ("sub" if i % 2 else "") / f"doc{i}.pdf").write_bytes(rasterise(pdf, dpi=120))
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    return root


def _env(home) -> dict:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCAGENT_")}
    return {**env, "DOCAGENT_HOME": str(home), "DOCAGENT_INGEST_WORKERS": "1"}


def test_interrupted_batch_resumes_and_reports_failures(tmp_path, archive):
    env = _env(tmp_path / "home")
    # a background shell starts children with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler: give the child the default, as a terminal would
    proc = subprocess.Popen([*DOCAGENT, "batch", str(archive), "-c", "scans"], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    read = 0
    for line in proc.stderr:  # the second document read means the first is written: Ctrl-C
        read += "pages read" in line
        if read == 2:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "run the same command again" in err

    out = subprocess.run([*DOCAGENT, "batch", str(archive), "-c", "scans", "--json"], env=env,
                         capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout)
    status = {d["filename"]: d["status"] for d in report["documents"]}
    assert status == {"scans/broken.pdf": "failed", "scans/doc0.pdf": "indexed", "scans/sub/doc1.pdf": "indexed",
                      "scans/doc2.pdf": "indexed", "scans/sub/doc3.pdf": "indexed"}
    assert report["skipped"] >= 1  # what the first run finished is not read again
    assert [f["filename"] for f in report["failed"]] == ["scans/broken.pdf"]
    assert report["failed"][0]["error"]

    again = json.loads(subprocess.run([*DOCAGENT, "batch", str(archive), "-c", "scans", "--json"], env=env,
                                      capture_output=True, text=True, timeout=300).stdout)
    assert again["skipped"] == 4 and again["pages"] == 0  # nothing left but the retried failure
    from docagent.db.models import Document
    from docagent.db.session import session_scope

    with session_scope(f"sqlite:///{tmp_path / 'home' / 'docagent.db'}") as s:
        assert s.query(Document).count() == 5  # no document registered twice

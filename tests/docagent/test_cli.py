"""The CLI contract: ``ingest`` and ``search`` JSON shapes, exit codes, start-up and logging."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from typer.testing import CliRunner

from docagent.cli.main import app

runner = CliRunner()


def test_ingest_and_search_json(settings, tmp_path, sample_pdf, bad_inputs):
    (tmp_path / "report.pdf").write_bytes(sample_pdf)
    (tmp_path / "empty.pdf").write_bytes(b"")
    res = runner.invoke(app, ["ingest", str(tmp_path / "report.pdf"), str(tmp_path / "empty.pdf"),
                              "--collection", "demo", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["collection"] == "demo"
    rows = {r["filename"]: r for r in out["documents"]}
    assert set(rows["report.pdf"]) == {"id", "filename", "pages", "crops", "status", "error"}
    assert rows["report.pdf"]["status"] == "indexed" and rows["report.pdf"]["pages"] == 1
    assert rows["empty.pdf"]["status"] == "failed" and rows["empty.pdf"]["error"]

    res = runner.invoke(app, ["search", "--collection", "demo", "광합성은 무엇인가", "--k", "2", "--json"])
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)["results"]
    assert 1 <= len(results) <= 2
    contract = {"document_id", "filename", "page", "bbox", "kind", "text", "score"}
    added = {"page_size", "crop_id", "title", "headings", "caption", "row", "column"}
    assert set(results[0]) == contract | added
    assert "광합성" in results[0]["text"] and results[0]["page"] == 1 and len(results[0]["bbox"]) == 4
    assert results[0]["title"] and isinstance(results[0]["headings"], list)


def test_reindex_rebuilds_a_collection_from_its_crops(settings, tmp_path, sample_pdf):
    (tmp_path / "report.pdf").write_bytes(sample_pdf)
    assert runner.invoke(app, ["ingest", str(tmp_path / "report.pdf"), "--collection", "demo"]).exit_code == 0
    query = ["search", "--collection", "demo", "광합성은 무엇인가", "--json"]
    before = json.loads(runner.invoke(app, query).stdout)["results"]
    res = runner.invoke(app, ["reindex", "--collection", "demo"])
    assert res.exit_code == 0 and "reindexed 1 documents" in res.stdout, res.output
    assert [r["text"] for r in json.loads(runner.invoke(app, query).stdout)["results"]] == \
        [r["text"] for r in before]
    missing = runner.invoke(app, ["reindex", "--collection", "nope"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_ingest_exits_non_zero_only_when_nothing_ingested(settings, tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    res = runner.invoke(app, ["ingest", str(tmp_path / "empty.pdf"), str(tmp_path / "missing.pdf"),
                              "--collection", "demo", "--json"])
    assert res.exit_code == 1
    rows = json.loads(res.stdout)["documents"]
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert "no such file" in rows[1]["error"]


def test_search_unknown_collection_is_a_clear_error(settings):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    res = runner.invoke(app, ["search", "--collection", "nope", "질문"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_search_empty_query_is_rejected(settings, tmp_path, sample_pdf):
    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    runner.invoke(app, ["ingest", str(tmp_path / "a.pdf"), "--collection", "demo"])
    res = runner.invoke(app, ["search", "--collection", "demo", "   "])
    assert res.exit_code == 2 and "empty" in res.output


# Loaded only by the commands that use them (ingest, an in-process search, vlm ...).
HEAVY = ("torch", "transformers", "sentence_transformers", "pymupdf", "alembic", "faiss",
         "sqlalchemy", "numpy", "kiwipiepy", "bm25s", "rich")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[-1].split() if out.stdout.strip() else []


def test_cli_and_warm_client_imports_are_light():
    assert _loaded_after("import docagent.cli.main, docagent.warm.client") == []


def test_extractive_answering_loads_no_pdf_or_model_libraries():
    # The warm process imports this on its first question: PyMuPDF (with its layout model),
    # torch and transformers would only add to that wait.
    assert not {"pymupdf", "torch", "transformers"} & set(_loaded_after("import docagent.ask"))


def test_help_loads_nothing_heavy():
    code = ("import sys; sys.argv = ['docagent', '--help']\nfrom docagent.cli.main import app\n"
            "try: app()\nexcept SystemExit: pass")
    assert _loaded_after(code) in ([], ["rich"])  # typer formats help with rich when it can


def test_default_tenant_is_the_catalogs():
    from docagent.catalog import DEFAULT_TENANT
    from docagent.cli.common import DEFAULT_TENANT as CLI_DEFAULT

    assert CLI_DEFAULT == DEFAULT_TENANT


def _search_stderr(home, *flags: str) -> str:
    shutil.rmtree(home / "indexes")  # the index is rebuilt from the database: bm25s logs DEBUG
    cmd = [sys.executable, "-m", "docagent.cli.main", *flags, "search", "-c", "demo", "매출액", "--json"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["results"]
    return res.stderr


def test_library_debug_logs_only_with_verbose(settings, tmp_path, sample_pdf):
    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    assert runner.invoke(app, ["ingest", str(tmp_path / "a.pdf"), "--collection", "demo"]).exit_code == 0
    quiet = _search_stderr(settings.home).splitlines()
    assert not [line for line in quiet if line.startswith(("DEBUG", "INFO"))], quiet
    verbose = _search_stderr(settings.home, "-v")
    assert "DEBUG bm25s:" in verbose

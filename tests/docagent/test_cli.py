"""The CLI contract: ``ingest`` and ``search`` JSON shapes and exit codes."""

from __future__ import annotations

import json

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
    assert set(results[0]) == {"document_id", "filename", "page", "bbox", "kind", "text", "score"}
    assert "광합성" in results[0]["text"] and results[0]["page"] == 1 and len(results[0]["bbox"]) == 4


def test_ingest_exits_non_zero_only_when_nothing_ingested(settings, tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    res = runner.invoke(app, ["ingest", str(tmp_path / "empty.pdf"), str(tmp_path / "missing.pdf"),
                              "--collection", "demo", "--json"])
    assert res.exit_code == 1
    rows = json.loads(res.stdout)["documents"]
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert "no such file" in rows[1]["error"]


def test_search_unknown_collection_is_a_clear_error(settings):
    res = runner.invoke(app, ["search", "--collection", "nope", "질문"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_search_empty_query_is_rejected(settings, tmp_path, sample_pdf):
    (tmp_path / "a.pdf").write_bytes(sample_pdf)
    runner.invoke(app, ["ingest", str(tmp_path / "a.pdf"), "--collection", "demo"])
    res = runner.invoke(app, ["search", "--collection", "demo", "   "])
    assert res.exit_code == 2 and "empty" in res.output

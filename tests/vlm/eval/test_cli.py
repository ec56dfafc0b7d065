"""``docagent eval`` as a command: a table or JSON, clear errors for a missing file or bad record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from docagent.cli.eval import eval_command
from vlm.synth.records import EvalItem, write_jsonl

app = typer.Typer()
app.command()(eval_command)
runner = CliRunner()


@pytest.fixture
def items_file(tmp_path: Path) -> Path:
    # no images: the extractive backend has nothing to read and declines; fast and offline
    path = tmp_path / "eval.jsonl"
    write_jsonl(path, [
        EvalItem("m1", "mcq", "수도는?", None, "document", choices=["부산", "서울", "대구", "인천"],
                 answer="B"),
        EvalItem("q1", "qa", "수도는?", None, "table", answers=["서울"]),
        EvalItem("q2", "qa", "수도는?", None, "table", answers=["서울"]),
    ])
    return path


def test_json_report(settings, items_file: Path) -> None:
    res = runner.invoke(app, [str(items_file), "--json", "--circular", "--limit", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n"] == 2 and out["backend"] == "extractive" and out["circular"] is True
    assert {r["task"] for r in out["tasks"]} == {"mcq", "qa"}
    assert {f["id"] for f in out["failures"]} == {"m1", "q1"}  # nothing to read: both wrong


def test_table_report(settings, items_file: Path) -> None:
    res = runner.invoke(app, [str(items_file)])
    assert res.exit_code == 0, res.output
    assert "exact_match 0.000" in res.stdout and "3 of 3 items not fully right" in res.stdout


def test_missing_file_and_bad_record_fail_cleanly(settings, tmp_path: Path) -> None:
    res = runner.invoke(app, [str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 2 and "no such file" in res.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "mcq", "question": "q", "choices": [], "answer": "A"}\n', encoding="utf-8")
    res = runner.invoke(app, [str(bad)])
    assert res.exit_code == 2 and f"{bad}:1" in res.output and "four choices" in res.output
    assert "Traceback" not in res.output


def test_unknown_backend_fails_cleanly(settings, items_file: Path) -> None:
    res = runner.invoke(app, [str(items_file), "--backend", "nope"])
    assert res.exit_code == 2 and "unknown VLM backend" in res.output


def test_transformers_backend_from_a_checkpoint_directory(settings, tiny_checkpoint: Path,
                                                          tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (200, 100), "white").save(tmp_path / "blank.png")
    path = tmp_path / "one.jsonl"
    write_jsonl(path, [EvalItem("g", "grounding", "찾아라", "blank.png", "document",
                                bbox=[0.1, 0.1, 0.5, 0.5])])
    res = runner.invoke(app, [str(path), "--backend", "transformers", "--model",
                              str(tiny_checkpoint), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["backend"] == "transformers" and out["tasks"][0]["metrics"]["acc@0.5"] == 0.0

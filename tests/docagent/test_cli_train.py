"""``docagent train``: validation, clear errors, a short stage end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from docagent.cli.main import app
from tests.vlm.train.fixtures import write_small_set

runner = CliRunner()
TINY = Path(__file__).resolve().parents[2] / "vlm" / "recipes" / "tiny"


def test_check_validates_without_training(settings) -> None:
    res = runner.invoke(app, ["train", "--recipe", str(TINY / "2_sft.yaml"), "train.max_steps=5", "--check"])
    assert res.exit_code == 0, res.output
    assert "valid (tiny 2_sft, from 1_align" in res.output
    assert not (settings.home / "checkpoints").exists()


def test_a_bad_override_names_the_field(settings) -> None:
    res = runner.invoke(app, ["train", "--recipe", str(TINY / "2_sft.yaml"), "train.batch_size=0"])
    assert res.exit_code == 2
    assert "train.batch_size: must be >= 1, got 0" in res.output
    assert "Traceback" not in res.output


def test_a_missing_source_stage_says_what_to_run(settings) -> None:
    res = runner.invoke(app, ["train", "--recipe", str(TINY / "3_sft_hr.yaml")])
    assert res.exit_code == 2
    assert "stage '2_sft' of 'tiny' has no checkpoint" in res.output and "train it first" in res.output


def test_a_short_stage_through_the_cli(settings) -> None:
    write_small_set(settings.home / "synth" / "tiny")
    res = runner.invoke(app, ["train", "--recipe", str(TINY / "1_align.yaml"), "train.max_steps=2", "--json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout.strip().splitlines()[-1])
    assert rec["stage"] == "1_align" and rec["steps"] == 2
    assert (settings.home / "checkpoints" / "tiny" / "1_align" / "docagent_stage.json").is_file()

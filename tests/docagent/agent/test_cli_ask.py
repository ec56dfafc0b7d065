"""``docagent ask``: the answer object with ``--json``, a readable answer on a terminal, and a
fresh process answered through the warm one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from docagent.cli.main import app

runner = CliRunner()


def _env(settings, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"DOCAGENT_HOME": str(settings.home), "DOCAGENT_WARM_IDLE_S": "0", **extra}


def test_ask_json_is_the_answer_object(collection, reports) -> None:
    q = next(q for q in reports[1] if q.kind == "two-step")
    res = runner.invoke(app, ["ask", "--collection", "reports", "--json", q.text], env=_env(collection))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["answerable"] and q.answer in payload["answer"]
    assert {c["page"] for c in payload["citations"]} == set(q.pages)


def test_ask_on_a_terminal_shows_reasoning_and_citations(collection, reports) -> None:
    q = next(q for q in reports[1] if q.kind == "compare")
    res = runner.invoke(app, ["ask", "-c", "reports", q.text], env=_env(collection))
    assert res.exit_code == 0, res.output
    assert "answer:" in res.stdout and "reasoning" in res.stdout and "citations" in res.stdout
    assert q.answer in res.stdout


def test_ask_errors_are_one_line(collection) -> None:
    res = runner.invoke(app, ["ask", "-c", "nope", "무엇인가?"], env=_env(collection))
    assert res.exit_code != 0 and "nope" in res.output
    res = runner.invoke(app, ["ask", "-c", "reports", "--k", "99", "무엇인가?"], env=_env(collection))
    assert res.exit_code != 0 and "k must be" in res.output


def test_a_fresh_process_is_answered_by_the_warm_one(collection, reports) -> None:
    q = next(q for q in reports[1] if q.kind == "table")
    env = {**os.environ, **_env(collection, DOCAGENT_WARM_IDLE_S="3")}
    exe = [os.path.join(os.path.dirname(sys.executable), "docagent")]
    outs = [subprocess.run([*exe, "ask", "-c", "reports", "--json", q.text], env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    for out in outs:
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["answer"] == json.loads(outs[0].stdout)["answer"]

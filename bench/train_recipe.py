"""The tiny recipe end to end, through the CLI: does it move the model?

In a fresh ``DOCAGENT_HOME``: ``docagent synth`` writes the synthetic set, the four
``docagent train --recipe vlm/recipes/tiny/<stage>.yaml`` run in sequence (each from the one
before), then ``docagent eval`` scores, on the set's held-out evaluation items, the tiny model
before training (``checkpoints/tiny/base``), after the four stages (``checkpoints/tiny/4_dpo``)
and the CPU default (``extractive``) as the peer measured in the same run. Every command is a
fresh process, as a user runs it; wall and CPU seconds per command.

What a random 2-layer model can learn in a hundred steps is the formats, not the facts: the
``format`` score (a letter named, a box given, OCR lines with boxes) is the figure to watch,
with the held-out loss per stage.

    python -m bench.train_recipe [--documents 24] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import machine, table, write_json

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("1_align", "2_sft", "3_sft_hr", "4_dpo")


def docagent(args: list[str], home: Path) -> tuple[str, float, float]:
    """Run ``docagent ARGS`` in a fresh process; stdout, wall and CPU seconds."""
    env = {**os.environ, "DOCAGENT_HOME": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "docagent.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"docagent {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, wall, cpu


def _last_json(stdout: str) -> dict[str, Any]:
    return json.loads(stdout.strip().splitlines()[-1])


def run(documents: int, limit: int) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine(), "documents": documents, "commands": []}
    with tempfile.TemporaryDirectory(prefix="docagent-recipe-") as tmp:
        home = Path(tmp)
        data = home / "synth" / "tiny"
        text, wall, cpu = docagent(["synth", "--out", str(data), "--documents", str(documents), "--json"], home)
        out["manifest"] = _last_json(text)
        out["commands"].append({"command": "synth", "wall": wall, "cpu": cpu})
        out["stages"] = {}
        for stage in STAGES:
            text, wall, cpu = docagent(["train", "--recipe", f"vlm/recipes/tiny/{stage}.yaml", "--json"], home)
            rec = _last_json(text)
            out["stages"][stage] = {k: rec[k] for k in ("steps", "samples", "held_out_before",
                                                         "held_out_after", "train_seconds", "per_source")}
            out["commands"].append({"command": f"train {stage}", "wall": wall, "cpu": cpu})
        evals = {"before (tiny base)": ["--backend", "transformers", "--model", str(home / "checkpoints/tiny/base")],
                 "after 4 stages": ["--backend", "transformers", "--model", str(home / "checkpoints/tiny/4_dpo")],
                 "extractive (CPU default)": ["--backend", "extractive"]}
        out["eval"] = {}
        for name, args in evals.items():
            text, wall, cpu = docagent(["eval", str(data / "eval.jsonl"), *args, "--limit", str(limit), "--json"], home)
            out["eval"][name] = _last_json(text)
            out["commands"].append({"command": f"eval {name}", "wall": wall, "cpu": cpu})
    return out


def _metric_rows(out: dict[str, Any]) -> list[list[str]]:
    names = list(out["eval"])
    tasks: dict[tuple[str, str], dict[str, str]] = {}
    for name in names:
        for row in out["eval"][name]["tasks"]:
            for metric, value in row["metrics"].items():
                tasks.setdefault((row["task"], metric), {})[name] = f"{value:.3f}"
                tasks[(row["task"], metric)]["n"] = str(row["n"])
    return [[task, metric, cells.get("n", ""), *(cells.get(n, "-") for n in names)]
            for (task, metric), cells in tasks.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=24, help="as the tiny recipes generate")
    ap.add_argument("--limit", type=int, default=1000, help="at most this many evaluation items")
    args = ap.parse_args()
    out = run(args.documents, args.limit)
    write_json("train_recipe", out)
    print(json.dumps({k: v for k, v in out.items() if k != "eval"}))
    print(table(["stage", "steps", "samples", "held-out loss before", "after", "train s"],
                [[s, r["steps"], r["samples"], f"{r['held_out_before']['loss']:.4f}",
                  f"{r['held_out_after']['loss']:.4f}", f"{r['train_seconds']:.1f}"]
                 for s, r in out["stages"].items()]))
    print()
    print(table(["task", "metric", "n", *out["eval"]], _metric_rows(out)))
    print()
    print(table(["command", "wall s", "CPU s"],
                [[c["command"], f"{c['wall']:.1f}", f"{c['cpu']:.1f}"] for c in out["commands"]]))


if __name__ == "__main__":
    main()

"""What ``bench.ask_accuracy`` wrote, broken down: accuracy per template set, and how the
KorQuAD answers that were not exact went wrong.

Reads the raw output of the last ``bench.ask_accuracy`` run (``bench/out/ask_accuracy.json``,
or ``--file``); measures nothing itself.

- Per set (``development/scan/company_annual`` ...): answerable questions, accuracy over them,
  refused among them.
- KorQuAD: refused, answered wrong, and of the wrong answers those sharing no character with
  the gold span, inside it, containing it (with too much around it), overlapping it, and
  citing the gold page.

    .venv/bin/python -m bench.ask_breakdown [--file PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import OUT, table


def per_set(sets: dict) -> list[list]:
    rows = []
    for name, data in sets.items():
        asked = [r for r in data["rows"] if r["kind"] != "unanswerable"]
        if not asked:
            continue
        right = sum(r["correct"] for r in asked)
        refused = sum(not r["answerable"] for r in asked)
        rows.append([name, len(asked), f"{right / len(asked):.3f}", refused])
    return rows


def korquad_misses(rows: list[dict]) -> dict[str, int]:
    """How the KorQuAD answers that were not exact went wrong (``_norm`` as the scorer's)."""
    from bench.ask_accuracy import _norm

    wrong = [r for r in rows if r["answerable"] and not r["correct"]]
    kinds = {"no character shared": 0, "inside the gold span": 0, "containing it": 0, "overlapping": 0}
    for r in wrong:
        gold, got = _norm(r["gold"]), _norm(r["got"])
        if r["f1"] == 0:
            kinds["no character shared"] += 1
        elif got and got in gold:
            kinds["inside the gold span"] += 1
        elif gold and gold in got:
            kinds["containing it"] += 1
        else:
            kinds["overlapping"] += 1
    return {"questions": len(rows), "refused": sum(not r["answerable"] for r in rows),
            "answered wrong": len(wrong), **kinds,
            "wrong, citing the gold page": sum(bool(r["page"]) for r in wrong)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", type=Path, default=OUT / "ask_accuracy.json")
    args = p.parse_args()
    sets = json.loads(args.file.read_text())["sets"]
    print(table(["set", "answerable", "accuracy", "refused"], per_set(sets)))
    for name, data in sets.items():
        if name.startswith("korquad"):
            print(f"\n{name}")
            print(table(["", "n"], [[k, v] for k, v in korquad_misses(data["rows"]).items()]))


if __name__ == "__main__":
    main()

"""Synthetic training data: records per second, and what building the records costs.

Two fresh processes, one after the other, on the same documents (training and held-out):

- ``render``, the baseline: lay out and render every page, crop and chart (scans degraded),
  and write the images, without building any record;
- ``build``: ``build_training_set`` itself (the same images plus every JSONL file).

Each child times its work after its imports (wall and CPU seconds of its process tree) and
reports its import time apart. Per file, records/s is that file's records over the whole
build's wall time: the files are built together, document by document.

    .venv/bin/python -m bench.synth_rate [--documents 24] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, machine, table, write_json

FRACTIONS = {"scan_fraction": 0.3, "english_fraction": 0.2}


def child(mode: str, documents: int, seed: int, out: Path) -> dict:
    """Run in the child process: the work of ``mode``, timed after the imports."""
    t0 = time.perf_counter()
    from bench.cpu import tree_cpu_seconds
    from vlm.synth.training_set import build_training_set, draw_document, write_images

    imports_s = time.perf_counter() - t0
    cpu0, wall0 = tree_cpu_seconds(), time.perf_counter()
    if mode == "build":
        manifest = build_training_set(out, documents, seed, **FRACTIONS)
        counts, images = manifest["counts"], manifest["images"]
    else:
        (out / "images").mkdir(parents=True, exist_ok=True)
        images, counts = 0, {}
        n_eval = max(2, documents // 4)  # build_training_set's default
        for split, n in (("train", documents), ("eval", n_eval)):
            for i in range(n):
                doc, _ = draw_document(split, seed, i, **FRACTIONS)
                images += len(write_images(doc, out))
    return {"mode": mode, "imports_s": round(imports_s, 3),
            "wall_s": round(time.perf_counter() - wall0, 3),
            "cpu_s": round(tree_cpu_seconds() - cpu0, 3), "images": images, "counts": counts}


def fresh(mode: str, documents: int, seed: int) -> dict:
    """``child`` in a new interpreter; its report and the process's own wall time."""
    with tempfile.TemporaryDirectory(prefix="synth-rate-") as tmp:
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "bench.synth_rate", "--child", mode,
                              "--documents", str(documents), "--seed", str(seed), "--out", tmp],
                             cwd=REPO, capture_output=True, text=True, check=True)
        report = json.loads(run.stdout.strip().splitlines()[-1])
        report["process_wall_s"] = round(time.perf_counter() - t0, 3)
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", choices=("build", "render"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.documents, args.seed, args.out)))
        return
    render = fresh("render", args.documents, args.seed)
    build = fresh("build", args.documents, args.seed)
    total = sum(build["counts"].values())
    out = {"machine": machine(), "documents": args.documents, "seed": args.seed,
           "render": render, "build": build, "records": total,
           "records_per_s": round(total / build["wall_s"], 1),
           "build_over_render_wall": round(build["wall_s"] / render["wall_s"], 2),
           "build_over_render_cpu": round(build["cpu_s"] / render["cpu_s"], 2)}
    write_json("synth_rate", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"synthetic set on {out['machine']}: {args.documents} training documents, seed "
          f"{args.seed}, {build['images']} images")
    rows = [[name, n, round(n / build["wall_s"], 1)] for name, n in build["counts"].items()]
    rows.append(["all records", total, out["records_per_s"]])
    print(table(["file", "records", "records/s"], rows))
    rows = [[r["mode"], r["images"], round(r["images"] / r["wall_s"], 1), r["wall_s"],
             r["cpu_s"], r["imports_s"], r["process_wall_s"]] for r in (render, build)]
    print()
    print(table(["run", "images", "images/s", "wall s", "CPU s", "imports s",
                 "process wall s"], rows))
    print(f"\nbuild/render: {out['build_over_render_wall']}x wall, "
          f"{out['build_over_render_cpu']}x CPU")


if __name__ == "__main__":
    main()

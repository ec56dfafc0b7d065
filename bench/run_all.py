"""Run every benchmark in turn (``make bench``); each writes bench/out/<name>.json.

    .venv/bin/python -m bench.run_all [--quick]
"""

from __future__ import annotations

import subprocess
import sys

BENCHES = {
    "ingest_throughput": [],
    "ocr_accuracy": [],
    "retrieval": [],
    "search_latency": [],
    "cli_latency": [],
    "extractive_accuracy": [],
    "vlm_throughput": [],
    "ask_accuracy": [],
    "service_load": [],
    "service_ingest": [],
    "synth_rate": [],
    "train_throughput": [],
    "train_recipe": [],
}
QUICK = {"retrieval": ["--quick", "--no-scans", "--no-sweep"],
         "search_latency": ["--crops", "10000", "--queries", "100"],
         "cli_latency": ["--queries", "10", "--first", "2"],
         "service_load": ["--pages", "300", "--seconds", "20"],
         "service_ingest": ["--pages", "100", "--peer-pages", "40"]}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = []
    for name, args in BENCHES.items():
        args = QUICK.get(name, args) if quick else args
        print(f"\n== bench.{name} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}", *args]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

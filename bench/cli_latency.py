"""``docagent search`` as a user meets it: a fresh process per call, on a 10,000-crop collection.

The collection is built through the normal write path (``bench.search_latency``). Timed per
call, wall clock and the CLI process's CPU (user + system, from the kernel's accounting of the
reaped child):

- cold: ``DOCAGENT_WARM_IDLE_S=0``, every call imports, builds Kiwi, opens the index and
  searches in its own process (what every call cost before the warm process);
- first: no warm process yet; the call starts one and waits for its answer (killed between
  repetitions);
- warm: the warm process is up and answers; its own CPU per call is read from /proc.

Peers in the same run: the service's in-process ``docagent.search.search`` on the same
collection with warm caches (the floor), and ``docagent --help``.

    .venv/bin/python -m bench.cli_latency [--crops 10000] [--queries 20] [--first 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import fresh_settings, machine, table, write_json
from bench.search_latency import build_collection, crop_texts

COLLECTION = "latency"


def cli() -> list[str]:
    script = Path(sys.executable).with_name("docagent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "docagent.cli.main"]


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the process, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([*cli(), *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"docagent {' '.join(args)} failed ({res.returncode}): {res.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, res.stdout


def summary(walls: list[float], cpus: list[float]) -> dict:
    qs = statistics.quantiles(walls, n=20) if len(walls) > 1 else [walls[0]] * 19
    return {"n": len(walls), "p50_ms": round(statistics.median(walls) * 1000, 1),
            "p95_ms": round(qs[18] * 1000, 1), "cpu_p50_s": round(statistics.median(cpus), 3)}


def search_args(query: str) -> list[str]:
    return ["search", "--collection", COLLECTION, query, "--k", "5", "--json"]


def series(queries: list[str], env: dict[str, str]) -> tuple[dict, list[str]]:
    walls, cpus, outs = [], [], []
    for q in queries:
        wall, cpu, out = run_cli(search_args(q), env)
        walls.append(wall)
        cpus.append(cpu)
        outs.append(out)
    return summary(walls, cpus), outs


def server_pid(settings) -> int | None:  # type: ignore[no-untyped-def]
    from docagent.warm.client import NoServer, request
    from docagent.warm.common import WarmPaths

    try:
        return request(WarmPaths.of(settings), "ping", {})["pid"]
    except (NoServer, OSError, ValueError):
        return None


def stop_server(settings) -> None:  # type: ignore[no-untyped-def]
    pid = server_pid(settings)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.05)


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_calls(settings, queries: list[str], env: dict[str, str]) -> dict:  # type: ignore[no-untyped-def]
    walls, cpus = [], []
    for q in queries:
        stop_server(settings)
        wall, cpu, _ = run_cli(search_args(q), env)
        walls.append(wall)
        cpus.append(cpu)
    return summary(walls, cpus)


def in_process(settings, queries: list[str]) -> dict:  # type: ignore[no-untyped-def]
    from docagent.search import search

    search(settings, "default", COLLECTION, queries[0], k=5)  # warm caches once
    walls = []
    for q in queries:
        t0 = time.perf_counter()
        search(settings, "default", COLLECTION, q, k=5)
        walls.append(time.perf_counter() - t0)
    return summary(walls, [0.0])


def measure(settings, queries: list[str], n_first: int) -> dict:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DOCAGENT_HOME": str(settings.home)}
    cold_env = {**env, "DOCAGENT_WARM_IDLE_S": "0"}
    walls, cpus = zip(*(run_cli(["--help"], env)[:2] for _ in range(len(queries))), strict=True)
    out = {"help": summary(list(walls), list(cpus))}
    out["cold"], cold_outs = series(queries, cold_env)
    out["first"] = first_calls(settings, queries[:n_first], env)
    pid = server_pid(settings)
    if pid is None:
        logs = "".join(p.read_text() for p in (settings.home / "run").glob("*.log"))
        raise SystemExit(f"no warm process came up: nothing to time warm\n{logs}")
    cpu0 = cpu_of(pid)
    out["warm"], warm_outs = series(queries, env)
    out["warm"]["server_cpu_per_call_s"] = round((cpu_of(pid) - cpu0) / len(queries), 4)
    if server_pid(settings) != pid:
        raise SystemExit("the warm process changed during the warm series")
    if warm_outs != cold_outs:
        raise SystemExit("warm and cold outputs differ")
    stop_server(settings)
    out["in_process"] = in_process(settings, queries)
    floor = out["in_process"]["p50_ms"]
    for name in ("cold", "first", "warm"):
        out[name]["p50_vs_in_process"] = round(out[name]["p50_ms"] / max(floor, 1e-6), 1)
    out["cold_vs_warm_p50"] = round(out["cold"]["p50_ms"] / out["warm"]["p50_ms"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crops", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--first", type=int, default=3, help="first calls (each starts a server)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    texts, questions = crop_texts(args.crops)
    queries = random.Random(0).sample(questions, min(args.queries, len(questions)))
    with fresh_settings() as settings:
        build_collection(settings, texts)
        try:
            res = measure(settings, queries, max(1, min(args.first, len(queries))))
        finally:
            stop_server(settings)
    out = {"machine": machine(), "crops": len(texts), "queries": len(queries), **res}
    write_json("cli_latency", out)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    print(f"docagent search from a fresh process on {out['machine']}: {out['crops']} crops, "
          f"{out['queries']} queries, k=5, --json")
    labels = {"cold": "cold (DOCAGENT_WARM_IDLE_S=0, in-process)",
              "first": "first call (starts the warm process, waits)",
              "warm": "warm (answered by the warm process)", "help": "docagent --help",
              "in_process": "service search() in-process (floor)"}
    rows = [[label, res[k]["n"], res[k]["p50_ms"], res[k]["p95_ms"],
             res[k]["cpu_p50_s"] if k != "in_process" else "-",
             f"{res[k]['p50_vs_in_process']}x" if "p50_vs_in_process" in res[k] else "-"]
            for k, label in labels.items()]
    print(table(["call", "n", "wall p50 ms", "wall p95 ms", "CLI CPU p50 s", "p50 / in-process"], rows))
    print(f"\ncold/warm p50: {out['cold_vs_warm_p50']}x; warm process CPU per call: "
          f"{res['warm']['server_cpu_per_call_s']} s")


if __name__ == "__main__":
    main()
